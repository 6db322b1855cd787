"""The answer sentence of a passage: the one closest to the question in meaning and in words.

Chosen among the passage's sentences by their cosine with the question plus ``OVERLAP_WEIGHT`` times the share
of the question's terms (weighted by idf, as BM25 weighs them) that the sentence holds. When the sentence next
to the best scores within ``NEIGHBOUR_MARGIN`` of it, both are highlighted: the answer may run across them.
Chosen on ../shared/eval/followups (standalone questions; docs/EVALUATION.md): highlight@1 0.611 with the
cosine alone, 0.703 with these values; checked on tatqa_dev, which they were not chosen on: 0.617 to 0.680.
Two sentences are highlighted for about one top passage in six.

The sentence after the best one joins it within the wider ``NEXT_MARGIN``: in manuals and papers the sentence
that restates the question's setting comes first and the answer follows it ("... cannot put an epigraph on a
part page." / "This is because the part command ..."). Measured on the top passages of each set (docs/
EVALUATION.md): highlight@1 realpdf_dev 0.483 -> 0.517, realpdf_extra 0.571 -> 0.607, tatqa_dev 0.696 -> 0.701,
pdf_tatqa 0.690 -> 0.696, followups 0.687 -> 0.688; two sentences for about one top passage in five.

A best sentence that only restates the question (under ``RESTATING`` of its terms are not the question's: "One
can then set XSL parameter values directly from the command line.") says nothing the asker did not know; the
answer stands beside it ("The dblatex option -P param=value is added."), so either neighbour joins it within
``RESTATING_MARGIN``. Measured on the top passages of six sets (docs/EVALUATION.md, "Logos, bold faces, ..."):
answers found realpdf_dev 31 -> 33 of 40, tatqa_dev 274 -> 276 of 294, pdf_tatqa 272 -> 273 of 287, the others
unchanged; two sentences for 14-22% of top passages before, 19-28% after.

The sentence after the best one also joins it, within ``ANAPHOR_MARGIN``, when it opens with a word that points
back ("To improve the spatial coherence one has to sacrifice the temporal coherence ..." / "It can be done by using
an array of spheres ..."): what "it" does is often the answer. Measured the same way: realpdf_dev 34 -> 35 of
42, realpdf_extra 17 -> 19 of 21, tatqa_dev 277 -> 278 of 295, followups 860 -> 862 of 935, pdf_tatqa and the
article unchanged; two sentences for 20-48% of top passages (19-29% before), most of them on the real PDFs.

And it joins, within ``COMPLETING_MARGIN``, when it holds question terms the best sentence lacks (at least
``COMPLETING`` of the question's idf weight): the best sentence names the setting, the next one the rest of what
was asked ("Basic support for Chinese, Japanese, and Korean (CJK) languages." / "The CJK package must be
installed, as well as the cyberbit fonts, ..." for "What do I need installed for ..."). Measured on every set's
top passages (docs/EVALUATION.md, "The sentence that holds the rest of the question").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from qa.lexical import tokenize

OVERLAP_WEIGHT = 0.2
NEIGHBOUR_MARGIN = 0.07
NEXT_MARGIN = 0.10  # for the sentence after the best (0.13 to 0.2 measured: more pairs, little more found)
RESTATING = 0.3  # share of a sentence's terms not in the question under which it restates it (0.25: none found)
RESTATING_MARGIN = 0.3  # for either neighbour of a restating best sentence (0.2: fewer found; 0.4+: more pairs)
ANAPHOR_MARGIN = 0.5  # for the sentence after the best that points back (0.3: one fewer found; 1.0: the same)
COMPLETING = 0.1  # idf-weighted share of the question's terms that the next sentence adds (0.05: as many, more pairs)
COMPLETING_MARGIN = 0.3  # for that sentence (0.2: fewer found; 0.5: the same, more pairs)
_POINTS_BACK = re.compile(r"\W*(?:it|this|these|they|that|those|such)\b", re.IGNORECASE)


def term_overlap(question_terms: set[str], sentence: str, idf: Callable[[str], float]) -> float:
    """The idf-weighted share of the question's terms that ``sentence`` holds (0 to 1)."""
    return _weighted_share(question_terms, set(tokenize(sentence)), idf)


def novelty(question_terms: set[str], sentence: str) -> float:
    """The share of the sentence's (distinct) terms that are not the question's; 0 for a sentence of none."""
    return _novelty(question_terms, set(tokenize(sentence)))


def _weighted_share(question_terms: set[str], held: set[str], idf: Callable[[str], float]) -> float:
    total = sum(idf(t) for t in question_terms)
    return sum(idf(t) for t in question_terms & held) / total if total > 0 else 0.0


def _novelty(question_terms: set[str], held: set[str]) -> float:
    return len(held - question_terms) / len(held) if held else 0.0


def choose(
    cosines: Sequence[float], sentences: Sequence[str], question_terms: set[str], idf: Callable[[str], float]
) -> tuple[int, int]:
    """The first and last index of the sentences to highlight (equal for one sentence)."""
    held = [set(tokenize(s)) for s in sentences]  # each sentence's terms, once
    pairs = zip(cosines, held, strict=True)
    scores = [c + OVERLAP_WEIGHT * _weighted_share(question_terms, terms, idf) for c, terms in pairs]
    best = max(range(len(scores)), key=scores.__getitem__)
    margins = {best - 1: NEIGHBOUR_MARGIN, best + 1: NEXT_MARGIN}
    if _novelty(question_terms, held[best]) < RESTATING:
        margins = {best - 1: RESTATING_MARGIN, best + 1: RESTATING_MARGIN}
    elif best + 1 < len(sentences) and _POINTS_BACK.match(sentences[best + 1]):
        margins[best + 1] = ANAPHOR_MARGIN
    # the sentence after that holds question terms the best lacks (COMPLETING of the question's idf weight)
    added = held[best + 1] - held[best] if best + 1 < len(held) else set()
    if _weighted_share(question_terms, added, idf) >= COMPLETING:
        margins[best + 1] = max(margins[best + 1], COMPLETING_MARGIN)
    close = [i for i, margin in margins.items() if 0 <= i < len(scores) and scores[i] >= scores[best] - margin]
    if close:
        other = max(close, key=scores.__getitem__)
        return min(best, other), max(best, other)
    return best, best
