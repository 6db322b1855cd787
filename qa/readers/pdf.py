"""PDF pages to layout lines with PDFium (pypdfium2): characters, their boxes, font size and weight.

A page without a text layer (a scan) is rendered and read by OCR instead (``qa.readers.ocr``). Pages are read
one at a time and closed, so memory follows the page, not the file.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from qa.errors import DocumentError
from qa.readers.lines import Line, Page, make_line, rejoin

PageProgress = Callable[[int, int], None]  # (pages done, pages in all)
OCR_DPI = 300  # scans are rendered at this resolution for tesseract (its accuracy falls below ~200 dpi)
# Typewriter fonts by name: PDFium's font flags do not mark TeX's (CMTT9 has the same flags as CMR10). TeX's
# slanted and European ones are CMSLTT10, SFTT1000 (usrguide.pdf), t1xtt (mnras_guide.pdf); "12 Pitch" faces too
# (microtype.pdf's LetterGothic12PitchBT).
_MONOSPACE = re.compile(
    rb"(?i)(?:cm|sf|ec|tc)[a-z]{0,3}tt\d|lmmono|mono|courier|typewriter|consol|inconsolata|t1xtt|txtt|pcrr|beramono"
    rb"|^tt|\dpitch"
)
# Bold faces by name: PDFium's weights of embedded Type 1 fonts do not always order them (ascelike.pdf's body,
# CMR12, is 732 and its bold sans headings, CMSSBX10, 655; fancyvrb.pdf's LucidaBrightOT and its Demibold both 440).
_BOLD = re.compile(rb"(?i)bold|demi|black|heavy|-medi|cmbx|cmssbx|sfbx|sfssbx|ecbx")
# TeX's math symbol fonts (OMS encoding: CMSY, its bold CMBSY, Latin Modern's) hold no lower-case letters: where
# PDFium has no Unicode for a glyph of theirs it gives the code's letter, so the ltxdoc manuals' "<distance>"
# read "hdistancei" (epigraph.pdf 45 times, eqparbox.pdf 156, arydshln-man.pdf 17; the other 13 real PDFs give
# these glyphs their Unicode, and their upper-case letters are the calligraphic capitals).
_MATH_SYMBOLS = re.compile(rb"(?i)^(cmb?sy\d|lmmathsymbols)")
_OMS_LETTERS = dict(zip("abcdefghijklmnopqrstuvwxyz", "⊣⌊⌋⌈⌉{}⟨⟩|‖↕⇕\\≀√⨿∇∫⊔⊓⊑⊒§†‡", strict=True))


@contextmanager
def open_pdf(path: str, data: bytes) -> Iterator[object]:
    """The PDFium document of ``data``; DocumentError for a damaged or password-protected file."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise DocumentError(path, "is an encrypted PDF; it needs a password, remove it and try again") from exc
        raise DocumentError(path, f"is a damaged PDF ({exc})") from exc
    try:
        yield pdf
    finally:
        pdf.close()


def read_pdf(path: str, data: bytes, progress: PageProgress | None = None) -> list[Page]:
    """Every page's lines; pages without text go through OCR (several at once, one per core)."""
    from qa.readers.ocr import OcrPool

    with open_pdf(path, data) as pdf:
        count = len(pdf)  # type: ignore[arg-type]
        pages: list[Page | None] = [None] * count
        with OcrPool(path) as ocr:
            for number in range(count):
                page = pdf[number]  # type: ignore[index]
                try:
                    width, height = page.get_size()
                    lines = _text_lines(page, height)
                    if lines:
                        pages[number] = Page(width, height, lines)
                    else:  # no text layer: a scanned page
                        image = page.render(scale=OCR_DPI / 72).to_pil()
                        ocr.submit(number, image, width, height)
                finally:
                    page.close()
                for done_number, done_page in ocr.finished():
                    pages[done_number] = done_page
                if progress:
                    progress(number + 1 - ocr.pending, count)
            for done_number, done_page in ocr.wait():
                pages[done_number] = done_page
                if progress:
                    progress(count - ocr.pending, count)
    return [p for p in pages if p is not None]


