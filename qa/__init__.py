"""Verbatim: answers questions with the documents' own words, quoted exactly, with citations."""

from __future__ import annotations

from typing import Any

from qa.offline import go_offline

go_offline()

__all__ = ["Answer", "Engine", "Hit", "IndexReport", "Passage", "Settings", "Span", "VerbatimError"]
__version__ = "0.1.0"

_HOMES = {
    "Engine": "qa.engine",
    "Settings": "qa.config",
    "VerbatimError": "qa.errors",
    "Answer": "qa.types",
    "Hit": "qa.types",
    "IndexReport": "qa.types",
    "Passage": "qa.types",
    "Span": "qa.types",
}


def __getattr__(name: str) -> Any:
    """Import the public names on first use, so ``import qa`` stays light."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(name)
