"""Switch off every outside request the libraries would make. Imported first by ``qa``."""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "NO_PROXY": "127.0.0.1,localhost",
}


def go_offline() -> None:
    """Set the switches (before sentence-transformers, transformers or gradio are imported)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    # Loopback must never go through a proxy, even when NO_PROXY was set to something else.
    for key in ("NO_PROXY", "no_proxy"):
        present = os.environ.get(key, "")
        if "127.0.0.1" not in present:
            os.environ[key] = ",".join(p for p in (present, "127.0.0.1,localhost") if p)
