"""The PostgreSQL store's tables (schema ``verbatim``), their version, and the check that a database holds ours.

- ``meta``: one row per key: schema_version, model, chunking, generation (one more each committed batch), the
  next free ids (never reused: a question in flight never meets a new passage under an old id) and the BM25
  corpus statistics (passages and pages, with their summed lengths), kept exact by every batch.
- ``documents``: every file indexed (its record as JSON); ``contents``: each distinct text with its fields, the
  text itself (citations slice it) and its characters' boxes (the page view marks them); ``originals``: the
  PDF and image files as indexed, so that every server can draw a passage on its page.
- ``passages``: every field a citation needs, its page's id, its length in terms and its vector (pgvector,
  with an HNSW index once the collection is past ``EXACT_UP_TO`` passages);
  ``sentences``: each passage's sentences and their vectors (half precision, as the files store keeps them).
- ``terms`` (document frequency over passages and over pages), ``postings`` and ``page_postings`` (a term's
  count in a passage or a page, with that passage's or page's length): BM25 computed at question time from
  counts, so incremental batches never re-weight anything.
"""

from __future__ import annotations

import json
from typing import Any

from qa.errors import StoreError

SCHEMA_VERSION = 1
HNSW_INDEX = "verbatim.passages_embedding_hnsw"


def tables(dimension: int) -> list[str]:
    """The statements that create an empty store for vectors of ``dimension``."""
    return [
        "CREATE SCHEMA IF NOT EXISTS verbatim",
        "CREATE TABLE verbatim.meta (key text PRIMARY KEY, value jsonb NOT NULL)",
        "CREATE TABLE verbatim.documents (path text PRIMARY KEY, record jsonb NOT NULL)",
        "CREATE TABLE verbatim.contents (id integer PRIMARY KEY, sha256 text NOT NULL UNIQUE, info jsonb NOT NULL,"
        " text text NOT NULL, boxes bytea)",
        "CREATE TABLE verbatim.originals (sha256 text PRIMARY KEY, data bytea NOT NULL)",
        "CREATE TABLE verbatim.pages (id bigint PRIMARY KEY, content_id integer NOT NULL, length real NOT NULL)",
        "CREATE INDEX ON verbatim.pages (content_id)",
        "CREATE TABLE verbatim.passages (id bigint PRIMARY KEY, content_id integer NOT NULL, page_id bigint NOT NULL,"
        " start integer NOT NULL, stop integer NOT NULL, line integer NOT NULL, page integer NOT NULL, heading text,"
        f" length real NOT NULL, embedding vector({dimension}) NOT NULL)",
        "CREATE INDEX ON verbatim.passages (content_id)",
        "CREATE INDEX ON verbatim.passages (page_id)",
        "CREATE TABLE verbatim.sentences (passage_id bigint NOT NULL, ord integer NOT NULL, start integer NOT NULL,"
        f" stop integer NOT NULL, embedding halfvec({dimension}) NOT NULL)",
        "CREATE TABLE verbatim.terms (id integer PRIMARY KEY, term text NOT NULL UNIQUE, df integer NOT NULL,"
        " page_df integer NOT NULL)",
        "CREATE TABLE verbatim.postings (term_id integer NOT NULL, passage_id bigint NOT NULL, tf real NOT NULL,"
        " dl real NOT NULL, page_id bigint NOT NULL, impact real NOT NULL)",
        "CREATE TABLE verbatim.page_postings (term_id integer NOT NULL, page_id bigint NOT NULL, tf real NOT NULL,"
        " dl real NOT NULL, impact real NOT NULL)",
        *(create for _, create in BULK_INDEXES),
    ]


# The indexes of the big tables, by the name they drop by. A batch into an empty store (the first, a rebuild, a
# migrate) writes its rows first and builds these after, sorted, instead of inserting into each row by row
BULK_INDEXES = [
    ("ALTER TABLE verbatim.sentences DROP CONSTRAINT sentences_pkey",
     "ALTER TABLE verbatim.sentences ADD CONSTRAINT sentences_pkey PRIMARY KEY (passage_id, ord)"),
    ("ALTER TABLE verbatim.postings DROP CONSTRAINT postings_pkey",
     "ALTER TABLE verbatim.postings ADD CONSTRAINT postings_pkey PRIMARY KEY (term_id, passage_id) INCLUDE (tf, dl)"),
    ("DROP INDEX verbatim.postings_by_impact",
     "CREATE INDEX postings_by_impact ON verbatim.postings (term_id, impact DESC)"
     " INCLUDE (passage_id, tf, dl, page_id)"),
    ("DROP INDEX verbatim.postings_by_passage", "CREATE INDEX postings_by_passage ON verbatim.postings (passage_id)"),
    ("ALTER TABLE verbatim.page_postings DROP CONSTRAINT page_postings_pkey",
     "ALTER TABLE verbatim.page_postings ADD CONSTRAINT page_postings_pkey PRIMARY KEY (term_id, page_id) INCLUDE (tf,"
     " dl)"),
    ("DROP INDEX verbatim.page_postings_by_impact",
     "CREATE INDEX page_postings_by_impact ON verbatim.page_postings (term_id, impact DESC) INCLUDE (page_id, tf, dl)"),
    ("DROP INDEX verbatim.page_postings_by_page",
     "CREATE INDEX page_postings_by_page ON verbatim.page_postings (page_id)"),
]  # fmt: skip


# after a batch: the visibility map lets BM25 read a term's postings from the index alone (a term's rows are spread
# over the whole table: 920 postings of one SciFact term stood on 656 heap pages, 29 ms a question before, and
# the planner's estimates follow the new rows
AFTER_BATCH = "VACUUM (ANALYZE) verbatim.postings, verbatim.page_postings, verbatim.passages, verbatim.sentences"


# PostgreSQL scans vectors slower than FAISS (14,489 SciFact passages: 8.7 ms exact, 1.0 ms through HNSW with
# ef_search 128, recall@10 0.999; benchmarks in docs/BENCHMARKS.md): the graph pays off from a few thousand
EXACT_UP_TO = 2_000


def hnsw_index() -> str:
    # m and ef_construction are pgvector's defaults; questions search with ef_search 128 (pg_connect)
    name = HNSW_INDEX.split(".")[1]
    return f"CREATE INDEX IF NOT EXISTS {name} ON verbatim.passages USING hnsw (embedding vector_ip_ops)"


def has_store(conn: Any) -> bool:
    return conn.execute("SELECT to_regclass('verbatim.meta') IS NOT NULL").fetchone()[0]


def read_meta(conn: Any, shown: str) -> dict[str, Any]:
    """Every meta value, after checking the schema's version."""
    meta = {key: value for key, value in conn.execute("SELECT key, value FROM verbatim.meta")}
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION:
        newer = isinstance(version, int) and version > SCHEMA_VERSION
        fix = "upgrade Verbatim" if newer else "index the documents again (python -m qa index --rebuild --store URL)"
        raise StoreError(
            f"the database {shown} holds a Verbatim index of schema version {version}; this Verbatim reads version "
            f"{SCHEMA_VERSION}: {fix}"
        )
    return meta


def write_meta(conn: Any, values: dict[str, Any]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO verbatim.meta (key, value) VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [(key, json.dumps(value)) for key, value in values.items()],
        )
