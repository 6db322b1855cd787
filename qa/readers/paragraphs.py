"""Lines in reading order to the document's text: paragraphs, headings and table rows (the layout's last step).

A line continues the paragraph before it unless the gap above it is wider than the text's usual line spacing,
its font size changes (or its weight, between headings), it is indented (not when it stands under the text of
a list item or an outdented term, or is not to the right of the line above), it starts a list's next item, or
the line before is short and ends a sentence; after a page or column break it continues when the line before
did not end a sentence, runs the full width, and this one is not indented. Code (a typewriter face) and table
rows are a line each; margin notes wait for the end of the paragraph they stand beside. A word hyphenated at
a line end is rejoined without its hyphen, unless the document writes that compound with its hyphen inside its
lines more often than as one word ("long-" + "term"). Paragraphs are separated by a blank line, a table's rows
by a line break; every character keeps its box (NaN for those inserted here).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from qa.readers.lines import Layout, Line, Page
from qa.types import Block

MAX_HEADING_LINES = 3
PARAGRAPH_GAP = 0.25  # extra space between two lines, in font sizes, that ends a paragraph
BOLD_LINE = 0.8  # share of a line in faces named bold for it to be bold, whatever weight PDFium reports
WEIGHT_STEP = 120  # a change of font weight that ends a paragraph (regular to bold; not a word in another face)
_SENTENCE_END = ".!?:;\u2026\u201d\"')]"
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_BROKEN = re.compile(r"([^\W\d_]+)-$")  # a word broken at a line end, its hyphen last
_BULLET = re.compile(r"[•‣◦▪∙–—-]\s+|\(?(?:\d{1,2}|[a-z])[.)]\s+(?=[A-Z])")  # a list item's marker
SIZE_IN_PROSE = 0.12  # the change of size within a sentence a line may show: a name in a smaller face (9 / 10 pt)
CODE = 0.9  # a line this much in a typewriter font is code (a listing's line, a command on its own)


@dataclass(frozen=True)
class Style:
    """The body text's font size and weight, and its usual line spacing (in font sizes)."""

    size: float
    weight: float
    pitch: float
    bold: float = 0.0  # the share of its characters in faces named bold (PDF): a body set in bold has no bold


def _next_line_of(above: Line, line: Line) -> bool:
    """Whether ``line`` is the line after ``above`` in one block: just below it, starting where it starts."""
    return 0 < line.base - above.base < 1.6 * line.size and abs(line.x0 - above.x0) < 2 * line.size


