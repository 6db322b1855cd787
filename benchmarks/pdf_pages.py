"""Reading big PDFs and scans: pages per second and peak memory, by page count.

    .venv/bin/python benchmarks/pdf_pages.py [--pages 50,500] [--scan ../shared/eval/scan_article/docs/article.pdf]

Each size is read in a fresh process (``load_document``, the indexer's reader) so that its peak resident
memory (VmHWM) is its own. The PDFs are made here with reportlab: A4, one column, a heading and six wrapped
paragraphs a page, a running header and a page number. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARAGRAPH = (
    "Section {n} of the maintenance manual explains how the pump at station {n} is inspected every {m} days, "
    "which parts wear first, and how an engineer records the pressure readings before and after the valve is "
    "replaced, so that the next visit can compare them."
)


def make_pdf(path: Path, pages: int) -> None:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=(595, 842))
    for page in range(1, pages + 1):
        pdf.setFont("Helvetica", 8)
        pdf.drawString(40, 820, "Pump station maintenance manual")
        pdf.drawString(290, 20, str(page))
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(50, 780, f"Chapter {page}")
        y = 750.0
        pdf.setFont("Helvetica", 11)
        for n in range(6):
            for line in textwrap.wrap(PARAGRAPH.format(n=page * 10 + n, m=n + 3), 90):
                pdf.drawString(50, y, line)
                y -= 14
            y -= 10
        pdf.showPage()
    pdf.save()


def measure(path: Path) -> tuple[float, float, int, int]:
    """Seconds, peak MB, pages and characters for reading ``path``, in a fresh process."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[2]);"
        "from qa.readers.loaders import load_document; data = open(sys.argv[1], 'rb').read();"
        "t = time.perf_counter(); d = load_document(sys.argv[1], data); s = time.perf_counter() - t;"
        "hwm = [int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')][0] / 1024;"
        "print(s, hwm, len(d.page_starts), len(d.text))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path), str(ROOT)], capture_output=True, text=True, check=True)
    seconds, peak, pages, chars = out.stdout.split()
    return float(seconds), float(peak), int(pages), int(chars)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="50,500")
    parser.add_argument(
        "--scan", default=str(ROOT.parent / "shared" / "eval" / "scan_article" / "docs" / "article.pdf")
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in [int(n) for n in args.pages.split(",")]:
            path = Path(tmp) / f"manual-{count}.pdf"
            started = time.perf_counter()
            make_pdf(path, count)
            made = time.perf_counter() - started
            seconds, peak, pages, chars = measure(path)
            rows.append((f"text layer, {pages} pages ({path.stat().st_size / 1e6:.1f} MB, made in {made:.0f} s)",
                         seconds, pages / seconds, peak, chars))  # fmt: skip
    if Path(args.scan).is_file():
        seconds, peak, pages, chars = measure(Path(args.scan))
        rows.append((f"scanned, {pages} pages by OCR ({Path(args.scan).name})", seconds, pages / seconds, peak, chars))
    print("| PDF | seconds | pages/s | peak memory (MB) | characters |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, rate, peak, chars in rows:
        print(f"| {name} | {seconds:.1f} | {rate:.1f} | {peak:.0f} | {chars:,} |")


if __name__ == "__main__":
    main()
