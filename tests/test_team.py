"""Team use end to end, on the real app with a users file: every way in refuses a request without valid credentials,
a reader's upload or removal is refused and changes nothing, an editor's upload answers, two users of different
collections never see each other's passages, documents or pages (the page, gradio_client, /api, /mcp), failed
sign-ins are slowed down, and the audit log names who changed what. The browser's sign-in page is in
tests/test_app_browser.py."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from qa.access.audit import Audit
from qa.access.users import UsersFile
from qa.config import Settings
from qa.engine import Engine
from tests.app_server import running_app
from tests.conftest import ARTICLE
from tests.docmaker import make_layout_pdf, wrapped

PASSWORDS = {"root": "admin pass 1", "ed": "editor pass 1", "ann": "reader pass 1", "otto": "reader pass 2"}


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("team")
    news, other = folder / "news", folder / "other"
    news.mkdir()
    other.mkdir()
    article = news / "article.txt"
    shutil.copy(ARTICLE, article)
    memo = make_layout_pdf(other / "memo.pdf", [wrapped("The lighthouse keeper trims the lamp wick at dusk.", 50, 80)])
    engine = Engine(Settings.from_env(index_dir=folder / "index"))
    engine.add([article], collection="news")
    engine.add([memo], collection="other")
    users = UsersFile(folder / "index" / "users.json")
    users.add("root", "admin", ("*",), PASSWORDS["root"])
    users.add("ed", "editor", ("news",), PASSWORDS["ed"])
    users.add("ann", "reader", ("news",), PASSWORDS["ann"])
    users.add("otto", "reader", ("other",), PASSWORDS["otto"])
    token = users.new_token("otto")
    with running_app(folder / "index") as url:
        yield {"url": url, "folder": folder, "article": article, "memo": memo, "users": users, "token": token}


def call(url: str, path: str, body: Any = None, user: str | None = None, password: str | None = None,
         token: str | None = None, method: str | None = None) -> tuple[int, Any]:  # fmt: skip
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url.rstrip("/") + path, data=data, method=method or ("POST" if data else "GET"))
    request.add_header("Content-Type", "application/json")
    if user is not None:
        secret = PASSWORDS.get(user, "") if password is None else password
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode())
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = response.read()
            kind = response.headers.get("Content-Type", "")
            return response.status, payload if not kind.startswith("application/json") else json.loads(payload)
    except urllib.error.HTTPError as error:
        payload = error.read()
        return error.code, json.loads(payload) if payload.startswith(b"{") else payload


def client(url: str, user: str) -> Any:
    from gradio_client import Client

    return Client(url, auth=(user, PASSWORDS[user]), verbose=False, analytics_enabled=False, download_files=False)


API_ROUTES = [
    ("/api/search", {"question": "Who trims the lamp wick?"}), ("/api/documents", None),
    ("/api/openapi.json", None), ("/api/context?source=x&start=0&end=1", None),
    ("/api/page?source=x&start=0&end=1", None), ("/api/users", None),
    ("/mcp/", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
]  # fmt: skip
GRADIO_ROUTES = ["config", "gradio_api/info", "gradio_api/openapi.json", "gradio_api/queue/data?session_hash=x"]


def test_no_way_in_without_valid_credentials(team: dict[str, Any]) -> None:
    from gradio_client import Client

    url = team["url"]
    for path, body in API_ROUTES:
        status, payload = call(url, path, body)
        assert status == 401 and "\n" not in payload["error"], path
        assert call(url, path, body, token="vb_not-a-real-token")[0] == 401, path
    for path in GRADIO_ROUTES:
        assert call(url, "/" + path)[0] == 401, path
    assert call(url, "/gradio_api/call/search", {"data": ["lamp"]})[0] == 401
    with pytest.raises(ValueError, match="Could not login"):
        Client(url, auth=("ann", "not her password"), verbose=False, analytics_enabled=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(url, auth=("nobody", "reader pass 1"), verbose=False, analytics_enabled=False)


def test_each_reader_sees_only_their_collection_through_every_route(team: dict[str, Any]) -> None:
    url, article, memo = team["url"], str(team["article"]), str(team["memo"])
    lamp, grooming = "Who trims the lamp wick?", "Who wrote the audit on grooming gangs?"
    # the JSON API, with a password and with a token
    for question in (lamp, grooming):
        for asker in ({"user": "ann"}, {"token": team["token"]}, {"user": "root"}):
            status, answer = call(url, "/api/search", {"question": question, "k": 10}, **asker)
            assert status == 200, (asker, answer)
            sources = {p["source"] for p in answer["passages"]}
            allowed = {"user": {article}, "token": {memo}}.get(next(iter(asker)), {article, memo})
            if asker.get("user") == "root":
                allowed = {article, memo}
            assert sources <= allowed and sources, (asker, question, sources)
    assert [d["path"] for d in call(url, "/api/documents", user="ann")[1]] == [article]
    assert [d["path"] for d in call(url, "/api/documents", token=team["token"])[1]] == [memo]
    assert len(call(url, "/api/documents", user="root")[1]) == 2
    status, answer = call(url, "/api/search", {"question": lamp, "documents": ["memo.pdf"]}, user="ann")
    assert status == 404 and "memo.pdf" in answer["error"]
    memo_passage = call(url, "/api/search", {"question": lamp}, token=team["token"])[1]["passages"][0]
    where = urllib.parse.urlencode({k: memo_passage[k] for k in ("source", "start", "end")})
    assert call(url, f"/api/page?{where}", token=team["token"])[0] == 200
    for path in (f"/api/page?{where}", f"/api/context?{where}"):
        status, payload = call(url, path, user="ann")
        assert status == 404 and payload == {"error": f"{memo}: is not in the index"}, "not told apart from none"
    # gradio_client, signed in
    ann = client(url, "ann")
    found = ann.predict(lamp, 10, api_name="/search")
    assert {p["source"] for p in found["passages"]} <= {article}
    with pytest.raises(Exception, match="is not in the index"):
        ann.predict(memo, memo_passage["start"], memo_passage["end"], api_name="/page_image")
    otto = client(url, "otto")
    assert {p["source"] for p in otto.predict(grooming, 10, api_name="/search")["passages"]} <= {memo}
    # the MCP tools on the running app, with the reader's token
    listed, searched = asyncio.run(asyncio.wait_for(mcp_calls(url + "mcp/", team["token"], grooming), timeout=120))
    assert [d["path"] for d in listed["documents"]] == [memo]
    assert {p["source"] for p in searched["passages"]} <= {memo}


async def mcp_calls(url: str, token: str, question: str) -> tuple[Any, Any]:
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    async with http, streamable_http_client(url, http_client=http) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        listed = await s.call_tool("documents", {})
        searched = await s.call_tool("search", {"question": question, "k": 10})
        return (json.loads(listed.content[0].text), json.loads(searched.content[0].text))


def test_a_reader_cannot_change_the_index_and_an_editor_can(team: dict[str, Any]) -> None:
    from gradio_client import handle_file

    url, folder = team["url"], team["folder"]
    note = folder / "note.txt"
    note.write_text("The harbour master logs every ship that enters the harbour after midnight.\n")
    before = call(url, "/api/documents", user="root")[1]
    ann = client(url, "ann")
    with pytest.raises(Exception, match="ann is a reader"):
        ann.predict([handle_file(str(note))], "news", api_name="/upload")
    assert call(url, "/api/documents", user="root")[1] == before, "refused: nothing added"
    for endpoint in ann.view_api(return_format="dict", print_info=False)["named_endpoints"]:
        assert endpoint in ("/search", "/upload", "/page_image"), "no other way in through the API"
    ed = client(url, "ed")
    with pytest.raises(Exception, match="may not add to the collection other"):
        ed.predict([handle_file(str(note))], "other", api_name="/upload")
    status = ed.predict([handle_file(str(note))], "news", api_name="/upload")[0]
    assert "1 added" in status
    answer = call(url, "/api/search", {"question": "Who logs the ships after midnight?"}, user="ann")[1]
    assert answer["passages"][0]["source"].endswith("note.txt"), "the editor's upload answers the reader"
    assert all(not p["source"].endswith("note.txt") for p in
               call(url, "/api/search", {"question": "Who logs the ships after midnight?"}, token=team["token"])[1][
                   "passages"])  # fmt: skip
    lines = Audit(folder / "index" / "audit.jsonl").lines()
    added = [line for line in lines if line["action"] == "document added"]
    assert added and added[-1]["actor"] == "ed" and added[-1]["collection"] == "news"


def test_only_an_admin_manages_users(team: dict[str, Any]) -> None:
    url = team["url"]
    new = {"name": "nina", "role": "reader", "collections": "news", "password": "nina pass 1"}
    assert call(url, "/api/users", user="ed")[0] == 403
    assert call(url, "/api/users", new, user="ann")[0] == 403
    assert call(url, "/api/users/otto", user="ann", method="DELETE")[0] == 403
    assert "nina" not in team["users"].users()
    status, made = call(url, "/api/users", new, user="root")
    assert status == 201 and made == {"name": "nina", "role": "reader", "collections": ["news"], "tokens": 0}
    assert call(url, "/api/documents", user="nina", password="nina pass 1")[0] == 200
    listed = call(url, "/api/users", user="root")[1]
    assert "nina" in {u["name"] for u in listed} and "password" not in json.dumps(listed)
    assert call(url, "/api/users", {**new, "password": "short"}, user="root")[0] == 400
    assert call(url, "/api/users/nina", user="root", method="DELETE")[0] == 200
    assert call(url, "/api/documents", user="nina", password="nina pass 1")[0] == 401, "removed: no way in at once"
    actions = [(line["actor"], line["action"], line["target"]) for line in
               Audit(team["folder"] / "index" / "audit.jsonl").lines()]  # fmt: skip
    assert ("root", "user added", "nina") in actions and ("root", "user removed", "nina") in actions


def test_a_session_ends_when_its_user_is_removed(team: dict[str, Any]) -> None:
    users = team["users"]
    users.add("temp", "reader", ("news",), "temp pass 1")
    PASSWORDS["temp"] = "temp pass 1"
    temp = client(team["url"], "temp")
    assert temp.predict("care homes", 1, api_name="/search")["passages"]
    users.remove("temp")
    with pytest.raises(Exception):  # noqa: B017 - gradio_client's error for a 401 differs between routes
        temp.predict("care homes", 1, api_name="/search")


def test_guessing_passwords_is_slowed_down_and_nothing_secret_is_logged(team: dict[str, Any]) -> None:
    url = team["url"]
    for _ in range(5):
        assert call(url, "/api/documents", user="otto", password="guess")[0] == 401
    status, payload = call(url, "/api/documents", user="otto")
    assert status == 429 and "too many failed sign-ins" in payload["error"]
    form = urllib.parse.urlencode({"username": "otto", "password": PASSWORDS["otto"]}).encode()
    try:
        urllib.request.urlopen(urllib.request.Request(url + "login", data=form), timeout=30)
        code = 200
    except urllib.error.HTTPError as error:
        code = error.code
    assert code == 429, "the page's sign-in waits too"
    time.sleep(1.2)
    assert call(url, "/api/documents", token=team["token"])[0] == 200, "a token is not a password"
    assert call(url, "/api/documents", user="otto")[0] == 200, "after the wait the right password is let in"
    logs = [p.read_text() for p in team["folder"].glob("app-*.log")] + [
        (team["folder"] / "index" / "audit.jsonl").read_text()
    ]  # fmt: skip
    for secret in [*PASSWORDS.values(), team["token"], "guess"]:
        assert all(secret not in log for log in logs), secret
