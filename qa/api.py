"""The JSON API for programs, on the app's own server and outside Gradio's queue: ``/api/...``.

    POST /api/search     {"question", "k", "history", "documents", "mode"} -> the ``ask --json`` answer object
    GET  /api/documents  the indexed documents (as ``documents --json``)
    GET  /api/page?source=&start=&end=     the passage's page as a PNG, the passage marked
    GET  /api/context?source=&start=&end=  the text around the passage
    GET  /api/openapi.json                  this description

    GET    /api/users          the users (an admin's only), as ``users list --json``
    POST   /api/users          {"name", "role", "collections", "password"}: a new user (admin)
    DELETE /api/users/{name}   a user removed (admin)

Every answer is JSON; an error is ``{"error": "one line"}`` with its status: 400 for a bad field or body, 401
without a user's credentials when the app has sign-in (HTTP Basic with a user's name and password, or Bearer
with their API token), 403 for a route the user's role does not allow, 404 for a document that is not indexed
(or not in the user's collections: the two are not told apart), 413 for a body over ``MAX_BODY`` bytes, 429
after too many failed sign-ins, and 503 with
``Retry-After`` when ``Limits.requests`` questions are being answered and none ends within ``Limits.wait``
seconds (a bounded wait, never a hang). Questions are
answered by the engine directly, in FastAPI's worker threads: an engine's snapshot is immutable, so they run side
by side with each other and with an upload.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa.access.audit import Audit
from qa.access.gate import Access, Refused
from qa.access.names import collection_list
from qa.access.users import User, UsersFile, role_of, user_row
from qa.api_models import DEFAULT_LIMITS, ERRORS, MAX_BODY, AnswerOut, Limits, NewUser, Offset, SearchRequest, Source
from qa.catalog import Readable
from qa.engine import Engine
from qa.errors import AccessError, NotIndexedError, UnknownDocumentError, VerbatimError
from qa.render import answer_to_dict


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def make_api(engine: Engine, access: Access | None = None, limits: Limits = DEFAULT_LIMITS) -> FastAPI:
    """The API as an application to mount at ``/api`` (its OpenAPI description at ``/api/openapi.json``)."""
    api = FastAPI(
        title="Verbatim", version="1", docs_url=None, redoc_url=None, openapi_url="/openapi.json",
        description="Passages quoted exactly from the indexed documents, with citations. Every passage's text is "
        "source_text[start:end] of its source.",
    )  # fmt: skip
    slots = api.state.slots = threading.BoundedSemaphore(limits.requests)

    access = access or Access(None)
    audit = Audit(engine.settings.index_dir / "audit.jsonl")
    api.add_middleware(_Guard, access=access)

    def who(request: Request) -> User:
        return request.state.user

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query") and not isinstance(p, int))
        return _error(400, f"{where}: {first.get('msg')}" if where else str(first.get("msg")))

    @api.exception_handler(StarletteHTTPException)
    async def refused(_: Request, exc: StarletteHTTPException) -> JSONResponse:  # a body that is no JSON, a path
        return _error(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @api.exception_handler(ApiError)
    async def failed(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.headers)

    def answering(work: Any) -> Any:
        if not slots.acquire(timeout=limits.wait):
            raise ApiError(503, "busy: too many questions at once; retry", {"Retry-After": str(limits.retry_after)})
        try:
            return work()
        except (UnknownDocumentError, NotIndexedError) as exc:
            raise ApiError(404, str(exc)) from exc
        except VerbatimError as exc:
            raise ApiError(400, str(exc)) from exc
        finally:
            slots.release()

    @api.post("/search", summary="Passages that answer a question, quoted exactly, with citations",
              response_model=AnswerOut, responses=ERRORS)  # fmt: skip
    def search(request: SearchRequest, http: Request) -> JSONResponse:
        readable = who(http).readable
        answer = answering(
            lambda: engine.ask(request.question, k=request.k, mode=request.mode, history=request.history,
                               documents=request.documents, collections=readable)
        )  # fmt: skip
        # returned as it is: FastAPI's validation of the model would cost as much as the search itself
        return JSONResponse(answer_to_dict(answer))

    @api.get("/documents", summary="The indexed documents", responses={401: ERRORS[401]})
    def documents(http: Request) -> list[dict[str, Any]]:
        return [asdict(d) for d in engine.documents(who(http).readable)]

    @api.get("/page", summary="The page of a passage as a PNG, the passage marked", response_class=Response,
             responses={200: {"content": {"image/png": {}}}, **ERRORS})  # fmt: skip
    def page(source: Source, start: Offset, end: Offset, http: Request) -> Response:
        readable = who(http).readable
        png = answering(lambda: engine.page_image(source, start, end, collections=readable))
        return Response(png, media_type="image/png")

    @api.get("/context", summary="The text around a passage", responses=ERRORS)
    def context(source: Source, start: Offset, end: Offset, http: Request) -> dict[str, Any]:
        readable = who(http).readable
        return answering(lambda: passage_context(engine, source, start, end, readable=readable))

    def users_file(http: Request) -> UsersFile:
        if not who(http).is_admin:
            raise ApiError(403, f"{who(http).name} is not an admin: only an admin manages users")
        if not isinstance(access.users, UsersFile):
            raise ApiError(404, "this app has no users file (python -m qa users add NAME --role admin)")
        return access.users

    @api.get("/users", summary="The users (an admin's route)", responses=ERRORS)
    def users(http: Request) -> list[dict[str, Any]]:
        return [user_row(u) for u in users_file(http).users().values()]

    @api.post("/users", summary="Add a user (an admin's route)", responses=ERRORS, status_code=201)
    def add_user(new: NewUser, http: Request) -> dict[str, Any]:
        try:
            user = users_file(http).add(new.name, role_of(new.role), collection_list(new.collections), new.password)
        except AccessError as exc:
            raise ApiError(400, str(exc)) from exc
        audit.record(who(http).name, "user added", user.name, role=user.role, collections=list(user.collections))
        return user_row(user)

    @api.delete("/users/{name}", summary="Remove a user (an admin's route)", responses=ERRORS)
    def remove_user(name: str, http: Request) -> dict[str, Any]:
        try:
            users_file(http).remove(name)
        except AccessError as exc:
            raise ApiError(404, str(exc)) from exc
        audit.record(who(http).name, "user removed", name)
        return {"removed": name}

    def description() -> dict[str, Any]:
        """The OpenAPI description without FastAPI's 422: a bad request is a 400 here, with one line."""
        if api.openapi_schema is None:
            schema = get_openapi(title=api.title, version=api.version, description=api.description,
                                 routes=api.routes, servers=[{"url": "/api"}])  # fmt: skip
            for operations in schema["paths"].values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            api.openapi_schema = schema
        return api.openapi_schema

    api.openapi = description  # type: ignore[method-assign]
    return api


