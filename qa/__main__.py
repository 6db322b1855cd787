"""``python -m qa``: see ``qa.cli``. Run with a Python that lacks the packages, it hands over to the
project's ``.venv`` (made by ``bash scripts/setup.sh``) when there is one."""

import os
import sys
from pathlib import Path


def _python_with_packages() -> None:
    try:
        import faiss  # noqa: F401
        import numpy  # noqa: F401
    except ImportError:
        venv = Path(__file__).resolve().parent.parent / ".venv"
        python = venv / "bin" / "python"
        if python.exists() and Path(sys.prefix).resolve() != venv.resolve():
            os.execv(str(python), [str(python), "-m", "qa", *sys.argv[1:]])
        print("error: Verbatim's packages are not installed: run bash scripts/setup.sh", file=sys.stderr)
        raise SystemExit(1) from None


_python_with_packages()

from qa.cli import main  # noqa: E402

raise SystemExit(main())
