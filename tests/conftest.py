"""Shared fixtures. The real bundled model is used (small, offline); it is loaded once per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qa.config import Settings
from qa.embedder import Embedder
from qa.engine import Engine

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
def article_engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    """An index of the bundled article, built once for the tests that only ask questions."""
    folder = tmp_path_factory.mktemp("article")
    doc = folder / "docs" / "article.txt"
    doc.parent.mkdir()
    shutil.copy(ARTICLE, doc)
    engine = Engine(Settings.from_env(index_dir=folder / "index"), embedder=embedder)
    engine.add([doc])
    return engine
