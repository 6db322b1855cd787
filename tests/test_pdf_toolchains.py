"""Reading PDFs as LaTeX and DocBook lay them out (papers, package manuals): each rule on a small PDF the test
draws itself, in the shape the real ones of ../shared/eval/realpdf_dev have (see docs/EVALUATION.md)."""

from __future__ import annotations

from pathlib import Path

from qa.readers.layout import Page, assemble, make_line
from qa.readers.lines import rejoin
from qa.types import Document
from tests.docmaker import make_layout_pdf, make_pdf, wrapped
from tests.test_pdf_layout import BUDGET, TRANSPORT, blocks, load

SIZES = "Printing can be done on either A4 or USletter paper, there is no difference for the resulting copy."
DVIPS = (
    "When using dvips for generating PostScript code for printing, the default paper size can be overridden "
    "with the -t option: -t letter for USletter paper."
)


def paragraphs(doc: Document) -> list[str]:
    return [doc.text[b.start : b.end] for b in doc.blocks if b.kind == "para"]


def test_two_columns_off_the_page_centre_are_read_left_then_right(tmp_path: Path) -> None:
    # A paper's text block is often not centred: here the right column starts left of the page's middle
    # (A4 is 595 pt wide), as ieeepes.pdf's does; each column must still read as paragraphs.
    left = wrapped(BUDGET + " " + TRANSPORT, 40, 100, width=42, size=9, pitch=11)
    right = wrapped(SIZES + " " + DVIPS, 290, 100, width=42, size=9, pitch=11)
    doc = load(make_layout_pdf(tmp_path / "paper.pdf", [right + left]))
    assert paragraphs(doc) == [BUDGET + " " + TRANSPORT, SIZES + " " + DVIPS]


def test_a_wide_gap_inside_prose_is_no_table_cell_but_a_table_keeps_its_cells(tmp_path: Path) -> None:
    prose = wrapped(BUDGET, 50, 100, width=70)
    # one line of the paragraph has a wide gap in it (as a logo's raised letters make one): still prose
    x, y, text, size, bold = prose[1]
    head, tail = text.split(" ", 1)
    prose[1:2] = [(x, y, head, size, bold), (x + 7.2 * len(head) + 30, y, tail, size, bold)]
    table = [(50, 200, "Region", 11, False), (250, 200, "2019", 11, False), (330, 200, "2020", 11, False)]
    table += [(50, 214, "Americas", 11, False), (250, 214, "132,426", 11, False), (330, 214, "151,471", 11, False)]
    doc = load(make_layout_pdf(tmp_path / "gap.pdf", [prose + table]))
    assert " | " not in paragraphs(doc)[0] and " ".join(paragraphs(doc)[0].split()) == BUDGET
    assert "Region | 2019 | 2020\nAmericas | 132,426 | 151,471" in doc.text


def test_a_numbered_section_heading_is_a_heading_not_a_table_row(tmp_path: Path) -> None:
    page = [(50, 80, "5", 14, True), (80, 80, "Document Structure", 14, True), *wrapped(BUDGET, 50, 110)]
    doc = load(make_layout_pdf(tmp_path / "heading.pdf", [page]))
    assert blocks(doc)[0] == ("heading", "5 Document Structure")
    assert " | " not in doc.text


def test_a_code_listing_keeps_its_lines_without_cells_and_packs_into_one_passage(tmp_path: Path) -> None:
    code = ["\\documentclass[10pt]{article}", "\\usepackage{ieeepes}", "\\title{...}    % the paper's title"]
    page = [*wrapped(BUDGET, 50, 80)] + [(60, 140 + 11 * n, line, 9, "mono") for n, line in enumerate(code)]
    page += wrapped(TRANSPORT, 50, 190)
    doc = load(make_layout_pdf(tmp_path / "code.pdf", [page]))
    # a line each (spaces run together, as everywhere in a PDF's text), the spaces before the comment no cells
    assert "\n".join(" ".join(line.split()) for line in code) in doc.text
    assert [kind for kind, _ in blocks(doc)] == ["para", "code", "code", "code", "para"]


