"""Settings: explicit values, else environment variables (``VERBATIM_*``), else defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX_DIR = PROJECT_ROOT / "index"
SAMPLE_DOCUMENT = PROJECT_ROOT / "samples" / "article.txt"
MODES = ("hybrid", "dense", "lexical")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"VERBATIM_{name}", default)


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into passages. Saved in ``config.json``: a change re-chunks all."""

    max_tokens: int = 200
    max_chars: int = 800
    min_chars: int = 200
    strategy: str = "structure"  # or "fixed": the common recipe, fixed windows of max_chars (a baseline)

    def as_dict(self) -> dict[str, int | str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Settings:
    """Everything a run can choose. ``Settings.from_env()`` reads ``VERBATIM_*`` variables."""

    index_dir: Path = DEFAULT_INDEX_DIR
    model: str = "minilm"
    backend: str = "onnx-int8"
    mode: str = "hybrid"
    k: int = 3
    batch_size: int = 16
    threshold: float | None = None
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    lock_timeout: float = 0.0

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then environment variables, then the non-None ``overrides`` (e.g. CLI flags)."""
        threshold = _env("THRESHOLD", "")
        chunk_defaults = ChunkSettings()
        chunking = ChunkSettings(
            max_tokens=int(_env("MAX_TOKENS", str(chunk_defaults.max_tokens))),
            max_chars=int(_env("MAX_CHARS", str(chunk_defaults.max_chars))),
            min_chars=int(_env("MIN_CHARS", str(chunk_defaults.min_chars))),
        )
        settings = cls(
            index_dir=Path(_env("INDEX_DIR", str(DEFAULT_INDEX_DIR))),
            model=_env("MODEL", "minilm"),
            backend=_env("BACKEND", "onnx-int8"),
            mode=_env("MODE", "hybrid"),
            k=int(_env("K", "3")),
            batch_size=int(_env("BATCH_SIZE", "16")),
            threshold=float(threshold) if threshold else None,
            chunking=chunking,
            lock_timeout=float(_env("LOCK_TIMEOUT", "0")),
        )
        given = {key: value for key, value in overrides.items() if value is not None}
        if "index_dir" in given:
            given["index_dir"] = Path(str(given["index_dir"]))
        return replace(settings, **given)  # type: ignore[arg-type]
