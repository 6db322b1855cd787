"""The one library object: ``Engine`` indexes documents and answers questions. CLI and app wrap it."""

from __future__ import annotations

import bisect
import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from qa.abstain import model_for, probe_questions
from qa.access.names import collection_name
from qa.answers import SPARE, Asked, answer_of, distinct, make_hits, prepare, supported
from qa.catalog import (
    DocumentInfo,
    Readable,
    as_seen_by,
    content_source,
    contents_named,
    document_list,
    readable_contents,
    visible,
)
from qa.config import Settings, default_backend
from qa.embedder import Embedder
from qa.errors import DocumentError, IndexDamagedError, NotIndexedError, QuestionError
from qa.indexer import Progress, Reader, Reading, build_snapshot
from qa.named import NamedDocuments
from qa.pages import PageImages, page_png
from qa.proximity import RERANKED, reorder
from qa.search import SearchParams, background, rank
from qa.stores.base import Index, IndexStore
from qa.stores.choose import open_store
from qa.types import Answer, IndexReport, Passage
from qa.unaddressed import unaddressed


class Engine:
    """Index documents into ``settings.index_dir`` and answer questions from it.

    The model is loaded once, on first need. Searches run on an immutable snapshot, so questions
    can be answered from several threads while a new snapshot is being built.
    """

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self._own_embedder = embedder is None
        self.embedder = embedder or self._embedder(self.settings.backend or default_backend(self.settings.model))
        self.store: IndexStore = open_store(self.settings.index_dir, self.settings.store)
        self.model = model_for(self.embedder.name)  # whether the documents answer (qa.abstain)
        self._backgrounds: dict[int, float] = {}  # generation -> the index's background evidence (qa.abstain)
        self._named: tuple[int, NamedDocuments] | None = None  # the documents' file-name words, of a generation
        self.pages = PageImages()  # rendered pages, cached
        self._snapshot: Index | None = None
        self._write_lock = threading.Lock()

    # -- the index -----------------------------------------------------------------------------

    @property
    def snapshot(self) -> Index:
        """The current index, loaded on first use (followed as other processes change it, in a shared store);
        IndexMissingError if there is none."""
        if self._snapshot is None:
            snapshot = self.store.load()
            self._check_model(snapshot)
            self._snapshot = snapshot
        else:
            self._snapshot = self.store.refresh(self._snapshot)
        return self._snapshot

    def has_index(self) -> bool:
        return self._snapshot is not None or self.store.exists()

    def _check_model(self, snapshot: Index) -> None:
        backend = snapshot.model.get("backend", "torch")
        if (
            self._own_embedder
            and backend != self.embedder.backend_name
            and snapshot.model.get("name") == self.embedder.name
        ):
            # Questions must be embedded the way the passages were: follow the index's backend.
            self.embedder = self._embedder(backend)
        made = (snapshot.model.get("name"), backend)
        if made != (self.embedder.name, self.embedder.backend_name):
            raise IndexDamagedError(
                f"the index in {self.store.name} was made with the model {made[0]} ({made[1]}), "
                f"not {self.embedder.name} ({self.embedder.backend_name})"
            )

    def _embedder(self, backend: str) -> Embedder:
        s = self.settings
        return Embedder(s.model, s.batch_size, backend, cache_dir=s.cache_dir, mpnet_dir=s.mpnet_dir)

    def rebuild_command(self) -> str:
        """The command that rebuilds this index from its documents (for error messages)."""
        try:
            paths = self.store.document_paths()
        except Exception:  # the config itself may be what is damaged
            paths = []
        if len(paths) > 5:  # name the folders, not every file
            paths = sorted({os.path.dirname(p) for p in paths})
        shown = " ".join(_quote(p) for p in paths[:5]) + (" ..." if len(paths) > 5 else "")
        return f"python -m qa index --rebuild {self.store.rebuild_option()} {shown or 'PATH...'}"

    def add(
        self,
        paths: Iterable[str | os.PathLike[str]],
        progress: Progress | None = None,
        rebuild: bool = False,
        reading: Reading | None = None,
        collection: str | None = None,
        cluster: Reader | None = None,
    ) -> IndexReport:
        """Index the files under ``paths``: new and changed ones are embedded, deleted ones dropped.

        A file that fails is reported in ``IndexReport.problems``; the rest are still indexed and
        the previous index stays as it was until the new one is complete. ``progress`` follows the
        passages embedded, ``reading(path)`` gives what follows the pages of one document being read.
        ``collection``: the collection they go into (None: each keeps its own; a new one goes into the default).
        ``cluster`` reads and embeds the new texts elsewhere (``ray_reader``); None: here.
        """
        if collection is not None:
            collection_name(collection)
        paths = [os.fspath(p) for p in paths]
        with self._write_lock, self.store.lock(self.settings.lock_timeout):
            old = None if rebuild else self._load_for_update()
            snapshot, report = build_snapshot(
                self.store, self.embedder, self.settings.chunking, old, paths, progress, reading=reading,
                max_file_mb=self.settings.max_file_mb, collection=collection, reader=cluster,
            )  # fmt: skip
            if snapshot is not None:
                self._snapshot = snapshot
            return report

    def ray_reader(self, shown: Callable[[Any], None] | None = None) -> Reader:
        """A reader of new texts on the Ray cluster the settings name (``--ray``, ``VERBATIM_RAY``)."""
        from qa.cluster.ray_reader import RayReader

        s = self.settings
        return RayReader(s.ray or "auto", self.embedder, s.model, s.chunking.as_dict(), s.ray_workers, shown)

    def remove(self, path: str, collections: Readable = None) -> IndexReport:
        """Drop one document from the index (its file, if uploaded, is deleted too); ``collections``: only a
        document of these may go (None: any)."""
        started = time.perf_counter()
        with self._write_lock, self.store.lock(self.settings.lock_timeout):
            old = self._load_for_update()
            if old is None or path not in {d.path for d in visible(old, collections)}:
                raise DocumentError(path, "is not in the index")
            snapshot, report = build_snapshot(
                self.store, self.embedder, self.settings.chunking, old, [], None, drop={path}
            )
            assert snapshot is not None
            self._snapshot = snapshot
        uploads = os.path.abspath(self.store.uploads_dir)
        if os.path.abspath(path).startswith(uploads + os.sep):
            with contextlib.suppress(OSError):
                os.unlink(path)
        report.seconds = time.perf_counter() - started
        return report

    def _load_for_update(self) -> Index | None:
        """The index as it is stored now: the one in memory unless another process has replaced it."""
        if not self.store.exists():
            return None
        if self._snapshot is None or not self.store.is_current(self._snapshot):
            snapshot = self.store.load()
            self._check_model(snapshot)
            self._snapshot = snapshot
        return self._snapshot

    def documents(self, collections: Readable = None) -> list[DocumentInfo]:
        """The indexed documents (of ``collections``; None: all), in path order."""
        return document_list(self.snapshot, collections) if self.has_index() else []

    # -- questions -----------------------------------------------------------------------------

    def search_params(self, mode: str | None = None) -> SearchParams:
        threshold = self.model.cutoff if self.settings.threshold is None else self.settings.threshold
        return SearchParams(mode=mode or self.settings.mode, threshold=threshold)

    def ask(
        self,
        question: str,
        k: int | None = None,
        mode: str | None = None,
        params: SearchParams | None = None,
        history: Sequence[str] = (),
        documents: Sequence[str] = (),
        collections: Readable = None,
    ) -> Answer:
        """The ``k`` passages that best answer ``question``, and whether the documents answer it.

        ``history``, the earlier questions of a conversation (oldest first), resolves a follow-up that refers
        back to them (``qa.conversation``); ``Answer.searched`` is the query that was run. ``documents`` (file
        names or paths as ``documents()`` lists them) limits the search to those; empty: all. ``collections``:
        the collections the asker reads (None: all); nothing of another is searched, cited or named.
        """
        return self.ask_many([(question, history)], k, mode, params, documents, collections)[0]

    def ask_many(
        self,
        questions: Sequence[tuple[str, Sequence[str]]],
        k: int | None = None,
        mode: str | None = None,
        params: SearchParams | None = None,
        documents: Sequence[str] = (),
        collections: Readable = None,
    ) -> list[Answer]:
        """``ask`` for many ``(question, history)`` pairs, their queries embedded in one batch."""
        k = self.settings.k if k is None else k
        if k < 1:
            raise QuestionError("the number of passages must be at least 1")
        params = params or self.search_params(mode)
        with self.store.reading():
            snapshot = self.snapshot
            if documents:  # ids of this snapshot
                params = replace(params, within=contents_named(snapshot, documents, collections))
            elif (readable := readable_contents(snapshot, collections)) is not None:
                if not readable:  # nothing the asker may read
                    return [_nothing(q, params.threshold) for q, _ in questions]
                params = replace(params, within=readable)
            t0 = time.perf_counter()
            named = self.named(snapshot)
            prepared = [prepare(snapshot, self.embedder, q, history, params, named) for q, history in questions]
            vectors = self.embedder.embed_queries([p.searched for p in prepared]) if prepared else []
            embedded = (time.perf_counter() - t0) / max(len(prepared), 1)
            answers = [self._answer(snapshot, p, v, k, embedded) for p, v in zip(prepared, vectors, strict=True)]
            return [as_seen_by(a, snapshot, collections) for a in answers]

    def _answer(self, snapshot: Index, asked: Asked, query: np.ndarray, k: int, embedded: float) -> Answer:
        timings: dict[str, float] = {"embed": embedded}
        t0 = time.perf_counter()
        params = asked.params
        pool = max(k, RERANKED) if params.reorders else k
        ranked = rank(snapshot, asked.searched, query, pool + SPARE, params, stages=timings)
        t1 = time.perf_counter()
        ranked, passages = distinct(ranked, self.passages([r.row for r in ranked], snapshot))
        ranked, passages = ranked[:pool], passages[:pool]
        if params.reorders:
            ranked, passages = reorder(
                ranked, passages, asked.searched, snapshot.term_idf, params.proximity, params.bigram
            )
            ranked, passages = ranked[:k], passages[:k]
        hits = make_hits(snapshot, asked, ranked, passages, self.model, self.background(snapshot))
        t2 = time.perf_counter()
        missing = None
        if supported(asked, hits):
            missing = unaddressed(snapshot, self.embedder.embed_queries, asked.question, asked.searched, hits)
        now = time.perf_counter()
        timings.update(passages=t2 - t1, unaddressed=now - t2, total=now - t0 + embedded)
        return answer_of(snapshot, asked, hits, timings, missing)

    def named(self, snapshot: Index) -> NamedDocuments:
        """The documents of ``snapshot`` by the words of their file names (``qa.named``), built once per generation."""
        if self._named is None or self._named[0] != snapshot.generation:
            self._named = (snapshot.generation, NamedDocuments(snapshot))
        return self._named[1]

    def background(self, snapshot: Index) -> float:
        """The mean evidence that questions no document answers find in this index (``qa.abstain``)."""
        if snapshot.generation not in self._backgrounds:
            probes = probe_questions()
            self._backgrounds[snapshot.generation] = background(snapshot, probes, self.embedder.embed_queries(probes))
        return self._backgrounds[snapshot.generation]

    def passage(self, row: int, snapshot: Index | None = None) -> Passage:
        """Passage ``row`` of the index, its text sliced from its stored source text."""
        return self.passages([row], snapshot)[0]

    def passages(self, rows: Sequence[int], snapshot: Index | None = None) -> list[Passage]:
        """``passage`` for many rows, read from the index at once."""
        snapshot = snapshot or self.snapshot
        found = []
        fields = snapshot.rows(rows)
        contents = [snapshot.contents[data.content] for data in fields]
        texts = self.store.read_slices([(c.key, d.start, d.end) for c, d in zip(contents, fields, strict=True)])
        for row, data, content, text in zip(rows, fields, contents, texts, strict=True):
            found.append(Passage(
                id=int(row), source=content.source, start=data.start, end=data.end, text=text, line=data.line,
                page=data.page or None, heading=data.heading, sentences=data.sentences,
                ocr=data.page in content.ocr_pages,
                last_page=bisect.bisect_right(content.page_starts, data.end - 1) if data.page else None,
            ))  # fmt: skip
        return found

    def source_text(self, source: str, collections: Readable = None) -> str:
        """The text that a source's offsets index (the decoded or extracted text, as stored)."""
        snapshot = self.snapshot
        found = snapshot.stored(content_source(snapshot, source, collections))
        if found is None:
            raise NotIndexedError(source)
        return self.store.read_text(found[1].key)

    def page_image(
        self, source: str, start: int, end: int, answer: tuple[int, int] | None = None, collections: Readable = None
    ) -> bytes:
        """A PNG of the page of ``source[start:end]``, the passage marked (the answer more strongly); of each of its
        pages, one under the other, when it runs over a page break.

        ``source``, ``start`` and ``end`` are a passage's fields in an answer; the page is rendered from the file
        itself, which must be the one that was indexed. ``collections``: those the asker reads (None: all).
        """
        snapshot = self.snapshot
        source = content_source(snapshot, source, collections)
        return page_png(snapshot, self.store, self.pages, source, (start, end), answer, self.rebuild_command)

    def context(self, passage: Passage, chars: int = 1200) -> tuple[str, str, str]:
        """The text before the passage, the passage, and the text after it (about ``chars`` each side)."""
        return self.around(passage.source, passage.start, passage.end, chars)

    def around(
        self, source: str, start: int, end: int, chars: int = 1200, collections: Readable = None
    ) -> tuple[str, str, str]:
        """``context`` for a span given by its fields (the API's and MCP's ``context``); a span that is not in the
        source's text is a QuestionError."""
        text = self.source_text(source, collections)
        if not 0 <= start < end <= len(text):
            raise QuestionError(f"{source} has no passage at {start}:{end} (its text is {len(text)} characters)")
        return text[max(0, start - chars) : start], text[start:end], text[end : min(len(text), end + chars)]


def _nothing(question: str, threshold: float) -> Answer:
    """The answer to one who may read no document: none."""
    return Answer(question=question, answered=False, hits=(), threshold=threshold, searched=question)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