def test_rules_drawn_with_characters_are_dropped(tmp_path: Path) -> None:
    page = [(50, 80, "Release 0.3.11:", 10, "mono"), (50, 92, "-" * 15, 10, "mono")]
    page += [(50, 104, "- Fix a locale.", 10, "mono"), *wrapped(BUDGET, 50, 130)]
    doc = load(make_layout_pdf(tmp_path / "rule.pdf", [page]))
    assert "---" not in doc.text and "Release 0.3.11:\n- Fix a locale." in doc.text


def test_a_footnote_at_a_column_foot_does_not_cut_the_paragraph_it_interrupts(tmp_path: Path) -> None:
    text = BUDGET + " " + TRANSPORT
    lines = wrapped(text, 40, 600, width=42, size=9, pitch=11)
    left, right = lines[:8], [(290, 100 + 11 * n, t, s, b) for n, (_, _, t, s, b) in enumerate(lines[8:])]
    right += wrapped(SIZES, 290, 100 + 11 * len(right) + 20, width=42, size=9, pitch=11)
    filler = wrapped(DVIPS + " " + DVIPS, 40, 100, width=42, size=9, pitch=11)[:40]
    footnote = [(40, 720, "1v.kuhlmann@elec.canterbury.ac.nz", 7, True)]
    doc = load(make_layout_pdf(tmp_path / "note.pdf", [filler[:44] + left + footnote + right]))
    assert text in paragraphs(doc)  # the paragraph goes on in the right column
    assert doc.text.rstrip().endswith("1v.kuhlmann@elec.canterbury.ac.nz")  # the note after the columns
    assert all(doc.text[b.start : b.end] != footnote[0][2] for b in doc.blocks if b.kind == "heading")


def test_a_float_at_the_top_of_the_next_column_does_not_cut_the_paragraph_it_interrupts(tmp_path: Path) -> None:
    # tugboat-guide.pdf: "... The visual" ends the left column, its table of logos and "Figure 1: ..." stand at
    # the top of the right one, and the sentence goes on below them ("appearance of all-caps sequences ...")
    opening = " ".join([BUDGET, TRANSPORT, BUDGET, TRANSPORT, "Authors are urged to note the acro command,"])
    opening += " which is defined in the classes. The visual"  # its last line as wide as the others
    going_on = "appearance of all-caps sequences among normal text is rather unpleasing."
    left = wrapped(opening, 40, 100, width=42, size=9, pitch=11)
    table = [(300, 100, "Macro", 9, False), (400, 100, "Output", 9, False),
             (300, 112, "\\CTAN", 9, False), (400, 112, "CTAN", 9, False),
             (300, 124, "\\TUB", 9, False), (400, 124, "TUGboat", 9, False),
             (300, 140, "Figure 1: A few of the provided logos", 9, False)]  # fmt: skip
    rest = wrapped(going_on, 300, 170, width=42, size=9, pitch=11)
    after = wrapped(SIZES, 310, 170 + 11 * len(rest) + 4, width=42, size=9, pitch=11)
    doc = load(make_layout_pdf(tmp_path / "float.pdf", [left + table + rest + after]))
    assert paragraphs(doc)[0] == opening + " " + going_on
    assert doc.text.index(going_on) < doc.text.index("Figure 1: A few") < doc.text.index(SIZES[:30])


def test_a_margin_note_is_taken_out_of_the_paragraph_it_stands_beside(tmp_path: Path) -> None:
    body = wrapped(BUDGET + " " + TRANSPORT, 150, 100, width=60, size=10, pitch=12.5)
    page = [*body, (60, 100 + 12.5 * 3, "\\epigraphrule", 9, "mono")]  # beside the fourth line
    page += wrapped(SIZES, 150, 100 + 12.5 * len(body) + 14, width=60, size=10, pitch=12.5)
    page += wrapped(DVIPS, 150, 100 + 12.5 * len(body) + 60, width=60, size=10, pitch=12.5)
    doc = load(make_layout_pdf(tmp_path / "margin.pdf", [page]))
    assert paragraphs(doc)[0] == BUDGET + " " + TRANSPORT
    assert "\\epigraphrule" in doc.text and doc.text.index("\\epigraphrule") < doc.text.index(SIZES)


