#!/usr/bin/env bash
# Create .venv and install what Verbatim needs (once; again only when a requirements file changes).
#   bash scripts/setup.sh         the app and the library
#   bash scripts/setup.sh --dev   also what the tests need (and Debian's chromium for browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0
[ "${1:-}" = "--dev" ] && dev=1
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv" >&2
    "$python" -m venv .venv
fi
files=requirements.txt
[ "$dev" = 1 ] && files="requirements.txt requirements-dev.txt"
stamp=".venv/.installed-$(cat $files | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "setup: installing Python packages into .venv (about a minute the first time)" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet "torch==2.13.0"   # first, so nothing pulls a CUDA build
    # shellcheck disable=SC2086
    .venv/bin/python -m pip install --quiet $(printf -- '-r %s ' $files)
    touch "$stamp"
fi
if [ "$dev" = 1 ] && [ ! -x /usr/bin/chromium ]; then
    echo "setup: installing Debian's chromium for the browser tests" >&2
    sudo_cmd=""
    [ "$(id -u)" != 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
