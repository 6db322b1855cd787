"""The JSON API (``/api``, qa/api.py) over real HTTP on the running app, and its limits in-process."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app_server import running_app
from tests.conftest import ARTICLE, ROOT
from tests.docmaker import make_layout_pdf, wrapped

QUESTION = "What role did weak taxi licensing play?"


def call(url: str, path: str, body: Any = None, raw: bytes | None = None, auth: str | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url.rstrip("/") + path, data=data, method="POST" if data is not None else "GET")
    request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = response.read()
            kind = response.headers.get("Content-Type", "")
            return response.status, payload if kind.startswith("image/") else json.loads(payload)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    folder = tmp_path_factory.mktemp("jsonapi")
    doc = folder / "article.txt"
    shutil.copy(ARTICLE, doc)
    pdf = make_layout_pdf(folder / "budget.pdf", [wrapped("The council approved the annual budget on Monday.", 50, 80)])
    with running_app(folder / "index", str(doc), str(pdf)) as url:
        yield url, doc, pdf


def test_search_returns_the_answer_object_with_exact_quotes(served: tuple[str, Path, Path]) -> None:
    url, doc, _ = served
    status, answer = call(url, "/api/search", {"question": QUESTION, "k": 4, "documents": ["article.txt"]})
    assert status == 200
    assert set(answer) == {"question", "answered", "missing", "searched", "preferred", "preferred_by", "passages"}
    text = doc.read_text(encoding="utf-8")
    assert [p["rank"] for p in answer["passages"]] == [1, 2, 3, 4]
    assert all(text[p["start"] : p["end"]] == p["text"] for p in answer["passages"])
    assert set(answer["passages"][0]) == {"rank", "source", "start", "end", "text", "score", "page", "last_page",
                                          "line", "heading", "highlight"}  # fmt: skip
    follow_up = {"question": "What did she find about care homes?", "history": ["Who is Baroness Casey?"], "k": 2}
    status, follow = call(url, "/api/search", follow_up)
    turn = json.dumps({"question": follow_up["question"], "history": follow_up["history"]})
    cli = subprocess.run(
        [sys.executable, "-m", "qa", "ask", "--questions", "-", "--json", "-k", "2"], input=turn + "\n",
        cwd=ROOT, env={**os.environ, "VERBATIM_INDEX_DIR": str(doc.parent / "index"), "HF_HUB_OFFLINE": "1"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert status == 200 and cli.returncode == 0, cli.stderr
    assert follow == json.loads(cli.stdout)  # a conversation turn answered as the command line answers it
    status, lexical = call(url, "/api/search", {"question": QUESTION, "mode": "lexical", "k": 1})
    assert status == 200 and len(lexical["passages"]) == 1


def test_documents_context_page_and_openapi(served: tuple[str, Path, Path]) -> None:
    url = served[0]
    status, docs = call(url, "/api/documents")
    assert status == 200 and sorted(d["name"] for d in docs) == ["article.txt", "budget.pdf"]
    _, answer = call(url, "/api/search", {"question": "When was the budget approved?", "documents": ["budget.pdf"]})
    top = answer["passages"][0]
    query = f"?source={urllib.parse.quote(top['source'])}&start={top['start']}&end={top['end']}"
    status, png = call(url, "/api/page" + query)
    assert status == 200 and png.startswith(b"\x89PNG")
    status, around = call(url, "/api/context" + query)
    assert status == 200 and around["text"] == top["text"]
    status, spec = call(url, "/api/openapi.json")
    assert status == 200 and {"/search", "/documents", "/page", "/context"} <= set(spec["paths"])
    assert spec["servers"] == [{"url": "/api"}]


@pytest.mark.parametrize(
    ("path", "body", "raw", "status", "says"),
    [
        ("/api/search", {"question": ""}, None, 400, "question"),
        ("/api/search", {"question": "x", "k": 0}, None, 400, "k"),
        ("/api/search", {"question": "x", "k": "many"}, None, 400, "k"),
        ("/api/search", {"question": "x", "mode": "psychic"}, None, 400, "mode"),
        ("/api/search", {"question": "x", "colour": "red"}, None, 400, "colour"),
        ("/api/search", None, b"{not json", 400, "JSON"),
        ("/api/search", None, b"\xff\xfe\x03", 400, "parsing the body"),  # not UTF-8 (found by schemathesis)
        ("/api/nothing", None, None, 404, "Not Found"),
        ("/api/search", {"question": "x", "documents": ["nope.pdf"]}, None, 404, "not an indexed document"),
        ("/api/search", None, json.dumps({"question": "a" * 70_000}).encode(), 413, "bytes"),
        ("/api/page?source=/etc/passwd&start=0&end=5", None, None, 404, "not in the index"),
        ("/api/context?source=/etc/passwd&start=0&end=5", None, None, 404, "not in the index"),
        ("/api/page?source=x&start=-1&end=5", None, None, 400, "start"),
    ],
)
def test_bad_requests_get_their_status_and_one_line(
    served: tuple[str, Path, Path], path: str, body: Any, raw: bytes | None, status: int, says: str
) -> None:
    got, payload = call(served[0], path, body, raw)
    assert got == status and says in payload["error"] and "\n" not in payload["error"]


def test_a_text_passage_has_no_page_and_an_unknown_span_no_context(served: tuple[str, Path, Path]) -> None:
    url, doc, _ = served
    source = urllib.parse.quote(str(doc.resolve()))
    status, payload = call(url, f"/api/page?source={source}&start=0&end=10")
    assert status == 400 and "\n" not in payload["error"]
    status, payload = call(url, f"/api/context?source={source}&start=5&end=10000000")
    assert status == 400 and "no passage" in payload["error"]


def test_with_a_password_every_route_needs_it(tmp_path: Path) -> None:  # the MCP tools' route too
    doc = tmp_path / "article.txt"
    shutil.copy(ARTICLE, doc)
    with running_app(tmp_path / "index", str(doc), env={"VERBATIM_PASSWORD": "s3cret-pass"}) as url:
        rpc = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        for path, body in [("/api/search", {"question": QUESTION}), ("/api/documents", None),
                           ("/api/openapi.json", None), ("/api/context?source=x&start=0&end=1", None),
                           ("/mcp/", rpc)]:  # fmt: skip
            assert call(url, path, body)[0] == 401
            assert call(url, path, body, auth="verbatim:wrong")[0] == 401
        # five wrong passwords in a row: the name and the address wait a second (qa/access/throttle.py)
        assert call(url, "/api/documents", None, auth="verbatim:s3cret-pass")[0] == 429
        time.sleep(1.1)
        status, answer = call(url, "/api/search", {"question": QUESTION}, auth="verbatim:s3cret-pass")
        assert status == 200 and answer["passages"]
        log = (tmp_path / "index").parent.glob("app-*.log")
        assert all("s3cret-pass" not in f.read_text() for f in log)


def test_past_its_limit_the_api_answers_503_with_retry_after(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from qa.api import Limits, make_api
    from qa.config import Settings
    from qa.engine import Engine

    engine = Engine(Settings.from_env(index_dir=tmp_path / "index"))
    engine.add([ARTICLE])
    api = make_api(engine, limits=Limits(requests=1, wait=0.2, retry_after=2))
    client = TestClient(api)
    assert client.post("/search", json={"question": QUESTION}).status_code == 200
    api.state.slots.acquire()  # one question is being answered
    try:
        busy = client.post("/search", json={"question": QUESTION})
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "2" and "busy" in busy.json()["error"]
    finally:
        api.state.slots.release()
    assert client.post("/search", json={"question": QUESTION}).status_code == 200
