"""Indexing in-process against ``index --ray`` on this machine's local Ray cluster, with 1 and 2 workers.

    .venv/bin/python benchmarks/ray_bench.py [--docs ../shared/eval/tatqa_dev/docs] [--scans 12] [--runs 1]

For each way it runs ``python -m qa index DOCS`` into a fresh index folder and reports the wall time, the passages
embedded a second, the peak memory of the driver (the ``index`` process) and of the largest Ray worker; then the
same for ``--scans`` scanned PDFs (pages read by OCR). Ray's own start-up and per-job overhead is measured by
indexing one short file. Prints Markdown (docs/BENCHMARKS.md, "Indexing on a Ray cluster").
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(docs: Path, workdir: Path, ray_workers: int | None) -> dict[str, float]:
    """One ``index`` run: seconds, passages, pages OCR'd, peak RSS (MB) of the driver and of a worker."""
    index = workdir / f"index-{ray_workers or 'local'}-{time.monotonic_ns()}"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAY_ADDRESS": ""}
    extra: list[str] = []
    if ray_workers:
        env["VERBATIM_RAY_WORKERS"] = str(ray_workers)
        extra = ["--ray"]
    peaks = {"driver": 0.0, "worker": 0.0}
    started = time.perf_counter()
    command = [sys.executable, "-m", "qa", "index", str(docs), "--index-dir", str(index), *extra]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def watch() -> None:
        driver = psutil.Process(process.pid)
        while not done.is_set():
            try:
                peaks["driver"] = max(peaks["driver"], driver.memory_info().rss / 2**20)
                for proc in psutil.process_iter(["cmdline", "memory_info"]):
                    line = " ".join(proc.info["cmdline"] or ())
                    if ("DocumentWorker" in line or "EmbedWorker" in line) and proc.info["memory_info"] is not None:
                        peaks["worker"] = max(peaks["worker"], proc.info["memory_info"].rss / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.25)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    if process.returncode != 0:
        raise SystemExit(f"index failed ({process.returncode}):\n{err[-2000:]}")
    passages = int(re.search(r"(\d+) passages embedded", out).group(1))  # type: ignore[union-attr]
    shutil.rmtree(index, ignore_errors=True)
    return {"seconds": seconds, "passages": passages, **peaks}


def scans(count: int, workdir: Path) -> tuple[Path, int]:
    """``count`` scanned PDFs (pages as images only) made from pdf_tatqa's reports, and their pages: OCR has to
    read every one."""
    import pypdfium2

    from tests.docmaker import scanned_pdf

    folder = workdir / "scans"
    folder.mkdir(exist_ok=True)
    sources = sorted((ROOT.parent / "shared" / "eval" / "pdf_tatqa" / "docs").glob("*.pdf"))[:count]
    pages = 0
    for pdf in sources:
        scanned_pdf(pdf, folder / pdf.name)
        pages += len(pypdfium2.PdfDocument(str(pdf)))
    return folder, pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=Path, default=ROOT.parent / "shared" / "eval" / "tatqa_dev" / "docs")
    parser.add_argument("--scans", type=int, default=12, help="scanned PDFs for the OCR rows (0: none)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    try:
        tiny = workdir / "tiny"
        tiny.mkdir()
        (tiny / "note.txt").write_text("The harbour master logs every ship.\n")
        rows = []
        overhead = run(tiny, workdir, 2)["seconds"] - run(tiny, workdir, None)["seconds"]
        works: list[tuple[str, Path, int]] = [("passages", args.docs, 0)]
        if args.scans:
            works.append(("OCR pages", *scans(args.scans, workdir)))
        for label, folder, pages in works:
            results = {name: run(folder, workdir, workers) for name, workers in
                       (("in-process", None), ("Ray, 1 worker", 1), ("Ray, 2 workers", 2))}  # fmt: skip
            for name, r in results.items():
                amount = r["passages"] if label == "passages" else pages
                rows.append((label, name, r["seconds"], amount, amount / r["seconds"], r["driver"], r["worker"]))
            one, two = results["Ray, 1 worker"]["seconds"], results["Ray, 2 workers"]["seconds"]
            local = results["in-process"]["seconds"]
            rows.append((label, "scaling 1 -> 2 workers (overhead taken out)", (one - overhead) / (two - overhead),
                         0, 0, 0, 0))  # fmt: skip
            rows.append((label, "Ray with 2 workers / in-process", two / local, 0, 0, 0, 0))
        print(f"Ray start-up and per-job overhead (one short file, 2 workers, against in-process): {overhead:.1f} s\n")
        print("| work | how | seconds | done | per second | driver peak MB | worker peak MB |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for label, name, seconds, amount, rate, driver, worker in rows:
            if amount:
                print(f"| {label} | {name} | {seconds:.1f} | {amount} | {rate:.1f} | {driver:.0f} | "
                      f"{worker:.0f} |" if worker else f"| {label} | {name} | {seconds:.1f} | {amount} | {rate:.1f} | "
                      f"{driver:.0f} | - |")  # fmt: skip
            else:
                print(f"| {label} | {name} | **{seconds:.2f}x** | | | | |")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
