"""Load test: concurrent users asking questions while a document is uploaded, through Gradio's ``/search``
(gradio_client) or the JSON API's ``/api/search`` (plain HTTP, one keep-alive connection a user).

    .venv/bin/python benchmarks/load_test.py [--clients 16] [--questions 25] [--via gradio,api] [--upload-pages N]
        [--store postgresql://... --apps 2]

Starts the real app on loopback with the bundled article for each way in, runs the clients, checks every
answer (each passage an exact slice of its source) and prints the figures as Markdown; with ``--upload-pages``
the upload is a made-up PDF of that many pages instead of a line of text; with ``--store`` and ``--apps`` the
clients are spread over several app processes on one PostgreSQL database, the upload goes through the first and
is looked for through the last. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "Who wrote the audit on grooming gangs?", "Were residential care homes targeted?",
    "What role did weak taxi licensing play?", "How long did victims wait for their cases to progress?",
    "Is the data on perpetrators collated properly today?", "What did one local authority find?",
    "How did the system respond to the ethnicity question?", "What is the speed of light?",
    "Was the 2020 Home Office report widely cited?", "Are some areas unwilling to reopen the issue?",
]  # fmt: skip
UPLOADED = "The lighthouse on the northern cape was automated in 1994 and its keeper retired to the village.\n"


def run_load(
    clients: int, questions: int, workdir: Path, via: str = "gradio", upload_pages: int = 0, store: str | None = None,
    apps: int = 1,
) -> dict[str, Any]:
    """``clients`` users asking ``questions`` each, spread over ``apps`` app processes (on one PostgreSQL
    ``store`` when there are several), while a document is uploaded through the first."""
    from contextlib import ExitStack

    from gradio_client import Client, handle_file

    from tests.app_server import running_app

    workdir.mkdir(parents=True, exist_ok=True)
    article = workdir / "article.txt"
    article.write_text((ROOT / "samples" / "article.txt").read_text(encoding="utf-8"), encoding="utf-8")
    upload = _upload_file(workdir, upload_pages)
    texts = _source_texts(article, upload)
    latencies: list[float] = []
    failures: list[str] = []
    checked = [0]
    lock = threading.Lock()
    env = {"VERBATIM_STORE": store} if store else {}
    with ExitStack() as stack:
        urls = [stack.enter_context(running_app(workdir / "index", str(article), env=env))]
        urls += [stack.enter_context(running_app(workdir / f"index-{n}", env=env)) for n in range(1, apps)]
        url = urls[0]

        def user(number: int) -> None:
            ask = _asker(urls[number % len(urls)], via)
            for i in range(questions):
                question = QUESTIONS[(number + i) % len(QUESTIONS)]
                started = time.perf_counter()
                try:
                    answer = ask(question)
                    problems = [p for p in answer["passages"] if not _verbatim(p, texts)]
                except Exception as exc:  # every failure is counted and reported, never hidden
                    with lock:
                        failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    latencies.append(time.perf_counter() - started)
                    checked[0] += len(answer["passages"])
                    failures.extend(f"not verbatim: {p['source']}" for p in problems)

        def uploader() -> str:
            client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
            time.sleep(1.0)  # while the questions are in flight
            result = client.predict([handle_file(str(upload))], api_name="/upload")
            return str(result[0])

        started = time.perf_counter()
        with ThreadPoolExecutor(clients + 1) as pool:
            upload_job = pool.submit(uploader)
            list(pool.map(user, range(clients)))
            upload_status = upload_job.result()
        wall = time.perf_counter() - started
        after = Client(urls[-1], verbose=False, analytics_enabled=False, download_files=False)
        found = after.predict("When was the lighthouse automated?", 1, api_name="/search")
    ordered = sorted(latencies)
    return {
        "via": via,
        "apps": apps,
        "clients": clients,
        "questions_each": questions,
        "requests": clients * questions,
        "answered": len(latencies),
        "failures": failures,
        "passages_checked": checked[0],
        "p50_ms": 1000 * statistics.median(ordered) if ordered else None,
        "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))] if ordered else None,
        "wall_s": wall,
        "throughput": len(latencies) / wall,
        "upload_status": upload_status,
        "uploaded_found": bool(found["passages"]) and "lighthouse" in found["passages"][0]["source"],
    }


def _asker(url: str, via: str) -> Any:
    """A user's way of asking: ``question -> answer object``."""
    if via == "api":
        import httpx

        session = httpx.Client(base_url=url, timeout=60)

        def ask(question: str) -> dict[str, Any]:
            response = session.post("/api/search", json={"question": question, "k": 3})
            response.raise_for_status()
            return response.json()

        return ask
    from gradio_client import Client

    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    return lambda question: client.predict(question, 3, api_name="/search")


