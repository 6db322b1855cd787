"""Verbatim as an MCP server for AI agents: ``python -m qa mcp`` over stdio (a desktop client starts it itself),
and the same tools on the running app over streamable HTTP at ``/mcp/``.

Four read-only tools over the same engine as the app: ``search`` (passages quoted exactly, with their citations
and offsets), ``documents``, ``context`` (the text around a passage) and ``page`` (the passage marked on its
page, as an image). No tool changes the index. A library error is the tool's error result, one line.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from qa.access.gate import Access, Refused
from qa.api import passage_context, refused, user_of
from qa.engine import Engine
from qa.errors import VerbatimError
from qa.render import answer_to_dict

try:  # the app and the library do not need it; the tools' annotations name its Image
    from mcp.server.mcpserver import Image, MCPServer
except ImportError:  # pragma: no cover - mcp is in requirements.txt
    Image = MCPServer = None  # type: ignore[assignment, misc]

INSTRUCTIONS = (
    "Verbatim searches the user's own indexed documents and returns passages quoted exactly from them: nothing is "
    "generated, every passage's text is its source's text between 'start' and 'end'. Quote a passage as it is and "
    "cite it by its document ('source'), page and line; say 'not in the documents' when an answer's 'answered' "
    "is false. 'highlight' is the answer sentence's span in the same coordinates as 'start' and 'end'."
)


# the collections the HTTP request's user reads (set per request by ``_Running``; the tools run in its context).
# Over stdio the client is a program its user started on this machine: it reads all.
READABLE: contextvars.ContextVar[Any] = contextvars.ContextVar("readable", default=None)


def make_server(engine: Engine) -> Any:
    """The MCP server (an ``mcp`` ``MCPServer``) with Verbatim's tools on ``engine``."""
    if MCPServer is None:
        raise VerbatimError("the MCP server needs the mcp package: pip install 'mcp==2.3.0'")
    server = MCPServer("verbatim", instructions=INSTRUCTIONS)

    @server.tool()
    def search(question: str, k: int = 3, documents: list[str] | None = None, history: list[str] | None = None) -> dict:
        """Find the passages of the user's documents that answer a question, quoted exactly, best first.

        Returns {"question", "answered", "missing", "searched", "preferred", "preferred_by", "passages": [{"rank",
        "source", "start", "end", "text", "score", "page", "last_page", "line", "heading", "highlight"}]}:
        "preferred" lists the documents searched first, because the question names them ("preferred_by": "name")
        or the history was answered from them ("conversation"). Each passage's "text" is an exact quote:
        cite it with its "source", "page" and "line". "answered" is false when the documents do not seem to
        answer: say so instead of answering from elsewhere ("missing", when set, is the question's word that
        the document found never uses). k: passages to return (1 to 50). documents: file
        names or paths to search within (empty: all; see the documents tool). history: the earlier questions of
        the conversation, oldest first, so that a follow-up ("what did it cost?") is resolved."""
        answer = engine.ask(question, k=max(1, min(int(k), 50)), history=list(history or []),
                            documents=list(documents or []), collections=READABLE.get())  # fmt: skip
        return answer_to_dict(answer)

    @server.tool()
    def documents() -> dict:
        """The documents that are indexed: {"documents": [{"path", "name", "kind", "pages", "passages"}]}; a name
        or path from here limits a search to that document."""
        listed = [
            {"path": d.path, "name": d.name, "kind": d.kind, "pages": d.pages, "passages": d.passages}
            for d in engine.documents(READABLE.get())
        ]
        return {"documents": listed}

    @server.tool()
    def context(source: str, start: int, end: int) -> dict:
        """The text around a passage: give a passage's "source", "start" and "end" from search. Returns the text
        before it, the passage itself ("text") and the text after it, about 1,200 characters each side."""
        return passage_context(engine, source, start, end, readable=READABLE.get())

    @server.tool()
    def page(source: str, start: int, end: int) -> Image:
        """The page of a passage of a PDF or scan as a PNG image, the passage marked in yellow: give its "source",
        "start" and "end" from search. Only documents with pages (PDF, images) have one."""
        return Image(data=engine.page_image(source, start, end, collections=READABLE.get()), format="png")

    return server


def serve_stdio(engine: Engine) -> int:
    """Answer MCP requests on standard input and output until the client closes them."""
    make_server(engine).run("stdio")
    return 0


def http_app(engine: Engine, access: Access | None = None, host: str = "127.0.0.1") -> Any:
    """The tools over streamable HTTP, as an ASGI application to mount at ``/mcp`` on the app's server (stateless,
    JSON responses; with sign-in, a user's HTTP Basic or Bearer token as for the JSON API, and each tool sees
    only that user's collections). On a
    loopback ``host`` the mcp package also refuses requests whose Host or Origin is not loopback (DNS rebinding);
    on another address it cannot know the names the server is reached by."""
    server = make_server(engine)
    app = server.streamable_http_app(streamable_http_path="/", stateless_http=True, json_response=True, host=host)
    return _Running(app, server.session_manager, access or Access(None))


class _Running:
    """Runs the MCP session manager in the serving loop from the first request on: a mounted application gets
    no lifespan events of its own."""

    def __init__(self, app: Any, manager: Any, access: Access) -> None:
        self.app, self.manager, self.access = app, manager, access
        self.ready: asyncio.Event | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        try:
            user = user_of(self.access, scope)
        except Refused as exc:
            await refused(exc)(scope, receive, send)
            return
        READABLE.set(user.readable)
        if self.ready is None:
            self.ready = asyncio.Event()
            asyncio.get_running_loop().create_task(self._run())
        await self.ready.wait()
        await self.app(scope, receive, send)

    async def _run(self) -> None:
        assert self.ready is not None
        async with self.manager.run():
            self.ready.set()
            await asyncio.Event().wait()  # as long as the server runs
