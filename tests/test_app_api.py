"""The running app's ``/search`` endpoint through gradio_client, and an app with no network at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app_server import running_app
from tests.conftest import ARTICLE, ROOT

QUESTION = "What role did weak taxi licensing play?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    folder = tmp_path_factory.mktemp("api")
    doc = folder / "article.txt"
    shutil.copy(ARTICLE, doc)
    with running_app(folder / "index", str(doc)) as url:
        yield url, folder / "index", doc


def test_search_endpoint_returns_the_cli_json(served: tuple[str, Path, Path]) -> None:
    from gradio_client import Client

    url, index_dir, doc = served
    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    result = client.predict(QUESTION, 4, api_name="/search")
    env = {**os.environ, "VERBATIM_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    cli = subprocess.run(
        [sys.executable, "-m", "qa", "ask", QUESTION, "-k", "4", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert result == json.loads(cli.stdout)
    text = doc.read_text(encoding="utf-8")
    assert [p["rank"] for p in result["passages"]] == [1, 2, 3, 4]
    assert all(text[p["start"] : p["end"]] == p["text"] for p in result["passages"])


def test_concurrent_questions_are_served_in_parallel(served: tuple[str, Path, Path]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    url, _, doc = served
    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    questions = ["care homes", "taxi licensing", "boyfriend model", "Home Office report"] * 4
    with ThreadPoolExecutor(8) as pool:
        jobs = [client.submit(q, 2, api_name="/search") for q in questions]
        results = list(pool.map(lambda job: job.result(timeout=120), jobs))
    text = doc.read_text(encoding="utf-8")
    assert len(results) == 16
    for result in results:
        assert all(text[p["start"] : p["end"]] == p["text"] for p in result["passages"])


OFFLINE_CHECK = r"""
import sys, pathlib
sys.path.insert(0, sys.argv[1])
from tests.app_server import running_app
from gradio_client import Client
folder = pathlib.Path(sys.argv[2])
with running_app(folder / "index", sys.argv[3]) as url:
    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    result = client.predict("Were residential care homes targeted?", 2, api_name="/search")
    print("ANSWERED" if result["passages"] else "EMPTY")
"""


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare")
def test_app_starts_and_answers_with_no_network(tmp_path: Path) -> None:
    doc = tmp_path / "article.txt"
    shutil.copy(ARTICLE, doc)
    script = f"ip link set lo up && {sys.executable} -c '{OFFLINE_CHECK}' {ROOT} {tmp_path} {doc}"
    result = subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    assert "ANSWERED" in result.stdout, result.stdout + result.stderr
