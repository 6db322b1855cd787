"""Files written so that a crash never leaves half of one: atomic replaces, fsyncs, checksums; texts read once."""

from __future__ import annotations

import contextlib
import hashlib
import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=64)
def read_text_file(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str, mode: int = 0o666) -> None:
    """``text`` as the whole of ``path``, or the file as it was: written beside it, synced, then renamed over it.
    ``mode`` (before the umask) is the new file's from its first byte: 0o600 keeps a secret from other users."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):  # a crashed writer's: a new file gets ``mode``, an old one keeps its
        os.unlink(tmp)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with open(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)
