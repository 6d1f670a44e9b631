#!/usr/bin/env bash
# test_doc_commands.sh — the command lines README.md and docs/*.md show
# work: tests/integration/doc_commands.py runs each (sizes cut, servers on
# free ports) and checks each synopsis against the command's --help.
set -u
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
[ -x /usr/bin/python3 ] || { echo "FAIL: /usr/bin/python3 missing (scripts/setup.sh --test installs it)"; exit 1; }
command -v curl >/dev/null || { echo "FAIL: curl missing (scripts/setup.sh installs it)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset TIANTI_DB TIANTI_TASKS
/usr/bin/python3 "$TIANTI_SOURCE_DIR/tests/integration/doc_commands.py" "$TIANTI_BIN" "$TIANTI_SOURCE_DIR" "$work"
