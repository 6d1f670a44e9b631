#!/usr/bin/env bash
# Integration: `tianti bench` on the shipped tiny model at all four
# precisions (small -p/-n/-r, one thread, so it stays well under a minute):
# every figure present and positive, smaller types give smaller files,
# weights and peak resident memory, one stored row per test; then an
# external server (`tianti serve`) benched through --launch (memory of the
# launched tree measured) and without it (client side only, said so), and a
# launch command that never answers fails with a clear message.
set -euo pipefail
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
model="${TIANTI_BENCH_MODEL:-$TIANTI_SOURCE_DIR/models/tianti-tiny.gguf}"
[ -f "$model" ] || { echo "FAIL: no model at '$model' (models/tianti-tiny.gguf is in the tree)" >&2; exit 1; }
case "$model" in /*) ;; *) model="$PWD/$model" ;; esac
work=$(mktemp -d "${TIANTI_BUILD_DIR:-${TMPDIR:-/tmp}}/test_bench.XXXXXX")
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export TMPDIR="$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- built-in engine, four precisions ----
"$TIANTI_BIN" bench --model "glm:$model" -p 16 -n 8 -r 2 --threads 1 -f json --db b.db -q > four.json \
    || fail "bench of the four precisions failed"
python3 - four.json <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["machine"]["read_bandwidth_bytes_per_s"] > 0, doc["machine"]
rs = doc["results"]
assert [r["precision"] for r in rs] == ["f32", "f16", "q8_0", "q4_0"], [r["precision"] for r in rs]
for r in rs:
    assert r["error"] is None, r
    assert r["memory_measured"] is True, r
    for k in ("file_bytes", "n_params", "peak_rss_bytes", "weights_bytes", "kv_bytes", "scratch_bytes",
              "weight_bytes_per_token", "load_s", "tg_bound_tokens_per_s", "tg_fraction_of_bound", "threads"):
        assert r[k] is not None and r[k] > 0, (r["precision"], k, r[k])
    for k in ("pp", "tg", "ttft_s"):
        assert r[k]["mean"] > 0 and r[k]["stddev"] >= 0 and r[k]["repetitions"] == 2, (k, r[k])
    assert r["pp"]["n_tokens"] == 16 and r["tg"]["n_tokens"] == 8, r
    assert all(x > 0 for x in r["pp"]["samples"] + r["tg"]["samples"]), r
    assert r["threads"] == 1, r
# smaller types: smaller files, weights and peak resident memory
for a, b in zip(rs, rs[1:]):
    for k in ("file_bytes", "weights_bytes", "peak_rss_bytes", "weight_bytes_per_token"):
        assert a[k] > b[k], (k, a["precision"], a[k], b["precision"], b[k])
    assert a["n_params"] == b["n_params"]
PY
[ "$(sqlite3 b.db "select count(*) from bench_results")" = 16 ] || fail "expected 16 stored rows (4 precisions x 4 tests)"
[ "$(sqlite3 b.db "select group_concat(test) from (select test from bench_results where precision='q4_0' order by id)")" \
  = "load,ttft,pp16,tg8" ] || fail "q4_0 rows are not load, ttft, pp16, tg8"
sqlite3 b.db "select machine_json from bench_results where test='tg8' limit 1" | grep -q '"fraction_of_bound"' \
    || fail "tg row lacks the bandwidth bound"

# table output names the bandwidth and the bound
"$TIANTI_BIN" bench --model "glm:$model@q4_0" -p 8 -n 4 -r 1 --threads 1 --no-store -q > table.txt
grep -q "read bandwidth" table.txt || fail "table does not print the bandwidth"
grep -q "tg bound" table.txt || fail "table does not print the bound"

# ---- accuracy per precision in the same command ----
tasks_dir="${TIANTI_BENCH_TASKS_DIR:-$TIANTI_SOURCE_DIR/tasks}"
[ -f "$tasks_dir/demo/demo_facts_mc_en.json" ] || fail "no demo tasks at '$tasks_dir' (tasks/demo is in the tree)"
{
    "$TIANTI_BIN" bench --model "glm:$model" --precision f32,q4_0 -p 8 -n 4 -r 1 --threads 1 -f json --db t.db -q \
        --task demo_facts_mc_en --limit 8 --tasks-dir "$tasks_dir" > task.json 2> task.err \
        || { cat task.err >&2; fail "bench with --task failed"; }
    python3 - task.json <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
assert [r["precision"] for r in rs] == ["f32", "q4_0"], rs
for r in rs:
    a = r.get("accuracy")
    assert a and a["task"] == "demo_facts_mc_en" and a["metric"] == "acc,none", r
    assert 0 <= a["value"] <= 1 and a["stderr"] is not None, a
    assert r["peak_rss_bytes"] > 0 and r["tg"]["mean"] > 0, r
assert rs[0]["peak_rss_bytes"] > rs[1]["peak_rss_bytes"], "the task must not inflate the next precision's memory"
PY
    [ "$(sqlite3 t.db "select count(*) from bench_results where test='task:demo_facts_mc_en'")" = 2 ] \
        || fail "expected 2 task rows in bench_results"
    [ "$(sqlite3 t.db "select count(distinct model_id) from metrics")" = 2 ] || fail "expected metrics of 2 models"
}

# ---- what cannot fit is refused with the planner's numbers ----
# TIANTI_MEM_LIMIT stands in for a small machine: f32 (the file's own type)
# and f16 (to be converted: refused before any copy is written) need more
# than 4 MB, q4_0 fits and is measured; the run exits 1.
set +e
TIANTI_MEM_LIMIT=4M "$TIANTI_BIN" bench --model "glm:$model" --precision f32,f16,q4_0 -p 8 -n 4 -r 1 --threads 1 \
    -f json --no-store -q > limit.json 2> limit.err
rc=$?
set -e
[ "$rc" = 1 ] || { cat limit.err >&2; fail "a precision that cannot fit exits $rc, not 1"; }
python3 - limit.json <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
assert [r["precision"] for r in rs] == ["f32", "f16", "q4_0"], rs
for r in rs[:2]:
    e = r["error"] or ""
    assert "needs" in e and "TIANTI_MEM_LIMIT allows 4.0 MB" in e and "weights" in e, e
assert rs[2]["error"] is None and rs[2]["tg"]["mean"] > 0, rs[2]
PY
ls "$work"/tianti-bench-* >/dev/null 2>&1 && fail "a converted copy was left behind"

# ---- tianti serve through --launch ----
port=$(free_port)
"$TIANTI_BIN" bench --model openai:tiny --base-url "http://127.0.0.1:$port/v1" \
    --launch "'$TIANTI_BIN' serve --model 'glm:$model@{precision}' --port $port --threads 1" \
    --precision q4_0 -p 16 -n 32 -r 3 -f json --db b.db -q --launch-timeout 60 > served.json \
    || fail "bench of tianti serve through --launch failed"
python3 - served.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
assert len(r) == 1, r
r = r[0]
assert r["error"] is None and r["precision"] == "q4_0", r
assert r["memory_measured"] is True and r["peak_rss_bytes"] > 1 << 20, r
assert r["load_s"] > 0 and r["ttft_s"]["mean"] > 0 and r["pp"]["mean"] > 0, r
# client side, generation speed needs replies of 8+ tokens; the tiny model may stop sooner
assert (r["tg"] and r["tg"]["mean"] > 0) or "under 8 tokens" in r["note"], r
assert "launched process tree" in r["note"], r
PY

# ---- an already running server: client side only ----
port=$(free_port)
"$TIANTI_BIN" serve --model "glm:$model@q8_0" --port "$port" --threads 1 > serve.log 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    curl -s "http://127.0.0.1:$port/health" > /dev/null 2>&1 && break
    sleep 0.1
done
"$TIANTI_BIN" bench --model openai:tiny --base-url "http://127.0.0.1:$port/v1" -p 16 -n 8 -r 2 --no-store -q \
    > client.txt || fail "client-side bench failed"
grep -q "memory not measured" client.txt || fail "client-side bench does not say memory was not measured"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=

# ---- a launch command that never answers ----
port=$(free_port)
set +e
"$TIANTI_BIN" bench --model openai:tiny --base-url "http://127.0.0.1:$port/v1" --launch "sleep 30" \
    --launch-timeout 1 -p 8 -n 4 -r 1 --no-store -q > never.txt 2> never.err
status=$?
set -e
[ "$status" = 1 ] || fail "a launch that never answers should exit 1, got $status"
grep -q "did not answer on 'http://127.0.0.1:$port/health' within 1 s" never.err || { cat never.err >&2; fail "unclear timeout message"; }
echo "ok"
