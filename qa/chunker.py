"""Cut a text into passages along its own structure, recording exact character offsets.

The paragraphs and sections come from ``qa.sections``; a heading is kept with the passage that follows it.
Short paragraphs are merged forward within a section; long ones are split at
sentence boundaries (at word boundaries for a sentence too long on its own), so that no passage is
longer than ``max_chars`` characters or ``max_tokens`` word pieces: the model reads every passage whole.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence

from qa.config import ChunkSettings
from qa.displays import Unit, goes_with
from qa.sections import Para, heading_text, sections
from qa.sentences import split_sentences
from qa.types import Block, Chunk, Span

TokenCounter = Callable[[str], int]

SHORT_CHARS = 80  # a passage shorter than this is a fragment more often than an answer


def chunk_text(
    text: str,
    settings: ChunkSettings,
    count_tokens: TokenCounter,
    page_starts: Sequence[int] = (),
    count_many: Callable[[list[str]], list[int]] | None = None,
    blocks: Sequence[Block] = (),
) -> list[Chunk]:
    """Passages of ``text`` as ``Chunk`` offsets; each is non-empty and within the limits.

    Paragraphs on different pages (``page_starts``: offsets where pages begin) are never merged.
    ``blocks``, when a reader of page layout gives them, are the paragraphs and headings to follow
    instead of those guessed from line breaks.
    """
    if settings.strategy == "fixed":
        return fixed_chunks(text, settings.max_chars)
    fits = _Fitter(text, settings, count_tokens, count_many)
    chunks: list[Chunk] = []
    given = [
        Para(b.start, b.end, b.kind == "heading", b.kind in ("row", "code"), b.kind == "code") for b in blocks
    ] if blocks else None  # fmt: skip
    for heading, paras in sections(text, given, page_starts, settings.min_chars):
        units = _units(text, heading, paras, fits)
        pages: dict[int, int] = {}  # paragraph -> the page it starts on
        for unit in units:
            pages.setdefault(unit.para, bisect.bisect_right(page_starts, unit.start))
        fits.learn(units)
        title = heading_text(text, heading) if heading else None
        chunks.extend(_pack(units, pages, title, settings, fits))
    return chunks


class _Fitter:
    """Answers "is text[start:end] within the limits?", counting word pieces only when needed.

    Word pieces never cross whitespace, so a run of sentences has the sum of their counts: each unit is
    counted once (in one batch), and only sums close to the limit are checked by tokenizing the span.
    """

    SURE = 4  # margin around the limit inside which a sum is checked exactly

    def __init__(
        self, text: str, settings: ChunkSettings, count_tokens: TokenCounter,
        count_many: Callable[[list[str]], list[int]] | None,
    ) -> None:  # fmt: skip
        self.text, self.settings, self.count_tokens = text, settings, count_tokens
        self.count_many = count_many or (lambda texts: [count_tokens(t) for t in texts])
        self.unit_tokens: dict[tuple[int, int], int] = {}

    def learn(self, units: list[Unit]) -> None:
        spans = [(u.start, u.end) for u in units if (u.start, u.end) not in self.unit_tokens]
        counts = self.count_many([self.text[s:e] for s, e in spans]) if spans else []
        self.unit_tokens.update(zip(spans, counts, strict=True))

    def group(self, units: Sequence[Unit], max_chars: int | None = None) -> bool:
        """Whether the span from the first unit to the last is within the limits."""
        start, end = units[0].start, units[-1].end
        limit = self.settings.max_tokens
        if end - start > (max_chars or self.settings.max_chars):
            return False
        if end - start <= limit:
            return True
        estimate = sum(self.unit_tokens.get((u.start, u.end), limit) for u in units)
        if estimate <= limit - self.SURE:
            return True
        if estimate > limit + self.SURE:
            return False
        return self(start, end, max_chars)

    def __call__(self, start: int, end: int, max_chars: int | None = None) -> bool:
        length = end - start
        if length > (max_chars or self.settings.max_chars):
            return False
        # A word piece covers at least one character, so short spans need no tokenizer.
        return length <= self.settings.max_tokens or self.count_tokens(self.text[start:end]) <= self.settings.max_tokens


def _units(text: str, heading: Para | None, paras: list[Para], fits: _Fitter) -> list[Unit]:
    units = []
    if heading is not None:
        pieces = _split_long(text, heading.start, heading.end, fits)
        units = [Unit(start, end, -1, heading=True) for start, end in pieces]
    index = -1
    for number, para in enumerate(paras):
        if not (para.row and number and paras[number - 1].row):
            index += 1  # consecutive table rows are one paragraph, a row a unit
        pieces = [para] if para.row else split_sentences(text, para.start, para.end)
        for piece in pieces:
            for start, end in _split_long(text, piece.start, piece.end, fits):
                units.append(Unit(start, end, index, kind=_kind(para)))
    return units


def _kind(para: Para) -> str:
    return "code" if para.code else "row" if para.row else "prose"


def _split_long(text: str, start: int, end: int, fits: _Fitter) -> list[tuple[int, int]]:
    """Pieces of a span that fit the limits: cut at spaces when possible, anywhere otherwise."""
    pieces: list[tuple[int, int]] = []
    while start < end:
        if fits(start, end):
            pieces.append((start, end))
            break
        low, high = start + 1, end  # the longest fitting prefix, by bisection on its end
        while low < high:
            mid = (low + high + 1) // 2
            if fits(start, mid):
                low = mid
            else:
                high = mid - 1
        cut = low
        space = text.rfind(" ", start + 1, cut + 1)
        if space > start and (cut - start) < 2 * (space - start) and cut < end:
            cut = space
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append((start, max(piece_end, start + 1)))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    return pieces


def _pack(
    units: list[Unit],
    pages: dict[int, int],
    heading_text: str | None,
    settings: ChunkSettings,
    fits: _Fitter,
) -> list[Chunk]:
    groups: list[list[Unit]] = []
    paragraphs = _by_paragraph(units)
    for number, para_units in enumerate(paragraphs):
        current = groups[-1] if groups else None
        following = paragraphs[number + 1] if number + 1 < len(paragraphs) else None
        if current and all(u.heading for u in current):  # a heading stays with the text it introduces
            groups[-1:] = _balanced(current + para_units, fits, settings)
        elif (
            current
            and goes_with(fits.text, current, para_units, following, settings.min_chars)
            and fits.group(current + para_units)
        ):
            current.extend(para_units)
        elif (
            current
            and current[-1].end - current[0].start < settings.min_chars
            and not para_units[0].heading
            and pages[current[-1].para] == pages[para_units[0].para]  # a passage is cited by its page: one page
        ):
            if fits.group(current + para_units):
                current.extend(para_units)
            else:  # a short paragraph goes with the start of the long one after it
                groups[-1:] = _balanced(current + para_units, fits, settings)
        else:
            groups.extend(_balanced(para_units, fits, settings))
    if (
        len(groups) > 1
        and groups[-1][-1].end - groups[-1][0].start < SHORT_CHARS
        and pages[groups[-2][-1].para] == pages[groups[-1][0].para]
        and fits.group(groups[-2] + groups[-1])
    ):  # a scrap at the end of a section joins the passage before it
        groups[-2].extend(groups.pop())
    groups = _without_lone_figures(groups, pages, fits)
    return [
        Chunk(
            start=group[0].start,
            end=group[-1].end,
            heading=heading_text,
            sentences=tuple(Span(u.start, u.end) for u in group if not u.heading),
        )
        for group in groups
    ]


def _without_lone_figures(groups: list[list[Unit]], pages: dict[int, int], fits: _Fitter) -> list[list[Unit]]:
    """A group with no letter in it (an equation's stray index, a number set apart) joins a neighbour on its
    page: a passage that is only "1" answers nothing and cannot be cited sensibly."""
    text = fits.text
    out: list[list[Unit]] = []
    pending: list[Unit] = []
    for group in groups:
        if pending and pages[pending[-1].para] == pages[group[0].para] and fits.group(pending + group):
            group = pending + group
        elif pending:
            out.append(pending)
        pending = []
        lone = not any(ch.isalpha() for ch in text[group[0].start : group[-1].end])
        if not lone:
            out.append(group)
        elif out and pages[out[-1][-1].para] == pages[group[0].para] and fits.group(out[-1] + group):
            out[-1].extend(group)
        else:
            pending = group  # joins the next group, or stays when it is the last
    if pending:
        out.append(pending)
    return out


def _by_paragraph(units: list[Unit]) -> list[list[Unit]]:
    runs: list[list[Unit]] = []
    for unit in units:
        if runs and runs[-1][-1].para == unit.para:
            runs[-1].append(unit)
        else:
            runs.append([unit])
    return runs


def _balanced(units: list[Unit], fits: _Fitter, settings: ChunkSettings) -> list[list[Unit]]:
    """Greedy groups of one paragraph's units; evened out so the last group is not a scrap."""
    greedy = _greedy(units, fits, settings.max_chars)
    if len(greedy) < 2:
        return greedy
    total = units[-1].end - units[0].start
    budget = max(math.ceil(total / len(greedy) * 1.15), max(u.end - u.start for u in units))
    even = _greedy(units, fits, min(budget, settings.max_chars))
    return even if len(even) <= len(greedy) else greedy


def _greedy(units: list[Unit], fits: _Fitter, max_chars: int) -> list[list[Unit]]:
    groups: list[list[Unit]] = []
    for unit in units:
        if groups and fits.group([*groups[-1], unit], max_chars):
            groups[-1].append(unit)
        else:
            groups.append([unit])
    return groups


def fixed_chunks(text: str, size: int) -> list[Chunk]:
    """The common recipe, kept as a baseline: consecutive windows of ``size`` characters, no structure."""
    chunks = []
    for start in range(0, len(text), size):
        end = min(start + size, len(text))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            chunks.append(Chunk(start, end, None, tuple(split_sentences(text, start, end))))
    return chunks
