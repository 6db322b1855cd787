"""One batch written to PostgreSQL in one transaction: the texts no file holds any more deleted with every row
that depends on them, the new texts inserted with their passages, sentences, pages, postings and vectors, the
term and corpus counts moved by exactly what changed, the document list replaced and the generation advanced.
A writer killed at any point leaves the previous generation answering: nothing is visible before COMMIT."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from qa.lexical import PAGE_K1, Lexical, tf_weight
from qa.snapshot import Content, DocRecord
from qa.stores.batch import Batch, NewRows, model_of
from qa.stores.pg_copy import copy_rows
from qa.stores.pg_schema import BULK_INDEXES, EXACT_UP_TO, SCHEMA_VERSION, hnsw_index, tables, write_meta

_EMPTY_STATS = {"passages": 0, "passage_len": 0.0, "pages": 0, "page_len": 0.0}
_TABLES = ("documents", "contents", "originals", "pages", "passages", "sentences", "terms", "postings", "page_postings")


@dataclass
class Write:
    """What one batch changes, in the store's terms."""

    new: NewRows  # the new texts' passages, embedded, with their term counts
    counts: sparse.csr_matrix  # passages x ``vocab`` term counts of ``new``'s passages
    vocab: list[str]
    headings: list[str]  # ``new.table.heading`` indexes these
    documents: tuple[DocRecord, ...]  # every file indexed after the batch
    model: dict[str, Any]
    chunking: dict[str, int]
    originals: dict[str, bytes]  # content hash -> the PDF or image file of a new text (the page view draws it)
    drop: list[str]  # content hashes whose texts go (no file holds them, or a new reading replaces them)
    moved: dict[str, str]  # content hash -> the file now cited for a text kept
    rebuild: bool = False  # everything before goes


def write_of(batch: Batch) -> Write:
    """The batch's changes: its new texts embedded (before any transaction opens) and counted, what goes."""
    headings: list[str] = []
    new = batch.embed_new(0, headings, {})
    lexical = Lexical.build(new.passage_texts)
    holders, old = batch.holders(), batch.old
    contents = list(old.contents) if old is not None else []
    kept = [c for c in contents if c.sha256 in holders and c.sha256 not in batch.fresh]
    kept_shas = {c.sha256 for c in kept}
    return Write(
        new, lexical.counts, lexical.vocab, headings, batch.documents(), model_of(batch.embedder),
        batch.chunking.as_dict(), originals=originals_of(new.contents, holders),
        drop=[c.sha256 for c in contents if c.sha256 not in kept_shas],
        moved={c.sha256: holders[c.sha256][0] for c in kept if holders[c.sha256][0] != c.source}, rebuild=old is None,
    )  # fmt: skip


def originals_of(contents: Sequence[Content], holders: dict[str, list[str]]) -> dict[str, bytes]:
    """The files of these PDF and image texts, read again and checked against the hash they were indexed by."""
    found = {}
    for content in contents:
        if content.kind in ("pdf", "image"):
            for path in holders.get(content.sha256, ()):
                try:
                    data = Path(path).read_bytes()
                except OSError:
                    continue
                if hashlib.sha256(data).hexdigest() == content.sha256:
                    found[content.sha256] = data
                    break
    return found


