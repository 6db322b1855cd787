"""Build the next snapshot from the previous one: read new and changed files, embed only those."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from qa.access.names import DEFAULT_COLLECTION
from qa.chunker import chunk_text
from qa.config import ChunkSettings
from qa.embedder import Embedder
from qa.errors import DocumentError, IndexDamagedError
from qa.readers.loaders import PageProgress, discover, kind_of, load_document, read_bytes, reader_version
from qa.snapshot import DocRecord
from qa.stores.base import Index, IndexStore
from qa.stores.batch import Batch, EmbedPassages, Fresh
from qa.types import Document, IndexReport, Problem

Progress = Callable[[int, int], None]
Reading = Callable[[str], PageProgress | None]  # a document's path -> what follows its pages, if anything


@dataclass
class Job:
    """A file whose text is new to the index: to be read, cut into passages (and, on a cluster, embedded)."""

    path: str
    data: bytes
    sha: str
    kind: str
    reader: int  # the version of the reader that will read it
    prior: DocRecord | None
    collection: str
    mtime: float


class Reader(Protocol):
    """Reads the jobs it is given, in any order, as it likes: here one after the other (``LocalReader``), or on a
    Ray cluster (``qa.cluster``). Each job comes back once, with its text or why it could not be read. ``embed``
    embeds the batch's passages where the reader read them (None: here)."""

    embed: EmbedPassages | None

    def read(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Fresh | DocumentError]]: ...


def read_and_chunk(job: Job, counter: Embedder, chunking: ChunkSettings, pages: PageProgress | None) -> Fresh:
    """A job's document read and cut into passages (``counter`` counts word pieces as the model will)."""
    document = load_document(job.path, job.data, pages)
    # never a passage longer than the model reads, whatever the settings say
    chunking = replace(chunking, max_tokens=min(chunking.max_tokens, counter.max_tokens))
    chunks = chunk_text(
        document.text, chunking, counter.count_tokens, document.page_breaks, counter.count_tokens_many,
        document.blocks,
    )  # fmt: skip
    return Fresh(document, chunks, job.reader)


class LocalReader:
    """Reads one job after the other in this process (what ``index`` does without ``--ray``)."""

    embed = None

    def __init__(self, embedder: Embedder, chunking: ChunkSettings, reading: Reading | None = None) -> None:
        self.embedder, self.chunking, self.reading = embedder, chunking, reading

    def read(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Fresh | DocumentError]]:
        for job in jobs:
            pages = self.reading(job.path) if self.reading else None
            try:
                fresh = read_and_chunk(job, self.embedder, self.chunking, pages)
            except DocumentError as exc:
                yield job, exc
            else:
                yield job, fresh


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
    reader: Reader | None = None,
) -> tuple[Index | None, IndexReport]:
    """The index after indexing ``paths``, written by ``store`` (None when nothing changed), and what happened.

    ``progress`` follows the passages being embedded; ``reading`` the pages of each document being read.
    ``collection``: the collection of the files indexed (None: a file keeps its own, a new one the default);
    a file moved to another collection is not read again. ``reader`` reads the new texts (default: here).
    """
    started = time.perf_counter()
    if old is not None and {**ChunkSettings().as_dict(), **old.chunking} != chunking.as_dict():
        raise IndexDamagedError(f"the index in {store.name} was built with other chunking settings ({old.chunking})")
    reader = reader or LocalReader(embedder, chunking, reading)
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
    done = 0
    while done < len(queue):  # the queue grows by the attachments of e-mails, which are documents of their own
        batch, done = queue[done:], len(queue)
        waiting: dict[str, list[Job]] = {}  # a text being read -> the other files that hold it

        def planned(batch: list[str] = batch, waiting: dict[str, list[Job]] = waiting) -> Iterator[Job]:
            for path in batch:
                try:
                    job = _plan(path, records, old_shas, fresh, report, max_file_mb, collection)
                except DocumentError as exc:
                    report.problems.append(Problem(exc.path, exc.reason))
                    continue
                if job is not None and job.sha in waiting:
                    waiting[job.sha].append(job)
                elif job is not None:
                    waiting[job.sha] = []
                    yield job

        for job, result in reader.read(planned()):
            copies = waiting.pop(job.sha, [])
            if isinstance(result, DocumentError):
                report.problems += [Problem(j.path, result.reason) for j in (job, *copies)]
                continue
            fresh[job.sha] = result
            for held in (job, *copies):
                _record(held, records, report, result.document.warnings)
            if result.document.attachments:
                queue += _save_attachments(store.attachments_dir, result.document, report)
    _drop_deleted(paths, set(queue), records, report)
    if old is not None and not (report.added or report.updated or report.removed):
        report.passages_total = old.size
        report.seconds = time.perf_counter() - started
        return None, report
    snapshot = store.commit(Batch(old, records, fresh, embedder, chunking, progress, report, reader.embed))
    report.passages_total = snapshot.size
    report.seconds = time.perf_counter() - started
    return snapshot, report


def _plan(
    path: str,
    records: dict[str, DocRecord],
    old_shas: set[str],
    fresh: dict[str, Fresh],
    report: IndexReport,
    max_file_mb: float,
    collection: str | None,
) -> Job | None:
    """Record one file whose text the index has (unchanged, moved to another collection, or a copy of a text
    already read); a Job for one whose text must be read."""
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
    job = Job(path, data, sha, kind, current_reader, prior, collection, os.path.getmtime(path))
    # the same content already in the index, read by the current reader (a copy): only scanned for when likely
    read_before = next(
        (d for d in records.values() if d.sha256 == sha and d.reader >= current_reader), None
    ) if sha in old_shas else None  # fmt: skip
    if sha in fresh:
        _record(job, records, report, fresh[sha].document.warnings)
    elif read_before is not None:
        _record(job, records, report, read_before.warnings)
    else:
        return job
    return None


def _record(job: Job, records: dict[str, DocRecord], report: IndexReport, warnings: tuple[str, ...]) -> None:
    records[job.path] = DocRecord(
        path=job.path, size=len(job.data), mtime=job.mtime, sha256=job.sha, kind=job.kind, warnings=warnings,
        reader=job.reader, collection=job.collection,
    )  # fmt: skip
    (report.updated if job.prior is not None else report.added).append(job.path)


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