def _upload_file(workdir: Path, pages: int) -> Path:
    """The document uploaded during the run: a line about a lighthouse, or a PDF of ``pages`` pages with it."""
    if not pages:
        upload = workdir / "lighthouse.txt"
        upload.write_text(UPLOADED, encoding="utf-8")
        return upload
    from tests.docmaker import make_layout_pdf, wrapped

    body = " ".join(QUESTIONS) + " The harbour report lists every vessel and its tonnage for the season."
    drawn = [[*wrapped(UPLOADED.strip() if n == 0 else body, 50, 80), *wrapped(body, 50, 200)] for n in range(pages)]
    return make_layout_pdf(workdir / "lighthouse.pdf", drawn)


def _source_texts(*paths: Path) -> dict[str, str]:
    """Each file's text as its offsets index it, by file name, read before the clients start (they share the two
    cores with the server): the file itself for text, what the reader extracts for a PDF (the text the index
    keeps for the uploaded copy)."""
    from qa.readers.loaders import load_document

    return {
        path.name: path.read_bytes().decode("utf-8") if path.suffix == ".txt"
        else load_document(str(path), path.read_bytes()).text
        for path in paths
    }  # fmt: skip


def _verbatim(passage: dict[str, Any], texts: dict[str, str]) -> bool:
    return texts[Path(passage["source"]).name][passage["start"] : passage["end"]] == passage["text"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--questions", type=int, default=25)
    parser.add_argument("--via", default="gradio", help="comma-separated: gradio (/search), api (/api/search)")
    parser.add_argument("--upload-pages", type=int, default=0, help="upload a PDF of this many pages (0: a line)")
    parser.add_argument("--store", help="a postgresql:// URL (an empty database): the apps share the index there")
    parser.add_argument("--apps", type=int, default=1, help="app processes (more than one needs --store)")
    args = parser.parse_args()
    print("| way in | clients × questions | answered | failed | passages checked | p50 ms | p95 ms | questions/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    results = []
    for via in args.via.split(","):
        with tempfile.TemporaryDirectory(prefix="verbatim-load-") as tmp:
            r = run_load(args.clients, args.questions, Path(tmp), via=via, upload_pages=args.upload_pages,
                         store=args.store, apps=args.apps)  # fmt: skip
        results.append(r)
        name = {"gradio": "`/search` (gradio_client)", "api": "`/api/search` (JSON)"}[via]
        name += f" over {args.apps} apps on PostgreSQL" if args.store else ""
        print(f"| {name} | {r['clients']} × {r['questions_each']} | {r['answered']} | {len(r['failures'])} "
              f"| {r['passages_checked']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['throughput']:.1f} |",
              flush=True)  # fmt: skip
    for r in results:
        print(f"\n{r['via']}: upload during the run: {r['upload_status']!r}; the uploaded document answers "
              f"afterwards: {r['uploaded_found']}.")  # fmt: skip
        for failure in r["failures"][:10]:
            print("failure:", failure)


if __name__ == "__main__":
    main()
