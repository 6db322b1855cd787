"""What is indexed, as the user names it: the document list, and the documents a question is limited to; and what
a user may see of it (``collections``: the collections they read, None for all; ``qa.access.users``)."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from qa.errors import NotIndexedError, UnknownDocumentError
from qa.snapshot import DocRecord
from qa.stores.base import Index
from qa.types import Answer

Readable = Collection[str] | None  # the collections a user reads; None: every one


@dataclass(frozen=True)
class DocumentInfo:
    """A row of the document list: a file that is indexed, or that duplicates one that is."""

    path: str
    name: str
    kind: str
    pages: int | None
    passages: int
    chars: int
    duplicate_of: str | None
    warnings: tuple[str, ...]
    collection: str


def document_list(snapshot: Index, collections: Readable = None) -> list[DocumentInfo]:
    """The indexed documents of ``collections``, in path order."""
    by_sha = {c.sha256: c for c in snapshot.contents}
    rows = []
    for doc in sorted(visible(snapshot, collections), key=lambda d: d.path):
        content = by_sha.get(doc.sha256)
        rows.append(
            DocumentInfo(
                path=doc.path,
                name=os.path.basename(doc.path),
                kind=doc.kind,
                pages=len(content.page_starts) if content and content.page_starts else None,
                passages=content.passages if content and doc.duplicate_of is None else 0,
                chars=content.chars if content else 0,
                duplicate_of=doc.duplicate_of,
                warnings=doc.warnings,
                collection=doc.collection,
            )
        )
    return rows


def visible(snapshot: Index, collections: Readable) -> Sequence[DocRecord]:
    """The documents of ``collections`` (all of them for None)."""
    if collections is None:
        return list(snapshot.documents)
    return [d for d in snapshot.documents if d.collection in collections]


@dataclass(frozen=True)
class View:
    """What a reader of some collections sees of one snapshot: the content ids to search, their own documents'
    paths, and for a text first indexed under another collection's path, the reader's own copy to cite it by."""

    contents: frozenset[int]
    paths: frozenset[str]
    alias: dict[str, str]
    stored_as: dict[str, str]  # each of their documents' path -> the source its text is stored under


# worked out once a snapshot, not a question (358k documents: 831 ms to work out, 0.02 ms to look up, against
# a question's 17 ms at 100k passages): the views of the latest snapshot asked about (only it is held)
_VIEWS: dict[frozenset[str], tuple[Index, View]] = {}


def view_of(snapshot: Index, collections: Collection[str]) -> View:
    key = frozenset(collections)
    cached = _VIEWS.get(key)
    if cached is not None and cached[0] is snapshot:
        return cached[1]
    if any(held is not snapshot for held, _ in list(_VIEWS.values())):
        _VIEWS.clear()
    own = sorted(visible(snapshot, collections), key=lambda d: d.path)
    first: dict[str, str] = {}
    for d in own:
        first.setdefault(d.sha256, d.path)
    paths = frozenset(d.path for d in own)
    theirs = [(i, c) for i, c in snapshot.content_items() if c.sha256 in first]
    ids = frozenset(i for i, _ in theirs)
    alias = {c.source: first[c.sha256] for _, c in theirs if c.source not in paths}
    source_of_sha = {c.sha256: c.source for _, c in theirs}
    stored_as = {d.path: source_of_sha[d.sha256] for d in own if d.sha256 in source_of_sha}
    view = View(ids, paths, alias, stored_as)
    _VIEWS[key] = (snapshot, view)
    return view


def readable_contents(snapshot: Index, collections: Readable) -> frozenset[int] | None:
    """The content ids a reader of ``collections`` may be answered from (None: all): those of their documents,
    whichever document a text was first indexed under."""
    return None if collections is None else view_of(snapshot, collections).contents


def contents_named(snapshot: Index, names: Sequence[str], collections: Readable = None) -> frozenset[int]:
    """The content ids of documents given by path or file name; a name not indexed (or not in ``collections``)
    is an UnknownDocumentError. A path is looked up alone (the page and the API pass paths); only a bare file
    name walks the document list."""
    chosen: list[DocRecord] = []
    documents: Sequence[DocRecord] | None = None
    for name in names:
        record = snapshot.document(os.path.abspath(name)) or snapshot.document(name)
        if record is not None and (collections is None or record.collection in collections):
            chosen.append(record)
            continue
        documents = visible(snapshot, collections) if documents is None else documents
        matches = [d for d in documents if name in (d.path, os.path.basename(d.path))]
        if not matches:
            listed = ", ".join(sorted(os.path.basename(d.path) for d in documents)) or "nothing"
            raise UnknownDocumentError(f"{name!r} is not an indexed document (indexed: {listed})")
        chosen += matches
    ids = snapshot.content_ids({d.sha256 for d in chosen})
    return frozenset(ids[d.sha256] for d in chosen if d.sha256 in ids)


def content_source(snapshot: Index, source: str, collections: Readable) -> str:
    """The source under which the text of document ``source`` is stored, if its reader may see it (a file
    with the same text in two collections is read once, under the first one's path); None: ``source`` itself."""
    if collections is None:
        return source
    stored = view_of(snapshot, collections).stored_as.get(source)
    if stored is None:
        raise NotIndexedError(source)
    return stored


def as_seen_by(answer: Answer, snapshot: Index, collections: Readable) -> Answer:
    """``answer`` with each passage cited by a document its reader may see: a text read under another
    collection's path is cited by the reader's own copy of it (the same text, so the same offsets)."""
    if collections is None:
        return answer
    alias = view_of(snapshot, collections).alias
    if not any(h.passage.source in alias for h in answer.hits) and not alias.keys() & set(answer.preferred):
        return answer

    def seen(source: str) -> str:
        return alias.get(source, source)

    hits = tuple(replace(h, passage=replace(h.passage, source=seen(h.passage.source))) for h in answer.hits)
    return replace(answer, hits=hits, preferred=tuple(sorted({seen(p) for p in answer.preferred})))
