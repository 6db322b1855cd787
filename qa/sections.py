"""The paragraphs and headings of a text: from its line breaks (plain text), or as a layout reader gave them.

Paragraphs are lines, or blank-line blocks of hard-wrapped lines. A heading (Markdown ``#`` or a short line
without closing punctuation that introduces longer text) opens a section. With paragraphs given by a reader of
page layout or structure, their heading marks are followed instead.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.types import Span

_MD_HEADING = re.compile(r"#{1,6}(?:\s|$)")
_TERMINAL = ".!?;:,\u3002\uff01\uff1f\u2026"
_CLOSERS = "\"'\u201d\u2019)]*_ "


@dataclass(frozen=True)
class Para:
    start: int
    end: int
    heading: bool = False
    row: bool = False  # a table row: packed with the rows around it, never cut into sentences
    code: bool = False  # a line of a code listing or display (a row too: kept whole, packed with its lines)


def _lines(text: str) -> list[Span | None]:
    """Each line's trimmed span, or None for a blank line."""
    lines: list[Span | None] = []
    pos = 0
    for raw in text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        lines.append(Span(start, end) if end > start else None)
    return lines


def _heading_like(text: str, span: Span) -> bool:
    line = text[span.start : span.end]
    if len(line) > 120 or len(line.split()) > 16 or not any(ch.isalpha() for ch in line):
        return False
    stripped = line.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] not in _TERMINAL and not line[0].islower() and line[0] not in "-*+•|>"


def _wrapped(text: str, block: list[Span]) -> bool:
    """Hard-wrapped prose: several short lines of one paragraph, most not ending a sentence."""
    widths = [s.end - s.start for s in block[:-1]]
    if not widths or max(widths) > 100 or min(widths) < 20 or block[-1].end - block[-1].start > 100:
        return False
    open_ends = sum(1 for s in block[:-1] if text[s.end - 1] not in _TERMINAL)
    return open_ends * 2 >= len(block) - 1


def _paragraphs(text: str) -> list[Para]:
    paras: list[Para] = []
    block: list[Span] = []
    for line in [*_lines(text), None]:
        if line is not None:
            if _MD_HEADING.match(text, line.start):
                paras.extend(_block_paragraphs(text, block))
                paras.append(Para(line.start, line.end, heading=True))
                block = []
            else:
                block.append(line)
            continue
        paras.extend(_block_paragraphs(text, block))
        block = []
    return paras


def _block_paragraphs(text: str, block: list[Span]) -> list[Para]:
    if not block:
        return []
    if _wrapped(text, block):
        return [Para(block[0].start, block[-1].end)]
    return [Para(s.start, s.end) for s in block]


def sections(
    text: str, given: list[Para] | None, page_starts: Sequence[int], min_chars: int
) -> list[tuple[Para | None, list[Para]]]:
    """Paragraphs grouped under the heading that opens each section (None before the first).

    With ``given`` paragraphs (from page layout), their heading marks are followed, except that a
    section too short to make a passage (a run of headings, a heading over one short line) takes the
    next section on the same page in, its heading as a paragraph.
    """
    paras = given if given is not None else _paragraphs(text)
    sections: list[tuple[Para | None, list[Para]]] = [(None, [])]
    for i, para in enumerate(paras):
        following = paras[i + 1] if i + 1 < len(paras) else None
        is_heading = para.heading or (
            given is None
            and following is not None
            and not following.heading
            and _heading_like(text, Span(para.start, para.end))
            and not _heading_like(text, Span(following.start, following.end))
        )
        current_heading, current = sections[-1]
        short = current_heading is not None and (current[-1].end if current else current_heading.end) - (
            current_heading.start
        ) < min_chars
        same_page = bisect.bisect_right(page_starts, para.start) == bisect.bisect_right(
            page_starts, current_heading.start if current_heading else para.start
        )
        if is_heading and not (given is not None and short and same_page):
            sections.append((para, []))
        else:
            current.append(Para(para.start, para.end, row=para.row, code=para.code))
    return [(h, ps) for h, ps in sections if h is not None or ps]


def heading_text(text: str, heading: Para) -> str:
    return text[heading.start : heading.end].strip("#").strip() or text[heading.start : heading.end]


