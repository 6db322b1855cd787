"""Term proximity: whether a passage holds the question's terms together, in one sentence, and not merely
somewhere in it (or on its page, which BM25 also counts).

A passage's *pair share* is the idf-weighted share of the question's term pairs that stand in one of its
sentences (a pair weighs its rarer term's idf). The best ``RERANKED`` passages of the fused ranking are
ordered again by their fused score (0 to 1) plus ``SearchParams.proximity`` (0.1) times it. Chosen on the
candidates of eight sets (docs/EVALUATION.md, "Term proximity"); terms merely near each other (within 5, 10
or 20 words) did worse on the real PDFs, and so did a passage's heading counted in each of its sentences.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import combinations

from qa.lexical import tokenize
from qa.search import Ranked
from qa.types import Passage

RERANKED = 20  # passages ordered again (10, 30 and 60 gave the same top 10 on every set)


def sentence_terms(passage: Passage) -> list[set[str]]:
    """The (tokenized) terms of each of the passage's sentences; the whole passage when it has none."""
    if not passage.sentences:
        return [set(tokenize(passage.text))]
    return [set(tokenize(passage.text[s.start - passage.start : s.end - passage.start])) for s in passage.sentences]


def pair_share(weights: dict[str, float], sentences: Sequence[set[str]]) -> float:
    """The share of the term pairs of ``weights`` (term -> idf) that one of ``sentences`` holds both of, each
    pair weighted by the lower idf of its two terms; 0 for a question of fewer than two terms."""
    total = held = 0.0
    for a, b in combinations(sorted(weights), 2):
        weight = min(weights[a], weights[b])
        total += weight
        if any(a in terms and b in terms for terms in sentences):
            held += weight
    return held / total if total else 0.0


def reorder(
    ranked: list[Ranked], passages: list[Passage], question: str, idf: Callable[[str], float], weight: float
) -> tuple[list[Ranked], list[Passage]]:
    """The ranked passages with the first ``RERANKED`` ordered by fused score plus ``weight`` times the pair
    share (each ``Ranked.score`` then says so); the rest as they were."""
    weights = {term: idf(term) for term in set(tokenize(question))}
    if weight <= 0 or len(weights) < 2 or len(ranked) < 2:
        return ranked, passages
    head = [
        (replace(r, score=r.score + weight * pair_share(weights, sentence_terms(p))), p)
        for r, p in zip(ranked[:RERANKED], passages[:RERANKED], strict=True)
    ]
    head.sort(key=lambda pair: (-pair[0].score, pair[0].row))
    return [r for r, _ in head] + ranked[RERANKED:], [p for _, p in head] + passages[RERANKED:]
