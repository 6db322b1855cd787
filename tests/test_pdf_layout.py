"""Reading PDFs by their layout: each rule on a small PDF that the test makes itself (reportlab)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.readers.layout import make_line
from qa.readers.loaders import READER_VERSIONS, load_document
from qa.types import Document
from tests.docmaker import make_layout_pdf, scanned_pdf, wrapped

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")

BUDGET = (
    "The council approved the annual budget after a long debate about road repairs, school meals and the "
    "cost of running the public library on weekends during the winter months."
)
TRANSPORT = (
    "Bus services will run every ten minutes on the main routes from March, and the night bus will stop at "
    "the hospital, the station and the university campus on the hill."
)


def load(path: Path) -> Document:
    return load_document(str(path), path.read_bytes())


def blocks(doc: Document) -> list[tuple[str, str]]:
    return [(b.kind, doc.text[b.start : b.end]) for b in doc.blocks]


def test_wrapped_lines_become_one_paragraph_each(tmp_path: Path) -> None:
    page = wrapped(BUDGET, 50, 80) + wrapped(TRANSPORT, 50, 150)
    doc = load(make_layout_pdf(tmp_path / "p.pdf", [page]))
    assert blocks(doc) == [("para", BUDGET), ("para", TRANSPORT)]
    assert doc.text == BUDGET + "\n\n" + TRANSPORT
    assert len(doc.line_starts) == len(page)


def test_heading_by_font_size_not_by_being_short(tmp_path: Path) -> None:
    page = [
        (50, 60, "Spending plans", 18, True),
        *wrapped(BUDGET, 50, 90),
        (50, 160, "A short line in the body font", 11, False),  # short, no full stop: still not a heading
        *wrapped(TRANSPORT, 50, 180),
    ]
    doc = load(make_layout_pdf(tmp_path / "h.pdf", [page]))
    kinds = blocks(doc)
    assert kinds[0] == ("heading", "Spending plans")
    assert ("heading", "A short line in the body font") not in kinds
    assert [k for k, _ in kinds].count("heading") == 1


def test_running_header_and_page_numbers_are_dropped(tmp_path: Path) -> None:
    pages = [wrapped(BUDGET, 50, 100), wrapped(TRANSPORT, 50, 100), wrapped(BUDGET[:90] + ".", 50, 100)]
    doc = load(make_layout_pdf(tmp_path / "r.pdf", pages, header="Town Gazette 12/03/2025 10:41", footer=True))
    assert "Gazette" not in doc.text and "Page" not in doc.text
    assert doc.text.startswith("The council") and len(doc.page_starts) == 3


def test_one_page_header_in_small_print_is_dropped(tmp_path: Path) -> None:
    doc = load(make_layout_pdf(tmp_path / "one.pdf", [wrapped(BUDGET, 50, 100)], header="3/1/25, 4:22 PM Budget"))
    assert doc.text == BUDGET


def test_two_columns_are_read_left_then_right(tmp_path: Path) -> None:
    # the right column is drawn first: reading order must come from the layout, not the drawing order
    right = wrapped(TRANSPORT, 310, 100, width=40)
    left = wrapped(BUDGET, 50, 100, width=40)
    doc = load(make_layout_pdf(tmp_path / "cols.pdf", [right + left]))
    assert doc.text.index("The council") < doc.text.index("Bus services")
    assert blocks(doc) == [("para", BUDGET), ("para", TRANSPORT)]


def test_short_paragraph_ends_stay_in_place_above_a_table_with_two_sides(tmp_path: Path) -> None:
    # Each paragraph's last line is short, so it stands left of the page's middle, as a column's line would;
    # below them, a table header on the right and labels on the left. Only where both sides stand side by side
    # may the page be read as two columns: the paragraphs above keep their last lines.
    page = [*wrapped(BUDGET, 50, 100), *wrapped(TRANSPORT, 50, 160)]
    page += [(360, 240, "Year ended", 11, False), (360, 254, "June 30,", 11, False)]
    page += [(360, 268, "in thousands", 11, False)]
    page += [(50, 282, "Americas", 11, False), (50, 296, "Europe", 11, False), (50, 310, "Asia Pacific", 11, False)]
    doc = load(make_layout_pdf(tmp_path / "table.pdf", [page]))
    assert wrapped(BUDGET, 50, 100)[-1][2] != BUDGET and len(wrapped(BUDGET, 50, 100)[-1][2]) < 20  # a short line
    assert blocks(doc)[:2] == [("para", BUDGET), ("para", TRANSPORT)]


def test_a_wrapped_row_label_is_put_back_into_its_row(tmp_path: Path) -> None:
    def row(y: float, label: str, *figures: str) -> list[tuple[float, float, str, float, bool]]:
        cells = [(50.0, y, label, 10, False)] if label else []
        return cells + [(250.0 + 80 * n, y, figure, 10, False) for n, figure in enumerate(figures)]

    page = [
        *row(100, "Americas", "132,426", "151,471"),
        *row(120, "Total professional service"), *row(132, "and other revenues", "284,936", "316,257"),
        *row(144, "for the year"),
        *row(162, "Cost of professional"), *row(174, "service revenues"), *row(168, "", "224,635", "253,389"),
        *row(200, "Revenues by region:"), *row(216, "Europe", "10", "12"),
    ]  # fmt: skip
    doc = load(make_layout_pdf(tmp_path / "table.pdf", [page]))
    assert doc.text.split("\n") == [
        "Americas | 132,426 | 151,471",
        "Total professional service and other revenues for the year | 284,936 | 316,257",
        "Cost of professional service revenues | 224,635 | 253,389",
        "",
        "Revenues by region:",  # level with no row: a sub-heading, left as it is
        "",
        "Europe | 10 | 12",
    ]
    assert len(doc.boxes) == len(doc.text)


def test_hyphenated_line_end_is_rejoined(tmp_path: Path) -> None:
    page = [
        (50, 100, "The committee carefully exam-", 11, False),
        (50, 114, "ined the well-known budget lines.", 11, False),
    ]
    doc = load(make_layout_pdf(tmp_path / "hy.pdf", [page]))
    assert doc.text == "The committee carefully examined the well-known budget lines."


def test_a_compound_broken_at_its_own_hyphen_keeps_it(tmp_path: Path) -> None:
    page = [
        (50, 100, "The board kept its long-term plan and its well-", 11, False),
        (50, 114, "known rules; the long-term debt was exam-", 11, False),
        (50, 128, "ined by the long-", 11, False),
        (50, 142, "term lenders.", 11, False),
    ]
    doc = load(make_layout_pdf(tmp_path / "compound.pdf", [page]))
    # "long-term" is written so inside the document's lines: kept; "well-known" is not (the rule's default: the
    # hyphen leaves); "exam-ined" is no compound
    assert doc.text == ("The board kept its long-term plan and its wellknown rules; the long-term debt was examined "
                        "by the long-term lenders.")  # fmt: skip
    assert len(doc.boxes) == len(doc.text)


def test_paragraph_continues_across_a_page_break(tmp_path: Path) -> None:
    first = "After a long evening of questions from residents about the state of the roads, the board decided to"
    second = "postpone the vote until spring."
    pages = [[*wrapped(BUDGET, 50, 100), (50, 780, first, 11, False)], [(50, 100, second, 11, False)]]
    doc = load(make_layout_pdf(tmp_path / "pb.pdf", pages))
    assert blocks(doc)[-1] == ("para", first + " " + second)
    assert doc.page_starts[1] == doc.text.index("postpone")


def test_ligatures_are_normalised(tmp_path: Path) -> None:
    page = [(50, 100, "The \ufb01nal of\ufb01cial \ufb02ow of funds.", 11, False)]
    doc = load(make_layout_pdf(tmp_path / "lig.pdf", [page]))
    assert doc.text == "The final official flow of funds."


def test_line_text_is_nfkc_without_soft_hyphens() -> None:
    text = "\uff21\uff22\uff23 co\u00adop\u00a0\ufb03x  end"
    line = make_line(list(text), [(float(i), 0.0, i + 1.0, 10.0) for i in range(len(text))], [10.0] * len(text),
                     [400.0] * len(text))  # fmt: skip
    assert line is not None and line.chars == "ABC coop ffix end"
    assert line.boxes.shape == (len(line.chars), 4)
    assert line.boxes[line.chars.index("ffi") + 2][0] == text.index("\ufb03")  # an expanded ligature shares its box


def test_table_rows_stay_rows(tmp_path: Path) -> None:
    rows = [("Region", "2024", "2023"), ("North", "12.5", "11.0"), ("South", "8.25", "9.75")]
    page = [
        (x, 100 + 14 * r, cell, 10, False)
        for r, row in enumerate(rows)
        for x, cell in zip((50, 250, 350), row, strict=True)
    ]
    doc = load(make_layout_pdf(tmp_path / "t.pdf", [page]))
    assert doc.text == "Region | 2024 | 2023\nNorth | 12.5 | 11.0\nSouth | 8.25 | 9.75"
    assert {b.kind for b in doc.blocks} == {"row"}


def test_every_character_has_its_box_on_the_page(tmp_path: Path) -> None:
    doc = load(make_layout_pdf(tmp_path / "b.pdf", [wrapped(BUDGET, 50, 100)]))
    assert doc.boxes is not None and doc.boxes.shape == (len(doc.text), 4)
    first = doc.boxes[doc.text.index("council")]
    assert 50 < first[0] < 200 and 85 < first[1] < 100 < first[3] < 105


@needs_tesseract
def test_scanned_pdf_is_read_by_ocr(tmp_path: Path) -> None:
    source = make_layout_pdf(tmp_path / "s.pdf", [[(50, 60, "Spending plans", 18, True), *wrapped(BUDGET, 50, 90)]])
    doc = load(scanned_pdf(source, tmp_path / "scan.pdf"))
    assert doc.ocr_pages == (1,)
    assert blocks(doc)[0] == ("heading", "Spending plans")
    assert "approved the annual budget" in doc.text and "public library on weekends" in doc.text


@needs_tesseract
def test_image_file_is_read_by_ocr(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    source = make_layout_pdf(tmp_path / "i.pdf", [wrapped(TRANSPORT, 50, 90)])
    image = tmp_path / "notice.png"
    pdfium.PdfDocument(str(source))[0].render(scale=200 / 72).to_pil().save(image)
    doc = load(image)
    assert doc.kind == "image" and doc.ocr_pages == (1,)
    assert "every ten minutes on the main routes" in doc.text


def test_pdf_answers_cite_page_and_line_on_that_page(tmp_path: Path, make_engine) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    pages = [
        [(50, 60, "Spending plans", 18, True), *wrapped(BUDGET, 50, 90)],
        [*wrapped(BUDGET, 50, 90), (50, 160, "Transport", 18, True), *wrapped(TRANSPORT, 50, 190)],
    ]
    make_layout_pdf(docs / "gazette.pdf", pages, header="Town Gazette", footer=True)
    engine = make_engine()
    engine.add([docs])
    hit = engine.ask("How often will the buses run on the main routes?", k=1).hits[0]
    passage = hit.passage
    assert passage.text == engine.source_text(passage.source)[passage.start : passage.end]
    assert "every ten minutes" in passage.text and passage.heading == "Transport"
    assert passage.page == 2 and passage.line == 4  # 3 lines of the first paragraph, then the heading
    assert not any("Gazette" in engine.passage(row).text for row in range(len(engine.snapshot.passages)))


@needs_tesseract
def test_scanned_pdf_answer_says_it_was_read_by_ocr(tmp_path: Path, make_engine) -> None:
    from qa.render import citation

    docs = tmp_path / "docs"
    docs.mkdir()
    source = make_layout_pdf(tmp_path / "s.pdf", [[(50, 60, "Transport", 18, True), *wrapped(TRANSPORT, 50, 90)]])
    scanned_pdf(source, docs / "scan.pdf")
    engine = make_engine()
    engine.add([docs])
    hit = engine.ask("Where will the night bus stop?", k=1).hits[0]
    assert "hospital" in hit.passage.text and hit.passage.ocr
    assert "p. 1 (text read by OCR)" in citation(hit)


def test_pdfs_read_by_an_older_reader_are_read_again(tmp_path: Path, make_engine) -> None:
    import dataclasses
    import json

    docs = tmp_path / "docs"
    docs.mkdir()
    make_layout_pdf(docs / "p.pdf", [wrapped(BUDGET, 50, 100)])
    engine = make_engine()
    engine.add([docs])
    config_path = engine.store.root / str(engine.store.current()) / "config.json"
    config = json.loads(config_path.read_text())
    assert config["documents"][0]["reader"] == READER_VERSIONS["pdf"] > 1
    # an index whose record says reader 1 (the pypdf reader): the next add reads the PDF again
    old = engine.snapshot
    documents = tuple(dataclasses.replace(d, reader=1) for d in old.documents)
    engine.store.save(dataclasses.replace(old, documents=documents))
    report = make_engine().add([docs])
    assert report.updated == [str(docs / "p.pdf")] and report.passages_embedded == 1
