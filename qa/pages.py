"""A cited passage shown on its page: the page rendered once (cached), the passage's lines marked.

The boxes come from the reader of the page layout (PDFium's character boxes, or tesseract's word boxes for a
scan), kept beside the extracted text in the index, so a passage's marks are a slice of them, as its text is.
Lines of the passage get a translucent yellow box, the answer sentence a stronger orange one; a passage that runs
over a page break is shown on each of its pages, one under the other.
"""

from __future__ import annotations

import io
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.errors import DocumentError, NotIndexedError, QuestionError
from qa.stores.base import Index, IndexStore

RENDER_DPI = 110  # A4 at about 910 x 1290 pixels: readable beside the chat, sharp when opened full size
CACHED_PAGES = 16  # rendered pages kept (about 3.5 MB each)
PASSAGE_FILL = (255, 214, 0, 70)
ANSWER_FILL = (255, 120, 0, 110)
PAGE_GAP = 12  # pixels between the pages of a passage that runs over a page break
GAP_COLOUR = (128, 128, 128)


@dataclass(frozen=True)
class PageMarks:
    """What to draw on one page: its number (1-based), and rectangles in the page's own units."""

    page: int
    passage: list[tuple[float, float, float, float]]
    answer: list[tuple[float, float, float, float]]


def line_rectangles(boxes: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Characters' boxes (x0, top, x1, bottom; NaN for inserted characters) merged into one box a line."""
    rects: list[list[float]] = []
    for x0, top, x1, bottom in boxes[~np.isnan(boxes).any(axis=1)].tolist():
        if rects:
            last = rects[-1]
            middle = (top + bottom) / 2
            same_line = last[1] <= middle <= last[3] and x0 >= last[0] - 1
            if same_line:
                last[0], last[1], last[2], last[3] = min(last[0], x0), min(last[1], top), max(last[2], x1), max(
                    last[3], bottom
                )
                continue
        rects.append([x0, top, x1, bottom])
    return [(a, b, c, d) for a, b, c, d in rects]


def marks(boxes: np.ndarray, page_starts: tuple[int, ...], start: int, end: int,
          answer: tuple[int, int] | None = None) -> list[PageMarks]:  # fmt: skip
    """The marks for ``text[start:end]`` on each page it stands on (more than one when it runs over a break)."""
    first = int(np.searchsorted(page_starts, start, side="right")) if page_starts else 1
    last = int(np.searchsorted(page_starts, end - 1, side="right")) if page_starts else 1
    found = []
    for page in range(first, last + 1):
        page_start = page_starts[page - 1] if page_starts else 0
        page_end = page_starts[page] if page < len(page_starts) else len(boxes)
        low, high = max(start, page_start), min(end, page_end)
        answer_rects = []
        if answer is not None and max(answer[0], low) < min(answer[1], high):
            answer_rects = line_rectangles(boxes[max(answer[0], low) : min(answer[1], high)])
        found.append(PageMarks(page, line_rectangles(boxes[low:high]), answer_rects))
    return found


class PageImages:
    """Renders pages of PDFs and images on demand, keeps the last ``CACHED_PAGES``, and marks passages."""

    def __init__(self, capacity: int = CACHED_PAGES) -> None:
        self.capacity = capacity
        self._cache: OrderedDict[tuple[str, str, int], tuple[Any, float, float]] = OrderedDict()
        self._lock = threading.Lock()  # PDFium is not thread-safe; the cache is shared

    def page(
        self, path: str, sha256: str, kind: str, number: int, data: bytes | None = None
    ) -> tuple[Any, float, float]:
        """The page as a PIL image, and the page's width and height in the units of its boxes; rendered from
        ``data`` (the file as indexed) when given, else from the file at ``path``."""
        key = (path, sha256, number)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            rendered = _render(path, kind, number, data)
            self._cache[key] = rendered
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
            return rendered

    def marked(self, path: str, sha256: str, kind: str, found: list[PageMarks], data: bytes | None = None) -> bytes:
        """The pages of ``found`` with their marks drawn, one under the other, as PNG bytes."""
        from PIL import Image, ImageDraw

        drawn = []
        for page in found:
            image, width, height = self.page(path, sha256, kind, page.page, data)
            scale_x, scale_y = image.width / width, image.height / height
            overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(overlay)
            for rects, fill in ((page.passage, PASSAGE_FILL), (page.answer, ANSWER_FILL)):
                for x0, top, x1, bottom in rects:
                    box = (x0 * scale_x - 2, top * scale_y - 2, x1 * scale_x + 2, bottom * scale_y + 2)
                    draw.rectangle(box, fill=fill)
            drawn.append(Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB"))
        height = sum(i.height for i in drawn) + PAGE_GAP * (len(drawn) - 1)
        sheet = Image.new("RGB", (max(i.width for i in drawn), height), GAP_COLOUR)
        top = 0
        for image in drawn:
            sheet.paste(image, (0, top))
            top += image.height + PAGE_GAP
        out = io.BytesIO()
        sheet.save(out, format="PNG", optimize=False)
        return out.getvalue()


def _render(path: str, kind: str, number: int, data: bytes | None = None) -> tuple[Any, float, float]:
    if kind == "image":
        from PIL import Image, ImageSequence

        with Image.open(path if data is None else io.BytesIO(data)) as image:
            frame = next(f for n, f in enumerate(ImageSequence.Iterator(image)) if n == number - 1).convert("RGB")
        return frame, float(frame.width), float(frame.height)
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path if data is None else data)
    except (pdfium.PdfiumError, OSError) as exc:
        raise DocumentError(path, f"cannot be opened to show its page ({exc})") from exc
    try:
        page = pdf[number - 1]
        width, height = page.get_size()
        image = page.render(scale=RENDER_DPI / 72).to_pil().convert("RGB")
        page.close()
    finally:
        pdf.close()
    return image, float(width), float(height)


def page_png(snapshot: Index, store: IndexStore, images: PageImages, source: str, span: tuple[int, int],
             answer: tuple[int, int] | None, rebuild_command: Callable[[], str]) -> bytes:  # fmt: skip
    """The PNG of ``Engine.page_image``: checks that the passage has a page to show, then draws it."""
    start, end = span
    found = snapshot.stored(source)
    if found is None:
        raise NotIndexedError(source)
    content = found[1]
    if content.kind not in ("pdf", "image"):
        raise DocumentError(source, "is not a PDF or an image: it has no page to show (see the passage in context)")
    boxes = store.read_boxes(content.key)
    if boxes is None:
        raise DocumentError(source, f"was indexed without its page layout; index it again ({rebuild_command()})")
    if not 0 <= start < end <= len(boxes):
        raise QuestionError(f"no passage of {os.path.basename(source)} runs from {start} to {end}")
    found = marks(boxes, content.page_starts, start, end, answer)
    data = store.read_original(content.sha256)  # a shared store keeps the file as indexed, for every server
    if data is not None:
        return images.marked(source, content.sha256, content.kind, found, data)
    record = snapshot.document(source)
    try:
        unchanged = record is not None and (os.path.getsize(source), os.path.getmtime(source)) == (
            record.size, record.mtime)
    except OSError:
        unchanged = False
    if not unchanged:
        raise DocumentError(source, "has changed or moved since it was indexed; index it again to see its pages")
    return images.marked(source, content.sha256, content.kind, found)
