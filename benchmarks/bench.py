"""Speed and scale benchmark; writes its figures and the machine they came from to docs/BENCHMARKS.md.

    .venv/bin/python benchmarks/bench.py [--docs 1500] [--sizes 10000,100000,1000000] [--out docs/BENCHMARKS.md]

Indexing is compared with the bare ``SentenceTransformer.encode`` (fp32) of the same passages in the same
run: these machines are noisy, so ratios count, not absolute times. Scale runs use the SciFact passages'
real vectors, tiled with noise to reach 100k and 1M, and texts repeated from the real passages.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.chunker import chunk_text  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.dense import DenseIndex  # noqa: E402
from qa.embedder import Embedder  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.lexical import Lexical  # noqa: E402
from qa.metrics import evaluate, load_questions, passage_lengths  # noqa: E402
from qa.snapshot import Snapshot  # noqa: E402
from qa.stores.files import Store  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
BACKENDS = ("torch", "onnx", "onnx-int8")


def rss_mb(field: str) -> float:
    """Resident memory now (VmRSS) or at its peak (VmHWM) of this process, in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def machine() -> list[str]:
    with open("/proc/cpuinfo") as handle:
        cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
    import faiss
    import onnxruntime
    import torch

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"- {cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()},",
        f"  torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, faiss {faiss.__version__};",
        f"  run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
    ]


def indexing(docs: list[Path], out: list[str], rounds: int = 2) -> None:
    """Passages/s for the bare encode and for Verbatim's whole indexing, per backend; then re-indexing."""
    reference = Embedder("minilm", backend="torch")
    settings = Settings.from_env()
    texts = []
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        texts += [text[c.start : c.end] for c in chunk_text(text, settings.chunking, reference.count_tokens)]
    chars = sum(map(len, texts))
    model = reference.backend.model
    model.encode(texts[:64], batch_size=32)  # warm up
    embedders = {backend: Embedder("minilm", backend=backend) for backend in BACKENDS}
    for embedder in embedders.values():  # load (and on first use export) the models: not indexing time
        embedder.embed_queries(["warm up"])
        embedder.embed_passages(["warm up"], [()])
    best: dict[str, float] = {}
    reruns: list[tuple[float, float, int]] = []
    for _ in range(rounds):  # alternate the pipelines and keep each one's best: the machine is noisy
        started = time.perf_counter()
        model.encode(texts, batch_size=32, normalize_embeddings=True)
        best["bare"] = min(best.get("bare", float("inf")), time.perf_counter() - started)
        for backend, embedder in embedders.items():
            with tempfile.TemporaryDirectory() as tmp:
                engine = Engine(replace(settings, index_dir=Path(tmp), backend=backend), embedder=embedder)
                started = time.perf_counter()
                engine.add(docs)
                full = time.perf_counter() - started
                started = time.perf_counter()
                again = engine.add(docs)
                if backend == "onnx-int8":
                    reruns.append((time.perf_counter() - started, full, again.passages_embedded))
            best[backend] = min(best.get(backend, float("inf")), full)
    bare = best["bare"]
    out += [
        f"### Indexing: {len(docs)} SciFact abstracts, {len(texts)} passages, {chars / 1e6:.2f} M characters "
        f"(best of {rounds} alternating runs)", "",
        "| pipeline | passages/s | characters/s | × bare fp32 encode |", "|---|---:|---:|---:|",
        f"| bare `SentenceTransformer.encode`, fp32, batch 32 | {len(texts) / bare:.1f} | {chars / bare:,.0f} | 1.00 |",
    ]  # fmt: skip
    for backend in BACKENDS:
        full = best[backend]
        out.append(
            f"| Verbatim `index`, {backend} (read, chunk, embed, save) | {len(texts) / full:.1f} | "
            f"{chars / full:,.0f} | {bare / full:.2f} |"
        )
    rerun, full, embedded = min(reruns)
    out += ["", f"Re-indexing the same {len(docs)} unchanged files (onnx-int8): {rerun:.2f} s against {full:.1f} s "
            f"for the full build = **{100 * rerun / full:.1f}%**, {embedded} passages embedded.", ""]  # fmt: skip


