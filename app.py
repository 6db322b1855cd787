"""Verbatim's web app (the page is laid out in ``qa/webapp.py``, its handlers are in ``qa/handlers.py``).

    python app.py [DOC...] [--index-dir DIR] [--host 127.0.0.1] [--port 7860] [--model minilm]

With no documents named and an empty index, it indexes the bundled article.
"""

from qa.webapp import main

if __name__ == "__main__":
    raise SystemExit(main())
