"""``python -m qa eval SET_DIR``: the measures of ``qa.metrics`` on an evaluation set, as a table or JSON.

The set format is ../shared/eval/README.md: ``docs/`` and ``questions.jsonl``. A set whose questions have kinds
(follow-ups) is reported kind by kind.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.config import MODES, ChunkSettings
from qa.console import progress_bar, settings_from
from qa.errors import VerbatimError
from qa.metrics import Question, evaluate, load_questions, passage_lengths

if TYPE_CHECKING:
    from qa.engine import Engine

# The common recipe, measured the same way as a reference: fixed 500-character chunks, dense search only.
BASELINE = "baseline-500"
BASELINE_CHUNKING = ChunkSettings(max_chars=500, strategy="fixed")


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("set_dir", metavar="SET_DIR", help="an evaluation set: docs/ and questions.jsonl")
    parser.add_argument(
        "--modes", default=None, help=f"comma-separated modes to compare ({', '.join(MODES)}, {BASELINE})"
    )
    parser.add_argument("--compare", action="store_true", help=f"all modes and the {BASELINE} reference, in one run")
    parser.add_argument("--json", action="store_true", help="print the measures as JSON")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument(
        "--offtopic",
        metavar="FILE",
        help="also ask these questions (one a line) as unanswerable: abstention counts them",
    )


def run_eval_command(args: argparse.Namespace) -> int:
    from qa.engine import Engine

    set_dir = Path(args.set_dir)
    questions = load_questions(set_dir)[: args.limit]
    if args.offtopic:
        lines = Path(args.offtopic).read_text(encoding="utf-8").splitlines()
        kind = questions[0].kind if questions else ""
        questions += [
            Question(f"offtopic-{n}", q.strip(), "contains", (), kind) for n, q in enumerate(lines) if q.strip()
        ]
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
            extra = {"chunking": BASELINE_CHUNKING, "backend": "torch", "store": ""} if baseline else {}
            if index_dir not in engines:
                engines[index_dir] = Engine(settings_from(args, index_dir=index_dir, **extra))
            engine = engines[index_dir]
            if not engine.has_index():
                report = engine.add([set_dir / "docs"], progress=progress_bar())
                print(report.summary(), file=sys.stderr)
            only_the_set(engine, set_dir)
            kinds = list(dict.fromkeys(q.kind for q in questions))
            for kind in kinds:
                chosen = [q for q in questions if q.kind == kind]
                result = evaluate(engine, chosen, "dense" if baseline else mode, kind)
                result.mode = mode
                rows.append(result.as_dict(passage_lengths(engine)))
    output = {"set": str(set_dir), "model": engine.embedder.name, "results": rows}
    print(json.dumps(output, indent=1) if args.json else format_table(output))
    return 0


def only_the_set(engine: Engine, set_dir: Path) -> None:
    """A VerbatimError when the index holds documents from outside the set (a shared ``--store`` database)."""
    docs = os.path.abspath(set_dir / "docs") + os.sep
    others = [d.path for d in engine.documents() if not os.path.abspath(d.path).startswith(docs)]
    if others:
        raise VerbatimError(
            f"the index in {engine.store.name} holds documents from outside {set_dir} ({others[0]}, ...): "
            "measure each set on an index of its own (an empty --store database a set)"
        )


def format_table(output: dict[str, Any]) -> str:
    columns = ["mode", "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "highlight@1", "abstention", "answered_rate",
               "verbatim_rate", "median_passage_chars", "short_passages", "ms_per_question"]  # fmt: skip
    if any("kind" in row for row in output["results"]):
        columns.insert(1, "kind")
    header = f"{output['set']} ({output['results'][0]['questions']} questions, model {output['model']})"
    lines = [header, "  ".join(f"{c:>10}" for c in columns)]
    for row in output["results"]:
        cells = [
            "-" if row[c] is None else f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns
        ]
        lines.append("  ".join(f"{c:>10}" for c in cells))
    return "\n".join(lines)
