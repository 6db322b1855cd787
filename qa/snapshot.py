"""What an index holds, as immutable values: the files indexed, their distinct texts, and every component a
search reads (``qa.stores.files`` keeps them on disk, ``qa.indexer`` makes the next from the last)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from qa.access.names import DEFAULT_COLLECTION
from qa.dense import DenseIndex
from qa.lexical import Lexical
from qa.passages import PassageTable
from qa.stores.base import Row

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)  # slots: a server holds one for every document (about a third less memory)
class DocRecord:
    """A file that was indexed: where it is, what it held when indexed."""

    path: str
    size: int
    mtime: float
    sha256: str
    kind: str
    duplicate_of: str | None = None
    warnings: tuple[str, ...] = ()
    reader: int = 1  # the version of its format's reader that read it (loaders.READER_VERSIONS)
    collection: str = DEFAULT_COLLECTION  # the named set it belongs to: who may read it (qa.access)

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> DocRecord:
        """A record as a store keeps it (``asdict`` written as JSON: lists for tuples)."""
        return cls(**{**record, "warnings": tuple(record.get("warnings", ()))})


@dataclass(frozen=True, slots=True)
class Content:
    """One distinct document text; its passages are a contiguous run of rows."""

    sha256: str
    source: str
    kind: str
    first_row: int
    passages: int
    chars: int
    page_starts: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()  # 1-based pages whose text was read by OCR
    reader: int = 1  # the version of its format's reader that extracted the text

    @classmethod
    def from_json(cls, info: dict[str, Any]) -> Content:
        """A text's fields as a store keeps them (``asdict`` written as JSON: lists for tuples)."""
        return cls(**{**info, "page_starts": tuple(info["page_starts"]), "ocr_pages": tuple(info.get("ocr_pages", ()))})

    @property
    def key(self) -> str:
        """The name its text is stored under: a new reader's text never overwrites an older one's."""
        return text_key(self.sha256, self.reader)


