"""What qa.unaddressed would decide on an evaluation set at other margins and document lengths.

    .venv/bin/python benchmarks/unaddressed.py ../shared/eval/realpdf_dev [--index-dir DIR] [--kinds K,K] [--show 20]

For every question whose support alone answers it: each of its words that the best passage's document never uses,
and how much better every one of the best 3 passages matches the question without it (``qa.unaddressed.gains``).
Prints the unanswerable questions and the answerable ones that come closest, then, for each margin and minimum
document length, how many answerable questions the rule would leave unanswered and how many unanswerable ones
it would abstain on. The index is built when missing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.config import Settings
from qa.engine import Engine
from qa.metrics import load_questions
from qa.unaddressed import best_document, gains

MARGINS = (0.03, 0.04, 0.045, 0.05, 0.06)
LENGTHS = (1, 5, 10, 20, 40)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("set_dir", type=Path)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--kinds", help="only questions of these kinds (follow-up sets), comma-separated")
    parser.add_argument("--show", type=int, default=20, help="answerable questions shown, closest first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Settings.from_env(index_dir=args.index_dir or Path(tmp) / "index"))
        if not engine.has_index():
            engine.add([args.set_dir / "docs"])
        questions = load_questions(args.set_dir)
        if args.kinds:
            questions = [q for q in questions if q.kind in args.kinds.split(",")]
        rows = []  # (best gain, word, passages of the document, answerable, id, question)
        snapshot = engine.snapshot
        for question in questions:
            answer = engine.ask(question.question, k=10, history=question.history)
            if not answer.hits or answer.support < answer.threshold:
                continue  # not answered by its support: the rule is not asked
            found = gains(snapshot, engine.embedder.embed_queries, question.question, answer.searched, answer.hits)
            word, gain = max(found, key=lambda f: f[1], default=("", float("-inf")))
            content = best_document(snapshot, answer.hits)
            rows.append((gain, word, snapshot.contents[content].passages, bool(question.gold), question.id,
                         question.question))  # fmt: skip
    answerable = [r for r in rows if r[3]]
    unanswerable = [r for r in rows if not r[3]]
    print(f"answered by support: {len(answerable)} answerable, {len(unanswerable)} unanswerable")
    print("unanswerable (best gain, word, document passages):")
    for gain, word, passages, _, qid, text in sorted(unanswerable, reverse=True):
        print(f"  {gain:+.3f} {word or '-':14} {passages:5d} {qid} {text[:70]}")
    print("answerable, closest first:")
    for gain, word, passages, _, qid, text in sorted(answerable, reverse=True)[: args.show]:
        print(f"  {gain:+.3f} {word or '-':14} {passages:5d} {qid} {text[:70]}")
    print("margin x minimum passages: answerable left unanswered / unanswerable abstained on")
    for margin in MARGINS:
        cells = []
        for length in LENGTHS:
            lost = sum(g >= margin and p >= length for g, _, p, *_ in answerable)
            caught = sum(g >= margin and p >= length for g, _, p, *_ in unanswerable)
            cells.append(f">={length}: {lost}/{caught}")
        print(f"  {margin:.3f}  " + "  ".join(cells))


if __name__ == "__main__":
    main()
