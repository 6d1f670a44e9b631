#!/usr/bin/env bash
# test_page_assets.sh — arena/page.c must be what scripts/embed_assets.py
# makes from arena/assets/ (someone edited a page file without regenerating).
set -u
SRC=${TIANTI_SOURCE_DIR:?TIANTI_SOURCE_DIR not set}
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "FAIL: python3 not installed (scripts/setup.sh --test installs it)"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" "$SRC/scripts/embed_assets.py" "$TMP/page.c" || { echo "FAIL: embed_assets.py"; exit 1; }
cmp -s "$TMP/page.c" "$SRC/arena/page.c" || { echo "FAIL: arena/page.c is stale; run scripts/embed_assets.py"; exit 1; }
echo "ok"
