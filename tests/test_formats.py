"""Everyday formats (slides, sheets, CSV, e-mail, e-books, OpenDocument) made by the tests themselves: each answers
a question about a fact it holds at rank 1, quotes exactly, and a broken file of each gets a one-line refusal."""

from __future__ import annotations

import io
import json
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from qa.errors import DocumentError, QuestionError
from qa.readers.loaders import load_document
from qa.render import citation

FACT = "The night ferry to Skye leaves the harbour at 22:40 on Fridays."


def make_pptx(path: Path) -> Path:
    from pptx import Presentation

    deck = Presentation()
    for title, body, notes in [
        ("Harbour timetable", "Ferries run all year.\nThe morning boat is often full.", "Check the tide first."),
        ("Harbour timetable (continued)", FACT, "Mention the winter timetable."),
    ]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text_frame.text = body
        slide.notes_slide.notes_text_frame.text = notes
    deck.save(str(path))
    return path


def make_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Crossings"
    for row in [("Route", "Departure", "Day"), ("Mallaig to Armadale", "09:10", "Daily"), None,
                ("Uig to Tarbert", "22:40", "Fridays")]:  # fmt: skip
        sheet.append(row or [])
    book.create_sheet("Prices").append(("Adult", "12.50"))
    book.save(str(path))
    return path


def make_epub(path: Path) -> Path:
    chapter = "<html><head><title>x</title></head><body><h1>{}</h1><p>{}</p></body></html>"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr("META-INF/container.xml", '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                      '<rootfiles><rootfile full-path="OEBPS/book.opf"/></rootfiles></container>')  # fmt: skip
        book.writestr("OEBPS/book.opf", '<package xmlns="http://www.idpf.org/2007/opf"><manifest>'
                      '<item id="a" href="one.xhtml"/><item id="b" href="two.xhtml"/></manifest>'
                      '<spine><itemref idref="a"/><itemref idref="b"/></spine></package>')  # fmt: skip
        book.writestr("OEBPS/one.xhtml", chapter.format("Arrival", "The island greets visitors with rain."))
        book.writestr("OEBPS/two.xhtml", chapter.format("Leaving", FACT))
    return path


def make_odt(path: Path) -> Path:
    ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ' \
         'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'  # fmt: skip
    content = (f"<office:document-content {ns}><office:body><office:text><text:h>Travel notes</text:h>"
               f"<text:p>{FACT}</text:p></office:text></office:body></office:document-content>")  # fmt: skip
    with zipfile.ZipFile(path, "w") as document:
        document.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        document.writestr("content.xml", content)
    return path


def make_eml(path: Path) -> Path:
    message = EmailMessage()
    message["Subject"] = "Ferry plans for the weekend"
    message["From"] = "Morag <morag@example.org>"
    message["Date"] = "Fri, 03 Oct 2025 09:00:00 +0100"
    message.set_content("Hello all,\n\nShall we take the boat on Friday?\n\nMorag")
    message.add_attachment(FACT.encode("utf-8"), maintype="text", subtype="plain", filename="timetable.txt")
    path.write_bytes(message.as_bytes())
    return path


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Path, object]:
    from qa.config import Settings
    from qa.engine import Engine

    folder = tmp_path_factory.mktemp("formats")
    docs = folder / "docs"
    docs.mkdir()
    make_pptx(docs / "deck.pptx")
    make_xlsx(docs / "crossings.xlsx")
    (docs / "prices.csv").write_bytes("Item;Price\nBike;4,50 \u20ac\nDog;free\n".encode("cp1252"))
    make_epub(docs / "guide.epub")
    make_odt(docs / "notes.odt")
    make_eml(docs / "plans.eml")
    engine = Engine(Settings.from_env(index_dir=folder / "index"), embedder=embedder)
    report = engine.add([docs])
    assert not report.problems, report.problems
    return docs, engine


def top(engine, question: str, document: str):
    answer = engine.ask(question, k=1, documents=[document])
    hit = answer.hits[0]
    passage = hit.passage
    assert passage.text == engine.source_text(passage.source)[passage.start : passage.end]
    return hit


def test_slides_cite_slide_and_title_and_keep_notes(collection) -> None:
    docs, engine = collection
    hit = top(engine, "When does the night ferry to Skye leave?", "deck.pptx")
    assert "22:40" in hit.passage.text and hit.passage.page == 2 and hit.passage.heading == "Harbour timetable"
    text = engine.source_text(str(docs / "deck.pptx"))
    assert "(continued)" not in text and "Speaker notes\n\nCheck the tide first." in text


