"""``qa eval`` on the project's own evaluation set: the figures the core issue promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from qa.calibrate import OFFTOPIC
from qa.metrics import Gold, Question, answer_key, is_hit
from tests.conftest import EVAL_ARTICLE, ROOT


def test_is_hit_contains_and_overlaps() -> None:
    contains = Question("1", "q", "contains", (Gold("/d/a.txt", 10, 20),))
    assert is_hit(contains, "/d/a.txt", 5, 20) and not is_hit(contains, "/d/a.txt", 11, 30)
    assert not is_hit(contains, "/d/b.txt", 0, 100)
    overlaps = Question("2", "q", "overlaps", (Gold("/d/a.txt", 10, 20),))
    assert is_hit(overlaps, "/d/a.txt", 19, 40) and not is_hit(overlaps, "/d/a.txt", 20, 40)


def test_is_hit_text_ignores_case_ligatures_spaces_and_hyphens() -> None:
    gold = Gold("/d/a.pdf", text=answer_key("the of\ufb01cial cost-plus\u00ad contract"))
    question = Question("3", "q", "text", (gold,))
    assert is_hit(question, "/d/a.pdf", 0, 0, "We saw The OFFICIAL costplus\ncontract, it said.")
    assert not is_hit(question, "/d/a.pdf", 0, 0, "the official cost contract")
    assert not is_hit(question, "/d/b.pdf", 0, 0, "the official cost-plus contract")


@pytest.mark.skipif(not EVAL_ARTICLE.is_dir(), reason="../shared/eval is not beside the project")
def test_eval_article_meets_the_targets() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "qa", "eval", str(EVAL_ARTICLE), "--json", "--offtopic", str(OFFTOPIC)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)["results"][0]
    assert row["verbatim_rate"] == 1.0
    assert row["hit@1"] >= 0.9 and row["hit@3"] == 1.0
    assert row["median_passage_chars"] < 700
    assert row["unanswerable"] == 3 + 114  # the article's own and the off-topic questions
    assert row["abstention"] >= 0.9 and row["answered_rate"] >= 0.95
    assert row["highlight@1"] >= 0.8
