"""``python -m qa eval SET_DIR``: hit@k, MRR@10, abstention and passage length on an evaluation set.

The set format is ../shared/eval/README.md: ``docs/`` and ``questions.jsonl`` with gold character spans.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.config import MODES, ChunkSettings
from qa.errors import VerbatimError

KS = (1, 3, 5, 10)
# The common recipe, measured the same way as a reference: fixed 500-character chunks, dense search only.
BASELINE = "baseline-500"
BASELINE_CHUNKING = ChunkSettings(max_chars=500, strategy="fixed")


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


@dataclass
class Result:
    """Measures for one mode on one set."""

    mode: str
    questions: int = 0
    answerable: int = 0
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
            "questions": self.questions,
            "answerable": self.answerable,
            **{f"hit@{k}": round(self.hits[k] / n, 4) for k in KS},
            "mrr@10": round(self.reciprocal_ranks / n, 4),
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
                questions.append(Question(str(item["id"]), item["question"], item["match"], gold))
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


def evaluate(engine: Any, questions: list[Question], mode: str) -> Result:
    """Ask every question (top 10) and score the passages against the gold spans."""
    result = Result(mode=mode)
    originals: dict[str, str] = {}
    for question in questions:
        started = time.perf_counter()
        answer = engine.ask(question.question, k=max(KS), mode=mode)
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
    return result


def _original_text(engine: Any, path: str) -> str:
    """What a passage must be a slice of: a plain-text file as read with UTF-8 (the sets' coordinates);
    for formats whose text is extracted (PDF, HTML, DOCX, images), the extracted text the index keeps."""
    from qa.loaders import kind_of

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


def passage_lengths(engine: Any) -> PassageLengths:
    table = engine.snapshot.passages
    lengths = (table.end - table.start).tolist()
    if not lengths:
        return PassageLengths(0, 0.0, 0.0)
    short = sum(n < SHORT_PASSAGE for n in lengths) / len(lengths)
    return PassageLengths(len(lengths), float(statistics.median(lengths)), round(short, 4))


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("set_dir", metavar="SET_DIR", help="an evaluation set: docs/ and questions.jsonl")
    parser.add_argument(
        "--modes", default=None, help=f"comma-separated modes to compare ({', '.join(MODES)}, {BASELINE})"
    )
    parser.add_argument("--compare", action="store_true", help=f"all modes and the {BASELINE} reference, in one run")
    parser.add_argument("--json", action="store_true", help="print the measures as JSON")
    parser.add_argument("--limit", type=int, help="only the first N questions")


def run_eval_command(args: argparse.Namespace) -> int:
    from qa.cli import progress_bar, settings_from
    from qa.engine import Engine

    set_dir = Path(args.set_dir)
    questions = load_questions(set_dir)[: args.limit]
    modes = [*MODES, BASELINE] if args.compare else (args.modes or settings_from(args).mode).split(",")
    for mode in modes:
        if mode not in (*MODES, BASELINE):
            raise VerbatimError(f"unknown mode {mode!r} (choose from {', '.join(MODES)}, {BASELINE})")
    rows = []
    engines: dict[Path, Engine] = {}  # the modes share one index (and one loaded model)
    with tempfile.TemporaryDirectory(prefix="verbatim-eval-") as tmp:
        main_dir = Path(args.index_dir or Path(tmp) / "index")
        for mode in modes:
            baseline = mode == BASELINE
            index_dir = main_dir.with_name(main_dir.name + "-" + BASELINE) if baseline else main_dir
            extra = {"chunking": BASELINE_CHUNKING, "backend": "torch"} if baseline else {}
            if index_dir not in engines:
                engines[index_dir] = Engine(settings_from(args, index_dir=index_dir, **extra))
            engine = engines[index_dir]
            if not engine.has_index():
                report = engine.add([set_dir / "docs"], progress=progress_bar())
                print(report.summary(), file=sys.stderr)
            result = evaluate(engine, questions, "dense" if baseline else mode)
            result.mode = mode
            rows.append(result.as_dict(passage_lengths(engine)))
    output = {"set": str(set_dir), "model": engine.embedder.name, "results": rows}
    print(json.dumps(output, indent=1) if args.json else format_table(output))
    return 0


def format_table(output: dict[str, Any]) -> str:
    columns = ["mode", "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "abstention", "answered_rate",
               "verbatim_rate", "median_passage_chars", "short_passages", "ms_per_question"]  # fmt: skip
    header = f"{output['set']} ({output['results'][0]['questions']} questions, model {output['model']})"
    lines = [header, "  ".join(f"{c:>10}" for c in columns)]
    for row in output["results"]:
        cells = [
            "-" if row[c] is None else f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns
        ]
        lines.append("  ".join(f"{c:>10}" for c in cells))
    return "\n".join(lines)
