"""Unit tests of the pure logic: each checks a computation against a hand-made or known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qa import highlight
from qa.abstain import MINILM, MPNET, Model, fit, model_for
from qa.calibrate import Measured, choose_cutoff, rates
from qa.fusion import blend, minmax, rrf
from qa.lexical import COMMON_WEIGHT, PAGE_K1, PAGE_WEIGHT, Lexical, _bm25_weights, query_weights, terms_at, tokenize
from qa.named import NamedDocuments
from qa.passage_rows import lexical_text, name_words
from qa.passages import PassageTable
from qa.proximity import adjacent_pairs, bigram_share, pair_share, reorder
from qa.render import answer_to_dict, searched_with
from qa.render_html import escape_text
from qa.search import Ranked
from qa.types import Answer, Passage, Span


def test_minmax_and_blend() -> None:
    assert minmax(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]
    assert minmax(np.array([5.0, 5.0])).tolist() == [0.0, 0.0]
    mixed = blend(np.array([0.0, 1.0]), np.array([10.0, 0.0]), alpha=0.25)
    assert mixed.tolist() == pytest.approx([0.75, 0.25])


def test_rrf_sums_reciprocal_ranks() -> None:
    fused = rrf(np.array([0.9, 0.1, 0.5]), np.array([1.0, 3.0, 2.0]), k=60)
    # dense ranks 1, 3, 2; lexical ranks 3, 1, 2
    expected = [1 / 61 + 1 / 63, 1 / 63 + 1 / 61, 1 / 62 + 1 / 62]
    assert fused.tolist() == pytest.approx(expected)


def test_bm25_matches_a_hand_computed_score() -> None:
    texts = ["apple apple pie", "banana split", "apple tart with cream"]
    lexical = Lexical.build(texts)
    scores = lexical.scores("apple")
    # Lucene idf: log(1 + (N - df + 0.5) / (df + 0.5)); N = 3, df = 2
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    lengths = [len(tokenize(t)) for t in texts]  # stop words dropped: "with" goes
    avg = sum(lengths) / 3

    def bm25(tf: int, length: int) -> float:  # a passage's saturation k1 = 0.8, b = 0.75
        return idf * tf * 1.8 / (tf + 0.8 * (1 - 0.75 + 0.75 * length / avg))

    assert scores.tolist() == pytest.approx([bm25(2, lengths[0]), 0.0, bm25(1, lengths[2])], rel=1e-5)


def test_a_passage_scores_its_own_bm25_plus_its_pages() -> None:
    texts = ["dvips paper size", "the -t letter option", "fonts and encodings", "the -t letter option"]
    pages = np.array([0, 0, 1, 1])  # the second and fourth passages say the same; only the second's page has "dvips"
    alone, with_pages = Lexical.build(texts), Lexical.build(texts, pages=pages)
    question = "dvips letter option"
    assert alone.scores(question)[1] == pytest.approx(alone.scores(question)[3])
    page_bm25 = _page_bm25(["dvips paper size the -t letter option", "fonts and encodings the -t letter option"])
    expected = alone.scores(question) + PAGE_WEIGHT * page_bm25.scores(question)[pages]
    assert with_pages.scores(question) == pytest.approx(expected, rel=1e-5)
    assert with_pages.scores(question)[1] > with_pages.scores(question)[3]
    # a page's rows need not be one run (an index updated in place): each row still gets its own page's score
    mixed = np.array([0, 1, 1, 0])
    page_bm25 = _page_bm25(["dvips paper size the -t letter option", "the -t letter option fonts and encodings"])
    expected = alone.scores(question) + PAGE_WEIGHT * page_bm25.scores(question)[mixed]
    assert Lexical.build(texts, pages=mixed).scores(question) == pytest.approx(expected, rel=1e-5)


def test_a_word_common_in_any_english_text_weighs_part_of_its_idf() -> None:
    # "go" is rare in a manual, so its idf is high; the question's "go" says nothing of the topic
    assert query_weights("Should table captions go above tables? Table captions!") == {
        "tabl": 1.0, "caption": 1.0, "go": COMMON_WEIGHT}  # fmt: skip
    # a term that a common word and an uncommon one both give ("work", "works") weighs as the common one
    assert query_weights("works work")["work"] == COMMON_WEIGHT
    texts = ["figure captions go below figures", "table captions are placed above", "fonts and sizes", "table of fonts"]
    lexical = Lexical.build(texts)
    full_go = lexical.weights[lexical.term_ids["go"]].toarray().ravel()  # "go"'s BM25 at its whole idf
    assert lexical.scores("go") == pytest.approx(COMMON_WEIGHT * full_go, rel=1e-5)
    question = "Should table captions go above or below the table?"
    assert lexical.scores(question) == pytest.approx(lexical.scores("table captions") + lexical.scores("go"), rel=1e-5)
    assert np.argmax(lexical.scores(question)) == 1  # at its whole idf, "go" chose the figure's passage
    assert np.argmax(lexical.scores("table captions") + full_go) == 0


def test_a_typographic_apostrophe_is_the_typewriters() -> None:
    # PDFs write "doesn’t", questions "doesn't": both are the stop words they contract, not "doesn" + "t" or a term
    # no passage holds; a possessive is its word either way
    assert tokenize("Why doesn't it work? It doesn’t, it’s, we've, can't") == tokenize("work") == ["work"]
    assert tokenize("TUGboat’s guide") == tokenize("TUGboat's guide") == tokenize("TUGboat guide")
    assert tokenize("the o’clock race was won") == tokenize("the o'clock race was won")
    text = "It doesn’t wrap: TUGboat’s lines"
    assert [term for _, term in terms_at(text)] == tokenize(text)
    assert [text[at : at + 4] for at, _ in terms_at(text)] == ["wrap", "TUGb", "line"]


def _page_bm25(pages: list[str]) -> Lexical:
    """Pages scored as passages are, but with a page's saturation (``PAGE_K1``)."""
    passages = Lexical.build(pages)
    passages.weights = _bm25_weights(passages.counts, PAGE_K1)[0]
    return passages


