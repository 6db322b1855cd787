"""The index as one search sees it in PostgreSQL (``qa.stores.base.Index``): the documents' list held, every
passage asked for. Candidates come from pgvector (HNSW past ``pg_schema.EXACT_UP_TO`` passages) and from BM25
computed in SQL over the postings; cosines of candidates and their sentences are computed by the server, so no
vector leaves it. The scores are those of the files store: the same BM25 (a passage's own plus its page's,
Lucene's idf, from the exact corpus statistics in ``meta``) and float32 inner products."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa.lexical import K1, PAGE_K1, PAGE_WEIGHT, B, bm25_idf, query_weights
from qa.snapshot import Content, DocRecord
from qa.stores.base import Row
from qa.stores.pg_catalog import PgContents, PgDocuments
from qa.types import Span

Connection = Callable[[], Any]  # the calling thread's connection
_QUERY_TERMS = (
    "q AS (SELECT * FROM unnest(%(ids)s::int[], %(idf)s::float8[], %(pidf)s::float8[], %(lim)s::int[],"
    " %(plim)s::int[]) q(id, idf, pidf, lim, plim))"
)
# postings a question reads at most on each side (passages, pages): the rarer terms' all, the commoner terms' best
# by impact. 100,000 SciFact passages: 64,414 postings for one question took 40 ms to sum; a shared set's
# collection (up to 15,000 passages) stays under it, so its questions are scored exactly
BUDGET = 4_000
# the BM25 of passage ``ps`` from all its postings of the question's terms ``q`` and all its page's
_EXACT = f"""coalesce((SELECT sum(q.idf * po.tf * {K1 + 1} / (po.tf + {K1} * ({1 - B} + {B} * po.dl / %(avg)s)))
    FROM q JOIN verbatim.postings po ON po.term_id = q.id AND po.passage_id = ps.id), 0)
    + {PAGE_WEIGHT} * coalesce((SELECT sum(q.pidf * pp.tf * {PAGE_K1 + 1} / (pp.tf + {PAGE_K1} * ({1 - B} + {B} * pp.dl
    / %(pavg)s))) FROM q JOIN verbatim.page_postings pp ON pp.term_id = q.id AND pp.page_id = ps.page_id), 0)"""
Term = tuple[int, float, float, int, int]  # id, idf over passages, idf over pages, document frequencies


@dataclass
class PgIndex:
    """Content ids are the database's (``qa.stores.pg_catalog``); the document list and the texts' fields are
    read when asked for."""

    model: dict[str, Any]
    chunking: dict[str, int]
    documents: PgDocuments
    contents: PgContents
    generation: int
    stats: dict[str, float]
    conn: Connection
    _term_cache: dict[str, Term | None] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.stats["passages"])

    def content_items(self) -> list[tuple[int, Content]]:
        return self.contents.items()

    def stored(self, source: str) -> tuple[int, Content] | None:
        return self.contents.by_source(source)

    def content_ids(self, shas: set[str]) -> dict[str, int]:
        found = self.conn().execute("SELECT sha256, id FROM verbatim.contents WHERE sha256 = ANY(%s)", (list(shas),))
        return {sha: int(content_id) for sha, content_id in found}

    def document(self, path: str) -> DocRecord | None:
        return self.documents.get(path)

    @staticmethod
    def _within(within: frozenset[int]) -> list[int] | None:
        return sorted(within) if within else None

    def content_of(self, rows: np.ndarray) -> np.ndarray:
        found = dict(self.conn().execute(
            "SELECT id, content_id FROM verbatim.passages WHERE id = ANY(%s)", (list(map(int, rows)),)
        ).fetchall())  # fmt: skip
        return np.array([found.get(int(r), -1) for r in rows], dtype=np.int64)

    def dense_candidates(self, query: np.ndarray, n: int, within: frozenset[int]) -> np.ndarray:
        ids = self._within(within)
        where = "" if ids is None else "WHERE content_id = ANY(%(within)s)"
        found = self.conn().execute(
            f"SELECT id FROM verbatim.passages {where} ORDER BY embedding <#> %(q)s LIMIT %(n)s",
            {"q": _vector(query), "n": n, "within": ids},
        ).fetchall()
        return np.array([r[0] for r in found], dtype=np.int64)

    def lexical_search(
        self, question: str, n: int, within: frozenset[int], also: np.ndarray | None = None
    ) -> PgHits:
        """The ``n`` rows of the highest BM25 (their own plus their page's), and the exact scores of those and of
        the ``also`` rows, in one query. Among the postings read the top rows are found exactly: the rows holding a
        term are scored, and the rows of the ``n`` best pages (a row holding none scores its page's alone, and the
        ``n`` best pages' rows score at least that)."""
        shares = query_weights(question)  # a term's idf times its share, as the files store's ``Lexical.scores``
        terms = {t: (i, idf * shares[t], pidf * shares[t], df, page_df)
                 for t, (i, idf, pidf, df, page_df) in self._terms(list(shares)).items()}  # fmt: skip
        if not terms:
            return PgHits(np.zeros(0, dtype=np.int64), {}, None)
        ids = self._within(within)
        own = f"""own AS (SELECT po.passage_id, min(po.page_id) AS page_id, sum(q.idf * po.tf * {K1 + 1} / (po.tf + {K1}
            * ({1 - B} + {B} * po.dl / %(avg)s))) AS s FROM q CROSS JOIN LATERAL (SELECT passage_id, page_id, tf, dl
            FROM verbatim.postings WHERE term_id = q.id ORDER BY impact DESC LIMIT q.lim) po GROUP BY po.passage_id)"""
        pages = f"""pg AS (SELECT pp.page_id, sum(q.pidf * pp.tf * {PAGE_K1 + 1} / (pp.tf + {PAGE_K1}
            * ({1 - B} + {B} * pp.dl / %(pavg)s))) AS s FROM q CROSS JOIN LATERAL (SELECT page_id, tf, dl
            FROM verbatim.page_postings WHERE term_id = q.id ORDER BY impact DESC LIMIT q.plim) pp
            GROUP BY pp.page_id)"""
        if ids is None:
            sql = f"""WITH {_QUERY_TERMS}, {own}, {pages},
            top_pages AS (SELECT page_id, s FROM pg ORDER BY s DESC LIMIT %(n)s),
            holding AS (SELECT own.passage_id AS id, own.s + {PAGE_WEIGHT} * coalesce(pg.s, 0) AS score FROM own
                        LEFT JOIN pg ON pg.page_id = own.page_id ORDER BY score DESC LIMIT %(n)s),
            scored AS (SELECT id, score FROM holding UNION ALL SELECT ps.id, {PAGE_WEIGHT} * t.s FROM top_pages t
                       JOIN verbatim.passages ps ON ps.page_id = t.page_id),
            top AS (SELECT id, max(score) AS score FROM scored GROUP BY id ORDER BY score DESC, id LIMIT %(n)s)"""
        else:  # the chosen documents' rows: few enough to score every one on a matching page
            sql = f"""WITH {_QUERY_TERMS}, {own}, {pages},
            top AS (SELECT ps.id, {PAGE_WEIGHT} * pg.s + coalesce(own.s, 0) AS score FROM pg
            JOIN verbatim.passages ps ON ps.page_id = pg.page_id LEFT JOIN own ON own.passage_id = ps.id
            WHERE ps.content_id = ANY(%(within)s) ORDER BY score DESC, ps.id LIMIT %(n)s)"""
        # past the budget the top rows come from the best postings: the scores the fusion sees are always whole
        sql += f""",
            wanted AS (SELECT id FROM top UNION SELECT unnest(%(also)s::bigint[]))
            SELECT w.id, top.score, {_EXACT} FROM wanted w JOIN verbatim.passages ps ON ps.id = w.id
            LEFT JOIN top ON top.id = w.id ORDER BY top.score DESC NULLS LAST, w.id"""
        also_rows = [] if also is None else [int(r) for r in also]
        found = self.conn().execute(sql, {**self._bm25_params(terms), "n": n, "within": ids, "also": also_rows})
        found = found.fetchall()
        rows = np.array([r[0] for r in found if r[1] is not None], dtype=np.int64)
        scores = {int(r): float(full) for r, _, full in found}
        return PgHits(rows, scores, lambda missing: self._scores(terms, missing))

    def _scores(self, terms: dict[str, Term], rows: list[int]) -> dict[int, float]:
        """BM25 of the given rows (the dense side's candidates that BM25 did not bring)."""
        found = self.conn().execute(
            f"""WITH {_QUERY_TERMS}
            SELECT ps.id, {_EXACT} FROM verbatim.passages ps WHERE ps.id = ANY(%(rows)s)""",
            {**self._bm25_params(terms), "rows": rows},
        ).fetchall()
        return {int(r): float(s) for r, s in found}

    def _bm25_params(self, terms: dict[str, Term]) -> dict[str, Any]:
        ids, idf, pidf, df, page_df = zip(*terms.values(), strict=True)
        return {
            "ids": list(ids), "idf": list(idf), "pidf": list(pidf), "lim": _limits(df), "plim": _limits(page_df),
            "avg": max(self.stats["passage_len"] / max(self.stats["passages"], 1), 1e-9),
            "pavg": max(self.stats["page_len"] / max(self.stats["pages"], 1), 1e-9),
        }  # fmt: skip

    def _terms(self, words: Sequence[str]) -> dict[str, Term]:
        """The question's terms that some passage holds: id, idf over passages, idf over pages (as the files
        store's ``Lexical`` computes them, float32). Kept for the index's life: its generation's counts are fixed."""
        wanted = set(words)
        missing = sorted(wanted - self._term_cache.keys())
        if missing:
            found = {term: None for term in missing} | {
                term: (term_id, _idf(self.stats["passages"], df), _idf(self.stats["pages"], page_df), df, page_df)
                for term, term_id, df, page_df in self.conn().execute(
                    "SELECT term, id, df, page_df FROM verbatim.terms WHERE term = ANY(%s) AND df > 0", (missing,)
                )
            }  # fmt: skip
            if len(self._term_cache) > 100_000:
                self._term_cache.clear()
            self._term_cache.update(found)
        return {t: v for t in wanted if (v := self._term_cache.get(t)) is not None}

    def passage_cosines(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        found = dict(self.conn().execute(
            "SELECT id, -(embedding <#> %s) FROM verbatim.passages WHERE id = ANY(%s)", (_vector(query), rows.tolist())
        ).fetchall())  # fmt: skip
        return np.array([found.get(int(r), 0.0) for r in rows], dtype=np.float32)

    def sentence_cosines(self, rows: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = self.conn().execute(
            "SELECT passage_id, -(embedding::vector <#> %s) FROM verbatim.sentences WHERE passage_id = ANY(%s)"
            " ORDER BY passage_id, ord",
            (_vector(query), rows.tolist()),
        ).fetchall()
        by_row: dict[int, list[float]] = {}
        for row, cosine in found:
            by_row.setdefault(int(row), []).append(float(cosine))
        counts = np.array([len(by_row.get(int(r), ())) for r in rows], dtype=np.int64)
        flat = [c for r in rows for c in by_row.get(int(r), ())]
        return counts, np.array(flat, dtype=np.float32)

    def term_idf(self, term: str) -> float:
        found = self._terms([term])
        return found[term][1] if term in found else _idf(self.stats["passages"], 0)

    def passages_holding(self, terms: Sequence[str]) -> dict[str, int]:
        found = self._terms(terms)  # one query for those not yet asked
        return {t: int(found[t][3]) if t in found else 0 for t in terms}

    def coverage(self, terms: set[str], rows: Sequence[int]) -> list[tuple[float, float]]:
        known = self._terms(sorted(terms))
        held: dict[int, set[int]] = {}
        for row, term_id in self.conn().execute(
            "SELECT passage_id, term_id FROM verbatim.postings WHERE term_id = ANY(%s) AND passage_id = ANY(%s)",
            ([v[0] for v in known.values()], [int(r) for r in rows]),
        ):
            held.setdefault(row, set()).add(term_id)
        unseen = _idf(self.stats["passages"], 0)
        weights = {term: known[term][1] if term in known else unseen for term in terms}
        total = sum(weights.values())
        in_corpus = sum(w for term, w in weights.items() if term in known)
        found = []
        for row in rows:
            has = held.get(int(row), set())
            in_row = sum(w for term, w in weights.items() if term in known and known[term][0] in has)
            found.append((in_row / total, in_corpus / total) if total else (0.0, 0.0))
        return found

    def salience(self, term: str, contents: frozenset[int]) -> float:
        known = self._terms([term])
        if term not in known or not contents:
            return 0.0
        holding = self.conn().execute(
            "SELECT count(*) FROM verbatim.postings po JOIN verbatim.passages ps ON ps.id = po.passage_id"
            " WHERE po.term_id = %s AND ps.content_id = ANY(%s)",
            (known[term][0], self._within(contents)),
        ).fetchone()[0]
        total = sum(self.contents[c].passages for c in contents)
        return holding / max(total, 1) * known[term][1]

    def rows(self, rows: Sequence[int]) -> list[Row]:
        ids = [int(r) for r in rows]
        fields = {r[0]: r[1:] for r in self.conn().execute(
            "SELECT p.id, p.content_id, p.start, p.stop, p.line, p.page, p.heading, s.starts, s.stops"
            " FROM verbatim.passages p LEFT JOIN LATERAL (SELECT array_agg(start ORDER BY ord) AS starts,"
            " array_agg(stop ORDER BY ord) AS stops FROM verbatim.sentences WHERE passage_id = p.id) s ON true"
            " WHERE p.id = ANY(%s)", (ids,)
        ).fetchall()}  # fmt: skip
        self.contents.warm({f[0] for f in fields.values()})  # the texts they cite, read at once
        found = []
        for row in ids:
            if row not in fields:
                raise LookupError(f"passage {row} is no longer in the index")
            content, start, stop, line, page, heading, starts, stops = fields[row]
            sentences = tuple(Span(a, b) for a, b in zip(starts or (), stops or (), strict=True))
            found.append(Row(content, start, stop, line, page, heading, sentences))
        return found

    def passage_lengths(self) -> np.ndarray:
        found = self.conn().execute("SELECT stop - start FROM verbatim.passages ORDER BY id").fetchall()
        return np.array([r[0] for r in found], dtype=np.int64)


@dataclass(frozen=True)
class PgHits:
    rows: np.ndarray
    scores: dict[int, float]
    more: Callable[[list[int]], dict[int, float]] | None

    def scores_of(self, rows: np.ndarray) -> np.ndarray:
        missing = [int(r) for r in rows if int(r) not in self.scores]
        extra = self.more(missing) if missing and self.more else {}
        return np.array([self.scores.get(int(r), extra.get(int(r), 0.0)) for r in rows], dtype=np.float32)


def _limits(frequencies: Sequence[int]) -> list[int]:
    """How many postings of each term to read: all while the question's total fits ``BUDGET``, else the rarest
    terms' all and an equal share of what is left for each commoner one (their best by impact)."""
    limits = list(frequencies)
    left, order = BUDGET, sorted(range(len(limits)), key=lambda i: limits[i])
    for done, i in enumerate(order):
        share = left // (len(order) - done)
        limits[i] = min(limits[i], share)
        left -= limits[i]
    return limits


def _idf(n: float, df: float) -> float:
    return float(bm25_idf(n, df))


def _vector(query: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(query, dtype=np.float32)
