#!/usr/bin/env bash
# Create .venv and install what Verbatim needs (once; again only when a requirements file changes).
#   bash scripts/setup.sh         the app and the library
#   bash scripts/setup.sh --dev   also what the tests need (and Debian's chromium for browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0
[ "${1:-}" = "--dev" ] && dev=1
python=${PYTHON:-python3}
# .venv is a link to a virtual environment kept outside the work tree (one per checkout), so that searches of
# the project's files never wander into third-party code.
if [ ! -e .venv ]; then
    home=${VERBATIM_VENV_HOME:-$HOME/.cache/verbatim/venvs}
    target="$home/$(pwd -P | sha256sum | cut -c1-12)"
    mkdir -p "$home"
    if [ ! -x "$target/bin/python" ]; then
        echo "setup: creating a virtual environment in $target" >&2
        "$python" -m venv "$target"
    fi
    ln -s "$target" .venv
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
# Debian packages: tesseract reads scanned pages (the app and the tests); chromium drives the browser tests.
debs=""
command -v tesseract >/dev/null && [ -n "$(tesseract --list-langs 2>/dev/null | grep -x eng)" ] \
    || debs="tesseract-ocr tesseract-ocr-eng"
[ "$dev" = 1 ] && [ ! -x /usr/bin/chromium ] && debs="$debs chromium"
if [ -n "$debs" ]; then
    echo "setup: installing Debian packages: ${debs# }" >&2
    sudo_cmd=""
    [ "$(id -u)" != 0 ] && sudo_cmd="sudo"
    if ! { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $debs >/dev/null; }; then
        [ "$dev" = 1 ] && exit 1
        echo "setup: could not install$debs; scanned pages will not be read (install them to read scans)" >&2
    fi
fi
