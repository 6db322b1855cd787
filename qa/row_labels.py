"""A table row's label wrapped over several lines, put back into its row.

A narrow first column wraps a long label ("Total Professional Service and / Other Revenues"), and the row's
figures stand level with one of its lines (often the middle): the label's other lines come out as lines of their
own, and a row whose figures are level with none of them has no label at all. A label line (no cells, in the
first column: the labels' left edge, ending before the first figure) joins a row when it is level with the row's
figures; the lines next to it join too while the label stays centred on the figures and its lines evenly spaced
(the next cell's label starts a little further down). A label line level with no row (a sub-heading of the
table) stays a line of its own.
"""

from __future__ import annotations

import itertools

import numpy as np

from qa.lines import Line

EDGE = 3.0  # points: lines whose left edges differ by less stand in the same column
CENTRED = 0.25  # font sizes: a label whose middle is this near the figures' is centred on them
PITCH = 1.0  # points: one cell's lines are this evenly spaced; the next cell starts 1.5 to 2 points further
_SPACE = np.full((1, 4), np.nan, dtype=np.float32)


def attach_row_labels(lines: list[Line]) -> list[Line]:
    """The page's lines with each wrapped row label merged into its row (reading order is decided later)."""
    rows = [ln for ln in lines if ln.cells]
    if not rows:
        return lines
    taken: set[int] = set()
    merged: dict[int, Line] = {}
    for row in rows:
        label_edge, first_figure = _columns(row, rows)
        if label_edge is None:
            continue
        block = _label_block(row, lines, label_edge, first_figure, taken)
        if block:
            taken.update(id(ln) for ln in block)
            merged[id(row)] = _merge(block, row, labelled=_has_label(row))
    if not merged:
        return lines
    return [merged.get(id(ln), ln) for ln in lines if id(ln) not in taken]


def _columns(row: Line, rows: list[Line]) -> tuple[float | None, float]:
    """Where the table's labels start, and where this row's figures do (None: no label column found)."""
    if _has_label(row):  # its left edge is the labels'
        return row.x0, float(row.boxes[row.cells[0]][0])
    # a row of figures only: the labels' edge is that of a labelled row whose figures start in line with its own
    labelled = [r for r in rows if _has_label(r) and abs(float(r.boxes[r.cells[0]][0]) - row.x0) < EDGE]
    return (min(r.x0 for r in labelled), row.x0) if labelled else (None, row.x0)


def _has_label(row: Line) -> bool:
    """Whether the row's first cell is words (a label), not a figure."""
    return any(ch.isalpha() for ch in row.chars[: row.cells[0]])


