#!/usr/bin/env bash
# Integration: the request cache answers only for what really answered, and
# one run per identity lives at a time.
#  (1) the same weights path with new weights (tianti quantize over it) gets
#      fresh answers: nothing from the cache, the requests sent again;
#  (2) the same openai:NAME behind another base URL (a second server) gets
#      fresh answers; behind the first again, all from the cache;
#  (3) a second `tianti run` with the same arguments while the first is
#      live exits 1 naming the first's pid and --wait; with --wait it waits
#      for the first and then finishes; after the first is killed with
#      SIGKILL, the next one takes the run over, saying so, and resumes it.
# Uses the built-in model (in the tree) and tests/tools/fault_server.py on
# 127.0.0.1; fails without python3 or sqlite3 (scripts/setup.sh installs them).
set -euo pipefail
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
[ -x /usr/bin/python3 ] || { echo "FAIL: /usr/bin/python3 missing (scripts/setup.sh --test installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 missing (scripts/setup.sh --test installs it)"; exit 1; }
model="$TIANTI_SOURCE_DIR/models/tianti-tiny.gguf"
[ -f "$model" ] || { echo "FAIL: $model is missing (it is in the tree)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
# "N from cache, M sent" summed over the tasks of a -v run's log
counts() { grep -o '[0-9]* from cache, [0-9]* sent' "$1" | awk '{c+=$1; s+=$4} END {print c+0, s+0}'; }

# (1) new weights under the same path
cp "$model" m.gguf
args=(run --task demo_facts_gen --tasks-dir "$TIANTI_SOURCE_DIR/tasks" --model glm:m.gguf --limit 4 --threads 1 --db w.db -q -v)
"$TIANTI_BIN" "${args[@]}" > /dev/null 2> e1.txt
read -r c s < <(counts e1.txt)
[ "$c" = 0 ] && [ "$s" = 4 ] || { cat e1.txt; fail "first run: $c from cache, $s sent (want 0, 4)"; }
"$TIANTI_BIN" "${args[@]}" > /dev/null 2> e2.txt
read -r c s < <(counts e2.txt)
[ "$c" = 4 ] && [ "$s" = 0 ] || { cat e2.txt; fail "same weights: $c from cache, $s sent (want 4, 0)"; }
"$TIANTI_BIN" quantize "$model" m2.gguf --type q8_0 > /dev/null
touch -r m.gguf m2.gguf
mv m2.gguf m.gguf
"$TIANTI_BIN" "${args[@]}" > /dev/null 2> e3.txt
read -r c s < <(counts e3.txt)
[ "$c" = 0 ] && [ "$s" = 4 ] || { cat e3.txt; fail "new weights under the same path: $c from cache, $s sent (want 0, 4)"; }
[ "$(sqlite3 w.db "select count(*) from file_hashes")" = 1 ] || fail "the weights' hash is not kept in the store"

# (2) the same openai: name behind two servers
start_server() {   # sets port; not run in $( ) so that its pid reaches pids here
  /usr/bin/python3 "$TIANTI_SOURCE_DIR/tests/tools/fault_server.py" --port 0 > "$1" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 50); do grep -q PORT "$1" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/PORT //p' "$1")
}
start_server a.out
pa=$port
start_server b.out
pb=$port
[ -n "$pa" ] && [ -n "$pb" ] || fail "fault servers did not start"
oargs=(run --task demo_facts_gen --tasks-dir "$TIANTI_SOURCE_DIR/tasks" --model openai:echo --limit 4 --db o.db -q -v)
"$TIANTI_BIN" "${oargs[@]}" --model_args "base_url=http://127.0.0.1:$pa/clean/v1" > /dev/null 2> o1.txt || true
read -r c s < <(counts o1.txt)
[ "$s" = 4 ] || { cat o1.txt; fail "server A: $s sent (want 4)"; }
"$TIANTI_BIN" "${oargs[@]}" --model_args "base_url=http://127.0.0.1:$pb/clean/v1" > /dev/null 2> o2.txt || true
read -r c s < <(counts o2.txt)
[ "$c" = 0 ] && [ "$s" = 4 ] || { cat o2.txt; fail "server B: $c from cache, $s sent (want 0, 4): answered from A's cache"; }
OPENAI_BASE_URL="http://127.0.0.1:$pa/clean/v1" "$TIANTI_BIN" "${oargs[@]}" > /dev/null 2> o3.txt || true
read -r c s < <(counts o3.txt)
[ "$c" = 4 ] && [ "$s" = 0 ] || { cat o3.txt; fail "server A again (through OPENAI_BASE_URL): $c from cache, $s sent (want 4, 0)"; }

# (3) one live run per identity
# a random-weight model of the 90 M bench shape cut to two layers: about a
# second a run at one thread, so the first run is still live when the
# second starts (the shipped model answers in a tenth of that, in batches)
"$TIANTI_BIN" synth slow.gguf --shape bench-90m --type q8_0 --layers 2 > /dev/null
largs=(run --task demo_facts_mc_en --task demo_arith --model "glm:$work/slow.gguf" --db l.db --tasks-dir "$TIANTI_SOURCE_DIR/tasks" --limit 60 --threads 1 -q)
wait_cached() {   # until the first run has answers in the cache
  for _ in $(seq 1 400); do
    n=$(sqlite3 l.db "select count(*) from request_cache" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge "$1" ] && return 0
    sleep 0.05
  done
  fail "the first run cached nothing"
}
"$TIANTI_BIN" "${largs[@]}" > a.json 2> a.err &
apid=$!
pids+=($apid)
wait_cached 5
set +e
"$TIANTI_BIN" "${largs[@]}" > /dev/null 2> b.err
rc=$?
set -e
[ "$rc" = 1 ] || { cat b.err; fail "a second run of a live one: exit $rc, want 1"; }
grep -q "live in pid $apid" b.err || { cat b.err; fail "the refusal does not name pid $apid"; }
grep -q -- "--wait" b.err || { cat b.err; fail "the refusal does not name --wait"; }
"$TIANTI_BIN" "${largs[@]}" --wait > c.json 2> c.err &
cpid=$!
pids+=($cpid)
for _ in $(seq 1 100); do grep -q "waiting for pid $apid" c.err && break; sleep 0.05; done
grep -q "waiting for pid $apid" c.err || { cat c.err; fail "--wait does not say what it waits for"; }
wait $apid || fail "the first run failed: $(cat a.err)"
wait $cpid || fail "the waiting run failed: $(cat c.err)"
grep -q "the other run has ended" c.err || { cat c.err; fail "--wait did not go on after the first run"; }
[ "$(sqlite3 l.db "select count(*) from run_leases")" = 0 ] || fail "a finished run left its lease"

# killed: the next one takes over at once (same host, pid gone) and resumes
rm -f l.db
"$TIANTI_BIN" "${largs[@]}" > /dev/null 2>&1 &
kpid=$!
pids+=($kpid)
wait_cached 5
kill -9 $kpid
wait $kpid 2>/dev/null || true
"$TIANTI_BIN" "${largs[@]}" > /dev/null 2> d.err || { cat d.err; fail "the run after a kill failed"; }
grep -q "taking over the run left by pid $kpid" d.err || { cat d.err; fail "no take-over message"; }
grep -q "that process is gone" d.err || { cat d.err; fail "the take-over does not say why"; }
grep -q "resuming run 1" d.err || { cat d.err; fail "the killed run was not resumed"; }
echo "ok: fresh answers for new weights and another server; one live run per identity (refuse, --wait, take over)"
