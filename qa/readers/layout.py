"""Page layout to text: lines with boxes and fonts become paragraphs, headings and table rows.

Shared by the PDF reader (characters from PDFium) and OCR (words from tesseract): both give each page
as ``Line``s in the order the page lists them, with positions in points from the top-left corner.
``assemble`` then

- drops running headers and footers: lines in the page's top or bottom band (or standing alone first or last
  within its outer quarter) that repeat on other pages (digits aside), that are a page number, or, on a
  one-page document, that are set smaller than the text; and rules drawn with characters;
- puts a table row's label wrapped over several lines back into its row (``qa.readers.row_labels``), and
  takes the cells out of a line with a wide gap where no table stands;
- orders lines for reading (a page with two columns: full-width lines above, the left column, the right
  column, full-width lines below; only where the two columns stand side by side, wherever the gutter is);
  moves footnotes after the columns and marks margin notes (``qa.readers.notes``), and a figure or table set
  at the top of a column inside a paragraph after that paragraph (``qa.readers.floats``);
- joins a paragraph's lines with a space, and a word hyphenated at a line end without its hyphen (the rule:
  a line ending in letter + "-" followed by a line starting with a lower-case letter, unless the document
  writes that compound with its hyphen more often); where a paragraph ends: ``qa.readers.paragraphs``;
- marks headings by font: larger than the body text, or bolder and short (by PDFium's weight, or by a face
  whose name says bold where PDFium weighs it like the body; never "a short first line");
- keeps table rows (lines with wide gaps between cells) one a line, cells separated by " | ".

Paragraphs are separated by a blank line; a table's rows by a line break.

Text is NFKC-normalised (ligatures, full-width forms) and soft hyphens are removed. Every character of the
result has a box on its page (NaN for the spaces and separators the assembly inserts).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import replace

from qa.readers.floats import floats_after_paragraphs
from qa.readers.lines import Layout, Line, Page, figures_row, make_line, only_wide_gaps
from qa.readers.notes import footnotes_last, margin_notes
from qa.readers.paragraphs import ParagraphWriter, Style
from qa.readers.row_labels import attach_row_labels

__all__ = ["Layout", "Line", "Page", "assemble", "make_line"]
BAND = 0.08  # share of the page height at the top and bottom where running headers and footers sit
OUTER_BAND = 0.25  # ... and where the page's first or last line, set apart from the rest, may still be one
_RULE = re.compile(r"^\s*([-=_*~.·•⋄#+])(\s*\1){3,}\s*$")  # four or more: "..." is an ellipsis
PAGE_PROSE = 1000  # characters of prose on a page for its own body style to count
_PAGE_NUMBER = re.compile(r"^\W*(page\s*)?(\d+|[ivxlc]+)(\s*(/|of)\s*\d+)?\W*$", re.IGNORECASE)


def assemble(pages: list[Page]) -> Layout:
    """The document's text from its pages' lines (see the module's docstring for the rules)."""
    body = _body_style(pages)
    kept = [
        _rows_in_tables(attach_row_labels(_aligned_rows(_without_rules(lines))))
        for lines in _drop_running(pages, body.size)
    ]
    styles = _page_styles(pages, body)
    ordered = []
    for page, lines, style in zip(pages, kept, styles, strict=True):
        columns = _reading_order(page, lines)
        if len(columns) == 1:
            columns = [margin_notes(columns[0], style.size)]
        ordered.append(footnotes_last(columns, style.size))
    return ParagraphWriter(body).write(pages, _floats_after_paragraphs(ordered), styles)


def _floats_after_paragraphs(pages: list[list[list[Line]]]) -> list[list[list[Line]]]:
    """Each page's columns with a float that interrupts a paragraph moved after it (``qa.readers.floats``)."""
    moved = iter(floats_after_paragraphs([column for columns in pages for column in columns]))
    return [[next(moved) for _ in columns] for columns in pages]


def _without_rules(lines: list[Line]) -> list[Line]:
    """The lines that are not rules drawn with characters ("--------", "=====", "* * *")."""
    return [ln for ln in lines if not _RULE.match(ln.chars)]


def _rows_in_tables(lines: list[Line]) -> list[Line]:
    """Lines keep their table cells only where a table stands: another line with cells next to them, or a row of
    figures. A wide gap inside a line of prose (a logo's raised letters, a justified line) is not a cell."""
    rows = [ln for ln in lines if ln.cells]
    if not rows:
        return lines
    kept = []
    for line in lines:
        if line.cells and not figures_row(line.chars) and not any(
            other is not line and max(other.top - line.bottom, line.top - other.bottom) < 2.5 * line.size
            and other.x0 < line.x1 and line.x0 < other.x1 for other in rows
        ):  # fmt: skip
            line = replace(line, cells=[])
        kept.append(line)
    return kept


def _aligned_rows(lines: list[Line]) -> list[Line]:
    """The lines, those whose gaps are all wide given cells where they stand level with a table row's
    (``_aligned_cells``), before the rows' wrapped labels are put back."""
    rows = [ln for ln in lines if ln.cells]
    return [ln if ln.cells or not rows else _aligned_cells(ln, rows) for ln in lines]


def _aligned_cells(line: Line, rows: list[Line]) -> Line:
    """The line with cells where its gaps, all wide, open a word level with a cell of a table row next to it: the
    next row of a two-column table, whose one gap has no word gap beside it to tell it from a justified line's
    (usrguide.pdf's "\\MakeUppercase{\\NoCaseChange{iPhone}}   iPhone" under "... c$}   SOME TEXT y = mx + c")."""
    gaps = only_wide_gaps(line)
    if not gaps:
        return line
    starts = [
        float(row.boxes[c, 0]) for row in rows
        if max(row.top - line.bottom, line.top - row.bottom) < 2.5 * line.size and row.x0 < line.x1 and line.x0 < row.x1
        for c in row.cells
    ]  # fmt: skip
    aligned = [i for i in gaps if any(abs(float(line.boxes[i, 0]) - x) < 0.5 * line.size for x in starts)]
    return replace(line, cells=aligned) if aligned else line


def _body_style(pages: list[Page]) -> Style:
    sizes: Counter[float] = Counter()
    weights: Counter[float] = Counter()
    pitches: list[float] = []
    bold = 0.0
    for page in pages:
        page_sizes, page_weights, page_pitches, page_bold = _prose_fonts(page.lines)
        sizes.update(page_sizes)
        weights.update(page_weights)
        pitches += page_pitches
        bold += page_bold
    size = sizes.most_common(1)[0][0] if sizes else 10.0
    weight = weights.most_common(1)[0][0] if weights else 400.0
    usual = [p for p in pitches if 0.8 < p < 2.5]
    total = sum(sizes.values())
    return Style(size, weight, statistics.median(usual) if usual else 1.2, bold / total if total else 0.0)


def _page_styles(pages: list[Page], body: Style) -> list[Style]:
    """Each page's body text: the document's, or the page's own where a whole page of prose is set in another
    size or weight. dblatex sets its release notes in 10 pt (weight 425) and their longer change log in 9 pt
    (205): against the document's 9 pt every line of the notes was "bolder", a heading of its own."""
    styles = []
    for page in pages:
        sizes, weights, _, bold = _prose_fonts(page.lines)
        total = sum(sizes.values())
        style = body
        if total >= PAGE_PROSE and sizes and weights:
            (size, by_size), (weight, by_weight) = sizes.most_common(1)[0], weights.most_common(1)[0]
            if (size, weight) != (body.size, body.weight) and min(by_size, by_weight) >= 0.6 * total:
                style = Style(size, weight, body.pitch, bold / total)
        styles.append(style)
    return styles


def _prose_fonts(lines: list[Line]) -> tuple[Counter[float], Counter[float], list[float], float]:
    """The font sizes and weights of the prose among ``lines``, counted by character, its line pitches, and how
    many of its characters are set in faces named bold."""
    sizes: Counter[float] = Counter()
    weights: Counter[float] = Counter()
    pitches: list[float] = []
    bold = 0.0
    previous = None
    for line in lines:
        if line.cells or line.mono > 0.5:  # table rows are often set smaller, code listings in another
            continue  # font: the body is the prose
        sizes[round(line.size, 1)] += len(line.chars)
        weights[round(line.weight)] += len(line.chars)
        bold += line.bold * len(line.chars)
        if previous is not None and abs(previous.size - line.size) < 0.5 and line.base > previous.base:
            pitches.append((line.base - previous.base) / line.size)
        previous = line
    return sizes, weights, pitches, bold


def _shape(text: str) -> str:
    """What a running header or footer keeps from page to page: its first letters (page numbers and dates
    change; OCR may misread a character or two further on)."""
    letters = re.sub(r"[^a-z]", "", text.lower())
    return letters[:16] if len(letters) >= 4 else re.sub(r"\d+", "#", " ".join(text.split()))


def _band_lines(page: Page) -> list[Line]:
    """The page's lines that stand where running heads and footers do: in its top or bottom band, or
    alone above or below all its other text within a wider one (LaTeX's folio on A4 stands 17% above the foot)."""
    found = {id(ln) for ln in page.lines if _in_band(page, ln)}
    by_top = sorted(page.lines, key=lambda ln: ln.top)
    by_bottom = sorted(page.lines, key=lambda ln: ln.bottom)
    if len(by_top) >= 2:
        first, second = by_top[0], by_top[1]  # the page's first line, set apart from the next
        if first.bottom < page.height * OUTER_BAND and second.top > first.bottom + 1.5 * first.size:
            found.add(id(first))
        last, before = by_bottom[-1], by_bottom[-2]
        if last.top > page.height * (1 - OUTER_BAND) and before.bottom < last.top - 1.5 * last.size:
            found.add(id(last))
    return [ln for ln in page.lines if id(ln) in found]


def _in_band(page: Page, line: Line) -> bool:
    """Whether a line is in the page's narrow top or bottom band."""
    return line.bottom < page.height * BAND or line.top > page.height * (1 - BAND)


def _drop_running(pages: list[Page], body_size: float) -> list[list[Line]]:
    """Each page's lines without its running header, footer and page number.

    A line in the top or bottom band is running when its shape repeats on other pages, when it is a page
    number, when it carries the page's own number (as printed: "Chapter 4: Reference 10" on page 12 of a
    file whose numbering starts two pages in), or, in a one-page document, when it is set smaller than the text.
    """
    counts: Counter[str] = Counter()
    offsets: Counter[int] = Counter()  # PDF page index minus the number a band line carries
    bands = [_band_lines(page) for page in pages]
    for index, band in enumerate(bands):
        counts.update({_shape(line.chars) for line in band})
        offsets.update({index - n for line in band for n in _folios(line.chars)})
    repeated = 2 if len(pages) <= 4 else 3  # a chapter's running title repeats on its pages only
    numbering = {offset for offset, count in offsets.items() if count >= repeated}
    kept = []
    for index, (page, band) in enumerate(zip(pages, bands, strict=True)):
        lines = []
        for line in page.lines:
            running = line in band and (
                counts[_shape(line.chars)] >= repeated
                or _PAGE_NUMBER.match(line.chars) is not None
                or any(index - n in numbering for n in _folios(line.chars))
                or (len(pages) == 1 and line.size < body_size * 0.9 and _in_band(page, line))
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


def _gutter(page: Page, lines: list[Line]) -> float:
    """Where two columns would divide: the page's middle, or a clear gutter near the middle of the text that
    no more than two lines cross (a paper's text block is often off the page's centre)."""
    if len(lines) < 6:
        return page.width / 2
    low, high = min(ln.x0 for ln in lines), max(ln.x1 for ln in lines)
    best: tuple[int, float, float] | None = None
    for step in range(41):
        x = low + (high - low) * (0.3 + 0.4 * step / 40)
        crossing = sum(ln.x0 < x < ln.x1 for ln in lines)
        key = (crossing, abs(x - (low + high) / 2), x)
        best = key if best is None or key < best else best
    assert best is not None
    return best[2] if best[0] <= 2 else page.width / 2


def _reading_order(page: Page, lines: list[Line]) -> list[list[Line]]:
    """The page's lines as columns in reading order (one column unless the page has two)."""
    middle = _gutter(page, lines)
    left = [ln for ln in lines if ln.x1 < middle]
    right = [ln for ln in lines if ln.x0 > middle]
    if len(left) < 3 or len(right) < 3:
        return [lines] if lines else []
    top = max(min(ln.top for ln in left), min(ln.top for ln in right))
    bottom = min(max(ln.bottom for ln in left), max(ln.bottom for ln in right))
    if bottom <= top:  # the two sides do not stand side by side
        return [lines]
    # The columns run between the full-width lines nearest above and below the height where both sides have
    # text: a short line that ends a paragraph above them (left of the middle, as a column's line would be)
    # stays where it stands, and a column longer than the other keeps its foot.
    spanning = [ln for ln in lines if ln.x0 <= middle <= ln.x1]
    upper = max((ln.bottom for ln in spanning if ln.bottom <= top), default=-math.inf)
    lower = min((ln.top for ln in spanning if ln.top >= bottom), default=math.inf)
    above = [ln for ln in lines if ln.bottom <= upper]
    below = [ln for ln in lines if ln.top >= lower and ln not in above]
    band = [ln for ln in lines if ln not in above and ln not in below]
    band_left = [ln for ln in band if ln.x1 < middle]
    band_right = [ln for ln in band if ln.x0 > middle]
    inside = [ln for ln in band if ln.x0 <= middle <= ln.x1]
    if len(band_left) < 3 or len(band_right) < 3 or len(inside) > 2:  # not two columns side by side
        return [lines]
    left_column = sorted([*band_left, *inside], key=lambda ln: ln.top)
    return [x for x in (sorted(above, key=lambda ln: ln.top), left_column, sorted(band_right, key=lambda ln: ln.top),
                        sorted(below, key=lambda ln: ln.top)) if x]  # fmt: skip
