#!/usr/bin/env bash
# Integration: a run killed with SIGKILL in the middle resumes where it
# stopped. The second invocation with the same arguments finds the
# unfinished run, gets every answer the first one stored from the request
# cache (none is asked again), finishes, and leaves exactly one sample per
# document. Runs a random-weight model of the 90 M bench shape cut to two
# layers (`tianti synth`, 31 MB, written here): about a second a run at one
# thread, long enough to be killed half way (the shipped 2 M model answers
# the same requests in a tenth of that, in batches).
set -euo pipefail
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
"$TIANTI_BIN" synth slow.gguf --shape bench-90m --type q8_0 --layers 2 > /dev/null
args=(run --task demo_facts_mc_en --task demo_arith --model "glm:$work/slow.gguf" --db r.db --tasks-dir "$TIANTI_SOURCE_DIR/tasks" --limit 40 --threads 1 -q)

# Reference: the same run, uninterrupted, in its own database.
"$TIANTI_BIN" "${args[@]}" --db ref.db --format json > ref.json

"$TIANTI_BIN" "${args[@]}" --format json > /dev/null 2>&1 &
pid=$!
# Wait until some answers are cached, then kill without warning.
for _ in $(seq 1 200); do
  n=$(sqlite3 r.db "select count(*) from request_cache" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 20 ] && break
  sleep 0.05
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
cached=$(sqlite3 r.db "select count(*) from request_cache")
status=$(sqlite3 r.db "select status from runs")
echo "killed with $cached answers cached, run status '$status'"
[ "$status" = running ] || fail "killed run should be left 'running', is '$status'"
[ "$cached" -gt 0 ] || fail "nothing was cached before the kill"

"$TIANTI_BIN" "${args[@]}" -v --format json > resumed.json 2> err.txt
grep -q "resuming run 1" err.txt || { cat err.txt; fail "second invocation did not resume run 1"; }
[ "$(sqlite3 r.db "select count(*) from runs")" = 1 ] || fail "resume created a new run"
[ "$(sqlite3 r.db "select status from runs")" = finished ] || fail "resumed run not finished"
hits=$(grep -o '[0-9]* from cache' err.txt | awk '{s+=$1} END {print s}')
[ "$hits" -ge "$cached" ] || { cat err.txt; fail "only $hits cache hits for $cached cached answers"; }
[ "$(sqlite3 r.db "select count(*) from samples")" = 80 ] || fail "expected 80 samples (2 tasks x 40)"
[ "$(sqlite3 r.db "select count(*) from (select doc_id, task_id from samples group by run_id, model_id, task_id, doc_id having count(*) > 1)")" = 0 ] || fail "duplicated samples"
# Same scores as the uninterrupted run.
python3 - ref.json resumed.json <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))[0]["results"]; b = json.load(open(sys.argv[2]))[0]["results"]
assert a == b, (a, b)
PY
echo "ok: resumed after kill -9 with $hits cache hits"
