"""What the command-line front ends share: settings from flags, progress bars, and errors as one line."""

from __future__ import annotations

import argparse
import sys
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


def cluster_line() -> Callable[[Any], None]:
    """One line on stderr, rewritten as a cluster's results come back: files read (pages, OCR'd pages), passages
    embedded, workers that answered."""

    def show(progress: Any) -> None:
        workers = len(progress.workers or ())
        print(f"\rcluster: {progress.files} files read ({progress.pages} pages, {progress.ocr_pages} by OCR), "
              f"{progress.passages} passages embedded by {workers} worker{'s' * (workers != 1)}",
              end="", file=sys.stderr, flush=True)  # fmt: skip

    return show


def page_bars(path: str) -> Callable[[int, int], None]:
    """A bar for the pages of one document being read (PDFs and images)."""
    return progress_bar(f"Reading {Path(path).name}", unit="page")


def error_line(exc: VerbatimError, rebuild_command: Callable[[], str]) -> str:
    """A library error as the one line a person reads (a damaged index names the command that rebuilds it)."""
    if isinstance(exc, IndexDamagedError):
        return f"error: {exc}. Rebuild it with: {rebuild_command()}"
    return f"error: {exc}"
