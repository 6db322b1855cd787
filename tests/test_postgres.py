"""The PostgreSQL store against a real PostgreSQL 18 with pgvector (tests/pg_server.py): the same answers as the
files store, exact corpus counts across batches, crashes and concurrent writers, two app processes on one
database, a streaming replica, and every bad URL as one line without its password."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psycopg
import pytest

from qa.engine import Engine
from qa.errors import DocumentError, IndexMissingError, StoreError
from tests.app_server import running_app
from tests.conftest import ARTICLE, ROOT
from tests.docmaker import make_pdf
from tests.pg_server import PASSWORD, Server, free_port, wait_for
from tests.test_engine import BUDGET, CATS, TRAINS, assert_verbatim

QUESTIONS = ["Who wrote the audit?", "taxi licensing", "care homes", "How much was the council budget?",
             "When does the night train leave?", "glaciers", "What did the inquiry recommend?",
             "What do the cats in the budget do?", "How far did the glaciers go back last year?"]  # fmt: skip
# (the eighth names cats.txt and budget.txt; the last has common words, weighed at part of their idf)


def _docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "article.txt").write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "cats.txt").write_text(CATS)
    (folder / "report.pdf").write_bytes(make_pdf(["Cover page.", "Glaciers retreated 30 metres last year. " + TRAINS]))
    return folder


def _same_answers(files: Engine, pg: Engine) -> None:
    for question in QUESTIONS:
        a, b = files.ask(question, k=5), pg.ask(question, k=5)
        assert [(h.passage.source, h.passage.start, h.passage.end) for h in a.hits] == [
            (h.passage.source, h.passage.start, h.passage.end) for h in b.hits
        ], question
        assert np.allclose([h.score for h in a.hits], [h.score for h in b.hits], atol=1e-4)
        assert [h.highlight for h in a.hits] == [h.highlight for h in b.hits]
        assert (a.answered, round(a.support, 4)) == (b.answered, round(b.support, 4))
        assert_verbatim(pg, b)
        assert (a.preferred, a.named) == (b.preferred, b.named)
    both = files.store.load(), pg.store.load()
    terms = ["cat", "budget", "glacier", "kitten", "nowhere"]
    assert both[0].passages_holding(terms) == both[1].passages_holding(terms)


def counts_are_exact(url: str) -> None:
    """The statistics and document frequencies a batch moved equal those counted again from the rows."""
    with psycopg.connect(url) as conn:
        stats = conn.execute("SELECT value FROM verbatim.meta WHERE key = 'stats'").fetchone()[0]
        n, length = conn.execute("SELECT count(*), coalesce(sum(length), 0) FROM verbatim.passages").fetchone()
        pages, page_length = conn.execute("SELECT count(*), coalesce(sum(length), 0) FROM verbatim.pages").fetchone()
        assert (stats["passages"], stats["pages"]) == (n, pages)
        assert stats["passage_len"] == pytest.approx(length) and stats["page_len"] == pytest.approx(page_length)
        wrong = conn.execute(
            "SELECT count(*) FROM verbatim.terms t WHERE df <> (SELECT count(*) FROM verbatim.postings p"
            " WHERE p.term_id = t.id) OR page_df <> (SELECT count(*) FROM verbatim.page_postings p"
            " WHERE p.term_id = t.id)"
        ).fetchone()[0]
        assert wrong == 0
        orphans = conn.execute(
            "SELECT (SELECT count(*) FROM verbatim.postings WHERE passage_id NOT IN (SELECT id FROM verbatim.passages))"
            " + (SELECT count(*) FROM verbatim.sentences WHERE passage_id NOT IN (SELECT id FROM verbatim.passages))"
        ).fetchone()[0]
        assert orphans == 0


def test_same_answers_as_the_files_store_across_incremental_batches(
    tmp_path: Path, make_engine: Callable[..., Engine], pg_server: Server
) -> None:
    docs = _docs(tmp_path / "docs")
    url = pg_server.new_database()
    files, pg = make_engine(), make_engine(index_dir=tmp_path / "pg-local", store=url)
    for step in range(3):
        if step == 1:
            (docs / "budget.txt").write_text(BUDGET)
            (docs / "copy of budget.txt").write_text(BUDGET)
            (docs / "cats.txt").write_text(CATS + " Kittens play a lot.")
        if step == 2:
            (docs / "article.txt").unlink()
        a, b = files.add([docs]), pg.add([docs])
        assert (a.added, a.updated, a.removed, a.passages_embedded) == (b.added, b.updated, b.removed,
                                                                       b.passages_embedded)  # fmt: skip
        _same_answers(files, pg)
        counts_are_exact(url)
    # a rebuild from scratch (its vectors differ from the batches' in the last digits: int8 activations are
    # quantised per batch) matches the files store's rebuild
    rebuilt, files_rebuilt = make_engine(index_dir=tmp_path / "pg-2", store=pg_server.new_database()), make_engine(
        index_dir=tmp_path / "files-2"
    )
    rebuilt.add([docs])
    files_rebuilt.add([docs])
    _same_answers(files_rebuilt, rebuilt)
    # a new process sees what was written
    assert [d.path for d in make_engine(store=url).documents()] == [d.path for d in files.documents()]
    assert [d.duplicate_of for d in pg.documents()] == [d.duplicate_of for d in files.documents()]
    pdf = next(d for d in pg.documents() if d.name == "report.pdf")
    hit = pg.ask("How far did the glaciers retreat?", k=1, documents=[pdf.path]).hits[0]
    assert hit.passage.page == 2 and pg.page_image(hit.passage.source, hit.passage.start, hit.passage.end)[:4] == (
        b"\x89PNG"
    )
    follow = pg.ask("and how far?", history=["What happened to the glaciers?"])
    assert follow.searched == files.ask("and how far?", history=["What happened to the glaciers?"]).searched
    # another server, where the PDF is not on disk, draws its page from the file the database keeps
    (docs / "report.pdf").rename(tmp_path / "elsewhere.pdf")
    with pytest.raises(DocumentError, match="changed or moved"):
        files.page_image(hit.passage.source, hit.passage.start, hit.passage.end)
    other = make_engine(index_dir=tmp_path / "other-server", store=url)
    assert other.page_image(hit.passage.source, hit.passage.start, hit.passage.end)[:4] == b"\x89PNG"


def test_a_failed_batch_leaves_the_previous_index(
    tmp_path: Path, make_engine: Callable[..., Engine], pg_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cats.txt").write_text(CATS)
    url = pg_server.new_database()
    engine = make_engine(store=url)
    engine.add([tmp_path / "cats.txt"])
    (tmp_path / "trains.txt").write_text(TRAINS)

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("the disk of the database server is full")

    monkeypatch.setattr("qa.stores.pg_write.write_meta", crash)  # after every row of the batch is written
    with pytest.raises(OSError):
        engine.add([tmp_path])
    monkeypatch.undo()
    survivor = make_engine(store=url)
    assert [d.name for d in survivor.documents()] == ["cats.txt"]
    assert "night train" not in " ".join(h.passage.text for h in survivor.ask("night train", k=3).hits)
    counts_are_exact(url)
    assert survivor.add([tmp_path]).added == [str(tmp_path / "trains.txt")]


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qa", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
    )  # fmt: skip


def test_a_killed_indexer_loses_nothing_and_shows_nothing_half_written(tmp_path: Path, pg_server: Server) -> None:
    url = pg_server.new_database()
    first = tmp_path / "first"
    first.mkdir()
    (first / "cats.txt").write_text(CATS)
    assert _cli("index", "--store", url, "--index-dir", str(tmp_path / "local"), str(first)).returncode == 0
    more = tmp_path / "more"
    more.mkdir()
    (more / "trains.txt").write_text(TRAINS)
    (more / "budget.txt").write_text(BUDGET)
    with psycopg.connect(url) as blocker:
        # the indexer replaces the document list after it has written every passage: hold it there
        blocker.execute("LOCK TABLE verbatim.documents IN SHARE MODE")
        indexer = subprocess.Popen(
            [sys.executable, "-m", "qa", "index", "--store", url, "--index-dir", str(tmp_path / "local"), str(more)],
            cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        with psycopg.connect(url, autocommit=True) as watcher:
            assert wait_for(lambda: watcher.execute(waiting).fetchone()[0] == 1, 120), "the indexer never got there"
            written = watcher.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE c.relname = 'postings' AND l.mode = 'RowExclusiveLock' AND l.granted"
            ).fetchone()[0]
            assert written == 1, "the indexer holds uncommitted postings when it is killed"
        indexer.send_signal(signal.SIGKILL)
        indexer.wait(30)
        blocker.rollback()
    engine = _engine_on(url, tmp_path)
    assert [d.name for d in engine.documents()] == ["cats.txt"]
    assert engine.ask("cats sleep", k=1).hits[0].passage.text == CATS
    counts_are_exact(url)
    done = _cli("index", "--store", url, "--index-dir", str(tmp_path / "local"), str(more))
    assert done.returncode == 0 and "2 added" in done.stdout, done.stderr


def _engine_on(url: str, tmp_path: Path) -> Engine:
    from qa.config import Settings

    return Engine(Settings.from_env(index_dir=tmp_path / "reader-local", store=url))


def test_two_indexers_at_once_both_land_or_the_second_is_told_why(tmp_path: Path, pg_server: Server) -> None:
    url = pg_server.new_database()
    folders = []
    for name, text in (("a", CATS), ("b", TRAINS)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.txt").write_text(text)
        folders.append(folder)
    env = {"HF_HUB_OFFLINE": "1", "VERBATIM_LOCK_TIMEOUT": "300"}
    command = [sys.executable, "-m", "qa", "index", "--store", url, "--index-dir"]
    runs = [
        subprocess.Popen([*command, str(tmp_path / f"l{i}"), str(folder)], cwd=ROOT, env={**os.environ, **env},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i, folder in enumerate(folders)
    ]
    assert [r.wait(300) for r in runs] == [0, 0], [r.stderr.read() for r in runs]  # type: ignore[union-attr]
    engine = _engine_on(url, tmp_path)
    assert sorted(d.name for d in engine.documents()) == ["a.txt", "b.txt"]
    counts_are_exact(url)
    with engine.store.lock():
        refused = _cli("index", "--store", url, "--index-dir", str(tmp_path / "l9"), str(folders[0]))
    assert refused.returncode == 1 and "another process is writing the index" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and PASSWORD not in refused.stderr


def _search(url: str, question: str) -> dict:
    request = urllib.request.Request(url + "api/search", data=json.dumps({"question": question, "k": 3}).encode(),
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_two_app_processes_on_one_database_see_each_others_changes(tmp_path: Path, pg_server: Server) -> None:
    from gradio_client import Client, handle_file

    url = pg_server.new_database()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    upload = tmp_path / "lighthouse.txt"
    upload.write_text("The lighthouse keeper polishes the great lens every evening at dusk.")
    env = {"VERBATIM_STORE": url}
    with (
        running_app(tmp_path / "a" / "index", env=env) as first,
        running_app(tmp_path / "b" / "index", env=env) as second,
    ):
        assert "article.txt" in _search(second, "taxi licensing")["passages"][0]["source"]
        client = Client(first, verbose=False, analytics_enabled=False, download_files=False)
        status = client.predict([handle_file(str(upload))], api_name="/upload")[0]
        assert "1 added" in status
        uploaded = time.monotonic()
        assert wait_for(lambda: "lighthouse" in _search(second, "lighthouse keeper lens")["passages"][0]["source"], 1.0)
        seen = time.monotonic() - uploaded
        assert seen < 1.0
        path = _search(second, "lighthouse keeper lens")["passages"][0]["source"]
        _engine_on(url, tmp_path).remove(path)  # a third process removes it
        for app in (first, second):
            assert all("lighthouse" not in p["source"] for p in _search(app, "lighthouse keeper lens")["passages"])


def test_a_streaming_replica_answers_while_the_primary_takes_a_batch(tmp_path: Path, pg_server: Server) -> None:
    from qa.config import Settings

    url = pg_server.new_database()
    primary = Engine(Settings.from_env(index_dir=tmp_path / "p", store=url))
    (tmp_path / "cats.txt").write_text(CATS)
    primary.add([tmp_path / "cats.txt"])
    replica = pg_server.replica()
    try:
        database = url.rsplit("/", 1)[1]
        reader = Engine(Settings.from_env(index_dir=tmp_path / "r", store=replica.url(database)),
                        embedder=primary.embedder)  # fmt: skip
        assert reader.ask("cats sleep", k=1).hits[0].passage.text == CATS
        docs = _docs(tmp_path / "docs")
        import threading

        answers: list[str] = []
        writing = threading.Thread(target=lambda: primary.add([docs]))
        writing.start()
        while writing.is_alive():  # questions go on being answered from the replica during the batch
            answers.append(reader.ask("cats sleep", k=1).hits[0].passage.text)
        writing.join()
        assert answers and all(a == CATS for a in answers)
        assert wait_for(lambda: len(reader.documents()) == 4, 10)  # cats.txt twice
        assert_verbatim(reader, reader.ask("taxi licensing", k=3))
        with pytest.raises(StoreError, match="read-only"):
            reader.add([tmp_path / "cats.txt"], rebuild=True)
    finally:
        replica.remove()


def test_bad_urls_are_one_line_without_the_password(tmp_path: Path, pg_server: Server) -> None:
    url = pg_server.new_database()
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute("CREATE ROLE plain LOGIN PASSWORD 'plain-pw-123'")
        conn.execute("CREATE DATABASE novector OWNER plain")
    port = pg_server.port
    cases = {
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free_port()}/x": "cannot reach a PostgreSQL server",
        f"postgresql://postgres:wrong-{PASSWORD}@127.0.0.1:{port}/{database}": "refused the user name or password",
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/nosuchdb": "does not exist",
        f"postgresql://plain:plain-pw-123@127.0.0.1:{port}/novector": "run CREATE EXTENSION vector as a superuser",
        f"mysql://root:{PASSWORD}@localhost/db": "is not a PostgreSQL URL",
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:notaport/db": "is not a PostgreSQL URL",
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}": "names no database",
    }
    for bad, expected in cases.items():
        done = _cli("ask", "--store", bad, "--index-dir", str(tmp_path / "l"), "cats", timeout=60)
        assert done.returncode == 1, bad
        assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1, (bad, done.stderr)
        assert PASSWORD not in done.stderr + done.stdout and "plain-pw-123" not in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    with pytest.raises(IndexMissingError, match="no index in"):
        _engine_on(url, tmp_path).ask("cats")


def test_another_schema_version_is_named_with_what_to_do(tmp_path: Path, pg_server: Server) -> None:
    url = pg_server.new_database()
    engine = _engine_on(url, tmp_path)
    (tmp_path / "cats.txt").write_text(CATS)
    engine.add([tmp_path / "cats.txt"])
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE verbatim.meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"schema version 99.*upgrade Verbatim"):
        _engine_on(url, tmp_path).ask("cats")


def test_migrate_copies_an_index_both_ways_without_embedding(
    tmp_path: Path, make_engine: Callable[..., Engine], pg_server: Server
) -> None:
    docs = _docs(tmp_path / "docs")
    files = make_engine()
    files.add([docs])
    url = pg_server.new_database()
    into = _cli("migrate", "--index-dir", str(tmp_path / "index"), "--store", url)
    assert into.returncode == 0 and "nothing was embedded again" in into.stdout, into.stderr
    pg = make_engine(index_dir=tmp_path / "pg-local", store=url)
    _same_answers(files, pg)
    counts_are_exact(url)
    again = _cli("migrate", "--index-dir", str(tmp_path / "index"), "--store", url)
    assert again.returncode == 1 and "--replace" in again.stderr and PASSWORD not in again.stderr
    back = _cli("migrate", "--to", "files", "--index-dir", str(tmp_path / "back"), "--store", url)
    assert back.returncode == 0, back.stderr
    _same_answers(files, make_engine(index_dir=tmp_path / "back"))
    (docs / "budget.txt").write_text(BUDGET)
    report = make_engine(index_dir=tmp_path / "back").add([docs])  # the copy goes on incrementally
    assert report.added == [str(docs / "budget.txt")] and report.passages_embedded == 1


def test_past_the_postings_budget_the_scores_stay_exact(
    tmp_path: Path, make_engine: Callable[..., Engine], pg_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question whose terms have more postings than a question reads takes the best of each common term's postings
    as candidates; the BM25 scores the fusion sees are still the whole ones, as the files store computes them."""
    docs = _docs(tmp_path / "docs")
    files, pg = make_engine(), make_engine(index_dir=tmp_path / "pg-local", store=pg_server.new_database())
    files.add([docs])
    pg.add([docs])
    monkeypatch.setattr("qa.stores.pg_index.BUDGET", 6)
    for question in QUESTIONS:
        hits = pg.snapshot.lexical_search(question, 5, frozenset(), also=np.array([0, 1, 2]))
        rows = np.unique(np.concatenate([hits.rows, [0, 1, 2]]))
        exact = files.snapshot.lexical_search(question, 5, frozenset())
        assert np.allclose(hits.scores_of(rows), exact.scores_of(rows), atol=1e-4), question
        best = pg.ask(question, k=3)
        assert_verbatim(pg, best)


