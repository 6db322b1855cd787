"""``python -m qa calibrate``: choose the "not in the documents" threshold from data, not by guess.

Answerable questions come from evaluation sets; unanswerable ones are their ``gold: []`` questions plus a file
of off-topic questions, asked against every set's documents. The threshold is the highest evidence level at
which every set still answers at least ``--answered`` of its answerable questions.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from qa.metrics import load_questions


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sets", nargs="+", metavar="SET_DIR")
    parser.add_argument(
        "--offtopic", default=str(Path(__file__).resolve().parent.parent / "eval" / "offtopic_questions.txt")
    )
    parser.add_argument("--answered", type=float, default=0.95, help="share of answerable questions to keep answered")
    parser.add_argument("--index-root", help="keep each set's index here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true")


def choose_threshold(answerable_by_set: list[np.ndarray], keep: float) -> float:
    """The highest threshold at which every set answers at least ``keep`` of its answerable questions."""
    levels = []
    for evidence in answerable_by_set:
        if len(evidence):
            ordered = np.sort(evidence)
            levels.append(float(ordered[int(np.floor((1 - keep) * len(ordered)))]))
    return min(levels, default=0.0)


def run_calibrate_command(args: argparse.Namespace) -> int:
    from qa.cli import progress_bar, settings_from
    from qa.engine import Engine

    offtopic = [q.strip() for q in Path(args.offtopic).read_text(encoding="utf-8").splitlines() if q.strip()]
    answerable: list[float] = []
    unanswerable: list[float] = []
    per_set = {}
    with tempfile.TemporaryDirectory(prefix="verbatim-calibrate-") as tmp:
        for set_dir in map(Path, args.sets):
            root = Path(args.index_root or tmp)
            engine = Engine(settings_from(args, index_dir=root / set_dir.name))
            if not engine.has_index():
                print(engine.add([set_dir / "docs"], progress=progress_bar()).summary(), file=sys.stderr)
            questions = load_questions(set_dir)
            yes = [engine.ask(q.question).evidence for q in questions if q.gold]
            no = [engine.ask(q.question).evidence for q in questions if not q.gold]
            no += [engine.ask(q).evidence for q in offtopic]
            answerable += yes
            unanswerable += no
            per_set[set_dir.name] = (np.array(yes), np.array(no))
    yes_all, no_all = np.array(answerable), np.array(unanswerable)
    threshold = choose_threshold([yes for yes, _ in per_set.values()], args.answered)
    rows = {
        name: {
            "answered_rate": round(float((yes >= threshold).mean()), 4) if len(yes) else None,
            "abstention": round(float((no < threshold).mean()), 4) if len(no) else None,
            "answerable": len(yes),
            "unanswerable": len(no),
        }
        for name, (yes, no) in per_set.items()
    }
    result = {
        "threshold": round(threshold, 4),
        "answered_rate": round(float((yes_all >= threshold).mean()), 4),
        "abstention": round(float((no_all < threshold).mean()), 4),
        "sets": rows,
        "evidence_percentiles": {
            "answerable": np.percentile(yes_all, [5, 25, 50]).round(3).tolist(),
            "unanswerable": np.percentile(no_all, [50, 75, 95]).round(3).tolist(),
        },
    }
    print(json.dumps(result, indent=1))
    return 0
