"""BM25 over passages: a term-frequency matrix kept on disk, weights computed when loaded.

Kept as counts so that an incremental update tokenizes only the new passages. A passage's score is its own BM25
plus ``PAGE_WEIGHT`` times the BM25 of the page it stands on (its passages' counts summed; a document without
pages is one page): a short passage scored alone loses the words that its heading, its neighbours and its page
carry. Measured (docs/EVALUATION.md): realpdf_dev hit@1 0.621 -> 0.672 and realpdf_extra 0.679 -> 0.714, with
tatqa_dev, followups and scifact up 0.5 to 1.4 points and pdf_tatqa within one question.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse

from qa.words import COMMON_WORDS, STOPWORDS

# term-frequency saturation of a passage's own BM25: short passages (median ~270 characters) that repeat a term,
# a code listing's "verbatim ... footnote ... footnotes", outscored the one sentence that answers; 0.8 measured
# (docs/EVALUATION.md, "BM25's saturation") against 1.2: hit@1 up on tatqa_dev, pdf_tatqa, realpdf_extra,
# followups and SciFact, realpdf_dev level; 0.7 and 0.9 within a question of it
K1 = 0.8
PAGE_K1 = 1.2  # a page's BM25 keeps Lucene's default (0.8 or 1.5 measured: no better over all sets)
B = 0.75
PAGE_WEIGHT = 1.0  # of the page's BM25 in a passage's score (0.5 and 1.5 measured: both lower over all sets)
# of its idf that a question's term weighs when a common English word gives it ("get", "go", "still", "work":
# qa.words.COMMON_WORDS); 0.35 and 0.65 measured lower over all sets (docs/EVALUATION.md, "Common words")
COMMON_WEIGHT = 0.5
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*%?|[^\W\d_]+(?:'[^\W\d_]+)?|\d*[^\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer() -> object | None:
    try:
        import Stemmer  # PyStemmer: Snowball English
    except ImportError:
        return None
    return Stemmer.Stemmer("english")


# A typographic apostrophe is the typewriter's: PDFs and Word write "doesn’t" and "TUGboat’s", questions are typed
# with "'". Split at the curly one, "doesn’t" gave the terms "doesn" and "t", and the question's "doesn't" a term no
# passage held (the rarest there is, which lowered its coverage in ``qa.abstain``).
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})
_NEGATED = frozenset(
    ["aren", "couldn", "didn", "doesn", "don", "hadn", "hasn", "haven", "isn", "mightn", "mustn", "needn", "shan",
     "shouldn", "wasn", "weren", "won", "wouldn"]
)  # fmt: skip
_ENDINGS = frozenset(("t", "s", "re", "ve", "ll", "d", "m"))


def _is_stop(word: str) -> bool:
    """A stop word, or one contracted ("doesn't", "it's", "we've"); "tugboat's" is not (the stemmer drops its 's)."""
    if word in STOPWORDS:
        return True
    head, apostrophe, tail = word.partition("'")
    return bool(apostrophe) and tail in _ENDINGS and (head in STOPWORDS or head in _NEGATED)


def tokenize(text: str) -> list[str]:
    """Lower-cased words and numbers, English stop words dropped, stemmed when PyStemmer is present."""
    words = [w for w in (m.group(0) for m in _TOKEN.finditer(text.lower().translate(_APOSTROPHES))) if not _is_stop(w)]
    stemmer = _stemmer()
    return stemmer.stemWords(words) if stemmer is not None else words  # type: ignore[attr-defined]


def word_terms(text: str) -> list[tuple[str, str]]:
    """Each word of ``text`` that gives a term, as written, with its term, in order."""
    words = [m.group(0) for m in _TOKEN.finditer(text.translate(_APOSTROPHES))]
    return [(word, terms[0]) for word in words if len(terms := tokenize(word)) == 1]


def query_weights(question: str) -> dict[str, float]:
    """The question's terms, each with the share of its idf it weighs in BM25 and term proximity: 1, or
    ``COMMON_WEIGHT`` for a term that a word common in any English text gives (``qa.words.COMMON_WORDS``)."""
    weights: dict[str, float] = {}
    for word, term in word_terms(question):
        share = COMMON_WEIGHT if word.lower() in COMMON_WORDS else 1.0
        weights[term] = min(weights.get(term, 1.0), share)
    return weights


def drop_term(text: str, term: str) -> str:
    """``text`` without the words that give ``term`` (``tokenize``'s), its spaces closed up."""
    cuts = [m.span() for m in _TOKEN.finditer(text.translate(_APOSTROPHES)) if tokenize(m.group(0)) == [term]]
    for start, end in reversed(cuts):  # the translation keeps every offset: one character for one
        text = text[:start] + text[end:]
    return " ".join(text.split())


_STEMS: dict[str, str] = {}  # word -> its stem, for ``terms_at`` (cleared past 200,000 words)


def terms_at(text: str) -> list[tuple[int, str]]:
    """``tokenize``'s terms with the offset where each starts in ``text`` (one pass over a passage gives the
    terms of each of its sentences); stems are cached."""
    found = [(m.start(), m.group(0).lower()) for m in _TOKEN.finditer(text.translate(_APOSTROPHES))]
    found = [(at, word) for at, word in found if not _is_stop(word)]
    stemmer = _stemmer()
    if stemmer is None:
        return found
    words = {word for _, word in found}
    stems = {word: stem for word in words if (stem := _STEMS.get(word)) is not None}
    new = [word for word in words if word not in stems]
    if new:
        fresh = dict(zip(new, stemmer.stemWords(new), strict=True))  # type: ignore[attr-defined]
        stems.update(fresh)
        if len(_STEMS) > 200_000:
            _STEMS.clear()
        _STEMS.update(fresh)
    return [(at, stems[word]) for at, word in found]


class Lexical:
    """Term counts per passage (rows) and the BM25 weights derived from them."""

    def __init__(
        self, counts: sparse.csr_matrix, vocab: list[str], source: Path | None = None, pages: np.ndarray | None = None
    ) -> None:
        """``pages`` gives each passage's page (``PassageTable.page_groups``); without it, passages alone."""
        self.vocab = vocab
        self.term_ids = {term: i for i, term in enumerate(vocab)}
        counts = counts.tocsr()
        self.weights, self.idf = _bm25_weights(counts)
        self.page_weights = None
        self._runs: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        if pages is not None and len(pages) == counts.shape[0] and len(pages):
            self.page_weights = _bm25_weights(summed_by(counts, pages), PAGE_K1)[0]
            # a page's passages are (mostly) one run of consecutive rows: its score is repeated over each run,
            # 4x faster than a gather at a million rows
            run_starts = np.concatenate([[0], np.flatnonzero(np.diff(pages)) + 1])
            self._runs = (pages[run_starts], np.diff(np.append(run_starts, len(pages))))
        # Counts loaded from disk are only needed again to update the index: read them back then.
        self._counts = None if source is not None else counts.tocsr()
        self._source = source

    @property
    def counts(self) -> sparse.csr_matrix:
        if self._counts is None:
            assert self._source is not None
            return sparse.load_npz(self._source / "lexical_counts.npz").tocsr()
        return self._counts

    @property
    def size(self) -> int:
        """Number of passages."""
        return int(self.weights.shape[1])

    @classmethod
    def build(
        cls, texts: list[str], base: Lexical | None = None, keep: np.ndarray | None = None,
        pages: np.ndarray | None = None,
    ) -> Lexical:  # fmt: skip
        """Counts for ``texts`` appended to the ``keep`` rows of ``base`` (only new texts are tokenized)."""
        vocab = list(base.vocab) if base is not None else []
        term_ids = dict(base.term_ids) if base is not None else {}
        rows, cols, vals = [], [], []
        for row, text in enumerate(texts):
            terms, counts = np.unique(tokenize(text), return_counts=True)
            for term, count in zip(terms.tolist(), counts.tolist(), strict=True):
                if term not in term_ids:
                    term_ids[term] = len(vocab)
                    vocab.append(term)
                rows.append(row)
                cols.append(term_ids[term])
                vals.append(count)
        new = sparse.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(texts), len(vocab)))
        if base is None:
            return cls(new, vocab, pages=pages)
        old = base.counts if keep is None else base.counts[keep]
        old = sparse.csr_matrix((old.data, old.indices, old.indptr), shape=(old.shape[0], len(vocab)))
        return cls(sparse.vstack([old, new], format="csr"), vocab, pages=pages)

    def unseen_idf(self) -> float:
        """The idf a term that no passage holds would have: the highest there can be."""
        n_docs = self.size
        return float(np.log(1 + (n_docs + 0.5) / 0.5))

    def term_idf(self, term: str) -> float:
        """A (tokenized) term's idf; a term no passage holds has the highest there can be."""
        term_id = self.term_ids.get(term)
        return self.unseen_idf() if term_id is None else float(self.idf[term_id])

    def coverage(self, terms: set[str], row: int) -> tuple[float, float]:
        """How much of a question's (tokenized) terms, weighted by idf, passage ``row`` holds, and the corpus holds."""
        total = in_row = in_corpus = 0.0
        for term in terms:
            weight = self.term_idf(term)
            total += weight
            term_id = self.term_ids.get(term)
            # a term of removed passages only stays in the vocabulary: the corpus holds it no more
            if term_id is not None and self.weights.indptr[term_id + 1] > self.weights.indptr[term_id]:
                in_corpus += weight
                in_row += weight if self.weights[term_id, row] > 0 else 0.0
        return (in_row / total, in_corpus / total) if total else (0.0, 0.0)

    def scores(self, question: str) -> np.ndarray:
        """BM25 score of every passage for the question (zeros where no term matches), each term weighed by its
        share (``query_weights``)."""
        shares = {self.term_ids[t]: share for t, share in query_weights(question).items() if t in self.term_ids}
        if not shares:
            return np.zeros(self.size, dtype=np.float32)
        ids = sorted(shares)
        weights = np.array([shares[i] for i in ids], dtype=np.float32)
        scores = np.asarray(self.weights[ids].T @ weights).ravel()
        if self.page_weights is not None:
            page_scores = np.asarray(self.page_weights[ids].T @ weights).ravel()
            run_pages, run_lengths = self._runs
            scores += PAGE_WEIGHT * np.repeat(page_scores[run_pages], run_lengths)
        return scores

    def save(self, folder: Path) -> list[Path]:
        counts_path = folder / "lexical_counts.npz"
        vocab_path = folder / "lexical_vocab.txt"
        sparse.save_npz(counts_path, self.counts, compressed=False)
        vocab_path.write_text("\n".join(self.vocab), encoding="utf-8")
        return [counts_path, vocab_path]

    @classmethod
    def load(cls, folder: Path, pages: np.ndarray | None = None) -> Lexical:
        counts = sparse.load_npz(folder / "lexical_counts.npz")
        text = (folder / "lexical_vocab.txt").read_text(encoding="utf-8")
        return cls(counts, text.split("\n") if text else [], source=folder, pages=pages)


