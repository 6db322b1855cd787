"""A passage shown on its page: the marks lie on the passage's own characters, for text PDFs and scans."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.errors import DocumentError
from qa.pages import PAGE_GAP, RENDER_DPI, line_rectangles, marks
from tests.docmaker import make_layout_pdf, scanned_pdf, wrapped
from tests.test_pdf_layout import BUDGET, TRANSPORT

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")


def pdfium_line_box(pdf_path: Path, page_number: int, words: str) -> tuple[float, float, float, float]:
    """PDFium's own box (x0, top, x1, bottom from the page's top-left) around ``words`` on a page."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    page = pdf[page_number - 1]
    height = page.get_size()[1]
    textpage = page.get_textpage()
    searcher = textpage.search(words)
    index, count = searcher.get_next()
    boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
    box = (min(b[0] for b in boxes), height - max(b[3] for b in boxes), max(b[2] for b in boxes),
           height - min(b[1] for b in boxes))  # fmt: skip
    pdf.close()
    return box


def tinted_share(png: bytes, rect: tuple[float, float, float, float], page_size: tuple[float, float]) -> float:
    """The share of light pixels inside ``rect`` (page units) that are tinted yellow or orange, not white."""
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    sx, sy = image.shape[1] / page_size[0], image.shape[0] / page_size[1]
    x0, top, x1, bottom = rect
    region = image[int(top * sy) : int(bottom * sy), int(x0 * sx) : int(x1 * sx)].reshape(-1, 3)
    light = region[region.sum(axis=1) > 500]  # background, not ink
    return float(((light[:, 0] - light[:, 2]) > 25).mean()) if len(light) else 0.0


@pytest.fixture
def gazette(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    pages = [
        [(50, 60, "Spending plans", 18, True), *wrapped(BUDGET, 50, 90)],
        [(50, 60, "Transport", 18, True), *wrapped(TRANSPORT, 50, 90), *wrapped(BUDGET, 50, 160)],
    ]
    return make_layout_pdf(docs / "gazette.pdf", pages)


def test_marks_lie_on_the_passage_characters(gazette: Path, make_engine) -> None:
    engine = make_engine()
    engine.add([gazette.parent])
    hit = engine.ask("How often will the buses run on the main routes?", k=1).hits[0]
    passage = hit.passage
    content = next(c for c in engine.snapshot.contents if c.source == passage.source)
    boxes = engine.store.read_boxes(content.key)
    [found] = marks(boxes, content.page_starts, passage.start, passage.end)  # one page
    assert found.page == 2
    first_body_line = wrapped(TRANSPORT, 50, 90)[0][2]
    expected = pdfium_line_box(gazette, 2, first_body_line)
    body = [r for r in found.passage if r[1] > 80]  # below the heading
    assert body[0] == pytest.approx(expected, abs=1.5)
    png = engine.page_image(passage.source, passage.start, passage.end)
    assert png.startswith(b"\x89PNG")
    assert tinted_share(png, expected, (595, 842)) > 0.9
    assert tinted_share(png, (50, 400, 500, 450), (595, 842)) == 0.0  # blank paper below the text: unmarked


def test_a_passage_over_a_page_break_is_cited_and_shown_on_both_pages(tmp_path: Path, make_engine) -> None:
    from PIL import Image

    from qa.render import citation

    docs = tmp_path / "docs"
    docs.mkdir()
    first = "After a long evening of questions from residents about the state of the roads, the board decided to"
    second = "postpone the vote on the bridge repairs until the spring."
    pdf = make_layout_pdf(docs / "minutes.pdf", [[(50, 780, first, 11, False)], [(50, 100, second, 11, False)]])
    engine = make_engine()
    engine.add([docs])
    hit = engine.ask("When will the board vote on the bridge repairs?", k=1).hits[0]
    assert hit.passage.text == first + " " + second
    assert (hit.passage.page, hit.passage.last_page, hit.passage.pages) == (1, 2, (1, 2))
    assert "minutes.pdf, pp. 1\u20132, line 1" in citation(hit)
    png = engine.page_image(hit.passage.source, hit.passage.start, hit.passage.end)
    image = Image.open(io.BytesIO(png))
    height = (image.height - PAGE_GAP) // 2  # two pages, one under the other
    assert height == pytest.approx(842 * RENDER_DPI / 72, abs=2)
    pages = []
    for top in (0, height + PAGE_GAP):
        out = io.BytesIO()
        image.crop((0, top, image.width, top + height)).save(out, format="PNG")
        pages.append(out.getvalue())
    assert tinted_share(pages[0], pdfium_line_box(pdf, 1, first), (595, 842)) > 0.9  # the foot of page 1
    assert tinted_share(pages[1], pdfium_line_box(pdf, 2, second), (595, 842)) > 0.9  # the head of page 2
    assert tinted_share(pages[1], (50, 400, 500, 450), (595, 842)) == 0.0


def test_line_rectangles_merge_a_line_and_skip_inserted_characters() -> None:
    nan = [np.nan] * 4
    boxes = np.array([[10, 5, 15, 15], [15, 5, 20, 15], nan, [10, 20, 30, 30]], dtype=np.float32)
    assert line_rectangles(boxes) == [(10, 5, 20, 15), (10, 20, 30, 30)]


def test_page_image_refuses_text_files_and_unknown_sources(tmp_path: Path, make_engine) -> None:
    doc = tmp_path / "note.txt"
    doc.write_text(BUDGET, encoding="utf-8")
    engine = make_engine()
    engine.add([doc])
    with pytest.raises(DocumentError, match="not a PDF or an image"):
        engine.page_image(str(doc), 0, 10)
    with pytest.raises(DocumentError, match="not in the index"):
        engine.page_image(str(tmp_path / "other.pdf"), 0, 10)


@needs_tesseract
def test_scanned_page_is_marked_from_ocr_word_boxes(gazette: Path, tmp_path: Path, make_engine) -> None:
    docs = tmp_path / "scans"
    docs.mkdir()
    scanned_pdf(gazette, docs / "scan.pdf")
    engine = make_engine(index_dir=tmp_path / "scan-index")
    engine.add([docs])
    hit = engine.ask("How often will the buses run on the main routes?", k=1).hits[0]
    assert hit.passage.ocr and hit.passage.page == 2
    png = engine.page_image(hit.passage.source, hit.passage.start, hit.passage.end)
    # the scan shows the same page: where PDFium put the line in the original, the scan's mark must be
    expected = pdfium_line_box(gazette, 2, wrapped(TRANSPORT, 50, 90)[0][2])
    assert tinted_share(png, expected, (595, 842)) > 0.8
