"""OCR with Debian's tesseract: page images to layout lines with word boxes, one process per core.

tesseract runs single-threaded (``OMP_THREAD_LIMIT=1``): with OpenMP on two cores a page took 17 s
instead of 1.9 s here (../shared/NOTES.md), so pages are spread over one process per core instead.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import statistics
import subprocess
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import Any

from qa.errors import DocumentError
from qa.readers.lines import Line, Page, make_line

LANGUAGE = "eng"
INSTALL_HINT = "install Debian's tesseract-ocr and tesseract-ocr-eng (apt-get install tesseract-ocr tesseract-ocr-eng)"
TIMEOUT_SECONDS = 300
_TALL = re.compile(r"[A-Z0-9bdfhklt]")
_HANGING = re.compile(r"[gjpqyQ(),;\[\]{}|]")


def tesseract_path(path: str) -> str:
    """The tesseract executable, or a DocumentError naming the packages to install."""
    found = shutil.which("tesseract")
    if found is None:
        raise DocumentError(path, f"needs OCR (it has pages without a text layer): {INSTALL_HINT}")
    return found


def ocr_image(path: str, image: Any, width: float, height: float) -> Page:
    """One page image (PIL) read by tesseract; boxes scaled to ``width`` x ``height`` (the page's units)."""
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PNG")
    try:
        done = subprocess.run(
            [tesseract_path(path), "stdin", "stdout", "-l", LANGUAGE, "--psm", "3", "tsv"],
            input=buffer.getvalue(), capture_output=True, timeout=TIMEOUT_SECONDS,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"}, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise DocumentError(path, f"OCR of a page took over {TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0:
        error = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DocumentError(path, f"OCR failed ({error[-1] if error else done.returncode}); {INSTALL_HINT}")
    scale_x, scale_y = width / image.width, height / image.height
    return Page(width, height, _lines(done.stdout.decode("utf-8", "replace"), scale_x, scale_y), ocr=True)


def _lines(tsv: str, scale_x: float, scale_y: float) -> list[Line]:
    """tesseract's words grouped into its lines."""
    groups: dict[tuple[int, int, int], list[dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        if row["level"] == "5" and (row.get("text") or "").strip():
            groups.setdefault(key, []).append(row)
    lines: list[Line] = []
    for words in groups.values():
        chars: list[str] = []
        boxes: list[tuple[float, float, float, float]] = []
        for word in words:
            text = word["text"].strip()
            left, top = float(word["left"]) * scale_x, float(word["top"]) * scale_y
            width, height = float(word["width"]) * scale_x, float(word["height"]) * scale_y
            step = width / len(text)
            if chars:
                chars.append(" ")
                boxes.append((left, top, left, top + height))
            for n, ch in enumerate(text):  # tesseract boxes words: its characters share the width evenly
                chars.append(ch)
                boxes.append((left + n * step, top, left + (n + 1) * step, top + height))
        size = _font_size(words, scale_y)
        # tesseract's block and paragraph numbers break lines too eagerly to follow: the layout decides
        line = make_line(chars, boxes, [size] * len(chars), [400.0] * len(chars))
        if line is not None:
            lines.append(line)
    if not lines:
        return lines
    # specks and stray marks read as letters: a "line" less than half as high as the page's usual text
    usual = statistics.median(line.size for line in lines)
    return [line for line in lines if line.size >= usual / 2 or len(line.chars) > 3]


def _font_size(words: list[dict[str, str]], scale_y: float) -> float:
    """A line's font size from its words' boxes: a word with a tall letter and none hanging below the
    line is as high as a capital (about 0.7 of the size), whatever letters it holds; others vary."""
    capital = [float(w["height"]) for w in words if _TALL.search(w["text"]) and not _HANGING.search(w["text"])]
    if capital:
        return statistics.median(capital) * scale_y / 0.7
    return statistics.median(float(w["height"]) for w in words) * scale_y / 0.9


class OcrPool:
    """Pages submitted for OCR run in one tesseract process per core; results come back by page number."""

    cores: int | None = None  # None: the machine's; a Ray worker, given one core, sets 1 (qa.cluster.worker)

    def __init__(self, path: str) -> None:
        self.path = path
        self.workers = max(1, OcrPool.cores or os.cpu_count() or 1)
        self._executor: ThreadPoolExecutor | None = None
        self._futures: dict[Future[Page], int] = {}
        self._done: list[tuple[int, Page]] = []

    def __enter__(self) -> OcrPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    @property
    def pending(self) -> int:
        return len(self._futures) + len(self._done)

    def submit(self, number: int, image: Any, width: float, height: float) -> None:
        """Queue a page; blocks while as many pages as there are workers wait, so images do not pile up."""
        tesseract_path(self.path)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="ocr")
        while len(self._futures) >= self.workers * 2:
            wait(self._futures, return_when=FIRST_COMPLETED)
            self._collect()
        self._futures[self._executor.submit(ocr_image, self.path, image, width, height)] = number

    def _collect(self) -> None:
        for future in [f for f in self._futures if f.done()]:
            self._done.append((self._futures.pop(future), future.result()))

    def finished(self) -> Iterator[tuple[int, Page]]:
        """The pages read so far (each once)."""
        self._collect()
        while self._done:
            yield self._done.pop()

    def wait(self) -> Iterator[tuple[int, Page]]:
        """Every page still queued, as each is read."""
        while self._futures or self._done:
            if self._futures:
                wait(self._futures, return_when=FIRST_COMPLETED)
            yield from self.finished()


def read_image(path: str, data: bytes) -> list[Page]:
    """An image file (PNG, JPEG, TIFF; every frame of a multi-page TIFF) read by OCR, a page a frame."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DocumentError(path, f"is not a readable image ({exc})") from exc
    pages: dict[int, Page] = {}
    with OcrPool(path) as pool:
        for number, frame in enumerate(frames):
            pool.submit(number, frame, float(frame.width), float(frame.height))
            pages.update(pool.finished())
        pages.update(pool.wait())
    return [pages[n] for n in sorted(pages)]
