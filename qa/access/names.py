"""The names of users and collections: what they may be, and the collection a document has when none is given."""

from __future__ import annotations

import re

from qa.errors import AccessError

DEFAULT_COLLECTION = "default"  # a document indexed without --collection
ALL_COLLECTIONS = "*"  # a user granted this reads (and, as an editor, writes) every collection
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


def user_name(name: str) -> str:
    """``name`` if it can name a user (letters, digits, ``. _ @ -``; 1 to 64; starting with a letter or digit)."""
    if not _NAME.fullmatch(name or ""):
        raise AccessError(f"{name!r} cannot name a user: use 1 to 64 letters, digits, '.', '_', '@' or '-'")
    return name


def collection_name(name: str) -> str:
    """``name`` if it can name a collection (the same characters as a user name)."""
    if not _NAME.fullmatch(name or ""):
        raise AccessError(f"{name!r} cannot name a collection: use 1 to 64 letters, digits, '.', '_', '@' or '-'")
    return name


def collection_list(text: str) -> tuple[str, ...]:
    """``a,b`` as ``("a", "b")``; ``*`` as every collection."""
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not names:
        raise AccessError("name at least one collection (a,b), or * for all")
    if ALL_COLLECTIONS in names:
        return (ALL_COLLECTIONS,)
    return tuple(collection_name(n) for n in names)
