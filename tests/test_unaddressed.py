"""A question on the documents' topic that they do not answer: the word it turns on, which nothing found speaks of
(qa.unaddressed), on real manuals and on both stores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qa.engine import Engine
from qa.lexical import drop_term, word_terms
from qa.render import answer_to_dict, answer_to_text
from qa.render_html import answer_html, escape_text
from qa.unaddressed import MIN_PASSAGES, unaddressed
from tests.conftest import SHARED

MANUALS = [SHARED / "eval" / "realpdf_dev" / "docs" / name for name in ("asmeconf.pdf", "tugboat-guide.pdf")]


@pytest.mark.parametrize(
    ("text", "term", "shorter"),
    [
        ("What is the page limit for a paper?", "limit", "What is the page for a paper?"),
        ("Limits, limited and limit: all one term", "limit", ", and : all one term"),
        ("Does cellspace’s option work?", "cellspac", "Does option work?"),
        ("What is the page limit?", "deadlin", "What is the page limit?"),
        ("How  do I\nwrap lines?", "wrap", "How do I lines?"),
    ],
)
def test_a_term_is_dropped_with_every_word_that_gives_it(text: str, term: str, shorter: str) -> None:
    assert drop_term(text, term) == shorter


def test_the_words_of_a_question_with_their_terms() -> None:
    assert word_terms("Which dblatex release added EPUB output?") == [
        ("dblatex", "dblatex"), ("release", "releas"), ("added", "add"), ("EPUB", "epub"), ("output", "output")
    ]  # fmt: skip
    assert word_terms("What is it?") == []  # stop words give none


@pytest.fixture
def manuals(make_any_engine: Callable[..., Engine]) -> Engine:
    if not all(path.is_file() for path in MANUALS):
        pytest.skip("../shared/eval/realpdf_dev is not beside the project")
    engine = make_any_engine()
    engine.add([str(path) for path in MANUALS])
    return engine


def test_a_question_the_manuals_leave_open_names_the_word_they_never_use(manuals: Engine) -> None:
    # both find the right manual's passages on the topic (support over 0.9: "answered" by that alone)
    for question, word, manual in (
        ("What is the page limit for a paper submitted to an ASME conference?", "limit", "asmeconf.pdf"),
        ("What is the submission deadline for articles in the next TUGboat issue?", "deadline", "tugboat-guide.pdf"),
    ):
        answer = manuals.ask(question)
        assert answer.support >= answer.threshold and not answer.answered and answer.missing == word, question
        said = f"The documents do not seem to answer this question: {manual} never mentions \u201c{word}\u201d."
        assert said in answer_to_text(answer)
        assert escape_text(said) in answer_html(answer) and "strong match" not in answer_html(answer)
        assert answer_to_dict(answer)["missing"] == word and answer_to_dict(answer)["answered"] is False


def test_questions_the_manuals_answer_in_other_words_stay_answered(manuals: Engine) -> None:
    for question in (
        # the manual says "minimum font size", never "smallest" nor "allowed"
        "What is the smallest font size allowed for text inside figures in an ASME conference paper?",
        "Should table captions in asmeconf go above or below the table?",
        "How can an author get a tug.org/l/ short URL for a TUGboat article?",
    ):
        answer = manuals.ask(question)
        assert answer.answered and answer.missing is None, question
        assert "strong match" in answer_html(answer) or "good match" in answer_html(answer)


def test_a_word_missing_from_a_short_document_says_nothing(tmp_path: Path, make_engine: Callable[..., Engine]) -> None:
    # an abstract paraphrases: the rule looks only at documents of MIN_PASSAGES passages or more
    (tmp_path / "note.txt").write_text(
        "Papers for the ASME conference are written with the asmeconf class.\n\n"
        "Each paper has an abstract of one paragraph and a list of keywords.\n",
        encoding="utf-8",
    )
    engine = make_engine()
    engine.add([str(tmp_path / "note.txt")])
    question = "What is the page limit for a paper submitted to an ASME conference?"
    answer = engine.ask(question)
    assert engine.snapshot.contents[0].passages < MIN_PASSAGES
    assert unaddressed(engine.snapshot, engine.embedder.embed_queries, question, question, answer.hits) is None
    assert answer.missing is None
