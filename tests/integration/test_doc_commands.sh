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
# the docs' postgresql:// lines run against a database of the test cluster
# (tests/tools/pg_cluster.sh; scripts/test.sh starts one)
[ -n "${TIANTI_TEST_PG:-}" ] || { echo "FAIL: TIANTI_TEST_PG is not set (eval \"\$(tests/tools/pg_cluster.sh start)\")"; exit 1; }
pg="$TIANTI_SOURCE_DIR/tests/tools/pg_cluster.sh"
dbname="doc_commands_$$"
DOC_PG_URI=$(bash "$pg" newdb "$dbname") || { echo "FAIL: cannot create a database on the test cluster"; exit 1; }
export DOC_PG_URI
trap 'bash "$pg" dropdb "$dbname" >/dev/null 2>&1; rm -rf "$work"' EXIT
/usr/bin/python3 "$TIANTI_SOURCE_DIR/tests/integration/doc_commands.py" "$TIANTI_BIN" "$TIANTI_SOURCE_DIR" "$work"
