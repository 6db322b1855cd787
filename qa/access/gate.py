"""Who is asking: a sign-in (name and password), an HTTP ``Authorization`` header (Basic, or Bearer with an API
token) or a session's name, checked against the users, throttled after failures. The page, the JSON API and the
MCP tools all ask this one object.

Without users the gate is open: everyone is ``OPEN``, an admin of every collection (the loopback default).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from collections import OrderedDict
from typing import Protocol

from qa.access.throttle import Throttle
from qa.access.users import User, UsersFile
from qa.config import Settings
from qa.errors import AccessError

OPEN = User(name="", role="admin", collections=("*",))  # who asks when there is no sign-in


class Users(Protocol):
    def get(self, name: str) -> User | None: ...
    def check(self, name: str, password: str) -> User | None: ...
    def by_token(self, token: str) -> User | None: ...


class Refused(AccessError):
    """No way in: ``status`` 401 (no or wrong credentials) or 429 (too many failures; ``retry_after`` s)."""

    def __init__(self, message: str, status: int = 401, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


class OneUser:
    """The single admin of ``VERBATIM_PASSWORD`` (and ``VERBATIM_USER``): sign-in before there was a users file."""

    def __init__(self, name: str, password: str) -> None:
        self.user = User(name=name, role="admin", collections=("*",))
        self.password = password

    def get(self, name: str) -> User | None:
        return self.user if name == self.user.name else None

    def check(self, name: str, password: str) -> User | None:
        same = secrets.compare_digest(password.encode(), self.password.encode())
        return self.user if same and name == self.user.name else None

    def by_token(self, token: str) -> User | None:
        return None


class Access:
    def __init__(self, users: Users | None, throttle: Throttle | None = None) -> None:
        self.users = users
        self.throttle = throttle or Throttle()
        # HTTP Basic sends the password with every request, and argon2 costs 50 ms and 64 MiB a check: a pair
        # that passed is remembered by its keyed digest (this process's random key; never the password itself)
        # for as long as the user is unchanged
        self._key = secrets.token_bytes(32)
        self._passed: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        return self.users is None

    def user(self, name: str | None) -> User | None:
        """The user a session names (None: no such user now); everyone when the gate is open."""
        if self.users is None:
            return OPEN
        return self.users.get(name) if name else None

    def password_ok(self, name: str, password: str) -> bool:
        """Gradio's ``auth`` check of the page's sign-in form (``SignInGuard`` throttles it)."""
        return self.users is None or self.users.check(name, password) is not None

    def not_waiting(self, name: str, address: str) -> None:
        """``Refused`` (429) while ``name`` or ``address`` must wait after failed sign-ins (``Throttle``)."""
        wait = self.throttle.wait(name, address)
        if wait > 0:
            raise Refused(f"too many failed sign-ins: try again in {wait:.0f} s", 429, max(1, round(wait)))

    def sign_in(self, name: str, password: str, address: str) -> User:
        if self.users is None:
            return OPEN
        self.not_waiting(name, address)
        digest = hmac.digest(self._key, f"{name}\0{password}".encode(), "sha256")
        with self._lock:
            passed = self._passed.get(digest)
        if passed is not None and (user := self.users.get(name)) is not None and user.changed == passed[1]:
            return user
        user = self.users.check(name, password)
        if user is None:
            self.throttle.failed(name, address)
            raise Refused("wrong user name or password")
        self.throttle.succeeded(name, address)
        with self._lock:
            self._passed[digest] = (name, user.changed)
            while len(self._passed) > 1024:
                self._passed.popitem(last=False)
        return user

    def from_header(self, authorization: str, address: str) -> User:
        """The user of an ``Authorization`` header: ``Basic`` name and password, or ``Bearer`` an API token."""
        if self.users is None:
            return OPEN
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            self.not_waiting("", address)
            user = self.users.by_token(value.strip())
            if user is None:
                self.throttle.failed("", address)
                raise Refused("the API token is not valid (make one with: python -m qa users token NAME)")
            return user
        if scheme.lower() == "basic":
            try:
                name, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise Refused("the Authorization header is not valid HTTP Basic") from None
            return self.sign_in(name, password, address)
        raise Refused("sign in: HTTP Basic with a user's name and password, or Bearer with an API token")


def access_for(settings: Settings) -> Access:
    """The gate the settings ask for: the users file if there is one (or ``--users`` names one), else the single
    ``VERBATIM_PASSWORD`` admin, else open; ``--no-auth`` opens it whatever there is."""
    if settings.no_auth:
        return Access(None)
    users = UsersFile(settings.users_file)
    if users.exists():
        users.users()  # a damaged file is one line now, not at the first sign-in
        return Access(users)
    if settings.users is not None:
        raise AccessError(f"there is no users file at {settings.users}: add a user (python -m qa users add NAME "
                          f"--role admin --users {settings.users})")  # fmt: skip
    if settings.password:
        return Access(OneUser(settings.user, settings.password))
    return Access(None)
