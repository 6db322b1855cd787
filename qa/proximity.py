"""Term proximity: whether a passage holds the question's terms together, in one sentence, and not merely
somewhere in it (or on its page, which BM25 also counts).

A passage's *pair share* is the idf-weighted share of the question's term pairs that stand in one of its
sentences (a pair weighs its rarer term's idf; a common word's term weighs half its idf, as in BM25:
``qa.lexical.query_weights``). The best ``RERANKED`` passages of the fused ranking are ordered again by their
fused score (0 to 1) plus ``SearchParams.proximity`` (0.1) times it. Chosen on the
candidates of eight sets (docs/EVALUATION.md, "Term proximity"); terms merely near each other (within 5, 10
or 20 words) did worse on the real PDFs, and so did a passage's heading counted in each of its sentences.

A passage's *bigram share* is stricter: the idf-weighted share of the question's adjacent term pairs (stop words
skipped) that stand adjacent in the passage, a phrase as the question says it ("table captions", "argument
processors", "pretty printing"). ``SearchParams.bigram`` (0.09) times it is added as well (docs/EVALUATION.md,
"Phrases").
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from functools import lru_cache
from itertools import combinations, pairwise

from qa.lexical import query_weights, terms_at, tokenize
from qa.search import Ranked
from qa.types import Passage

RERANKED = 20  # passages ordered again (10, 30 and 60 gave the same top 10 on every set)


def sentence_terms(passage: Passage) -> tuple[frozenset[str], ...]:
    """The (tokenized) terms of each of the passage's sentences; the whole passage when it has none."""
    spans = tuple((s.start - passage.start, s.end - passage.start) for s in passage.sentences)
    return _terms_by_span(passage.text, spans)


@lru_cache(maxsize=4096)  # passages come back question after question: tatqa_dev +2.7 ms a question uncached, ~0 cached
def _terms(text: str) -> tuple[tuple[int, str], ...]:
    """``terms_at`` of a passage, read once for its sentences' terms and its adjacent pairs."""
    return tuple(terms_at(text))


@lru_cache(maxsize=4096)
def _terms_by_span(text: str, spans: tuple[tuple[int, int], ...]) -> tuple[frozenset[str], ...]:
    terms = _terms(text)
    if not spans:
        return (frozenset(term for _, term in terms),)
    starts = [start for start, _ in spans]
    found: list[set[str]] = [set() for _ in spans]
    for at, term in terms:
        n = bisect.bisect_right(starts, at) - 1
        if n >= 0 and at < spans[n][1]:
            found[n].add(term)
    return tuple(frozenset(f) for f in found)


def pair_share(weights: dict[str, float], sentences: Sequence[AbstractSet[str]]) -> float:
    """The share of the term pairs of ``weights`` (term -> idf) that one of ``sentences`` holds both of, each
    pair weighted by the lower idf of its two terms; 0 for a question of fewer than two terms."""
    total = held = 0.0
    for a, b in combinations(sorted(weights), 2):
        weight = min(weights[a], weights[b])
        total += weight
        if any(a in terms and b in terms for terms in sentences):
            held += weight
    return held / total if total else 0.0


def adjacent_pairs(terms: Sequence[str]) -> frozenset[frozenset[str]]:
    """The pairs of different terms that stand next to each other (either way round)."""
    return frozenset(frozenset(pair) for pair in pairwise(terms) if pair[0] != pair[1])


@lru_cache(maxsize=4096)
def _passage_pairs(text: str) -> frozenset[frozenset[str]]:
    return adjacent_pairs([term for _, term in _terms(text)])


def bigram_share(wanted: dict[frozenset[str], float], passage: Passage) -> float:
    """The share of ``wanted`` (adjacent question term pairs -> weight) that stand adjacent in the passage."""
    total = sum(wanted.values())
    if not total:
        return 0.0
    held = _passage_pairs(passage.text)
    return sum(w for pair, w in wanted.items() if pair in held) / total


def reorder(
    ranked: list[Ranked], passages: list[Passage], question: str, idf: Callable[[str], float], weight: float,
    bigram: float = 0.0,
) -> tuple[list[Ranked], list[Passage]]:  # fmt: skip
    """The ranked passages with the first ``RERANKED`` ordered by fused score plus ``weight`` times the pair
    share and ``bigram`` times the bigram share (each ``Ranked.score`` then says so); the rest as they were."""
    terms = tokenize(question)
    weights = {term: idf(term) * share for term, share in query_weights(question).items()}
    if (weight <= 0 and bigram <= 0) or len(weights) < 2 or len(ranked) < 2:
        return ranked, passages
    wanted = {pair: min(weights[t] for t in pair) for pair in adjacent_pairs(terms)}
    head = [
        (replace(r, score=r.score + weight * pair_share(weights, sentence_terms(p)) + bigram * bigram_share(wanted, p)),
         p)
        for r, p in zip(ranked[:RERANKED], passages[:RERANKED], strict=True)
    ]  # fmt: skip
    head.sort(key=lambda pair: (-pair[0].score, pair[0].row))
    return [r for r, _ in head] + ranked[RERANKED:], [p for _, p in head] + passages[RERANKED:]
