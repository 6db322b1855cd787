"""Slides, spreadsheets, CSV and OpenDocument text: their structure to a ``Document`` (``qa.readers.builder``).

- ``.pptx``: a slide a page, its title the heading, text frames and tables in order, then its speaker notes
  under "Speaker notes" (marked as such in the text); "Title (continued)" over a slide that continues the one
  before is a running title, left out like a PDF's running header;
- ``.xlsx``: a sheet a page under its name, a row a line (line numbers are row numbers), cells as
  "Header: value" when the sheet's first row reads as column headers;
- ``.csv``: the same as one sheet, the encoding decoded as for text and the delimiter sniffed;
- ``.odt``: headings and paragraphs in order.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from qa.errors import DocumentError
from qa.readers.builder import Builder
from qa.readers.decoding import NotText, decode_text
from qa.types import Document

_CONTINUED = re.compile(r"\s*\((?:continued|cont\.?|cont'd)\)\s*$", re.IGNORECASE)
MAX_ROWS = 200_000  # rows read from one sheet: a workbook of millions of rows is refused, not read for hours
NOTES_HEADING = "Speaker notes"


def read_pptx(path: str, data: bytes) -> Document:
    from pptx import Presentation

    deck = Presentation(io.BytesIO(data))
    built = Builder()
    previous_title = ""
    notes = False  # whether the slide before ended with speaker notes
    for slide in deck.slides:
        title = slide.shapes.title
        text = title.text_frame.text if title is not None and title.has_text_frame else ""
        # "Title (continued)" over the same title's slide is a running title: the section goes on, and so does
        # its text, unless speaker notes stand between
        continues = bool(_CONTINUED.search(text)) and _CONTINUED.sub("", text).strip() == previous_title
        built.page(continues and not notes)
        if text.strip() and not continues:
            built.add(text, "heading")
            previous_title = _CONTINUED.sub("", text).strip()
        for shape in slide.shapes:
            if shape == title:
                continue
            if shape.has_text_frame:
                for paragraph in shape.text_frame.paragraphs:
                    built.add("".join(run.text for run in paragraph.runs))
            elif getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    built.add(" | ".join(cell.text for cell in row.cells), "row")
        said = slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""
        notes = bool(said.strip())
        if notes:
            built.add(NOTES_HEADING, "heading")
            built.add(said)
    return built.document(path, "pptx")


def read_xlsx(path: str, data: bytes) -> Document:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    built = Builder()
    try:
        for sheet in book.worksheets:
            built.page()
            built.add(sheet.title, "heading", counted=False)
            _add_rows(built, path, sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1))
    finally:
        book.close()
    return built.document(path, "xlsx")


def read_csv(path: str, data: bytes) -> Document:
    try:
        text, encoding, warning = decode_text(data)
    except NotText as exc:
        raise DocumentError(path, str(exc)) from exc
    sample = text[:65536]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    built = Builder()
    built.page()
    _add_rows(built, path, csv.reader(io.StringIO(text, newline=""), dialect))
    document = built.document(path, "csv", (warning,) if warning else ())
    return Document(**{**document.__dict__, "encoding": encoding})


def _add_rows(built: Builder, path: str, rows: Iterable[Sequence[object]]) -> None:
    """A row a line; "Header: value" cells when the first row reads as column headers."""
    headers: list[str] | None = None
    first: list[str] | None = None
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS:
            raise DocumentError(path, f"has more than {MAX_ROWS:,} rows in one sheet; split it to index it")
        cells = ["" if value is None else str(value).strip() for value in row]
        if number == 1:
            first = cells
            built.add(" | ".join(c for c in cells if c), "row")
            continue
        if number == 2 and first is not None:
            headers = first if _header_like(first, cells) else None
        if headers is not None:
            pairs = [f"{h}: {c}" if h else c for h, c in zip(headers, cells, strict=False) if c]
            built.add(" | ".join(pairs), "row")
        else:
            built.add(" | ".join(c for c in cells if c), "row")


def _header_like(first: list[str], second: list[str]) -> bool:
    """Column headers: two or more names, none a number, all different, over a row that is not the same."""
    filled = [c for c in first if c]
    return len(filled) >= 2 and not any(map(_is_number, filled)) and len(set(filled)) == len(filled) and second != first


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").replace("%", "").replace("$", "").replace("£", "").replace("€", ""))
    except ValueError:
        return False
    return True


def read_odt(path: str, data: bytes) -> Document:
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = ElementTree.fromstring(archive.read("content.xml"))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError) as exc:
        raise DocumentError(path, f"is a damaged OpenDocument file ({exc})") from exc
    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    built = Builder()
    built.page()
    for element in root.iter():
        if element.tag == f"{{{text_ns}}}h":
            built.add("".join(element.itertext()), "heading")
        elif element.tag == f"{{{text_ns}}}p":
            built.add("".join(element.itertext()))
    return built.document(path, "odt")
