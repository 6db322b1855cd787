"""Bytes to text for plain-text formats: UTF-8 (BOM or not), UTF-16 with BOM, else a stated fallback."""

from __future__ import annotations

import codecs

FALLBACK_ENCODING = "cp1252"
_CONTROL_OK = {"\t", "\n", "\r", "\f", "\v"}


class NotText(ValueError):
    """The bytes are not text in any encoding we accept."""


def decode_text(data: bytes) -> tuple[str, str, str | None]:
    """Return ``(text, encoding, warning)``; raise ``NotText`` for binary data.

    The text is the file as decoded, unchanged: offsets index it (a byte-order mark is not part of it).
    Bytes that are not UTF-8 are decoded as Windows-1252 (a superset of Latin-1 for text), with a warning.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise NotText(f"has a UTF-16 byte-order mark but is not valid UTF-16 ({exc.reason})") from exc
        return _checked(text), "utf-16", None
    if b"\x00" in data[:65536]:
        raise NotText("contains binary data (NUL bytes), not text")
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[3:] if bom else data
    try:
        return _checked(body.decode("utf-8")), "utf-8-sig" if bom else "utf-8", None
    except UnicodeDecodeError as exc:
        text = body.decode(FALLBACK_ENCODING, errors="replace")
        warning = f"not valid UTF-8 (byte {exc.start}); decoded as Windows-1252 instead"
        return _checked(text), FALLBACK_ENCODING, warning


def _checked(text: str) -> str:
    sample = text[:65536]
    if sample:
        controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in _CONTROL_OK)
        if controls / len(sample) > 0.05:
            raise NotText("looks like binary data (control characters), not text")
    return text