def test_list_items_continue_under_their_text_and_a_new_marker_starts_the_next(tmp_path: Path) -> None:
    # items without a full stop, their last lines as long as the others: only the marker tells them apart
    first = ["Better rendering of the figures and of the informal", "figures, with captions printed apart from the"]
    second = ["Better rendering of the program listings and of the", "screens, with the attributes of the listings all"]
    items = [(50, 100, "•", 11, False)] + [(62, 100 + 14 * n, line, 11, False) for n, line in enumerate(first)]
    items += [(50, 128, "•", 11, False)] + [(62, 128 + 14 * n, line, 11, False) for n, line in enumerate(second)]
    items += wrapped(BUDGET, 50, 170)
    doc = load(make_layout_pdf(tmp_path / "list.pdf", [items]))
    assert paragraphs(doc) == ["• " + " ".join(first), "• " + " ".join(second), BUDGET]


def test_a_list_item_cut_by_a_page_break_goes_on_under_its_text_on_the_next_page(tmp_path: Path) -> None:
    # dblatex's change log: "- Add refentry.numbered and refentry.tocdepth parameters to have the" ends a page,
    # "refentry titles numbered (default) or not." starts the next, under the item's text, right of its dash
    item = "- Add refentry.numbered and refentry.tocdepth parameters to have the"
    page1 = [*wrapped(BUDGET, 50, 100), (50, 700, "- Fix the support of frenchb 2.x, whose option macros changed.", 11,
                                        False), (50, 714, item, 11, False)]  # fmt: skip
    page2 = [(58, 100, "refentry titles numbered (default) or not.", 11, False), (50, 114, "- Add it.", 11, False)]
    doc = load(make_layout_pdf(tmp_path / "items.pdf", [page1, page2]))
    assert item + " refentry titles numbered (default) or not." in paragraphs(doc)


def test_a_folio_set_apart_above_the_bottom_band_is_dropped(tmp_path: Path) -> None:
    # LaTeX's letter-size layout printed on A4: the page number stands 17% above the paper's foot
    pages = [[*wrapped(BUDGET, 90, 100), (297, 700, str(n), 10, False)] for n in (1, 2, 3)]
    doc = load(make_layout_pdf(tmp_path / "folio.pdf", pages))
    assert doc.text.split("\n\n") == [BUDGET] * 3


def _line(text: str, x: float, base: float, size: float) -> object:
    width = size * 0.5
    boxes = [(x + i * width, base - size * 0.7, x + (i + 1) * width, base) for i in range(len(text))]
    return make_line(list(text), boxes, [size] * len(text), [400.0] * len(text))


def test_a_line_split_around_a_raised_footnote_mark_is_joined_again() -> None:
    # PDFium ends a line at a superscript: "Wikibooks LaTeX" "1" ", a collaborative" were three lines
    head = _line("Wikibooks LaTeX", 300, 400, 9)
    mark = _line("1", head.x1 + 0.2, 396, 6)
    tail = _line(", a collaborative online textbook", mark.x1 + 0.5, 400, 9)
    next_line = _line("which is of use to both beginners", 300, 411, 9)
    joined = rejoin([head, mark, tail, next_line])
    assert [ln.chars for ln in joined] == ["Wikibooks LaTeX1, a collaborative online textbook", next_line.chars]
    assert len(joined[0].chars) == len(head.chars) + len(mark.chars) + len(tail.chars)  # no space at a kerning gap
    # a column gutter is wider than a word space: the right column's line stays a line of its own
    gutter = _line("Right column text", head.x1 + 12, 400, 9)
    assert len(rejoin([head, gutter])) == 2


def test_a_footnote_mark_set_a_space_before_its_text_is_one_line_with_it() -> None:
    # texinfo (R's manuals): a 7 pt mark raised 4 pt, then the 9 pt footnote 5.9 pt to its right
    mark = _line("1", 96.6, 698.5, 7)
    note = _line("the distinction is subtle, and the use of surrogate pairs", mark.x1 + 5.9, 702.4, 9)
    assert [ln.chars for ln in rejoin([mark, note])] == ["1 the distinction is subtle, and the use of surrogate pairs"]
    # the first line of the next column, a gutter away, stays a line of its own
    far = _line("the next column's line", mark.x1 + 12, 702.4, 9)
    assert len(rejoin([mark, far])) == 2


