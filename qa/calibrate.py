"""``python -m qa calibrate``: fit the "not in the documents" model (``qa.abstain``) on data, not by guess.

Answerable questions come from evaluation sets (a follow-up set gives its standalone questions); unanswerable
ones are their ``gold: []`` questions plus a file of off-topic questions, asked against every set's documents.
Each set counts the same, and within a set answerable and unanswerable questions count the same. The cutoff is
the highest support at which every set still answers at least ``--answered`` of its answerable questions.
It also fits the model once per set with that set left out and reports the left-out set: how the model does on
documents and questions it has not seen.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.abstain import Model, fit
from qa.console import progress_bar, settings_from
from qa.lexical import tokenize
from qa.metrics import load_questions

if TYPE_CHECKING:
    from qa.engine import Engine

OFFTOPIC = Path(__file__).resolve().parent.parent / "eval" / "offtopic_questions.txt"


@dataclass
class Measured:
    """Per question of one set: its label and each passage's (evidence above background, coverage, known)."""

    labels: list[int]
    passages: list[np.ndarray]  # one (k, 3) array a question


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sets", nargs="+", metavar="SET_DIR")
    parser.add_argument("--offtopic", default=str(OFFTOPIC), help="off-topic questions, one a line")
    parser.add_argument("--answered", type=float, default=0.95, help="share of answerable questions to keep answered")
    parser.add_argument("--index-root", help="keep each set's index here (default: a temporary folder)")


def measure(engine: Engine, questions: list[tuple[str, int]]) -> Measured:
    background = engine.background(engine.snapshot)
    measured = Measured([], [])
    for text, label in questions:
        answer = engine.ask(text)
        terms = set(tokenize(answer.searched))
        covered = engine.snapshot.coverage(terms, [h.passage.id for h in answer.hits])
        rows = [
            (max(h.sentence or 0.0, h.dense or 0.0) - background, *held)
            for h, held in zip(answer.hits, covered, strict=True)
        ]
        measured.labels.append(label)
        measured.passages.append(np.array(rows or [(0.0, 0.0, 0.0)], dtype=np.float64))
    return measured


def training_rows(sets: dict[str, Measured]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row a question (its passage of highest evidence), labels, and weights that balance sets and labels."""
    x, y, w = [], [], []
    for measured in sets.values():
        labels = np.array(measured.labels)
        for label in (0, 1):
            count = int((labels == label).sum())
            for rows, given in zip(measured.passages, measured.labels, strict=True):
                if given == label:
                    x.append(rows[int(np.argmax(rows[:, 0]))])
                    y.append(label)
                    w.append(1.0 / count)
    return np.array(x), np.array(y, dtype=np.float64), np.array(w)


def supports(model: Model, measured: Measured) -> np.ndarray:
    """Each question's support as ``Engine.ask`` computes it: the best of its passages'."""
    return np.array([max(model.support(*row) for row in rows) for rows in measured.passages])


def choose_cutoff(model: Model, sets: dict[str, Measured], keep: float) -> float:
    """The highest cutoff at which every set answers at least ``keep`` of its answerable questions."""
    levels = []
    for measured in sets.values():
        answerable = np.sort(supports(model, measured)[np.array(measured.labels) == 1])
        if len(answerable):
            levels.append(float(answerable[int(np.floor((1 - keep) * len(answerable)))]))
    return min(levels, default=0.5)


def rates(model: Model, measured: Measured) -> dict[str, float | int | None]:
    support, labels = supports(model, measured), np.array(measured.labels)
    yes, no = support[labels == 1], support[labels == 0]
    return {
        "answered_rate": round(float((yes >= model.cutoff).mean()), 4) if len(yes) else None,
        "abstention": round(float((no < model.cutoff).mean()), 4) if len(no) else None,
        "answerable": len(yes),
        "unanswerable": len(no),
        "margin": round(float(np.sort(yes)[int(0.05 * len(yes))] - np.sort(no)[int(0.9 * len(no))]), 4)
        if len(yes) and len(no)
        else None,
    }


def calibrate(sets: dict[str, Measured], keep: float) -> dict[str, object]:
    x, y, w = training_rows(sets)
    model = fit(x, y, w)
    model = replace(model, cutoff=choose_cutoff(model, sets, keep))
    held_out = {}
    for name in sets if len(sets) > 1 else ():
        rest = {other: m for other, m in sets.items() if other != name}
        partial = fit(*training_rows(rest))
        partial = replace(partial, cutoff=choose_cutoff(partial, rest, keep))
        held_out[name] = rates(partial, sets[name])
    return {
        "coefficients": [round(c, 4) for c in model.coefficients],
        "intercept": round(model.intercept, 4),
        "cutoff": round(model.cutoff, 4),
        "sets": {name: rates(model, measured) for name, measured in sets.items()},
        "each_set_left_out": held_out,
    }


def run_calibrate_command(args: argparse.Namespace) -> int:
    from qa.engine import Engine
    from qa.evaluate import only_the_set

    offtopic = [q.strip() for q in Path(args.offtopic).read_text(encoding="utf-8").splitlines() if q.strip()]
    sets: dict[str, Measured] = {}
    with tempfile.TemporaryDirectory(prefix="verbatim-calibrate-") as tmp:
        for set_dir in map(Path, args.sets):
            engine = Engine(settings_from(args, index_dir=Path(args.index_root or tmp) / set_dir.name))
            if not engine.has_index():
                print(engine.add([set_dir / "docs"], progress=progress_bar()).summary(), file=sys.stderr)
            only_the_set(engine, set_dir)
            questions = [q for q in load_questions(set_dir) if q.kind in ("", "standalone")]
            asked = [(q.question, int(bool(q.gold))) for q in questions] + [(q, 0) for q in offtopic]
            sets[set_dir.name] = measure(engine, asked)
            print(f"{set_dir.name}: {len(asked)} questions measured", file=sys.stderr)
    print(json.dumps(calibrate(sets, args.answered), indent=1))
    return 0
