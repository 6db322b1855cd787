"""The web page's handlers, around one ``Engine`` shared by every visitor: each turns what the page sends into a
library call and the library's errors into messages (``qa.webapp`` lays out the page and wires them)."""

# ruff: noqa: I001  (qa is imported before gradio on purpose: it switches off outside requests first)
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import qa  # noqa: F401  (sets the offline switches before gradio is imported)
from qa.engine import Engine
from qa.errors import VerbatimError
from qa.render import answer_to_dict, answers_to_markdown
from qa.render_html import answer_html, escape_text
from qa.types import Answer
from qa.uploads import store_uploads

import gradio as gr
from PIL import Image

EXPORTS_KEPT = 32  # Markdown exports kept on disk: Gradio copies each into its own cache as it is offered


class Exports:
    """A folder of the chats' Markdown exports, removed with the app; only the newest ``EXPORTS_KEPT`` stay."""

    def __init__(self, kept: int = EXPORTS_KEPT) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="verbatim-export-"))
        self.kept = kept
        self._lock = threading.Lock()  # visitors export at once: none prunes a folder another is writing
        weakref.finalize(self, shutil.rmtree, self.folder, True)

    def write(self, markdown: str) -> Path:
        """``markdown`` as ``verbatim-answers.md`` in a folder of its own (named by its content)."""
        folder = self.folder / hashlib.sha256(markdown.encode("utf-8")).hexdigest()[:16]
        with self._lock:
            folder.mkdir(exist_ok=True)
            path = folder / "verbatim-answers.md"
            path.write_text(markdown, encoding="utf-8")
            older = sorted(self.folder.iterdir(), key=lambda p: p.stat().st_mtime_ns, reverse=True)[self.kept :]
            for stale in older:
                shutil.rmtree(stale, ignore_errors=True)
        return path