def test_a_section_number_set_a_quad_before_its_title_is_one_heading_line() -> None:
    number, title = _line("11", 90, 300, 14), _line("Hints and caveats", 90 + 14 + 14, 300, 14)
    assert [ln.chars for ln in rejoin([number, title])] == ["11 Hints and caveats"]
    assert rejoin([number, title])[0].cells == []  # a numbered heading, not a table row


def _boxed(words: list[tuple[float, str, float]], base: float, size: float) -> object:
    """A line from (x, word, letter width) triples; "pdf+TeX" is one word whose parts have their own widths."""
    chars, boxes = [], []
    for x, word, width in words:
        if chars:
            chars.append(" ")
            boxes.append((x - 1, base - size, x, base))
        at = x
        for n, part in enumerate(word.split("+")):
            part_width = width if n == 0 else LOGO_LETTER
            for ch in part:
                chars.append(ch)
                boxes.append((at, base - size * 0.7, at + part_width, base))
                at += part_width
    return make_line(chars, boxes, [size] * len(chars), [400.0] * len(chars))


LOGO_LETTER = 1.65  # microtype.pdf: each letter of "TeX" at 9 pt, as PDFium boxes its logos


def test_the_gap_after_a_logo_boxed_too_narrow_is_a_word_gap_not_a_table_cell() -> None:
    # microtype.pdf writes its TeX logos as text in place of a drawing: PDFium spreads "TeX" over 5 pt (1.65 pt a
    # letter at 9 pt) and leaves the logo's other 12 pt as a gap, which made every such line of prose a table row
    # ("introduced by pdfTeX | and have since also propagated to LuaTeX | and").
    prose = _boxed([(100, "introduced", 4.5), (148, "by", 4.5), (160, "pdf+TeX", 4.4), (190, "and", 4.5),
                    (206, "have", 4.5), (229, "since", 4.5)], 400, 9)  # fmt: skip
    assert prose.chars == "introduced by pdfTeX and have since" and prose.cells == []
    # in a table's row the logo's gap is no cell either, and the row keeps the cells its columns make
    row = _boxed([(100, "pdf+TeX", 4.4), (140, "<", 4.5), (148, "0.14f", 4.5), (178, "DVI/PDF", 4.5),
                  (280, "yes", 4.5), (330, "no", 4.5)], 400, 9)  # fmt: skip
    assert row.chars == "pdfTeX < 0.14f DVI/PDF yes no"
    assert [row.chars[c:].split()[0] for c in row.cells] == ["yes", "no"]
    # without the logo the same wide gap is a cell
    plain = _boxed([(100, "pdfTeX", 4.4), (160, "and", 4.5), (176, "have", 4.5)], 400, 9)
    assert plain.cells == [7]


def test_a_line_in_a_face_named_bold_is_a_heading_whatever_weight_pdfium_reports() -> None:
    # fancyvrb.pdf: PDFium reports 440 for LucidaBrightOT and for LucidaBrightOT-Demibold alike (ascelike.pdf: 732
    # for its body, 655 for its bold headings), so "4.1.16 Page breaks" was a line of the paragraph before it
    def line(text: str, base: float, bold: bool) -> object:
        boxes = [(90 + i * 4.5, base - 7, 90 + (i + 1) * 4.5, base) for i in range(len(text))]
        return make_line(list(text), boxes, [9.2] * len(text), [440.0] * len(text), [False] * len(text),
                         [bold] * len(text))  # fmt: skip
    body = "the value to give to the TeX hfuzz parameter for the box messages (Default: 2pt)."
    lines = [line(body[:45], 100, False), line(body[45:], 111, False), line("4.1.16 Page breaks", 128, True),
             line("samepage (boolean) : in very special circumstances, we may want to", 141, False),
             line("make sure that a verbatim environment is not broken.", 152, False)]  # fmt: skip
    layout = assemble([Page(595, 842, lines)])
    kinds = [(b.kind, layout.text[b.start : b.end]) for b in layout.blocks]
    assert ("heading", "4.1.16 Page breaks") in kinds
    # the end of a sentence set in the bold face goes on with its paragraph: "(Default:" / "12pt)."
    lines = [line("numbersep (dimension) : gap between numbers and lines (Default:", 100, False),
             line("12pt).", 111, True)]  # fmt: skip
    layout = assemble([Page(595, 842, lines)])
    assert [b.kind for b in layout.blocks] == ["para"]


