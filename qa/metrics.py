"""The measures of ../shared/eval/README.md: loading a set, hits, highlight@1, abstention, passage length.

A library for ``qa eval``, ``qa calibrate`` and the benchmarks; it asks an ``Engine`` and scores what comes back.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import VerbatimError
from qa.readers.loaders import kind_of

if TYPE_CHECKING:
    from qa.engine import Engine

KS = (1, 3, 5, 10)


@dataclass(frozen=True)
class Gold:
    """Where an answer stands: a span of a plain-text source, or (match ``text``) the answer's own words."""

    source: str  # absolute path
    start: int = 0
    end: int = 0
    text: str = ""  # normalised by ``answer_key``


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    match: str
    gold: tuple[Gold, ...]
    kind: str = ""  # follow-up sets: followup, bare, standalone or switch
    history: tuple[str, ...] = ()  # the earlier questions of the chat, oldest first


@dataclass
class Result:
    """Measures for one mode on one set."""

    mode: str
    kind: str = ""
    questions: int = 0
    answerable: int = 0
    highlights: int = 0  # answerable questions whose top passage's highlight holds the answer
    hits: dict[int, int] = field(default_factory=lambda: {k: 0 for k in KS})
    reciprocal_ranks: float = 0.0
    unanswerable: int = 0
    abstained: int = 0
    answered_when_answerable: int = 0
    passages_returned: int = 0
    verbatim: int = 0
    seconds: list[float] = field(default_factory=list)

    def as_dict(self, lengths: PassageLengths) -> dict[str, Any]:
        n = max(self.answerable, 1)
        return {
            "mode": self.mode,
            **({"kind": self.kind} if self.kind else {}),
            "questions": self.questions,
            "answerable": self.answerable,
            **{f"hit@{k}": round(self.hits[k] / n, 4) for k in KS},
            "mrr@10": round(self.reciprocal_ranks / n, 4),
            "highlight@1": round(self.highlights / n, 4),
            "unanswerable": self.unanswerable,
            "abstention": round(self.abstained / self.unanswerable, 4) if self.unanswerable else None,
            "answered_rate": round(self.answered_when_answerable / n, 4),
            "verbatim_rate": round(self.verbatim / max(self.passages_returned, 1), 4),
            "median_passage_chars": lengths.median,
            "short_passages": lengths.short_share,
            "passages": lengths.count,
            "ms_per_question": round(1000 * statistics.median(self.seconds), 2) if self.seconds else None,
        }


def load_questions(set_dir: Path) -> list[Question]:
    path = set_dir / "questions.jsonl"
    if not path.is_file():
        raise VerbatimError(f"{set_dir} is not an evaluation set (no questions.jsonl)")
    questions = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                item = json.loads(line)
                gold = tuple(
                    Gold(os.path.abspath(set_dir / g["source"]), g.get("start", 0), g.get("end", 0),
                         answer_key(g.get("text", "")))
                    for g in item["gold"]
                )  # fmt: skip
                questions.append(
                    Question(str(item["id"]), item["question"], item["match"], gold, item.get("kind", ""),
                             tuple(item.get("history", ())))
                )  # fmt: skip
    return questions


_IGNORED = re.compile(r"[\s\-\u00ad\u2010\u2011]+")


def answer_key(text: str) -> str:
    """Text as the ``text`` match compares it: NFKC, lower case, no whitespace, hyphens or soft hyphens."""
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text).lower())


def is_hit(question: Question, source: str, start: int, end: int, text: str = "") -> bool:
    """Whether a returned passage is a hit for the question (README's ``contains``/``overlaps``/``text``)."""
    for gold in question.gold:
        if os.path.abspath(source) != gold.source:
            continue
        if question.match == "contains" and start <= gold.start and gold.end <= end:
            return True
        if question.match == "overlaps" and start < gold.end and gold.start < end:
            return True
        if question.match == "text" and gold.text and gold.text in answer_key(text):
            return True
    return False


def holds_answer(question: Question, source: str, start: int, end: int, source_text: str) -> bool:
    """Whether ``source_text[start:end]`` (a highlight) holds a gold answer: its span, or its text."""
    if question.match == "text":
        return is_hit(question, source, start, end, source_text[start:end])
    return any(
        os.path.abspath(source) == g.source and start <= g.start and g.end <= end for g in question.gold
    )


def evaluate(engine: Engine, questions: list[Question], mode: str, kind: str = "") -> Result:
    """Ask every question (top 10) and score the passages against the gold spans."""
    result = Result(mode=mode, kind=kind)
    originals: dict[str, str] = {}
    for question in questions:
        started = time.perf_counter()
        answer = engine.ask(question.question, k=max(KS), mode=mode, history=question.history)
        result.seconds.append(time.perf_counter() - started)
        result.questions += 1
        for hit in answer.hits:
            p = hit.passage
            if p.source not in originals:
                originals[p.source] = _original_text(engine, p.source)
            result.passages_returned += 1
            result.verbatim += originals[p.source][p.start : p.end] == p.text
        if not question.gold:
            result.unanswerable += 1
            result.abstained += not answer.answered
            continue
        result.answerable += 1
        result.answered_when_answerable += answer.answered
        ranks = [h.rank for h in answer.hits if is_hit(question, h.passage.source, h.passage.start, h.passage.end,
                                                        h.passage.text)]  # fmt: skip
        if ranks:
            result.reciprocal_ranks += 1 / ranks[0]
            for k in KS:
                result.hits[k] += ranks[0] <= k
        top = answer.hits[0] if answer.hits else None
        if top is not None and top.highlight is not None:
            span = top.highlight
            source = originals[top.passage.source]
            result.highlights += holds_answer(question, top.passage.source, span.start, span.end, source)
    return result


def _original_text(engine: Engine, path: str) -> str:
    """What a passage must be a slice of: a plain-text file as read with UTF-8 (the sets' coordinates);
    for formats whose text is extracted (PDF, HTML, DOCX, images), the extracted text the index keeps."""
    if kind_of(path) not in ("text", "markdown"):
        return engine.source_text(path)
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


SHORT_PASSAGE = 80  # characters: a passage shorter than this is a fragment more often than an answer


@dataclass(frozen=True)
class PassageLengths:
    count: int
    median: float
    short_share: float  # the share of passages under SHORT_PASSAGE characters


def passage_lengths(engine: Engine) -> PassageLengths:
    lengths = engine.snapshot.passage_lengths().tolist()
    if not lengths:
        return PassageLengths(0, 0.0, 0.0)
    short = sum(n < SHORT_PASSAGE for n in lengths) / len(lengths)
    return PassageLengths(len(lengths), float(statistics.median(lengths)), round(short, 4))


