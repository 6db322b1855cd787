"""What the search reads from an index, whichever store holds it (the seam between the engine and its stores).

``qa.snapshot.Snapshot`` answers these from arrays a process holds (the files store); ``qa.stores.pg_index``
answers them with queries to PostgreSQL. Rows are passage ids; content ids index ``contents``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from qa.types import Span


@dataclass(frozen=True)
class Row:
    """What a citation needs of one passage, besides its text (sliced from its source's stored text)."""

    content: int
    start: int
    end: int
    line: int
    page: int  # 0 when the format has no pages
    heading: str | None
    sentences: tuple[Span, ...]


class LexicalHits(Protocol):
    """The BM25 side of one question: its best rows, and the score of any row."""

    rows: np.ndarray

    def scores_of(self, rows: np.ndarray) -> np.ndarray: ...


class Index(Protocol):
    """An index as one search sees it: its metadata held, its passages asked for."""

    model: dict[str, Any]
    chunking: dict[str, int]
    documents: Sequence[Any]  # qa.snapshot.DocRecord
    contents: Sequence[Any]  # qa.snapshot.Content
    generation: int

    @property
    def size(self) -> int: ...

    def content_of(self, rows: np.ndarray) -> np.ndarray: ...

    def dense_candidates(self, query: np.ndarray, n: int, within: frozenset[int]) -> np.ndarray: ...

    def lexical_search(
        self, question: str, n: int, within: frozenset[int], also: np.ndarray | None = None
    ) -> LexicalHits:
        """BM25's ``n`` best rows among the chosen documents; ``also``: rows whose scores will be asked for too."""
        ...

    def passage_cosines(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray: ...

    def sentence_cosines(self, rows: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row its number of sentences, and every sentence's cosine with the query, row after row."""
        ...

    def term_idf(self, term: str) -> float: ...

    def coverage(self, terms: set[str], rows: Sequence[int]) -> list[tuple[float, float]]:
        """Per row: the idf-weighted share of the (tokenized) terms it holds, and the share the corpus holds."""
        ...

    def salience(self, term: str, contents: frozenset[int]) -> float: ...

    def rows(self, rows: Sequence[int]) -> list[Row]: ...

    def passage_lengths(self) -> np.ndarray: ...
