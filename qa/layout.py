"""Page layout to text: lines with boxes and fonts become paragraphs, headings and table rows.

Shared by the PDF reader (characters from PDFium) and OCR (words from tesseract): both give each page
as ``Line``s in the order the page lists them, with positions in points from the top-left corner.
``assemble`` then

- drops running headers and footers: lines in the page's top or bottom band that repeat on other pages
  (digits aside), that are a page number, or, on a one-page document, that are set smaller than the text;
- orders lines for reading (a page with two columns: full-width lines above, the left column, the right
  column, full-width lines below);
- joins a paragraph's lines with a space, and a word hyphenated at a line end without its hyphen (the rule:
  a line ending in letter + "-" followed by a line starting with a lower-case letter); a paragraph ends at a
  line gap wider than the text's usual one, a change of font size or weight, an indented first line, a
  short line ending a sentence, or a table row; it continues across a page or column break when the last
  line does not end a sentence and the next one is in the same font and not indented;
- marks headings by font: larger than the body text, or bolder and short (never "a short first line");
- keeps table rows (lines with wide gaps between cells) one a line, cells separated by " | ".

Paragraphs are separated by a blank line; a table's rows by a line break.

Text is NFKC-normalised (ligatures, full-width forms) and soft hyphens are removed. Every character of the
result has a box on its page (NaN for the spaces and separators the assembly inserts).
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from qa.types import Block

BAND = 0.08  # share of the page height at the top and bottom where running headers and footers sit
MAX_HEADING_LINES = 3
PARAGRAPH_GAP = 0.25  # extra space between two lines, in font sizes, that ends a paragraph
CELL_GAP = 1.2  # a horizontal gap wider than this many font sizes separates table cells
_SENTENCE_END = ".!?:;\u2026\u201d\"')]"
_HYPHENATION = "\x02\u00ad"  # PDFium reports a hyphen that breaks a word at a line end as U+0002
_NO_BOX = (float("nan"),) * 4
_PAGE_NUMBER = re.compile(r"^\W*(page\s*)?(\d+|[ivxlc]+)(\s*(/|of)\s*\d+)?\W*$", re.IGNORECASE)


@dataclass(eq=False)
class Line:
    """One line of a page: its characters with their boxes (x0, top, x1, bottom), font size and weight."""

    chars: str
    boxes: np.ndarray  # float32, shape (len(chars), 4)
    size: float
    weight: float = 400.0
    cells: list[int] = field(default_factory=list)  # character indices where a table cell starts (after the first)

    @property
    def x0(self) -> float:
        return float(np.nanmin(self.boxes[:, 0]))

    @property
    def x1(self) -> float:
        return float(np.nanmax(self.boxes[:, 2]))

    @property
    def top(self) -> float:
        return float(np.nanmin(self.boxes[:, 1]))

    @property
    def bottom(self) -> float:
        return float(np.nanmax(self.boxes[:, 3]))

    @property
    def base(self) -> float:
        """Where most of its letters stand: quotes, accents and descenders aside."""
        return float(np.nanmedian(self.boxes[:, 3]))


@dataclass
class Page:
    width: float
    height: float
    lines: list[Line]
    ocr: bool = False


@dataclass
class Layout:
    """The assembled text and where each part of it stands."""

    text: str
    page_starts: list[int]
    line_starts: list[int]  # offset of each visual line's first character, in reading order
    blocks: list[Block]
    boxes: np.ndarray  # float32 (len(text), 4), NaN for inserted characters
    ocr_pages: list[int]  # 1-based numbers of the pages read by OCR


def make_line(
    chars: list[str], boxes: list[tuple[float, float, float, float]], sizes: list[float], weights: list[float]
) -> Line | None:
    """A Line from raw characters: normalised (NFKC, no soft hyphens), spaces collapsed, cells found."""
    out: list[str] = []
    out_boxes: list[tuple[float, float, float, float]] = []
    for n, (ch, box) in enumerate(zip(chars, boxes, strict=True)):
        if ch in _HYPHENATION and n == len(chars) - 1:
            ch = "-"  # a word broken at the line end: rejoined (without it) if the next line continues it
        elif ch == "\u00ad":
            continue
        for piece in unicodedata.normalize("NFKC", ch):
            if piece.isspace():
                if not out or out[-1] == " ":
                    continue
                piece, box = " ", _NO_BOX  # a space's box is empty or made up: it marks nothing
            elif not piece.isprintable():
                continue
            out.append(piece)
            out_boxes.append(box)
    while out and out[-1] == " ":
        out.pop()
        out_boxes.pop()
    if not out:
        return None
    array = np.array(out_boxes, dtype=np.float32)
    size = _dominant(sizes) or float(np.nanmedian(array[:, 3] - array[:, 1]))
    line = Line("".join(out), array, size, _dominant(weights) or 400.0)
    line.cells = _cells(line)
    return line


def _dominant(values: list[float]) -> float:
    real = [round(v, 1) for v in values if v > 1.5]
    return Counter(real).most_common(1)[0][0] if real else 0.0


def _cells(line: Line) -> list[int]:
    """Where a table cell starts (the index of its first character), from the gaps between words.

    A gap wider than ``CELL_GAP`` font sizes separates cells when the line also has ordinary word gaps
    (each under half as wide), or when every gap is wide and most words hold digits (a row of figures).
    A line whose gaps are all wide and even is justified prose, not a table row.
    """
    gaps: list[tuple[int, float]] = []  # (index of the word after the gap, gap width)
    previous_end = None
    for i, ch in enumerate(line.chars):
        if ch == " " or np.isnan(line.boxes[i, 0]):
            continue
        if previous_end is not None and i > 0 and line.chars[i - 1] == " ":
            gaps.append((i, float(line.boxes[i, 0] - previous_end)))
        previous_end = line.boxes[i, 2]
    wide = [(i, g) for i, g in gaps if g > CELL_GAP * line.size]
    if not wide:
        return []
    normal = [g for _, g in gaps if g <= CELL_GAP * line.size]
    if normal:
        return [i for i, g in wide if g > 2 * max(normal)]
    words = line.chars.split(" ")
    figures = sum(any(ch.isdigit() for ch in word) for word in words)
    return [i for i, _ in wide] if figures * 2 >= len(words) else []


def assemble(pages: list[Page]) -> Layout:
    """The document's text from its pages' lines (see the module's docstring for the rules)."""
    body = _body_style(pages)
    kept = _drop_running(pages, body.size)
    ordered = [_reading_order(page, lines) for page, lines in zip(pages, kept, strict=True)]
    return _Writer(body).write(pages, ordered)


@dataclass(frozen=True)
class _Style:
    size: float
    weight: float
    pitch: float  # usual distance between two lines of one paragraph, in font sizes


def _body_style(pages: list[Page]) -> _Style:
    sizes: Counter[float] = Counter()
    weights: Counter[float] = Counter()
    pitches: list[float] = []
    for page in pages:
        previous = None
        for line in page.lines:
            if line.cells:  # table rows are often set smaller: the body is the prose
                continue
            sizes[round(line.size, 1)] += len(line.chars)
            weights[round(line.weight)] += len(line.chars)
            if previous is not None and abs(previous.size - line.size) < 0.5 and line.base > previous.base:
                pitches.append((line.base - previous.base) / line.size)
            previous = line
    size = sizes.most_common(1)[0][0] if sizes else 10.0
    weight = weights.most_common(1)[0][0] if weights else 400.0
    usual = [p for p in pitches if 0.8 < p < 2.5]
    return _Style(size, weight, statistics.median(usual) if usual else 1.2)


def _shape(text: str) -> str:
    """What a running header or footer keeps from page to page: its first letters (page numbers and dates
    change; OCR may misread a character or two further on)."""
    letters = re.sub(r"[^a-z]", "", text.lower())
    return letters[:16] if len(letters) >= 4 else re.sub(r"\d+", "#", " ".join(text.split()))


def _in_band(page: Page, line: Line) -> bool:
    return line.bottom < page.height * BAND or line.top > page.height * (1 - BAND)


def _drop_running(pages: list[Page], body_size: float) -> list[list[Line]]:
    """Each page's lines without its running header, footer and page number.

    A line in the top or bottom band is running when its shape repeats on other pages, when it is a page
    number, when it carries the page's own number (as printed: "Chapter 4: Reference 10" on page 12 of a
    file whose numbering starts two pages in), or, in a one-page document, when it is set smaller than the text.
    """
    counts: Counter[str] = Counter()
    offsets: Counter[int] = Counter()  # PDF page index minus the number a band line carries
    for index, page in enumerate(pages):
        band = [line for line in page.lines if _in_band(page, line)]
        counts.update({_shape(line.chars) for line in band})
        offsets.update({index - n for line in band for n in _folios(line.chars)})
    repeated = 2 if len(pages) <= 4 else 3  # a chapter's running title repeats on its pages only
    numbering = {offset for offset, count in offsets.items() if count >= repeated}
    kept = []
    for index, page in enumerate(pages):
        lines = []
        for line in page.lines:
            running = _in_band(page, line) and (
                counts[_shape(line.chars)] >= repeated
                or _PAGE_NUMBER.match(line.chars) is not None
                or any(index - n in numbering for n in _folios(line.chars))
                or (len(pages) == 1 and line.size < body_size * 0.9)
            )
            if not running:
                lines.append(line)
        kept.append(lines)
    return kept


def _folios(text: str) -> set[int]:
    """The numbers a line starts or ends with: where a running header or footer prints the page number."""
    found = set()
    for match in (re.match(r"\s*(\d{1,4})\b", text), re.search(r"\b(\d{1,4})\s*$", text)):
        if match:
            found.add(int(match.group(1)))
    return found


def _reading_order(page: Page, lines: list[Line]) -> list[list[Line]]:
    """The page's lines as columns in reading order (one column unless the page has two)."""
    middle = page.width / 2
    left = [ln for ln in lines if ln.x1 < middle]
    right = [ln for ln in lines if ln.x0 > middle]
    if len(left) < 3 or len(right) < 3:
        return [lines] if lines else []
    top = max(min(ln.top for ln in left), min(ln.top for ln in right))
    bottom = min(max(ln.bottom for ln in left), max(ln.bottom for ln in right))
    if bottom <= top:  # the two sides do not stand side by side
        return [lines]
    spanning = [ln for ln in lines if ln.x0 <= middle <= ln.x1]
    above = [ln for ln in spanning if ln.bottom <= top]
    below = [ln for ln in spanning if ln.top >= bottom]
    inside = [ln for ln in spanning if ln not in above and ln not in below]
    if len(inside) > 2:  # lines cross the middle among the columns: not a two-column page
        return [lines]
    left_column = sorted([*left, *inside], key=lambda ln: ln.top)
    return [x for x in (sorted(above, key=lambda ln: ln.top), left_column, sorted(right, key=lambda ln: ln.top),
                        sorted(below, key=lambda ln: ln.top)) if x]  # fmt: skip


class _Writer:
    """Appends lines to the text, deciding for each whether it continues the paragraph before it."""

    def __init__(self, body: _Style) -> None:
        self.body = body
        self.parts: list[str] = []
        self.boxes: list[np.ndarray] = []
        self.length = 0
        self.line_starts: list[int] = []
        self.blocks: list[Block] = []
        self.block_start = 0
        self.block_kind = ""
        self.block_lines = 0
        self.previous: Line | None = None
        self.left = 0.0  # the current column's left edge
        self.right = 0.0
        self.previous_left = self.previous_right = 0.0  # the column edges of the previous line

    def write(self, pages: list[Page], columns_by_page: list[list[list[Line]]]) -> Layout:
        page_starts = []
        for columns in columns_by_page:
            first_line = len(self.line_starts)
            for column in columns:
                # the column's edges: where most lines start, and where the longer lines end
                self.left = float(np.median([ln.x0 for ln in column]))
                self.right = float(np.percentile([ln.x1 for ln in column], 90))
                for i, line in enumerate(column):
                    self._add(line, fresh=i == 0)
            # a page begins at its first line's first character (inside a paragraph that it continues)
            page_starts.append(self.line_starts[first_line] if len(self.line_starts) > first_line else self.length)
        self._close_block()
        text = "".join(self.parts)
        boxes = np.concatenate(self.boxes) if self.boxes else np.zeros((0, 4), dtype=np.float32)
        ocr = [n + 1 for n, page in enumerate(pages) if page.ocr]
        return Layout(text, page_starts, self.line_starts, self.blocks, boxes, ocr)

    def _kind(self, line: Line) -> str:
        if len(line.cells) >= 1 and len(line.chars) < 400:
            return "row"
        larger = line.size > self.body.size * 1.12
        bolder = line.weight >= max(600.0, self.body.weight + 150) or (
            line.weight > self.body.weight + 50 and line.size >= self.body.size
        )
        if (larger or bolder) and len(line.chars) <= 200 and any(ch.isalpha() for ch in line.chars):
            return "heading"
        return "para"

    def _continues(self, line: Line, kind: str, fresh: bool) -> bool:
        previous = self.previous
        if previous is None or kind == "row" or kind != self.block_kind:
            return False
        if abs(line.size - previous.size) > max(0.5, 0.08 * line.size) or abs(line.weight - previous.weight) > 40:
            return False
        ends_sentence = previous.chars.rstrip()[-1] in _SENTENCE_END
        indented = line.x0 - self.left > line.size * 1.0
        short = previous.x1 < self.previous_right * 0.75 + self.previous_left * 0.25
        if fresh:  # a new page or column: continue a paragraph cut by the break
            return kind == "para" and not ends_sentence and not indented and not short
        pitch = (line.base - previous.base) / max(line.size, 1.0)
        if pitch < 0 or pitch > self.body.pitch + PARAGRAPH_GAP:
            return False
        if kind == "heading":
            return True
        return not indented and not (short and ends_sentence)

    def _add(self, line: Line, fresh: bool) -> None:
        kind = self._kind(line)
        if self._continues(line, kind, fresh):
            last = self.parts[-1]
            if last.endswith("-") and len(last) > 1 and last[-2].isalpha() and line.chars[0].islower():
                self.parts[-1] = last[:-1]  # a hyphenated word rejoined: the hyphen leaves the text
                self.boxes[-1] = self.boxes[-1][:-1]
                self.length -= 1
            else:
                self._append(" ", None)
        else:
            rows = kind == "row" and self.block_kind == "row"
            self._close_block()
            if self.length:
                self._append("\n" if rows else "\n\n", None)  # a table's rows one a line
            self.block_start, self.block_kind, self.block_lines = self.length, kind, 0
        self.line_starts.append(self.length)
        self.block_lines += 1
        if kind == "row":
            self._append_row(line)
        else:
            self._append(line.chars, line.boxes)
        self.previous = line
        self.previous_left, self.previous_right = self.left, self.right

    def _append_row(self, line: Line) -> None:
        bounds = [0, *line.cells, len(line.chars)]
        for n, (a, b) in enumerate(itertools.pairwise(bounds)):
            cell = line.chars[a:b].rstrip()
            if n:
                self._append(" | ", None)
            self._append(cell, line.boxes[a : a + len(cell)])

    def _append(self, text: str, boxes: np.ndarray | None) -> None:
        if boxes is None:
            boxes = np.full((len(text), 4), np.nan, dtype=np.float32)
        self.parts.append(text)
        self.boxes.append(boxes)
        self.length += len(text)

    def _close_block(self) -> None:
        if self.block_kind and self.length > self.block_start:
            kind = self.block_kind
            if kind == "heading" and (self.block_lines > MAX_HEADING_LINES or self.length - self.block_start > 200):
                kind = "para"  # set large or bold, but as long as a paragraph: emphasis, not a heading
            self.blocks.append(Block(self.block_start, self.length, kind))
        self.block_kind = ""