def test_coverage_weighs_question_terms_by_idf() -> None:
    lexical = Lexical.build(["the budget rose", "the budget fell sharply", "rain fell"])
    # "fallen" is not "fell": not held
    held, known = lexical.coverage(set(tokenize("Has the budget fallen sharply?")), 1)
    fallen, budget, sharply = (lexical.term_idf(t) for t in tokenize("fallen budget sharply"))
    assert held == pytest.approx((budget + sharply) / (fallen + budget + sharply)) and known == held
    held, known = lexical.coverage(set(tokenize("budget of the giraffe")), 2)
    giraffe = lexical.unseen_idf()
    assert held == 0.0 and known == pytest.approx(budget / (budget + giraffe))


def test_passage_table_take_and_concat_keep_sentences_with_their_passages() -> None:
    table = PassageTable(
        content=np.array([0, 0, 1]), start=np.array([0, 10, 0]), end=np.array([9, 30, 5]),
        line=np.array([1, 2, 1]), page=np.array([0, 0, 0]), heading=np.array([-1, -1, 0]),
        sentence_ptr=np.array([0, 1, 3, 4]), sentence_start=np.array([0, 10, 20, 0]),
        sentence_end=np.array([9, 19, 30, 5]),
    )  # fmt: skip
    taken = table.take(np.array([1, 2]))
    assert taken.sentences(0) == (Span(10, 19), Span(20, 30)) and taken.sentences(1) == (Span(0, 5),)
    both = PassageTable.concat([table, taken])
    assert len(both) == 5 and both.sentences(3) == (Span(10, 19), Span(20, 30))
    assert table.sentence_index(np.array([2, 0])).tolist() == [3, 0]


def test_logistic_fit_recovers_a_known_model() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(4000, 3))
    truth = Model((6.0, -2.0, 1.0), -2.0)
    p = np.array([truth.support(*row) for row in x])
    y = (rng.uniform(size=len(p)) < p).astype(float)
    model = fit(x, y, np.ones(len(y)))
    assert model.coefficients == pytest.approx(truth.coefficients, abs=0.6)
    assert model.intercept == pytest.approx(truth.intercept, abs=0.5)


def test_each_embedding_model_is_judged_by_its_own_calibration(make_engine) -> None:
    assert model_for("all-MiniLM-L6-v2") is MINILM and model_for("all-mpnet-base-v2") is MPNET
    assert model_for("a-model-of-my-own") is MINILM  # not calibrated here: MiniLM's, until `qa calibrate` is run
    engine = make_engine()
    assert engine.model is MINILM and engine.search_params().threshold == MINILM.cutoff
    assert make_engine(threshold=0.9).search_params().threshold == 0.9  # VERBATIM_THRESHOLD still decides


