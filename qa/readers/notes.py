"""Notes beside and below a page's text: margin notes (a package manual names the command a paragraph describes
in the margin beside it) and footnotes (small print at a column's foot). Both are kept, out of the way of the
paragraph they stand beside or interrupt (``qa.readers.layout`` calls these on each page's columns).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from qa.readers.lines import Line

# a contents line's page number, figures or roman only: layout's running-page pattern also takes "(20)" and "- 7 -",
# which in examdoc.pdf's margins are notes (a question's points)
_PAGE_NUMBER = re.compile(r"\d{1,4}|[ivxlc]{1,8}")
_LABEL = re.compile(r"[•‣◦▪∙–—*-]|\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]+)[.):]|\[\d{1,3}\]|\d+(?:\.\d+)*")  # item, section


def margin_notes(lines: list[Line], body_size: float) -> list[Line]:
    """A one-column page's lines with the notes in its margins marked (split from a text line they run into):
    a package manual names the command a paragraph describes beside it. The text's edges are where most lines
    of body text start and where the longer ones end."""
    body = [ln for ln in lines if abs(ln.size - body_size) < 0.5 and not ln.cells and len(ln.chars) > 40]
    if len(body) < 5:
        return lines
    left = float(np.median([ln.x0 for ln in body]))
    right = float(np.percentile([ln.x1 for ln in body], 90))
    out = []
    for line in lines:
        if line.size > body_size * 1.12:  # a heading, its number hanging in the margin ("11  Hints and caveats")
            out.append(line)
            continue
        for piece in _split_at_margins(line, left, right):
            if piece.x1 < left - 0.5 * piece.size or piece.x0 > right + 0.5 * piece.size:
                piece = replace(piece, note=True)
            out.append(piece)
    return out


def _split_at_margins(line: Line, left: float, right: float) -> list[Line]:
    """The line cut where it passes from a margin into the text or out of it, at a space."""
    gap = line.size  # a note stands more than a font size from the text (1.1 to 3 measured in ltxdoc manuals)
    if line.mono >= 0.9:  # a listing's line, set out of the text's edges (DocBook) but no note
        return [line]
    if line.x0 < left - gap < left + 3 * gap < line.x1:
        cut = _first_at(line, lambda box: box[0] >= left - 0.5 * gap)
    elif line.x1 > right + gap > right - 3 * gap > line.x0:
        cut = _first_at(line, lambda box: box[0] > right + 0.5 * gap)
    else:
        return [line]
    if cut is None:
        return [line]
    pieces = [p for p in (line.part(0, cut), line.part(cut, len(line.chars))) if p is not None]
    if len(pieces) < 2 or pieces[1].x0 - pieces[0].x1 < gap or _LABEL.fullmatch(pieces[0].chars):
        return [line]  # a list item's label or a section's number hanging in the margin ("4.", "(b)", "2.1")
    if _PAGE_NUMBER.fullmatch(pieces[1].chars) and pieces[1].x1 > right - gap:
        return [line]  # a table of contents' entry and its page number at the right edge ("Print   127"), set
        # at the page's edge while the subsections under it are indented (gnuplot.pdf)
    return pieces


def _first_at(line: Line, where: Callable[[np.ndarray], bool]) -> int | None:
    """The index of the first word (after a space) whose first character's box is ``where``."""
    for i in range(1, len(line.chars)):
        if line.chars[i - 1] == " " and line.chars[i] != " " and where(line.boxes[i]):
            return i
    return None


def footnotes_last(columns: list[list[Line]], body_size: float) -> list[list[Line]]:
    """A column's footnotes (its last lines, set smaller than the text) moved after the page's last column, so
    that a paragraph cut by the column break goes on in the next column and no note interrupts it."""
    if len(columns) < 2:
        return columns
    notes: list[Line] = []
    out = []
    for n, column in enumerate(columns):
        cut = len(column)
        while cut and column[cut - 1].size < body_size * 0.9:
            cut -= 1
        if n < len(columns) - 1 and 0 < cut < len(column) and abs(column[cut - 1].size - body_size) < 0.5:
            notes.extend(column[cut:])
            column = column[:cut]
        out.append(column)
    return [*out, notes] if notes else out
