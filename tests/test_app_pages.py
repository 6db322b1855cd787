"""The page view in the running app: "Show on page" in the browser, /page_image through gradio_client, links
that ask a question (?q=), "Copy citation" and "Download answers"."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.app_server import running_app
from tests.docmaker import make_layout_pdf, scanned_pdf, wrapped
from tests.test_app_browser import ARGS, CHROMIUM, LOCAL
from tests.test_pages import pdfium_line_box, tinted_share
from tests.test_pdf_layout import BUDGET, TRANSPORT

pytestmark = pytest.mark.browser
QUESTION = "How often will the buses run on the main routes?"
PAGES = [
    [(50, 60, "Spending plans", 18, True), *wrapped(BUDGET, 50, 90)],
    [(50, 60, "Transport", 18, True), *wrapped(TRANSPORT, 50, 90)],
]
FIRST_LINE = wrapped(TRANSPORT, 50, 90)[0][2]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    folder = tmp_path_factory.mktemp("pages")
    docs = folder / "docs"
    docs.mkdir()
    original = make_layout_pdf(folder / "gazette.pdf", PAGES)
    shutil.copy(original, docs / "gazette.pdf")
    documents = [str(docs / "gazette.pdf")]
    if shutil.which("tesseract"):
        documents.append(str(scanned_pdf(original, docs / "scanned gazette.pdf")))
    with running_app(folder / "index", *documents) as url:
        yield url, docs, original


@pytest.fixture
def page(served: tuple[str, Path, Path]) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh --dev installs it)")
    url = served[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 950}, accept_downloads=True)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
        page = context.new_page()
        outside: list[str] = []

        def guard(route) -> None:
            if route.request.url.startswith(LOCAL):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.goto(url + "?q=" + quote(QUESTION))  # a link that asks the question
        page.wait_for_selector(".vb-hit", timeout=60000)
        yield page
        assert outside == [], f"the page asked for outside URLs: {outside}"
        browser.close()


def shown_page(page, hit) -> bytes:
    """Click the hit's "Show on page" and return the PNG the page view shows."""
    before = page.evaluate("() => document.querySelector('#vb-page-view img')?.src || ''")
    hit.locator("a.vb-page").click()
    page.wait_for_function(
        "old => { const i = document.querySelector('#vb-page-view img'); return i && i.src && i.src !== old; }",
        arg=before, timeout=60000,
    )  # fmt: skip
    source = page.evaluate("() => document.querySelector('#vb-page-view img').src")
    return page.request.get(source).body()


def test_link_asks_and_show_on_page_marks_the_passage(page, served) -> None:
    _, _, original = served
    hits = page.locator(".vb-hit")
    first = hits.filter(has_text="gazette.pdf").filter(has_not_text="scanned").first
    assert "every ten minutes" in first.locator(".vb-text").inner_text()
    png = shown_page(page, first)
    assert png.startswith(b"\x89PNG")
    line = pdfium_line_box(original, 2, FIRST_LINE)
    assert tinted_share(png, line, (595, 842)) > 0.9  # the marks lie on the passage's own characters
    assert tinted_share(png, (50, 400, 500, 450), (595, 842)) == 0.0
    assert "gazette.pdf" in page.locator("#vb-page-view").inner_text()
    if os.environ.get("VERBATIM_SCREENSHOT"):  # the README's picture of a page view
        page.locator("#vb-page-view").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(Path(__file__).resolve().parent.parent / "docs" / "page-view.png"))
    if shutil.which("tesseract"):
        scanned = hits.filter(has_text="scanned gazette.pdf").first
        assert "read by OCR" in scanned.locator(".vb-cite").inner_text()
        assert tinted_share(shown_page(page, scanned), line, (595, 842)) > 0.8


def test_copy_citation_and_download_answers(page) -> None:
    first = page.locator(".vb-hit").first
    quote_text = first.locator(".vb-text").inner_text().strip()
    first.locator("a.vb-copy").click()
    page.wait_for_function("() => document.querySelector('a.vb-copy').textContent === 'Copied'")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert quote_text in copied and "gazette.pdf" in copied and "p. 2" in copied and "Transport" in copied
    with page.expect_download() as download:
        page.click("#vb-download")
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert markdown.startswith("# Verbatim answers") and f"## {QUESTION}" in markdown
    quoted = "\n".join(f"> {line}" if line else ">" for line in quote_text.split("\n"))
    assert quoted in markdown and "p. 2" in markdown


def test_page_image_endpoint(served) -> None:
    from gradio_client import Client

    url, docs, original = served
    client = Client(url, verbose=False, analytics_enabled=False)
    line = pdfium_line_box(original, 2, FIRST_LINE)
    sources = ["gazette.pdf", "scanned gazette.pdf"] if shutil.which("tesseract") else ["gazette.pdf"]
    for name in sources:
        found = client.predict(QUESTION, 5, api_name="/search")
        passage = next(p for p in found["passages"] if p["source"].endswith("/" + name))
        path = client.predict(passage["source"], passage["start"], passage["end"], api_name="/page_image")
        png = Path(path).read_bytes()
        assert png.startswith(b"\x89PNG") and tinted_share(png, line, (595, 842)) > 0.8
    with pytest.raises(Exception, match="not in the index"):
        client.predict(str(docs / "missing.pdf"), 0, 10, api_name="/page_image")