def quality(out: list[str], sets: list[str]) -> None:
    out += ["### hit@1 by backend (hybrid mode; `qa eval` on ../shared/eval)", "",
            "| set | " + " | ".join(BACKENDS) + " |", "|---|" + "---:|" * len(BACKENDS)]  # fmt: skip
    for name in sets:
        set_dir = EVAL / name
        questions = load_questions(set_dir)
        cells = []
        for backend in BACKENDS:
            with tempfile.TemporaryDirectory() as tmp:
                engine = Engine(Settings.from_env(index_dir=tmp, backend=backend))
                engine.add([set_dir / "docs"])
                result = evaluate(engine, questions, "hybrid").as_dict(passage_lengths(engine))
            cells.append(f"{result['hit@1']:.3f}")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out.append("")


def latency(engine: Engine, questions: list[str], label: str, out: list[str]) -> dict[str, float]:
    """Warm, one question at a time: p50/p95 of each stage and of the whole."""
    for q in questions[:5]:
        engine.ask(q)
    stages: dict[str, list[float]] = {}
    embed_only = []
    for q in questions:
        started = time.perf_counter()
        engine.embedder.embed_queries([q])
        embed_only.append(time.perf_counter() - started)
        answer = engine.ask(q)
        for name, seconds in answer.timings.items():
            stages.setdefault(name, []).append(seconds)
    order = ["embed", "dense", "lexical", "highlight", "fusion", "passages", "total"]
    cells = " | ".join(f"{pct(stages[s], 50):.2f} / {pct(stages[s], 95):.2f}" for s in order)
    out.append(
        f"| {label} | {cells} | {pct(embed_only, 50):.2f} | {pct(stages['total'], 50) / pct(embed_only, 50):.2f} |"
    )
    return {"p50": pct(stages["total"], 50), "embed": pct(embed_only, 50)}


