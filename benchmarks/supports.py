"""Each question's support (qa.abstain) on an evaluation set, answerable and unanswerable side by side: where
"not in the documents" could stand apart from the answers, and where it cannot.

    .venv/bin/python benchmarks/supports.py ../shared/eval/realpdf_dev [--index-dir DIR] [--show 30] [--at 0.9]

Prints the questions by support, weakest first (the best passage's support, its coverage of the question's
terms, the share of those terms the index holds), then, for the cutoff that would abstain on 1, 2, ... of the
unanswerable questions, the share of answerable ones still answered. The index is built when missing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.config import Settings
from qa.engine import Engine
from qa.lexical import tokenize
from qa.metrics import load_questions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("set_dir", type=Path)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--show", type=int, default=30)
    parser.add_argument("--at", type=float, action="append", default=[], help="also: answered at this cutoff")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Settings.from_env(index_dir=args.index_dir or Path(tmp) / "index"))
        if not engine.has_index():
            engine.add([args.set_dir / "docs"])
        rows = []
        for question in load_questions(args.set_dir):
            answer = engine.ask(question.question, k=10, history=question.history)
            coverage, known = (0.0, 0.0)
            if answer.hits:
                terms = set(tokenize(question.question))
                coverage, known = engine.snapshot.coverage(terms, [answer.hits[0].passage.id])[0]
            rows.append((answer.support, bool(question.gold), question.id, coverage, known, question.question))
        threshold = answer.threshold
    rows.sort()
    print(f"cutoff today {threshold:.3f}")
    for support, answerable, qid, coverage, known, text in rows[: args.show]:
        kind = "answerable  " if answerable else "unanswerable"
        print(f"{support:.3f} {kind} {qid} coverage={coverage:.2f} known={known:.2f} {text[:70]}")
    supports = [(s, a) for s, a, *_ in rows]
    answerable = sum(a for _, a in supports)
    unanswerable = sorted(s for s, a in supports if not a)
    for n, cutoff in enumerate(unanswerable, 1):
        answered = sum(a and s > cutoff for s, a in supports)
        print(f"abstain on {n:2d} of {len(unanswerable)} (cutoff above {cutoff:.3f}): "
              f"answerable answered {answered / max(answerable, 1):.3f}")  # fmt: skip
    for cutoff in args.at:
        answered = sum(a and s >= cutoff for s, a in supports)
        print(f"at a cutoff of {cutoff:.3f}: answerable answered {answered / max(answerable, 1):.3f}")


if __name__ == "__main__":
    main()
