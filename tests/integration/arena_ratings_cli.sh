#!/usr/bin/env bash
# arena_ratings_cli.sh — `tianti arena import/export` and `tianti ratings`
# as deployed: import the committed synthetic battles into a fresh store,
# rate them (table, JSON, CSV, matrix), check the ratings table, export and
# re-import, and check exit codes and messages for bad input.
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
SRC=${TIANTI_SOURCE_DIR:?TIANTI_SOURCE_DIR not set}
DATA=$SRC/tests/data/arena/synthetic.jsonl
command -v sqlite3 >/dev/null || { echo "FAIL: the sqlite3 command-line tool is not installed (scripts/setup.sh --test installs it)"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BIN" arena import "$DATA" --db "$TMP/a.db" --source human >"$TMP/out" || fail "import"
grep -q "imported 2000 battles" "$TMP/out" || fail "import count: $(cat "$TMP/out")"

"$BIN" ratings --db "$TMP/a.db" --bootstrap 50 --seed 3 >"$TMP/table" || fail "ratings table"
head -2 "$TMP/table" | grep -q "gpt-x" || fail "top model: $(head -3 "$TMP/table")"
[ "$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM ratings WHERE method='bt' AND bootstrap_rounds=50 AND seed=3")" = 8 ] \
    || fail "ratings table rows"

"$BIN" ratings --db "$TMP/a.db" --bootstrap 50 --seed 3 --format json >"$TMP/j1" || fail "json"
"$BIN" ratings --db "$TMP/a.db" --bootstrap 50 --seed 3 --format json --threads 1 >"$TMP/j2" || fail "json 1 thread"
cmp -s "$TMP/j1" "$TMP/j2" || fail "bootstrap differs between thread counts"
grep -q '"model": "gpt-x"' "$TMP/j1" || fail "json content"

"$BIN" ratings --db "$TMP/a.db" --source judge >"$TMP/none" 2>"$TMP/err" || fail "empty source"
grep -q "no rated battles" "$TMP/err" || fail "empty source message"

"$BIN" ratings --battles "$DATA" --method elo --bootstrap 0 --format csv >"$TMP/csv" || fail "elo csv"
[ "$(head -1 "$TMP/csv")" = "rank,model,rating,lower,upper,battles" ] || fail "csv header"
[ "$(wc -l <"$TMP/csv")" = 9 ] || fail "csv rows"

"$BIN" ratings --battles "$DATA" --matrix --format json >"$TMP/m" || fail "matrix"
grep -q "null" "$TMP/m" || fail "never-met pair must be null"

"$BIN" arena export "$TMP/exp.jsonl" --db "$TMP/a.db" 2>/dev/null || fail "export"
[ "$(wc -l <"$TMP/exp.jsonl")" = 2000 ] || fail "export lines"
"$BIN" ratings --battles "$TMP/exp.jsonl" --bootstrap 0 --format csv >"$TMP/csv2" || fail "re-rate export"
"$BIN" ratings --battles "$DATA" --bootstrap 0 --format csv >"$TMP/csv1" || fail "rate original"
cmp -s "$TMP/csv1" "$TMP/csv2" || fail "export changed the ratings"

printf '{"model_a":"a","model_b":"b","winner":"model_a"}\n{"model_a":"a","model_b":"b","winner":"A"}\n' >"$TMP/bad.jsonl"
"$BIN" arena import "$TMP/bad.jsonl" --db "$TMP/a.db" 2>"$TMP/err"; rc=$?
[ $rc = 1 ] || fail "bad file exit $rc"
grep -q "bad.jsonl:2: field 'winner'" "$TMP/err" || fail "bad file message: $(cat "$TMP/err")"
[ "$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM battles")" = 2000 ] || fail "bad import must add nothing"

"$BIN" ratings --method glicko 2>/dev/null; [ $? = 2 ] || fail "usage error exit"
"$BIN" ratings --anchor nobody=1000 --db "$TMP/a.db" 2>"$TMP/err"; [ $? = 1 ] || fail "unknown anchor exit"
grep -q "'nobody'" "$TMP/err" || fail "anchor message"
"$BIN" arena frobnicate 2>/dev/null; [ $? = 2 ] || fail "unknown arena subcommand"
echo "ok"
