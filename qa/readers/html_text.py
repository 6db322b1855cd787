"""The visible text of an HTML page: no script, style or hidden parts; one block a line."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from bs4.element import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

_INVISIBLE = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object", "canvas", "button"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_PARAGRAPHS = _HEADINGS | {"p", "pre", "blockquote", "table", "ul", "ol", "dl", "figure", "hr"}
_BLOCKS = _PARAGRAPHS | {
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "nav",
    "aside",
    "li",
    "tr",
    "dt",
    "dd",
    "figcaption",
    "caption",
    "address",
    "form",
    "fieldset",
    "details",
    "summary",
    "body",
    "html",
}
_SKIP_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)


def html_to_text(data: bytes | str) -> str:
    """Text a reader sees: blocks on their own lines, headings and paragraphs set off by blank lines."""
    soup = BeautifulSoup(data, "html.parser")
    parts: list[str] = []
    _walk(soup, parts, pre=False)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _hidden(tag: Tag) -> bool:
    style = str(tag.get("style", "")).replace(" ", "").lower()
    return tag.has_attr("hidden") or "display:none" in style or tag.get("aria-hidden") == "true"


def _walk(node: Tag, parts: list[str], pre: bool) -> None:
    for child in node.children:
        if isinstance(child, _SKIP_STRINGS):
            continue
        if isinstance(child, NavigableString):
            text = str(child)
            parts.append(text if pre else re.sub(r"\s+", " ", text))
        elif isinstance(child, Tag):
            name = child.name.lower()
            if name in _INVISIBLE or _hidden(child):
                continue
            if name == "br":
                parts.append("\n")
                continue
            gap = "\n\n" if name in _PARAGRAPHS else "\n" if name in _BLOCKS else ""
            parts.append(gap)
            _walk(child, parts, pre or name == "pre")
            parts.append(" " if name in ("td", "th") else gap)