def test_cutoff_keeps_the_share_of_answerable_questions_in_every_set() -> None:
    model = Model((10.0, 0.0, 0.0), -5.0)  # support from the evidence alone

    def measured(evidence_yes: list[float], evidence_no: list[float]) -> Measured:
        rows = [np.array([[e, 0.0, 0.0]]) for e in evidence_yes + evidence_no]
        return Measured([1] * len(evidence_yes) + [0] * len(evidence_no), rows)

    sets = {"a": measured([0.6, 0.7, 0.8, 0.9], [0.1]), "b": measured([0.55, 0.9], [0.2, 0.5])}
    cutoff = choose_cutoff(model, sets, keep=1.0)
    assert cutoff == pytest.approx(model.support(0.55, 0, 0))
    chosen = Model(model.coefficients, model.intercept, cutoff)
    assert rates(chosen, sets["b"])["answered_rate"] == 1.0 and rates(chosen, sets["b"])["abstention"] == 1.0


def test_highlight_prefers_the_sentence_holding_the_question_words() -> None:
    sentences = ["The match was played in spring.", "Denver won the Super Bowl in 2016.", "It rained."]
    terms = set(tokenize("Who won the Super Bowl?"))
    # by cosine alone the first sentence would win; the overlap of "won", "super", "bowl" decides
    first, last = highlight.choose([0.52, 0.45, 0.1], sentences, terms, lambda term: 1.0)
    assert (first, last) == (1, 1)
    first, last = highlight.choose([0.50, 0.48, 0.1], ["x y", "z w", "v"], terms, lambda term: 1.0)
    assert (first, last) == (0, 1)  # a neighbour within the margin joins the highlight


def test_a_best_sentence_that_only_restates_the_question_takes_its_neighbour_in() -> None:
    # dblatex-relnotes.pdf: the sentence closest to the question is the question's own words; the answer is
    # the sentence before it, which by cosine and terms stays out of the usual margin (0.26 behind)
    sentences = [
        "The dblatex option -P param=value is added.",
        "One can then set XSL parameter values directly from the command line.",
        "This is an alternative to the -p custom.xsl option.",
    ]
    terms = set(tokenize("How can I set an XSL parameter directly from the dblatex command line?"))
    assert highlight.novelty(terms, sentences[1]) < highlight.RESTATING <= highlight.novelty(terms, sentences[0])
    assert highlight.choose([0.50, 0.62, 0.30], sentences, terms, lambda term: 1.0) == (0, 1)
    # a best sentence that says more than the question does stays alone at the same distance
    said = ["The dblatex option -P param=value is added.", "Set an XSL parameter with -P, from version 0.2.9 on."]
    assert highlight.novelty(terms, said[1]) >= highlight.RESTATING
    assert highlight.choose([0.50, 0.62], said, terms, lambda term: 1.0) == (1, 1)


def test_the_sentence_after_the_best_joins_it_when_it_points_back() -> None:
    # elsarticle-5p.pdf: the question's words are in the first sentence, what "it" is done by in the second
    sentences = [
        "To improve the spatial coherence one has to sacrifice the temporal coherence by delocalizing the WGM.",
        "It can be done by using an array of spheres aligned along the z direction.",
    ]
    terms = set(tokenize("How can the spatial coherence be improved at the cost of some temporal coherence?"))
    assert highlight.novelty(terms, sentences[0]) >= highlight.RESTATING  # not a restatement
    assert highlight.choose([0.70, 0.40], sentences, terms, lambda term: 1.0) == (0, 1)
    # the same distance without the word pointing back: the best sentence alone
    plain = [sentences[0], "An array of spheres aligned along the z direction can be used."]
    assert highlight.choose([0.70, 0.40], plain, terms, lambda term: 1.0) == (0, 0)


def test_the_sentence_after_the_best_joins_it_when_it_holds_the_rest_of_the_question() -> None:
    # dblatex-relnotes.pdf: the best sentence names the languages; what must be installed is in the next one
    sentences = [
        "Basic support for Chinese, Japanese, and Korean (CJK) languages.",
        "The CJK package must be installed, as well as the cyberbit fonts, to have this feature available.",
    ]
    terms = set(tokenize("What do I need installed for Chinese, Japanese and Korean support in dblatex?"))
    assert highlight.novelty(terms, sentences[0]) >= highlight.RESTATING  # not a restatement
    assert not highlight._POINTS_BACK.match(sentences[1])
    assert highlight.choose([0.70, 0.50], sentences, terms, lambda term: 1.0) == (0, 1)
    # a next sentence that adds none of the question's terms stays out at the same distance
    other = [sentences[0], "The CJK package and the cyberbit fonts are on CTAN."]
    assert highlight.choose([0.70, 0.50], other, terms, lambda term: 1.0) == (0, 0)


