"""What is indexed, as the user names it: the document list, and the documents a question is limited to."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from qa.errors import UnknownDocumentError
from qa.stores.base import Index


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


def document_list(snapshot: Index) -> list[DocumentInfo]:
    """The indexed documents, in path order."""
    by_sha = {c.sha256: c for c in snapshot.contents}
    rows = []
    for doc in sorted(snapshot.documents, key=lambda d: d.path):
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
            )
        )
    return rows


def contents_named(snapshot: Index, names: Sequence[str]) -> frozenset[int]:
    """The content ids of documents given by path or file name; a name not indexed is an UnknownDocumentError."""
    by_sha = {c.sha256: i for i, c in enumerate(snapshot.contents)}
    chosen: set[int] = set()
    for name in names:
        matches = [
            d for d in snapshot.documents
            if name in (d.path, os.path.basename(d.path)) or os.path.abspath(name) == d.path
        ]  # fmt: skip
        if not matches:
            listed = ", ".join(sorted(os.path.basename(d.path) for d in snapshot.documents)) or "nothing"
            raise UnknownDocumentError(f"{name!r} is not an indexed document (indexed: {listed})")
        chosen.update(by_sha[d.sha256] for d in matches if d.sha256 in by_sha)
    return frozenset(chosen)
