"""One batch of changes to an index, as the indexer hands it to a store: the files now indexed, the new texts
read, and their passages embedded (the same rows and vectors whichever store writes them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from qa.config import ChunkSettings
from qa.embedder import Embedder
from qa.passage_rows import lexical_text, name_words, passage_rows
from qa.passages import PassageTable
from qa.snapshot import Content, DocRecord
from qa.stores.base import Index
from qa.types import Chunk, Document, IndexReport, Span

Progress = Callable[[int, int], None]


@dataclass
class Fresh:
    """A text read in this batch and cut into passages, not yet embedded."""

    document: Document
    chunks: list[Chunk]
    reader: int


# passage texts and their sentence spans -> passage vectors and sentence vectors (``Embedder.embed_passages``)
EmbedPassages = Callable[[list[str], list[tuple[Span, ...]], Progress | None], tuple[np.ndarray, np.ndarray]]


@dataclass
class NewRows:
    """The passages of the batch's new texts, embedded: one table, a content for each text, their vectors."""

    contents: list[Content]
    texts: dict[str, tuple[str, np.ndarray | None]]  # content key -> its text and its characters' boxes
    table: PassageTable  # ``content`` counts from the first new content's id
    passage_texts: list[str]  # what BM25 reads of each passage (its document's name and heading in front)
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
    embed: EmbedPassages | None = None  # where the passages are embedded (a cluster's); None: ``embedder``, here

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
        model_texts: list[str] = []  # what the model reads (the heading in front)
        passage_texts: list[str] = []
        spans: list[tuple[Span, ...]] = []
        for sha, item in self.fresh.items():
            if sha not in holders:
                continue
            table, chunk_texts, chunk_spans = passage_rows(
                item.document, item.chunks, first_content + len(contents), headings, heading_ids
            )
            tables.append(table)
            name = name_words(holders[sha][0])
            model_texts.extend(chunk_texts)
            passage_texts.extend(lexical_text(name, t) for t in chunk_texts)
            spans.extend(chunk_spans)
            content = _content(sha, holders[sha][0], item)
            contents.append(content)
            texts[content.key] = (item.document.text, item.document.boxes)
        if model_texts and self.embed is not None:
            vectors, sentence_vectors = self.embed(model_texts, spans, self.progress)
        else:
            vectors, sentence_vectors = _embed(self.embedder, model_texts, spans, self.progress)
        self.report.passages_embedded = len(model_texts)
        return NewRows(contents, texts, PassageTable.concat(tables), passage_texts, vectors, sentence_vectors)


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
