"""One batch of changes to an index, as the indexer hands it to a store: the files now indexed, the new texts
read, and their passages embedded (the same rows and vectors whichever store writes them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from qa.config import ChunkSettings
from qa.embedder import Embedder
from qa.passage_rows import passage_rows
from qa.passages import PassageTable
from qa.snapshot import Content, DocRecord
from qa.stores.base import Index
from qa.types import Chunk, Document, IndexReport, Span

Progress = Callable[[int, int], None]


@dataclass
class Fresh:
    """A text read in this batch and cut into passages; embedded already when a cluster read it (``qa.cluster``)."""

    document: Document
    chunks: list[Chunk]
    reader: int
    vectors: np.ndarray | None = None  # its passages' vectors, as ``embed_texts`` gives them
    sentence_vectors: np.ndarray | None = None


def embed_texts(document: Document, chunks: list[Chunk]) -> tuple[list[str], list[tuple[Span, ...]]]:
    """What the model reads of a document's passages (each with its heading in front) and their sentences."""
    _, texts, spans = passage_rows(document, chunks, 0, [], {})
    return texts, spans


@dataclass
class NewRows:
    """The passages of the batch's new texts, embedded: one table, a content for each text, their vectors."""

    contents: list[Content]
    texts: dict[str, tuple[str, np.ndarray | None]]  # content key -> its text and its characters' boxes
    table: PassageTable  # ``content`` counts from the first new content's id
    passage_texts: list[str]  # what BM25 and the model read of each passage (its heading in front)
    vectors: np.ndarray
    sentence_vectors: np.ndarray


@dataclass
class Batch:
    old: Index | None
    records: dict[str, DocRecord]  # every file indexed after the batch, by path
    fresh: dict[str, Fresh]  # by content hash
    embedder: Embedder
    chunking: ChunkSettings
    progress: Progress | None
    report: IndexReport

    def holders(self) -> dict[str, list[str]]:
        """Content hash -> the paths holding it, in path order; the first is the one cited."""
        holders: dict[str, list[str]] = {}
        for path in sorted(self.records):
            holders.setdefault(self.records[path].sha256, []).append(path)
        return holders

    def documents(self) -> tuple[DocRecord, ...]:
        """Every record, a copy pointing at the file whose passages it shares; new copies are reported."""
        changed = set(self.report.added) | set(self.report.updated)
        documents = []
        for paths in self.holders().values():
            primary = paths[0]
            for path in paths:
                documents.append(replace(self.records[path], duplicate_of=None if path == primary else primary))
                if path != primary and path in changed:
                    self.report.duplicates.append((path, primary))
        return tuple(documents)

    def embed_new(self, first_content: int, headings: list[str], heading_ids: dict[str, int]) -> NewRows:
        """The new texts still held by some file, cut into rows and embedded (``headings`` grows by theirs)."""
        holders = self.holders()
        contents: list[Content] = []
        texts: dict[str, tuple[str, np.ndarray | None]] = {}
        tables: list[PassageTable] = []
        passage_texts: list[str] = []
        spans: list[tuple[Span, ...]] = []
        embedded: list[tuple[int, int, Fresh]] = []  # (first passage, first sentence, text) embedded on a cluster
        for sha, item in self.fresh.items():
            if sha not in holders:
                continue
            table, chunk_texts, chunk_spans = passage_rows(
                item.document, item.chunks, first_content + len(contents), headings, heading_ids
            )
            tables.append(table)
            if item.vectors is not None:
                embedded.append((len(passage_texts), sum(map(len, spans)), item))
            passage_texts.extend(chunk_texts)
            spans.extend(chunk_spans)
            content = _content(sha, holders[sha][0], item)
            contents.append(content)
            texts[content.key] = (item.document.text, item.document.boxes)
        vectors, sentence_vectors = self._vectors(passage_texts, spans, embedded)
        self.report.passages_embedded = len(passage_texts)
        return NewRows(contents, texts, PassageTable.concat(tables), passage_texts, vectors, sentence_vectors)

    def _vectors(
        self, texts: list[str], spans: list[tuple[Span, ...]], embedded: list[tuple[int, int, Fresh]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The vectors of ``texts``: those a cluster embedded put in their places, the others embedded here."""
        if not embedded:
            return _embed(self.embedder, texts, spans, self.progress)
        rows, sentence_rows = np.ones(len(texts), dtype=bool), np.ones(sum(map(len, spans)), dtype=bool)
        for first, first_sentence, item in embedded:
            rows[first : first + len(item.chunks)] = False
            sentence_rows[first_sentence : first_sentence + len(item.sentence_vectors)] = False  # type: ignore[arg-type]
        left = np.flatnonzero(rows)
        here, here_sentences = _embed(self.embedder, [texts[i] for i in left], [spans[i] for i in left], self.progress)
        dim = self.embedder.dimension
        vectors = np.zeros((len(texts), dim), dtype=np.float32)
        sentence_vectors = np.zeros((len(sentence_rows), dim), dtype=np.float32)
        vectors[left], sentence_vectors[sentence_rows] = here, here_sentences
        for first, first_sentence, item in embedded:
            vectors[first : first + len(item.chunks)] = item.vectors
            sentence_vectors[first_sentence : first_sentence + len(item.sentence_vectors)] = item.sentence_vectors  # type: ignore[arg-type]
        return vectors, sentence_vectors


def _embed(
    embedder: Embedder, texts: list[str], spans: list[tuple[Span, ...]], progress: Progress | None
) -> tuple[np.ndarray, np.ndarray]:
    if not texts:
        dim = embedder.dimension
        return np.zeros((0, dim), dtype=np.float32), np.zeros((0, dim), dtype=np.float32)
    return embedder.embed_passages(texts, spans, progress=progress)


def _content(sha: str, source: str, item: Fresh) -> Content:
    return Content(
        sha256=sha,
        source=source,
        kind=item.document.kind,
        first_row=0,
        passages=len(item.chunks),
        chars=len(item.document.text),
        page_starts=item.document.page_starts,
        ocr_pages=item.document.ocr_pages,
        reader=item.reader,
    )


def model_of(embedder: Embedder) -> dict[str, object]:
    """What an index records of the model that embedded it."""
    return {
        "name": embedder.name,
        "backend": embedder.backend_name,
        "dimension": embedder.dimension,
        "max_seq_length": embedder.max_seq_length,
    }
