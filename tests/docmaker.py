"""Small documents of every supported format, made by the tests themselves."""

from __future__ import annotations

from pathlib import Path


def make_pdf(pages: list[str], second_font: str = "Helvetica") -> bytes:
    """A minimal, valid PDF with one text line per line of each page (Helvetica, WinAnsi). Text between ``{{`` and
    ``}}`` is set in ``second_font`` (a base font name, not embedded: PDFium substitutes one and keeps the name)."""
    objects: list[bytes] = []
    page_ids = [5 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(f"<< /Type /Font /Subtype /Type1 /BaseFont /{second_font} /Encoding /WinAnsiEncoding >>".encode())
    for page_id, text in zip(page_ids, pages, strict=True):
        lines = []
        for line in text.split("\n"):
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            escaped = escaped.replace("{{", ") Tj /F2 11 Tf (").replace("}}", ") Tj /F1 11 Tf (")
            lines.append(f"({escaped}) Tj T*")
        stream = ("BT /F1 11 Tf 14 TL 72 760 Td " + " ".join(lines) + " ET").encode("cp1252")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_id + 1} 0 R "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_docx(path: Path, blocks: list[tuple[str, str]]) -> Path:
    """A DOCX of ``(style, text)`` blocks: style 'h1', 'p', or 'table' (cells split by '|')."""
    import docx

    document = docx.Document()
    for style, text in blocks:
        if style == "h1":
            document.add_heading(text, level=1)
        elif style == "table":
            rows = [r.split("|") for r in text.split("\n")]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell.strip()
        else:
            document.add_paragraph(text)
    document.save(str(path))
    return path


# A line drawn on a page: (x, y from the top, text, font size, bold); points, A4.
Drawn = tuple[float, float, str, float, bool | str]  # x, y, text, size, bold (or "mono": a typewriter face)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
A4 = (595.0, 842.0)


def make_layout_pdf(path: Path, pages: list[list[Drawn]], header: str | None = None, footer: bool = False) -> Path:
    """A PDF with each line placed where it says, in DejaVu Sans (which has the ﬁ ligature glyph).

    ``header`` repeats at the top of every page; ``footer`` adds "Page N of M" at the bottom.
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("Sans", str(DEJAVU / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("Sans-Bold", str(DEJAVU / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont("Mono", str(DEJAVU / "DejaVuSansMono.ttf")))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number, lines in enumerate(pages, start=1):
        drawn = list(lines)
        if header:
            drawn.append((40, 20, header, 8, False))
        if footer:
            drawn.append((270, 825, f"Page {number} of {len(pages)}", 8, False))
        for x, y, text, size, bold in drawn:
            pdf.setFont("Mono" if bold == "mono" else "Sans-Bold" if bold else "Sans", size)
            pdf.drawString(x, A4[1] - y, text)
        pdf.showPage()
    pdf.save()
    return path


def wrapped(text: str, x: float, y: float, width: int = 80, size: float = 11, pitch: float = 14) -> list[Drawn]:
    """A paragraph's lines, wrapped at ``width`` characters, from (x, y) down."""
    import textwrap

    return [(x, y + n * pitch, line, size, False) for n, line in enumerate(textwrap.wrap(text, width))]


def scanned_pdf(source_pdf: Path, path: Path, dpi: int = 200) -> Path:
    """A PDF of page images (no text layer) made by rendering ``source_pdf``: a scan without the noise."""
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    source = pdfium.PdfDocument(str(source_pdf))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for page in source:
        image = page.render(scale=dpi / 72).to_pil().convert("L")
        pdf.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        pdf.showPage()
    pdf.save()
    source.close()
    return path
