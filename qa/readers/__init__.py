"""The first stage: files to ``Document``s (text, pages, lines, blocks, character boxes).

``loaders`` picks a reader by a file's type and checks its content; ``decoding`` and ``html_text`` read plain
text and HTML; ``office``, ``mail`` and ``epub`` read slides, sheets, OpenDocument, e-mail and e-books through
``builder``; ``pdf`` (PDFium) and ``ocr`` (tesseract) give a page as ``lines``, which ``layout`` orders and
cleans, ``row_labels`` mends and ``paragraphs`` writes out as text.
"""
