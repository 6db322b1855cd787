"""Shared fixtures. The real bundled model is used (small, offline); it is loaded once per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qa.config import Settings
from qa.embedder import Embedder
from qa.engine import Engine
from tests.pg_server import Server

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ARTICLE = ROOT / "samples" / "article.txt"
EVAL_ARTICLE = SHARED / "eval" / "article"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder("minilm")


@pytest.fixture
def make_engine(tmp_path: Path, embedder: Embedder) -> Callable[..., Engine]:
    """Engines on a fresh index folder under tmp_path, sharing the session's model."""

    def make(index_dir: Path | None = None, **settings: object) -> Engine:
        chosen = Settings.from_env(index_dir=index_dir or tmp_path / "index", **settings)
        return Engine(chosen, embedder=embedder)

    return make


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """A real PostgreSQL with pgvector for the session (tests/pg_server.py); each test takes a new database."""
    server = Server.start_new()
    yield server
    server.remove()


@pytest.fixture(params=["files", "postgres"])
def make_any_engine(request: pytest.FixtureRequest, make_engine: Callable[..., Engine]) -> Callable[..., Engine]:
    """``make_engine`` on each store in turn: the files store, then a new PostgreSQL database."""
    if request.param == "files":
        return make_engine
    return partial(make_engine, store=request.getfixturevalue("pg_server").new_database())


@pytest.fixture(scope="session")
def article_engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    """An index of the bundled article, built once for the tests that only ask questions."""
    folder = tmp_path_factory.mktemp("article")
    doc = folder / "docs" / "article.txt"
    doc.parent.mkdir()
    shutil.copy(ARTICLE, doc)
    engine = Engine(Settings.from_env(index_dir=folder / "index"), embedder=embedder)
    engine.add([doc])
    return engine


@pytest.fixture(scope="session", params=["files", "postgres"])
def any_article_engine(request: pytest.FixtureRequest, article_engine: Engine, embedder: Embedder) -> Engine:
    """``article_engine``, then the same index in a PostgreSQL database."""
    if request.param == "files":
        return article_engine
    url = request.getfixturevalue("pg_server").new_database()
    doc = article_engine.documents()[0].path
    engine = Engine(Settings.from_env(index_dir=Path(doc).parent.parent / "pg-local", store=url), embedder=embedder)
    engine.add([doc])
    return engine
