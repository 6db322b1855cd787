"""Verbatim's web app: ask in a chat, read passages quoted exactly, with citations, the answer sentence, and the
passage on its page. Retrieval lives in the rest of ``qa``; this module lays out the page and turns library errors
into messages. ``app.py`` and ``verbatim serve`` start it.
"""

# ruff: noqa: I001  (qa is imported before gradio on purpose: it switches off outside requests first)
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from collections.abc import Callable
from typing import Any

import qa  # noqa: F401  (sets the offline switches before gradio is imported)
from qa.config import MODES, SAMPLE_DOCUMENT, Settings
from qa.engine import Engine
from qa.console import error_line
from qa.errors import VerbatimError
from qa.loaders import SUPPORTED
from qa.render import answer_to_dict, answers_to_markdown
from qa.types import Answer
from qa.render_html import answer_html, escape_text
from qa.uploads import store_uploads

import gradio as gr
from PIL import Image

STATIC = Path(__file__).resolve().parent / "static"
CSS_PATH = STATIC / "app.css"
PAGE_SCRIPT = "<script>" + (STATIC / "app.js").read_text(encoding="utf-8") + "</script>"
HEADERS = ["Document", "Type", "Pages", "Passages"]
# After an answer, scroll the chat so the question just asked is at its top and the best passage below it.
SHOW_LATEST_QUESTION = """() => {
  const log = document.querySelector('#vb-chat .bubble-wrap');
  const asked = document.querySelectorAll('#vb-chat .user-row');
  if (!log || !asked.length) return;
  const top = asked[asked.length - 1].getBoundingClientRect().top - log.getBoundingClientRect().top;
  log.scrollTop += top - 8;
}"""


