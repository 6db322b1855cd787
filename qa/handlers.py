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
from functools import partial
from pathlib import Path
from typing import Any

import qa  # noqa: F401  (sets the offline switches before gradio is imported)
from qa.access.audit import Audit
from qa.access.gate import Access
from qa.access.names import DEFAULT_COLLECTION, collection_name
from qa.access.users import User
from qa.engine import Engine
from qa.errors import AccessError, VerbatimError
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
    """The page's handlers, around one Engine shared by every visitor. Each asks ``access`` who the visitor is
    (Gradio's sign-in names them) and shows, searches, draws and changes only what that user may."""

    def __init__(self, engine: Engine, access: Access | None = None, audit: Audit | None = None) -> None:
        self.engine = engine
        self.access = access or Access(None)
        self.audit = audit or Audit(engine.settings.index_dir / "audit.jsonl")
        self.exports = Exports()

    def who(self, request: gr.Request | None) -> User:
        """The signed-in user of ``request`` (everyone is an admin when the app has no sign-in)."""
        user = self.access.user(getattr(request, "username", None))
        if user is None:  # removed, or changed since the session began
            raise gr.Error("Your session has ended: reload the page and sign in again.")
        return user

    def ask(
        self, question: str, history: list[dict[str, Any]], answers: list[Answer], topic: int, k: int, mode: str,
        within: list[str] | None = None, request: gr.Request = None,  # type: ignore[assignment]
    ) -> tuple[list[dict[str, Any]], str, list[Answer], Any]:  # fmt: skip
        """The chat with the question and its answer added; the answers so far, and their Markdown export.

        The questions asked since the last "New topic" are the conversation a follow-up may refer back to.
        """
        question = (question or "").strip()
        if not question:
            gr.Warning("Type a question first.")
            return history, "", answers, gr.update()
        user = self.who(request)
        try:
            earlier = [a.question for a in answers[int(topic) :]]
            answer = self.engine.ask(question, k=int(k), mode=mode, history=earlier, documents=within or [],
                                     collections=user.readable)  # fmt: skip
            reply = answer_html(answer, partial(self._context, user))
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
        return self.ask(question, history, answers, len(answers), k, mode, request=request)

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

    def _context(self, user: User, passage: Any, chars: int = 1200) -> tuple[str, str, str]:
        return self.engine.around(passage.source, passage.start, passage.end, chars, user.readable)

    def page_image(self, source: str, start: float, end: float, request: gr.Request) -> Image.Image:
        """The page of a passage (its ``source``, ``start``, ``end`` in a /search answer), marked; its pages, one
        under the other, when it runs over a page break."""
        return self._page(self.who(request), source, int(start), int(end), None)

    def show_page(self, page_request: str, request: gr.Request) -> Any:
        """The "Show on page" link of a passage: its page, the passage and its answer sentence marked."""
        user = self.who(request)
        try:
            asked = json.loads(page_request)
            answer = tuple(asked["answer"]) if asked.get("answer") else None
            image = self._page(user, str(asked["source"]), int(asked["start"]), int(asked["end"]), answer)
        except (ValueError, KeyError, TypeError) as exc:
            raise gr.Error(f"not a page request ({exc})") from exc
        name = os.path.basename(str(asked["source"]))
        return gr.update(value=image, label=f"{name}: the passage marked where it stands", visible=True)

    def _page(self, user: User, source: str, start: int, end: int, answer: tuple[int, int] | None) -> Image.Image:
        try:
            png = self.engine.page_image(source, start, end, answer, collections=user.readable)
        except VerbatimError as exc:
            raise gr.Error(str(exc)) from exc
        return Image.open(io.BytesIO(png))

    def search(
        self, question: str, k: int = 3, history: list[str] | None = None, documents: list[str] | None = None,
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> dict[str, Any]:  # fmt: skip
        """The object ``python -m qa ask --json`` prints for one question; ``history``: the earlier questions of
        the conversation, oldest first (a follow-up that refers back to them is resolved; empty: none);
        ``documents``: file names or paths to search within (empty: all)."""
        user = self.who(request)
        try:
            answer = self.engine.ask(question, k=int(k), history=list(history or []), documents=list(documents or []),
                                     collections=user.readable)  # fmt: skip
            return answer_to_dict(answer)
        except VerbatimError as exc:
            raise gr.Error(str(exc)) from exc

    def documents(self, request: gr.Request) -> tuple[list[list[Any]], Any, Any]:
        """The document table, and the choices of the "Remove" and "Search in" lists, of what the user reads."""
        return self._documents(self.who(request))

    def _documents(self, user: User) -> tuple[list[list[Any]], Any, Any]:
        docs = self.engine.documents(user.readable)
        rows = [
            [d.name + (" (duplicate)" if d.duplicate_of else ""), d.collection, d.kind, d.pages or "", d.passages]
            for d in docs
        ]  # fmt: skip
        choices = [(d.name, d.path) for d in docs]
        return rows, gr.update(choices=choices, value=None), gr.update(choices=choices)

    def controls(self, request: gr.Request) -> tuple[Any, Any, Any]:
        """The upload and remove controls (an editor's and an admin's only), and the collections to add to."""
        user = self.who(request)
        known = sorted({d.collection for d in self.engine.documents(user.readable)} | {DEFAULT_COLLECTION})
        choices = known if user.readable is None else sorted(user.readable)
        shown = gr.update(visible=user.may_change)
        chooser = gr.update(visible=user.may_change, choices=choices, value=choices[0] if choices else None)
        return shown, shown, chooser

    def _writable(self, user: User, collection: str | None) -> str:
        """The collection an upload goes into, if the user may add to it (AccessError otherwise)."""
        if not user.may_change:
            raise AccessError(f"{user.name} is a reader: only an editor or an admin adds or removes documents")
        collection = collection_name((collection or DEFAULT_COLLECTION).strip())
        if not user.reads(collection):
            raise AccessError(f"{user.name} may not add to the collection {collection}")
        return collection

    def upload(
        self, files: list[str] | None, collection: str | None = None, request: gr.Request = None,  # type: ignore[assignment]
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[str, Any, Any, Any]:  # fmt: skip
        user = self.who(request)
        try:
            collection = self._writable(user, collection)
        except AccessError as exc:
            raise gr.Error(str(exc)) from exc
        if not files:
            return "Choose one or more files to add.", *self._documents(user)
        folder = self.engine.store.uploads_dir
        folder = folder if collection == DEFAULT_COLLECTION else folder / collection
        stored, refused = store_uploads(list(files), folder, self.engine.settings.max_upload_mb)
        lines = [f"Not added: {p.path} {p.reason}." for p in refused]
        if stored:

            def report_progress(done: int, total: int) -> None:
                progress((done, total), desc="Embedding passages", unit="passages")

            def reading(path: str) -> Callable[[int, int], None]:
                def report_pages(done: int, total: int) -> None:
                    progress((done, total), desc=f"Reading {os.path.basename(path)}", unit="pages")

                return report_pages

            try:
                report = self.engine.add(stored, progress=report_progress, reading=reading, collection=collection)
            except VerbatimError as exc:
                lines.append(f"Not added: {exc}")
            else:
                for path in report.added + report.updated:
                    self.audit.record(user.name or "anonymous", "document added", path, collection=collection)
                lines += [f"Not added: {os.path.basename(p.path)} {p.reason}." for p in report.problems]
                lines += [
                    f"{os.path.basename(a)} has the same text as {os.path.basename(b)}; kept once."
                    for a, b in report.duplicates
                ]
                lines.append(report.summary())
        return "\n\n".join(lines), *self._documents(user)

    def remove(self, path: str | None, request: gr.Request = None) -> tuple[str, Any, Any, Any]:  # type: ignore[assignment]
        user = self.who(request)
        if not user.may_change:
            raise gr.Error(f"{user.name} is a reader: only an editor or an admin adds or removes documents")
        if not path:
            return "Choose a document to remove.", *self._documents(user)
        try:
            report = self.engine.remove(path, collections=user.readable)
        except VerbatimError as exc:
            return str(exc), *self._documents(user)
        self.audit.record(user.name or "anonymous", "document removed", path)
        return f"Removed {os.path.basename(path)}. {report.passages_total} passages remain.", *self._documents(user)
