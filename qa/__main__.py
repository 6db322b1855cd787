"""``python -m qa``: see ``qa.cli``."""

from qa.cli import main

raise SystemExit(main())