class App:
    """The page's handlers, around one Engine shared by every visitor."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
        folder = Path(tempfile.mkdtemp(prefix="verbatim-export-"))
        path = folder / "verbatim-answers.md"
        path.write_text(answers_to_markdown(answers), encoding="utf-8")
        return gr.update(value=str(path), interactive=True)

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


def build(engine: Engine) -> gr.Blocks:
    app = App(engine)
    rows, _, _ = app.documents()
    accepted = sorted(set(SUPPORTED.replace(",", "").split()))
    with gr.Blocks(title="Verbatim", analytics_enabled=False, fill_width=True) as demo:
        gr.HTML(
            '<div class="vb-title"><b>Verbatim</b> <span>answers in the documents\u2019 own words: every passage is '
            "quoted exactly, with where it stands in its source.</span></div>"
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label="Answers", height=600, buttons=["copy", "copy_all"], elem_id="vb-chat", autoscroll=False,
                    placeholder="Ask a question about the documents on the right.", feedback_options=None,
                    group_consecutive_messages=False, line_breaks=False,
                )  # fmt: skip
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask a question\u2026",
                        show_label=False,
                        scale=5,
                        autofocus=True,
                        elem_id="vb-question",
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="vb-ask")
                with gr.Row():
                    k = gr.Slider(1, 10, value=engine.settings.k, step=1, label="Passages to show")
                    mode = gr.Radio(list(MODES), value=engine.settings.mode, label="Search")
                    with gr.Column(min_width=120):
                        clear = gr.Button("Clear chat", size="sm")
                        new_topic = gr.Button("New topic", size="sm", elem_id="vb-new-topic")
                        download = gr.DownloadButton(
                            "Download answers", size="sm", interactive=False, elem_id="vb-download"
                        )
                # "Show on page" links write their request here and press the hidden button (qa/static/app.js)
                page_request = gr.Textbox(visible="hidden", elem_id="vb-page-request")
                page_go = gr.Button(visible="hidden", elem_id="vb-page-go")
                answers = gr.State([])
                topic = gr.State(0)  # where in ``answers`` the current topic starts
            with gr.Column(scale=2):
                page_view = gr.Image(
                    label="Page", type="pil", format="png", buttons=["download", "fullscreen"], interactive=False,
                    visible="hidden", height=760, elem_id="vb-page-view",
                )  # fmt: skip
                gr.Markdown("### Documents")
                within = gr.Dropdown(
                    label="Search in (none chosen: all documents)", choices=[], multiselect=True,
                    elem_id="vb-within",
                )  # fmt: skip
                table = gr.Dataframe(value=rows, headers=HEADERS, interactive=False, wrap=True, elem_id="vb-docs")
                files = gr.File(
                    label=f"Add documents ({', '.join(accepted)}; up to {engine.settings.max_upload_mb:g} MB each)",
                    file_count="multiple", file_types=accepted, elem_id="vb-upload",
                )  # fmt: skip
                status = gr.Markdown(elem_id="vb-status")
                with gr.Row():
                    chosen = gr.Dropdown(label="Remove a document", choices=[], scale=3)
                    remove = gr.Button("Remove", size="sm", scale=1)
        outputs = [chat, question, answers, download]
        for trigger in (ask.click, question.submit):
            trigger(
                app.ask, [question, chat, answers, topic, k, mode, within], outputs, api_visibility="private",
                concurrency_limit=8,
            ).then(None, js=SHOW_LATEST_QUESTION)
        clear.click(
            lambda: ([], [], 0, gr.update(value=None, interactive=False)), None, [chat, answers, topic, download],
            api_visibility="private",
        )  # fmt: skip
        new_topic.click(app.new_topic, [chat, answers], [chat, topic], api_visibility="private")
        page_go.click(app.show_page, page_request, page_view, api_visibility="private", concurrency_limit=4)
        demo.load(app.ask_from_link, [chat, answers, k, mode], outputs, api_visibility="private")
        files.upload(
            app.upload, files, [status, table, chosen, within], api_name="upload", api_visibility="undocumented",
            concurrency_limit=1,
        )  # fmt: skip
        remove.click(
            app.remove, chosen, [status, table, chosen, within], api_visibility="private", concurrency_limit=1
        )
        demo.load(app.documents, None, [table, chosen, within], api_visibility="private")
        gr.api(app.search, api_name="search", concurrency_limit=8)
        with gr.Row(visible=False):  # the /page_image endpoint: (source, start, end) -> PNG
            source, start, end = gr.Textbox(), gr.Number(precision=0), gr.Number(precision=0)
            marked = gr.Image(type="pil", format="png")
            gr.Button().click(app.page_image, [source, start, end], marked, api_name="page_image", concurrency_limit=4)
    demo.queue(default_concurrency_limit=8, max_size=256)
    return demo


def theme() -> gr.themes.Base:
    system = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Default(primary_hue="indigo", neutral_hue="slate", font=system, font_mono=mono)


def exposure_warning(host: str, password: str | None) -> str | None:
    """A warning when the app is reachable from other machines without a password."""
    if host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.") or password:
        return None
    return (
        f"warning: serving on {host} without a password: anyone who can reach this machine can read and change "
        "the documents. Set VERBATIM_PASSWORD (and optionally VERBATIM_USER) to require a login."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verbatim's web app.")
    parser.add_argument("docs", nargs="*", metavar="DOC", help="documents or folders to index first")
    parser.add_argument("--index-dir", help="index folder (default: index/ or $VERBATIM_INDEX_DIR)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1 or $VERBATIM_HOST)")
    parser.add_argument("--port", help="port (default 7860 or $VERBATIM_PORT)")
    parser.add_argument("--model", help="'minilm' (default), 'mpnet', or a sentence-transformers folder")
    args = parser.parse_args(argv)
    engine: Engine | None = None
    try:
        settings = Settings.from_env(index_dir=args.index_dir, model=args.model, host=args.host, port=args.port)
        engine = Engine(settings)
        if args.docs or not engine.has_index() or not engine.documents():
            if not args.docs and not SAMPLE_DOCUMENT.is_file():
                raise VerbatimError("the index is empty: name the documents to serve (verbatim serve DOC...)")
            report = engine.add(args.docs or [SAMPLE_DOCUMENT])
            for problem in report.problems:
                print(f"skipped: {problem.path}: {problem.reason}", file=sys.stderr)
            print(report.summary(), file=sys.stderr)
        engine.embedder.embed_queries(["warm up"])  # load the model now, not on the first question
    except VerbatimError as exc:
        print(error_line(exc, engine.rebuild_command if engine else lambda: ""), file=sys.stderr)
        return 1
    warning = exposure_warning(settings.host, settings.password)
    if warning:
        print(warning, file=sys.stderr)
    auth = (settings.user, settings.password) if settings.password else None
    demo = build(engine)
    demo.launch(
        server_name=settings.host, server_port=settings.port, share=False, auth=auth, quiet=True,
        prevent_thread_lock=True, ssr_mode=False, pwa=False, mcp_server=False, enable_monitoring=False,
        footer_links=["api"], max_file_size=f"{settings.max_upload_mb:g}mb", theme=theme(), css_paths=[CSS_PATH],
        head=PAGE_SCRIPT,
    )  # fmt: skip
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"Verbatim is ready: http://{host}:{settings.port}/", flush=True)
    demo.block_thread()
    return 0


