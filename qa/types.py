"""Small frozen dataclasses shared by every layer: Passage, Hit, Answer, IndexReport."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` in a document's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Block:
    """A paragraph, heading or table row that a reader of page layout found: ``text[start:end]``."""

    start: int
    end: int
    kind: str  # "para", "heading", "row" (a table's) or "code" (a listing's line)


@dataclass(frozen=True)
class Chunk:
    """A passage as the chunker cuts it: offsets into one text, before it is indexed."""

    start: int
    end: int
    heading: str | None = None
    sentences: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Passage:
    """An indexed passage. ``text == source_text[start:end]`` always holds."""

    id: int
    source: str
    start: int
    end: int
    text: str
    line: int  # on its page for paged documents, else in the whole text; 1-based
    page: int | None
    heading: str | None
    sentences: tuple[Span, ...]
    ocr: bool = False  # the text was read from a page image by OCR
    last_page: int | None = None  # the page its text ends on: after ``page`` when it runs over a page break

    @property
    def pages(self) -> tuple[int, ...]:
        """Every page the passage stands on, in order (none for a text without pages)."""
        if self.page is None:
            return ()
        return tuple(range(self.page, max(self.page, self.last_page or self.page) + 1))


@dataclass(frozen=True)
class Hit:
    """A passage returned for a question, with its rank, score and best sentence."""

    rank: int
    passage: Passage
    score: float
    highlight: Span | None
    dense: float | None = None  # the passage's cosine with the question
    lexical: float | None = None  # its BM25 score
    sentence: float | None = None  # its best sentence's cosine with the question
    support: float = 0.0  # how likely the passage answers the question, 0 to 1 (qa.abstain)


@dataclass(frozen=True)
class Answer:
    """What ``Engine.ask`` returns: the passages, and whether the documents answer at all."""

    question: str
    answered: bool
    hits: tuple[Hit, ...]
    support: float = 0.0  # the best passage's support: ``answered`` is ``support >= threshold``, no word ``missing``
    threshold: float = 0.0  # the support this answer was judged by
    searched: str = ""  # the query that was run: the question, with words from earlier questions if it refers back
    carried: tuple[str, ...] = ()  # the words that came from earlier questions
    preferred: tuple[str, ...] = ()  # the documents preferred (see preferred_by)
    named: bool = False  # they are preferred because the question names them by file name (qa.named)
    missing: str | None = None  # a word of the question that nothing found speaks of (qa.unaddressed): not answered
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def preferred_by(self) -> str | None:
        """Why documents were preferred: "name" (the question names them), "conversation" (earlier questions were
        answered from them), or None when none was."""
        return ("name" if self.named else "conversation") if self.preferred else None


@dataclass(frozen=True)
class Problem:
    """A file that was not indexed, and why."""

    path: str
    reason: str


@dataclass
class IndexReport:
    """The outcome of one ``Engine.add`` run, summarised on one line by ``summary()``."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    passages_embedded: int = 0
    passages_total: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.removed)} removed",
        ]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicate")
        if self.problems:
            parts.append(f"{len(self.problems)} failed")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped (unsupported type)")
        return (
            f"Indexed: {', '.join(parts)}; {self.passages_embedded} passages embedded, "
            f"{self.passages_total} in the index ({self.seconds:.1f}s)."
        )


@dataclass(frozen=True)
class Document:
    """A loaded document: the text that passage offsets index, and where its pages and lines begin.

    Readers of page layout (PDF, OCR) also give the structure they saw (``blocks``), where each visual
    line of a page begins (``line_starts``), which pages were read by OCR, and each character's box.
    """

    path: str
    text: str
    kind: str
    page_starts: tuple[int, ...] = ()
    encoding: str | None = None
    warnings: tuple[str, ...] = ()
    blocks: tuple[Block, ...] = ()
    line_starts: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()
    continued_pages: tuple[int, ...] = ()  # 1-based pages whose text goes on from the page before (a deck's
    # "Title (continued)" slides): the chunker treats them as one page, as it does a paragraph running over a page
    boxes: np.ndarray | None = field(default=None, repr=False, compare=False)  # float32 (len(text), 4)
    attachments: tuple[tuple[str, bytes], ...] = field(default=(), repr=False, compare=False)  # e-mail: (name, bytes)

    @property
    def page_breaks(self) -> tuple[int, ...]:
        """Where pages begin whose text does not go on from the page before: where passages must break."""
        continued = set(self.continued_pages)
        return tuple(start for page, start in enumerate(self.page_starts, 1) if page not in continued)
