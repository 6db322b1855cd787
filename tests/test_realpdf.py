"""The real PDFs of ../shared/eval/realpdf_dev (LaTeX papers and manuals, DocBook notes), read and answered:
what issue 18 asks of their index, checked on the documents themselves."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qa.readers.loaders import load_document
from tests.conftest import ROOT, SHARED

REALPDF = SHARED / "eval" / "realpdf_dev"
pytestmark = pytest.mark.skipif(not REALPDF.is_dir(), reason="../shared/eval/realpdf_dev is not beside the project")
RULE = re.compile(r"([-=_*~.·•⋄#+])(\s*\1){3,}")


@pytest.fixture(scope="module")
def documents() -> dict[str, object]:
    return {pdf.name: load_document(str(pdf), pdf.read_bytes()) for pdf in sorted((REALPDF / "docs").glob("*.pdf"))}


def test_two_column_papers_read_as_paragraphs_with_hyphenation_rejoined(documents: dict[str, object]) -> None:
    ieeepes = documents["ieeepes.pdf"]
    paragraph = (
        "When using dvips for generating PostScript code for printing, the default paper size for which dvips "
        "generates code can be overridden with the -t option: -t letter for USletter paper, and -t a4 for A4 paper."
    )
    assert any(ieeepes.text[b.start : b.end].startswith(paragraph) for b in ieeepes.blocks if b.kind == "para")
    headings = [ieeepes.text[b.start : b.end] for b in ieeepes.blocks if b.kind == "heading"]
    assert "6 Paper Sizes" in headings and not any("@" in h for h in headings)  # a footnote heads nothing


def test_headings_set_in_faces_named_bold_are_headings(documents: dict[str, object]) -> None:
    # PDFium weighs these bold faces like (or under) the body text; their names say bold
    for name, heading in (("fancyvrb.pdf", "4.1.16 Page breaks"), ("ascelike.pdf", "INTRODUCTION")):
        doc = documents[name]
        assert heading in [doc.text[b.start : b.end] for b in doc.blocks if b.kind == "heading"], name


def test_no_rules_lone_numbers_or_logo_cells_in_the_text(documents: dict[str, object]) -> None:
    for name, doc in documents.items():
        blocks = [doc.text[b.start : b.end] for b in doc.blocks]
        assert not [t for t in blocks if RULE.fullmatch(t.strip())], name
        assert "LaTeX | packages" not in doc.text and not re.search(r"(?m)^\d+(\.\d+)* \| [A-Z][a-z]", doc.text), name
        assert not re.search(r"TeX \| [a-z]", doc.text), name  # a logo's gap in prose (53 in microtype.pdf)


def test_paragraphs_are_not_cut_line_by_line(documents: dict[str, object]) -> None:
    # consecutive prose blocks where the first ends in a lower-case word and the next starts with one: a
    # paragraph cut in two. Each document's count as measured when the reading rules landed, as a ceiling
    # (microtype.pdf 5 -> 7 when its lines with TeX logos stopped being table rows: two of them are prose now, and
    # follow a command name in the margin, "\noprotrusion" / "is a command from LaTeX proper").
    ceilings = {"ieeepes.pdf": 0, "ascelike.pdf": 1, "asmeconf.pdf": 4, "tugboat-guide.pdf": 4, "microtype.pdf": 7}
    for name, ceiling in ceilings.items():
        doc = documents[name]
        prose = [b for b in doc.blocks if b.kind == "para"]
        cuts = sum(
            bool(re.search(r"[a-z,]$", doc.text[a.start : a.end]) and re.match(r"[a-z]", doc.text[b.start : b.end]))
            for a, b in itertools.pairwise(prose)
            if b.start - a.end <= 2  # next to each other
        )
        assert cuts <= ceiling, (name, cuts)


def test_eval_realpdf_dev_beats_the_first_reading_and_quotes_exactly(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "qa", "eval", str(REALPDF), "--json", "--index-dir", str(tmp_path / "index")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)["results"][0]
    assert row["verbatim_rate"] == 1.0 and row["median_passage_chars"] < 500
    # issue 18 measured 0.552 / 0.741 before this work; 0.672 / 0.845 when it landed, 0.690 / 0.862 with each
    # page's own body style, 0.724 / 0.862 (highlight@1 0.603) with the logos, bold faces, floats, the document's
    # name and the answer sentence's neighbours, 0.724 / 0.897 with a passage's BM25 saturating sooner
    # (docs/EVALUATION.md), 0.776 / 0.914 (highlight@1 0.638) with common words weighing half their idf and
    # phrases weighing 0.09; the floor leaves three questions' slack
    assert row["hit@1"] >= 0.72 and row["hit@3"] >= 0.86 and row["highlight@1"] >= 0.58
    # its 10 questions on the documents' topic that they do not answer: none abstained on before qa.unaddressed,
    # 5 with it; issue 18 asks for 4, with 95% of the answerable ones still answered
    assert row["abstention"] >= 0.4 and row["answered_rate"] >= 0.95
