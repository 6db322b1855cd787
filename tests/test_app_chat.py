"""The chat remembers what it is about: a follow-up searches within the earlier question's document and says so;
"New topic" and a question that names its own subject are searched alone (a question that names a document by its
file name prefers that document, and says so)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app_server import running_app
from tests.test_app_browser import ARGS, CHROMIUM, LOCAL, ask

pytestmark = pytest.mark.browser
LIGHTHOUSE = """The Bell Rock Lighthouse stands on a reef off the coast of Angus in Scotland.

The Bell Rock Lighthouse was built between 1807 and 1810 by Robert Stevenson.

The Bell Rock Lighthouse is 35 metres tall, and its light can be seen from 35 miles away.

Keepers lived at the Bell Rock Lighthouse until 1988, when the light was automated.
"""
ORCHARD = """The Hill Farm orchard grows apples and pears on a south-facing slope.

The Hill Farm orchard has 400 apple trees, most of them Bramley and Cox.

The Hill Farm orchard is 12 hectares in size and sells its fruit at the village market.

Pickers work at the Hill Farm orchard from August until the end of October.
"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("chat")
    docs = folder / "docs"
    docs.mkdir()
    (docs / "lighthouse.txt").write_text(LIGHTHOUSE, encoding="utf-8")
    (docs / "orchard.txt").write_text(ORCHARD, encoding="utf-8")
    with running_app(folder / "index", str(docs)) as url:
        yield url


@pytest.fixture
def page(app_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh --dev installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        outside: list[str] = []
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(LOCAL)
                   else (outside.append(route.request.url), route.abort()))  # fmt: skip
        page.goto(app_url)
        page.wait_for_selector("#vb-question textarea")
        page.wait_for_timeout(500)
        yield page
        assert outside == []
        browser.close()


def last_reply(page) -> str:
    return page.locator("#vb-chat .bot-row").last.inner_text()


def test_follow_up_then_change_of_subject(page) -> None:
    ask(page, "When was the Bell Rock Lighthouse built?")
    assert "1807" in page.locator(".vb-hit").first.inner_text()
    ask(page, "How tall is it?")
    first = page.locator("#vb-chat .bot-row").last.locator(".vb-hit").first
    reply = last_reply(page)
    assert "searched" in reply and "lighthouse.txt" in reply and "from your earlier question" in reply
    assert "35 metres tall" in first.inner_text()
    page.click("#vb-new-topic")
    page.wait_for_function("() => document.querySelector('#vb-chat').innerText.includes('New topic')")
    ask(page, "How big is it?")  # refers back, but to nothing: the topic was closed
    assert "searched" not in last_reply(page)
    ask(page, "How many apple trees grow in the Hill Farm orchard?")  # names its own subject, and a file
    reply = last_reply(page)
    assert "from your earlier question" not in reply and "400 apple trees" in reply
    assert "(searched mainly in: orchard.txt, which the question names)" in reply


def test_search_in_chosen_documents(page) -> None:
    page.click("#vb-within input")
    page.locator("ul[role=listbox] li", has_text="orchard.txt").first.click()
    page.keyboard.press("Escape")
    ask(page, "How tall is the lighthouse?")
    sources = page.locator("#vb-chat .bot-row").last.locator(".vb-doc").all_inner_texts()
    assert sources and set(sources) == {"orchard.txt"}


def test_search_endpoint_takes_history_and_documents(app_url: str) -> None:
    from gradio_client import Client

    client = Client(app_url, verbose=False, analytics_enabled=False, download_files=False)
    alone = client.predict("How tall is it?", 1, [], [], api_name="/search")
    earlier = ["When was the Bell Rock Lighthouse built?"]
    followed = client.predict("How tall is it?", 1, earlier, [], api_name="/search")
    assert alone["searched"] == "How tall is it?" and "35 metres" in followed["passages"][0]["text"]
    within = client.predict("lighthouse", 3, [], ["orchard.txt"], api_name="/search")
    assert {Path(p["source"]).name for p in within["passages"]} == {"orchard.txt"}
    with pytest.raises(Exception, match="not an indexed document"):
        client.predict("lighthouse", 3, [], ["nowhere.txt"], api_name="/search")
