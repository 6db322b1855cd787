"""Question to ranked passage rows: dense and lexical candidates, fused; the answer sentence; abstention."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from qa.abstain import MINILM
from qa.fusion import blend, rrf
from qa.snapshot import Snapshot


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
    snapshot: Snapshot,
    question: str,
    query: np.ndarray,
    k: int,
    params: SearchParams,
    stages: dict[str, float] | None = None,
) -> list[Ranked]:
    """The ``k`` best passages for the question (``query`` is its unit vector).

    ``stages``, when given, receives the seconds spent on each step (dense, lexical, highlight, fusion).
    """
    n = len(snapshot.passages)
    if n == 0 or k <= 0:
        return []
    clock = _Clock(stages)
    pool = max(params.candidates, k)
    allowed = _rows_within(snapshot, params.within)  # None: every row
    found: list[np.ndarray] = []
    lexical_all = None
    if params.mode != "lexical":
        found.append(_dense_candidates(snapshot, query, pool, allowed))
    clock.mark("dense")
    if params.mode != "dense":
        lexical_all = snapshot.lexical.scores(question)
        among = allowed if allowed is not None else np.arange(n)
        top = min(pool, len(among))
        if top:
            best = np.argpartition(-lexical_all[among], top - 1)[:top] if top < len(among) else np.arange(len(among))
            found.append(among[best])
    clock.mark("lexical")
    if not found or not sum(len(f) for f in found):
        return []
    rows = np.unique(np.concatenate(found)).astype(np.int64)
    dense = np.asarray(snapshot.embeddings[rows], dtype=np.float32) @ query
    lexical = lexical_all[rows] if lexical_all is not None else np.zeros_like(dense)
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
        score = score + params.prefer_bonus * np.isin(snapshot.passages.content[rows], list(params.prefer))
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


def _rows_within(snapshot: Snapshot, within: frozenset[int]) -> np.ndarray | None:
    """The passage rows of the chosen documents (each document's rows are one run), or None for all."""
    if not within:
        return None
    runs = [np.arange(c.first_row, c.first_row + c.passages) for i, c in enumerate(snapshot.contents) if i in within]
    return np.concatenate(runs).astype(np.int64) if runs else np.zeros(0, dtype=np.int64)


EXACT_WITHIN = 200_000  # rows of chosen documents scored exactly; beyond, the index's candidates are filtered


def _dense_candidates(snapshot: Snapshot, query: np.ndarray, pool: int, allowed: np.ndarray | None) -> np.ndarray:
    """The rows closest to the query, among the chosen documents' rows when there is a choice: scored exactly
    when there are few enough, so that ``pool`` candidates come back whenever the documents hold them."""
    if allowed is None:
        return snapshot.dense.search(query, pool)[0]
    if len(allowed) <= EXACT_WITHIN:
        scores = np.asarray(snapshot.embeddings[allowed], dtype=np.float32) @ query
        top = min(pool, len(allowed))
        return allowed[np.argpartition(-scores, top - 1)[:top]] if top < len(allowed) else allowed
    rows = snapshot.dense.search(query, pool * 20)[0]
    return rows[np.isin(rows, allowed)][:pool]


def _best_sentences(
    snapshot: Snapshot, rows: np.ndarray, query: np.ndarray, dense: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Per passage: the index of its sentence closest to the question, that cosine, and all its sentences'."""
    table = snapshot.passages
    counts = (table.sentence_ptr[rows + 1] - table.sentence_ptr[rows]).astype(np.int64)
    best = np.full(rows.size, -1, dtype=np.int64)
    best_score = dense.copy()
    sentence_rows = table.sentence_index(rows)
    if sentence_rows.size == 0:
        return best, best_score, [np.zeros(0, dtype=np.float32)] * rows.size
    cosines = np.asarray(snapshot.sentence_vectors[sentence_rows], dtype=np.float32) @ query
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


def background(snapshot: Snapshot, probes: list[str], vectors: np.ndarray) -> float:
    """The mean evidence (best sentence or passage cosine of the top 3) that questions no document answers
    find in this index: how high an unrelated question scores here (``qa.abstain``)."""
    params = SearchParams()
    found = [rank(snapshot, q, v, 3, params) for q, v in zip(probes, vectors, strict=True)]
    evidence = [max((max(r.sentence_score, r.dense) for r in ranked), default=0.0) for ranked in found]
    return float(np.mean(evidence)) if evidence else 0.0