def _label_block(row: Line, lines: list[Line], edge: float, first_figure: float, taken: set[int]) -> list[Line]:
    """The label lines that belong to ``row``: those level with its figures, then the lines next to them (or to
    the row's own label) while the label stays centred on the figures and its lines evenly spaced."""

    figures = _figures(row)
    others = [_figures(r) for r in lines if r.cells and r is not row]

    def is_label(ln: Line) -> bool:
        """A line of words in the labels' column, not level with another row's figures (that row's label)."""
        return (not ln.cells and id(ln) not in taken and abs(ln.x0 - edge) < EDGE and ln.x1 < first_figure - EDGE
                and len(ln.chars) <= 80 and not any(_level(ln, other) for other in others))  # fmt: skip

    labels = sorted((ln for ln in lines if is_label(ln)), key=lambda ln: ln.top)
    own = [_Extent.of(row.boxes[: len(row.chars[: row.cells[0]].rstrip())])] if _has_label(row) else []
    block = [ln for ln in labels if _level(ln, figures)]
    if not block and not own:
        return []

    def off(candidate: list[Line]) -> float:
        extents = [_Extent.of(ln.boxes) for ln in candidate] + own
        return abs((min(e.top for e in extents) + max(e.bottom for e in extents)) / 2 - figures.middle)

    def even(candidate: list[Line]) -> bool:
        bases = sorted([_Extent.of(ln.boxes).base for ln in candidate] + [e.base for e in own])
        pitches = [b - a for a, b in itertools.pairwise(bases)]
        return not pitches or max(pitches) - min(pitches) <= PITCH

    while True:
        extents = [_Extent.of(ln.boxes) for ln in block] + own
        top, bottom = min(e.top for e in extents), max(e.bottom for e in extents)
        above = [ln for ln in labels if ln.bottom <= top + 1 and top - ln.bottom <= 0.6 * row.size]
        below = [ln for ln in labels if ln.top >= bottom - 1 and ln.top - bottom <= 0.6 * row.size]
        up = next((ln for ln in reversed(above) if not _crosses_a_row(ln, top, row, lines)), None)
        down = next((ln for ln in below if not _crosses_a_row(ln, bottom, row, lines)), None)
        options = [[x for x in o if x is not None] for o in ([up], [down], [up, down]) if None not in o]
        options = [block + o for o in options if even(block + o)]
        best = min(options, key=lambda o: (off(o), -len(o)), default=None)  # the most centred, then the longest
        if best is None or off(best) > off(block) + CENTRED * row.size:
            return sorted(block, key=lambda ln: ln.top)
        block = best


def _figures(row: Line) -> _Extent:
    """Where a row's figures stand (its cells after the label, or all of them in a row without one)."""
    return _Extent.of(row.boxes[row.cells[0] if _has_label(row) else 0 :])


def _level(line: Line, figures: _Extent) -> bool:
    """Whether a line stands level with a row's figures (overlapping them by more than a point)."""
    return line.top < figures.bottom - 1 and line.bottom > figures.top + 1


class _Extent:
    """Where some characters stand vertically: their top, bottom, middle and baseline."""

    def __init__(self, top: float, bottom: float, base: float) -> None:
        self.top, self.bottom, self.base = top, bottom, base
        self.middle = (top + bottom) / 2

    @staticmethod
    def of(boxes: np.ndarray) -> _Extent:
        return _Extent(float(np.nanmin(boxes[:, 1])), float(np.nanmax(boxes[:, 3])), float(np.nanmedian(boxes[:, 3])))


def _crosses_a_row(label: Line, edge: float, row: Line, lines: list[Line]) -> bool:
    """Whether another row stands between a label line and the label it would join (then it labels that row)."""
    top, bottom = sorted((edge, label.bottom if label.bottom <= edge else label.top))
    return any(ln.cells and ln is not row and ln.top < bottom and ln.bottom > top for ln in lines)


def _merge(block: list[Line], row: Line, labelled: bool) -> Line:
    """One row: the label's lines top to bottom (the row's own label part among them), then its figures."""
    pieces = [(ln.top, ln.chars, ln.boxes) for ln in block]
    figures = row.cells[0] if labelled else 0  # where the row's figures start in its characters
    if labelled:
        own = row.chars[:figures].rstrip()
        pieces.append((row.top, own, row.boxes[: len(own)]))
    pieces.sort(key=lambda piece: piece[0])
    chars: list[str] = []
    boxes: list[np.ndarray] = []
    for n, (_, text, box) in enumerate(pieces):
        chars.append(text)
        boxes.append(box)
        broken = text.endswith("-") and n + 1 < len(pieces) and pieces[n + 1][1][:1].islower()
        if not broken:  # a label word broken at its line end ("inter-" / "country") is joined, hyphen kept
            chars.append(" ")
            boxes.append(_SPACE)
    start = sum(len(c) for c in chars)  # the first figure's place in the merged line
    chars.append(row.chars[figures:])
    boxes.append(row.boxes[figures:])
    cells = [start, *(start + c - figures for c in row.cells if c > figures)]
    return Line("".join(chars), np.concatenate(boxes), row.size, row.weight, cells)
