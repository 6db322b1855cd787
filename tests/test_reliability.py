"""Bad input gets one clear line and loses nothing; damaged or foreign indexes are named; fuzzed loaders."""

from __future__ import annotations

import builtins
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.engine import Engine
from qa.errors import DocumentError, IndexDamagedError
from qa.readers.decoding import NotText, decode_text
from qa.readers.html_text import html_to_text
from qa.readers.loaders import load_document, read_bytes
from qa.uploads import safe_name, store_uploads
from tests.conftest import ROOT
from tests.docmaker import make_docx, make_pdf

GOOD = "The harbour master inspects the fishing boats every Monday at dawn."


def encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty.txt": (b"", "is empty"),
    "spaces.txt": (b" \n\t \r\n ", "is empty"),
    "binary.txt": (os.urandom(4096).replace(b"\x00", b"\x01") + b"\x00" * 64, "binary"),
    "controls.md": (bytes(range(1, 32)) * 50, "binary"),
    "bad utf16.txt": (b"\xff\xfe" + b"\x00\xd8" * 3, "UTF-16"),
    "blank.pdf": (make_pdf([""]), "OCR found no words"),
    "locked.pdf": (encrypted_pdf(), "encrypted PDF"),
    "truncated.pdf": (make_pdf(["Some text here."])[:150], "PDF"),
    "not really.pdf": (b"GIF89a not a pdf", "not a PDF"),
    "broken.docx": (b"PK\x03\x04" + os.urandom(300), "damaged DOCX"),
    "notes.rtf": (b"{\\rtf1 hello}", "unsupported file type"),
}


