"""Question to ranked passage rows: dense and lexical candidates, fused; the answer sentence; abstention."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from qa.abstain import MINILM
from qa.fusion import blend, rrf
from qa.stores.base import Index


@dataclass(frozen=True)
class SearchParams:
    mode: str = "hybrid"
    fusion: str = "blend"
    alpha: float = 0.4  # weight of the dense evidence in the blend (tuned: docs/EVALUATION.md)
    sentence_weight: float = 0.7  # dense evidence = 0.3 * passage cosine + 0.7 * best sentence cosine
    candidates: int = 50  # from each of dense and BM25 (50 or 100: within half a point, docs/EVALUATION.md)
    threshold: float = MINILM.cutoff  # the support (qa.abstain) at which the documents are taken to answer
    prefer: frozenset[int] = frozenset()  # documents (content ids) the conversation is in: preferred mildly
    prefer_bonus: float = 0.2  # added to the fused score (0 to 1) of their passages
    within: frozenset[int] = frozenset()  # only these documents (content ids); empty: all
    # of the share of the question's term pairs that one sentence holds, added to the blended score of the best
    # passages (qa.proximity; 0.05 / 0.15 / 0.2 measured lower over all sets); the blend only: 0 turns it off
    proximity: float = 0.1
    # of the share of the question's adjacent term pairs that stand adjacent in the passage, added in the same step
    # (qa.proximity; docs/EVALUATION.md, "Phrases" and "Common words": 0.09 once common words weigh half; 0.05,
    # 0.07, 0.08 and 0.1 measured lower over all sets); 0 turns it off
    bigram: float = 0.09

    @property
    def reorders(self) -> bool:
        """Whether the best passages are ordered again by term proximity (``qa.proximity``)."""
        return (self.proximity > 0 or self.bigram > 0) and self.mode == "hybrid" and self.fusion == "blend"


@dataclass(frozen=True)
class Ranked:
    """One ranked passage row with the evidence behind its place."""

    row: int
    score: float
    dense: float
    lexical: float
    sentence: int | None  # index of the best sentence within the passage, None if it has none
    sentence_score: float
    sentence_cosines: tuple[float, ...] = ()  # every sentence's cosine with the question, in order


def rank(
    snapshot: Index,
    question: str,
    query: np.ndarray,
    k: int,
    params: SearchParams,
    stages: dict[str, float] | None = None,
) -> list[Ranked]:
    """The ``k`` best passages for the question (``query`` is its unit vector).

    ``stages``, when given, receives the seconds spent on each step (dense, lexical, highlight, fusion).
    """
    if snapshot.size == 0 or k <= 0:
        return []
    clock = _Clock(stages)
    pool = max(params.candidates, k)
    found: list[np.ndarray] = []
    lexical_hits = None
    if params.mode != "lexical":
        found.append(snapshot.dense_candidates(query, pool, params.within))
    clock.mark("dense")
    if params.mode != "dense":
        lexical_hits = snapshot.lexical_search(question, pool, params.within, also=found[0] if found else None)
        found.append(lexical_hits.rows)
    clock.mark("lexical")
    if not found or not sum(len(f) for f in found):
        return []
    rows = np.unique(np.concatenate(found)).astype(np.int64)
    dense = snapshot.passage_cosines(rows, query)
    lexical = lexical_hits.scores_of(rows) if lexical_hits is not None else np.zeros_like(dense)
    best_sentence, sentence_score, cosines = _best_sentences(snapshot, rows, query, dense)
    clock.mark("highlight")
    meaning = (1 - params.sentence_weight) * dense + params.sentence_weight * sentence_score  # the dense side
    if params.mode == "dense":
        score = meaning
    elif params.mode == "lexical":
        score = lexical.astype(np.float32)
    elif params.fusion == "rrf":
        score = rrf(meaning, lexical)
    else:
        score = blend(meaning, lexical, params.alpha)
    if params.prefer:
        score = score + params.prefer_bonus * np.isin(snapshot.content_of(rows), list(params.prefer))
    order = np.lexsort((rows, -score))[:k]
    clock.mark("fusion")
    return [
        Ranked(
            row=int(rows[i]),
            score=float(score[i]),
            dense=float(dense[i]),
            lexical=float(lexical[i]),
            sentence=None if best_sentence[i] < 0 else int(best_sentence[i]),
            sentence_score=float(sentence_score[i]),
            sentence_cosines=tuple(cosines[i].tolist()),
        )
        for i in order
    ]


def evidence(snapshot: Index, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Per row: its best sentence's cosine with ``query``, or its own when higher (the evidence of ``qa.abstain``)."""
    dense = np.asarray(snapshot.passage_cosines(rows, query), dtype=np.float32)
    return np.maximum(dense, _best_sentences(snapshot, rows, query, dense)[1])


def _best_sentences(
    snapshot: Index, rows: np.ndarray, query: np.ndarray, dense: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Per passage: the index of its sentence closest to the question, that cosine, and all its sentences'."""
    counts, cosines = snapshot.sentence_cosines(rows, query)
    best = np.full(rows.size, -1, dtype=np.int64)
    best_score = dense.copy()
    if cosines.size == 0:
        return best, best_score, [np.zeros(0, dtype=np.float32)] * rows.size
    offsets = np.cumsum(counts) - counts  # each passage's first sentence in ``cosines``
    per_row = np.split(cosines, offsets[1:])
    has = counts > 0
    starts = offsets[has]
    maxima = np.maximum.reduceat(cosines, starts)
    row_max = np.full(rows.size, np.inf, dtype=np.float32)
    row_max[has] = maxima
    positions = np.where(cosines >= np.repeat(row_max, counts), np.arange(cosines.size), cosines.size)
    best[has] = np.minimum.reduceat(positions, starts) - starts
    best_score[has] = maxima
    return best, best_score, per_row


class _Clock:
    """Adds the time since the last mark to ``stages[name]`` (does nothing without ``stages``)."""

    def __init__(self, stages: dict[str, float] | None) -> None:
        self.stages = stages
        self.last = time.perf_counter()

    def mark(self, name: str) -> None:
        if self.stages is not None:
            now = time.perf_counter()
            self.stages[name] = self.stages.get(name, 0.0) + now - self.last
            self.last = now


def background(snapshot: Index, probes: list[str], vectors: np.ndarray) -> float:
    """The mean evidence (best sentence or passage cosine of the top 3) that questions no document answers
    find in this index: how high an unrelated question scores here (``qa.abstain``)."""
    params = SearchParams()
    found = [rank(snapshot, q, v, 3, params) for q, v in zip(probes, vectors, strict=True)]
    evidence = [max((max(r.sentence_score, r.dense) for r in ranked), default=0.0) for ranked in found]
    return float(np.mean(evidence)) if evidence else 0.0
