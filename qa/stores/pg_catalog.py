"""The document list and the texts' fields of a PostgreSQL index, read when asked for, never held.

A server held both lists for every generation it answered from: about 2 KB a document, 1 GB resident at 358,000
documents (docs/BENCHMARKS.md). Now a question reads the fields of the few texts it cites (kept for the next
questions, ``CACHED`` of them), and a walk over every document streams from the database. A content's id is its
id in the database (``verbatim.contents.id``): ids never change while the text stays, so an id read in one
question still names the same text in the next.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from qa.errors import IndexDamagedError
from qa.snapshot import Content, DocRecord

Connection = Callable[[], Any]  # the calling thread's connection
CACHED = 4096  # texts' fields kept (about 1 KB each; a 500-page PDF's page starts make it 4 KB)


class PgContents:
    """The indexed texts by id (``contents[id]``), and every one in id order when walked."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._cache: OrderedDict[int, Content] = OrderedDict()
        self._guard = threading.Lock()

    def __getitem__(self, content_id: int) -> Content:
        found = self._cache.get(content_id) or self._read([content_id]).get(content_id)
        if found is None:
            raise IndexDamagedError(f"text {content_id} is no longer in the index: ask again")
        return found

    def warm(self, content_ids: set[int]) -> None:
        """Read the fields of those of these texts not kept yet, in one query (a question's hits cite several)."""
        missing = [i for i in content_ids if i not in self._cache]
        if missing:
            self._read(missing)

    def _read(self, content_ids: list[int]) -> dict[int, Content]:
        found = {
            int(content_id): Content.from_json(info)
            for content_id, info in self.conn().execute(
                "SELECT id, info FROM verbatim.contents WHERE id = ANY(%s)", (content_ids,)
            )
        }
        with self._guard:  # questions on several threads share the cache
            self._cache.update(found)
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return found

    def items(self) -> list[tuple[int, Content]]:
        """Every text with its id (read whole before it is returned: the connection is free again for the
        caller's next query)."""
        stream = self.conn().cursor().stream("SELECT id, info FROM verbatim.contents ORDER BY id")
        return [(int(content_id), Content.from_json(info)) for content_id, info in stream]

    def __iter__(self) -> Iterator[Content]:
        return iter([content for _, content in self.items()])

    def __len__(self) -> int:
        return int(self.conn().execute("SELECT count(*) FROM verbatim.contents").fetchone()[0])

    def by_source(self, source: str) -> tuple[int, Content] | None:
        """The text stored under ``source`` (the path of the first document that held it), with its id."""
        row = self.conn().execute(
            "SELECT c.id, c.info FROM verbatim.documents d JOIN verbatim.contents c ON c.sha256 = d.record->>'sha256'"
            " WHERE d.path = %s AND c.info->>'source' = %s", (source, source),
        ).fetchone()  # fmt: skip
        return None if row is None else (int(row[0]), Content.from_json(row[1]))


class PgDocuments:
    """Every indexed file's record, in path order when walked."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __iter__(self) -> Iterator[DocRecord]:
        stream = self.conn().cursor().stream("SELECT record FROM verbatim.documents ORDER BY path")
        return iter([DocRecord.from_json(record) for (record,) in stream])

    def __len__(self) -> int:
        return int(self.conn().execute("SELECT count(*) FROM verbatim.documents").fetchone()[0])

    def get(self, path: str) -> DocRecord | None:
        row = self.conn().execute("SELECT record FROM verbatim.documents WHERE path = %s", (path,)).fetchone()
        return None if row is None else DocRecord.from_json(row[0])
