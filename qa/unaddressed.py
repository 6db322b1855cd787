"""A word the question turns on that the documents found never speak of: on their topic, and still not answered.

In a narrow collection every question on its topic meets passages far above the background, so the support of
``qa.abstain`` is near 1 for answers and for the questions the documents leave open alike: "What is the submission
deadline for articles in the next TUGboat issue?" finds the guide's notes on submitting articles at 0.98. What sets
such a question apart is a word it turns on that nothing found speaks of. A word of the question is *unaddressed*
when

- it is not a stop word or a word common in any English text (``qa.words``), and the question, not an earlier one
  of the conversation, says it;
- the document of the best passage, a long one (``MIN_PASSAGES``), never uses it (no passage holds its term);
- each of the best ``LOOKED_AT`` passages matches the question better without the word than with it, by
  ``MARGIN`` or more, in the evidence of ``qa.abstain`` (its best sentence's or its own cosine). A passage that
  carries the word's meaning in other words ("the minimum font size" for "the smallest font size") matches the
  question better with the word.

The question and its versions without each such word are embedded in one batch: the int8 model scales its
activations per batch, so both sides of each difference share one. Measured on every shared set (docs/EVALUATION.md,
"On the topic, not answered"): realpdf_dev abstains on 5 of its 10 on-topic unanswerable questions (0 before),
realpdf_extra on 1 of its 6, and no set answers fewer than 0.95 of its answerable questions. It is a heuristic: on
two documents it was not chosen on (Debian's FAQ, debmake-doc) it caught none of 8 such questions and cost one
answer in 30, where the missing word only framed the question ("What does a Pre-Depends relationship mean?").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from qa.lexical import drop_term, query_weights, word_terms
from qa.search import evidence
from qa.stores.base import Index
from qa.types import Hit

# A word missing from a long document says more than one missing from an abstract: SciFact's abstracts (1 to 10
# passages) paraphrase its claims, and at MARGIN 31 of its 780 answered claims have a word both missing and
# unaddressed (its answered rate would fall under the 0.95 that every set keeps), 6 from abstracts of 5 passages
# or more, none at 20. The shortest realpdf document is 23 passages, the article 26, a follow-up set article 26.
MIN_PASSAGES = 20
LOOKED_AT = 3
# Midway on realpdf_dev between the answerable question that comes closest (048, "... an environment body
# captured with b?": every passage 0.039 better without "captured") and the unanswerable one (064, "the word
# limit for the abstract": 0.049 better without "limit"). 0.04 leaves 60 of the follow-up set's 3,530 answered
# questions unanswered, 0.045 43, 0.05 38 and misses realpdf_dev's 064; 0.06 20 and misses 064 too.
MARGIN = 0.045
MAX_WORDS = 8  # the rarest words tried, when a question has more that its document lacks

Embed = Callable[[list[str]], np.ndarray]


def unaddressed(snapshot: Index, embed: Embed, question: str, searched: str, hits: Sequence[Hit]) -> str | None:
    """The first word of ``question`` (as written, the rarest first) that the best hits do not speak of, or None.

    ``searched`` is the query that found ``hits`` (the question with any words its conversation added)."""
    if not hits or snapshot.contents[best_document(snapshot, hits)].passages < MIN_PASSAGES:
        return None
    return next((word for word, gain in gains(snapshot, embed, question, searched, hits) if gain >= MARGIN), None)


def gains(snapshot: Index, embed: Embed, question: str, searched: str, hits: Sequence[Hit]) -> list[tuple[str, float]]:
    """Each word of ``question`` that the best hit's document never uses (not a stop or common word), rarest
    first, with how much better every one of the best ``LOOKED_AT`` hits matches the question without it (the
    least of their gains in evidence; below 0, one of them matches better with it)."""
    if not hits:
        return []
    content = best_document(snapshot, hits)
    weights = query_weights(searched)
    words: dict[str, str] = {}
    for word, term in word_terms(question):
        if weights.get(term) == 1.0 and term not in words:
            words[term] = word
    missing = [t for t in words if snapshot.salience(t, frozenset([content])) == 0.0]
    missing = sorted(missing, key=snapshot.term_idf, reverse=True)[:MAX_WORDS]
    queries = [(t, shorter) for t in missing if (shorter := drop_term(searched, t))]
    if not queries:
        return []
    rows = np.array([hit.passage.id for hit in hits[:LOOKED_AT]], dtype=np.int64)
    vectors = embed([searched, *(q for _, q in queries)])
    with_all = evidence(snapshot, rows, vectors[0])
    return [
        (words[term], float((evidence(snapshot, rows, vector) - with_all).min()))
        for (term, _), vector in zip(queries, vectors[1:], strict=True)
    ]


def best_document(snapshot: Index, hits: Sequence[Hit]) -> int:
    """The document text of the best hit."""
    return int(snapshot.content_of(np.array([hits[0].passage.id], dtype=np.int64))[0])
