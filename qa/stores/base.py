"""What the search reads from an index, whichever store holds it, and what the engine asks of a store (the seam
between the engine and its stores).

``qa.snapshot.Snapshot`` answers these from arrays a process holds (the files store); ``qa.stores.pg_index``
answers them with queries to PostgreSQL. Rows are passage ids; content ids index ``contents`` (positions in the
files store, the database's ids in PostgreSQL: ``content_items`` gives both).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from qa.types import Span

if TYPE_CHECKING:
    from qa.stores.batch import Batch


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


class Contents(Protocol):
    """The indexed texts (``qa.snapshot.Content``): ``contents[id]``, and each one when walked."""

    def __getitem__(self, content_id: int) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Index(Protocol):
    """An index as one search sees it: its metadata held, its passages asked for."""

    model: dict[str, Any]
    chunking: dict[str, int]
    documents: Iterable[Any]  # qa.snapshot.DocRecord, in path order
    contents: Contents
    generation: int

    @property
    def size(self) -> int: ...

    def content_items(self) -> list[tuple[int, Any]]:
        """Every text with its content id."""
        ...

    def stored(self, source: str) -> tuple[int, Any] | None:
        """The text stored under ``source`` (the first path that held it), with its id; None if there is none."""
        ...

    def content_ids(self, shas: set[str]) -> dict[str, int]:
        """The content id of each of these texts (by content hash) that is indexed."""
        ...

    def document(self, path: str) -> Any:
        """The record (``qa.snapshot.DocRecord``) of the document indexed from ``path``, or None."""
        ...

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

    def passages_holding(self, terms: Sequence[str]) -> dict[str, int]:
        """How many passages hold each (tokenized) term, asked at once (0 for a term none holds)."""
        ...

    def coverage(self, terms: set[str], rows: Sequence[int]) -> list[tuple[float, float]]:
        """Per row: the idf-weighted share of the (tokenized) terms it holds, and the share the corpus holds."""
        ...

    def salience(self, term: str, contents: frozenset[int]) -> float: ...

    def rows(self, rows: Sequence[int]) -> list[Row]: ...

    def passage_lengths(self) -> np.ndarray: ...


class LocalFolders:
    """The folders under ``root`` (``--index-dir``) that only this machine needs, whichever store holds the index."""

    root: Path

    @property
    def uploads_dir(self) -> Path:
        """Files uploaded through this machine's app."""
        return self.root / "uploads"

    @property
    def attachments_dir(self) -> Path:
        """E-mail attachments saved to be indexed as documents of their own."""
        return self.root / "attachments"


class IndexStore(Protocol):
    @property
    def name(self) -> str:
        """How messages name the index (a folder, or a URL with its password masked)."""
        ...

    @property
    def uploads_dir(self) -> Path: ...

    @property
    def attachments_dir(self) -> Path: ...

    def exists(self) -> bool: ...

    def load(self) -> Index: ...

    def is_current(self, snapshot: Index) -> bool: ...

    def refresh(self, snapshot: Index) -> Index:
        """The index questions should use now (a shared store follows other processes' changes)."""
        ...

    def lock(self, timeout: float = 0.0) -> AbstractContextManager[None]: ...

    def reading(self) -> AbstractContextManager[None]:
        """Around one question's reads, so that they all see one generation of the index."""
        ...

    def commit(self, batch: Batch) -> Index: ...

    def read_text(self, key: str) -> str: ...

    def read_slices(self, spans: Sequence[tuple[str, int, int]]) -> list[str]:
        """``read_text(key)[start:end]`` for each ``(key, start, end)`` (a question's passages), at once."""
        ...

    def read_boxes(self, key: str) -> np.ndarray | None: ...

    def read_original(self, sha256: str) -> bytes | None:
        """The file a PDF or image text was read from, as indexed, when the store keeps it (None: read the file)."""
        ...

    def document_paths(self) -> list[str]: ...

    def rebuild_option(self) -> str:
        """The option that names this index on a command line."""
        ...