def test_the_words_of_a_file_name_that_can_name_its_subject() -> None:
    assert name_words("/docs/ieeepes.pdf") == "ieeepes"
    assert name_words("tugboat-guide.pdf") == "tugboat guide"
    assert name_words("elsarticle-5p.pdf") == "elsarticle"  # a version or serial number names nothing
    assert name_words("report_001e29d7.txt") == "report" and name_words("2019.pdf") == ""
    assert lexical_text("", "text") == "text" and lexical_text("ieeepes", "text") == "ieeepes\ntext"


def test_escaping_leaves_no_markup() -> None:
    escaped = escape_text('<script>alert("x")</script> **bold** [a](b)\nnext')
    assert "<" not in escaped.replace("<br>", "") and "*" not in escaped and "[" not in escaped
    assert escaped.endswith("<br>next")


def test_conversation_carries_salient_words_only_when_the_question_refers_back() -> None:
    from qa import conversation

    weights = {"super": 3.0, "bowl": 3.0, "won": 0.5, "halftim": 1.2}
    weigh = lambda term: weights.get(term, 0.0)  # noqa: E731
    earlier = ["Who won Super Bowl 50 and the halftime show?"]
    resolved = conversation.resolve("Who was its MVP?", earlier, weigh)
    assert resolved.carried == ("Super", "Bowl") and resolved.query == "Who was its MVP? Super Bowl"
    assert conversation.resolve("Who was the MVP of Super Bowl 50?", earlier, weigh).carried == ()
    assert conversation.resolve("Who was its MVP?", [], weigh).query == "Who was its MVP?"
    assert conversation.refers_back("What did she recommend?") and not conversation.refers_back("What is that?")


def _passage(text: str, sentences: list[str], row: int) -> Passage:
    spans, at = [], 0
    for sentence in sentences:
        at = text.index(sentence, at)
        spans.append(Span(at, at + len(sentence)))
    return Passage(row, "doc.txt", 0, len(text), text, 1, None, None, tuple(spans))


def test_pair_share_counts_term_pairs_held_in_one_sentence_weighted_by_the_rarer_term() -> None:
    weights = {"tabl": 2.0, "caption": 1.0, "abov": 4.0}
    together = [{"tabl", "caption", "abov"}]
    assert pair_share(weights, together) == 1.0
    # tabl+caption in one sentence (weight 1), abov alone: 1 of 1 + 2 + 1
    assert pair_share(weights, [{"tabl", "caption"}, {"abov"}]) == pytest.approx(1 / 4)
    assert pair_share({"tabl": 2.0}, together) == 0.0  # one term makes no pair


def test_proximity_orders_the_passage_holding_the_terms_together_first() -> None:
    apart = "Table captions are set in bold. The text goes above the figure."
    together = "Table captions should be placed above tables. The class loads booktabs."
    first = _passage(apart, ["Table captions are set in bold.", "The text goes above the figure."], 0)
    second = _passage(together, ["Table captions should be placed above tables.", "The class loads booktabs."], 1)
    ranked = [Ranked(0, 0.95, 0.5, 10.0, 0, 0.5), Ranked(1, 0.93, 0.5, 9.0, 0, 0.5)]
    question = "Where are table captions placed?"
    idf = {t: 1.0 for t in tokenize(question)}.__getitem__
    ordered, passages = reorder(ranked, [first, second], question, idf, weight=0.1)
    assert [r.row for r in ordered] == [1, 0] and [p.id for p in passages] == [1, 0]
    assert ordered[0].score == pytest.approx(0.93 + 0.1)  # every pair in its first sentence
    unchanged, _ = reorder(ranked, [first, second], question, idf, weight=0.0)
    assert unchanged == ranked


