"""The page's sign-in sessions, kept by Gradio (its ``/login`` sets a cookie naming a token) with what Gradio
leaves out: a session ends after ``hours``, and when its user is removed or their password, role or
collections change; and ``/login`` is throttled per name and address (``SignInGuard``)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs

from qa.access.gate import Access, Refused

MAX_FORM = 16_384  # bytes of a sign-in form: a name and a password fit many times over


class Sessions(dict[str, str]):
    """Gradio's ``app.tokens`` (token -> user name), each token valid for ``hours`` and while its user is."""

    def __init__(self, access: Access, hours: float, clock: Any = time.time) -> None:
        super().__init__()
        self.access, self.seconds, self.clock = access, hours * 3600, clock
        self.started: dict[str, float] = {}

    def __setitem__(self, token: str, name: str) -> None:
        super().__setitem__(token, name)
        self.started[token] = self.clock()

    def __delitem__(self, token: str) -> None:
        super().__delitem__(token)
        self.started.pop(token, None)

    def get(self, token: Any, default: Any = None) -> Any:
        name = super().get(token)
        if name is None:
            return default
        started = self.started.get(token, 0.0)
        user = self.access.user(name)
        if user is None or self.clock() - started > self.seconds or user.changed > started:
            del self[token]
            return default
        return name

    def __contains__(self, token: object) -> bool:
        return self.get(token) is not None


class SignInGuard:
    """ASGI middleware before Gradio: a ``POST /login`` from a name or address that failed too often is refused
    with 429 before its password is checked, and each answer of Gradio's ``/login`` counts as a success (200)
    or a failure (400) of that name and address."""

    def __init__(self, app: Any, access: Access) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != "/login":
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more and len(body) <= MAX_FORM:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if len(body) > MAX_FORM:
            await _refuse(send, Refused(f"a sign-in form is not over {MAX_FORM} bytes", 413))
            return
        name = (parse_qs(body.decode("utf-8", "replace")).get("username") or [""])[0].strip()
        address = (scope.get("client") or ("?", 0))[0]
        try:
            self.access.not_waiting(name, address)
        except Refused as refused:
            await _refuse(send, refused)
            return
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    self.access.throttle.succeeded(name, address)
                elif message["status"] in (400, 401):
                    self.access.throttle.failed(name, address)
            await send(message)

        await self.app(scope, replay, watch)


async def _refuse(send: Any, refused: Refused) -> None:
    body = json.dumps({"detail": str(refused)}).encode()
    headers = [(b"content-type", b"application/json")]
    if refused.status == 429:
        headers.append((b"retry-after", str(max(1, refused.retry_after)).encode()))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
