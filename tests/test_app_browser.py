"""The web app in headless Chromium: answers with citations and highlights, uploads, no script from
documents ever runs, and the page asks for nothing outside this machine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app_server import running_app
from tests.conftest import ARTICLE

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-features=AutofillServerCommunication",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]  # fmt: skip
LOCAL = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "ws://localhost", "data:", "blob:", "about:")
HOSTILE = (
    "Hostile document about the lighthouse keeper.\n"
    'The lighthouse keeper wrote <script>window.__pwned = "script"</script> in the logbook.\n'
    "He also drew <img src=x onerror=\"window.__pwned = 'img'\"> and <b>bold</b> marks near the lighthouse lamp.\n"
)


def serve_article(
    tmp_path_factory: pytest.TempPathFactory, name: str, users: dict[str, str] | None = None
) -> Iterator[str]:
    """The app on the article, for Chromium (skipped without it); ``users``: name -> role, password "ROLE pass 1"."""
    from qa.access.users import UsersFile

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh --dev installs it)")
    folder = tmp_path_factory.mktemp(name)
    doc = folder / "article.txt"
    shutil.copy(ARTICLE, doc)
    for user, role in (users or {}).items():
        UsersFile(folder / "index" / "users.json").add(user, role, ("*",), f"{role} pass 1")  # type: ignore[arg-type]
    with running_app(folder / "index", str(doc)) as url:
        yield url


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve_article(tmp_path_factory, "browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, app_url: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    page.outside = []  # every non-loopback URL the page asked for

    def guard(route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            page.outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(app_url)
    page.wait_for_selector("#vb-question textarea")
    yield page
    assert page.outside == [], f"the page asked for outside URLs: {page.outside}"
    context.close()


def ask(page, question: str) -> None:
    before = page.locator(".vb-hit, .vb-none").count()
    page.fill("#vb-question textarea", question)
    page.click("#vb-ask")
    page.wait_for_function("n => document.querySelectorAll('.vb-hit, .vb-none').length > n", arg=before, timeout=60000)


def test_question_shows_passages_citations_and_highlight(page, tmp_path: Path) -> None:
    ask(page, "Were residential care homes targeted?")
    hits = page.locator(".vb-hit")
    assert hits.count() == 3
    text = ARTICLE.read_text(encoding="utf-8")
    first = hits.nth(0)
    citation = first.locator(".vb-cite").inner_text()
    assert "[1]" in citation and "article.txt" in citation and "line" in citation
    passage = first.locator(".vb-text").inner_text()
    assert "Residential care homes had effectively become targets for abusers" in passage
    assert passage.strip() in text, "the passage is shown exactly as in the source"
    marked = first.locator(".vb-text mark.vb-mark").inner_text()
    assert marked and marked in passage
    # the answer as a person first sees it; VERBATIM_SCREENSHOT=1 writes it as the README's screenshot
    page.wait_for_timeout(500)
    readme_shot = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"
    shot = readme_shot if os.environ.get("VERBATIM_SCREENSHOT") else tmp_path / "screenshot.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    first.locator("summary").click()
    assert first.locator(".vb-context .vb-in-context").inner_text().strip() == passage.strip()


def test_off_topic_question_says_so(page) -> None:
    ask(page, "How do I bake sourdough bread?")
    assert "do not seem to answer" in page.locator(".vb-none").last.inner_text()


def test_upload_then_ask_and_hostile_text_stays_text(page, tmp_path: Path) -> None:
    upload = tmp_path / "lighthouse notes.txt"
    upload.write_text(HOSTILE, encoding="utf-8")
    page.set_input_files("#vb-upload input[type=file]", str(upload))
    page.wait_for_function("() => document.querySelector('#vb-status').innerText.includes('1 added')", timeout=120000)
    assert "lighthouse notes.txt" in page.locator("#vb-docs").inner_text()
    page.wait_for_timeout(500)
    assert "common." not in page.locator("body").inner_text(), "an untranslated Gradio key is shown"
    ask(page, "What did the lighthouse keeper write in the logbook?")
    first = page.locator(".vb-hit").nth(0)
    assert "lighthouse notes.txt" in first.locator(".vb-cite").inner_text()
    shown = first.locator(".vb-text").inner_text()
    assert '<script>window.__pwned = "script"</script>' in shown
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#vb-chat script, #vb-chat img[src=x]").count() == 0
    assert page.dialogs == []


def test_refused_upload_gets_a_clear_message(page, tmp_path: Path) -> None:
    fake = tmp_path / "photo.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n not a pdf at all")
    page.set_input_files("#vb-upload input[type=file]", str(fake))
    page.wait_for_function("() => document.querySelector('#vb-status').innerText.includes('Not added')", timeout=60000)
    assert "is named .pdf but is not a PDF" in page.locator("#vb-status").inner_text()


@pytest.fixture(scope="module")
def team_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve_article(tmp_path_factory, "signin", {"ann": "reader", "ed": "editor"})


def signed_in(browser, url: str, name: str, password: str) -> object:
    page = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
    page.goto(url)
    page.wait_for_selector("input[type=password]")
    assert page.locator("#vb-question").count() == 0, "nothing of the app before the sign-in"
    page.locator("input[type=text], input:not([type])").first.fill(name)
    page.fill("input[type=password]", password)
    page.locator("button[type=submit], button:has-text('Login')").first.click()
    return page


def test_a_reader_signs_in_and_gets_no_upload_or_remove_controls(browser, team_url: str) -> None:
    wrong = signed_in(browser, team_url, "ann", "not the password")
    wrong.wait_for_timeout(1500)
    assert wrong.locator("#vb-question").count() == 0 and wrong.locator("input[type=password]").count() == 1
    wrong.context.close()
    reader = signed_in(browser, team_url, "ann", "reader pass 1")
    reader.wait_for_selector("#vb-question textarea", timeout=60000)
    reader.wait_for_function("() => document.querySelector('#vb-docs').innerText.includes('article.txt')")
    ask(reader, "Were residential care homes targeted?")
    assert reader.locator(".vb-hit").count() == 3, "a reader asks and reads"
    assert reader.locator("#vb-upload").count() == 0 and reader.locator("#vb-remove").count() == 0
    assert reader.locator("#vb-collection").count() == 0
    reader.context.close()
    editor = signed_in(browser, team_url, "ed", "editor pass 1")
    editor.wait_for_selector("#vb-upload input[type=file]", state="attached", timeout=60000)
    assert editor.locator("#vb-remove").count() == 1 and editor.locator("#vb-collection").count() == 1
    editor.context.close()