def test_a_phrase_the_question_says_orders_the_passage_that_says_it_first() -> None:
    # asmeconf.pdf: "Figure captions go below figures ... (and tables)" over "Table captions should be placed above"
    figures = "Figure captions go below figures. The text in figures (and tables) is no smaller than 6 point type."
    tables = "Table captions should be placed above tables. The class loads the booktabs package."
    first = _passage(figures, [figures], 0)
    second = _passage(tables, [tables], 1)
    ranked = [Ranked(0, 0.95, 0.5, 10.0, 0, 0.5), Ranked(1, 0.93, 0.5, 9.0, 0, 0.5)]
    question = "Should table captions go above or below the table?"
    terms = tokenize(question)
    assert terms == ["tabl", "caption", "go", "tabl"]  # "above", "below" and "or" are stop words
    idf = {"tabl": 2.0, "caption": 2.0, "go": 1.0}.__getitem__
    weighed = {"tabl": 2.0, "caption": 2.0, "go": 0.5}.__getitem__  # "go", a common word, weighs half its idf
    wanted = {pair: min(weighed(t) for t in pair) for pair in adjacent_pairs(terms)}  # a pair weighs its commoner term
    assert bigram_share(wanted, second) == pytest.approx(2 / 3)  # "Table captions"
    assert bigram_share(wanted, first) == pytest.approx(0.5 / 3)  # "captions go"
    ordered, _ = reorder(ranked, [first, second], question, idf, weight=0.0, bigram=0.5)
    assert [r.row for r in ordered] == [1, 0]
    assert ordered[0].score == pytest.approx(0.93 + 0.5 * 2 / 3)


class _Content:
    def __init__(self, source: str) -> None:
        self.source = source
        self.passages = 10


class _Snapshot:
    """The parts of an index ``NamedDocuments`` reads: its texts with their ids, and how many passages hold a term
    (each of a document's own, where BM25 reads its name, and ``elsewhere`` of other documents)."""

    def __init__(self, *sources: str, elsewhere: dict[str, int] | None = None) -> None:
        self.items = [(10 + i, _Content(s)) for i, s in enumerate(sources)]
        self.elsewhere = elsewhere or {}

    def content_items(self) -> list[tuple[int, _Content]]:
        return self.items

    def passages_holding(self, terms: list[str]) -> dict[str, int]:
        own = {t: sum(c.passages for _, c in self.items if t in tokenize(name_words(c.source))) for t in terms}
        return {t: own[t] + self.elsewhere.get(t, 0) for t in terms}


def test_a_question_names_the_documents_whose_file_name_holds_one_of_its_words() -> None:
    named = NamedDocuments(_Snapshot("/d/ieeepes.pdf", "/d/asmeconf.pdf", "/d/tugboat-guide.pdf", "/d/usrguide.pdf",
                                     "/d/report_2019.txt", "/d/report_2020.txt", "/d/report-annual.txt",
                                     "/d/elsarticle-5p.pdf", "/d/Force.txt", "/d/Yuan_dynasty.txt",
                                     elsewhere={"forc": 40, "dynasti": 11, "yuan": 3}))  # fmt: skip
    assert named.of("How do I get US letter output with the IEEE PES class?") == {10}  # two words joined
    assert named.of("Which options does ieeepes take?") == {10}
    assert named.of("the asmeconf and elsarticle page limits") == {11, 17}
    assert named.of("What does the TUGboat guide say about fonts?") == {12}  # "usrguide" is one word
    assert named.of("What is in the report?") == frozenset()  # a word of three names in ten names none
    assert named.of("How tall is the lighthouse?") == frozenset()
    assert named.of("Which forces won?") == frozenset()  # most passages with "forces" are other documents'
    assert named.of("Which dynasty came next?") == frozenset()  # 10 of its 21 passages are Yuan_dynasty's
    assert named.of("What dynasty ruled after the Yuan?") == {19}  # 10 of 13
    assert NamedDocuments(_Snapshot("/d/ieeepes.pdf")).of("ieeepes") == frozenset()  # one document: nothing to prefer


def test_the_reader_is_told_why_the_search_preferred_documents() -> None:
    asked = Answer("q", True, (), preferred=("/d/ieeepes.pdf",), named=True)
    assert searched_with(asked) == "(searched mainly in: ieeepes.pdf, which the question names)"
    followed = Answer("q", True, (), carried=("lighthouse",), preferred=("/d/lighthouse.txt",))
    told = "(searched with: lighthouse; mainly in: lighthouse.txt, from your earlier question)"
    assert searched_with(followed) == told
    assert (answer_to_dict(asked)["preferred"], answer_to_dict(asked)["preferred_by"]) == (["/d/ieeepes.pdf"], "name")
    assert answer_to_dict(followed)["preferred_by"] == "conversation"
    assert answer_to_dict(Answer("q", True, ()))["preferred_by"] is None
    assert searched_with(Answer("q", True, ())) == ""
