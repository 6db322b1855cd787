"""Floats that interrupt a paragraph: a figure or table that LaTeX set at the top of the next column or page,
between a paragraph's first lines and the rest of it (``qa.readers.layout`` calls ``floats_after_paragraphs``
on the columns of all pages, in reading order).

tugboat-guide.pdf ends its left column with "... which is defined in the classes. The visual", sets its table
of logos and "Figure 1: A few of the provided acronyms and logos" at the top of the right column, and goes on
"appearance of all-caps sequences ... Therefore, the \\acro command typesets its argument one point size
smaller": read in order, the sentence was cut in two by the table and the answer lost its subject. The float's
lines now follow the paragraph they interrupt.
"""

from __future__ import annotations

import re

from qa.readers.lines import Line

FLOAT_LINES = 60  # at most this many lines before the paragraph goes on (a float is at most a column high)
_CAPTION = re.compile(r"(?:Figure|Fig\.|Table|Tab\.|Listing|Algorithm)\s*[\dIVX]+[.:]?(?:\s|$)", re.IGNORECASE)
_OPEN_END = re.compile(r"[\w,;–—-]$")  # a line that leaves its sentence open


def floats_after_paragraphs(columns: list[list[Line]]) -> list[list[Line]]:
    """Each column's lines, where a column opens with a float (lines with a caption) between the end of the
    previous column's last paragraph, its sentence open, and its lower-case continuation: with the float's
    lines moved after that paragraph."""
    out: list[list[Line]] = []
    previous: Line | None = None
    for column in columns:
        moved = _moved(previous, column)
        out.append(moved)
        if moved:
            previous = moved[-1]
    return out


def _moved(before: Line | None, column: list[Line]) -> list[Line]:
    if before is None or before.cells or len(before.chars.split()) < 3 or not _OPEN_END.search(before.chars.rstrip()):
        return column
    if column and _continuation(column[0], before, None):
        return column  # the paragraph goes on at once
    goes_on = next(
        (n for n, ln in enumerate(column[:FLOAT_LINES]) if n and _continuation(ln, before, column[n - 1])), None
    )
    if goes_on is None:
        return column
    float_lines = column[:goes_on]
    if not any(_CAPTION.match(ln.chars) for ln in float_lines):
        return column  # no caption: not a float (a display, a listing, a list, ...)
    end = _paragraph_end(column, goes_on)
    return column[goes_on:end] + float_lines + column[end:]


def _continuation(line: Line, before: Line, above: Line | None) -> bool:
    """A line that can go on with ``before``'s sentence: prose in its size, starting in lower case, set apart
    from the float above it (LaTeX leaves \\textfloatsep, about 20 pt; a caption's or a cell's next line is
    closer)."""
    return (
        not line.cells and line.chars[:1].islower() and abs(line.size - before.size) < 0.5
        and (above is None or line.top - above.bottom > line.size)
    )  # fmt: skip


def _paragraph_end(column: list[Line], start: int) -> int:
    """The index after the last line of the paragraph that starts at ``start``: its last line ends a sentence
    and the next line is set apart (indented, lower down than the line spacing, or in another size)."""
    for n in range(start, len(column) - 1):
        line, after = column[n], column[n + 1]
        if line.chars.rstrip()[-1:] not in ".!?:":
            continue
        pitch = after.base - line.base
        indented = after.x0 - column[start].x0 > 0.8 * line.size
        if indented or pitch > 1.6 * line.size or abs(after.size - line.size) >= 0.5 or after.cells:
            return n + 1
    return len(column)