def write_batch(conn: Any, write: Write) -> int:
    """Apply ``write`` inside the caller's transaction; the new generation's number."""
    if conn.execute("SELECT to_regclass('verbatim.meta') IS NULL").fetchone()[0]:
        for statement in tables(int(write.model["dimension"])):
            conn.execute(statement)
        write_meta(conn, {"schema_version": SCHEMA_VERSION, "generation": 0, "next": _next_ids(0, 0, 0, 0),
                          "stats": _EMPTY_STATS})  # fmt: skip
    meta = {k: v for k, v in conn.execute("SELECT key, value FROM verbatim.meta FOR UPDATE")}
    next_ids, stats = dict(meta["next"]), dict(meta["stats"])
    if write.rebuild:
        conn.execute("TRUNCATE " + ", ".join(f"verbatim.{t}" for t in _TABLES))
        stats = dict(_EMPTY_STATS)
    else:
        stats = _drop(conn, write.drop, stats)
        for sha, source in write.moved.items():  # the file cited moved to another copy
            conn.execute(
                "UPDATE verbatim.contents SET info = jsonb_set(info, '{source}', %s) WHERE sha256 = %s",
                (json.dumps(source), sha),
            )
    bulk = stats["passages"] == 0  # an empty store: rows first, then the indexes, sorted
    if bulk:
        for drop, _ in BULK_INDEXES:
            conn.execute(drop)
    stats = _insert(conn, write, next_ids, stats)
    if bulk:
        conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for _, create in BULK_INDEXES:
            conn.execute(create)
    with conn.cursor() as cur, cur.copy("COPY verbatim.originals (sha256, data) FROM STDIN") as copy:
        for sha, data in write.originals.items():
            copy.write_row((sha, data))
    conn.execute("DELETE FROM verbatim.documents")
    with conn.cursor() as cur, cur.copy("COPY verbatim.documents (path, record) FROM STDIN") as copy:
        for record in write.documents:
            copy.write_row((record.path, json.dumps(asdict(record))))
    generation = int(meta["generation"]) + 1
    write_meta(conn, {"generation": generation, "next": next_ids, "stats": stats, "model": write.model,
                      "chunking": write.chunking})  # fmt: skip
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
    conn.execute("DELETE FROM verbatim.originals WHERE sha256 = ANY(%s)", (shas,))
    return {
        "passages": stats["passages"] - n, "passage_len": stats["passage_len"] - float(length),
        "pages": stats["pages"] - n_pages, "page_len": stats["page_len"] - float(page_length),
    }  # fmt: skip


