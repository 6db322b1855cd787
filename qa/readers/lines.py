"""A page as lines: the characters of each line with their boxes, font size and weight.

What the PDF reader (PDFium) and OCR (tesseract) both produce, and ``qa.readers.layout`` reads: positions in the page's
own units from its top-left corner. ``make_line`` normalises the text (NFKC, no soft hyphens, one space between
words), keeps a box per character (NaN for spaces) and finds table cells by the gaps between words.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from qa.types import Block

CELL_GAP = 1.2  # a horizontal gap wider than this many font sizes separates table cells
_HYPHENATION = "\x02\u00ad"  # PDFium reports a hyphen that breaks a word at a line end as U+0002
_NO_BOX = (float("nan"),) * 4
_NUMBERED = re.compile(r"\s*(?:[A-Z]|[IVX]+|\d+)(?:\.\d+)*\.?\s*$")  # a section number: 5, 2.10, A.1, IV.
_MARK = re.compile(r"\d{1,2}|[*∗†‡§¶]{1,2}")  # a footnote's mark
_FIGURES = re.compile(r"[\W\d]*$")  # nothing but figures and signs: the rest of a table row


@dataclass(eq=False)
class Line:
    """One line of a page: its characters with their boxes (x0, top, x1, bottom), font size and weight."""

    chars: str
    boxes: np.ndarray  # float32, shape (len(chars), 4)
    size: float
    weight: float = 400.0
    cells: list[int] = field(default_factory=list)  # character indices where a table cell starts (after the first)
    typed: np.ndarray | None = None  # bool per character: set in a typewriter font (None: not known, as for OCR)
    heavy: np.ndarray | None = None  # bool per character: set in a face its name calls bold (None: not known)
    note: bool = False  # a note in the page's margin, beside the text

    # Its place on the page, measured once (a line's boxes never change; the layout asks for these often).
    @functools.cached_property
    def _bounds(self) -> tuple[float, float, float, float]:
        low, high = np.nanmin(self.boxes, 0).tolist(), np.nanmax(self.boxes, 0).tolist()
        return low[0], low[1], high[2], high[3]

    @property
    def x0(self) -> float:
        return self._bounds[0]

    @property
    def top(self) -> float:
        return self._bounds[1]

    @property
    def x1(self) -> float:
        return self._bounds[2]

    @property
    def bottom(self) -> float:
        return self._bounds[3]

    @functools.cached_property
    def mono(self) -> float:
        """The share of its visible characters set in a typewriter font (code, commands, file names)."""
        return self._visible_share(self.typed)

    @functools.cached_property
    def bold(self) -> float:
        """The share of its visible characters set in a face its font's name calls bold (0 when not known)."""
        return self._visible_share(self.heavy)

    def _visible_share(self, flags: np.ndarray | None) -> float:
        """The share of the line's visible (non-space) characters that ``flags`` marks; 0 when not known."""
        if flags is None:
            return 0.0
        visible = np.array([not ch.isspace() for ch in self.chars])
        return float(flags[visible].mean()) if visible.any() else 0.0

    def part(self, start: int, end: int) -> Line | None:
        """The line's characters ``start:end`` as a line of their own (spaces at its ends left out)."""
        while start < end and self.chars[start] == " ":
            start += 1
        while end > start and self.chars[end - 1] == " ":
            end -= 1
        if start >= end:
            return None
        typed = None if self.typed is None else self.typed[start:end]
        heavy = None if self.heavy is None else self.heavy[start:end]
        line = Line(self.chars[start:end], self.boxes[start:end], self.size, self.weight, typed=typed, heavy=heavy)
        return _with_cells(line)

    @functools.cached_property
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
    chars: list[str],
    boxes: list[tuple[float, float, float, float]],
    sizes: list[float],
    weights: list[float],
    fixed: list[bool] | None = None,
    bold: list[bool] | None = None,
) -> Line | None:
    """A Line from raw characters: normalised (NFKC, no soft hyphens), spaces collapsed, cells found.

    ``fixed`` says which characters are set in a typewriter font, ``bold`` which in a face named bold (both
    unknown for OCR)."""
    out: list[str] = []
    out_boxes: list[tuple[float, float, float, float]] = []
    out_typed: list[bool] = []
    out_heavy: list[bool] = []
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
            out_typed.append(bool(fixed and fixed[n]))
            out_heavy.append(bool(bold and bold[n]))
    while out and out[-1] == " ":
        out.pop()
        out_boxes.pop()
        out_typed.pop()
        out_heavy.pop()
    if not out:
        return None
    array = np.array(out_boxes, dtype=np.float32)
    size = _dominant(sizes) or float(np.nanmedian(array[:, 3] - array[:, 1]))
    typed = np.array(out_typed, dtype=bool) if fixed is not None else None
    heavy = np.array(out_heavy, dtype=bool) if bold is not None else None
    return _with_cells(Line("".join(out), array, size, _dominant(weights) or 400.0, typed=typed, heavy=heavy))


def rejoin(lines: list[Line]) -> list[Line]:
    """Lines that PDFium split within one printed line put back together: a footnote mark or an exponent
    raised above the line, and the rest of the line after it ("Wikibooks LaTeX" "1" ", a collaborative ...");
    a section's number and its title ("11" "Hints and caveats"). A piece joins the line before it when it
    starts just after it ends (less than a word space and a half away: a column gutter is wider) on the same
    baseline, or raised and smaller, or after a section number in its font within three font sizes."""
    out: list[Line] = []
    for line in lines:
        previous = out[-1] if out else None
        if previous is not None and _continues_line(previous, line):
            out[-1] = _joined(previous, line)
        else:
            out.append(line)
    return out


