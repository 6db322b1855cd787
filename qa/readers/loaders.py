"""Files to Documents: find the files under the paths given, and read each supported format."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from qa.errors import DocumentError
from qa.readers.decoding import NotText, decode_text
from qa.types import Document, Problem

FORMATS = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".eml": "eml",
    ".epub": "epub",
    ".odt": "odt",
}
_ZIPPED = ("docx", "pptx", "xlsx", "epub", "odt")
# A document read by an older version of its format's reader is read again on the next ``index`` run.
# pdf 3 and image 2: compounds keep their hyphen, two columns only where both sides stand side by side, wrapped
# row labels put back in their rows; pptx 2: passages run on over "(continued)" slides; pdf 5 and image 4: a page
# of prose set in another size or weight than the document has its own body style; pdf 6: the gap after a TeX
# logo boxed too narrow is a word gap, not a table cell; a line in a face named bold is bold; pdf 6 and image 5: a
# float set inside a paragraph follows it; pdf 7: the letters PDFium gives for TeX math symbols are those symbols;
# pdf 8 and image 6: a lower-case line in a size a little off goes on with the open sentence above it; pdf 9 and
# image 7: a contents entry at the page's edge keeps its page number (no margin note); pdf 10: more typewriter faces
# by name (CMSLTT, SFTT, t1xtt, 12 Pitch), and a typewriter word that ends a sentence of prose goes on with it;
# pdf 11: a footnote's raised mark set a space before its text is one line with it; pdf 12 and image 8: a display
# (code) stays in the passage of the sentence that introduces it (qa.displays); pdf 13 and image 9: a line whose
# gaps are all wide is a table row where a cell of it stands level with a row's next to it; pdf 14 and image 10: a
# short display goes with the sentence whose terms it shows (qa.displays); pdf 15 and image 11: also where the
# sentence after it runs on past a full stop
READER_VERSIONS = {"pdf": 15, "image": 11, "pptx": 2}
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
PageProgress = Callable[[int, int], None]
SUPPORTED = ", ".join(sorted(FORMATS))
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def kind_of(path: str | Path) -> str | None:
    """The format a path's extension names, or None when it is not supported."""
    return FORMATS.get(Path(path).suffix.lower())


def discover(paths: Iterable[str | Path]) -> tuple[list[str], list[Problem], list[str]]:
    """Files to index under ``paths`` (folders recursively, symlink loops skipped).

    Returns ``(files, problems, skipped)``: absolute paths in a stable order; paths that do not exist
    or files named explicitly with an unsupported type; unsupported files met inside folders.
    """
    files: list[str] = []
    problems: list[Problem] = []
    skipped: list[str] = []
    for given in paths:
        path = os.path.abspath(given)
        if os.path.isdir(path):
            _walk(path, files, skipped)
        elif os.path.isfile(path):
            if kind_of(path) is None:
                problems.append(Problem(path, f"unsupported file type (supported: {SUPPORTED})"))
            else:
                files.append(path)
        elif os.path.islink(path):
            problems.append(Problem(path, "is a broken symbolic link"))
        else:
            problems.append(Problem(path, "no such file or folder"))
    return list(dict.fromkeys(files)), problems, skipped


def _walk(root: str, files: list[str], skipped: list[str]) -> None:
    seen: set[str] = set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a symlink loop, or a folder reached twice: walk it once
            subfolders.clear()
            continue
        seen.add(real)
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            full = os.path.join(folder, name)
            if kind_of(name) is None:
                skipped.append(full)
            elif os.path.isfile(full):
                files.append(full)


def read_bytes(path: str, max_bytes: int) -> bytes:
    """The file's bytes, or a DocumentError saying why they cannot be had."""
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise DocumentError(
                path, f"is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit (VERBATIM_MAX_FILE_MB)"
            )
        with open(path, "rb") as handle:
            return handle.read()
    except PermissionError as exc:
        raise DocumentError(path, "cannot be read (permission denied)") from exc
    except IsADirectoryError as exc:
        raise DocumentError(path, "is a folder, not a file") from exc
    except OSError as exc:
        raise DocumentError(path, f"cannot be read ({exc.strerror or exc})") from exc


def content_mismatch(kind: str, head: bytes) -> str | None:
    """Why a file's first bytes do not match the format its extension names, or None when they do."""
    if kind == "pdf" and b"%PDF" not in head[:1024]:
        return "is not a PDF (no %PDF header)"
    if kind in _ZIPPED and not head.startswith(b"PK\x03\x04"):
        return f"is not a {kind.upper()} file (not a zip archive)"
    if kind == "image" and not head.startswith(_IMAGE_MAGIC):
        return "is not a PNG, JPEG or TIFF image"
    textual = kind in ("text", "markdown", "html", "csv", "eml")
    if textual and b"\x00" in head[:65536] and not head.startswith(_UTF16_BOMS):
        return "contains binary data (NUL bytes), not text"
    return None


