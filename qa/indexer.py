"""Build the next snapshot from the previous one: read new and changed files, embed only those."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from qa.access.names import DEFAULT_COLLECTION
from qa.chunker import chunk_text
from qa.config import ChunkSettings
from qa.embedder import Embedder
from qa.errors import DocumentError, IndexDamagedError
from qa.readers.loaders import PageProgress, discover, kind_of, load_document, read_bytes, reader_version
from qa.snapshot import DocRecord
from qa.stores.base import Index, IndexStore
from qa.stores.batch import Batch, Fresh
from qa.types import Document, IndexReport, Problem

Progress = Callable[[int, int], None]
Reading = Callable[[str], PageProgress | None]  # a document's path -> what follows its pages, if anything


def build_snapshot(
    store: IndexStore,
    embedder: Embedder,
    chunking: ChunkSettings,
    old: Index | None,
    paths: list[str],
    progress: Progress | None,
    drop: set[str] | None = None,
    reading: Reading | None = None,
    max_file_mb: float = 100.0,
    collection: str | None = None,
) -> tuple[Index | None, IndexReport]:
    """The index after indexing ``paths``, written by ``store`` (None when nothing changed), and what happened.

    ``progress`` follows the passages being embedded; ``reading`` the pages of each document being read.
    ``collection``: the collection of the files indexed (None: a file keeps its own, a new one the default);
    a file moved to another collection is not read again.
    """
    started = time.perf_counter()
    if old is not None and {**ChunkSettings().as_dict(), **old.chunking} != chunking.as_dict():
        raise IndexDamagedError(f"the index in {store.name} was built with other chunking settings ({old.chunking})")
    report = IndexReport()
    files, problems, skipped = discover(paths)
    report.problems.extend(problems)
    report.skipped.extend(skipped)
    records = {d.path: d for d in old.documents} if old else {}
    old_shas = {c.sha256 for c in old.contents} if old else set()
    for path in sorted(drop or ()):
        if records.pop(path, None) is not None:
            report.removed.append(path)
    fresh: dict[str, Fresh] = {}
    queue = list(files)
    for path in queue:  # grows by the attachments of e-mails, which are documents of their own
        try:
            document = _read_one(
                path, records, old_shas, fresh, embedder, chunking, report, reading, max_file_mb, collection
            )
        except DocumentError as exc:
            report.problems.append(Problem(exc.path, exc.reason))
            continue
        if document is not None and document.attachments:
            queue += _save_attachments(store.attachments_dir, document, report)
    _drop_deleted(paths, set(queue), records, report)
    if old is not None and not (report.added or report.updated or report.removed):
        report.passages_total = old.size
        report.seconds = time.perf_counter() - started
        return None, report
    snapshot = store.commit(Batch(old, records, fresh, embedder, chunking, progress, report))
    report.passages_total = snapshot.size
    report.seconds = time.perf_counter() - started
    return snapshot, report


def _read_one(
    path: str,
    records: dict[str, DocRecord],
    old_shas: set[str],
    fresh: dict[str, Fresh],
    embedder: Embedder,
    chunking: ChunkSettings,
    report: IndexReport,
    reading: Reading | None,
    max_file_mb: float,
    collection: str | None,
) -> Document | None:
    """Record one file; read it when its content is new (the Document read, else None)."""
    data = read_bytes(path, int(max_file_mb * 1_000_000))
    sha = hashlib.sha256(data).hexdigest()
    prior = records.get(path)
    kind = kind_of(path) or "text"
    current_reader = reader_version(kind)
    collection = collection or (prior.collection if prior else DEFAULT_COLLECTION)
    if prior is not None and prior.sha256 == sha and prior.reader >= current_reader:
        if prior.collection == collection:
            report.unchanged.append(path)
        else:
            records[path] = replace(prior, collection=collection)
            report.updated.append(path)
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
        fresh[sha] = Fresh(document, chunks, current_reader)
        warnings = document.warnings
    records[path] = DocRecord(
        path=path, size=len(data), mtime=os.path.getmtime(path), sha256=sha, kind=kind, warnings=warnings,
        reader=current_reader, collection=collection,
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
