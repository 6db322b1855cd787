"""The command line as other tools call it: a real subprocess, the JSON contract, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ARTICLE, ROOT

KEYS = {"rank", "source", "start", "end", "text", "score", "page", "last_page", "line", "heading", "highlight"}


def run(*args: str, index_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VERBATIM_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "qa", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("cli") / "index"
    result = run("index", str(ARTICLE), index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Indexed: 1 added") and "passages embedded" in result.stdout
    assert "passage/s" in result.stderr, "a progress bar with the rate is shown while embedding"
    return index_dir


def test_ask_json_contract(indexed: Path, tmp_path: Path) -> None:
    questions = tmp_path / "questions.txt"
    questions.write_text(
        "Who wrote the audit on grooming gangs?\n\n"
        "What role did weak taxi licensing play?\nWhat is the speed of light?\n"
    )
    result = run("ask", "--questions", str(questions), "--json", "-k", "4", index_dir=indexed)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().split("\n")
    assert len(lines) == 3
    source_text = ARTICLE.read_text(encoding="utf-8")
    for line in lines:
        answer = json.loads(line)
        assert set(answer) == {"question", "answered", "missing", "searched", "preferred", "preferred_by", "passages"}
        assert isinstance(answer["answered"], bool)
        assert [p["rank"] for p in answer["passages"]] == [1, 2, 3, 4]
        for p in answer["passages"]:
            assert set(p) == KEYS
            assert p["source"] == str(ARTICLE)
            assert source_text[p["start"] : p["end"]] == p["text"]
            assert isinstance(p["score"], float) and isinstance(p["line"], int) and p["page"] is p["last_page"] is None
            if p["highlight"] is not None:
                start, end = p["highlight"]
                assert p["start"] <= start < end <= p["end"]
    first = json.loads(lines[0])
    assert first["answered"] and "Baroness Casey" in first["passages"][0]["text"] + first["passages"][1]["text"]


def test_ask_text_listing(indexed: Path) -> None:
    result = run("ask", "Were residential care homes targeted?", index_dir=indexed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Q: Were residential care homes targeted?")
    assert "[1] article.txt, line " in result.stdout and "[3]" in result.stdout
    assert "Residential care homes had effectively become targets for abusers." in result.stdout


def test_reindexing_unchanged_embeds_nothing(indexed: Path) -> None:
    result = run("index", str(ARTICLE), index_dir=indexed)
    assert result.returncode == 0 and "0 added, 0 updated, 1 unchanged" in result.stdout
    assert "0 passages embedded" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", "anything"), "no index in"),
        (("index", "/no/such/file.txt"), "no such file or folder"),
        (("ask",), "give a question"),
    ],
)
def test_user_mistakes_are_one_line_without_traceback(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, index_dir=tmp_path / "empty")
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith(("error", "skipped"))]) == 1


def test_empty_question_is_an_error(indexed: Path) -> None:
    result = run("ask", "   ", index_dir=indexed)
    assert (
        result.returncode == 1 and "error: the question is empty" in result.stderr and "Traceback" not in result.stderr
    )


def test_questions_file_takes_history_and_reports_the_search(indexed: Path, tmp_path: Path) -> None:
    questions = tmp_path / "chat.jsonl"
    questions.write_text(
        "Who wrote the audit on grooming gangs?\n"
        + json.dumps({"question": "What did she find about care homes?", "history": ["Who is Baroness Casey?"]})
        + "\n",
        encoding="utf-8",
    )
    done = run("ask", "--questions", str(questions), "--json", "-k", "2", index_dir=indexed)
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["searched"] == first["question"] == "Who wrote the audit on grooming gangs?"
    assert second["question"] == "What did she find about care homes?"
    assert second["searched"].startswith(second["question"])
    assert (first["preferred"], first["preferred_by"]) == ([], None)
    assert second["preferred_by"] == "conversation" and [os.path.basename(p) for p in second["preferred"]] == [
        "article.txt"
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"history": []}\n', encoding="utf-8")
    refused = run("ask", "--questions", str(bad), index_dir=indexed)
    assert refused.returncode != 0 and "line 1 of the questions" in refused.stderr and "Traceback" not in refused.stderr
