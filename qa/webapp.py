"""Verbatim's web app: ask in a chat, read passages quoted exactly, with citations, the answer sentence, and the
passage on its page. Retrieval lives in the rest of ``qa``; this module lays out the page and wires it to its
handlers (``qa.handlers``). ``app.py`` and ``verbatim serve`` start it.
"""

# ruff: noqa: I001  (qa is imported before gradio on purpose: it switches off outside requests first)
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import qa  # noqa: F401  (sets the offline switches before gradio is imported)
from qa.access.gate import Access, access_for
from qa.access.names import DEFAULT_COLLECTION
from qa.access.sessions import Sessions, SignInGuard
from qa.config import MODES, SAMPLE_DOCUMENT, Settings
from qa.api import make_api
from qa.engine import Engine
from qa.console import error_line
from qa.errors import VerbatimError
from qa.handlers import App
from qa.mcp_server import http_app as mcp_http_app
from qa.readers.loaders import SUPPORTED

import gradio as gr
from starlette.middleware import Middleware

STATIC = Path(__file__).resolve().parent / "static"
CSS_PATH = STATIC / "app.css"
PAGE_SCRIPT = "<script>" + (STATIC / "app.js").read_text(encoding="utf-8") + "</script>"
HEADERS = ["Document", "Collection", "Type", "Pages", "Passages"]
# After an answer, scroll the chat so the question just asked is at its top and the best passage below it.
SHOW_LATEST_QUESTION = """() => {
  const log = document.querySelector('#vb-chat .bubble-wrap');
  const asked = document.querySelectorAll('#vb-chat .user-row');
  if (!log || !asked.length) return;
  const top = asked[asked.length - 1].getBoundingClientRect().top - log.getBoundingClientRect().top;
  log.scrollTop += top - 8;
}"""


def build(engine: Engine, access: Access | None = None) -> gr.Blocks:
    """The page. The upload and remove controls start hidden and are shown to an editor or an admin once the page
    knows who signed in (``App.controls``); the server refuses a reader's call whatever the page shows."""
    app = App(engine, access)
    accepted = sorted(set(SUPPORTED.replace(",", "").split()))
    # Gradio keeps a copy of each page image and export it serves: files older than a day go, hourly
    with gr.Blocks(title="Verbatim", analytics_enabled=False, fill_width=True, delete_cache=(3600, 86400)) as demo:
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
                table = gr.Dataframe(headers=HEADERS, interactive=False, wrap=True, elem_id="vb-docs")
                collection = gr.Dropdown(
                    label="Add to the collection", choices=[DEFAULT_COLLECTION], value=DEFAULT_COLLECTION,
                    visible=False, elem_id="vb-collection",  # a client that names no collection: the default
                    allow_custom_value=True,  # the server checks it (App.upload): a choice the page offered or not
                )  # fmt: skip
                files = gr.File(
                    label=f"Add documents ({', '.join(accepted)}; up to {engine.settings.max_upload_mb:g} MB each)",
                    file_count="multiple", file_types=accepted, elem_id="vb-upload", visible=False,
                )  # fmt: skip
                status = gr.Markdown(elem_id="vb-status")
                with gr.Row(visible=False, elem_id="vb-removing") as removing:
                    chosen = gr.Dropdown(label="Remove a document", choices=[], scale=3)
                    remove = gr.Button("Remove", size="sm", scale=1, elem_id="vb-remove")
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
            app.upload, [files, collection], [status, table, chosen, within], api_name="upload",
            concurrency_limit=1,  # documented, so that a client that names no collection gets the default
        )  # fmt: skip
        remove.click(
            app.remove, chosen, [status, table, chosen, within], api_visibility="private", concurrency_limit=1
        )
        demo.load(app.documents, None, [table, chosen, within], api_visibility="private")
        demo.load(app.controls, None, [files, removing, collection], api_visibility="private")
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


def loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def exposure(host: str, access: Access, no_auth: bool) -> str | None:
    """Why the app must not start (listening beyond loopback with no sign-in), or None. ``--no-auth`` starts it
    anyway, with a warning (``NO_AUTH_WARNING``)."""
    if loopback(host) or not access.open or no_auth:
        return None
    return (
        f"refusing to serve on {host} without sign-in: add a user first (python -m qa users add NAME --role admin), "
        "or pass --no-auth to let anyone who reaches this machine read and change the documents"
    )


NO_AUTH_WARNING = "warning: --no-auth: anyone who can reach {host} can read, add and remove every document"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verbatim's web app.")
    parser.add_argument("docs", nargs="*", metavar="DOC", help="documents or folders to index first")
    parser.add_argument("--index-dir", help="index folder (default: index/ or $VERBATIM_INDEX_DIR)")
    parser.add_argument("--store", metavar="URL", help="keep the index in PostgreSQL at this URL ($VERBATIM_STORE)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1 or $VERBATIM_HOST)")
    parser.add_argument("--port", help="port (default 7860 or $VERBATIM_PORT)")
    parser.add_argument("--model", help="'minilm' (default), 'mpnet', or a sentence-transformers folder")
    parser.add_argument("--users", metavar="FILE", help="the users who may sign in (default: users.json in the "
                        "index folder, or $VERBATIM_USERS); see: python -m qa users --help")  # fmt: skip
    parser.add_argument("--no-auth", action="store_true", default=None,
                        help="serve beyond loopback without sign-in, on purpose ($VERBATIM_NO_AUTH=1)")  # fmt: skip
    args = parser.parse_args(argv)
    engine: Engine | None = None
    try:
        settings = Settings.from_env(index_dir=args.index_dir, store=args.store, model=args.model, host=args.host,
                                     port=args.port, users=args.users, no_auth=args.no_auth)  # fmt: skip
        access = access_for(settings)
        refusal = exposure(settings.host, access, settings.no_auth)
        if refusal:
            print(f"error: {refusal}", file=sys.stderr)
            return 1
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
    if settings.no_auth and not loopback(settings.host):
        print(NO_AUTH_WARNING.format(host=settings.host), file=sys.stderr)
    demo = build(engine, access)
    demo.launch(
        server_name=settings.host, server_port=settings.port, share=False, quiet=True,
        auth=None if access.open else access.password_ok,
        auth_message="Sign in with the name and password your Verbatim admin gave you.",
        app_kwargs={"middleware": [Middleware(SignInGuard, access=access)]},
        prevent_thread_lock=True, ssr_mode=False, pwa=False, mcp_server=False, enable_monitoring=False,
        footer_links=["api"], max_file_size=f"{settings.max_upload_mb:g}mb", theme=theme(), css_paths=[CSS_PATH],
        head=PAGE_SCRIPT,
    )  # fmt: skip
    demo.app.tokens = Sessions(access, settings.session_hours)  # Gradio's sign-ins, which now expire
    # the JSON API for programs, beside the page and outside its queue (qa/api.py)
    demo.app.mount("/api", make_api(engine, access))
    demo.app.mount("/mcp", mcp_http_app(engine, access, settings.host))  # qa/mcp_server.py
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"Verbatim is ready: http://{host}:{settings.port}/", flush=True)
    demo.block_thread()
    return 0


