"""Each format's loader, on small files the tests make, and the choice of files under a folder."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from qa.errors import DocumentError
from qa.readers.loaders import discover, load_document, read_bytes
from tests.docmaker import make_docx, make_pdf


def load(path: Path):
    return load_document(str(path), path.read_bytes())


def test_text_utf8_kept_unchanged(tmp_path: Path) -> None:
    text = "Line one.\r\nLine two with caf\u00e9 and \u2014 dash.\n"
    path = tmp_path / "a.txt"
    path.write_bytes(text.encode("utf-8"))
    doc = load(path)
    assert doc.text == text and doc.encoding == "utf-8" and not doc.warnings


def test_text_utf8_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(codecs.BOM_UTF8 + b"# Title\n\nBody.")
    doc = load(path)
    assert doc.text == "# Title\n\nBody." and doc.kind == "markdown"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_text_utf16_with_bom(tmp_path: Path, encoding: str) -> None:
    text = "UTF-16 text: \u00e9t\u00e9 \u4e2d\u6587."
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    path = tmp_path / "u16.txt"
    path.write_bytes(bom + text.encode(encoding))
    assert load(path).text == text


def test_text_latin1_falls_back_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Caf\u00e9 cr\u00e8me \u2014 \u20ac5".encode("cp1252"))
    doc = load(path)
    assert doc.text == "Caf\u00e9 cr\u00e8me \u2014 \u20ac5"
    assert doc.encoding == "cp1252" and "Windows-1252" in doc.warnings[0]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.txt", b"  \n\t\n ", "is empty"),
        ("binary.txt", bytes(range(256)) * 4, "binary"),
        ("fake.pdf", b"hello, not a pdf", "not a PDF"),
        ("fake.docx", b"hello, not a docx", "not a DOCX"),
        ("broken.docx", b"PK\x03\x04garbage" * 10, "damaged DOCX"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", "PDF"),
    ],
)
def test_bad_files_get_a_clear_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentError) as err:
        load(path)
    assert reason in err.value.reason and str(path) in str(err.value)


def test_html_visible_text_only(tmp_path: Path) -> None:
    html = """<!doctype html><html><head><title>T</title><style>p {color: red}</style>
    <script>var secret = 1;</script></head><body><h1>Report</h1><p>The <b>audit</b> found
    problems.</p><div hidden>invisible words</div><ul><li>First</li><li>Second</li></ul>
    <noscript>enable js</noscript></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    doc = load(path)
    assert "Report" in doc.text and "The audit found problems." in doc.text
    for hidden in ("secret", "color", "invisible", "enable js"):
        assert hidden not in doc.text
    assert doc.text.index("Report") < doc.text.index("First") < doc.text.index("Second")


def test_pdf_pages_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "two.pdf"
    path.write_bytes(make_pdf(["First page says hello.", "Second page talks about budgets."]))
    doc = load(path)
    assert doc.kind == "pdf" and len(doc.page_starts) == 2
    second = doc.text.index("Second page")
    assert doc.page_starts[1] <= second and doc.page_starts[0] <= doc.text.index("First page") < doc.page_starts[1]


def test_blank_pdf_says_ocr_found_nothing(tmp_path: Path) -> None:
    path = tmp_path / "blank.pdf"
    path.write_bytes(make_pdf([""]))
    with pytest.raises(DocumentError, match="no text layer, and OCR found no words"):
        load(path)


def test_scan_without_tesseract_names_the_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.readers.ocr

    monkeypatch.setattr(qa.readers.ocr.shutil, "which", lambda name: None)
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([""]))
    with pytest.raises(DocumentError, match="apt-get install tesseract-ocr tesseract-ocr-eng"):
        load(path)


def test_docx_paragraphs_headings_and_tables_in_order(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "memo.docx",
        [("h1", "Budget memo"), ("p", "Spending rose by 4%."), ("table", "Item|Cost\nPaper|10"), ("p", "End.")],
    )
    doc = load(path)
    assert doc.text.index("Budget memo") < doc.text.index("Spending rose") < doc.text.index("Paper | 10")
    assert doc.text.endswith("End.")


def test_discover_walks_folders_skips_unsupported_and_loops(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "sub" / "b.md").write_text("b")
    (tmp_path / "sub" / "deeper" / "c.html").write_text("<p>c</p>")
    (tmp_path / "sub" / "drawing.svg").write_bytes(b"<svg/>")
    (tmp_path / ".hidden.txt").write_text("h")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    files, problems, skipped = discover([tmp_path, tmp_path / "missing.txt", tmp_path / "sub" / "drawing.svg"])
    names = sorted(Path(f).name for f in files)
    assert names == ["a.txt", "b.md", "c.html"]
    assert [Path(p.path).name for p in problems] == ["missing.txt", "drawing.svg"]
    assert "no such file" in problems[0].reason and "unsupported" in problems[1].reason
    assert any(s.endswith("drawing.svg") for s in skipped)


def test_names_with_spaces_and_non_latin_characters(tmp_path: Path) -> None:
    path = tmp_path / "r\u00e9sum\u00e9 \u6587\u4ef6 final.txt"
    path.write_text("Non-Latin names work.", encoding="utf-8")
    files, problems, _ = discover([tmp_path])
    assert files == [str(path)] and not problems
    assert load(path).text == "Non-Latin names work."


def test_size_limit_and_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 2000)
    with pytest.raises(DocumentError, match="limit"):
        read_bytes(str(path), max_bytes=1000)
    if os.geteuid() != 0:  # root reads everything
        path.chmod(0)
        with pytest.raises(DocumentError, match="permission"):
            read_bytes(str(path), max_bytes=10**9)
