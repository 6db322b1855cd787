"""What the command-line front ends share: settings from flags, progress bars, and errors as one line."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import IndexDamagedError, VerbatimError


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    given = {"index_dir": args.index_dir, "store": getattr(args, "store", None), "model": args.model,
             "backend": args.backend, "ray": getattr(args, "ray", None), **extra}  # fmt: skip
    return Settings.from_env(**given)


def progress_bar(label: str = "Embedding", unit: str = "passage") -> Callable[[int, int], None]:
    """A tqdm bar on stderr (items done, rate, time left), made on the first update."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        from tqdm import tqdm

        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, unit=unit, desc=label, file=sys.stderr, dynamic_ncols=True)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def cluster_line(every: float = 1.0) -> Callable[[Any], None]:
    """A line on stderr as a cluster's files come back (files read, pages and OCR'd pages, passages cut, the
    workers that answered): rewritten in place on a terminal, else a line every ``every`` * 10 seconds."""
    terminal = sys.stderr.isatty()
    last = [0.0]

    def show(progress: Any) -> None:
        now = time.monotonic()
        if now - last[0] < (every if terminal else 10 * every):
            return
        last[0] = now
        workers = len(progress.readers)
        line = (f"cluster: {progress.files} files read ({progress.pages} pages, {progress.ocr_pages} by OCR), "
                f"{progress.passages} passages cut, by {workers} worker{'s' * (workers != 1)}")  # fmt: skip
        print(f"\r{line}" if terminal else line, end="" if terminal else "\n", file=sys.stderr, flush=True)

    return show


def page_bars(path: str) -> Callable[[int, int], None]:
    """A bar for the pages of one document being read (PDFs and images)."""
    return progress_bar(f"Reading {Path(path).name}", unit="page")


def error_line(exc: VerbatimError, rebuild_command: Callable[[], str]) -> str:
    """A library error as the one line a person reads (a damaged index names the command that rebuilds it)."""
    if isinstance(exc, IndexDamagedError):
        return f"error: {exc}. Rebuild it with: {rebuild_command()}"
    return f"error: {exc}"