def test_each_bad_file_gets_one_clear_line_and_the_rest_are_indexed(
    tmp_path: Path, make_engine: Callable[..., Engine]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, (data, _) in BAD_FILES.items():
        (docs / name).write_bytes(data)
    (docs / "mixed encoding.txt").write_bytes("caf\u00e9 ".encode() + "cr\u00e8me".encode("latin-1"))
    (docs / "\u65e5\u672c\u8a9e \u0444\u0430\u0439\u043b.txt").write_text(GOOD, encoding="utf-8")
    (docs / "utf16.txt").write_bytes("UTF-16 text about lighthouses.".encode("utf-16"))
    (docs / "loop").symlink_to(docs)
    engine = make_engine()
    explicit = [docs / n for n in BAD_FILES] + [docs / "mixed encoding.txt", docs]
    report = engine.add(explicit)
    reasons = {Path(p.path).name: p.reason for p in report.problems}
    for name, (_, reason) in BAD_FILES.items():
        assert reason in reasons.get(name, ""), (name, reasons.get(name))
    indexed = {d.name for d in engine.documents()}
    assert indexed == {"mixed encoding.txt", "\u65e5\u672c\u8a9e \u0444\u0430\u0439\u043b.txt", "utf16.txt"}
    warned = next(d for d in engine.documents() if d.name == "mixed encoding.txt")
    assert "Windows-1252" in warned.warnings[0]
    assert engine.ask("Who inspects the fishing boats?", k=1).hits[0].passage.text == GOOD


def test_a_file_over_the_size_limit_is_refused_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:  # 50 MB of text
        handle.write((GOOD + "\n").encode() * (50_000_000 // (len(GOOD) + 1)))
    with pytest.raises(DocumentError, match=r"is 50\.0 MB, over the 20 MB limit"):
        read_bytes(str(big), max_bytes=20_000_000)


def test_unreadable_file_and_folder_named_like_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(GOOD)
    real_open = builtins.open

    def deny(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == str(secret):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", deny)
    with pytest.raises(DocumentError, match="permission denied"):
        read_bytes(str(secret), 10**9)
    monkeypatch.undo()
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(DocumentError, match="is a folder"):
        read_bytes(str(folder), 10**9)


def test_an_index_from_another_model_is_named(tmp_path: Path, make_engine: Callable[..., Engine]) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    engine = make_engine()
    engine.add([tmp_path / "a.txt"])
    config_path = tmp_path / "index" / str(engine.store.current()) / "config.json"
    config = json.loads(config_path.read_text())
    config["model"]["name"] = "some-other-model"
    config_path.write_text(json.dumps(config))
    with pytest.raises(IndexDamagedError, match="made with the model some-other-model"):
        make_engine().ask("harbour")


def test_a_second_process_is_refused_while_one_writes(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (tmp_path / "a.txt").write_text(GOOD)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from qa.stores.files import Store\n"
         "with Store(sys.argv[1]).lock():\n    print('held', flush=True); time.sleep(60)", str(index_dir)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        env = {**os.environ, "VERBATIM_INDEX_DIR": str(index_dir)}
        result = subprocess.run(
            [sys.executable, "-m", "qa", "index", str(tmp_path / "a.txt")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert "another process is writing the index" in result.stderr and "Traceback" not in result.stderr
    assert not (index_dir / "CURRENT").exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("../../x.txt", "x.txt"), ("..", "document"), ("a/b/../../etc/passwd.md", "passwd.md"),
     ("C:\\evil\\a.docx", "a.docx"), (".hidden.txt", "hidden.txt"), ("x;rm -rf $HOME.txt", "x_rm -rf _HOME.txt"),
     ("r\u00e9sum\u00e9 \u6587\u4ef6.PDF", "r\u00e9sum\u00e9 \u6587\u4ef6.pdf")],
)  # fmt: skip
def test_upload_names_are_made_safe(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_uploads_are_checked_and_stay_inside_their_folder(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    files = {
        "good.txt": GOOD.encode(),
        "fake.pdf": b"MZ\x90\x00 an exe",
        "drawing.svg": b"<svg/>",
        "photo.png": b"GIF89a not a png",
        "big.md": b"x" * 200_000,
    }
    make_docx(incoming / "memo.docx", [("p", "Memo text.")])
    for name, data in files.items():
        (incoming / name).write_bytes(data)
    uploads = tmp_path / "index" / "uploads"
    paths = [str(incoming / n) for n in [*files, "memo.docx"]]
    stored, refused = store_uploads(paths, uploads, max_mb=0.05)
    assert sorted(Path(p).name for p in stored) == ["good.txt", "memo.docx"]
    assert all(Path(p).parent == uploads for p in stored)
    reasons = {p.path: p.reason for p in refused}
    assert "not a PDF" in reasons["fake.pdf"] and "not an accepted type" in reasons["drawing.svg"]
    assert "not a PNG, JPEG or TIFF image" in reasons["photo.png"]
    assert "upload limit" in reasons["big.md"]
    again, _ = store_uploads([str(incoming / "good.txt")], uploads, max_mb=25)
    assert again == [str(uploads / "good.txt")], "the same file uploaded twice is kept once"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_decoding_arbitrary_bytes_never_raises_anything_else(data: bytes) -> None:
    try:
        text, encoding, _ = decode_text(data)
    except NotText:
        return
    assert isinstance(text, str) and encoding


TAGS = st.lists(st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<b>", "text ", "&amp;", "\n", "<br>", "<h2>"]))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000), TAGS.map("".join), TAGS.map("".join))
def test_html_extraction_of_arbitrary_markup(anything: str, before: str, after: str) -> None:
    assert isinstance(html_to_text(anything), str)
    text = html_to_text(before + "<script>zzsecret()</script><style>.zzstyle{}</style>" + after)
    assert "zzsecret" not in text and "zzstyle" not in text


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["a.txt", "b.md", "c.html", "d.pdf", "e.docx"]))
def test_loaders_raise_only_document_errors(data: bytes, name: str) -> None:
    try:
        document = load_document(name, data)
    except DocumentError:
        return
    assert document.text.strip()