def summed_by(counts: sparse.csr_matrix, groups: np.ndarray) -> sparse.csr_matrix:
    """The rows' term counts summed by group (``groups[row]``: 0, 1, ...): a page's, or a section's, counts."""
    rows = np.arange(len(groups))
    shape = (int(groups.max()) + 1, len(groups))
    return (sparse.csr_matrix((np.ones(len(groups), np.float32), (groups, rows)), shape) @ counts).tocsr()


def bm25_idf(n: float, df: np.ndarray | float) -> np.ndarray:
    """Lucene's idf of a term held by ``df`` of ``n`` rows (float32, as the weights use it)."""
    return np.log(1 + (np.asarray(n, dtype=np.float64) - df + 0.5) / (np.asarray(df) + 0.5)).astype(np.float32)


def tf_weight(tf: np.ndarray, dl: np.ndarray, average: float, k1: float | None = None) -> np.ndarray:
    """A term's BM25 weight in a row but for its idf: its count ``tf`` in a row of ``dl`` terms, rows of
    ``average`` terms on the whole; ``k1`` the saturation (None: a passage's, ``K1``)."""
    k1 = K1 if k1 is None else k1
    return tf * (k1 + 1) / (tf + k1 * (1 - B + B * dl / max(average, 1e-9)))


def _bm25_weights(counts: sparse.csr_matrix, k1: float | None = None) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Terms x rows matrix of BM25 term weights (Lucene's idf), so a query sums a few rows; and each
    term's idf. ``k1``: None for passages (``K1``), ``PAGE_K1`` for pages."""
    n_docs = counts.shape[0]
    if n_docs == 0 or counts.nnz == 0:
        return sparse.csr_matrix((counts.shape[1], n_docs), dtype=np.float32), np.zeros(counts.shape[1], np.float32)
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    idf = bm25_idf(n_docs, np.bincount(counts.indices, minlength=counts.shape[1]))
    row_of = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
    data = idf[counts.indices] * tf_weight(counts.data, lengths[row_of], lengths.mean(), k1)
    weighted = sparse.csr_matrix((data.astype(np.float32), counts.indices, counts.indptr), shape=counts.shape)
    return weighted.T.tocsr(), idf