@dataclass(frozen=True)
class Snapshot:
    """A whole index, immutable: searches keep using theirs while a new one is built."""

    model: dict[str, Any]
    chunking: dict[str, int]
    documents: tuple[DocRecord, ...]
    contents: tuple[Content, ...]
    headings: tuple[str, ...]
    passages: PassageTable
    embeddings: np.ndarray
    sentence_vectors: np.ndarray
    lexical: Lexical
    dense: DenseIndex
    generation: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def config(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "generation": self.generation,
            "model": self.model,
            "chunking": self.chunking,
            "index_type": self.dense.kind,
            "passages": len(self.passages),
            "documents": [asdict(d) for d in self.documents],
            "contents": [asdict(c) for c in self.contents],
            "headings": list(self.headings),
            **self.extra,
        }

    # -- what a search reads (qa.stores.base.Index), from the arrays held --------------------------

    @property
    def size(self) -> int:
        return len(self.passages)

    def content_items(self) -> list[tuple[int, Content]]:
        return list(enumerate(self.contents))

    def stored(self, source: str) -> tuple[int, Content] | None:
        return next(((i, c) for i, c in enumerate(self.contents) if c.source == source), None)

    def content_ids(self, shas: set[str]) -> dict[str, int]:
        return {c.sha256: i for i, c in enumerate(self.contents) if c.sha256 in shas}

    def document(self, path: str) -> DocRecord | None:
        return next((d for d in self.documents if d.path == path), None)

    def content_of(self, rows: np.ndarray) -> np.ndarray:
        return self.passages.content[rows]

    def rows_within(self, within: frozenset[int]) -> np.ndarray | None:
        """The passage rows of the chosen documents (each document's rows are one run), or None for all."""
        if not within:
            return None
        runs = [np.arange(c.first_row, c.first_row + c.passages) for i, c in enumerate(self.contents) if i in within]
        return np.concatenate(runs).astype(np.int64) if runs else np.zeros(0, dtype=np.int64)

    def dense_candidates(self, query: np.ndarray, n: int, within: frozenset[int]) -> np.ndarray:
        """The rows closest to the query, among the chosen documents' rows when there is a choice: scored exactly
        when there are few enough, so that ``n`` candidates come back whenever the documents hold them."""
        allowed = self.rows_within(within)
        if allowed is None:
            return self.dense.search(query, n)[0]
        if len(allowed) <= EXACT_WITHIN:
            scores = np.asarray(self.embeddings[allowed], dtype=np.float32) @ query
            top = min(n, len(allowed))
            return allowed[np.argpartition(-scores, top - 1)[:top]] if top < len(allowed) else allowed
        rows = self.dense.search(query, n * 20)[0]
        return rows[np.isin(rows, allowed)][:n]

    def lexical_search(
        self, question: str, n: int, within: frozenset[int], also: np.ndarray | None = None
    ) -> _ArrayHits:
        scores = self.lexical.scores(question)
        allowed = self.rows_within(within)
        among = allowed if allowed is not None else np.arange(len(scores))
        top = min(n, len(among))
        if not top:
            return _ArrayHits(np.zeros(0, dtype=np.int64), scores)
        best = np.argpartition(-scores[among], top - 1)[:top] if top < len(among) else np.arange(len(among))
        return _ArrayHits(among[best], scores)

    def passage_cosines(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        return np.asarray(self.embeddings[rows], dtype=np.float32) @ query

    def sentence_cosines(self, rows: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        table = self.passages
        counts = (table.sentence_ptr[rows + 1] - table.sentence_ptr[rows]).astype(np.int64)
        sentence_rows = table.sentence_index(rows)
        if sentence_rows.size == 0:
            return counts, np.zeros(0, dtype=np.float32)
        return counts, np.asarray(self.sentence_vectors[sentence_rows], dtype=np.float32) @ query

    def term_idf(self, term: str) -> float:
        return self.lexical.term_idf(term)

    def passages_holding(self, terms: Sequence[str]) -> dict[str, int]:
        ids, indptr = self.lexical.term_ids, self.lexical.weights.indptr
        return {t: int(indptr[ids[t] + 1] - indptr[ids[t]]) if t in ids else 0 for t in terms}

    def coverage(self, terms: set[str], rows: Sequence[int]) -> list[tuple[float, float]]:
        return [self.lexical.coverage(terms, row) for row in rows]

    def salience(self, term: str, contents: frozenset[int]) -> float:
        """How much ``term`` is what the given documents are about: the share of their passages that hold it, times
        its idf (a word in most passages of one document and few others is its subject)."""
        lexical = self.lexical
        term_id = lexical.term_ids.get(term)
        if term_id is None or not contents:
            return 0.0
        rows = lexical.weights.indices[lexical.weights.indptr[term_id] : lexical.weights.indptr[term_id + 1]]
        holding = int(np.isin(self.passages.content[rows], list(contents)).sum())
        total = sum(self.contents[c].passages for c in contents)
        return holding / max(total, 1) * float(lexical.idf[term_id])

    def rows(self, rows: Sequence[int]) -> list[Row]:
        table = self.passages
        found = []
        for row in rows:
            heading = int(table.heading[row])
            found.append(Row(
                content=int(table.content[row]), start=int(table.start[row]), end=int(table.end[row]),
                line=int(table.line[row]), page=int(table.page[row]),
                heading=self.headings[heading] if heading >= 0 else None, sentences=table.sentences(row),
            ))  # fmt: skip
        return found

    def passage_lengths(self) -> np.ndarray:
        return self.passages.end - self.passages.start


EXACT_WITHIN = 200_000  # rows of chosen documents scored exactly; beyond, the index's candidates are filtered


@dataclass(frozen=True)
class _ArrayHits:
    rows: np.ndarray
    scores: np.ndarray  # every row's

    def scores_of(self, rows: np.ndarray) -> np.ndarray:
        return self.scores[rows]


def text_key(sha256: str, reader: int) -> str:
    return sha256 if reader <= 1 else f"{sha256}.r{reader}"
