"""The chunker: every passage is an exact slice of its source, within the model's reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.chunker import chunk_text
from qa.config import ChunkSettings
from qa.embedder import Embedder
from qa.sentences import split_sentences
from qa.types import Block

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = (ROOT / "samples" / "article.txt").read_text(encoding="utf-8")

SETTINGS = [
    ChunkSettings(),
    ChunkSettings(max_tokens=254, max_chars=2000, min_chars=0),
    ChunkSettings(max_tokens=32, max_chars=120, min_chars=60),
    ChunkSettings(max_tokens=8, max_chars=40, min_chars=10),
]

ODD_TEXTS = [
    "",
    "   \n\n \t ",
    "one",
    "No final newline. Two sentences",
    "Windows\r\nline\r\nendings.\r\n\r\nSecond paragraph.\r\n",
    "# Title\n\nText under the title. More of it.\n\n## Sub\nDirectly under.",
    "x" * 5000,
    "word " * 3000,
    "Emoji 😀 and combining e\u0301 marks. 中文句子。另一个句子！ Ελληνικά. Русский текст.",
    "\ufeffBOM inside\u2028line separator\u2029para\x0bvertical\x0cform feed",
    "A heading line\nA long paragraph that follows it. " * 40,
    "Hard wrapped prose that goes on\nfor several lines without ending\nits sentence until here.\n\nNext.",
]


def check(text: str, cs: ChunkSettings, count_tokens, pages: list[int] | None = None, blocks=()) -> None:
    chunks = chunk_text(text, cs, count_tokens, pages or (), blocks=blocks)
    previous_end = 0
    for chunk in chunks:
        piece = text[chunk.start : chunk.end]
        assert piece and piece == piece.strip(), (chunk, piece)
        assert chunk.start >= previous_end, "passages overlap or go backwards"
        previous_end = chunk.end
        assert len(piece) <= cs.max_chars
        assert count_tokens(piece) <= cs.max_tokens
        for sentence in chunk.sentences:
            assert chunk.start <= sentence.start < sentence.end <= chunk.end
            assert text[sentence.start : sentence.end].strip()
    # every non-space character of the text is in some passage (nothing is dropped)
    covered = sum(1 for ch in "".join(text[c.start : c.end] for c in chunks) if not ch.isspace())
    assert covered == sum(1 for ch in text if not ch.isspace())


@pytest.mark.parametrize("cs", SETTINGS, ids=lambda c: f"{c.max_tokens}-{c.max_chars}-{c.min_chars}")
@pytest.mark.parametrize("text", [ARTICLE, *ODD_TEXTS], ids=range(len(ODD_TEXTS) + 1))
def test_offsets_and_limits_on_odd_texts(text: str, cs: ChunkSettings, embedder: Embedder) -> None:
    check(text, cs, embedder.count_tokens)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=1500)
    | st.lists(
        st.sampled_from(["Word", "word.", "Title", "\n", "\n\n", " ", "# ", "Mr. X", "?", "é", "中", "\r\n"])
    ).map("".join),
    cs=st.sampled_from(SETTINGS),
)
def test_offsets_property(text: str, cs: ChunkSettings, embedder: Embedder) -> None:
    check(text, cs, embedder.count_tokens)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(
        st.tuples(
            st.sampled_from(["para", "code", "row", "heading"]),
            st.lists(st.sampled_from(["Word", "word", "so that", "as:", "end.", "x = 1;", "|", "é"]), min_size=1)
            .map(" ".join),
        ),
        max_size=30,
    ),
    breaks=st.sets(st.integers(0, 29)),
    cs=st.sampled_from(SETTINGS),
)
def test_offsets_property_over_a_layout_readers_blocks(
    parts: list[tuple[str, str]], breaks: set[int], cs: ChunkSettings, embedder: Embedder
) -> None:
    # paragraphs, listings, table rows and headings in any order, page breaks anywhere (displays kept with the
    # sentence that introduces them, also over a break): still exact, within the limits, nothing dropped
    text, blocks = _blocks_of(parts)
    pages = sorted(blocks[i].start for i in breaks if i < len(blocks))
    check(text, cs, embedder.count_tokens, pages, blocks)


def test_article_passages_follow_its_structure(embedder: Embedder) -> None:
    chunks = chunk_text(ARTICLE, ChunkSettings(), embedder.count_tokens)
    texts = [ARTICLE[c.start : c.end] for c in chunks]
    heading = "Care homes became targets for abusers"
    with_heading = [c for c, t in zip(chunks, texts, strict=True) if t.startswith(heading + "\n")]
    assert with_heading, "a heading is kept with the paragraph it introduces"
    assert with_heading[0].heading == heading
    following = [c for c in chunks if c.heading == heading]
    assert len(following) >= 2, "the passages after the heading carry it too"
    assert all(len(t) < 700 for t in texts)


def test_markdown_headings_and_wrapped_paragraphs(embedder: Embedder) -> None:
    text = "# Guide\n\nThis paragraph is hard wrapped\nacross three lines of text\nand ends here.\n\n## Setup\nRun it."
    chunks = chunk_text(text, ChunkSettings(min_chars=0), embedder.count_tokens)
    pieces = [text[c.start : c.end] for c in chunks]
    assert pieces[0] == "# Guide\n\nThis paragraph is hard wrapped\nacross three lines of text\nand ends here."
    assert chunks[0].heading == "Guide"
    assert pieces[1] == "## Setup\nRun it." and chunks[1].heading == "Setup"


def test_long_paragraph_is_split_at_sentence_boundaries(embedder: Embedder) -> None:
    sentence = "The committee reviewed the evidence in detail and reported its findings. "
    text = (sentence * 30).strip()
    chunks = chunk_text(text, ChunkSettings(max_chars=400), embedder.count_tokens)
    assert len(chunks) > 1
    for c in chunks:
        assert text[c.start : c.end].endswith("findings.")


def test_sentences() -> None:
    text = "Dr. Smith arrived at 5 p.m. today. He said \u201cno.\u201d Then J. K. Rowling wrote! Why? Yes."
    found = [text[s.start : s.end] for s in split_sentences(text)]
    assert found[0].startswith("Dr. Smith") and found[-1] == "Yes."
    assert "He said \u201cno.\u201d" in found and "Why?" in found


@pytest.mark.parametrize(
    "text",
    [
        "Abbreviate the labels when they do not start a sentence, as in Eq. (3) and Fig. 1.",
        "A reference may be named with an abbreviation, as in Ref. [6], and entered as in Sect. 5 or on p. 12.",
        "ASME Journal of Tribology Vol. 48 No. 5 (2002): pp. 2000-2008.",
        "It is not necessary to load the package with different options, e.g., for PDF resp. DVI mode.",
        "As shown on the ASCE website (ca. 2013) and in Ch. 7, viz. the older style.",
    ],
)
def test_an_abbreviation_before_a_number_ends_no_sentence(text: str) -> None:
    # each of these was cut into two or three sentences (asmeconf, ascelike, microtype): the answer sentence, and
    # the sentence whose cosine the dense side takes, was a fragment such as "Fig. 1." or "DVI mode)."
    after = " The answer was No. Then P. Smith wrote on p. 3 of it."
    found = [(text + after)[s.start : s.end] for s in split_sentences(text + after)]
    assert found == [text, "The answer was No.", "Then P. Smith wrote on p. 3 of it."]


@pytest.mark.parametrize("text", [ARTICLE, *ODD_TEXTS], ids=range(len(ODD_TEXTS) + 1))
def test_batch_counting_cuts_the_same_passages(text: str, embedder: Embedder) -> None:
    for cs in SETTINGS:
        one_by_one = chunk_text(text, cs, embedder.count_tokens)
        batched = chunk_text(text, cs, embedder.count_tokens, count_many=embedder.count_tokens_many)
        assert batched == one_by_one


def test_a_passage_with_no_letter_joins_a_neighbour_on_its_page() -> None:
    # A layout reader's blocks: a long section, then a stray "1" (an equation's index) that is a section of its
    # own under a heading-less break, then more text on the same page. No passage may be the "1" alone.
    first = "The evanescent polariton provided by a single sphere gives the time coherence. " * 9
    second = "But the spatial coherence is limited to a small region near the sphere. " * 9
    text = f"{first.strip()}\n\n1\n\n{second.strip()}"
    a, b = len(first.strip()), len(first.strip()) + 3
    blocks = [Block(0, a, "para"), Block(a + 2, a + 3, "para"), Block(b + 2, len(text), "para")]
    chunks = chunk_text(text, ChunkSettings(max_chars=800, min_chars=0), lambda t: len(t.split()), blocks=blocks)
    assert all(any(ch.isalpha() for ch in text[c.start : c.end]) for c in chunks)
    assert any(text[c.start : c.end].endswith("\n\n1") or text[c.start : c.end].startswith("1\n\n") for c in chunks)


def _blocks_of(parts: list[tuple[str, str]]) -> tuple[str, list[Block]]:
    """A text of ``(kind, text)`` blocks one after the other, as a layout reader gives them."""
    text, blocks = "", []
    for kind, part in parts:
        text += "\n\n" if text else ""
        blocks.append(Block(len(text), len(text) + len(part), kind))
        text += part
    return text, blocks


@pytest.mark.parametrize("page_break", [False, True])
@pytest.mark.parametrize("intro_end", [" so that", " as follows:", "."])
def test_a_display_stays_with_the_sentence_that_introduces_it(page_break: bool, intro_end: str) -> None:
    # usrguide.pdf: "Processors are applied from right to left, so that" / [page 11] ">{\ProcessorB} >{\ProcessorA}
    # m" / "would apply \ProcessorA followed by \ProcessorB": three passages, the answer in none of them whole
    intro = "Each argument processor is specified by its own syntax in the argument specification. " * 3
    intro += "Processors are applied from right to left" + intro_end
    after = "would apply the first processor followed by the second to the tokens grabbed by the argument."
    rest = "The split processor divides the argument given at each occurrence of the tokens into parts. " * 3
    text, blocks = _blocks_of(
        [("para", intro), ("code", r">{\ProcessorB} >{\ProcessorA} m"), ("para", after), ("para", rest.strip())]
    )
    pages = [blocks[1].start] if page_break else []
    chunks = chunk_text(text, ChunkSettings(), lambda t: len(t.split()), pages, blocks=blocks)
    passages = [text[c.start : c.end] for c in chunks]
    introduced = intro_end != "."
    assert any(p.startswith(intro) and p.endswith(after) for p in passages) == introduced
    if introduced:
        assert passages[-1] == rest.strip()  # a new sentence after the display is a passage of its own
    else:
        assert intro in passages  # a sentence that ends is no introduction: the display starts a passage


@pytest.mark.parametrize("page_break", [False, True])
@pytest.mark.parametrize("kind", ["row", "code"])
@pytest.mark.parametrize("next_names_it", [False, True])
@pytest.mark.parametrize("runs_on", [False, True])
def test_a_short_display_goes_with_the_sentence_whose_terms_it_shows(
    page_break: bool, kind: str, next_names_it: bool, runs_on: bool
) -> None:
    # usrguide.pdf: "... using the command \NoCaseChange." / [page 21] "\MakeUppercase{\NoCaseChange{iPhone}}" /
    # "To allow robust commands ...": the example went with the paragraph after it, the answer sentence without it.
    # A command's signature before the paragraph that describes it ("\ProcessList {list}" / "... \ProcessList is
    # available") stays with that paragraph.
    before = "The input given to these commands is expanded before case changing is applied. " * 3
    before += r"Input can be excluded from case changing using the command \NoCaseChange."
    shown = [r"\MakeUppercase{Some text} | SOME TEXT", r"\MakeUppercase{\NoCaseChange{iPhone}} | iPhone"]
    after = r"The command \NoCaseChange can be nested." if next_names_it else "To allow robust macros, two more exist."
    if runs_on:  # no sentence starts at a backslash: the paragraph's first unit runs on to where the page cuts it
        after += r" \CaseSwitch gives the result for each of the four possible cases"
    else:
        after += " They are described in the next paragraphs of this section, one after the other, with examples." * 2
    text, blocks = _blocks_of([("para", before), *[(kind, line) for line in shown], ("para", after)])
    pages = [blocks[1].start] if page_break else []
    chunks = chunk_text(text, ChunkSettings(), lambda t: len(t.split()), pages, blocks=blocks)
    passages = [text[c.start : c.end] for c in chunks]
    display = text[blocks[1].start : blocks[2].end]
    if next_names_it:
        assert passages == [before, display + "\n\n" + after]
    else:
        assert passages == [before + "\n\n" + display, after]


def test_a_display_too_long_for_the_passage_is_left_to_itself() -> None:
    intro = "The listing below shows the whole configuration file of the package, line by line, as follows:"
    intro = "This section describes the configuration file that the package reads at start. " * 3 + intro
    lines = [("code", f"setting{n} = value{n}  % the {n}th setting of the configuration") for n in range(40)]
    text, blocks = _blocks_of([("para", intro), *lines])
    chunks = chunk_text(text, ChunkSettings(), lambda t: len(t.split()), blocks=blocks)
    assert text[chunks[0].start : chunks[0].end] == intro
