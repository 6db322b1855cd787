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


def content_of(info: dict[str, Any]) -> Content:
    return Content(**{**info, "page_starts": tuple(info["page_starts"]), "ocr_pages": tuple(info["ocr_pages"])})


def record_of(record: dict[str, Any]) -> DocRecord:
    return DocRecord(**{**record, "warnings": tuple(record.get("warnings", ()))})


class PgContents:
    """The indexed texts by id (``contents[id]``), and every one in id order when walked."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._cache: OrderedDict[int, Content] = OrderedDict()
        self._guard = threading.Lock()

    def __getitem__(self, content_id: int) -> Content:
        found = self._cache.get(content_id)
        if found is None:
            row = self.conn().execute("SELECT info FROM verbatim.contents WHERE id = %s", (content_id,)).fetchone()
            if row is None:
                raise IndexDamagedError(f"text {content_id} is no longer in the index: ask again")
            found = content_of(row[0])
            with self._guard:  # questions on several threads share the cache
                self._cache[content_id] = found
                while len(self._cache) > CACHED:
                    self._cache.popitem(last=False)
        return found

    def warm(self, content_ids: set[int]) -> None:
        """Read the fields of those of these texts not kept yet, in one query (a question's hits cite several)."""
        missing = [i for i in content_ids if i not in self._cache]
        if missing:
            found = self.conn().execute("SELECT id, info FROM verbatim.contents WHERE id = ANY(%s)", (missing,))
            with self._guard:
                for content_id, info in found:
                    self._cache[int(content_id)] = content_of(info)
                while len(self._cache) > CACHED:
                    self._cache.popitem(last=False)

    def items(self) -> list[tuple[int, Content]]:
        """Every text with its id (read whole before it is returned: the connection is free again for the
        caller's next query)."""
        stream = self.conn().cursor().stream("SELECT id, info FROM verbatim.contents ORDER BY id")
        return [(int(content_id), content_of(info)) for content_id, info in stream]

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
        return None if row is None else (int(row[0]), content_of(row[1]))


class PgDocuments:
    """Every indexed file's record, in path order when walked."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __iter__(self) -> Iterator[DocRecord]:
        stream = self.conn().cursor().stream("SELECT record FROM verbatim.documents ORDER BY path")
        return iter([record_of(record) for (record,) in stream])

    def __len__(self) -> int:
        return int(self.conn().execute("SELECT count(*) FROM verbatim.documents").fetchone()[0])

    def get(self, path: str) -> DocRecord | None:
        row = self.conn().execute("SELECT record FROM verbatim.documents WHERE path = %s", (path,)).fetchone()
        return None if row is None else record_of(row[0])
