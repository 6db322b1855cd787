"""Answers as the JSON contract of ``ask --json`` and as a readable text listing."""

from __future__ import annotations

import os
from typing import Any

from qa.readers.loaders import kind_of
from qa.types import Answer, Hit


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """The object ``python -m qa ask --json`` prints for one question (and the app's /search returns)."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "missing": answer.missing,
        "searched": answer.searched,
        "preferred": list(answer.preferred),
        "preferred_by": answer.preferred_by,
        "passages": [hit_to_dict(hit) for hit in answer.hits],
    }


def hit_to_dict(hit: Hit) -> dict[str, Any]:
    p = hit.passage
    return {
        "rank": hit.rank,
        "source": p.source,
        "start": p.start,
        "end": p.end,
        "text": p.text,
        "score": round(hit.score, 6),
        "page": p.page,
        "last_page": p.last_page,
        "line": p.line,
        "heading": p.heading,
        "highlight": [hit.highlight.start, hit.highlight.end] if hit.highlight else None,
    }


# What a "page" and a "line" are called in each format's citations (pages: one, and more than one).
_PAGE_NAMES = {"pptx": ("slide", "slides"), "epub": ("chapter", "chapters"), "xlsx": ("sheet", "sheets")}
_LINE_NAMES = {"xlsx": "row", "csv": "row"}


def citation_parts(hit: Hit) -> list[str]:
    """Where the passage stands in its source: document name, page (slide, chapter, sheet), line (row), and
    the heading above it."""
    p = hit.passage
    kind = kind_of(p.source) or "text"
    parts = [os.path.basename(p.source)]
    if kind == "xlsx" and p.heading:
        parts.append(f"sheet {p.heading}")
    elif p.page is not None and kind != "csv":
        one, more = _PAGE_NAMES.get(kind, ("p.", "pp."))
        pages = f"{one} {p.page}" if len(p.pages) == 1 else f"{more} {p.pages[0]}\u2013{p.pages[-1]}"
        parts.append(pages + (" (text read by OCR)" if p.ocr else ""))
    parts.append(f"{_LINE_NAMES.get(kind, 'line')} {p.line}")
    if p.heading and kind != "xlsx":
        parts.append(f"under \u201c{p.heading}\u201d")
    return parts


def citation(hit: Hit) -> str:
    """``article.txt, p. 3, line 12, under "Heading"``."""
    return ", ".join(citation_parts(hit))


NOT_ANSWERED = "The documents do not seem to answer this question."


def not_answered(answer: Answer) -> str:
    """Why the documents do not seem to answer: the statement, and the question's word that nothing found speaks
    of when that is the reason (``Answer.missing``)."""
    if answer.missing and answer.hits:
        name = os.path.basename(answer.hits[0].passage.source)
        return f"{NOT_ANSWERED[:-1]}: {name} never mentions \u201c{answer.missing}\u201d."
    return NOT_ANSWERED


def citation_with_quote(hit: Hit) -> str:
    """What "Copy citation" copies: the quote, then where it stands, as plain text."""
    return f"\u201c{hit.passage.text}\u201d\n\u2014 {citation(hit)}"


def answers_to_markdown(answers: list[Answer]) -> str:
    """A chat as Markdown: each question, whether the documents answer it, every quote with its citation."""
    lines = ["# Verbatim answers", ""]
    for answer in answers:
        lines += [f"## {answer.question}", ""]
        if not answer.answered:
            lines += [f"*{not_answered(answer)}*" + (" The closest passages:" if answer.hits else ""), ""]
        for hit in answer.hits:
            lines += [f"> {line}" if line else ">" for line in hit.passage.text.split("\n")]
            lines += ["", f"\u2014 [{hit.rank}] {citation(hit)}", ""]
    return "\n".join(lines)


def searched_with(answer: Answer) -> str:
    """What the earlier questions, or the documents the question names, changed in the search, as the reader is
    told it ("" when nothing)."""
    parts = []
    if answer.carried:
        parts.append("with: " + " ".join(answer.carried))
    if answer.preferred:
        parts.append("mainly in: " + ", ".join(os.path.basename(p) for p in answer.preferred))
    why = "which the question names" if answer.preferred_by == "name" else "from your earlier question"
    return f"(searched {'; '.join(parts)}, {why})" if parts else ""


def answer_to_text(answer: Answer) -> str:
    """A listing for people: rank, citation and score, then the passage exactly as in the source."""
    lines = [f"Q: {answer.question}"]
    if searched_with(answer):
        lines.append(searched_with(answer))
    if not answer.answered:
        lines.append(not_answered(answer) + (" The closest passages:" if answer.hits else ""))
    for hit in answer.hits:
        lines.append("")
        lines.append(f"[{hit.rank}] {citation(hit)}  (score {hit.score:.2f})")
        lines.append(hit.passage.text)
    return "\n".join(lines)
