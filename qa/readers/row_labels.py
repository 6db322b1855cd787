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

import functools
import itertools

import numpy as np

from qa.readers.lines import Line

EDGE = 3.0  # points: lines whose left edges differ by less stand in the same column
CENTRED = 0.25  # font sizes: a label whose middle is this near the figures' is centred on them
PITCH = 1.0  # points: one cell's lines are this evenly spaced; the next cell starts 1.5 to 2 points further
_SPACE = np.full((1, 4), np.nan, dtype=np.float32)


def attach_row_labels(lines: list[Line]) -> list[Line]:
    """The page's lines with each wrapped row label merged into its row (reading order is decided later)."""
    rows = [ln for ln in lines if ln.cells]
    if not rows:
        return lines
    table = _Table(lines, rows)
    taken: set[int] = set()
    merged: dict[int, Line] = {}
    for row in rows:
        block = table.label_block(row, taken)
        if block:
            taken.update(id(ln) for ln in block)
            merged[id(row)] = _merge(block, row, labelled=_has_label(row))
    if not merged:
        return lines
    return [merged.get(id(ln), ln) for ln in lines if id(ln) not in taken]


def _has_label(row: Line) -> bool:
    """Whether the row's first cell is words (a label), not a figure."""
    return any(ch.isalpha() for ch in row.chars[: row.cells[0]])


class _Span:
    """Where part of a row stands (its figures, or its own label), measured as a whole line is (``Line``)."""

    def __init__(self, boxes: np.ndarray) -> None:
        self.boxes = boxes
        low, high = np.nanmin(boxes, 0).tolist(), np.nanmax(boxes, 0).tolist()
        self.x0, self.top, self.bottom = low[0], low[1], high[3]
        self.middle = (self.top + self.bottom) / 2

    @functools.cached_property
    def base(self) -> float:
        return float(np.nanmedian(self.boxes[:, 3]))


def _level(line: Line, figures: _Span) -> bool:
    """Whether a line stands level with a row's figures (overlapping them by more than a point, top to bottom)."""
    return line.top < figures.bottom - 1 and line.bottom > figures.top + 1


class _Table:
    """A page's rows and lines of words: where each row's figures stand, and which rows each line is level with."""

    def __init__(self, lines: list[Line], rows: list[Line]) -> None:
        self.rows = rows
        self.labelled = {id(r): _has_label(r) for r in rows}
        self.figures = {id(r): _Span(r.boxes[r.cells[0] if self.labelled[id(r)] else 0 :]) for r in rows}
        words = (ln for ln in lines if not ln.cells and len(ln.chars) <= 80)
        self.words = sorted(words, key=lambda ln: ln.top)
        # a line level with a row's figures is that row's label: no other row's
        self.level_with = {id(w): [r for r in rows if _level(w, self.figures[id(r)])] for w in self.words}

    def columns(self, row: Line) -> tuple[float | None, float]:
        """Where the labels start, and where this row's figures do (None: no label column found)."""
        figures = self.figures[id(row)].x0
        if self.labelled[id(row)]:
            return row.x0, figures
        # a row of figures only: the labels' edge is that of a labelled row whose figures start in line with its own
        edges = [r.x0 for r in self.rows
                 if self.labelled[id(r)] and abs(self.figures[id(r)].x0 - figures) < EDGE]  # fmt: skip
        return (min(edges), figures) if edges else (None, figures)

    def label_block(self, row: Line, taken: set[int]) -> list[Line]:
        """The label lines that belong to ``row``: those level with its figures, then the lines next to them (or to
        the row's own label) while the label stays centred on the figures and its lines evenly spaced."""
        edge, first_figure = self.columns(row)
        if edge is None:
            return []
        labels = [
            w for w in self.words
            if id(w) not in taken and abs(w.x0 - edge) < EDGE and w.x1 < first_figure - EDGE
            and all(r is row for r in self.level_with[id(w)])
        ]  # fmt: skip
        figures = self.figures[id(row)]
        own = [_Span(row.boxes[: len(row.chars[: row.cells[0]].rstrip())])] if self.labelled[id(row)] else []
        block = [w for w in labels if self.level_with[id(w)]]
        if not block and not own:
            return []

        def extents(candidate: list[Line]) -> list[Line | _Span]:
            return [*candidate, *own]

        def off(candidate: list[Line]) -> float:
            spans = extents(candidate)
            return abs((min(e.top for e in spans) + max(e.bottom for e in spans)) / 2 - figures.middle)

        def even(candidate: list[Line]) -> bool:
            pitches = [b - a for a, b in itertools.pairwise(sorted(e.base for e in extents(candidate)))]
            return not pitches or max(pitches) - min(pitches) <= PITCH

        while True:
            spans = extents(block)
            top, bottom = min(e.top for e in spans), max(e.bottom for e in spans)
            gap = 0.6 * row.size
            above = [w for w in labels if top - gap <= w.bottom <= top + 1]
            below = [w for w in labels if bottom - 1 <= w.top <= bottom + gap]
            up = next((w for w in reversed(above) if not self.crosses_a_row(w.bottom, top, row)), None)
            down = next((w for w in below if not self.crosses_a_row(bottom, w.top, row)), None)
            options = [[x for x in o if x is not None] for o in ([up], [down], [up, down]) if None not in o]
            options = [block + o for o in options if even(block + o)]
            best = min(options, key=lambda o: (off(o), -len(o)), default=None)  # the most centred, then the longest
            if best is None or off(best) > off(block) + CENTRED * row.size:
                return sorted(block, key=lambda ln: ln.top)
            block = best

    def crosses_a_row(self, top: float, bottom: float, row: Line) -> bool:
        """Whether another row stands between ``top`` and ``bottom`` (a label line and the label it would join)."""
        top, bottom = min(top, bottom), max(top, bottom)
        return any(r is not row and r.top < bottom and r.bottom > top for r in self.rows)


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
