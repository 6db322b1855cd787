"""``index --ray`` on a real local Ray cluster (2 CPUs) and on a two-node one on loopback: the same passages,
offsets, vectors and answers as the local path, a file a worker cannot read named in one line, a killed worker
leaving a finished index or the previous one, and the extra named when Ray is missing."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.engine import Engine
from tests.conftest import ARTICLE, ROOT
from tests.docmaker import scanned_pdf

pytest.importorskip("ray", reason="the Ray extra is not installed (pip install -r requirements-dev.txt)")
pytestmark = pytest.mark.ray
SHARED = ROOT.parent / "shared" / "eval"
QUESTIONS = [json.loads(line)["question"] for line in (SHARED / "article" / "questions.jsonl").read_text().splitlines()]


def run_index(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "RAY_ADDRESS": "", **(env or {})}
    return subprocess.run([sys.executable, "-m", "qa", "index", *args], capture_output=True, text=True, cwd=ROOT,
                          env=environment, timeout=timeout)  # fmt: skip


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("raydocs")
    shutil.copy(ARTICLE, folder / "article.txt")
    shutil.copy(SHARED / "pdf_article" / "docs" / "article.pdf", folder / "article.pdf")
    shutil.copy(SHARED / "scan_article" / "docs" / "article.pdf", folder / "scanned.pdf")  # read by OCR
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n this is not really a PDF at all")
    (folder / "copy of article.txt").write_bytes(ARTICLE.read_bytes())  # the same text twice: read once
    return folder


def snapshot_of(index_dir: Path) -> object:
    return Engine(Settings.from_env(index_dir=index_dir, backend="onnx")).snapshot


def test_ray_indexes_what_the_local_path_indexes(documents: Path, tmp_path: Path) -> None:
    here = run_index(str(documents), "--index-dir", str(tmp_path / "local"), "--backend", "onnx")
    there = run_index(str(documents), "--index-dir", str(tmp_path / "ray"), "--backend", "onnx", "--ray")
    assert here.returncode == there.returncode == 0, there.stderr
    assert re.search(r"read and embedded on a local Ray cluster: 4 files \(\d+ pages, [1-9]\d* by OCR\) read by [12] "
                     r"workers, \d+ passages embedded by [12]", there.stderr), there.stderr
    for run in (here, there):  # the unreadable file: one line, the rest indexed
        named = [line for line in run.stderr.splitlines() if "broken.pdf" in line]
        assert len(named) == 1 and named[0].startswith(f"skipped: {documents / 'broken.pdf'}: "), run.stderr
    assert [line for line in here.stderr.splitlines() if "broken.pdf" in line] == named
    assert here.stdout.split(";")[0] == there.stdout.split(";")[0]  # "Indexed: 4 added, ... 1 failed"
    local, remote = snapshot_of(tmp_path / "local"), snapshot_of(tmp_path / "ray")
    assert [(d.path, d.sha256, d.duplicate_of) for d in local.documents] == [
        (d.path, d.sha256, d.duplicate_of) for d in remote.documents
    ]  # fmt: skip
    for column in ("content", "start", "end", "line", "page", "heading", "sentence_start", "sentence_end"):
        assert np.array_equal(getattr(local.passages, column), getattr(remote.passages, column)), column
    # the same vectors: the cluster embeds the batches the local path would have
    assert np.allclose(np.asarray(local.embeddings), np.asarray(remote.embeddings), atol=1e-5)
    assert np.allclose(np.asarray(local.sentence_vectors), np.asarray(remote.sentence_vectors), atol=1e-5)
    engines = [Engine(Settings.from_env(index_dir=tmp_path / name, backend="onnx")) for name in ("local", "ray")]
    for question in QUESTIONS:
        first, second = (e.ask(question, k=3) for e in engines)
        assert [(h.passage.source, h.passage.start, h.passage.end) for h in first.hits] == [
            (h.passage.source, h.passage.start, h.passage.end) for h in second.hits
        ]  # fmt: skip
        for hit in second.hits:
            assert engines[1].source_text(hit.passage.source)[hit.passage.start : hit.passage.end] == hit.passage.text


def test_the_default_int8_model_answers_the_same_on_ray(tmp_path: Path) -> None:
    from qa.metrics import evaluate, load_questions, passage_lengths

    scores = {}
    for name, extra in (("local", []), ("ray", ["--ray", "auto"])):
        run = run_index(str(SHARED / "article" / "docs"), "--index-dir", str(tmp_path / name), *extra)
        assert run.returncode == 0, run.stderr
        engine = Engine(Settings.from_env(index_dir=tmp_path / name))
        result = evaluate(engine, load_questions(SHARED / "article"), "hybrid")
        scores[name] = {k: v for k, v in result.as_dict(passage_lengths(engine)).items() if k != "ms_per_question"}
    assert scores["local"] == scores["ray"], "int8 too: the same batches, so the same vectors and answers"
    local, remote = (Engine(Settings.from_env(index_dir=tmp_path / name)).snapshot for name in ("local", "ray"))
    assert np.array_equal(np.asarray(local.embeddings), np.asarray(remote.embeddings))


def test_ray_writes_into_the_postgresql_store_too(pg_server, tmp_path: Path) -> None:
    url = pg_server.new_database()
    docs = SHARED / "article" / "docs"
    run = run_index(str(docs), "--index-dir", str(tmp_path / "pg"), "--store", url, "--ray")
    assert run.returncode == 0 and "read and embedded on a local Ray cluster" in run.stderr, run.stderr
    assert run_index(str(docs), "--index-dir", str(tmp_path / "files")).returncode == 0
    on_pg = Engine(Settings.from_env(index_dir=tmp_path / "pg", store=url))
    on_files = Engine(Settings.from_env(index_dir=tmp_path / "files"))
    assert on_pg.snapshot.size == on_files.snapshot.size
    for question in QUESTIONS:
        assert on_pg.ask(question).hits[0].passage.start == on_files.ask(question).hits[0].passage.start, question


def test_a_killed_worker_leaves_a_finished_index_or_the_previous_one(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ARTICLE, docs / "article.txt")
    index = ["--index-dir", str(tmp_path / "index")]
    assert run_index(str(docs), *index).returncode == 0
    before = snapshot_of(tmp_path / "index")
    for n in range(40):  # forty different texts, so that the run lasts long enough to kill a worker in it
        (docs / f"part-{n}.txt").write_text(ARTICLE.read_text(encoding="utf-8") + f"\nPart {n} of the archive.\n")
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "RAY_ADDRESS": ""}
    process = subprocess.Popen([sys.executable, "-m", "qa", "index", str(docs), *index, "--ray"], cwd=ROOT,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    killed = None
    deadline = time.monotonic() + 180
    while killed is None and time.monotonic() < deadline and process.poll() is None:
        # the embedding stage is the long one here: kill one of its workers a second into it
        workers = subprocess.run(["pgrep", "-f", "EmbedWorker"], capture_output=True, text=True).stdout.split()
        if workers:
            time.sleep(1.0)
            try:
                os.kill(int(workers[0]), signal.SIGKILL)
                killed = int(workers[0])
            except ProcessLookupError:  # it had ended: try the next one seen
                pass
        time.sleep(0.2)
    out, err = process.communicate(timeout=600)
    assert killed is not None, f"no worker was seen to kill: {err}"
    after = Engine(Settings.from_env(index_dir=tmp_path / "index"))
    print(f"worker {killed} killed: exit {process.returncode}; {out.strip()}; {err.strip().splitlines()[-1]}")
    if process.returncode == 0:  # Ray restarted the worker and retried its document
        assert "41 added" not in out and "40 added" in out and len(after.documents()) == 41
    else:  # or the run ended: one line, and the index is the previous one, answering
        assert err.strip().splitlines()[-1].startswith("error:"), err
        assert [d.path for d in after.documents()] == [d.path for d in before.documents]
    assert after.ask("Were care homes targeted?").hits


@pytest.fixture
def two_node_cluster(tmp_path: Path) -> object:
    """``ray start --head`` and a second ``ray start --address``: two nodes on loopback, one CPU each."""
    from tests.app_server import free_port

    ray = str(Path(sys.executable).with_name("ray"))
    port = free_port()
    env = {**os.environ, "RAY_ADDRESS": "", "RAY_AUTH_MODE": "disabled"}  # loopback only; a real cluster: tokens
    head = [ray, "start", "--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=false",
            "--node-ip-address=127.0.0.1", "--object-store-memory=500000000", "--disable-usage-stats"]  # fmt: skip
    subprocess.run(head, check=True, capture_output=True, env=env, timeout=180)
    node = [ray, "start", f"--address=127.0.0.1:{port}", "--num-cpus=1", "--node-ip-address=127.0.0.1",
            "--object-store-memory=500000000", "--disable-usage-stats"]  # fmt: skip
    try:
        subprocess.run(node, check=True, capture_output=True, env=env, timeout=180)
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, env=env, timeout=180)


def test_a_two_node_cluster_indexes_what_one_machine_does(two_node_cluster: str, documents: Path,
                                                          tmp_path: Path) -> None:  # fmt: skip
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("article.txt", "article.pdf", "broken.pdf", "scanned.pdf"):
        shutil.copy(documents / name, docs / name)
    # a second scan, of other bytes: OCR takes seconds a page, so while one node's worker reads a scan the other
    # node's worker is up and takes the other
    scanned_pdf(SHARED / "pdf_article" / "docs" / "article.pdf", docs / "scanned again.pdf", dpi=150)
    there = run_index(str(docs), "--index-dir", str(tmp_path / "ray"), "--backend", "onnx", "--ray",
                      two_node_cluster, env={"RAY_AUTH_MODE": "disabled"})  # fmt: skip
    assert there.returncode == 0, there.stderr
    assert f"read and embedded on the Ray cluster at {two_node_cluster}" in there.stderr
    assert "read by 2 workers" in there.stderr, "each node's worker read files"
    here = run_index(str(docs), "--index-dir", str(tmp_path / "local"), "--backend", "onnx")
    local, remote = snapshot_of(tmp_path / "local"), snapshot_of(tmp_path / "ray")
    assert np.array_equal(local.passages.start, remote.passages.start) and here.returncode == 0
    assert np.allclose(np.asarray(local.embeddings), np.asarray(remote.embeddings), atol=1e-5)


def test_a_cluster_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    from tests.app_server import free_port

    run = run_index(str(ARTICLE), "--index-dir", str(tmp_path / "index"), "--ray", f"127.0.0.1:{free_port()}",
                    timeout=300)  # fmt: skip
    assert run.returncode == 1 and run.stderr.strip().splitlines()[-1].startswith("error: cannot join the Ray cluster")
    assert not (tmp_path / "index").exists() or not Engine(Settings.from_env(index_dir=tmp_path / "index")).has_index()


def test_without_ray_the_extra_is_named(tmp_path: Path) -> None:
    argv = ["index", str(ARTICLE), "--index-dir", str(tmp_path / "index"), "--ray"]
    code = f"import sys; sys.modules['ray'] = None; from qa.cli import main; sys.exit(main({argv!r}))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 1
    hint = 'indexing on Ray needs the extra: pip install "verbatim[ray]" (or ray[data]==2.60.0)'
    assert run.stderr.strip() == f"error: {hint}"
