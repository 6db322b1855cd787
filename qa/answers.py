"""From a question to an ``Answer``: the query to run in its conversation, then the hits found, each with its
answer sentence and support, and whether the documents answer (the parts of ``Engine.ask`` after searching)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from qa import conversation, highlight
from qa.abstain import Model
from qa.embedder import Embedder
from qa.errors import QuestionError
from qa.lexical import tokenize
from qa.named import NamedDocuments
from qa.search import Ranked, SearchParams
from qa.stores.base import Index
from qa.types import Answer, Hit, Passage, Span

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Asked:
    """A question ready to search: as asked, the query to run, the words history added, the parameters."""

    question: str
    searched: str
    carried: tuple[str, ...]
    params: SearchParams
    named: bool = False  # its preferred documents are those it names, not its conversation's


def prepare(
    snapshot: Index,
    embedder: Embedder,
    question: str,
    history: Sequence[str],
    params: SearchParams,
    named: NamedDocuments | None = None,
) -> Asked:
    """The question cleaned, and the query to run for it in its conversation. A question that does not refer back
    prefers the documents it names by file name (``named``); one that refers back, those its conversation is in."""
    cleaned = " ".join(question.split())[:MAX_QUESTION_CHARS]
    if not cleaned:
        raise QuestionError("the question is empty: type a question about the documents")
    earlier = [h for h in history if h.strip()][-conversation.LOOK_BACK :]
    if not earlier or not conversation.refers_back(cleaned):
        prefer = named.of(cleaned) if named is not None else frozenset()
        prefer = prefer & params.within if params.within else prefer  # never a document the asker may not read
        return Asked(question, cleaned, (), replace(params, prefer=prefer) if prefer else params, named=bool(prefer))
    prefer = conversation.documents_of(snapshot, earlier, embedder.embed_queries(earlier), params)
    resolved = conversation.resolve(cleaned, earlier, partial(conversation.salience, snapshot, contents=prefer))
    return Asked(question, resolved.query, resolved.carried, replace(params, prefer=prefer))


# passages ranked beyond those shown, so that a repeat dropped by ``distinct`` leaves the answer as long
SPARE = 5


def distinct(ranked: list[Ranked], passages: list[Passage]) -> tuple[list[Ranked], list[Passage]]:
    """The ranked passages without those whose text an earlier one of the same source already quotes.

    A document can set the same paragraph more than once (microtype's manual sets one paragraph four times to show
    its settings; a report repeats a note): one answer quoting it three times shows the reader nothing new. The
    same text from another document stays, as its citation differs.
    """
    seen: set[tuple[str, str]] = set()
    kept = []
    for r, passage in zip(ranked, passages, strict=True):
        key = (passage.source, passage.text)
        if key not in seen:
            seen.add(key)
            kept.append((r, passage))
    return [r for r, _ in kept], [p for _, p in kept]


def make_hits(
    snapshot: Index, asked: Asked, ranked: list[Ranked], passages: list[Passage], model: Model, background: float
) -> tuple[Hit, ...]:
    """The ranked rows (``passages``: theirs) as hits: the passage, its answer sentence, and its support."""
    terms = set(tokenize(asked.searched))
    coverage = snapshot.coverage(terms, [r.row for r in ranked])
    return tuple(
        Hit(
            rank=i + 1,
            passage=passage,
            score=r.score,
            highlight=_highlight(passage, r.sentence_cosines, terms, snapshot.term_idf),
            dense=r.dense,
            lexical=r.lexical,
            sentence=r.sentence_score,
            support=model.support(
                max(r.sentence_score, r.dense), *covered, background=background
            ),
        )
        for i, (r, passage, covered) in enumerate(zip(ranked, passages, coverage, strict=True))
    )


def supported(asked: Asked, hits: tuple[Hit, ...]) -> bool:
    """Whether the best passage's support reaches the threshold."""
    return max((h.support for h in hits), default=0.0) >= asked.params.threshold


def answer_of(
    snapshot: Index, asked: Asked, hits: tuple[Hit, ...], timings: dict[str, float], missing: str | None = None
) -> Answer:
    """The answer: answered when the best passage's support reaches the threshold and no word of the question is
    ``missing`` from what was found (``qa.unaddressed``)."""
    support = max((h.support for h in hits), default=0.0)
    threshold = asked.params.threshold
    return Answer(
        asked.question, supported(asked, hits) and missing is None, hits, support=support, threshold=threshold,
        searched=asked.searched, carried=asked.carried, timings=timings, named=asked.named, missing=missing,
        preferred=tuple(sorted(snapshot.contents[c].source for c in asked.params.prefer)),
    )  # fmt: skip


def _highlight(
    passage: Passage, cosines: tuple[float, ...], terms: set[str], idf: Callable[[str], float]
) -> Span | None:
    """The span of the passage's answer sentence (or two sentences, when the answer may run across them)."""
    sentences = passage.sentences
    if not sentences or len(cosines) != len(sentences):
        return None
    texts = [passage.text[s.start - passage.start : s.end - passage.start] for s in sentences]
    first, last = highlight.choose(cosines, texts, terms, idf)
    return Span(sentences[first].start, sentences[last].end)


