"""Settings are read and checked in one place: a bad value is one line naming the variable, and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.config import Settings, SettingsError
from tests.conftest import ROOT

BAD = [
    ("VERBATIM_K", "x", "whole number"),
    ("VERBATIM_THRESHOLD", "high", "number"),
    ("VERBATIM_PORT", "abc", "whole number"),
    ("VERBATIM_PORT", "99999", "out of range"),
    ("VERBATIM_MAX_UPLOAD_MB", "lots", "number"),
    ("VERBATIM_MODE", "foo", "hybrid, dense, lexical"),
    ("VERBATIM_BACKEND", "gpu", "onnx-int8, onnx, torch"),
    ("VERBATIM_MAX_CHARS", "-5", "out of range"),
]


@pytest.mark.parametrize(("name", "value", "accepts"), BAD)
def test_bad_setting_is_refused_with_its_name(name: str, value: str, accepts: str, monkeypatch) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"{name}={value}.*{accepts}"):
        Settings.from_env()


def test_good_settings_are_typed_and_flags_win(monkeypatch) -> None:
    monkeypatch.setenv("VERBATIM_K", "5")
    monkeypatch.setenv("VERBATIM_THRESHOLD", "0.6")
    monkeypatch.setenv("VERBATIM_PORT", "8000")
    monkeypatch.setenv("VERBATIM_MODE", "dense")
    settings = Settings.from_env(port="9000")
    assert (settings.k, settings.threshold, settings.port, settings.mode) == (5, 0.6, 9000, "dense")
    with pytest.raises(SettingsError, match="--port=0"):
        Settings.from_env(port=0)


def test_min_chars_above_max_chars_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("VERBATIM_MIN_CHARS", "900")
    with pytest.raises(SettingsError, match="VERBATIM_MIN_CHARS=900 is larger than VERBATIM_MAX_CHARS=800"):
        Settings.from_env()


def run(command: list[str], name: str, value: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, name: value, "VERBATIM_INDEX_DIR": str(tmp_path / "index"), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("name", "value", "accepts"), BAD)
def test_command_line_says_one_line_and_fails(name: str, value: str, accepts: str, tmp_path: Path) -> None:
    done = run([sys.executable, "-m", "qa", "ask", "Who wrote the audit?"], name, value, tmp_path)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and f"{name}={value}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("name", "value"), [("VERBATIM_PORT", "abc"), ("VERBATIM_K", "x")])
def test_app_says_one_line_and_fails(name: str, value: str, tmp_path: Path) -> None:
    done = run([sys.executable, "app.py"], name, value, tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"{name}={value}" in lines[0]