def reader_version(kind: str) -> int:
    return READER_VERSIONS.get(kind, 1)


def load_document(path: str, data: bytes, progress: PageProgress | None = None) -> Document:
    """Parse ``data`` (the bytes of ``path``) by the format its extension names.

    ``progress(pages_done, pages)`` follows the pages of a PDF or image as they are read.
    """
    kind = kind_of(path)
    if kind is None:
        raise DocumentError(path, f"unsupported file type (supported: {SUPPORTED})")
    if not data.strip():
        raise DocumentError(path, "is empty")
    if (mismatch := content_mismatch(kind, data[:65536])) is not None:
        raise DocumentError(path, mismatch)
    if kind in ("text", "markdown"):
        document = _load_text(path, data, kind)
    elif kind == "html":
        document = _load_html(path, data)
    elif kind in ("pdf", "image"):
        document = _load_pages(path, data, kind, progress)
    elif kind == "docx":
        document = _load_docx(path, data)
    else:
        document = _load_structured(path, data, kind)
    if not document.text.strip():
        raise DocumentError(path, "has no text (only whitespace)")
    return document


def _load_text(path: str, data: bytes, kind: str) -> Document:
    try:
        text, encoding, warning = decode_text(data)
    except NotText as exc:
        raise DocumentError(path, str(exc)) from exc
    return Document(path, text, kind, encoding=encoding, warnings=(warning,) if warning else ())


def _load_html(path: str, data: bytes) -> Document:
    from qa.readers.html_text import html_to_text

    try:
        text = html_to_text(data)
    except RecursionError as exc:
        raise DocumentError(path, "HTML is nested too deeply to read") from exc
    return Document(path, text, "html")


def _load_pages(path: str, data: bytes, kind: str, progress: PageProgress | None) -> Document:
    """A PDF (its text layer, or OCR for pages without one) or an image (OCR), by page layout."""
    from qa.readers.layout import assemble

    try:
        if kind == "pdf":
            from qa.readers.pdf import read_pdf

            pages = read_pdf(path, data, progress)
        else:
            from qa.readers.ocr import read_image

            pages = read_image(path, data)
        layout = assemble(pages)
    except DocumentError:
        raise
    except Exception as exc:  # a hostile or odd file must fail alone, not the whole indexing run
        raise DocumentError(path, f"could not be read ({type(exc).__name__}: {exc})") from exc
    if not layout.text.strip():
        raise DocumentError(path, "has no text: no text layer, and OCR found no words")
    return Document(
        path, layout.text, kind, page_starts=tuple(layout.page_starts), blocks=tuple(layout.blocks),
        line_starts=tuple(layout.line_starts), ocr_pages=tuple(layout.ocr_pages), boxes=layout.boxes,
    )  # fmt: skip


def _load_structured(path: str, data: bytes, kind: str) -> Document:
    """Slides, sheets, CSV, e-mail, e-books and OpenDocument text, each by the reader of its own structure."""
    from qa.readers import epub, mail, office

    try:
        if kind == "eml":
            document, attachments = mail.read_eml(path, data)
            return replace(document, attachments=tuple(attachments))
        reader = {"pptx": office.read_pptx, "xlsx": office.read_xlsx, "csv": office.read_csv,
                  "odt": office.read_odt, "epub": epub.read_epub}[kind]  # fmt: skip
        return reader(path, data)
    except DocumentError:
        raise
    except Exception as exc:  # the format libraries raise their own errors on broken or hostile files
        raise DocumentError(path, f"is a damaged {kind.upper()} file ({type(exc).__name__}: {exc})") from exc


def _load_docx(path: str, data: bytes) -> Document:
    import zipfile

    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    cells = [cell.text.strip() for cell in row.cells]
                    blocks.append(" | ".join(dict.fromkeys(c for c in cells if c)))
            elif ((block.style is not None and block.style.name) or "").lower().startswith(("heading", "title")):
                blocks.append("\n" + block.text.strip() + "\n")
            else:
                blocks.append(block.text.strip())
    except (zipfile.BadZipFile, KeyError, ValueError, AttributeError, OSError) as exc:
        raise DocumentError(path, f"is a damaged DOCX file ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # python-docx raises lxml and its own errors on broken XML
        raise DocumentError(path, f"is a damaged DOCX file ({type(exc).__name__})") from exc
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(blocks)).strip()
    return Document(path, text, "docx")
