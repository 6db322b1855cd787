"""Connections to the PostgreSQL store: a URL checked, its password masked in every message, and each failure
(no driver, not a URL, unreachable, refused, no database, no vector extension) as one line that says what to do."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from qa.errors import StoreError

CONNECT_TIMEOUT = 5  # seconds: an unreachable server is reported, not waited for
_FORM = "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
INSTALL_HINT = "the PostgreSQL store needs psycopg and pgvector: pip install 'verbatim[postgres]'"


def masked(url: str) -> str:
    """``url`` with its password (in the authority or a ``password=`` parameter) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the URL given"
    netloc = parts.netloc
    if "@" in netloc:
        credentials, host = netloc.rsplit("@", 1)
        if ":" in credentials:
            credentials = credentials.split(":", 1)[0] + ":***"
        netloc = f"{credentials}@{host}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def check_url(url: str) -> None:
    """A StoreError unless ``url`` is a PostgreSQL URL with a database."""
    shown = masked(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError as exc:
        raise StoreError(f"{shown} is not a PostgreSQL URL ({exc}): give {_FORM}") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise StoreError(f"{shown} is not a PostgreSQL URL: give {_FORM}")
    if not parts.path.strip("/"):
        raise StoreError(f"{shown} names no database: add it at the end (postgresql://USER@HOST:PORT/DATABASE)")


def connect(url: str) -> Any:
    """An autocommit connection with pgvector's types registered, or a StoreError that says why not."""
    check_url(url)
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError:
        raise StoreError(INSTALL_HINT) from None
    shown = masked(url)
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.OperationalError as exc:
        raise StoreError(_explain(str(exc), shown, url)) from None
    except psycopg.ProgrammingError as exc:  # a malformed connection string
        raise StoreError(f"{shown} is not a usable PostgreSQL URL ({first_line(str(exc), url)})") from None
    try:
        _ensure_vector(conn, shown)
        register_vector(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _ensure_vector(conn: Any, shown: str) -> None:
    import psycopg

    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
        return
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.Error as exc:
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
            return  # another process created it at the same moment
        reason = first_line(str(exc), "")
        raise StoreError(
            f"the database {shown} has no vector extension and it could not be added ({reason}): "
            "run CREATE EXTENSION vector as a superuser (pgvector must be installed on the server)"
        ) from None


def _explain(message: str, shown: str, url: str) -> str:
    low = message.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        return f"PostgreSQL refused the user name or password in {shown}: check them"
    if "does not exist" in low and "database" in low:
        name = urlsplit(url).path.strip("/")
        return f"the database {name!r} does not exist on the server of {shown}: create it (createdb {name})"
    if any(s in low for s in ("connection refused", "could not connect", "timeout", "no such file", "name or service")):
        return f"cannot reach a PostgreSQL server at {shown}: is it running, and are the host and port right?"
    return f"cannot connect to {shown}: {first_line(message, url)}"


def first_line(message: str, url: str) -> str:
    """The first line of a driver's message, with anything that could be the password taken out."""
    line = message.strip().splitlines()[0] if message.strip() else "no reason given"
    password = urlsplit(url).password if url else None
    return line.replace(password, "***") if password else line
