"""The next files-store snapshot as arrays: the previous one's kept rows and vectors, then the batch's new ones."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qa.dense import DenseIndex
from qa.lexical import Lexical
from qa.passages import PassageTable
from qa.snapshot import Content, Snapshot
from qa.stores.batch import Batch, model_of


def assemble(batch: Batch, old: Snapshot | None) -> tuple[Snapshot, dict[str, tuple[str, np.ndarray | None]]]:
    """The snapshot after ``batch``, and the new texts it cites (by key) for the store to write."""
    holders = batch.holders()
    documents = batch.documents()
    headings: list[str] = list(old.headings) if old else []
    heading_ids = {h: i for i, h in enumerate(headings)}
    contents: list[Content] = []
    tables: list[PassageTable] = []
    kept: list[np.ndarray] = []
    for content in old.contents if old else ():  # unchanged texts keep their passages and vectors
        if content.sha256 in holders and content.sha256 not in batch.fresh:
            rows = np.arange(content.first_row, content.first_row + content.passages, dtype=np.int64)
            tables.append(replace(old.passages.take(rows), content=np.full(len(rows), len(contents))))  # type: ignore[union-attr]
            kept.append(rows)
            contents.append(replace(content, source=holders[content.sha256][0], first_row=_next_row(contents)))
    new = batch.embed_new(len(contents), headings, heading_ids)
    for content in new.contents:
        contents.append(replace(content, first_row=_next_row(contents)))
    tables.append(new.table)
    keep = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
    dim = batch.embedder.dimension
    embeddings = np.concatenate([_rows_of(old and old.embeddings, keep, dim, np.float32), new.vectors])
    old_sentences = old.passages.sentence_index(keep) if old else keep
    sentences = np.concatenate([
        _rows_of(old and old.sentence_vectors, old_sentences, dim, np.float16),
        new.sentence_vectors.astype(np.float16),
    ])  # fmt: skip
    passages = PassageTable.concat(tables)
    snapshot = Snapshot(
        model=model_of(batch.embedder),
        chunking=batch.chunking.as_dict(),
        documents=documents,
        contents=tuple(contents),
        headings=tuple(headings),
        passages=passages,
        embeddings=embeddings,
        sentence_vectors=sentences,
        lexical=Lexical.build(
            new.passage_texts,
            base=old.lexical if old else None,
            keep=keep if old else None,
            pages=passages.page_groups(),
        ),
        dense=DenseIndex.build(embeddings),
        generation=old.generation if old else 0,
    )
    return snapshot, new.texts


def _next_row(contents: list[Content]) -> int:
    return contents[-1].first_row + contents[-1].passages if contents else 0


def _rows_of(array: np.ndarray | None, rows: np.ndarray, dimension: int, dtype: type) -> np.ndarray:
    if array is None or rows.size == 0:
        return np.zeros((0, dimension), dtype=dtype)
    return np.asarray(array[rows], dtype=dtype)