def _continues_line(a: Line, b: Line) -> bool:
    gap = b.x0 - a.x1
    if _NUMBERED.match(a.chars) and -0.1 * a.size < gap < 3 * a.size and abs(b.base - a.base) < 0.25 * a.size:
        return abs(b.size - a.size) < 0.2 * a.size  # a section's number and its title, set a quad apart
    script = b.size < 0.85 * a.size and (
        a.top - 0.2 * a.size < b.bottom < a.base - 0.2 * a.size  # raised: a footnote mark, an exponent
        or (a.top < b.top < a.base < b.bottom)  # lowered: an index, standing under an exponent before it
    )
    if _MARK.fullmatch(a.chars) and _raised_before(a, b):
        return -0.1 * b.size < gap < 0.9 * b.size  # a footnote's raised mark, set a space before its text (texinfo)
    if not (-0.5 if script else -0.1) * a.size < gap < 0.6 * a.size:
        return False
    if abs(b.base - a.base) < 0.25 * a.size and abs(b.size - a.size) < 0.2 * a.size:
        return True
    return script or _raised_before(a, b)


def _raised_before(a: Line, b: Line) -> bool:
    """Whether ``a`` is set smaller than ``b`` and raised above its baseline: a mark or an exponent before it."""
    return a.size < 0.85 * b.size and b.top - 0.2 * b.size < a.bottom < b.base - 0.2 * b.size


def _joined(a: Line, b: Line) -> Line:
    space = b.x0 - a.x1 > 0.2 * max(a.size, b.size)  # a word space, not a kerning gap
    chars = a.chars + (" " if space else "") + b.chars
    boxes = np.concatenate([a.boxes, np.full((1 if space else 0, 4), np.nan, np.float32), b.boxes])
    gap = np.zeros(1 if space else 0, bool)
    typed = None if a.typed is None or b.typed is None else np.concatenate([a.typed, gap, b.typed])
    heavy = None if a.heavy is None or b.heavy is None else np.concatenate([a.heavy, gap, b.heavy])
    main = a if len(a.chars) >= len(b.chars) else b
    return _with_cells(Line(chars, boxes, main.size, main.weight, typed=typed, heavy=heavy))


def _with_cells(line: Line) -> Line:
    line.cells = _cells(line)
    return line


def only_wide_gaps(line: Line) -> list[int]:
    """Where its words start, for a line whose every gap is wide enough to part table cells: the cells of a row
    that ``_cells`` cannot tell from a justified line's words, having no word gap to compare its gaps with
    ("\\MakeUppercase{\\NoCaseChange{iPhone}}   iPhone"); empty for any other line."""
    gaps, logos = _gaps(line)
    wide = _wide(line, gaps)
    return [i for i, _ in wide] if wide and len(wide) == len(gaps) and not logos else []


def _gaps(line: Line) -> tuple[list[tuple[int, float]], int]:
    """The gaps between words (the index of the word after each, its width), and how many follow a logo boxed
    too narrow (word gaps, whatever their width)."""
    gaps: list[tuple[int, float]] = []
    logos = 0
    previous_end = None
    for i, ch in enumerate(line.chars):
        if ch == " " or np.isnan(line.boxes[i, 0]):
            continue
        if previous_end is not None and i > 0 and line.chars[i - 1] == " ":
            if _boxed_too_narrow(line, i - 1):
                logos += 1
            else:
                gaps.append((i, float(line.boxes[i, 0] - previous_end)))
        previous_end = line.boxes[i, 2]
    return gaps, logos


def _wide(line: Line, gaps: list[tuple[int, float]]) -> list[tuple[int, float]]:
    wide = [(i, g) for i, g in gaps if g > CELL_GAP * line.size]
    if wide and _numbered_heading(line.chars, wide[0][0]):
        wide = wide[1:]  # a section number and its title, alone or as a table's first cell ("3.3 Font expansion")
    return wide


def figures_row(text: str) -> bool:
    """Whether most of a line's words hold digits: a table's row of figures."""
    words = text.split()
    return sum(any(ch.isdigit() for ch in word) for word in words) * 2 >= len(words)


def _dominant(values: list[float]) -> float:
    real = [round(v, 1) for v in values if v > 1.5]
    return Counter(real).most_common(1)[0][0] if real else 0.0


def _numbered_heading(text: str, cut: int) -> bool:
    """Whether a line with one wide gap at ``cut`` is a section number and its title ("5   Document Structure")."""
    return _NUMBERED.match(text[:cut]) is not None and _FIGURES.match(text[cut:]) is None


def _boxed_too_narrow(line: Line, end: int) -> bool:
    """Whether the three characters before ``end`` have one and the same narrow box: text a PDF gives in place
    of a drawing (a TeX logo's ActualText, whose letters PDFium spreads over part of the logo's width: "TeX" in
    microtype.pdf is 1.65 pt a letter at 9 pt, and 12 pt of the logo are left as a gap after it)."""
    widths = line.boxes[max(end - 3, 0) : end, 2] - line.boxes[max(end - 3, 0) : end, 0]
    return widths.size == 3 and bool(np.ptp(widths) < 0.01 and widths.max() < 0.3 * line.size)


def _cells(line: Line) -> list[int]:
    """Where a table cell starts (the index of its first character), from the gaps between words.

    A gap wider than ``CELL_GAP`` font sizes separates cells when the line also has ordinary word gaps
    (each under half as wide), or when every gap is wide and most words hold digits (a row of figures).
    A line whose gaps are all wide and even is justified prose, not a table row.
    """
    gaps, logos = _gaps(line)
    wide = _wide(line, gaps)
    if not wide:
        return []
    normal = [g for _, g in gaps if g <= CELL_GAP * line.size] + [0.0] * logos
    if normal:
        return [i for i, g in wide if g > 2 * max(normal)]
    return [i for i, _ in wide] if figures_row(line.chars) else []
