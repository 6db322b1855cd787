"""Build the next snapshot from the previous one: read new and changed files, embed only those."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.chunker import chunk_text
from qa.config import ChunkSettings
from qa.dense import DenseIndex
from qa.embedder import Embedder
from qa.errors import DocumentError, IndexDamagedError
from qa.lexical import Lexical
from qa.passage_rows import passage_rows
from qa.passages import PassageTable
from qa.readers.loaders import PageProgress, discover, kind_of, load_document, read_bytes, reader_version
from qa.snapshot import Content, DocRecord, Snapshot, text_key
from qa.stores.files import Store
from qa.types import Chunk, Document, IndexReport, Problem, Span

Progress = Callable[[int, int], None]
Reading = Callable[[str], PageProgress | None]  # a document's path -> what follows its pages, if anything


@dataclass
class _Fresh:
    document: Document
    chunks: list[Chunk]
    reader: int


def build_snapshot(
    store: Store,
    embedder: Embedder,
    chunking: ChunkSettings,
    old: Snapshot | None,
    paths: list[str],
    progress: Progress | None,
    drop: set[str] | None = None,
    reading: Reading | None = None,
    max_file_mb: float = 100.0,
) -> tuple[Snapshot | None, IndexReport]:
    """The snapshot after indexing ``paths`` (None when nothing changed) and what happened.

    ``progress`` follows the passages being embedded; ``reading`` the pages of each document being read.
    """
    started = time.perf_counter()
    if old is not None and {**ChunkSettings().as_dict(), **old.chunking} != chunking.as_dict():
        raise IndexDamagedError(f"the index in {store.root} was built with other chunking settings ({old.chunking})")
    report = IndexReport()
    files, problems, skipped = discover(paths)
    report.problems.extend(problems)
    report.skipped.extend(skipped)
    records = {d.path: d for d in old.documents} if old else {}
    old_shas = {c.sha256 for c in old.contents} if old else set()
    for path in sorted(drop or ()):
        if records.pop(path, None) is not None:
            report.removed.append(path)
    fresh: dict[str, _Fresh] = {}
    queue = list(files)
    for path in queue:  # grows by the attachments of e-mails, which are documents of their own
        try:
            document = _read_one(path, records, old_shas, fresh, embedder, chunking, report, reading, max_file_mb)
        except DocumentError as exc:
            report.problems.append(Problem(exc.path, exc.reason))
            continue
        if document is not None and document.attachments:
            queue += _save_attachments(store.root / "attachments", document, report)
    _drop_deleted(paths, set(queue), records, report)
    if old is not None and not (report.added or report.updated or report.removed):
        report.passages_total = len(old.passages)
        report.seconds = time.perf_counter() - started
        return None, report
    snapshot = _assemble(store, embedder, chunking, old, records, fresh, progress, report)
    report.passages_total = len(snapshot.passages)
    report.seconds = time.perf_counter() - started
    return snapshot, report


def _read_one(
    path: str,
    records: dict[str, DocRecord],
    old_shas: set[str],
    fresh: dict[str, _Fresh],
    embedder: Embedder,
    chunking: ChunkSettings,
    report: IndexReport,
    reading: Reading | None,
    max_file_mb: float,
) -> Document | None:
    """Record one file; read it when its content is new (the Document read, else None)."""
    data = read_bytes(path, int(max_file_mb * 1_000_000))
    sha = hashlib.sha256(data).hexdigest()
    prior = records.get(path)
    kind = kind_of(path) or "text"
    current_reader = reader_version(kind)
    if prior is not None and prior.sha256 == sha and prior.reader >= current_reader:
        report.unchanged.append(path)
        return None
    warnings: tuple[str, ...] = ()
    document: Document | None = None
    # the same content already in the index, read by the current reader (a copy): only scanned for when likely
    read_before = next(
        (d for d in records.values() if d.sha256 == sha and d.reader >= current_reader), None
    ) if sha in old_shas else None  # fmt: skip
    if sha in fresh:
        warnings = fresh[sha].document.warnings
    elif read_before is not None:
        warnings = read_before.warnings
    else:
        document = load_document(path, data, reading(path) if reading else None)
        # never a passage longer than the model reads, whatever the settings say
        chunking = replace(chunking, max_tokens=min(chunking.max_tokens, embedder.max_tokens))
        chunks = chunk_text(
            document.text, chunking, embedder.count_tokens, document.page_breaks, embedder.count_tokens_many,
            document.blocks,
        )  # fmt: skip
        fresh[sha] = _Fresh(document, chunks, current_reader)
        warnings = document.warnings
    records[path] = DocRecord(
        path=path, size=len(data), mtime=os.path.getmtime(path), sha256=sha, kind=kind, warnings=warnings,
        reader=current_reader,
    )  # fmt: skip
    (report.updated if prior is not None else report.added).append(path)
    return document


def _save_attachments(folder: Path, document: Document, report: IndexReport) -> list[str]:
    """An e-mail's attachments of supported types, written under ``folder`` (by the message's name) to be
    indexed as documents of their own; others are reported as skipped."""
    from qa.uploads import safe_name

    target = folder / safe_name(os.path.basename(document.path))
    saved = []
    for name, data in document.attachments:
        clean = safe_name(name)
        if kind_of(clean) is None:
            report.skipped.append(f"{document.path}: attachment {name}")
            continue
        target.mkdir(parents=True, exist_ok=True)
        path = target / clean
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        saved.append(str(path))
    return saved


def _drop_deleted(paths: list[str], found: set[str], records: dict[str, DocRecord], report: IndexReport) -> None:
    """Documents under the paths given that no longer exist on disk leave the index."""
    roots = [os.path.abspath(p) for p in paths]
    for path in sorted(records):
        under = any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)
        if under and path not in found and not os.path.exists(path):
            del records[path]
            report.removed.append(path)


def _assemble(
    store: Store,
    embedder: Embedder,
    chunking: ChunkSettings,
    old: Snapshot | None,
    records: dict[str, DocRecord],
    fresh: dict[str, _Fresh],
    progress: Progress | None,
    report: IndexReport,
) -> Snapshot:
    holders: dict[str, list[str]] = {}  # content hash -> the paths holding it; the first is cited
    for path in sorted(records):
        holders.setdefault(records[path].sha256, []).append(path)
    documents = _documents(records, holders, report)
    headings: list[str] = list(old.headings) if old else []
    heading_ids = {h: i for i, h in enumerate(headings)}
    contents: list[Content] = []
    tables: list[PassageTable] = []
    kept: list[np.ndarray] = []
    for content in old.contents if old else ():  # unchanged texts keep their passages and vectors
        if content.sha256 in holders and content.sha256 not in fresh:
            rows = np.arange(content.first_row, content.first_row + content.passages, dtype=np.int64)
            tables.append(replace(old.passages.take(rows), content=np.full(len(rows), len(contents))))  # type: ignore[union-attr]
            kept.append(rows)
            first_row = contents[-1].first_row + contents[-1].passages if contents else 0
            contents.append(replace(content, source=holders[content.sha256][0], first_row=first_row))
    texts: list[str] = []
    spans: list[tuple[Span, ...]] = []
    for sha, item in fresh.items():
        if sha in holders:
            store.write_text(text_key(sha, item.reader), item.document.text, item.document.boxes)
            table, chunk_texts, chunk_spans = passage_rows(
                item.document, item.chunks, len(contents), headings, heading_ids
            )
            tables.append(table)
            texts.extend(chunk_texts)
            spans.extend(chunk_spans)
            first_row = contents[-1].first_row + contents[-1].passages if contents else 0
            contents.append(_new_content(sha, holders[sha][0], item, first_row))
    keep = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
    vectors, sentence_vectors = _embed(embedder, texts, spans, progress)
    report.passages_embedded = len(texts)
    dim = embedder.dimension
    embeddings = np.concatenate([_rows_of(old and old.embeddings, keep, dim, np.float32), vectors])
    old_sentences = old.passages.sentence_index(keep) if old else keep
    sentences = np.concatenate(
        [_rows_of(old and old.sentence_vectors, old_sentences, dim, np.float16), sentence_vectors.astype(np.float16)]
    )
    return Snapshot(
        model={
            "name": embedder.name,
            "backend": embedder.backend_name,
            "dimension": dim,
            "max_seq_length": embedder.max_seq_length,
        },
        chunking=chunking.as_dict(),
        documents=documents,
        contents=tuple(contents),
        headings=tuple(headings),
        passages=(passages := PassageTable.concat(tables)),
        embeddings=embeddings,
        sentence_vectors=sentences,
        lexical=Lexical.build(
            texts, base=old.lexical if old else None, keep=keep if old else None, pages=passages.page_groups()
        ),
        dense=DenseIndex.build(embeddings),
        generation=old.generation if old else 0,
    )


def _documents(
    records: dict[str, DocRecord], holders: dict[str, list[str]], report: IndexReport
) -> tuple[DocRecord, ...]:
    """Every record, a copy pointing at the file whose passages it shares; new copies are reported."""
    changed = set(report.added) | set(report.updated)
    documents = []
    for paths in holders.values():
        primary = paths[0]
        for path in paths:
            documents.append(replace(records[path], duplicate_of=None if path == primary else primary))
            if path != primary and path in changed:
                report.duplicates.append((path, primary))
    return tuple(documents)


def _rows_of(array: np.ndarray | None, rows: np.ndarray, dimension: int, dtype: type) -> np.ndarray:
    if array is None or rows.size == 0:
        return np.zeros((0, dimension), dtype=dtype)
    return np.asarray(array[rows], dtype=dtype)


def _embed(
    embedder: Embedder, texts: list[str], spans: list[tuple], progress: Progress | None
) -> tuple[np.ndarray, np.ndarray]:
    if not texts:
        dim = embedder.dimension
        return np.zeros((0, dim), dtype=np.float32), np.zeros((0, dim), dtype=np.float32)
    return embedder.embed_passages(texts, spans, progress=progress)


def _new_content(sha: str, source: str, item: _Fresh, first_row: int) -> Content:
    return Content(
        sha256=sha,
        source=source,
        kind=item.document.kind,
        first_row=first_row,
        passages=len(item.chunks),
        chars=len(item.document.text),
        page_starts=item.document.page_starts,
        ocr_pages=item.document.ocr_pages,
        reader=item.reader,
    )
