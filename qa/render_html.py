"""Answers as HTML for the web app. Document text is always escaped: it is shown, never interpreted.

Every character that HTML or Markdown could read as markup is written as an entity, and line breaks
as ``<br>``, so that each passage is one line of HTML that a Markdown renderer passes through as is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote

from qa.readers.loaders import kind_of
from qa.render import citation_parts, citation_with_quote, not_answered, searched_with
from qa.types import Answer, Hit, Passage

Context = Callable[[Passage], tuple[str, str, str]]
# One pass over the text: HTML's own characters and Markdown's, each to a numeric entity.
_ENTITIES = {ord(ch): f"&#{ord(ch)};" for ch in "<>&\"'\\`*_{}[]()#+-.!|~=:$"}


def escape_text(text: str) -> str:
    """Document text as inert HTML: entities for markup and Markdown characters, ``<br>`` for lines."""
    escaped = text.translate(_ENTITIES)
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def relevance(hit: Hit, threshold: float, missing: bool = False) -> tuple[str, str]:
    """A label a person can read for how likely the passage answers the question, and its CSS class.

    It follows the passage's support, the measure that decides whether the question is answered: a passage
    at or above the threshold is at least a "good match", so an answered question never shows only weak ones.
    When a word of the question is ``missing`` from what was found (``Answer.missing``), no passage answers, and
    one on the topic is a "partial match" at best.
    """
    if missing and hit.support >= threshold / 2:
        return "partial match", "fair"
    if hit.support >= 0.9 and hit.support >= threshold:
        return "strong match", "strong"
    if hit.support >= threshold:
        return "good match", "good"
    if hit.support >= threshold / 2:
        return "partial match", "fair"
    return "weak match", "weak"


def citation_html(hit: Hit) -> str:
    """The citation of ``render.citation``, the document's name set off."""
    name, *rest = citation_parts(hit)
    return " \u00b7 ".join([f'<span class="vb-doc">{escape_text(name)}</span>', *map(escape_text, rest)])


def passage_html(hit: Hit) -> str:
    """The passage exactly as in the source, its best sentence in ``<mark>``."""
    p = hit.passage
    if hit.highlight is None:
        return escape_text(p.text)
    a, b = hit.highlight.start - p.start, hit.highlight.end - p.start
    return (
        escape_text(p.text[:a])
        + '<mark class="vb-mark">'
        + escape_text(p.text[a:b])
        + "</mark>"
        + escape_text(p.text[b:])
    )


def context_html(hit: Hit, context: Context) -> str:
    before, _, after = context(hit.passage)
    return (
        '<div class="vb-context">' + ("\u2026" if before else "") + escape_text(before)
        + '<span class="vb-in-context">' + passage_html(hit) + "</span>"
        + escape_text(after) + ("\u2026" if after else "") + "</div>"
    )  # fmt: skip


def actions_html(hit: Hit) -> str:
    """Links under a passage: "Show on page" (PDFs and images) and "Copy citation"; the app's script acts on them."""
    p = hit.passage
    links = []
    if kind_of(p.source) in ("pdf", "image"):
        span = [hit.highlight.start, hit.highlight.end] if hit.highlight else None
        request = json.dumps({"source": p.source, "start": p.start, "end": p.end, "answer": span})
        links.append(f'<a href="#vb-page:{quote(request)}" class="vb-page">Show on page</a>')
    # the chat's sanitizer keeps a link's address but not data- attributes: what to copy travels in the address
    links.append(f'<a href="#vb-copy:{quote(citation_with_quote(hit))}" class="vb-copy">Copy citation</a>')
    return '<div class="vb-actions">' + " \u00b7 ".join(links) + "</div>"


def hit_html(hit: Hit, threshold: float, context: Context | None, missing: bool = False) -> str:
    label, css = relevance(hit, threshold, missing)
    details = actions_html(hit)
    if context is not None:
        details += f"<details><summary>Show in context</summary>{context_html(hit, context)}</details>"
    return (
        f'<div class="vb-hit"><div class="vb-cite"><span class="vb-rank">[{hit.rank}]</span> {citation_html(hit)}'
        f' <span class="vb-score vb-{css}" title="support {hit.support:.2f}, score {hit.score:.3f}">'
        f"{label}</span></div>"
        f'<div class="vb-text">{passage_html(hit)}</div>{details}</div>'
    )


def answer_html(answer: Answer, context: Context | None = None) -> str:
    """The chat reply: a plain statement when the documents do not answer, then the passages."""
    parts = []
    if searched_with(answer):
        parts.append(f'<div class="vb-searched">{escape_text(searched_with(answer))}</div>')
    if not answer.answered:
        lead = not_answered(answer) + (" The closest passages are below." if answer.hits else "")
        parts.append(f'<div class="vb-none">{escape_text(lead)}</div>')
    parts.extend(hit_html(hit, answer.threshold, context, bool(answer.missing)) for hit in answer.hits)
    if not answer.hits:
        parts.append('<div class="vb-none">The index is empty: add a document first.</div>')
    return "".join(parts)
