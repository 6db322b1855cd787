"""Where an index lives: a folder of files (the default) or a PostgreSQL database with pgvector (``--store URL``).

Both stores hold the same index behind one small interface, ``IndexStore``; the engine never asks which it has.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:  # the package's modules import qa.snapshot, which imports qa.stores.base: no cycle at run time
    from qa.stores.base import Index
    from qa.stores.batch import Batch


class IndexStore(Protocol):
    @property
    def name(self) -> str:
        """How messages name the index (a folder, or a URL with its password masked)."""
        ...

    @property
    def uploads_dir(self) -> Path: ...

    @property
    def attachments_dir(self) -> Path: ...

    def exists(self) -> bool: ...

    def load(self) -> Index: ...

    def is_current(self, snapshot: Index) -> bool: ...

    def refresh(self, snapshot: Index) -> Index:
        """The index questions should use now (a shared store follows other processes' changes)."""
        ...

    def lock(self, timeout: float = 0.0) -> AbstractContextManager[None]: ...

    def reading(self) -> AbstractContextManager[None]:
        """Around one question's reads, so that they all see one generation of the index."""
        ...

    def commit(self, batch: Batch) -> Index: ...

    def read_text(self, key: str) -> str: ...

    def read_boxes(self, key: str) -> np.ndarray | None: ...

    def read_original(self, sha256: str) -> bytes | None:
        """The file a PDF or image text was read from, as indexed, when the store keeps it (None: read the file)."""
        ...

    def document_paths(self) -> list[str]: ...

    def rebuild_option(self) -> str:
        """The option that names this index on a command line."""
        ...


def open_store(index_dir: Path, url: str | None) -> IndexStore:
    """The files store in ``index_dir``, or the PostgreSQL store at ``url`` (local files, such as uploads, still go
    under ``index_dir``)."""
    if not url:
        from qa.stores.files import Store

        return Store(index_dir)
    from qa.stores.postgres import PostgresStore

    return PostgresStore(url, index_dir)


__all__ = ["IndexStore", "open_store"]
