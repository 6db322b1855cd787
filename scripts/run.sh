#!/usr/bin/env bash
# Set up (if needed) and start the web app; with no documents named it serves the bundled article.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/python app.py "$@"
