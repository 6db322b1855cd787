"""The store a run uses: the index folder, or the PostgreSQL database its settings name."""

from __future__ import annotations

from pathlib import Path

from qa.stores.base import IndexStore


def open_store(index_dir: Path, url: str | None) -> IndexStore:
    """The files store in ``index_dir``, or the PostgreSQL store at ``url`` (local files, such as uploads, still go
    under ``index_dir``)."""
    if not url:
        from qa.stores.files import Store

        return Store(index_dir)
    from qa.stores.postgres import PostgresStore

    return PostgresStore(url, index_dir)
