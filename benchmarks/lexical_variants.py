"""Variants of the lexical side measured through the whole pipeline (``Engine.ask``, proximity, answer sentence):
BM25's k1 and b for passages and pages, a section's BM25, priors in the re-ordering step, fusion settings.

    python benchmarks/lexical_variants.py "k1=0.8" ../shared/eval/realpdf_dev eval/realpdf_extra \
        ../shared/eval/tatqa_dev --index-root /tmp/idx

A variant is comma-separated ``name=value``: ``k1``, ``b`` (a passage's BM25), ``pk1``, ``pb`` (a page's), ``sw``
(weight of the BM25 of the passage's section, its heading's run of passages; ``sk1`` its k1), ``lead`` (added for
a passage that opens with its heading), ``code`` (taken off a passage that is mostly a code listing, by the
reader's blocks), ``alpha``, ``proximity``, ``bigram`` (``SearchParams``); ``base`` is the defaults. The
index's counts are weighted again in memory: one index per set under --index-root (built when missing) serves
every variant. The follow-ups set is measured on its first 600 follow-ups and SciFact on its first 400 claims, as
docs/EVALUATION.md's grids were. Prints hit@1, hit@3, MRR@10 and highlight@1 per set.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qa.engine as engine_module
import qa.lexical as lexical_module
from qa.config import Settings
from qa.engine import Engine
from qa.metrics import evaluate, load_questions
from qa.readers.loaders import load_document
from qa.search import Ranked
from qa.types import Passage

FUSION = ("alpha", "proximity", "bigram", "sentence_weight")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variant")
    parser.add_argument("sets", nargs="+")
    parser.add_argument("--index-root", default="/tmp/verbatim-variants")
    args = parser.parse_args()
    spec = {k: float(v) for k, v in (kv.split("=") for kv in args.variant.split(",") if "=" in kv)}
    for set_dir in map(Path, args.sets):
        engine = Engine(Settings.from_env(index_dir=Path(args.index_root) / set_dir.name))
        if not engine.has_index():
            engine.add([set_dir / "docs"])
        apply(engine, spec)
        questions = [q for q in load_questions(set_dir) if q.gold]
        if set_dir.name == "followups":
            questions = [q for q in questions if q.kind == "followup"][:600]
        elif set_dir.name == "scifact":
            questions = questions[:400]
        result = evaluate(engine, questions, "hybrid")
        n = result.answerable
        print(f"{args.variant:24s} {set_dir.name:14s} hit@1={result.hits[1] / n:.3f} hit@3={result.hits[3] / n:.3f} "
              f"mrr={result.reciprocal_ranks / n:.3f} highlight@1={result.highlights / n:.3f}", flush=True)  # fmt: skip


def apply(engine: Engine, spec: dict[str, float]) -> None:
    snapshot = engine.snapshot
    lexical = snapshot.lexical
    counts = lexical.counts
    lexical.weights, lexical.idf = _weights(counts, spec.get("k1", lexical_module.K1), spec.get("b", lexical_module.B))
    if lexical.page_weights is not None:
        pages = snapshot.passages.page_groups()
        lexical.page_weights = _weights(
            lexical_module.summed_by(counts, pages), spec.get("pk1", lexical_module.PAGE_K1),
            spec.get("pb", lexical_module.B),
        )[0]  # fmt: skip
    passages = engine.passages(list(range(snapshot.size)))
    if "sw" in spec:
        _add_section_bm25(lexical, passages, spec["sw"], spec.get("sk1", lexical_module.PAGE_K1))
    priors: list[Callable[[Passage, str], float]] = []
    if "lead" in spec:
        priors.append(lambda p, q, w=spec["lead"]: w * bool(p.heading and p.text.startswith(p.heading)))
    if "code" in spec:
        listing = _listings(passages)
        priors.append(lambda p, q, w=spec["code"]: -w * listing.get(p.id, False))
    if priors:
        _with_priors(priors)
    over = {k: v for k, v in spec.items() if k in FUSION}
    defaults = engine.search_params
    engine.search_params = lambda mode=None: replace(defaults(mode), **over)  # type: ignore[method-assign]


def _weights(counts: sparse.csr_matrix, k1: float, b: float) -> tuple[sparse.csr_matrix, np.ndarray]:
    saved = lexical_module.B
    lexical_module.B = b
    try:
        return lexical_module._bm25_weights(counts, k1)
    finally:
        lexical_module.B = saved


def _add_section_bm25(lexical: lexical_module.Lexical, passages: list[Passage], weight: float, k1: float) -> None:
    keys = [(p.source, p.heading) for p in passages]
    groups = np.cumsum([0] + [a != b for a, b in itertools.pairwise(keys)])
    section = _weights(lexical_module.summed_by(lexical.counts, groups), k1, lexical_module.B)[0]
    own = lexical.scores

    def scores(question: str) -> np.ndarray:
        ids = sorted({lexical.term_ids[t] for t in lexical_module.tokenize(question) if t in lexical.term_ids})
        base = own(question)
        return base + weight * np.asarray(section[ids].sum(axis=0)).ravel()[groups] if ids else base

    lexical.scores = scores  # type: ignore[method-assign]


def _listings(passages: list[Passage]) -> dict[int, bool]:
    """Whether most of each passage's characters stand in the reader's ``code`` blocks."""
    blocks: dict[str, list[tuple[int, int, str]]] = {}
    found = {}
    for p in passages:
        if p.source not in blocks:
            try:
                document = load_document(p.source, Path(p.source).read_bytes())
                blocks[p.source] = [(b.start, b.end, b.kind) for b in document.blocks]
            except Exception:  # a source that is gone or unreadable: no blocks
                blocks[p.source] = []
        overlaps = [(min(e, p.end) - max(s, p.start), kind) for s, e, kind in blocks[p.source]]
        total = sum(n for n, _ in overlaps if n > 0)
        code = sum(n for n, kind in overlaps if n > 0 and kind == "code")
        found[p.id] = bool(total) and code > total / 2
    return found


def _with_priors(priors: list[Callable[[Passage, str], float]]) -> None:
    """Each prior added to a passage's fused score before the proximity step orders the best passages again."""
    reorder = engine_module.reorder

    def with_priors(ranked: list[Ranked], passages: list[Passage], question: str, *rest: object) -> tuple[list, list]:
        pairs = zip(ranked, passages, strict=True)
        moved = [replace(r, score=r.score + sum(f(p, question) for f in priors)) for r, p in pairs]
        return reorder(moved, passages, question, *rest)  # type: ignore[arg-type]

    engine_module.reorder = with_priors  # type: ignore[assignment]


if __name__ == "__main__":
    main()
