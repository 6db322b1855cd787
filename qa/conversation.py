"""Follow-up questions without generating text: what an earlier question adds to the one asked now.

A question that names its own subject is searched as it is, whatever came before (a change of subject must not
be pulled back). A question that refers back ("Who was its MVP?", "What did she recommend?") is searched

- in the documents the earlier questions were answered from, preferred (a bonus on the fused score), and
- with the earlier questions' words that say what those documents are about (the most *salient*: held by many of
  their passages and few others), added to the query and shown to the reader ("searched with: ...").

Measured on ../shared/eval/followups (docs/EVALUATION.md): the documents alone lift follow-up hit@1 from 0.664
to 0.74-0.76; adding the earlier question's rarest words instead *lowered* it (0.52: they pull towards the earlier
question's own answer); the salient words bring it to 0.773, the standalone questions' level.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa.lexical import tokenize
from qa.search import SearchParams, rank
from qa.stores.base import Index
from qa.words import STOPWORDS

# Words that stand for something named before. "that", "this", "there" are left out: far more often they are
# a conjunction, a determiner or a place word than a reference back.
REFERRING = frozenset(
    {
        *("it", "its", "itself", "they", "them", "their", "theirs", "themselves"),
        *("he", "him", "his", "himself", "she", "her", "hers", "herself"),
    }
)
CARRIED_WORDS = 3  # at most this many words of the latest earlier question are added
DECAY = 0.5  # each question further back adds half as many
MIN_WEIGHT = 1.0  # a word must be this salient (share of the documents' passages holding it x idf) to carry
RELATIVE = 0.8  # and nearly as salient as the most salient: "Super Bowl", not "Super Bowl halftime show"
PREFERRED_PASSAGES = 3  # the documents of an earlier question's best 3 passages are preferred
LOOK_BACK = 3  # earlier questions considered
_WORD = re.compile(r"[^\W_]+(?:[-'\u2019][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Resolved:
    """The query to run for a question in a conversation, and what history added to it."""

    query: str
    carried: tuple[str, ...] = ()  # the words added from earlier questions, as they were written


def refers_back(question: str) -> bool:
    """Whether the question points at something named before (a pronoun such as it, they, her)."""
    return any(word.lower() in REFERRING for word in _WORD.findall(question))


def resolve(question: str, history: Sequence[str], weigh: Callable[[str], float]) -> Resolved:
    """The query for ``question`` after ``history`` (oldest first).

    ``weigh(term)`` says how much a (tokenized) term of an earlier question tells what the conversation is
    about; terms weighing ``MIN_WEIGHT`` or less are never carried.
    """
    if not history or not refers_back(question):
        return Resolved(question)
    have = set(tokenize(question))
    carried: list[str] = []
    for distance, earlier in enumerate(reversed(history)):
        room = int(CARRIED_WORDS * DECAY**distance)
        if room < 1:
            break
        carried += _new_words(earlier, have | set(tokenize(" ".join(carried))), weigh)[:room]
    if not carried:
        return Resolved(question)
    return Resolved(question + " " + " ".join(carried), tuple(carried))


def _new_words(earlier: str, have: set[str], weigh: Callable[[str], float]) -> list[str]:
    """The content words of an earlier question that the query lacks, weightiest first, each once."""
    seen: dict[str, tuple[float, str]] = {}
    for word in _WORD.findall(earlier):
        if word.lower() in STOPWORDS or word.lower() in REFERRING:
            continue
        terms = tokenize(word)
        if not terms or terms[0] in have or terms[0] in seen:
            continue
        seen[terms[0]] = (weigh(terms[0]), word)
    ranked = sorted(seen.values(), key=lambda pair: -pair[0])
    top = ranked[0][0] if ranked else 0.0
    return [word for weight, word in ranked if weight > MIN_WEIGHT and weight >= RELATIVE * top]


def documents_of(
    snapshot: Index, questions: Sequence[str], vectors: np.ndarray, params: SearchParams
) -> frozenset[int]:
    """The documents (content ids) that earlier questions found their best passages in."""
    plain = replace(params, prefer=frozenset())
    found = set()
    for earlier, vector in zip(questions, vectors, strict=True):
        for ranked in rank(snapshot, earlier, vector, PREFERRED_PASSAGES, plain):
            found.add(int(snapshot.content_of(np.array([ranked.row]))[0]))
    return frozenset(found)


def salience(snapshot: Index, term: str, contents: frozenset[int]) -> float:
    """How much ``term`` is what the given documents are about (``Index.salience``)."""
    return snapshot.salience(term, contents)
