"""``python -m qa mcp``: Verbatim's MCP server over stdio, driven by the real ``mcp`` client library."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from qa.config import Settings
from qa.engine import Engine
from tests.conftest import ARTICLE, ROOT
from tests.docmaker import make_layout_pdf, wrapped


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mcp")
    doc = folder / "article.txt"
    shutil.copy(ARTICLE, doc)
    pdf = make_layout_pdf(folder / "budget.pdf", [wrapped("The council approved the annual budget on Monday.", 50, 80)])
    Engine(Settings.from_env(index_dir=folder / "index")).add([doc, pdf])
    return folder / "index"


def talk(index_dir: Path, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[Any], list[Any]]:
    """The server's tools, and the result of each call, from one stdio session."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "qa", "mcp", "--index-dir", str(index_dir)], cwd=str(ROOT),
        env={"HF_HUB_OFFLINE": "1", "PATH": os.environ.get("PATH", "")},
    )  # fmt: skip

    async def session() -> tuple[list[Any], list[Any]]:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            tools = (await client.list_tools()).tools
            results = [await client.call_tool(name, arguments) for name, arguments in calls]
            return tools, results

    return asyncio.run(asyncio.wait_for(session(), timeout=180))


def text_of(result: Any) -> Any:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


def test_an_agent_lists_the_tools_and_gets_exact_quotes(index_dir: Path) -> None:
    question = "What role did weak taxi licensing play?"
    tools, (found, docs, limited) = talk(index_dir, [
        ("search", {"question": question, "k": 3}),
        ("documents", {}),
        ("search", {"question": "When was the budget approved?", "documents": ["budget.pdf"], "k": 1}),
    ])  # fmt: skip
    assert sorted(t.name for t in tools) == ["context", "documents", "page", "search"]
    search_tool = next(t for t in tools if t.name == "search")
    assert "exact quote" in search_tool.description and "question" in search_tool.input_schema["properties"]
    answer = text_of(found)
    text = ARTICLE.read_text(encoding="utf-8")
    assert answer["answered"] and len(answer["passages"]) == 3
    assert all(text[p["start"] : p["end"]] == p["text"] for p in answer["passages"])
    assert sorted(d["name"] for d in text_of(docs)["documents"]) == ["article.txt", "budget.pdf"]
    assert [p["source"].endswith("budget.pdf") for p in text_of(limited)["passages"]] == [True]


def test_context_and_page_of_a_passage_and_one_line_errors(index_dir: Path) -> None:
    engine = Engine(Settings.from_env(index_dir=index_dir))
    top = engine.ask("When was the budget approved?", k=1, documents=["budget.pdf"]).hits[0].passage
    span = {"source": top.source, "start": top.start, "end": top.end}
    _, (context, page, unknown, empty) = talk(index_dir, [
        ("context", span), ("page", span), ("page", {**span, "source": "/etc/passwd"}), ("search", {"question": " "}),
    ])  # fmt: skip
    assert text_of(context)["text"] == top.text
    image = page.content[0]
    assert image.type == "image" and image.mime_type == "image/png"
    assert base64.b64decode(image.data).startswith(b"\x89PNG")
    for failed in (unknown, empty):
        assert failed.is_error and "\n" not in failed.content[0].text.strip()


def test_the_running_app_serves_the_same_tools_over_streamable_http(tmp_path: Path) -> None:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from tests.app_server import running_app

    doc = tmp_path / "article.txt"
    shutil.copy(ARTICLE, doc)

    async def session(url: str) -> tuple[list[Any], Any]:
        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            tools = (await client.list_tools()).tools
            return tools, await client.call_tool("search", {"question": "Were care homes targeted?", "k": 2})

    with running_app(tmp_path / "index", str(doc)) as url:
        tools, found = asyncio.run(asyncio.wait_for(session(url + "mcp/"), timeout=120))
    assert sorted(t.name for t in tools) == ["context", "documents", "page", "search"]
    text = doc.read_text(encoding="utf-8")
    assert all(text[p["start"] : p["end"]] == p["text"] for p in text_of(found)["passages"])
