"""The app's boundaries: loopback by default, a password when asked, only its own files served, few kept."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

from qa.access.gate import Access, OneUser
from qa.webapp import exposure
from tests.app_server import running_app
from tests.conftest import ARTICLE


def test_listening_beyond_loopback_needs_sign_in_or_no_auth() -> None:
    open_gate, signed = Access(None), Access(OneUser("admin", "s3cret-pass"))
    assert exposure("127.0.0.1", open_gate, False) is None
    assert exposure("localhost", open_gate, False) is None
    assert exposure("::1", open_gate, False) is None
    assert "refusing to serve on 0.0.0.0 without sign-in" in (exposure("0.0.0.0", open_gate, False) or "")
    assert "python -m qa users add" in (exposure("192.168.1.5", open_gate, False) or "")
    assert exposure("0.0.0.0", signed, False) is None
    assert exposure("0.0.0.0", open_gate, True) is None


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_password_and_file_serving(tmp_path: Path) -> None:
    from gradio_client import Client

    doc = tmp_path / "article.txt"
    shutil.copy(ARTICLE, doc)
    env = {"VERBATIM_PASSWORD": "correct horse", "VERBATIM_USER": "reader"}
    with running_app(tmp_path / "index", str(doc), env=env) as url:
        assert status_of(f"{url}config") == 401, "nothing is served before the login"
        assert status_of(f"{url}gradio_api/info") == 401
        client = Client(url, auth=("reader", "correct horse"), verbose=False, analytics_enabled=False,
                        download_files=False)  # fmt: skip
        assert client.predict("care homes", 1, api_name="/search")["passages"]
    with running_app(tmp_path / "index2", str(doc)) as url:
        text = next((tmp_path / "index2" / "texts").glob("*.txt"))
        for path in ["/etc/passwd", str(text), str(doc), str(Path(__file__).resolve())]:
            assert status_of(f"{url}gradio_api/file={path}") in (403, 404), path


def test_markdown_exports_stay_few_and_go_with_the_app() -> None:
    import gc

    from qa.handlers import Exports

    exports = Exports(kept=3)
    paths = [exports.write(f"# Verbatim answers\n\nchat {n}\n") for n in range(5)]
    assert paths[-1].read_text(encoding="utf-8") == "# Verbatim answers\n\nchat 4\n"
    assert exports.write("# Verbatim answers\n\nchat 4\n") == paths[-1]  # the same chat: the same file
    assert len(list(exports.folder.iterdir())) == 3 and not paths[0].exists()
    folder = exports.folder
    del exports
    gc.collect()
    assert not folder.exists()
