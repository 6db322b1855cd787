"""Settings, read and checked in one place: explicit values (flags), else ``VERBATIM_*`` variables, else defaults.

No other module reads the environment for a setting. A value that cannot be used is a ``SettingsError`` naming
the variable and what it accepts; the command line and the app print it as one line and exit non-zero.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal, TypeVar, cast, get_args

from qa.errors import VerbatimError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = (PROJECT_ROOT / "app.py").is_file()  # run from the project's folder, not installed as a package
DEFAULT_INDEX_DIR = PROJECT_ROOT / "index" if CHECKOUT else Path("index")  # installed: index/ where it runs
SAMPLE_DOCUMENT = PROJECT_ROOT / "samples" / "article.txt"  # the checkout's sample (not in the wheel)
CACHE_DIR = Path.home() / ".cache" / "verbatim"

Mode = Literal["hybrid", "dense", "lexical"]
Backend = Literal["onnx-int8", "onnx", "torch"]
Strategy = Literal["structure", "fixed"]
MODES: tuple[Mode, ...] = get_args(Mode)
BACKENDS: tuple[Backend, ...] = get_args(Backend)
T = TypeVar("T")


def default_backend(model: str) -> Backend:
    """int8 for the bundled MiniLM (hit@1 within a point of fp32 at twice the speed); fp32 for other models:
    int8 cost all-mpnet-base-v2 9 points of hit@1 on tatqa_dev (0.651 against 0.743, docs/EVALUATION.md)."""
    return "onnx-int8" if model == "minilm" else "onnx"


class SettingsError(VerbatimError):
    """A setting has a value that cannot be used."""


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into passages. Saved in ``config.json``: a change re-chunks all."""

    max_tokens: int = 200
    max_chars: int = 800
    min_chars: int = 200
    strategy: Strategy = "structure"  # or "fixed": the common recipe, fixed windows of max_chars (a baseline)

    def as_dict(self) -> dict[str, int | str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Settings:
    """Everything a run can choose. ``Settings.from_env()`` reads and checks the ``VERBATIM_*`` variables."""

    index_dir: Path = DEFAULT_INDEX_DIR
    store: str | None = None  # a postgresql:// URL: the index in PostgreSQL (local files stay in index_dir)
    model: str = "minilm"
    backend: Backend | None = None  # None: the model's own default (``default_backend``)
    mode: Mode = "hybrid"
    k: int = 3
    batch_size: int = 16
    threshold: float | None = None  # the support (0 to 1) at which a question counts as answered; None: calibrated
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    lock_timeout: float = 0.0
    max_file_mb: float = 100.0  # the largest file indexed
    max_upload_mb: float = 25.0  # the largest file the app accepts
    cache_dir: Path = CACHE_DIR  # ONNX exports of the model
    mpnet_dir: Path = CACHE_DIR / "all-mpnet-base-v2"
    host: str = "127.0.0.1"
    port: int = 7860
    user: str = "verbatim"
    password: str | None = None  # one admin, without a users file (the users file is the way for a team)
    users: Path | None = None  # the users file; None: ``users.json`` in the index folder (``users_file``)
    no_auth: bool = False  # serve beyond loopback without sign-in, on purpose
    session_hours: float = 12.0  # a sign-in on the page lasts this long
    ray: str | None = None  # index on a Ray cluster: "auto" (RAY_ADDRESS, else a local one) or an address
    ray_workers: int | None = None  # Ray workers (one core each); None: every CPU of the cluster

    @property
    def users_file(self) -> Path:
        """Where the users are: ``--users``/``VERBATIM_USERS``, else ``users.json`` beside the index."""
        return self.users or self.index_dir / "users.json"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then environment variables, then the non-None ``overrides`` (e.g. CLI flags), all checked."""
        given = {key: value for key, value in overrides.items() if value is not None}
        env = _Reader(given)
        chunk = ChunkSettings()
        chunking = ChunkSettings(
            max_tokens=env.number("MAX_TOKENS", "max_tokens", int, chunk.max_tokens, 8, 100_000),
            max_chars=env.number("MAX_CHARS", "max_chars", int, chunk.max_chars, 50, 1_000_000),
            min_chars=env.number("MIN_CHARS", "min_chars", int, chunk.min_chars, 0, 1_000_000),
        )
        settings = cls(
            index_dir=Path(env.text("INDEX_DIR", "index_dir", str(DEFAULT_INDEX_DIR))).expanduser(),
            store=env.text("STORE", "store", "") or None,
            model=env.text("MODEL", "model", "minilm"),
            backend=env.choice("BACKEND", "backend", BACKENDS, cast(Backend | None, None)),
            mode=env.choice("MODE", "mode", MODES, "hybrid") or "hybrid",
            k=env.number("K", "k", int, 3, 1, 100),
            batch_size=env.number("BATCH_SIZE", "batch_size", int, 16, 1, 4096),
            threshold=env.optional_number("THRESHOLD", "threshold", 0.0, 1.0),
            chunking=cast(ChunkSettings, given.get("chunking", chunking)),
            lock_timeout=env.number("LOCK_TIMEOUT", "lock_timeout", float, 0.0, 0.0, 86_400.0),
            max_file_mb=env.number("MAX_FILE_MB", "max_file_mb", float, 100.0, 0.001, 100_000.0),
            max_upload_mb=env.number("MAX_UPLOAD_MB", "max_upload_mb", float, 25.0, 0.001, 100_000.0),
            cache_dir=Path(env.text("CACHE_DIR", "cache_dir", str(CACHE_DIR))).expanduser(),
            mpnet_dir=Path(env.text("MPNET_DIR", "mpnet_dir", str(CACHE_DIR / "all-mpnet-base-v2"))).expanduser(),
            host=env.text("HOST", "host", "127.0.0.1"),
            port=env.number("PORT", "port", int, 7860, 1, 65_535),
            user=env.text("USER", "user", "verbatim"),
            password=env.text("PASSWORD", "password", "") or None,
            users=Path(env.text("USERS", "users", "")).expanduser() if env.text("USERS", "users", "") else None,
            no_auth=env.flag("NO_AUTH", "no_auth"),
            session_hours=env.number("SESSION_HOURS", "session_hours", float, 12.0, 0.01, 8_760.0),
            ray=env.text("RAY", "ray", "") or None,
            ray_workers=env.optional_int("RAY_WORKERS", "ray_workers", 1, 100_000),
        )
        if settings.chunking.min_chars > settings.chunking.max_chars:
            raise SettingsError(
                f"VERBATIM_MIN_CHARS={settings.chunking.min_chars} is larger than VERBATIM_MAX_CHARS="
                f"{settings.chunking.max_chars}: the shortest passage cannot be longer than the longest"
            )
        return settings


class _Reader:
    """Reads one setting: the override if given (already typed by the caller), else ``VERBATIM_NAME``, else the
    default; a bad value raises ``SettingsError`` naming the variable and what it accepts."""

    def __init__(self, given: dict[str, object]) -> None:
        self.given = given

    def _raw(self, name: str, key: str) -> tuple[object | None, str]:
        if key in self.given:
            return self.given[key], f"--{key.replace('_', '-')}"
        value = os.environ.get(f"VERBATIM_{name}")
        return (value if value not in (None, "") else None), f"VERBATIM_{name}"

    def text(self, name: str, key: str, default: str) -> str:
        value, _ = self._raw(name, key)
        return default if value is None else str(value)

    def choice(self, name: str, key: str, choices: tuple[T, ...], default: T | None) -> T | None:
        value, source = self._raw(name, key)
        if value is None:
            return default
        if value not in choices:
            raise SettingsError(f"{source}={value} is not valid: choose one of {', '.join(map(str, choices))}")
        return cast(T, value)

    def number(self, name: str, key: str, kind: Callable[[str], T], default: T, low: float, high: float) -> T:
        value, source = self._raw(name, key)
        if value is None:
            return default
        what = "a whole number" if kind is int else "a number"
        try:
            number = kind(str(value).strip())
        except ValueError:
            raise SettingsError(f"{source}={value} is not valid: expected {what} from {low:g} to {high:g}") from None
        if not low <= number <= high:  # type: ignore[operator]
            raise SettingsError(f"{source}={value} is out of range: expected {what} from {low:g} to {high:g}")
        return number

    def flag(self, name: str, key: str) -> bool:
        value, source = self._raw(name, key)
        if value is None or isinstance(value, bool):
            return bool(value)
        if str(value).lower() not in ("1", "true", "yes", "0", "false", "no"):
            raise SettingsError(f"{source}={value} is not valid: expected 1 or 0 (true or false)")
        return str(value).lower() in ("1", "true", "yes")

    def optional_int(self, name: str, key: str, low: int, high: int) -> int | None:
        value, _ = self._raw(name, key)
        return None if value is None else self.number(name, key, int, 0, low, high)

    def optional_number(self, name: str, key: str, low: float, high: float) -> float | None:
        value, _ = self._raw(name, key)
        return None if value is None else self.number(name, key, float, 0.0, low, high)
