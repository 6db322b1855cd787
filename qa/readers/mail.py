"""E-mail (``.eml``): the subject as heading, who and when, the plain-text body (or the HTML body's text), and
the attachments of supported types, which are indexed as documents of their own."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from qa.errors import DocumentError
from qa.readers.builder import Builder
from qa.types import Document


def read_eml(path: str, data: bytes) -> tuple[Document, list[tuple[str, bytes]]]:
    """The message as a document, and its attachments as ``(file name, bytes)``."""
    from qa.readers.html_text import html_to_text

    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
    except Exception as exc:  # the parser raises many kinds on hostile input
        raise DocumentError(path, f"is not a readable e-mail ({type(exc).__name__})") from exc
    if not isinstance(message, EmailMessage) or not (message["From"] or message["Subject"] or message["Date"]):
        raise DocumentError(path, "is not an e-mail (no From, Subject or Date header)")
    built = Builder()
    built.page()
    built.add(str(message["Subject"] or "(no subject)"), "heading")
    for name in ("From", "To", "Date"):
        if message[name]:
            built.add(f"{name}: {message[name]}")
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        content = body.get_content()
        if body.get_content_type() == "text/html":
            content = html_to_text(content.encode("utf-8"))
        for paragraph in content.replace("\r\n", "\n").split("\n\n"):
            built.add(paragraph.replace("\n", " "))
    attachments = []
    for part in message.iter_attachments():
        name = part.get_filename()
        payload = part.get_payload(decode=True)
        if name and isinstance(payload, bytes):
            attachments.append((name, payload))
    return built.document(path, "eml"), attachments
