"""The documents a question names by their file's name: "... with ieeepes?" asks about ieeepes.pdf.

BM25 already counts a document's name words in each of its passages (``passage_rows.lexical_text``), but there they
weigh as much as one word of the text, and a passage of another document that shares more of the question's words
still wins: on realpdf_dev "How do I balance the two columns on the last page with ieeepes?" was answered from
asmeconf.pdf's "7.2 Final Column Balancing" (0.928 against ieeepes.pdf's answer at 0.927). A document the question
names is preferred as a conversation's documents are (``SearchParams.prefer``); the reader sees it as "mainly in:
ieeepes.pdf".
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from qa.lexical import tokenize
from qa.passage_rows import name_words
from qa.stores.base import Index

MAX_NAMED_SHARE = 0.25  # a word in the names of more than a quarter of the documents ("report") names none
# A name word names its documents only when most of the passages that hold it are theirs. Without this, on the
# follow-ups set's questions stripped of their subject ("What dynasty did it plan to attack after conquering
# Western Xia?", Genghis_Khan.txt), "dynasty" named Yuan_dynasty.txt, "forces" Force.txt and "number"
# Prime_number.txt: 128 of 134 such namings were of a document that does not answer. ieeepes, tugboat, asmeconf
# and epigraph stand in no other document's passages (share 1.0).
MIN_OWN_SHARE = 0.5


class NamedDocuments:
    """The index's documents by the words of their file names, for finding those a question names."""

    def __init__(self, snapshot: Index) -> None:
        self._holders: dict[str, frozenset[int]] = {}
        contents = snapshot.content_items()
        if len(contents) < 2:
            return  # one document: nothing to prefer
        holders: dict[str, set[int]] = defaultdict(set)
        for content_id, content in contents:
            for term in _terms(name_words(content.source)):
                holders[term].add(content_id)
        limit = max(1, int(MAX_NAMED_SHARE * len(contents)))
        rare = {term: ids for term, ids in holders.items() if len(ids) <= limit}
        holding = snapshot.passages_holding(sorted(rare))  # one query on PostgreSQL
        passages = {c: content.passages for c, content in contents}
        for term, ids in rare.items():
            if _own_share(holding[term], sum(passages[c] for c in ids)) >= MIN_OWN_SHARE:
                self._holders[term] = frozenset(ids)

    def of(self, question: str) -> frozenset[int]:
        """The documents (content ids) whose file names hold a word of ``question``, or two of its words joined
        ("IEEE PES" names ieeepes.pdf)."""
        found: set[int] = set()
        for term in _terms(question):
            found |= self._holders.get(term, frozenset())
        return frozenset(found)


def _own_share(holding: int, own: int) -> float:
    """The share of the ``holding`` passages that hold a name's term that are its documents' (``own``, all their
    passages): BM25 reads a document's name in every passage of it (``passage_rows.lexical_text``), so the rest are
    other documents' that use the word. Two name words joined ("tugboatguide") are no passage's term: theirs alone."""
    return min(1.0, own / holding) if holding else 1.0


def _terms(text: str) -> list[str]:
    """The text's terms, and each two adjacent words as one, the way a file name often writes them ("IEEE PES" ->
    "ieeepes"), for a name and a question alike."""
    words = text.split()
    return tokenize(text) + ["".join(tokenize(a + b) or [""]) for a, b in pairwise(words)]