def tiled_snapshot(base: Snapshot, size: int, kind: str | None, seed: int = 0) -> Snapshot:
    """A snapshot of ``size`` passages: the base's rows repeated, vectors jittered so none are equal."""
    rng = np.random.default_rng(seed)
    n = len(base.passages)
    reps = -(-size // n)
    rows = np.tile(np.arange(n), reps)[:size]
    vectors = np.asarray(base.embeddings, dtype=np.float32)[rows]
    vectors += rng.normal(scale=0.02, size=vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    table = base.passages.take(rows)
    sentence_rows = base.passages.sentence_index(rows)
    counts = base.lexical.counts[rows]
    last = base.contents[-1]
    contents = (*base.contents[:-1], replace(last, passages=size - last.first_row))
    return replace(
        base, passages=table, embeddings=vectors, contents=contents,
        sentence_vectors=np.asarray(base.sentence_vectors)[sentence_rows],
        lexical=Lexical(counts, base.lexical.vocab), dense=DenseIndex.build(vectors, kind),
    )  # fmt: skip


def scale(base_dir: Path, sizes: list[int], questions: list[str], out: list[str], workdir: Path) -> None:
    base = Engine(Settings.from_env(index_dir=base_dir, backend="onnx-int8")).snapshot
    query_vectors = Embedder("minilm", backend="onnx-int8").embed_queries(questions)
    out += ["### Dense index by collection size (top-100 candidates for one question)", "",
            "| passages | index | build s | p50 ms | p95 ms | recall@10 vs exact | index MB |",
            "|---:|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    rng = np.random.default_rng(1)
    for size in sizes:
        rows = np.tile(np.arange(len(base.passages)), -(-size // len(base.passages)))[:size]
        vectors = np.asarray(base.embeddings, dtype=np.float32)[rows]
        vectors += rng.normal(scale=0.02, size=vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        exact = DenseIndex.build(vectors, "flat")
        truth = [set(exact.search(q, 10)[0].tolist()) for q in query_vectors]
        for kind in ("flat", "ivf-sq8", "hnsw"):
            if kind == "hnsw" and size > 100_000:
                continue  # measured up to 100k: its build time and memory rule it out beyond
            started = time.perf_counter()
            index = exact if kind == "flat" else DenseIndex.build(vectors, kind)
            built = time.perf_counter() - started
            times, recall = [], []
            for q, true in zip(query_vectors, truth, strict=True):
                t = time.perf_counter()
                found = index.search(q, 100)[0]
                times.append(time.perf_counter() - t)
                recall.append(len(true & set(found.tolist())) / 10)
            import faiss

            megabytes = faiss.serialize_index(index.index).nbytes / 2**20
            out.append(f"| {size:,} | {kind} | {built:.1f} | {pct(times, 50):.2f} | {pct(times, 95):.2f} | "
                       f"{np.mean(recall):.3f} | {megabytes:.0f} |")  # fmt: skip
        del exact, vectors
    out += ["", "### A question end to end (onnx-int8, warm, one at a time; ms, p50 / p95)", "",
            "| collection | embed | dense | lexical | highlight | fusion | passages | total "
            "| embed alone p50 | total ÷ embed |",
            "|---|---|---|---|---|---|---|---|---:|---:|"]  # fmt: skip
    engine = Engine(Settings.from_env(index_dir=base_dir, backend="onnx-int8"))
    latency(engine, questions, f"SciFact, {len(base.passages):,} passages (flat)", out)
    for size in sizes:
        folder = workdir / f"tiled-{size}"
        snapshot = tiled_snapshot(base, size, None)
        store = Store(folder)
        store.save(snapshot)
        for content in snapshot.contents:
            shutil.copyfile(
                Store(base_dir).texts_dir / f"{content.sha256}.txt", _mk(store.texts_dir) / f"{content.sha256}.txt"
            )
        del snapshot
        result = subprocess.run(
            [sys.executable, __file__, "--measure-one", str(folder), "--questions-from", str(EVAL / "scifact")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        out.append(result.stdout.strip())
        shutil.rmtree(folder)
    out.append("")


def _mk(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def measure_one(folder: Path, set_dir: Path) -> None:
    """In a fresh process: load a saved index, answer questions, print a table row with resident memory."""
    questions = [q.question for q in load_questions(set_dir)][:200]
    started = time.perf_counter()
    engine = Engine(Settings.from_env(index_dir=folder, backend="onnx-int8"))
    snapshot = engine.snapshot
    engine.embedder.embed_queries(["warm up"])
    loaded = time.perf_counter() - started
    rows: list[str] = []
    latency(engine, questions, f"{len(snapshot.passages):,} passages ({snapshot.dense.kind})", rows)
    print(rows[0] + f" <br>RSS {rss_mb('VmRSS'):,.0f} MB (peak {rss_mb('VmHWM'):,.0f}), loaded in {loaded:.1f} s")


def startup(out: list[str], index_dir: Path) -> None:
    """Seconds from starting app.py on an existing index to the page being served."""
    sys.path.insert(0, str(ROOT))
    from tests.app_server import running_app

    started = time.perf_counter()
    with running_app(index_dir):
        ready = time.perf_counter() - started
    out += [f"App start-up on the existing SciFact index: **{ready:.1f} s** from process start to the page "
            "answering; nothing re-embedded (start-up indexes nothing when the index exists).", ""]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1500, help="SciFact abstracts for the indexing run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating indexing runs; the best of each counts")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--quality-sets", default="article,tatqa_dev")
    parser.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    parser.add_argument("--measure-one", help=argparse.SUPPRESS)
    parser.add_argument("--questions-from", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_one:
        measure_one(Path(args.measure_one), Path(args.questions_from))
        return
    out = ["# Benchmarks", "", "Produced by `.venv/bin/python benchmarks/bench.py " + " ".join(sys.argv[1:]) + "`", "",
           "## Machine", "", *machine(), ""]  # fmt: skip
    docs = sorted((EVAL / "scifact" / "docs").glob("*.txt"))
    indexing(docs[: args.docs], out, args.rounds)
    quality(out, [s for s in args.quality_sets.split(",") if s])
    with tempfile.TemporaryDirectory(prefix="verbatim-bench-") as tmp:
        base_dir = Path(tmp) / "scifact"
        engine = Engine(Settings.from_env(index_dir=base_dir, backend="onnx-int8"))
        engine.add([EVAL / "scifact" / "docs"])
        questions = [q.question for q in load_questions(EVAL / "scifact")][:200]
        scale(base_dir, [int(s) for s in args.sizes.split(",") if s], questions, out, Path(tmp))
        startup(out, base_dir)
    Path(args.out).write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
