"""A ``kill -9`` at any moment of indexing leaves the previous index fully usable (a real subprocess)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embedder import Embedder
from qa.engine import Engine
from tests.conftest import ARTICLE, ROOT

pytestmark = pytest.mark.slow


def index_command(index_dir: Path, docs: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "VERBATIM_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "qa", "index", str(docs)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def check_usable(index_dir: Path, embedder: Embedder, allowed: list[set[str]]) -> None:
    engine = Engine(Settings.from_env(index_dir=index_dir), embedder=embedder)
    names = {d.name for d in engine.documents()}
    assert names in allowed, names
    answer = engine.ask("Were residential care homes targeted?", k=3)
    assert len(answer.hits) == 3
    for hit in answer.hits:
        p = hit.passage
        assert Path(p.source).read_text(encoding="utf-8")[p.start : p.end] == p.text


def test_kill_9_during_indexing_keeps_the_previous_index(tmp_path: Path, embedder: Embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    article = ARTICLE.read_text(encoding="utf-8")
    (docs / "first.txt").write_text(article, encoding="utf-8")
    index_dir = tmp_path / "index"
    Engine(Settings.from_env(index_dir=index_dir), embedder=embedder).add([docs])
    before = {"first.txt"}
    for i in range(8):  # enough new text to keep the embedder busy for a few seconds
        (docs / f"copy {i}.txt").write_text(f"Copy number {i}.\n" + article, encoding="utf-8")
    after = before | {f"copy {i}.txt" for i in range(8)}

    started = time.monotonic()
    full = index_command(index_dir.with_name("timing"), docs)
    full.wait(timeout=300)
    duration = time.monotonic() - started
    killed = 0
    for fraction in (0.35, 0.6, 0.8, 0.9, 0.97):
        process = index_command(index_dir, docs)
        time.sleep(duration * fraction)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait(timeout=60)
        check_usable(index_dir, embedder, [before, after])
    assert killed >= 3, f"only {killed} of 5 writers were still running when killed: the test checked too little"
    leftovers = [p.name for p in index_dir.iterdir() if ".tmp-" in p.name]
    # a killed writer may leave its half-written generation; the next writer removes it
    Engine(Settings.from_env(index_dir=index_dir), embedder=embedder).add([docs])
    check_usable(index_dir, embedder, [after])
    assert not [p.name for p in index_dir.iterdir() if ".tmp-" in p.name], leftovers
