"""A new document's passages as index rows: offsets, the line and page each is cited by, its heading, its
sentences; and the text the model and BM25 read for each (its heading in front; BM25 also reads the document's
name, ``lexical_text``)."""

from __future__ import annotations

import bisect
import re
from pathlib import PurePath

import numpy as np

from qa.passages import PassageTable
from qa.types import Chunk, Document, Span


def passage_rows(
    document: Document, chunks: list[Chunk], content_id: int, headings: list[str], heading_ids: dict[str, int]
) -> tuple[PassageTable, list[str], list[tuple[Span, ...]]]:
    """Table rows, texts to embed and sentence spans (relative to each text) for a new document's passages.

    New headings are appended to ``headings`` (``heading_ids`` maps each to its place), which all documents share.
    """
    text = document.text
    page_starts = list(document.page_starts)
    line_starts = document.line_starts
    n = len(chunks)
    columns = {name: np.zeros(n, dtype=np.int64) for name in ("start", "end", "line", "page", "heading")}
    sentence_counts = []
    sentence_start: list[int] = []
    sentence_end: list[int] = []
    texts: list[str] = []
    spans: list[tuple[Span, ...]] = []
    line, cursor = 1, 0
    for i, chunk in enumerate(chunks):
        line += text.count("\n", cursor, chunk.start)
        cursor = chunk.start
        heading = -1
        if chunk.heading is not None:
            if chunk.heading not in heading_ids:
                heading_ids[chunk.heading] = len(headings)
                headings.append(chunk.heading)
            heading = heading_ids[chunk.heading]
        page = np.searchsorted(page_starts, chunk.start, side="right") if page_starts else 0
        cited_line = line
        if line_starts:  # the visual line on its page (page layout readers give where lines begin)
            first_on_page = bisect.bisect_left(line_starts, page_starts[page - 1])
            # a passage that opens with an uncounted line (a sheet's name) is cited at the first line after it
            cited_line = max(1, bisect.bisect_right(line_starts, chunk.start) - first_on_page)
        for name, value in (
            ("start", chunk.start),
            ("end", chunk.end),
            ("line", cited_line),
            ("page", page),
            ("heading", heading),
        ):
            columns[name][i] = value
        sentence_counts.append(len(chunk.sentences))
        sentence_start.extend(s.start for s in chunk.sentences)
        sentence_end.extend(s.end for s in chunk.sentences)
        # The model and BM25 read a passage with its heading in front when the passage does not
        # begin with it: the section's subject is part of what the passage is about.
        body = text[chunk.start : chunk.end]
        prefix = chunk.heading + "\n" if chunk.heading and not body.lstrip("# ").startswith(chunk.heading) else ""
        shift = len(prefix) - chunk.start
        texts.append(prefix + body)
        spans.append(tuple(Span(s.start + shift, s.end + shift) for s in chunk.sentences))
    table = PassageTable(
        content=np.full(n, content_id, dtype=np.int64),
        sentence_ptr=np.concatenate([[0], np.cumsum(sentence_counts)]).astype(np.int64),
        sentence_start=np.array(sentence_start, dtype=np.int64),
        sentence_end=np.array(sentence_end, dtype=np.int64),
        **columns,
    )
    return table, texts, spans


def name_words(path: str) -> str:
    """The words of a file's name that can name its subject: "ieeepes", "tugboat guide", "elsarticle" of
    elsarticle-5p.pdf, "report" of report_001e29d7.txt (words with digits are serial numbers, dates, versions)."""
    words = re.split(r"[\W_]+", PurePath(path).stem)
    return " ".join(w for w in words if w and not any(ch.isdigit() for ch in w))


def lexical_text(name: str, text: str) -> str:
    """What BM25 counts of a passage: its document's name words, then what the model reads. Readers name the
    document they ask about ("... with ieeepes?"), and a passage seldom repeats it: with 2026-12-02's reading
    rules realpdf_dev hit@1 0.690 -> 0.724 (three answers up, one down), tatqa_dev 0.772 -> 0.774, the follow-up
    set +0.1 to +0.5 points, realpdf_extra one question lower at hit@3 (docs/EVALUATION.md). The model does not
    read it: a name shared by every document ("report") moved tatqa_dev 3 questions down. A copy of a document
    under another name shares its passages, and with them the first name's words."""
    return f"{name}\n{text}" if name else text