def test_a_page_of_prose_set_in_another_face_than_the_rest_is_prose_not_headings(tmp_path: Path) -> None:
    # dblatex's release notes: the notes in 10 pt in a face PDFium reports heavier, the longer change log after
    # them in 9 pt; against the document's body every line of the notes had been "bolder", a heading
    def bold(lines: list) -> list:
        return [(x, y, text, size, True) for x, y, text, size, _ in lines]

    items = [BUDGET, TRANSPORT, SIZES, DVIPS] * 2  # short items, as release notes' are: under 200 characters
    notes = [(50, 80, "12 Release 0.3.3", 14, True)]
    for n, text in enumerate(items):
        notes += bold(wrapped(text, 50, 110 + 60 * n, width=80, size=10, pitch=12.5))
    log = [wrapped(" ".join(items), 50, 80, width=90, size=9, pitch=11)]
    doc = load(make_layout_pdf(tmp_path / "relnotes.pdf", [notes, *log, *log]))
    assert blocks(doc)[:9] == [("heading", "12 Release 0.3.3")] + [("para", text) for text in items]


def test_the_letters_pdfium_gives_for_tex_math_symbols_are_those_symbols(tmp_path: Path) -> None:
    # ltxdoc manuals set <distance> in CMSY10's angle brackets; without their Unicode PDFium gives the codes'
    # letters, "hdistancei" (epigraph.pdf, eqparbox.pdf, arydshln-man.pdf)
    line = "The optional {{h}}distance{{i}} argument of \\epigraph sets the space {{x}}2."
    path = tmp_path / "manual.pdf"
    path.write_bytes(make_pdf([line], second_font="CMSY10"))
    assert "The optional ⟨distance⟩ argument of \\epigraph sets the space §2." in load(path).text
    path.write_bytes(make_pdf([line], second_font="CMMI10"))  # math italic: its letters are letters
    assert "The optional hdistancei argument" in load(path).text


def test_a_line_in_a_size_a_little_off_goes_on_with_its_open_sentence(tmp_path: Path) -> None:
    # dblatex's release notes and manual: "thanks to the parameter" (10 pt) / "figure.anchor.top." (9 pt, a
    # parameter's name alone on its line), and prose after a line that is mostly names in the smaller face
    lines = [
        (50, 100, "Fix Debian bug 793077: allow to put a figure anchor at the top even if the caption", 10, False),
        (50, 112, "is at the bottom of the figure, thanks to the configuration parameter named", 10, False),
        (50, 124, "figure.anchor.top.", 9, False),
        (50, 160, "Add the parameters body.font.family, sans.font.family, and monospace.font.family,", 9, False),
        (50, 172, "which mimic the FO parameters of the same names, for the font setup of xetex.", 10, False),
        (50, 208, "The notes of this release go on about other changes made to the templates in", 10, False),
        (50, 220, "small print set in a size well under the text's, as a footnote is, stays apart.", 8, False),
    ]  # fmt: skip
    doc = load(make_layout_pdf(tmp_path / "relnotes.pdf", [lines]))
    texts = [text for _, _, text, _, _ in lines]
    assert paragraphs(doc) == [" ".join(texts[:3]), " ".join(texts[3:5]), texts[5], texts[6]]