class ParagraphWriter:
    """Appends lines to the text, deciding for each whether it continues the paragraph before it."""

    def __init__(self, body: Style) -> None:
        self.body = body
        self.parts: list[str] = []
        self.boxes: list[np.ndarray] = []
        self.length = 0
        self.line_starts: list[int] = []
        self.blocks: list[Block] = []
        self.block_start = 0
        self.block_kind = ""
        self.block_lines = 0
        self.block_first: Line | None = None
        self.notes: list[Line] = []  # margin notes beside the paragraph being written
        self.previous: Line | None = None
        self.left = 0.0  # the current column's left edge
        self.right = 0.0
        self.previous_left = self.previous_right = 0.0  # the column edges of the previous line
        self.words: Counter[str] = Counter()  # every word inside a line (compounds with their hyphens), lower case

    def write(
        self, pages: list[Page], columns_by_page: list[list[list[Line]]], styles: list[Style] | None = None
    ) -> Layout:
        """The text of the pages' columns; ``styles``: each page's body text (the document's when not given)."""
        self.words = Counter(
            word.lower() for columns in columns_by_page for column in columns for line in column
            for word in _WORD.findall(line.chars)
        )  # fmt: skip
        page_starts = []
        for n, columns in enumerate(columns_by_page):
            first_line = len(self.line_starts)
            if styles is not None:
                self.body = styles[n]
            for column in columns:
                # the column's edges: where most lines start, and where the longer lines end
                text_lines = [ln for ln in column if not ln.note] or column
                self.left = float(np.median([ln.x0 for ln in text_lines]))
                self.right = float(np.percentile([ln.x1 for ln in text_lines], 90))
                fresh = True
                for line in column:
                    if line.note:  # a margin note waits for the end of the paragraph it stands beside
                        self.notes.append(line)
                        continue
                    self._add(line, fresh=fresh)
                    fresh = False
            self._flush_notes()
            # a page begins at its first line's first character (inside a paragraph that it continues)
            page_starts.append(self.line_starts[first_line] if len(self.line_starts) > first_line else self.length)
        self._close_block()
        text = "".join(self.parts)
        boxes = np.concatenate(self.boxes) if self.boxes else np.zeros((0, 4), dtype=np.float32)
        ocr = [n + 1 for n, page in enumerate(pages) if page.ocr]
        return Layout(text, page_starts, self.line_starts, self.blocks, boxes, ocr)

    def _kind(self, line: Line) -> str:
        if line.mono >= CODE and not self._typewriter_words_go_on(line):  # a listing's spaces are no cells
            return "code"
        if len(line.cells) >= 1 and len(line.chars) < 400:
            return "row"
        if line.size < self.body.size * 0.9:  # small print (footnotes, captions) never heads a section
            return "para"
        larger = line.size > self.body.size * 1.12
        bolder = line.weight >= max(600.0, self.body.weight + 150) or (
            line.weight > self.body.weight + 50 and line.size >= self.body.size
        ) or (line.bold >= BOLD_LINE and self.body.bold < BOLD_LINE / 2)  # fmt: skip
        if (larger or bolder) and len(line.chars) <= 200 and any(ch.isalpha() for ch in line.chars):
            # a line in lower case inside a paragraph is the sentence going on, in a face PDFium calls bold, and
            # so is the end of a sentence the line before left open ("(Default:" / "12pt).", fancyvrb.pdf)
            going_on = self.block_kind == "para" and not larger and (
                line.chars[0].islower() or self._ends_open_sentence(line)
            )
            return "para" if going_on else "heading"
        return "para"

    def _typewriter_words_go_on(self, line: Line) -> bool:
        """Whether a line all in a typewriter face is the rest of the sentence above, not a listing's line: a
        command, package or URL that a full line of prose broke before ("... is included in" / "interface3.",
        usrguide.pdf). Level with the column's edge (a display is set in), at the body's line pitch (a display
        has space above it, a page break before it), after a full line that ends no sentence."""
        previous = self.previous
        if self.block_kind != "para" or previous is None:
            return False
        return (
            self._at_line_pitch(line, previous) and previous.mono < CODE
            and previous.chars.rstrip()[-1:] not in _SENTENCE_END and previous.x1 >= self.right - 2 * previous.size
            and abs(line.x0 - self.left) <= 0.5 * line.size and abs(line.size - previous.size) < 0.2 * line.size
        )  # fmt: skip

    def _at_line_pitch(self, line: Line, previous: Line) -> bool:
        """Whether the line stands below the one before it no further than the body's line pitch allows within a
        paragraph (a wider gap ends it; above it is another column's)."""
        pitch = (line.base - previous.base) / max(line.size, 1.0)
        return 0 <= pitch <= self.body.pitch + PARAGRAPH_GAP

    def _sentence_goes_on(self, line: Line, previous: Line) -> bool:
        """Whether a line in a size a little off the line above's goes on with its sentence: a line that is mostly
        a parameter's name in a smaller face (dblatex's "thanks to the parameter" / "figure.anchor.top."; 9 pt in
        10 pt prose), or the prose after one. Lower case after an open sentence, within ``SIZE_IN_PROSE``; a
        footnote (8 pt under 10) or a heading stays apart."""
        return (
            line.chars[:1].islower() and previous.chars.rstrip()[-1] not in _SENTENCE_END
            and abs(line.size - previous.size) <= SIZE_IN_PROSE * max(line.size, previous.size)
        )  # fmt: skip

    def _ends_open_sentence(self, line: Line) -> bool:
        previous = self.previous
        return (
            previous is not None and previous.chars.rstrip()[-1] not in ".!?\u2026"
            and line.chars.rstrip()[-1] in ".!?" and len(line.chars) < 40
        )  # fmt: skip

    def _continues(self, line: Line, kind: str, fresh: bool) -> bool:
        previous = self.previous
        if previous is None or kind in ("row", "code") or kind != self.block_kind:
            return False
        if abs(line.size - previous.size) > max(0.5, 0.08 * line.size) and not self._sentence_goes_on(line, previous):
            return False
        if kind == "heading" and abs(line.weight - previous.weight) > WEIGHT_STEP:
            return False  # within prose the weight is a word's face, not a break (Ghostscript's fonts vary)
        if _BULLET.match(line.chars):  # a list's next item
            return False
        ends_sentence = previous.chars.rstrip()[-1] in _SENTENCE_END
        indented = self._indented(line, previous, fresh)
        short = self._short(previous)
        if fresh:  # a new page or column: continue a paragraph cut by the break (a list item's text goes on
            # under its text, indented from its marker: lower case says it is no new paragraph)
            going_on = not indented or line.chars[:1].islower()
            return kind == "para" and not ends_sentence and going_on and not short
        if not self._at_line_pitch(line, previous):
            return False
        if kind == "heading":
            return True
        return not indented and not (short and ends_sentence)

    def _flush_notes(self) -> None:
        """The margin notes waiting, each a paragraph of its own, before the paragraph that comes next."""
        notes, self.notes = self.notes, []
        for n, note in enumerate(notes):
            above = notes[n - 1] if n else None
            if above is not None and _next_line_of(above, note):
                self._append(" ", None)  # the next line of a note set in the margin over several lines
                self.line_starts.append(self.length)
                self._append(note.chars, note.boxes)
                continue
            self._open_block("para", note)
            self.block_lines = 1
            self.line_starts.append(self.length)
            self._append(note.chars, note.boxes)
            self.previous = note

    def _add(self, line: Line, fresh: bool) -> None:
        kind = self._kind(line)
        continues = self._continues(line, kind, fresh)
        if not continues and self.notes:
            self._flush_notes()
        if continues:
            broken = _BROKEN.search(self.parts[-1]) if line.chars[0].islower() else None
            if broken is None:
                self._append(" ", None)
            elif not self._compound(broken.group(1), line.chars):
                self.parts[-1] = self.parts[-1][:-1]  # a hyphenated word rejoined: the hyphen leaves the text
                self.boxes[-1] = self.boxes[-1][:-1]
                self.length -= 1
        else:
            rows = kind in ("row", "code") and self.block_kind == kind
            self._open_block(kind, line, "\n" if rows else "\n\n")  # a table's rows, a listing's lines one a line
        self.line_starts.append(self.length)
        self.block_lines += 1
        if kind == "row":
            self._append_row(line)
        else:
            self._append(line.chars, line.boxes)
        self.previous = line
        self.previous_left, self.previous_right = self.left, self.right

    def _open_block(self, kind: str, first: Line, separator: str = "\n\n") -> None:
        """Ends the block being written and begins one of ``kind`` whose first line is ``first``."""
        self._close_block()
        if self.length:
            self._append(separator, None)
        self.block_start, self.block_kind, self.block_lines, self.block_first = self.length, kind, 0, first

    def _indented(self, line: Line, previous: Line, fresh: bool) -> bool:
        """Whether the line is set in from the column's edge as a paragraph's first line is: not when it stands
        level with the line above or left of it, under the text of a list item's first line (after its marker),
        or under an item's first line that stands out to the left (a description list: "puttoc: Put a table")."""
        if line.x0 - self.left <= line.size:
            return False
        if fresh:  # the line above stands in another column
            return True
        if line.x0 - previous.x0 <= line.size:
            return False  # not to the right of the line above (a narrower block: an abstract, a quotation)
        first = self.block_first
        if first is None:
            return True
        marker = _BULLET.match(first.chars)
        if marker is not None and marker.end() < len(first.chars):
            return abs(line.x0 - float(first.boxes[marker.end(), 0])) >= line.size * 0.6
        outdented = self.block_lines == 1 and previous.x0 < line.x0 and not self._short(previous)
        return not outdented

    def _short(self, line: Line) -> bool:
        return line.x1 < self.previous_right * 0.75 + self.previous_left * 0.25

    def _compound(self, head: str, line: str) -> bool:
        """Whether ``head`` + "-" at a line end and the word that starts ``line`` are a compound that keeps its
        hyphen ("long-" + "term"): the document writes it so, inside its lines, more often than as one word."""
        tail = _WORD.match(line)
        if tail is None:
            return False
        first = tail.group(0).split("-")[0].lower()
        return self.words[f"{head.lower()}-{first}"] > self.words[head.lower() + first]

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
