"""A document's text put together block by block, with its pages, lines and structure recorded as it grows.

Readers of structured formats (slides, spreadsheets, e-books, e-mail) know their headings, paragraphs and rows;
they hand them over here instead of leaving the chunker to guess from line breaks. Paragraphs are separated by
a blank line, a table's rows by a line break; every line starts a visual line of its page (its row, for a sheet).
"""

from __future__ import annotations

import unicodedata

from qa.types import Block, Document


def clean(text: str) -> str:
    """Text of one block: NFKC (ligatures, full-width forms), no soft hyphens, whitespace runs as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).replace("\u00ad", "").split())


class Builder:
    """Append blocks page by page; ``document()`` gives the ``Document`` with offsets that index its text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.page_starts: list[int] = []
        self.continued_pages: list[int] = []
        self.line_starts: list[int] = []
        self.blocks: list[Block] = []
        self._last_kind = ""

    def page(self, continues: bool = False) -> None:
        """The next block starts a new page (a slide, a sheet, a chapter); ``continues``: its text goes on
        from the page before's (a slide titled "... (continued)"), so passages may run over the break."""
        self.page_starts.append(self.length + (2 if self.length else 0))
        if continues and len(self.page_starts) > 1:
            self.continued_pages.append(len(self.page_starts))
        self._last_kind = ""

    def add(self, text: str, kind: str = "para", counted: bool = True) -> None:
        """A paragraph, heading or table row; ``text`` may hold line breaks (each starts a line of the page).

        ``counted=False``: its lines are not lines of the page (a sheet's name above its rows, so that the
        rows' line numbers are their row numbers).
        """
        lines = [clean(line) for line in text.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            if kind == "row":  # an empty row still takes its line, so that line numbers are row numbers
                self.line_starts.append(self.length)
            return
        if self.length:
            separator = "\n" if kind == "row" and self._last_kind == "row" else "\n\n"
            self._append(separator)
        start = self.length
        for n, line in enumerate(lines):
            if n:
                self._append("\n")
            if counted:
                self.line_starts.append(self.length)
            self._append(line)
        self.blocks.append(Block(start, self.length, kind))
        self._last_kind = kind

    def _append(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def document(self, path: str, kind: str, warnings: tuple[str, ...] = ()) -> Document:
        text = "".join(self.parts)
        # a page that stayed empty starts where the next one does; none starts past the end of the text
        starts = [min(s, len(text)) for s in self.page_starts]
        return Document(
            path, text, kind, page_starts=tuple(starts), blocks=tuple(self.blocks),
            line_starts=tuple(min(s, len(text)) for s in self.line_starts), warnings=warnings,
            continued_pages=tuple(self.continued_pages),
        )  # fmt: skip