class App:
    """The page's handlers, around one Engine shared by every visitor."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.exports = Exports()

    def ask(
        self, question: str, history: list[dict[str, Any]], answers: list[Answer], topic: int, k: int, mode: str,
        within: list[str] | None = None,
    ) -> tuple[list[dict[str, Any]], str, list[Answer], Any]:  # fmt: skip
        """The chat with the question and its answer added; the answers so far, and their Markdown export.

        The questions asked since the last "New topic" are the conversation a follow-up may refer back to.
        """
        question = (question or "").strip()
        if not question:
            gr.Warning("Type a question first.")
            return history, "", answers, gr.update()
        try:
            earlier = [a.question for a in answers[int(topic) :]]
            answer = self.engine.ask(question, k=int(k), mode=mode, history=earlier, documents=within or [])
            reply = answer_html(answer, self.engine.context)
            answers = [*answers, answer]
        except VerbatimError as exc:
            reply = f'<div class="vb-none">{escape_text(str(exc))}</div>'
        user = {"role": "user", "content": escape_text(question)}
        return [*history, user, {"role": "assistant", "content": reply}], "", answers, self.export(answers)

    def ask_from_link(
        self, history: list[dict[str, Any]], answers: list[Answer], k: int, mode: str, request: gr.Request
    ) -> tuple[list[dict[str, Any]], str, list[Answer], Any]:
        """Opening the page with ``?q=QUESTION`` asks that question."""
        question = (request.query_params.get("q") or "").strip() if request else ""
        if not question:  # leave everything as it is: the visitor may be typing already
            return gr.update(), gr.update(), gr.update(), gr.update()
        return self.ask(question, history, answers, len(answers), k, mode)

    @staticmethod
    def new_topic(history: list[dict[str, Any]], answers: list[Answer]) -> tuple[list[dict[str, Any]], int]:
        """Later questions no longer look back at the ones asked so far."""
        note = '<div class="vb-searched">New topic: the questions above are no longer used to search.</div>'
        return [*history, {"role": "assistant", "content": note}] if answers else history, len(answers)

    def export(self, answers: list[Answer]) -> Any:
        """The chat as a Markdown file, ready for "Download answers"."""
        if not answers:
            return gr.update(value=None, interactive=False)
        return gr.update(value=str(self.exports.write(answers_to_markdown(answers))), interactive=True)

    def page_image(self, source: str, start: float, end: float) -> Image.Image:
        """The page of a passage (its ``source``, ``start``, ``end`` in a /search answer), marked; its pages, one
        under the other, when it runs over a page break."""
        return self._page(source, int(start), int(end), None)

    def show_page(self, request: str) -> Any:
        """The "Show on page" link of a passage: its page, the passage and its answer sentence marked."""
        try:
            asked = json.loads(request)
            answer = tuple(asked["answer"]) if asked.get("answer") else None
            image = self._page(str(asked["source"]), int(asked["start"]), int(asked["end"]), answer)
        except (ValueError, KeyError, TypeError) as exc:
            raise gr.Error(f"not a page request ({exc})") from exc
        name = os.path.basename(str(asked["source"]))
        return gr.update(value=image, label=f"{name}: the passage marked where it stands", visible=True)

    def _page(self, source: str, start: int, end: int, answer: tuple[int, int] | None) -> Image.Image:
        try:
            png = self.engine.page_image(source, start, end, answer)
        except VerbatimError as exc:
            raise gr.Error(str(exc)) from exc
        return Image.open(io.BytesIO(png))

    def search(
        self, question: str, k: int = 3, history: list[str] | None = None, documents: list[str] | None = None
    ) -> dict[str, Any]:
        """The object ``python -m qa ask --json`` prints for one question; ``history``: the earlier questions of
        the conversation, oldest first (a follow-up that refers back to them is resolved; empty: none);
        ``documents``: file names or paths to search within (empty: all)."""
        try:
            answer = self.engine.ask(question, k=int(k), history=list(history or []), documents=list(documents or []))
            return answer_to_dict(answer)
        except VerbatimError as exc:
            raise gr.Error(str(exc)) from exc

    def documents(self) -> tuple[list[list[Any]], Any, Any]:
        """The document table, and the choices of the "Remove" and "Search in" lists."""
        docs = self.engine.documents()
        rows = [[d.name + (" (duplicate)" if d.duplicate_of else ""), d.kind, d.pages or "", d.passages] for d in docs]
        choices = [(d.name, d.path) for d in docs]
        return rows, gr.update(choices=choices, value=None), gr.update(choices=choices)

    def upload(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, Any, Any, Any]:  # noqa: B008
        if not files:
            return "Choose one or more files to add.", *self.documents()
        stored, refused = store_uploads(list(files), self.engine.store.uploads_dir, self.engine.settings.max_upload_mb)
        lines = [f"Not added: {p.path} {p.reason}." for p in refused]
        if stored:

            def report_progress(done: int, total: int) -> None:
                progress((done, total), desc="Embedding passages", unit="passages")

            def reading(path: str) -> Callable[[int, int], None]:
                def report_pages(done: int, total: int) -> None:
                    progress((done, total), desc=f"Reading {os.path.basename(path)}", unit="pages")

                return report_pages

            try:
                report = self.engine.add(stored, progress=report_progress, reading=reading)
            except VerbatimError as exc:
                lines.append(f"Not added: {exc}")
            else:
                lines += [f"Not added: {os.path.basename(p.path)} {p.reason}." for p in report.problems]
                lines += [
                    f"{os.path.basename(a)} has the same text as {os.path.basename(b)}; kept once."
                    for a, b in report.duplicates
                ]
                lines.append(report.summary())
        return "\n\n".join(lines), *self.documents()

    def remove(self, path: str | None) -> tuple[str, Any, Any, Any]:
        if not path:
            return "Choose a document to remove.", *self.documents()
        try:
            report = self.engine.remove(path)
        except VerbatimError as exc:
            return str(exc), *self.documents()
        return f"Removed {os.path.basename(path)}. {report.passages_total} passages remain.", *self.documents()
