"""One batch written to PostgreSQL in one transaction: the texts no file holds any more deleted with every row
that depends on them, the new texts inserted with their passages, sentences, pages, postings and vectors, the
term and corpus counts moved by exactly what changed, the document list replaced and the generation advanced.
A writer killed at any point leaves the previous generation answering: nothing is visible before COMMIT."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from qa.dense import EXACT_UP_TO
from qa.lexical import tokenize
from qa.stores.batch import Batch, NewRows, model_of
from qa.stores.pg_schema import SCHEMA_VERSION, hnsw_index, tables, write_meta

_EMPTY_STATS = {"passages": 0, "passage_len": 0.0, "pages": 0, "page_len": 0.0}
_TABLES = ("documents", "contents", "pages", "passages", "sentences", "terms", "postings", "page_postings")


def write_batch(conn: Any, batch: Batch, new: NewRows, headings: list[str]) -> int:
    """Apply ``batch`` (its new texts already embedded as ``new``) inside the caller's transaction; the new
    generation's number."""
    from pgvector import HalfVector

    if conn.execute("SELECT to_regclass('verbatim.meta') IS NULL").fetchone()[0]:
        for statement in tables(batch.embedder.dimension):
            conn.execute(statement)
        write_meta(conn, {"schema_version": SCHEMA_VERSION, "generation": 0, "next": _next_ids(0, 0, 0, 0),
                          "stats": _EMPTY_STATS})  # fmt: skip
    meta = {k: v for k, v in conn.execute("SELECT key, value FROM verbatim.meta FOR UPDATE")}
    next_ids, stats = dict(meta["next"]), dict(meta["stats"])
    holders = batch.holders()
    if batch.old is None:  # a rebuild: everything goes
        conn.execute("TRUNCATE " + ", ".join(f"verbatim.{t}" for t in _TABLES))
        stats = dict(_EMPTY_STATS)
    else:
        gone = [c.sha256 for c in batch.old.contents if c.sha256 not in holders or c.sha256 in batch.fresh]
        stats = _drop(conn, gone, stats)
        for content in batch.old.contents:
            kept = content.sha256 in holders and content.sha256 not in batch.fresh
            if kept and holders[content.sha256][0] != content.source:  # the file cited moved to another copy
                conn.execute(
                    "UPDATE verbatim.contents SET info = jsonb_set(info, '{source}', %s) WHERE sha256 = %s",
                    (json.dumps(holders[content.sha256][0]), content.sha256),
                )
    stats = _insert(conn, new, headings, next_ids, stats, HalfVector)
    conn.execute("DELETE FROM verbatim.documents")
    with conn.cursor() as cur, cur.copy("COPY verbatim.documents (path, record) FROM STDIN") as copy:
        for record in batch.documents():
            copy.write_row((record.path, json.dumps(asdict(record))))
    generation = int(meta["generation"]) + 1
    write_meta(conn, {"generation": generation, "next": next_ids, "stats": stats, "model": model_of(batch.embedder),
                      "chunking": batch.chunking.as_dict()})  # fmt: skip
    if stats["passages"] > EXACT_UP_TO:
        conn.execute(hnsw_index())
    return generation


def _next_ids(content: int, passage: int, page: int, term: int) -> dict[str, int]:
    return {"content": content, "passage": passage, "page": page, "term": term}


def _drop(conn: Any, shas: list[str], stats: dict[str, float]) -> dict[str, float]:
    """Delete the texts ``shas`` and their rows, taking their counts out of the terms and the statistics."""
    if not shas:
        return stats
    ids = [r[0] for r in conn.execute("SELECT id FROM verbatim.contents WHERE sha256 = ANY(%s)", (shas,))]
    passages = "SELECT id FROM verbatim.passages WHERE content_id = ANY(%(ids)s)"
    pages = "SELECT id FROM verbatim.pages WHERE content_id = ANY(%(ids)s)"
    args = {"ids": ids}
    conn.execute(f"""UPDATE verbatim.terms t SET df = t.df - g.n FROM (SELECT term_id, count(*) AS n
        FROM verbatim.postings WHERE passage_id IN ({passages}) GROUP BY term_id) g WHERE t.id = g.term_id""", args)
    conn.execute(f"""UPDATE verbatim.terms t SET page_df = t.page_df - g.n FROM (SELECT term_id, count(*) AS n
        FROM verbatim.page_postings WHERE page_id IN ({pages}) GROUP BY term_id) g WHERE t.id = g.term_id""", args)
    n, length = conn.execute(
        "SELECT count(*), coalesce(sum(length), 0) FROM verbatim.passages WHERE content_id = ANY(%(ids)s)", args
    ).fetchone()
    n_pages, page_length = conn.execute(
        "SELECT count(*), coalesce(sum(length), 0) FROM verbatim.pages WHERE content_id = ANY(%(ids)s)", args
    ).fetchone()
    conn.execute(f"DELETE FROM verbatim.postings WHERE passage_id IN ({passages})", args)
    conn.execute(f"DELETE FROM verbatim.page_postings WHERE page_id IN ({pages})", args)
    conn.execute(f"DELETE FROM verbatim.sentences WHERE passage_id IN ({passages})", args)
    conn.execute("DELETE FROM verbatim.passages WHERE content_id = ANY(%(ids)s)", args)
    conn.execute("DELETE FROM verbatim.pages WHERE content_id = ANY(%(ids)s)", args)
    conn.execute("DELETE FROM verbatim.contents WHERE id = ANY(%(ids)s)", args)
    return {
        "passages": stats["passages"] - n, "passage_len": stats["passage_len"] - float(length),
        "pages": stats["pages"] - n_pages, "page_len": stats["page_len"] - float(page_length),
    }  # fmt: skip