def passage_context(
    engine: Engine, source: str, start: int, end: int, chars: int = 1200, readable: Readable = None
) -> dict[str, Any]:
    """The text before and after ``source[start:end]`` (about ``chars`` each side), and the passage itself."""
    before, text, after = engine.around(source, start, end, chars, readable)
    return {"source": source, "start": start, "end": end, "before": before, "text": text, "after": after}


class _Guard:
    """Credentials and body size, checked before a request reaches a route (a plain ASGI middleware: Starlette's
    decorator form costs every request a task and a stream of its own). The user found is ``request.state.user``."""

    def __init__(self, app: Any, access: Access) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            refusal = None
            try:
                scope.setdefault("state", {})["user"] = user_of(self.access, scope)
            except Refused as exc:
                refusal = refused(exc)
            length = Request(scope).headers.get("content-length")
            if refusal is None and length is not None and (not length.isdigit() or int(length) > MAX_BODY):
                refusal = _error(413, f"the request body is over {MAX_BODY} bytes")
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def user_of(access: Access, scope: dict[str, Any]) -> User:
    """The user of an HTTP request's ``Authorization`` header (``Refused`` without a valid one)."""
    authorization = Request(scope).headers.get("authorization", "")
    return access.from_header(authorization, (scope.get("client") or ("?", 0))[0])


def refused(exc: Refused) -> JSONResponse:
    """The 401 (or 429) of every programmatic way in (the API, the MCP tools) without a user's credentials."""
    if exc.status == 401:
        return _error(401, str(exc), {"WWW-Authenticate": 'Basic realm="Verbatim"'})
    headers = {"Retry-After": str(exc.retry_after)}
    return _error(exc.status, str(exc), headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