def _jumps(boxes: list[tuple[float, float, float, float]], sizes: list[float], box: tuple[float, ...],
           size: float) -> bool:  # fmt: skip
    """Whether a character stands on another line than the last visible one before it."""
    if box[2] <= box[0] or size <= 1.5:  # spaces and generated characters have no real box
        return False
    for previous, previous_size in zip(reversed(boxes), reversed(sizes), strict=True):
        if previous[2] > previous[0] and previous_size > 1.5:
            middle, previous_middle = (box[1] + box[3]) / 2, (previous[1] + previous[3]) / 2
            return abs(middle - previous_middle) > 0.7 * max(size, previous_size) or box[0] < previous[0] - 2 * size
    return False


def _text_lines(page: object, height: float) -> list[Line]:
    """The page's text layer as lines, split where PDFium ends a line (its generated line breaks)."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        handle = textpage.raw
        count = raw.FPDFText_CountChars(handle)
        lines: list[Line] = []
        chars: list[str] = []
        boxes: list[tuple[float, float, float, float]] = []
        sizes: list[float] = []
        weights: list[float] = []
        fixed: list[bool] = []
        bold: list[bool] = []
        left, right, bottom, top = (ctypes.c_double() for _ in range(4))
        name, flags = ctypes.create_string_buffer(128), ctypes.c_int()
        pending_high = 0
        for i in range(count):
            code = raw.FPDFText_GetUnicode(handle, i)
            if 0xD800 <= code < 0xDC00:  # a surrogate pair's first half: joined with the second
                pending_high = code
                continue
            if 0xDC00 <= code < 0xE000 and pending_high:
                code = 0x10000 + ((pending_high - 0xD800) << 10) + (code - 0xDC00)
            pending_high = 0
            if code in (10, 13):
                if code == 10 and (line := make_line(chars, boxes, sizes, weights, fixed, bold)) is not None:
                    lines.append(line)
                if code == 10:
                    chars, boxes, sizes, weights, fixed, bold = [], [], [], [], [], []
                continue
            raw.FPDFText_GetCharBox(handle, i, left, right, bottom, top)
            box = (left.value, height - top.value, right.value, height - bottom.value)
            size = raw.FPDFText_GetFontSize(handle, i)
            jumped = bool(chars) and _jumps(boxes, sizes, box, size)
            if jumped and (line := make_line(chars, boxes, sizes, weights, fixed, bold)):
                lines.append(line)  # PDFium sometimes runs on from one column's last line into the next's first
                chars, boxes, sizes, weights, fixed, bold = [], [], [], [], [], []
            raw.FPDFText_GetFontInfo(handle, i, name, len(name), ctypes.byref(flags))
            chars.append(_symbol(chr(code), name.value))
            boxes.append(box)
            sizes.append(size)
            weights.append(float(raw.FPDFText_GetFontWeight(handle, i)))
            fixed.append(_monospace(name.value))
            bold.append(_bold(name.value))
        if (line := make_line(chars, boxes, sizes, weights, fixed, bold)) is not None:
            lines.append(line)
        return rejoin(lines)
    finally:
        textpage.close()


@lru_cache(maxsize=256)
def _bold(font: bytes) -> bool:
    """Whether a font, by its name, is a bold face."""
    return _BOLD.search(font.split(b"+")[-1]) is not None


def _symbol(char: str, font: bytes) -> str:
    """The character a glyph of a TeX math symbol font stands for, where PDFium gave its code's letter."""
    return _OMS_LETTERS.get(char, char) if "a" <= char <= "z" and _math_symbols(font) else char


@lru_cache(maxsize=256)
def _math_symbols(font: bytes) -> bool:
    return _MATH_SYMBOLS.search(font.split(b"+")[-1]) is not None


@lru_cache(maxsize=256)
def _monospace(font: bytes) -> bool:
    """Whether a font, by its name, is a typewriter face (code listings, commands, file names)."""
    return _MONOSPACE.search(font.split(b"+")[-1]) is not None
