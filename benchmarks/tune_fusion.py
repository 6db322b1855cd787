"""Grid over the fusion settings on the evaluation sets; prints hit@1 / hit@3 / MRR@10 for each.

    python benchmarks/tune_fusion.py ../shared/eval/article ../shared/eval/tatqa_dev ../shared/eval/scifact \
        --index-root /tmp/verbatim-tune

Each set's index is built once under --index-root (kept for later runs); questions are embedded once.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.config import Settings
from qa.engine import Engine
from qa.evaluate import is_hit, load_questions
from qa.search import SearchParams, rank


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="+")
    parser.add_argument("--index-root", default="/tmp/verbatim-tune")
    args = parser.parse_args()
    grid = [SearchParams(mode="dense", sentence_weight=w) for w in (0.0, 0.3, 0.5, 0.7)]
    grid += [SearchParams(mode="lexical")]
    grid += [SearchParams(fusion="rrf", sentence_weight=w) for w in (0.0, 0.5)]
    grid += [
        SearchParams(alpha=a, sentence_weight=w)
        for a, w in itertools.product((0.3, 0.4, 0.5, 0.6, 0.7, 0.8), (0.0, 0.3, 0.5, 0.7))
    ]
    table: dict[int, list[tuple[float, float, float]]] = {i: [] for i in range(len(grid))}
    for set_dir in map(Path, args.sets):
        engine = Engine(Settings.from_env(index_dir=Path(args.index_root) / set_dir.name))
        if not engine.has_index():
            print(engine.add([set_dir / "docs"]).summary(), file=sys.stderr)
        questions = [q for q in load_questions(set_dir) if q.gold]
        vectors = engine.embedder.embed_queries([q.question for q in questions])
        snapshot = engine.snapshot
        contents = snapshot.contents
        firsts = np.array([c.first_row for c in contents])
        for i, params in enumerate(grid):
            hits1 = hits3 = rr = 0.0
            for q, vector in zip(questions, vectors, strict=True):
                ranked = rank(snapshot, q.question, vector, 10, params)
                ranks = []
                for position, r in enumerate(ranked, start=1):
                    content = contents[int(np.searchsorted(firsts, r.row, side="right")) - 1]
                    start, end = int(snapshot.passages.start[r.row]), int(snapshot.passages.end[r.row])
                    if is_hit(q, content.source, start, end):
                        ranks.append(position)
                        break
                if ranks:
                    hits1 += ranks[0] == 1
                    hits3 += ranks[0] <= 3
                    rr += 1 / ranks[0]
            n = len(questions)
            table[i].append((hits1 / n, hits3 / n, rr / n))
        print(f"done {set_dir.name}", file=sys.stderr)
    names = [Path(s).name for s in args.sets]
    print(f"{'params':<48}" + "".join(f"{n[:10]:>24}" for n in names) + f"{'mean hit@1':>12}")
    for i, params in enumerate(grid):
        label = f"{params.mode} {params.fusion} a={params.alpha} sw={params.sentence_weight}"
        cells = "".join(f"{h1:>8.3f}{h3:>8.3f}{mrr:>8.3f}" for h1, h3, mrr in table[i])
        print(f"{label:<48}{cells}{np.mean([t[0] for t in table[i]]):>12.3f}")


if __name__ == "__main__":
    _ = replace
    main()
