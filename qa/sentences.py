"""Sentence boundaries as character spans, by rule (no model): fast, offline and predictable."""

from __future__ import annotations

import re

from qa.types import Span

# A sentence ends at . ! ? or an ellipsis, optionally followed by closing quotes or brackets, then
# whitespace, then something that can start a sentence. CJK full stops need no whitespace after them.
_END = re.compile(
    r"""(?:[.!?\u2026]+["'\u201d\u2019)\]]*)(?=\s+["'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u024f\u0370-\u1fff])"""
    r"""|[\u3002\uff01\uff1f]+"""
)
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "eg",
        "ie",
        "fig",
        "figs",
        "inc",
        "ltd",
        "co",
        "corp",
        "cf",
        "al",
        "approx",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mt",
        "ft",
        "gen",
        "gov",
        "rep",
        "sen",
        "rev",
        "lt",
        "col",
        "capt",
        "sgt",
        "u.s",
        "u.k",
        "resp",  # "for PDF resp. DVI mode" (microtype's manual): these four never end a sentence
        "viz",
        "esp",
        "ca",
    ]
)
# Abbreviations that end a sentence only when no number follows them: papers cite "Eq. (3)", "Ref. [6]",
# "Sect. 5", "Vol. 48 No. 5", "pp. 22", "p. 3" (asmeconf, ascelike, apsguide), and each broke a sentence in two.
_BEFORE_NUMBER = frozenset(
    ("eq", "eqs", "sec", "secs", "sect", "ch", "chap", "ref", "refs", "vol", "vols", "no", "nos", "pp", "p", "tab",
     "thm", "art", "para")
)
_NUMBER_AFTER = re.compile(r"\s+[(\[]?\d")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    match = _WORD_BEFORE.search(text, 0, dot)
    if not match:
        return False
    word = match.group(1).lower().strip(".")
    if word in _ABBREVIATIONS:
        return True
    if word in _BEFORE_NUMBER and _NUMBER_AFTER.match(text, dot + 1):
        return True
    return len(word) == 1 and word.isalpha() and word.upper() == match.group(1)[-1]


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans inside ``text[start:end]``, trimmed of surrounding whitespace, never empty."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _END.finditer(text, start, end):
        if _is_abbreviation(text, match.start()):
            continue
        spans.extend(_trimmed(text, cursor, match.end()))
        cursor = match.end()
    spans.extend(_trimmed(text, cursor, end))
    return spans


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Span(start, end)] if end > start else []
