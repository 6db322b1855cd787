"""The users file: who may sign in, with which role and which collections.

A JSON file, written atomically and readable by its owner only (0600). Passwords are argon2id hashes
(argon2-cffi's defaults: 64 MiB, 3 passes; about 50 ms a check here), API tokens SHA-256 digests of 256 random
bits (a token is shown once, when made). A running app reads the file again when it changes, so ``users remove``
or ``users passwd`` takes effect at its next request, and ends the sessions that started before it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast, get_args

from qa.access.names import ALL_COLLECTIONS, user_name
from qa.errors import AccessError
from qa.stores.durable import write_atomic

if TYPE_CHECKING:
    from argon2 import PasswordHasher

Role = Literal["reader", "editor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
MIN_PASSWORD = 8
TOKEN_PREFIX = "vb_"
FORMAT = 1


@dataclass(frozen=True)
class User:
    """One person who may sign in. ``collections`` is ``("*",)`` for all; an admin reads all whatever it says."""

    name: str
    role: Role
    collections: tuple[str, ...]
    password: str = ""  # the argon2id hash
    tokens: tuple[str, ...] = ()  # SHA-256 digests of the API tokens
    changed: float = 0.0  # when the password, role or collections last changed: older sessions end

    @property
    def may_change(self) -> bool:
        """Whether the user may upload and remove documents (in the collections it may read)."""
        return self.role in ("editor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def readable(self) -> frozenset[str] | None:
        """The collections the user reads; None: every one."""
        return None if self.is_admin or ALL_COLLECTIONS in self.collections else frozenset(self.collections)

    def reads(self, collection: str) -> bool:
        return self.readable is None or collection in self.readable


def user_row(user: User) -> dict[str, object]:
    """A user as ``users list --json`` and ``GET /api/users`` show them: never a hash or a token."""
    return {"name": user.name, "role": user.role, "collections": list(user.collections), "tokens": len(user.tokens)}


def role_of(text: str) -> Role:
    if text not in ROLES:
        raise AccessError(f"{text!r} is not a role: choose one of {', '.join(ROLES)}")
    return cast(Role, text)


class UsersFile:
    """The users in ``path``; read again whenever the file changes (its size, time or inode)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._users: dict[str, User] = {}
        self._hasher = _hasher()
        self._dummy = ""  # a real hash that no password matches: an unknown name is checked as long as a known one

    def exists(self) -> bool:
        return self.path.is_file()

    def users(self) -> dict[str, User]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._users = None, {}
            return {}
        seen = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if seen != self._seen:
            self._users, self._seen = self._read(), seen
        return self._users

    def get(self, name: str) -> User | None:
        return self.users().get(name)

    def check(self, name: str, password: str) -> User | None:
        """The user if ``password`` is theirs; an unknown name costs the same hash as a known one."""
        from argon2.exceptions import InvalidHashError, VerificationError

        user = self.get(name)
        if user is None and not self._dummy:
            self._dummy = self._hasher.hash(secrets.token_hex(16))
        try:
            self._hasher.verify(user.password if user else self._dummy, password)
        except (VerificationError, InvalidHashError):
            return None
        return user

    def by_token(self, token: str) -> User | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        digest = _digest(token)
        return next((u for u in self.users().values() if digest in u.tokens), None)

    # -- changes (the ``users`` command, the admin API) -------------------------------------------------------

    def add(self, name: str, role: Role, collections: tuple[str, ...], password: str) -> User:
        with self._changing() as users:
            if user_name(name) in users:
                raise AccessError(f"{name} is a user already: change the password with 'users passwd {name}'")
            user = User(name, role, collections, self._hash(password), changed=time.time())
            users[name] = user
        return user

    def remove(self, name: str) -> None:
        with self._changing() as users:
            self._known(users, name)
            del users[name]

    def passwd(self, name: str, password: str) -> None:
        with self._changing() as users:
            users[name] = replace(self._known(users, name), password=self._hash(password), changed=time.time())

    def grant(self, name: str, role: Role | None, collections: tuple[str, ...] | None) -> User:
        with self._changing() as users:
            user = self._known(users, name)
            users[name] = user = replace(
                user, role=role or user.role, collections=collections or user.collections, changed=time.time()
            )
        return user

    def new_token(self, name: str) -> str:
        """A new API token for ``name`` (its earlier tokens stay valid until ``revoke_tokens``)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._changing() as users:
            user = self._known(users, name)
            users[name] = replace(user, tokens=(*user.tokens, _digest(token)))
        return token

    def revoke_tokens(self, name: str) -> None:
        with self._changing() as users:
            users[name] = replace(self._known(users, name), tokens=())

    # -- the file -----------------------------------------------------------------------------------------------

    def _known(self, users: dict[str, User], name: str) -> User:
        if name not in users:
            raise AccessError(f"{name} is not a user of {self.path} (see: python -m qa users list)")
        return users[name]

    def _hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD:
            raise AccessError(f"the password is too short: use at least {MIN_PASSWORD} characters")
        return self._hasher.hash(password)

    @contextlib.contextmanager
    def _changing(self) -> Iterator[dict[str, User]]:
        """The users, to change; written back atomically when the block ends without an error. A lock file
        beside it keeps two commands from losing each other's change."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            users = dict(self._read()) if self.exists() else {}
            yield users
            body = {"format": FORMAT, "users": {n: {k: v for k, v in asdict(u).items() if k != "name"}
                                                for n, u in sorted(users.items())}}  # fmt: skip
            write_atomic(self.path, json.dumps(body, indent=1) + "\n", mode=0o600)
        self._seen = None

    def _read(self) -> dict[str, User]:
        try:
            body = json.loads(self.path.read_text(encoding="utf-8"))
            if body.get("format") != FORMAT:
                raise ValueError(f"format {body.get('format')!r}, not {FORMAT}")
            return {
                name: User(name=name, role=role_of(u["role"]), collections=tuple(u["collections"]),
                           password=u["password"], tokens=tuple(u.get("tokens", ())), changed=float(u["changed"]))
                for name, u in body["users"].items()
            }  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError, AttributeError, AccessError) as exc:
            raise AccessError(f"the users file {self.path} cannot be read ({exc}): fix it or add users again") from None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _hasher() -> PasswordHasher:
    try:
        from argon2 import PasswordHasher
    except ImportError:  # pragma: no cover - a requirement; named in case of a partial install
        raise AccessError("sign-in needs argon2-cffi: pip install argon2-cffi") from None
    return PasswordHasher()


def owner_only(path: Path) -> bool:
    """Whether only the file's owner may read it (0600 or stricter)."""
    return not os.stat(path).st_mode & 0o077
