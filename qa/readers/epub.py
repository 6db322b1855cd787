"""E-books (``.epub``): chapters in the order of the book's spine, a chapter a page, its title the heading."""

from __future__ import annotations

import io
import posixpath
import zipfile
from xml.etree import ElementTree

from qa.errors import DocumentError
from qa.readers.builder import Builder
from qa.types import Document

_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF = "{http://www.idpf.org/2007/opf}"
MAX_CHAPTER_BYTES = 20_000_000


def read_epub(path: str, data: bytes) -> Document:
    from bs4 import BeautifulSoup

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            container = ElementTree.fromstring(book.read("META-INF/container.xml"))
            rootfile = container.find(f".//{_CONTAINER}rootfile")
            if rootfile is None:
                raise DocumentError(path, "is a damaged EPUB (no package file named)")
            opf_path = rootfile.attrib["full-path"]
            package = ElementTree.fromstring(book.read(opf_path))
            base = posixpath.dirname(opf_path)
            items = {i.attrib["id"]: i.attrib["href"] for i in package.iter(f"{_OPF}item")}
            built = Builder()
            for ref in package.iter(f"{_OPF}itemref"):
                href = items.get(ref.attrib.get("idref", ""))
                if href is None:
                    continue
                info = book.getinfo(posixpath.normpath(posixpath.join(base, href)))
                if info.file_size > MAX_CHAPTER_BYTES:
                    raise DocumentError(path, f"has a chapter of {info.file_size / 1e6:.0f} MB; too large to read")
                _chapter(built, BeautifulSoup(book.read(info), "html.parser"))
    except DocumentError:
        raise
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, ValueError) as exc:
        raise DocumentError(path, f"is a damaged EPUB ({type(exc).__name__}: {exc})") from exc
    return built.document(path, "epub")


def _chapter(built: Builder, soup: object) -> None:
    """One chapter: its headings and paragraphs in order (scripts and styles left out)."""
    built.page()
    for hidden in soup.find_all(["script", "style", "head"]):  # type: ignore[attr-defined]
        hidden.decompose()
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr"]):  # type: ignore[attr-defined]
        if element.find(["p", "li", "tr"]):  # a container: its own children are read instead
            continue
        if element.name == "tr":
            built.add(" | ".join(cell.get_text(" ") for cell in element.find_all(["td", "th"])), "row")
        else:
            built.add(element.get_text(" "), "heading" if element.name.startswith("h") else "para")
