"""Start the real app in a subprocess on a free port and wait until it serves (for browser/API tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(index_dir: Path, *docs: str, timeout: float = 180, env: dict[str, str] | None = None) -> Iterator[str]:
    """Yield the URL of a running ``app.py``; stop it afterwards."""
    port = free_port()
    environment = {**os.environ, "VERBATIM_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1", **(env or {})}
    log = open(index_dir.parent / f"app-{port}.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), *docs, "--port", str(port)],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            log.seek(0)
            if "Verbatim is ready" in log.read():
                break
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"the app did not start:\n{log.read()}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
