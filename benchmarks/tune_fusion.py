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
from qa.metrics import is_hit, load_questions
from qa.search import SearchParams, rank


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="+")
    parser.add_argument("--index-root", default="/tmp/verbatim-tune")
    parser.add_argument("--variants", action="store_true", help="also z-score normalisation and BM25 k1/b")
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
        for i, params in enumerate(grid):
            table[i].append(_measure(engine, set_dir, params))
        print(f"done {set_dir.name}", file=sys.stderr)
    if args.variants:
        grid, table = _variants(args, grid, table)
    names = [Path(s).name for s in args.sets]
    print(f"{'params':<48}" + "".join(f"{n[:10]:>24}" for n in names) + f"{'mean hit@1':>12}")
    for i, params in enumerate(grid):
        label = f"{params.mode} {params.fusion} a={params.alpha} sw={params.sentence_weight}"
        cells = "".join(f"{h1:>8.3f}{h3:>8.3f}{mrr:>8.3f}" for h1, h3, mrr in table[i])
        print(f"{label:<48}{cells}{np.mean([t[0] for t in table[i]]):>12.3f}")


def _zscore_blend(dense: np.ndarray, lexical: np.ndarray, alpha: float) -> np.ndarray:
    def z(x: np.ndarray) -> np.ndarray:
        spread = x.std()
        return (x - x.mean()) / spread if spread > 1e-9 else np.zeros_like(x)

    return alpha * z(dense) + (1 - alpha) * z(lexical)


def _variants(args: argparse.Namespace, grid: list, table: dict) -> tuple[list, dict]:
    """Rows with the blend's normalisation swapped for z-scores, and with other BM25 parameters."""
    import qa.lexical as lexical_module
    import qa.search as search_module

    engines = {s: Engine(Settings.from_env(index_dir=Path(args.index_root) / Path(s).name)) for s in args.sets}
    base = SearchParams()
    runs: list[tuple[str, SearchParams, object]] = []
    runs += [(f"zscore a={a}", replace(base, alpha=a), ("z", None)) for a in (0.3, 0.4, 0.5, 0.6)]
    for k1, b in ((0.9, 0.4), (1.5, 0.75), (1.2, 0.5), (2.0, 0.75)):
        runs += [(f"bm25 k1={k1} b={b} {m}", replace(base, mode=m), ("bm25", (k1, b))) for m in ("lexical", "hybrid")]
    original_blend, original = search_module.blend, (lexical_module.K1, lexical_module.B)
    for label, params, (kind, value) in runs:
        search_module.blend = _zscore_blend if kind == "z" else original_blend
        if kind == "bm25":
            lexical_module.K1, lexical_module.B = value
        for engine in engines.values():
            lexical = engine.snapshot.lexical
            lexical.weights = lexical_module._bm25_weights(lexical.counts)
        grid.append(replace(params, fusion=label))
        table[len(grid) - 1] = [_measure(engines[s], Path(s), params) for s in args.sets]
        lexical_module.K1, lexical_module.B = original
    search_module.blend = original_blend
    return grid, table


_QUESTIONS: dict[Path, tuple[list, np.ndarray]] = {}


def _measure(engine: Engine, set_dir: Path, params: SearchParams) -> tuple[float, float, float]:
    """hit@1, hit@3 and MRR@10 of one setting on one set (questions embedded once per set)."""
    if set_dir not in _QUESTIONS:
        questions = [q for q in load_questions(set_dir) if q.gold]
        _QUESTIONS[set_dir] = (questions, engine.embedder.embed_queries([q.question for q in questions]))
    questions, vectors = _QUESTIONS[set_dir]
    snapshot = engine.snapshot
    hits1 = hits3 = rr = 0.0
    for q, vector in zip(questions, vectors, strict=True):
        for position, r in enumerate(rank(snapshot, q.question, vector, 10, params), start=1):
            content = snapshot.contents[int(snapshot.passages.content[r.row])]
            if is_hit(q, content.source, int(snapshot.passages.start[r.row]), int(snapshot.passages.end[r.row])):
                hits1 += position == 1
                hits3 += position <= 3
                rr += 1 / position
                break
    n = len(questions)
    return hits1 / n, hits3 / n, rr / n


if __name__ == "__main__":
    main()
