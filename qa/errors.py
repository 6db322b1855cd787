"""Exception types of the library. Front ends turn them into one-line messages."""

from __future__ import annotations


class VerbatimError(Exception):
    """Base class: a problem the user can act on, with a message that says what and why."""


class DocumentError(VerbatimError):
    """One document could not be read (the others in the same run still are)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NotIndexedError(DocumentError):
    """A source asked for (a page, a passage's context) is not in the index."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "is not in the index")


class IndexMissingError(VerbatimError):
    """There is no index yet in the folder asked for."""


class IndexDamagedError(VerbatimError):
    """The saved index is damaged or was made by another model or format version."""


class IndexBusyError(VerbatimError):
    """Another process holds the index folder's write lock."""


class QuestionError(VerbatimError):
    """The question cannot be asked (for example it is empty)."""


class UnknownDocumentError(QuestionError):
    """A question or request names a document that is not in the index."""


class ModelError(VerbatimError):
    """The embedding model could not be loaded."""


class StoreError(VerbatimError):
    """The store named (a PostgreSQL URL) cannot be used: unreachable, refused, or without what it needs."""


class AccessError(VerbatimError):
    """A user, password, role or collection that does not allow what was asked (or a name that cannot be one)."""