def test_a_contents_entry_at_the_page_edge_keeps_its_page_number(tmp_path: Path) -> None:
    # gnuplot.pdf's contents: bold entries at the page's edge, their subsections indented with dot leaders; the
    # text's left edge is the subsections', so an entry looked like a margin note beside its own page number
    from reportlab.pdfbase.pdfmetrics import stringWidth

    make_layout_pdf(tmp_path / "fonts.pdf", [])  # registers the fonts whose widths place the page numbers
    right = 536.0
    drawn: list = []
    y = 100.0
    for entry, page, subsections in (
        ("Copyright", "21", []),
        ("Introduction", "21", []),
        ("New features", "23", ["Features introduced in version 5.4", "Support for 64-bit integer arithmetic"]),
        ("Plot", "102", ["Axes", "Binary", "Data", "Errorbars"]),
    ):
        drawn.append((72, y, entry, 10, True))
        drawn.append((right - stringWidth(page, "Sans-Bold", 10), y, page, 10, True))
        y += 18
        for title in subsections:
            leader = title + " ."
            while stringWidth(leader + " . 23", "Sans", 10) < right - 112:
                leader += " ."
            drawn.append((112, y, leader + " 23", 10, False))
            y += 14
    doc = load(make_layout_pdf(tmp_path / "contents.pdf", [drawn]))
    texts = blocks(doc)
    assert not [t for _, t in texts if t.strip().isdigit()]  # no page number stands alone
    assert ("row", "Plot | 102") in texts and ("heading", "Plot") not in texts


def test_typewriter_faces_are_known_by_their_names() -> None:
    from qa.readers.pdf import _monospace

    for name in (b"CMTT10", b"ABCDEF+CMSLTT10", b"CMITT10", b"SFTT1000", b"t1xtt", b"LetterGothic12PitchBT-Roman"):
        assert _monospace(name), name
    for name in (b"CMR10", b"CMBX12", b"SFRM1000", b"CMSS10", b"NimbusRomNo9L-Regu", b"LMRoman10-Regular"):
        assert not _monospace(name), name


def test_a_typewriter_word_that_ends_a_sentence_of_prose_goes_on_with_it(tmp_path: Path) -> None:
    # usrguide.pdf: "... is included in" / "interface3." (a full line of prose broke before the manual's name);
    # a display under "if you type", set in or with space above it, stays code
    prose = [
        "The details here are intended to help users create document commands in general.",
        "More technical detail, suitable for TeX programmers, is included in the files of the",
        "kernel's sources, and the programming layer's own manual has the name that it has,",
        "and it is usually read as the second document after this one. Its name is given here as",
    ]
    page = [(72, 100 + 12.5 * n, line, 10, False) for n, line in enumerate(prose)]
    page += [(72, 150, "interface3.", 10, "mono")]
    page += [(72, 175, "For example, if you type", 10, False), (90, 190, "\\begin{questions}", 10, "mono")]
    page += [(72, 215, "and then, with some space above it,", 10, False), (72, 235, "\\end{questions}", 10, "mono")]
    doc = load(make_layout_pdf(tmp_path / "typewriter.pdf", [page]))
    assert blocks(doc) == [
        ("para", " ".join(prose) + " interface3."),
        ("para", "For example, if you type"),
        ("code", "\\begin{questions}"),
        ("para", "and then, with some space above it,"),
        ("code", "\\end{questions}"),
    ]


def test_a_table_row_with_one_gap_is_a_row_where_it_stands_level_with_the_row_above(tmp_path: Path) -> None:
    # usrguide.pdf: "\MakeUppercase{Some text $y = mx + c$}   SOME TEXT y = mx + c" has word gaps beside its wide
    # one, "\MakeUppercase{\NoCaseChange{iPhone}}   iPhone" below it has only the wide one, as a justified line's
    # words might: with its cell level with the row above's it is that table's next row, not prose run on
    intro = (50, 100, "The case of the input is changed as the following table shows for two inputs.", 11, False)
    table = [
        (50, 130, "Some text y = mx + c", 11, False), (250, 130, "SOME TEXT Y = MX + C", 11, False),
        (50, 146, "NoCaseChange{iPhone}", 11, False), (250, 146, "iPhone", 11, False),
    ]  # fmt: skip
    # a line of prose below, one gap wide by chance, and not level with a cell: stays prose
    after = [(50, 176, "Robust", 11, False), (120, 176, "commands.", 11, False)]
    doc = load(make_layout_pdf(tmp_path / "two.pdf", [[intro, *table, *after]]))
    assert "Some text y = mx + c | SOME TEXT Y = MX + C\nNoCaseChange{iPhone} | iPhone" in doc.text
    assert doc.text.endswith("\n\nRobust commands.")
