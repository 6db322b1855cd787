"""Which passage a display (a listing, a few table rows) goes with: the sentence that introduces it, or the one
whose terms it shows, rather than the paragraph after it. ``qa.chunker`` asks it at each paragraph it packs."""

from __future__ import annotations

from dataclasses import dataclass

from qa.lexical import tokenize


@dataclass(frozen=True)
class Unit:
    """A sentence, a table row, a listing's line or a heading piece: what the chunker packs into passages."""

    start: int
    end: int
    para: int
    heading: bool = False
    kind: str = "prose"  # or "code", "row" (of a table)


def _keeps(text: str, current: list[Unit], following: list[Unit]) -> bool:
    """Whether a passage keeps the paragraph after it though that would start a passage of its own: a display
    that its last sentence introduces ("Processors are applied from right to left, so that" / ">{\\ProcessorB}
    >{\\ProcessorA} m"; "as follows:"), and the sentence that goes on after it in lower case ("would apply
    \\ProcessorA followed by \\ProcessorB"), also over a page break, where the display so often falls."""
    last, first = current[-1], following[0]
    if last.kind == "prose" and first.kind == "code":
        return text[last.end - 1] == ":" or text[last.end - 1].isalnum() or text[last.end - 1] == ","
    if last.kind == "code" and first.kind == "prose" and text[first.start].islower():
        opened = next((u for u in reversed(current) if u.kind != "code"), None)
        return opened is not None and opened.kind == "prose" and _keeps(text, [opened], [last])
    return False


def goes_with(
    text: str, current: list[Unit], paragraph: list[Unit], following: list[Unit] | None, min_chars: int
) -> bool:
    """Whether the passage so far keeps the paragraph after it (``_keeps``), or the short display it shows
    (``_illustrates``); both also over a page break, where a display so often falls."""
    return _keeps(text, current, paragraph) or _illustrates(text, current, paragraph, following, min_chars)


def _illustrates(
    text: str, current: list[Unit], display: list[Unit], following: list[Unit] | None, min_chars: int
) -> bool:
    """Whether a short display (a listing, a table of input and output) shows what the sentence before it says
    and not what the paragraph after it begins: it shares a term with that sentence and none with the next
    paragraph's first. usrguide.pdf's "Input can be excluded from case changing using the command \\NoCaseChange."
    / "\\MakeUppercase{\\NoCaseChange{iPhone}} | iPhone" / "To allow robust commands ..." went with the paragraph
    after it, which a short passage joins; a command's signature ("\\ProcessList {list} {function}") names what the
    paragraph after it describes, and goes with it as before."""
    last = current[-1]
    if last.kind != "prose" or any(u.kind == "prose" for u in display) or not following:
        return False
    if display[-1].end - display[0].start >= min_chars or not _is_sentence(text, following[0]):
        return False
    if text[last.end - 1] not in ".!?" or not text[last.start].isupper():  # not a contents line, nor a scrap
        return False
    shown = _terms(text[display[0].start : display[-1].end])
    return bool(shown & _terms(text[last.start : last.end])) and not shown & _terms(
        text[following[0].start : following[0].end]
    )


def _is_sentence(text: str, unit: Unit) -> bool:
    """A sentence of prose: a capital, five words or more, a full stop at its end or within it (not a table's
    "(in thousands)"). Within: usrguide's "... two additional control commands are available. \\CaseSwitch
    allows ..." is one unit, as no sentence is taken to begin with a command's backslash."""
    piece = text[unit.start : unit.end]
    ended = piece[-1] in ".!?:" or any(mark + " " in piece for mark in ".!?")
    return unit.kind == "prose" and piece[0].isupper() and ended and len(piece.split()) >= 5


def _terms(text: str) -> set[str]:
    """The index's own terms of a text, without figures (a year in a table's head is no topic): stemmed, stop
    words dropped."""
    return {term for term in tokenize(text) if not any(ch.isdigit() for ch in term)}