def _insert(conn: Any, write: Write, next_ids: dict[str, int], stats: dict[str, float]) -> dict[str, float]:
    """Insert the new texts and their rows; ``next_ids`` moves past the ids they take."""
    new, table, counts = write.new, write.new.table, write.counts.tocsr()
    n = len(table)
    lengths = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    content_ids = next_ids["content"] + np.arange(len(new.contents))
    passage_ids = next_ids["passage"] + np.arange(n, dtype=np.int64)
    first_rows = next_ids["passage"] + np.searchsorted(table.content, np.arange(len(new.contents)))
    # a page: the passages of one text that start on one page (a text without pages is one page)
    keys = table.content.astype(np.int64) * (int(table.page.max(initial=0)) + 1) + table.page
    unique_keys, page_of_row = np.unique(keys, return_inverse=True)
    page_ids = next_ids["page"] + np.arange(len(unique_keys), dtype=np.int64)
    by_page = sparse.csr_matrix((np.ones(n), (page_of_row, np.arange(n))), shape=(len(unique_keys), n))
    page_counts = (by_page @ counts).tocsr()
    page_lengths = np.asarray(page_counts.sum(axis=1), dtype=np.float64).ravel()
    term_ids = _term_ids(conn, write.vocab, counts, page_counts, next_ids)
    with conn.cursor() as cur:
        with cur.copy("COPY verbatim.contents (id, sha256, info, text, boxes) FROM STDIN") as copy:
            for db_id, content, first in zip(content_ids.tolist(), new.contents, first_rows.tolist(), strict=True):
                text, boxes = new.texts[content.key]
                info = json.dumps(asdict(replace(content, first_row=first)))
                raw = None if boxes is None else np.ascontiguousarray(boxes, np.float32).tobytes()
                copy.write_row((db_id, content.sha256, info, text, raw))
        page_content = content_ids[table.content[np.unique(page_of_row, return_index=True)[1]]]
        copy_rows(cur, "COPY verbatim.pages (id, content_id, length) FROM STDIN (FORMAT BINARY)",
                  [("int8", page_ids), ("int4", page_content), ("float4", page_lengths)])  # fmt: skip
        with cur.copy("COPY verbatim.passages (id, content_id, page_id, start, stop, line, page, heading, length,"
                      " embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:  # fmt: skip
            copy.set_types(["int8", "int4", "int8", "int4", "int4", "int4", "int4", "text", "float4", "vector"])
            headings = [write.headings[h] if h >= 0 else None for h in table.heading.tolist()]
            for i in range(n):
                copy.write_row((int(passage_ids[i]), int(content_ids[int(table.content[i])]),
                                int(page_ids[page_of_row[i]]), int(table.start[i]), int(table.end[i]),
                                int(table.line[i]), int(table.page[i]), headings[i], float(lengths[i]),
                                np.asarray(new.vectors[i], np.float32)))  # fmt: skip
        per_passage = np.diff(table.sentence_ptr)
        copy_rows(cur, "COPY verbatim.sentences (passage_id, ord, start, stop, embedding) FROM STDIN (FORMAT BINARY)", [
            ("int8", np.repeat(passage_ids, per_passage)),
            ("int4", np.arange(int(table.sentence_ptr[-1])) - np.repeat(table.sentence_ptr[:-1], per_passage)),
            ("int4", table.sentence_start), ("int4", table.sentence_end),
            ("halfvec", np.asarray(new.sentence_vectors, dtype=np.float16)),
        ])  # fmt: skip
        after = _added(stats, n, lengths, page_lengths)
        rows = np.repeat(np.arange(n), np.diff(counts.indptr))
        tf, dl = counts.data, lengths[rows]
        copy_rows(cur, "COPY verbatim.postings (term_id, passage_id, tf, dl, page_id, impact) FROM STDIN"
                       " (FORMAT BINARY)", [
            ("int4", term_ids[counts.indices]), ("int8", passage_ids[rows]), ("float4", tf), ("float4", dl),
            ("int8", page_ids[page_of_row[rows]]), ("float4", impact(tf, dl, after["passage_len"] / after["passages"])),
        ])  # fmt: skip
        rows = np.repeat(np.arange(len(page_ids)), np.diff(page_counts.indptr))
        tf, dl = page_counts.data, page_lengths[rows]
        copy_rows(cur, "COPY verbatim.page_postings (term_id, page_id, tf, dl, impact) FROM STDIN (FORMAT BINARY)", [
            ("int4", term_ids[page_counts.indices]), ("int8", page_ids[rows]), ("float4", tf), ("float4", dl),
            ("float4", impact(tf, dl, after["page_len"] / after["pages"], PAGE_K1)),
        ])  # fmt: skip
    next_ids.update(content=next_ids["content"] + len(content_ids), passage=next_ids["passage"] + n,
                    page=next_ids["page"] + len(page_ids))  # fmt: skip
    return _added(stats, n, lengths, page_lengths)


def _added(stats: dict[str, float], n: int, lengths: np.ndarray, page_lengths: np.ndarray) -> dict[str, float]:
    return {
        "passages": stats["passages"] + n, "passage_len": stats["passage_len"] + float(lengths.sum()),
        "pages": stats["pages"] + len(page_lengths), "page_len": stats["page_len"] + float(page_lengths.sum()),
    }  # fmt: skip


def impact(tf: np.ndarray, dl: np.ndarray, average: float, k1: float | None = None) -> np.ndarray:
    """A posting's BM25 weight without its idf, at the average length when it is written: the order in which a
    term's postings are read when a question's terms have more of them than a question reads (``pg_index``)."""
    return tf_weight(tf, dl, average, k1).astype(np.float32)


def _term_ids(conn: Any, vocab: list[str], counts: sparse.csr_matrix, pages: sparse.csr_matrix,
              next_ids: dict[str, int]) -> np.ndarray:  # fmt: skip
    """The database id of each term of ``vocab`` (new terms added), their document frequencies raised."""
    df = np.bincount(counts.indices, minlength=len(vocab))
    page_df = np.bincount(pages.indices, minlength=len(vocab))
    used = np.flatnonzero(df)
    words = [vocab[i] for i in used]
    known = dict(conn.execute("SELECT term, id FROM verbatim.terms WHERE term = ANY(%s)", (words,)).fetchall())
    ids = np.full(len(vocab), -1, dtype=np.int64)
    fresh = []
    for i, word in zip(used.tolist(), words, strict=True):
        if word in known:
            ids[i] = known[word]
        else:
            ids[i] = next_ids["term"] + len(fresh)
            fresh.append(i)
    next_ids["term"] += len(fresh)
    with conn.cursor() as cur, cur.copy("COPY verbatim.terms (id, term, df, page_df) FROM STDIN") as copy:
        for i in fresh:
            copy.write_row((int(ids[i]), vocab[i], 0, 0))
    conn.execute(
        "UPDATE verbatim.terms t SET df = t.df + d.df, page_df = t.page_df + d.page_df"
        " FROM unnest(%s::int[], %s::int[], %s::int[]) d(id, df, page_df) WHERE t.id = d.id",
        (ids[used].tolist(), df[used].tolist(), page_df[used].tolist()),
    )
    return ids
