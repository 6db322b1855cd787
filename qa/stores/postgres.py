"""The PostgreSQL store: one index that any number of processes on any machines read and write.

Questions read the database (``qa.stores.pg_index``), never a copy of the index in memory, nor of the document
list (``qa.stores.pg_catalog``). Each question runs in one read-only REPEATABLE READ transaction, so it sees one
generation from its first query to its last, and the first question after another process commits sees the new
one. A batch is one transaction (``qa.stores.pg_write``) under a session advisory lock, so a second writer waits
(``VERBATIM_LOCK_TIMEOUT``) or is told why, and a killed writer's work is rolled back by the server.
Files that only this machine needs (uploads, e-mail attachments) stay under ``--index-dir``.
"""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import IndexBusyError, IndexDamagedError, IndexMissingError, StoreError
from qa.snapshot import text_key
from qa.stores.base import LocalFolders
from qa.stores.batch import Batch

if TYPE_CHECKING:
    from qa.stores.pg_write import Write
from qa.stores.pg_catalog import PgContents, PgDocuments
from qa.stores.pg_connect import check_url, connect, first_line, masked
from qa.stores.pg_index import PgIndex
from qa.stores.pg_schema import AFTER_BATCH, has_store, read_meta

LOCK_KEY = 0x7665726261  # the advisory lock writers take ("verba")
_KEPT_GENERATIONS = 4  # document lists kept for questions still reading an older generation


