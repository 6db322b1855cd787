"""The reference that issue 18 measured Verbatim against: BM25 over each PDF page's plain PDFium text, cut in
1,500-character windows (what a simple PDF loader and a BM25 library give), scored with the set's `text` match.

    .venv/bin/python benchmarks/page_bm25.py ../shared/eval/realpdf_dev [eval/realpdf_extra ...]

The BM25 is the project's own (qa.lexical: the same tokenizer, stemming and Lucene idf as Verbatim's lexical
side), so the comparison is about what is scored (a page region against a passage), not about two BM25s.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.lexical import Lexical
from qa.metrics import answer_key, load_questions

WINDOW = 1500


def windows(pdf: Path) -> list[str]:
    """Each page's text (PDFium's get_text_range, as a plain loader gives it) in windows of WINDOW characters."""
    import pypdfium2 as pdfium

    out = []
    document = pdfium.PdfDocument(str(pdf))
    try:
        for number in range(len(document)):
            page = document[number]
            text = page.get_textpage().get_text_range()
            out.extend(text[i : i + WINDOW] for i in range(0, len(text), WINDOW) if text[i : i + WINDOW].strip())
    finally:
        document.close()
    return out


def measure(set_dir: Path) -> dict[str, float]:
    texts: list[str] = []
    sources: list[str] = []
    for pdf in sorted((set_dir / "docs").glob("*.pdf")):
        found = windows(pdf)
        texts += found
        sources += [str(pdf.resolve())] * len(found)
    lexical = Lexical.build(texts)
    keys = [answer_key(t) for t in texts]
    ranks = []
    for question in load_questions(set_dir):
        if not question.gold:
            continue
        order = np.argsort(-lexical.scores(question.question), kind="stable")[:10]
        rank = next(
            (n + 1 for n, row in enumerate(order)
             if any(g.source == sources[row] and g.text in keys[row] for g in question.gold)),
            None,
        )  # fmt: skip
        ranks.append(rank)
    n = len(ranks)
    return {
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@3": sum(r is not None and r <= 3 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r) / n,
        "median_chars": statistics.median(len(t) for t in texts),
        "questions": n,
    }


def main() -> None:
    for arg in sys.argv[1:]:
        m = measure(Path(arg))
        print(f"{arg}: page-window BM25 hit@1 {m['hit@1']:.3f} hit@3 {m['hit@3']:.3f} MRR@10 {m['mrr@10']:.3f} "
              f"median window {m['median_chars']:.0f} chars ({m['questions']} answerable questions)")  # fmt: skip


if __name__ == "__main__":
    main()
