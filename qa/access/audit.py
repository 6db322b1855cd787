"""The audit log: who added or removed which document or user, and when. JSON lines, appended (never rewritten),
each written with one ``write`` to a file opened for appending and synced, so lines from many processes never
interleave and a crash loses at most the line being written. It stands beside the index: ``audit.jsonl``."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import threading
from pathlib import Path
from typing import Any

from qa.types import IndexReport

_lock = threading.Lock()


class Audit:
    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, actor: str, action: str, target: str, **details: Any) -> None:
        """One line: ``{"time", "actor", "action", "target", ...details}``; never a password or a token."""
        line = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "actor": actor,
                "action": action, "target": target, **details}  # fmt: skip
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)

    def lines(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


def command_actor() -> str:
    """Who ran a command on this machine, as the log names them: ``cli:LOGIN``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid {os.getuid()}"


def audit_report(audit: Audit, actor: str, report: IndexReport, collection: str | None) -> None:
    """The documents an indexing run added, changed and removed, a line each."""
    where = {"collection": collection} if collection else {}
    for path in report.added:
        audit.record(actor, "document added", path, **where)
    for path in report.updated:
        audit.record(actor, "document updated", path, **where)
    for path in report.removed:
        audit.record(actor, "document removed", path)