def test_a_server_that_goes_away_is_one_line_and_the_next_question_reconnects(
    tmp_path: Path, make_engine: Callable[..., Engine]
) -> None:
    server = Server.start_new()
    try:
        (tmp_path / "cats.txt").write_text(CATS)
        engine = make_engine(store=server.new_database())
        engine.add([tmp_path / "cats.txt"])
        server.stop()
        with pytest.raises(StoreError, match=r"lost the connection to postgresql://postgres:\*\*\*@") as failed:
            engine.ask("cats sleep")
        assert PASSWORD not in str(failed.value) and "\n" not in str(failed.value)
        server.start()
        assert engine.ask("cats sleep", k=1).hits[0].passage.text == CATS
    finally:
        server.remove()


def test_eval_refuses_a_database_that_holds_other_documents(tmp_path: Path, pg_server: Server) -> None:
    url = pg_server.new_database()
    (tmp_path / "cats.txt").write_text(CATS)
    _engine_on(url, tmp_path).add([tmp_path / "cats.txt"])
    done = _cli("eval", str(ROOT.parent / "shared" / "eval" / "article"), "--store", url, timeout=120)
    assert done.returncode == 1 and "holds documents from outside" in done.stderr and PASSWORD not in done.stderr


def test_passages_cut_by_the_server_are_pythons_slices_of_any_script(
    tmp_path: Path, pg_server: Server, make_engine: Callable[..., Engine]
) -> None:
    # PostgreSQL's substr counts characters, Python's slices code points: the same for accents, CJK and the
    # characters past the Basic Multilingual Plane (emoji, math letters) that a two-unit encoding would split
    text = ("Café crème, naïve façade. " * 8 + "东京的电车在午夜停运。 " * 6 + "Emoji 🚆 and 𝐛𝐨𝐥𝐝 letters. " * 8) * 3
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "scripts.txt").write_text(text, encoding="utf-8")
    engine = make_engine(store=pg_server.new_database())
    engine.add([tmp_path / "docs"])
    snapshot = engine.snapshot
    rows = list(range(snapshot.size))
    stored = engine.store.read_text(snapshot.contents[snapshot.rows(rows)[0].content].key)
    assert stored == text
    engine.store._texts.clear()  # none kept: every slice comes from the server
    passages = engine.passages(rows)
    assert len(passages) >= 3 and any("🚆" in p.text for p in passages) and any("东京" in p.text for p in passages)
    assert all(p.text == text[p.start : p.end] for p in passages)
    assert_verbatim(engine, engine.ask("When do the trains stop at midnight?"))
