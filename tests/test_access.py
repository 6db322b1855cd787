"""Users, roles, collections, throttling and sessions (qa/access/), and what a user may see of an index, on both
stores. The app's routes are tried end to end in tests/test_team.py."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.access.audit import Audit
from qa.access.gate import Access, Refused
from qa.access.names import collection_list
from qa.access.sessions import Sessions
from qa.access.throttle import Throttle
from qa.access.users import UsersFile, owner_only
from qa.engine import Engine
from qa.errors import AccessError, DocumentError, NotIndexedError, UnknownDocumentError
from tests.conftest import ARTICLE

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_users_file_holds_hashes_only_and_is_its_owners(tmp_path: Path) -> None:
    users = UsersFile(tmp_path / "users.json")
    users.add("ann", "reader", ("news",), "correct horse")
    users.add("ed", "editor", ("*",), "battery staple")
    token = users.new_token("ann")
    text = users.path.read_text()
    assert "correct horse" not in text and "battery staple" not in text and token not in text
    assert "$argon2id$" in text
    assert owner_only(users.path) and stat.S_IMODE(os.stat(users.path).st_mode) == 0o600
    assert users.check("ann", "correct horse").role == "reader"
    assert users.check("ann", "battery staple") is None and users.check("nobody", "correct horse") is None
    assert users.by_token(token).name == "ann" and users.by_token(token + "x") is None
    assert users.by_token("not-a-token") is None
    assert users.get("ann").readable == frozenset({"news"}) and users.get("ed").readable is None
    users.passwd("ann", "new password 1")
    assert users.check("ann", "correct horse") is None and users.check("ann", "new password 1")
    users.revoke_tokens("ann")
    assert users.by_token(token) is None
    users.grant("ann", "editor", ("news", "sport"))
    assert users.get("ann").may_change and users.get("ann").readable == {"news", "sport"}
    users.remove("ed")
    assert set(users.users()) == {"ann"}
    assert not list(tmp_path.glob(".users.json.tmp-*")), "written atomically, nothing left beside it"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda u: u.add("ann", "reader", ("*",), "other password"), "is a user already"),
        (lambda u: u.add("bad name", "reader", ("*",), "long enough"), "cannot name a user"),
        (lambda u: u.add("bob", "reader", ("*",), "short"), "too short"),
        (lambda u: u.remove("nobody"), "is not a user"),
        (lambda u: u.passwd("nobody", "long enough"), "is not a user"),
    ],
)
def test_a_change_that_cannot_be_made_is_one_line_and_changes_nothing(tmp_path: Path, change, message) -> None:
    users = UsersFile(tmp_path / "users.json")
    users.add("ann", "reader", ("news",), "correct horse")
    before = users.path.read_bytes()
    with pytest.raises(AccessError, match=message) as raised:
        change(users)
    assert "\n" not in str(raised.value)
    assert users.path.read_bytes() == before


def test_a_damaged_users_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text('{"format": 1, "users": {"ann": {"role": "king"}}}')
    with pytest.raises(AccessError, match="cannot be read") as raised:
        UsersFile(path).users()
    assert "\n" not in str(raised.value)


def test_collection_names() -> None:
    assert collection_list("a, b,a") == ("a", "b")
    assert collection_list("a,*") == ("*",)
    for bad in ["", " , ", "a/b", "../x"]:
        with pytest.raises(AccessError):
            collection_list(bad)


def test_failed_sign_ins_wait_longer_each_time_per_name_and_address() -> None:
    clock = Clock()
    throttle = Throttle(free=3, first=1.0, cap=8.0, clock=clock, address_free=3)
    for _ in range(2):
        throttle.failed("ann", "10.0.0.1")
    assert throttle.wait("ann", "10.0.0.1") == 0
    throttle.failed("ann", "10.0.0.1")
    assert throttle.wait("ann", "10.0.0.1") == 1.0
    assert throttle.wait("ann", "10.0.0.2") == 1.0, "the name waits from any address"
    assert throttle.wait("bob", "10.0.0.1") == 1.0, "and the address for any name"
    assert throttle.wait("bob", "10.0.0.2") == 0
    for expected in (2.0, 4.0, 8.0, 8.0):
        throttle.failed("ann", "10.0.0.1")
        assert throttle.wait("ann", "10.0.0.1") == expected
    clock.now += 8.0
    assert throttle.wait("ann", "10.0.0.1") == 0
    throttle.succeeded("ann", "10.0.0.3")
    throttle.failed("ann", "10.0.0.3")
    assert throttle.wait("ann", "10.0.0.3") == 0, "a success starts the name's count again"


def test_the_gate_refuses_and_throttles(tmp_path: Path) -> None:
    users = UsersFile(tmp_path / "users.json")
    users.add("ann", "reader", ("news",), "correct horse")
    access = Access(users, Throttle(free=2, first=30.0, address_free=2))
    assert access.sign_in("ann", "correct horse", "1.2.3.4").name == "ann"
    for _ in range(2):
        with pytest.raises(Refused) as refused:
            access.sign_in("ann", "wrong", "1.2.3.4")
        assert refused.value.status == 401
    with pytest.raises(Refused) as refused:
        access.sign_in("ann", "correct horse", "5.6.7.8")
    assert refused.value.status == 429 and refused.value.retry_after == 30
    with pytest.raises(Refused):
        access.from_header("Bearer vb_nothing", "9.9.9.9")
    with pytest.raises(Refused, match="not valid HTTP Basic"):
        access.from_header("Basic %%%", "9.9.9.9")
    assert Access(None).from_header("", "x").is_admin, "no users: the loopback default, open"


def test_a_remembered_password_is_forgotten_when_it_changes(tmp_path: Path) -> None:
    users = UsersFile(tmp_path / "users.json")
    users.add("ann", "reader", ("news",), "correct horse")
    access = Access(users)
    assert access.sign_in("ann", "correct horse", "a").name == "ann"
    assert access.sign_in("ann", "correct horse", "a").name == "ann"  # remembered: no argon2 this time
    users.passwd("ann", "new password 1")
    with pytest.raises(Refused):
        access.sign_in("ann", "correct horse", "a")


def test_sessions_end_after_their_hours_and_when_the_user_changes(tmp_path: Path) -> None:
    users = UsersFile(tmp_path / "users.json")
    users.add("ann", "reader", ("news",), "correct horse")
    users.add("bob", "reader", ("news",), "correct horse")
    clock = Clock()
    clock.now = users.get("bob").changed + 1
    sessions = Sessions(Access(users), hours=1, clock=clock)
    sessions["t1"], sessions["t2"] = "ann", "bob"
    assert sessions.get("t1") == "ann" and "t2" in sessions
    clock.now += 3601
    assert sessions.get("t1") is None and "t1" not in sessions
    sessions["t3"] = "bob"
    users.remove("bob")
    assert sessions.get("t3") is None


def test_audit_lines_are_appended(tmp_path: Path) -> None:
    audit = Audit(tmp_path / "audit.jsonl")
    audit.record("ann", "document added", "/x/a.txt", collection="news")
    audit.record("cli:root", "user removed", "bob")
    lines = audit.lines()
    assert [(line["actor"], line["action"], line["target"]) for line in lines] == [
        ("ann", "document added", "/x/a.txt"), ("cli:root", "user removed", "bob")
    ]  # fmt: skip
    assert lines[0]["collection"] == "news" and lines[0]["time"].endswith("+00:00")


def two_collections(make_any_engine: Callable[..., Engine], tmp_path: Path) -> tuple[Engine, Path, Path]:
    engine = make_any_engine()
    news, other = tmp_path / "news" / "article.txt", tmp_path / "other" / "lighthouse.txt"
    news.parent.mkdir()
    other.parent.mkdir()
    news.write_bytes(ARTICLE.read_bytes())
    other.write_text("The lighthouse keeper of Skerryvore trims the lamp wick every evening at dusk.\n" * 3)
    engine.add([news], collection="news")
    engine.add([other], collection="other")
    return engine, news, other


def test_a_reader_sees_only_their_collections(make_any_engine: Callable[..., Engine], tmp_path: Path) -> None:
    engine, news, other = two_collections(make_any_engine, tmp_path)
    assert [(d.name, d.collection) for d in engine.documents()] == [("article.txt", "news"),
                                                                    ("lighthouse.txt", "other")]  # fmt: skip
    assert [d.name for d in engine.documents({"other"})] == ["lighthouse.txt"]
    for question in ["Who trims the lamp wick?", "grooming gangs inquiry", "care homes"]:
        answer = engine.ask(question, k=10, collections={"other"})
        assert {h.passage.source for h in answer.hits} <= {str(other)}
        answer = engine.ask(question, k=10, collections={"news"})
        assert {h.passage.source for h in answer.hits} <= {str(news)}
    assert engine.ask("Who trims the lamp wick?", collections={"nothing"}).hits == ()
    for name in ("lighthouse.txt", str(other)):  # by file name or by path: neither names another collection's
        with pytest.raises(UnknownDocumentError):
            engine.ask("lamp", documents=[name], collections={"news"})
    limited = engine.ask("Who trims the lamp wick?", documents=[str(other)], collections={"other"})
    assert limited.hits and {h.passage.source for h in limited.hits} == {str(other)}
    with pytest.raises(NotIndexedError):
        engine.around(str(other), 0, 10, collections={"news"})
    assert engine.around(str(other), 0, 10, collections={"other"})[1] == "The lighth"
    with pytest.raises(DocumentError, match="is not in the index"):
        engine.remove(str(other), collections={"news"})
    assert len(engine.documents()) == 2, "refused: nothing removed"
    engine.remove(str(other), collections={"other"})
    assert [d.name for d in engine.documents()] == ["article.txt"]


def test_the_same_file_in_two_collections_is_cited_by_each_readers_copy(
    make_any_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    engine, news, _ = two_collections(make_any_engine, tmp_path)
    copy = tmp_path / "other" / "article copy.txt"
    copy.write_bytes(ARTICLE.read_bytes())
    engine.add([copy], collection="other")
    seen = engine.ask("grooming gangs inquiry", k=5, collections={"other"})
    assert seen.hits and {h.passage.source for h in seen.hits} == {str(copy)}
    text = copy.read_text(encoding="utf-8")
    assert all(text[h.passage.start : h.passage.end] == h.passage.text for h in seen.hits)
    assert engine.source_text(str(copy), collections={"other"}) == engine.source_text(str(news))
    assert {h.passage.source for h in engine.ask("grooming gangs inquiry", k=5).hits} == {str(news)}


def test_moving_a_file_to_another_collection_embeds_nothing(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    engine = make_engine()
    doc = tmp_path / "article.txt"
    doc.write_bytes(ARTICLE.read_bytes())
    engine.add([doc], collection="a")
    report = engine.add([doc], collection="b")
    assert report.updated == [str(doc)] and "0 passages embedded" in report.summary()
    assert engine.documents()[0].collection == "b"
    assert engine.add([doc]).unchanged == [str(doc)], "without --collection a file keeps its own"


def run_qa(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qa", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, timeout=120)  # fmt: skip


def test_the_users_command(tmp_path: Path) -> None:
    where = ["--index-dir", str(tmp_path / "index")]
    added = run_qa("users", "add", "ann", "--role", "reader", "--collections", "news", *where, stdin="pass word 1\n")
    assert added.returncode == 0, added.stderr
    assert run_qa("users", "add", "ann", "--role", "reader", *where, stdin="pass word 1\n").returncode == 1
    short = run_qa("users", "add", "bob", "--role", "editor", *where, stdin="short\n")
    assert short.returncode == 1 and short.stderr.count("\n") == 1 and "too short" in short.stderr
    token = run_qa("users", "token", "ann", *where)
    assert token.returncode == 0 and token.stdout.startswith("vb_")
    listed = json.loads(run_qa("users", "list", "--json", *where).stdout)
    assert listed == [{"name": "ann", "role": "reader", "collections": ["news"], "tokens": 1}]
    users = UsersFile(tmp_path / "index" / "users.json")
    assert users.check("ann", "pass word 1") and users.by_token(token.stdout.strip())
    assert run_qa("users", "remove", "ann", *where).returncode == 0 and users.users() == {}
    actions = [line["action"] for line in Audit(tmp_path / "index" / "audit.jsonl").lines()]
    assert actions == ["user added", "token made", "user removed"]
    audit = (tmp_path / "index" / "audit.jsonl").read_text()
    assert "pass word 1" not in audit and token.stdout.strip() not in audit


def test_beyond_loopback_without_users_the_app_refuses_to_start(tmp_path: Path) -> None:
    env = {"VERBATIM_INDEX_DIR": str(tmp_path / "index"), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "app.py", "--host", "0.0.0.0", "--port", "1"], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, **env}, timeout=120)  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "refusing to serve on 0.0.0.0 without sign-in" in run.stderr
    assert "--no-auth" in run.stderr and not (tmp_path / "index").exists(), "refused before anything was done"
    missing = subprocess.run([sys.executable, "app.py", "--users", str(tmp_path / "none.json")], capture_output=True,
                             text=True, cwd=ROOT, env={**os.environ, **env}, timeout=120)  # fmt: skip
    assert missing.returncode == 1 and "there is no users file at" in missing.stderr


def test_an_address_many_share_gets_more_tries_than_a_name() -> None:
    throttle = Throttle(free=2, address_free=4, clock=Clock())
    for name in ("a", "b", "c"):
        throttle.failed(name, "10.0.0.1")
    assert throttle.wait("d", "10.0.0.1") == 0
    throttle.failed("d", "10.0.0.1")
    assert throttle.wait("e", "10.0.0.1") == 1.0


def test_the_page_handlers_refuse_a_reader_whatever_the_page_shows(make_engine, tmp_path: Path) -> None:
    import gradio as gr

    from qa.handlers import App

    engine = make_engine()
    doc = tmp_path / "article.txt"
    doc.write_bytes(ARTICLE.read_bytes())
    engine.add([doc], collection="news")
    users = UsersFile(tmp_path / "users.json")
    users.add("ann", "reader", ("news",), "correct horse")
    users.add("ed", "editor", ("sport",), "battery staple")
    app = App(engine, Access(users))
    for name, call in [("ann", lambda r: app.remove(str(doc), request=r)),
                       ("ann", lambda r: app.upload([str(doc)], "news", request=r)),
                       ("ed", lambda r: app.upload([str(doc)], "news", request=r)),
                       ("gone", lambda r: app.search("care homes", request=r))]:  # fmt: skip
        with pytest.raises(gr.Error):
            call(gr.Request(username=name))
    assert [d.collection for d in engine.documents()] == ["news"], "nothing changed"
    status, *_ = app.remove(str(doc), request=gr.Request(username="ed"))
    assert "is not in the index" in status and engine.documents(), "an editor of another collection cannot remove"
    shown = app.controls(gr.Request(username="ann"))
    assert all(update["visible"] is False for update in shown)
    assert app.controls(gr.Request(username="ed"))[2]["choices"] == ["sport"]


def test_no_auth_serves_beyond_loopback_and_says_so(tmp_path: Path) -> None:
    import urllib.request

    from tests.app_server import running_app

    doc = tmp_path / "article.txt"
    doc.write_bytes(ARTICLE.read_bytes())
    with running_app(tmp_path / "index", str(doc), "--host", "0.0.0.0", "--no-auth") as url:
        with urllib.request.urlopen(url + "api/documents", timeout=30) as response:
            assert json.loads(response.read())[0]["name"] == "article.txt"
        log = next(tmp_path.glob("app-*.log")).read_text()
    assert "warning: --no-auth: anyone who can reach 0.0.0.0 can read, add and remove every document" in log


def test_indexing_from_the_command_line_is_audited(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    doc = tmp_path / "docs" / "article.txt"
    doc.write_bytes(ARTICLE.read_bytes())
    where = ["--index-dir", str(tmp_path / "index")]
    assert run_qa("index", str(doc), "--collection", "news", *where).returncode == 0
    doc.unlink()
    assert run_qa("index", str(tmp_path / "docs"), *where).returncode == 0  # the deleted file leaves the index
    lines = Audit(tmp_path / "index" / "audit.jsonl").lines()
    assert [(line["action"], line["target"]) for line in lines] == [
        ("document added", str(doc)), ("document removed", str(doc))
    ]  # fmt: skip
    assert lines[0]["actor"].startswith("cli:") and lines[0]["collection"] == "news"