class PostgresStore(LocalFolders):
    def __init__(self, url: str, local_dir: Path) -> None:
        check_url(url)
        self.url = url
        self.root = Path(local_dir)
        self._local = threading.local()
        self._loaded: dict[int, PgIndex] = {}
        self._texts: dict[str, str] = {}
        self._guard = threading.Lock()
        self._writer: Any = None
        self._has_store = False

    @property
    def name(self) -> str:
        return masked(self.url)

    def rebuild_option(self) -> str:
        return f"--store {shlex.quote(self.name)}"

    def conn(self) -> Any:
        """This thread's connection (made on first use, made again if the server dropped it)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            import psycopg

            conn = connect(self.url)
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.execute("SET hnsw.ef_search = 128")  # as the files store's graph searches (qa.dense)
            conn.execute("SET hnsw.iterative_scan = relaxed_order")  # a document filter still finds n rows
            self._local.conn = conn
        return conn

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One question's queries in one read-only transaction: one generation from first to last."""
        with self.speaking():
            conn = self.conn()
            if conn.info.transaction_status != 0:  # already inside one (a nested call)
                yield
                return
            conn.read_only = True
            try:
                with conn.transaction():
                    yield
            finally:
                if not conn.closed:
                    conn.read_only = False

    @contextmanager
    def speaking(self) -> Iterator[None]:
        """Talking to the server: a connection lost on the way is one line (the next call connects again)."""
        import psycopg

        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            reason = first_line(str(exc), self.url)
            message = f"lost the connection to {self.name} ({reason}); try again when the server is back"
            raise StoreError(message) from None

    def _generation(self) -> int | None:
        with self.speaking():
            return self._read_generation()

    def _read_generation(self) -> int | None:
        conn = self.conn()
        if not self._has_store:
            if not has_store(conn):
                return None
            self._has_store = True  # the tables, once made, stay
        found = conn.execute("SELECT value FROM verbatim.meta WHERE key = 'generation'").fetchone()
        return int(found[0]) if found and int(found[0]) > 0 else None

    def exists(self) -> bool:
        return self._generation() is not None

    def load(self) -> PgIndex:
        conn = self.conn()
        with self.reading():
            if not has_store(conn):
                raise self._missing()
            meta = read_meta(conn, self.name)
            generation = int(meta["generation"])
            if generation in self._loaded:
                return self._loaded[generation]
        if generation == 0:
            raise self._missing()
        index = PgIndex(
            model=meta["model"], chunking=meta["chunking"], documents=PgDocuments(self.conn),
            contents=PgContents(self.conn), generation=generation, stats=meta["stats"], conn=self.conn,
        )  # fmt: skip
        with self._guard:
            self._loaded[generation] = index
            for old in sorted(self._loaded)[:-_KEPT_GENERATIONS]:
                del self._loaded[old]
        return index

    def _missing(self) -> IndexMissingError:
        return IndexMissingError(f"no index in {self.name} yet: run python -m qa index --store URL PATH...")

    def is_current(self, snapshot: Any) -> bool:
        return self._generation() == snapshot.generation

    def refresh(self, snapshot: Any) -> PgIndex:
        generation = self._generation()
        if generation == snapshot.generation:
            return snapshot
        return self._loaded.get(generation or -1) or self.load()

    @contextmanager
    def lock(self, timeout: float = 0.0) -> Iterator[None]:
        """Hold the store's write lock (a session advisory lock on a connection of its own)."""
        writer = connect(self.url)
        deadline = time.monotonic() + timeout
        try:
            with self.speaking():
                if writer.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    raise StoreError(f"the database {self.name} is read-only (a replica): index through the primary")
                while not writer.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
                    if time.monotonic() >= deadline:
                        raise IndexBusyError(
                            f"another process is writing the index in {self.name}; try again when it has finished"
                        )
                    time.sleep(0.2)
            self._writer = writer
            yield
        finally:
            self._writer = None
            writer.close()  # the lock goes with the session

    def commit(self, batch: Batch) -> PgIndex:
        """Write ``batch`` in one transaction (its new passages embedded first, outside it)."""
        from qa.stores.pg_write import write_of

        return self.apply(write_of(batch))

    def apply(self, write: Write) -> PgIndex:
        """Write one batch's changes in one transaction (the lock held), then refresh the planner's view."""
        from qa.stores.pg_write import write_batch

        if self._writer is None:
            raise RuntimeError("writing needs the store's lock")
        with self.speaking():
            with self._writer.transaction():
                write_batch(self._writer, write)
            self._writer.execute(AFTER_BATCH)
        return self.load()

    def read_text(self, key: str) -> str:
        if key not in self._texts:
            text = self._content_field(key, "text")
            with self._guard:
                if len(self._texts) >= 64:
                    self._texts.pop(next(iter(self._texts)))
                self._texts[key] = text
        return self._texts[key]

    def read_slices(self, spans: Sequence[tuple[str, int, int]]) -> list[str]:
        """Slices of texts kept here cut here; the others cut by the server in one query (a whole PDF's text is
        not sent for a passage of it). A slice is checked by its length, so a database whose encoding counts
        characters otherwise than Python falls back to the whole text."""
        found: dict[int, str] = {}
        asked = []
        for n, (key, start, end) in enumerate(spans):
            kept = self._texts.get(key)  # another thread may drop it from the cache at any moment
            if kept is not None:
                found[n] = kept[start:end]
            else:
                asked.append((n, key, start, end))
        if asked:
            with self.speaking():
                rows = self.conn().execute(
                    "SELECT w.n, substr(c.text, w.s + 1, w.e - w.s), c.sha256, (c.info->>'reader')::int FROM"
                    " unnest(%s::int[], %s::text[], %s::int[], %s::int[]) w(n, sha, s, e)"
                    " JOIN verbatim.contents c ON c.sha256 = w.sha",
                    ([a[0] for a in asked], [a[1].split(".", 1)[0] for a in asked], [a[2] for a in asked],
                     [a[3] for a in asked]),
                ).fetchall()  # fmt: skip
            for n, piece, sha, reader in rows:
                if text_key(sha, reader) == spans[n][0] and len(piece) == spans[n][2] - spans[n][1]:
                    found[n] = piece
        for n, (key, start, end) in enumerate(spans):
            if n not in found:
                found[n] = self.read_text(key)[start:end]  # gone or not as asked: read_text says why
        return [found[n] for n in range(len(spans))]

    def read_boxes(self, key: str) -> np.ndarray | None:
        raw = self._content_field(key, "boxes")
        return None if raw is None else np.frombuffer(raw, dtype=np.float32).reshape(-1, 4)

    def _content_field(self, key: str, column: str) -> Any:
        sha = key.split(".", 1)[0]
        with self.speaking():
            found = self.conn().execute(
                f"SELECT {column}, (info->>'reader')::int FROM verbatim.contents WHERE sha256 = %s", (sha,)
            ).fetchone()
        if found is None or text_key(sha, found[1]) != key:
            raise IndexDamagedError(f"the text {key} is no longer in {self.name}: ask again")
        return found[0]

    def read_original(self, sha256: str) -> bytes | None:
        with self.speaking():
            found = self.conn().execute("SELECT data FROM verbatim.originals WHERE sha256 = %s", (sha256,)).fetchone()
        return None if found is None else bytes(found[0])

    def document_paths(self) -> list[str]:
        with self.speaking():
            return [r[0] for r in self.conn().execute("SELECT path FROM verbatim.documents ORDER BY path")]


__all__ = ["PostgresStore", "StoreError"]
