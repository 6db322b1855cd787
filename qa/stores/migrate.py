"""Copy an index between the stores without embedding anything again: the same passages, vectors and term counts,
so the copy answers exactly as the original (``python -m qa migrate``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import sparse

from qa.dense import DenseIndex
from qa.errors import VerbatimError
from qa.lexical import Lexical
from qa.passages import PassageTable
from qa.snapshot import Snapshot
from qa.stores.batch import NewRows
from qa.stores.files import Store
from qa.stores.pg_write import Write, originals_of
from qa.stores.postgres import PostgresStore

BLOCK = 100_000  # rows of vectors read at a time


def files_to_postgres(files: Store, pg: PostgresStore, replace_existing: bool = False) -> int:
    """Copy the files index into the database (one transaction); the passages copied."""
    snapshot = files.load()
    _refuse_overwrite(pg.exists(), pg.name, replace_existing)
    n = len(snapshot.passages)
    dim = int(snapshot.model["dimension"])
    vectors = _read_all(snapshot.embeddings, n, dim, np.float32)
    sentences = _read_all(snapshot.sentence_vectors, int(snapshot.passages.sentence_ptr[-1]), dim, np.float16)
    texts = {c.key: (files.read_text(c.key), files.read_boxes(c.key)) for c in snapshot.contents}
    new = NewRows(list(snapshot.contents), texts, snapshot.passages, [], vectors, sentences)
    write = Write(new, snapshot.lexical.counts, list(snapshot.lexical.vocab), list(snapshot.headings),
                  snapshot.documents, snapshot.model, snapshot.chunking, originals=_originals(snapshot),
                  drop=[], moved={}, rebuild=True)  # fmt: skip
    with pg.lock():
        pg.apply(write)
    return n


def postgres_to_files(pg: PostgresStore, files: Store, replace_existing: bool = False) -> int:
    """Copy the database's index into the files store (a new generation); the passages copied."""
    index = pg.load()
    _refuse_overwrite(files.exists(), str(files.root), replace_existing)
    with pg.reading():
        conn = pg.conn()
        rows = conn.execute(
            "SELECT id, content_id, start, stop, line, page, heading, embedding FROM verbatim.passages ORDER BY id"
        ).fetchall()
        sentences = conn.execute(
            "SELECT passage_id, start, stop, embedding FROM verbatim.sentences ORDER BY passage_id, ord"
        ).fetchall()
        vocab_rows = conn.execute("SELECT id, term FROM verbatim.terms ORDER BY id").fetchall()
        postings = conn.execute("SELECT passage_id, term_id, tf FROM verbatim.postings").fetchall()
        items, documents = index.content_items(), tuple(index.documents)  # the same generation as the rows
    ordinals = {db_id: i for i, (db_id, _) in enumerate(items)}
    row_of = {r[0]: i for i, r in enumerate(rows)}
    headings = list(dict.fromkeys(r[6] for r in rows if r[6] is not None))
    heading_ids = {h: i for i, h in enumerate(headings)}
    per_row = np.bincount([row_of[s[0]] for s in sentences], minlength=len(rows))
    table = PassageTable(
        content=np.array([ordinals[r[1]] for r in rows], dtype=np.int64),
        start=np.array([r[2] for r in rows], dtype=np.int64), end=np.array([r[3] for r in rows], dtype=np.int64),
        line=np.array([r[4] for r in rows], dtype=np.int64), page=np.array([r[5] for r in rows], dtype=np.int64),
        heading=np.array([heading_ids.get(r[6], -1) for r in rows], dtype=np.int64),
        sentence_ptr=np.concatenate([[0], np.cumsum(per_row)]).astype(np.int64),
        sentence_start=np.array([s[1] for s in sentences], dtype=np.int64),
        sentence_end=np.array([s[2] for s in sentences], dtype=np.int64),
    )  # fmt: skip
    dim = int(index.model["dimension"])
    embeddings = np.array([r[7].to_numpy() for r in rows], dtype=np.float32).reshape(-1, dim)
    sentence_vectors = np.array([s[3].to_numpy() for s in sentences], dtype=np.float16).reshape(-1, dim)
    term_col = {term_id: i for i, (term_id, _) in enumerate(vocab_rows)}
    counts = sparse.csr_matrix(
        (np.array([p[2] for p in postings], dtype=np.float32),
         ([row_of[p[0]] for p in postings], [term_col[p[1]] for p in postings])),
        shape=(len(rows), len(vocab_rows)),
    )  # fmt: skip
    first_rows = np.searchsorted(table.content, np.arange(len(items)))
    contents = tuple(replace(c, first_row=int(f)) for (_, c), f in zip(items, first_rows, strict=True))
    snapshot = Snapshot(
        model=index.model, chunking=index.chunking, documents=documents, contents=contents,
        headings=tuple(headings), passages=table, embeddings=embeddings, sentence_vectors=sentence_vectors,
        lexical=Lexical(counts, [t for _, t in vocab_rows], pages=table.page_groups()),
        dense=DenseIndex.build(embeddings), generation=0,
    )  # fmt: skip
    with files.lock():
        for content in contents:
            files.write_text(content.key, pg.read_text(content.key), pg.read_boxes(content.key))
        files.save(snapshot)
    return len(rows)


def _originals(snapshot: Snapshot) -> dict[str, bytes]:
    holders: dict[str, list[str]] = {}
    for document in snapshot.documents:
        holders.setdefault(document.sha256, []).append(document.path)
    return originals_of(snapshot.contents, holders)


def _read_all(matrix: object, n: int, dim: int, dtype: type) -> np.ndarray:
    """Every row of an in-memory matrix or a ``RowFile``, a block at a time."""
    blocks = [np.asarray(matrix[np.arange(i, min(n, i + BLOCK))], dtype) for i in range(0, n, BLOCK)]  # type: ignore[index]
    return np.concatenate(blocks) if blocks else np.zeros((0, dim), dtype=dtype)


def _refuse_overwrite(exists: bool, name: str, replace_existing: bool) -> None:
    if exists and not replace_existing:
        raise VerbatimError(f"{name} already holds an index: pass --replace to overwrite it")
