"""The command line: ``python -m qa index|ask|eval|documents``. Library errors become one line here."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qa.access.audit import Audit, audit_report, command_actor
from qa.access.commands import add_users_command
from qa.calibrate import add_calibrate_arguments, run_calibrate_command
from qa.config import BACKENDS, MODES
from qa.console import cluster_line, error_line, page_bars, progress_bar, settings_from
from qa.errors import VerbatimError
from qa.evaluate import add_eval_arguments, run_eval_command

QUESTION_BATCH = 64  # questions embedded together by ask --questions


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except VerbatimError as exc:
        print(error_line(exc, lambda: _engine(args).rebuild_command()), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return _fail("interrupted", code=130)
    except BrokenPipeError:
        return 0


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


STORE_HELP = "keep the index in PostgreSQL at this postgresql:// URL instead (default: files; $VERBATIM_STORE)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description="Verbatim: answers quoted from your documents.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("--index-dir", help="index folder (default: index/ or $VERBATIM_INDEX_DIR)")
        cmd.add_argument("--store", metavar="URL", help=STORE_HELP)
        cmd.add_argument("--model", help="'minilm' (default), 'mpnet', or a sentence-transformers folder")
        cmd.add_argument("--backend", choices=BACKENDS, help="how the model runs (default onnx-int8)")
        cmd.set_defaults(run=run)
        return cmd

    index = command("index", _index, "Index files and folders (only new or changed documents are embedded).")
    index.add_argument("paths", nargs="+", metavar="PATH")
    index.add_argument("--rebuild", action="store_true", help="start a new index instead of updating")
    index.add_argument("--collection", metavar="NAME", help="put the files into this collection (default: each "
                       "keeps its own; a new one goes into 'default')")  # fmt: skip
    index.add_argument("--ray", nargs="?", const="auto", metavar="ADDRESS", help="read, OCR and embed on a Ray "
                       "cluster: auto (RAY_ADDRESS, else a local one) or its address ($VERBATIM_RAY)")  # fmt: skip

    ask = command("ask", _ask, "Answer a question with passages quoted from the documents.")
    ask.add_argument("question", nargs="?", help="the question (or use --questions FILE)")
    ask.add_argument(
        "--questions", metavar="FILE",
        help='a file of questions, one a line (\'-\' for stdin); a line may be {"question": ..., "history": [...]}',
    )  # fmt: skip
    ask.add_argument("-k", type=int, help="number of passages (default 3)")
    ask.add_argument("--mode", choices=MODES, help="search mode (default hybrid)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question, one a line")
    ask.add_argument(
        "--document", action="append", default=[], metavar="NAME",
        help="search only this document (a file name or a path as qa documents lists it); repeatable",
    )  # fmt: skip
    ask.add_argument("--collection", action="append", metavar="NAME", help="search only this collection; repeatable")

    serve = sub.add_parser("serve", help="Start the web app (the same as python app.py).", add_help=False)
    serve.add_argument("rest", nargs=argparse.REMAINDER)
    serve.set_defaults(run=_serve)

    command("mcp", _mcp, "Serve the index to AI agents as an MCP server over stdio (read-only tools).")

    docs = command("documents", _documents, "List the indexed documents.")
    docs.add_argument("--json", action="store_true")
    docs.add_argument("--collection", action="append", metavar="NAME", help="only this collection; repeatable")

    add_users_command(sub)

    migrate = command("migrate", _migrate, "Copy the index between --index-dir and --store, embedding nothing again.")
    migrate.add_argument("--to", choices=("postgres", "files"), default="postgres",
                         help="the store to copy into (default postgres: from --index-dir into --store)")
    migrate.add_argument("--replace", action="store_true", help="overwrite an index the target already holds")

    evaluate = command("eval", run_eval_command, "Measure retrieval on an evaluation set (see ../shared/eval).")
    add_eval_arguments(evaluate)

    calibrate = command("calibrate", run_calibrate_command, "Choose the 'not in the documents' threshold from data.")
    add_calibrate_arguments(calibrate)
    return parser


def _engine(args: argparse.Namespace) -> Any:
    from qa.engine import Engine

    cached = getattr(args, "_engine", None)
    if cached is None:
        cached = Engine(settings_from(args, mode=getattr(args, "mode", None)))
        args._engine = cached
    return cached


def _index(args: argparse.Namespace) -> int:
    engine = _engine(args)
    cluster = engine.ray_reader(cluster_line()) if engine.settings.ray else None
    report = engine.add(args.paths, progress=progress_bar(), rebuild=args.rebuild, reading=page_bars,
                        collection=args.collection, cluster=cluster)  # fmt: skip
    if cluster is not None:
        progress = cluster.progress  # type: ignore[attr-defined]
        where = cluster.joined or "no cluster (nothing new to read)"  # type: ignore[attr-defined]
        print(f"\nread and embedded on {where}: {progress.files} files ({progress.pages} pages, "
              f"{progress.ocr_pages} by OCR) read by {len(progress.readers)} workers, {progress.embedded} passages "
              f"embedded by {len(progress.embedders)}",
              file=sys.stderr)  # fmt: skip
    audit_report(Audit(engine.settings.index_dir / "audit.jsonl"), command_actor(), report, args.collection)
    for duplicate, original in report.duplicates:
        print(f"note: {duplicate} has the same content as {original}; indexed once", file=sys.stderr)
    for problem in report.problems:
        print(f"skipped: {problem.path}: {problem.reason}", file=sys.stderr)
    if report.skipped:
        kinds = sorted({Path(p).suffix or "(no extension)" for p in report.skipped})
        print(f"note: {len(report.skipped)} file(s) of unsupported types ignored ({', '.join(kinds)})", file=sys.stderr)
    print(report.summary())
    indexed = report.added or report.updated or report.unchanged
    return 0 if indexed or not report.problems else 1


def _ask(args: argparse.Namespace) -> int:
    from qa.errors import QuestionError
    from qa.render import answer_to_dict, answer_to_text

    if args.questions:
        if args.questions == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(args.questions, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        questions = [_question_line(line, n) for n, line in enumerate(lines, start=1) if line.strip()]
    elif args.question is not None:
        questions = [(args.question, [])]
    else:
        raise QuestionError("give a question, or --questions FILE")
    engine = _engine(args)
    for start in range(0, len(questions), QUESTION_BATCH):  # embedded a batch at a time, printed as they come
        batch = questions[start : start + QUESTION_BATCH]
        answers = engine.ask_many(batch, k=args.k, mode=args.mode, documents=args.document,
                                  collections=args.collection)  # fmt: skip
        for i, answer in enumerate(answers, start=start):
            if args.json:
                print(json.dumps(answer_to_dict(answer), ensure_ascii=False), flush=True)
            else:
                print(("\n" if i else "") + answer_to_text(answer), flush=True)
    return 0


def _question_line(line: str, number: int) -> tuple[str, list[str]]:
    """A line of ``--questions``: plain text is a question; a JSON object gives "question" and "history"."""
    from qa.errors import QuestionError

    text = line.strip()
    if not text.startswith("{"):
        return text, []
    try:
        item = json.loads(text)
        question, history = item["question"], item.get("history", [])
        if not isinstance(question, str) or not all(isinstance(h, str) for h in history):
            raise TypeError("question and history must be text")
    except (ValueError, KeyError, TypeError) as exc:
        raise QuestionError(
            f'line {number} of the questions is not {{"question": "...", "history": ["..."]}} ({exc})'
        ) from exc
    return question, list(history)


def _serve(args: argparse.Namespace) -> int:
    from qa.webapp import main as serve

    return serve(args.rest)


def _mcp(args: argparse.Namespace) -> int:
    from qa.mcp_server import serve_stdio

    engine = _engine(args)
    engine.snapshot  # noqa: B018 - a missing or damaged index is one line on stderr now, not a broken session
    return serve_stdio(engine)


def _migrate(args: argparse.Namespace) -> int:
    from qa.stores.choose import open_store
    from qa.stores.files import Store
    from qa.stores.migrate import files_to_postgres, postgres_to_files

    settings = settings_from(args)
    if not settings.store:
        return _fail("migrate needs --store postgresql://... (or VERBATIM_STORE) beside --index-dir")
    files, pg = Store(settings.index_dir), open_store(settings.index_dir, settings.store)
    started = time.perf_counter()
    if args.to == "postgres":
        copied = files_to_postgres(files, pg, args.replace)  # type: ignore[arg-type]
        where = f"from {files.root} into {pg.name}"
    else:
        copied = postgres_to_files(pg, files, args.replace)  # type: ignore[arg-type]
        where = f"from {pg.name} into {files.root}"
    print(f"Copied {copied} passages {where} in {time.perf_counter() - started:.1f}s; nothing was embedded again.")
    return 0


def _documents(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    docs = _engine(args).documents(args.collection)
    if args.json:
        print(json.dumps([asdict(d) for d in docs], ensure_ascii=False))
        return 0
    for d in docs:
        extra = f", duplicate of {d.duplicate_of}" if d.duplicate_of else ""
        pages = f", {d.pages} pages" if d.pages else ""
        print(f"{d.path}  ({d.kind}{pages}, {d.passages} passages{extra}; collection {d.collection})")
    if not docs:
        print("The index is empty.")
    return 0