def _insert(conn: Any, new: NewRows, headings: list[str], next_ids: dict[str, int], stats: dict[str, float],
            half: type) -> dict[str, float]:  # fmt: skip
    """Insert the new texts and their rows; ``next_ids`` moves past the ids they take."""
    table = new.table
    n = len(table)
    counts = [Counter(tokenize(text)) for text in new.passage_texts]
    lengths = np.array([sum(c.values()) for c in counts], dtype=np.float64)
    content_ids = [next_ids["content"] + i for i in range(len(new.contents))]
    passage_ids = next_ids["passage"] + np.arange(n)
    first_rows = next_ids["passage"] + np.searchsorted(table.content, np.arange(len(new.contents)))
    # a page: the passages of one text that start on one page (a text without pages is one page)
    page_keys = list(zip(table.content.tolist(), table.page.tolist(), strict=True))
    page_of: dict[tuple[int, int], int] = {}
    for key in page_keys:
        page_of.setdefault(key, next_ids["page"] + len(page_of))
    page_ids = [page_of[key] for key in page_keys]
    page_counts: dict[int, Counter[str]] = {}
    for page, terms in zip(page_ids, counts, strict=True):
        page_counts.setdefault(page, Counter()).update(terms)
    term_ids = _term_ids(conn, counts, page_counts, next_ids)
    with conn.cursor() as cur:
        with cur.copy("COPY verbatim.contents (id, sha256, info, text, boxes) FROM STDIN") as copy:
            for db_id, content, first in zip(content_ids, new.contents, first_rows.tolist(), strict=True):
                text, boxes = new.texts[content.key]
                info = json.dumps(asdict(replace(content, first_row=first)))
                raw = None if boxes is None else np.ascontiguousarray(boxes, np.float32).tobytes()
                copy.write_row((db_id, content.sha256, info, text, raw))
        with cur.copy("COPY verbatim.pages (id, content_id, length) FROM STDIN") as copy:
            for (content, _), page in page_of.items():
                copy.write_row((page, content_ids[content], float(sum(page_counts[page].values()))))
        with cur.copy("COPY verbatim.passages (id, content_id, page_id, start, stop, line, page, heading, length,"
                      " embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:  # fmt: skip
            copy.set_types(["int8", "int4", "int8", "int4", "int4", "int4", "int4", "text", "float4", "vector"])
            for i in range(n):
                heading = int(table.heading[i])
                copy.write_row((int(passage_ids[i]), content_ids[int(table.content[i])], page_ids[i],
                                int(table.start[i]), int(table.end[i]), int(table.line[i]), int(table.page[i]),
                                headings[heading] if heading >= 0 else None, float(lengths[i]),
                                np.asarray(new.vectors[i], np.float32)))  # fmt: skip
        with cur.copy("COPY verbatim.sentences (passage_id, ord, start, stop, embedding) FROM STDIN"
                      " WITH (FORMAT BINARY)") as copy:  # fmt: skip
            copy.set_types(["int8", "int4", "int4", "int4", "halfvec"])
            for i in range(n):
                lo, hi = int(table.sentence_ptr[i]), int(table.sentence_ptr[i + 1])
                for j in range(lo, hi):
                    vector = half(new.sentence_vectors[j].astype(np.float16))
                    copy.write_row((int(passage_ids[i]), j - lo, int(table.sentence_start[j]),
                                    int(table.sentence_end[j]), vector))  # fmt: skip
        with cur.copy("COPY verbatim.postings (term_id, passage_id, tf, dl) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "int8", "float4", "float4"])
            for i, terms in enumerate(counts):
                for term, tf in terms.items():
                    copy.write_row((term_ids[term], int(passage_ids[i]), float(tf), float(lengths[i])))
        with cur.copy("COPY verbatim.page_postings (term_id, page_id, tf, dl) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "int8", "float4", "float4"])
            for page, terms in page_counts.items():
                dl = float(sum(terms.values()))
                for term, tf in terms.items():
                    copy.write_row((term_ids[term], page, float(tf), dl))
    next_ids.update(content=next_ids["content"] + len(content_ids), passage=next_ids["passage"] + n,
                    page=next_ids["page"] + len(page_of))  # fmt: skip
    return {
        "passages": stats["passages"] + n, "passage_len": stats["passage_len"] + float(lengths.sum()),
        "pages": stats["pages"] + len(page_of), "page_len": stats["page_len"] + float(lengths.sum()),
    }  # fmt: skip


def _term_ids(conn: Any, counts: list[Counter[str]], pages: dict[int, Counter[str]], next_ids: dict[str, int]
              ) -> dict[str, int]:  # fmt: skip
    """Every term of the new passages with its id (new terms added), their document frequencies raised."""
    df = Counter(term for terms in counts for term in terms)
    page_df = Counter(term for terms in pages.values() for term in terms)
    words = sorted(df)
    ids = dict(conn.execute("SELECT term, id FROM verbatim.terms WHERE term = ANY(%s)", (words,)).fetchall())
    fresh = [w for w in words if w not in ids]
    for i, word in enumerate(fresh):
        ids[word] = next_ids["term"] + i
    next_ids["term"] += len(fresh)
    with conn.cursor() as cur, cur.copy("COPY verbatim.terms (id, term, df, page_df) FROM STDIN") as copy:
        for word in fresh:
            copy.write_row((ids[word], word, 0, 0))
    conn.execute(
        "UPDATE verbatim.terms t SET df = t.df + d.df, page_df = t.page_df + d.page_df"
        " FROM unnest(%s::int[], %s::int[], %s::int[]) d(id, df, page_df) WHERE t.id = d.id",
        ([ids[w] for w in words], [df[w] for w in words], [page_df[w] for w in words]),
    )
    return ids
