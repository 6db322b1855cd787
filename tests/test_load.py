"""A small version of the load test (the full one is `benchmarks/load_test.py`, see docs/RELIABILITY.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.load_test import run_load

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("via", ["gradio", "api"])
def test_concurrent_users_while_a_document_is_uploaded(tmp_path: Path, via: str) -> None:
    result = run_load(clients=6, questions=5, workdir=tmp_path, via=via)
    assert result["failures"] == []
    assert result["answered"] == 30 and result["passages_checked"] == 90
    assert "1 added" in result["upload_status"] and result["uploaded_found"]
