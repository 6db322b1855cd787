"""Files uploaded through the web app: checked by size, extension and content, stored under safe names."""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from pathlib import Path

from qa.readers.loaders import FORMATS, SUPPORTED, content_mismatch
from qa.stores.durable import file_sha256
from qa.types import Problem

_UNSAFE = re.compile(r"[^\w\-. ()\[\]]+", re.UNICODE)


def safe_name(name: str) -> str:
    """A file name that stays inside its folder: no path parts, no control or shell-special characters."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").split("/")[-1])
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, ext) if dot else (name, "")
    stem = _UNSAFE.sub("_", stem).strip(" ._") or "document"
    ext = _UNSAFE.sub("", ext).lower()
    return (stem[:100] + ("." + ext if ext else ""))[:120]


def sniff(path: str | Path, kind: str) -> str | None:
    """Why the content does not match the extension (the loaders' own check), or None when it does."""
    with open(path, "rb") as handle:
        mismatch = content_mismatch(kind, handle.read(65536))
    return None if mismatch is None else f"is named {Path(path).suffix.lower()} but {mismatch}"


def store_uploads(
    files: list[str], uploads_dir: Path, max_mb: float
) -> tuple[list[str], list[Problem]]:
    """Copy acceptable uploads into ``uploads_dir``; the paths stored and a reason for each refused file."""
    stored: list[str] = []
    problems: list[Problem] = []
    uploads_dir.mkdir(parents=True, exist_ok=True)
    for temp in files:
        original = os.path.basename(temp)
        name = safe_name(original)
        kind = FORMATS.get(Path(name).suffix.lower())
        size = os.path.getsize(temp)
        if kind is None:
            problems.append(Problem(original, f"is not an accepted type (accepted: {SUPPORTED})"))
        elif size > max_mb * 1e6:
            problems.append(Problem(original, f"is {size / 1e6:.1f} MB, over the {max_mb:.0f} MB upload limit"))
        elif (reason := sniff(temp, kind)) is not None:
            problems.append(Problem(original, reason))
        else:
            stored.append(str(_place(temp, uploads_dir, name)))
    return stored, problems


def _place(temp: str, folder: Path, name: str) -> Path:
    """Where the upload goes: its own name, or a numbered one if another file already has it."""
    digest = file_sha256(Path(temp))
    stem, ext = os.path.splitext(name)
    for n in range(1, 1000):
        target = folder / (name if n == 1 else f"{stem} ({n}){ext}")
        if not target.exists():
            shutil.copyfile(temp, target)
            return target
        if file_sha256(target) == digest:
            return target
    raise OSError(f"too many uploads named {name}")