def test_a_continued_slide_continues_the_passage(tmp_path: Path, make_engine) -> None:
    from pptx import Presentation

    deck = Presentation()
    for title, paragraphs in [
        ("Harbour timetable", ["Ferries run all year, in every weather but the worst of the winter gales.",
                               "The night boat is the one most visitors ask about."]),
        ("Harbour timetable (continued)", [FACT, "Tickets are sold on board."]),
        ("Prices", ["An adult ticket costs twelve pounds fifty."]),
    ]:  # fmt: skip
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text_frame.text = "\n".join(paragraphs)
    deck.save(str(tmp_path / "deck.pptx"))
    document = load_document(str(tmp_path / "deck.pptx"), (tmp_path / "deck.pptx").read_bytes())
    assert document.continued_pages == (2,) and len(document.page_breaks) == 2
    engine = make_engine()
    engine.add([tmp_path / "deck.pptx"])
    hit = engine.ask("When does the night ferry to Skye leave?", k=1).hits[0]
    # the short paragraphs of slide 1 go with the text they introduce, over the slide break
    assert "The night boat is" in hit.passage.text and "22:40" in hit.passage.text
    assert hit.passage.pages == (1, 2) and "deck.pptx, slides 1\u20132, line 1" in citation(hit)
    prices = engine.ask("How much is an adult ticket?", k=1).hits[0].passage
    assert prices.pages == (3,) and prices.heading == "Prices"  # a new title is a new slide's own passage


def test_sheet_rows_cite_sheet_and_row(collection) -> None:
    docs, engine = collection
    hit = top(engine, "When does the Uig to Tarbert crossing depart?", "crossings.xlsx")
    assert "Route: Uig to Tarbert | Departure: 22:40 | Day: Fridays" in hit.passage.text
    assert hit.passage.heading == "Crossings" and citation(hit) == "crossings.xlsx, sheet Crossings, row 1"
    sheet = load_document("c.xlsx", (docs / "crossings.xlsx").read_bytes())
    assert sheet.text[sheet.line_starts[3] :].startswith("Route: Uig to Tarbert")  # line numbers are row numbers


def test_csv_sniffs_delimiter_and_encoding(collection) -> None:
    _, engine = collection
    hit = top(engine, "How much does a bike cost?", "prices.csv")
    assert "Item: Bike | Price: 4,50 \u20ac" in hit.passage.text


@pytest.mark.parametrize("name", ["guide.epub", "notes.odt", "timetable.txt"])
def test_epub_odt_and_mail_attachment_answer(collection, name: str) -> None:
    _, engine = collection
    hit = top(engine, "When does the night ferry to Skye leave?", name)
    assert "22:40" in hit.passage.text


def test_mail_has_subject_sender_and_body(collection) -> None:
    _, engine = collection
    hit = top(engine, "Who wants to take the boat on Friday?", "plans.eml")
    assert hit.passage.heading == "Ferry plans for the weekend"
    assert "From: Morag <morag@example.org>" in engine.source_text(hit.passage.source)


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("broken.pptx", b"PK\x03\x04 not really a deck", "damaged PPTX"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "damaged XLSX"),
        ("fake.xlsx", b"plain text", "not a XLSX file"),
        ("broken.epub", b"PK\x03\x04 nope", "damaged EPUB"),
        ("broken.odt", b"PK\x03\x04 nope", "damaged"),
        ("binary.csv", b"a,b\x00\x01", "binary data"),
        ("empty.eml", b"just some words without headers", "not an e-mail"),
    ],
)
def test_broken_files_are_refused_in_one_line(name: str, data: bytes, says: str) -> None:
    with pytest.raises(DocumentError) as refused:
        load_document(name, data)
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_document_limit_applies_inside_the_search(collection) -> None:
    docs, engine = collection
    answer = engine.ask("ferry", k=3, documents=["deck.pptx"])
    assert len(answer.hits) == 3 and {h.passage.source for h in answer.hits} == {str(docs / "deck.pptx")}
    both = engine.ask("ferry", k=6, documents=["deck.pptx", str(docs / "guide.epub")])
    assert {Path(h.passage.source).name for h in both.hits} == {"deck.pptx", "guide.epub"}
    with pytest.raises(QuestionError, match=r"'nothing\.pdf' is not an indexed document \(indexed: .*deck\.pptx"):
        engine.ask("ferry", documents=["nothing.pdf"])


def test_cli_document_option(collection, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    _, engine = collection
    env = {**os.environ, "VERBATIM_INDEX_DIR": str(engine.store.root), "HF_HUB_OFFLINE": "1"}

    def ask(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "qa", "ask", "ferry", "-k", "2", "--json", *args]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    done = ask("--document", "notes.odt", "--document", "guide.epub")
    assert done.returncode == 0, done.stderr
    assert {Path(p["source"]).name for p in json.loads(done.stdout)["passages"]} <= {"notes.odt", "guide.epub"}
    refused = ask("--document", "missing.docx")
    assert refused.returncode != 0 and "missing.docx" in refused.stderr and "deck.pptx" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_csv_reader_alone() -> None:
    document = load_document("t.csv", b"a\tb\n1\t2\n")
    assert document.text == "a | b\na: 1 | b: 2" and io is not None
