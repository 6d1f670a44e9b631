#!/usr/bin/env bash
# Integration: `tianti run` end to end with the replay engine on a toy suite:
# exact scores, samples and metrics in the store, the cache on a second run,
# JSON output in lm-evaluation-harness's shape, and clear errors for a
# malformed task file, an unknown model kind and a missing capability.
set -euo pipefail
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
data="$TIANTI_SOURCE_DIR/tests/data/run"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$TIANTI_BIN" run --suite "$data/toy.suite.json" --model "replay:$data/replay.jsonl" --db t.db -o out -q > table.txt
grep -q "toy_mc" table.txt || fail "table has no toy_mc row"
# toy_mc: doc 0 right (-1 > -2), doc 1 wrong (green -2 > blue -3): acc 0.5, stderr sqrt(0.5/2)=0.5
python3 - "$work/out/results.json" <<'PY'
import json, sys, math
docs = json.load(open(sys.argv[1]))
d = docs[0]
r = d["results"]
assert abs(r["toy_mc"]["acc,none"] - 0.5) < 1e-12, r
assert abs(r["toy_mc"]["acc_stderr,none"] - 0.5) < 1e-12, r
assert r["toy_gen"]["exact_match,strip"] == 1.0, r
for key in ("results", "groups", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config", "date"):
    assert key in d, key
assert d["n-samples"]["toy_mc"] == {"original": 2, "effective": 2}
assert d["higher_is_better"]["toy_mc"]["acc"] is True
PY
[ "$(sqlite3 t.db 'select count(*) from samples')" = 4 ] || fail "expected 4 samples"
[ "$(sqlite3 t.db "select count(*) from runs where status='finished'")" = 1 ] || fail "run not finished"
[ "$(sqlite3 t.db 'select count(*) from request_cache')" = 6 ] || fail "expected 6 cached requests"
[ "$(cat out/samples_*.jsonl | wc -l)" = 4 ] || fail "expected 4 lines of samples"

# Second run: everything comes from the cache (-v prints the counts).
"$TIANTI_BIN" run --suite "$data/toy.suite.json" --model "replay:$data/replay.jsonl" --db t.db -q -v 2> err.txt > /dev/null
grep -q "4 from cache, 0 sent" err.txt || { cat err.txt; fail "second run did not use the cache"; }

# JSON format on stdout, single model -> one document.
"$TIANTI_BIN" run --task "$data/mc.json" --model "replay:$data/replay.jsonl" --db t.db -q --format json > r.json
python3 -c 'import json,sys; d=json.load(open("r.json")); assert d["results"]["toy_mc"]["acc,none"]==0.5'

# Malformed task file: exit 1, message names file, line and field.
runs_before=$(sqlite3 t.db "select count(*) from runs")
set +e
"$TIANTI_BIN" run --task "$data/bad.json" --model "replay:$data/replay.jsonl" --db t.db -q 2> err.txt
rc=$?
set -e
[ $rc = 1 ] || fail "bad task file: exit $rc"
grep -q "bad.json:[0-9]*.*num_fewshot" err.txt || { cat err.txt; fail "bad task error does not name file, line and field"; }
[ "$(sqlite3 t.db "select count(*) from runs")" = "$runs_before" ] || fail "a failed load left a run behind"

# Unknown engine kind: usage error (2).
set +e
"$TIANTI_BIN" run --task "$data/mc.json" --model "nosuch:x" --db t.db -q 2> err.txt
rc=$?
set -e
[ $rc = 2 ] || { cat err.txt; fail "unknown engine: exit $rc"; }

# A replay of log-likelihoods only cannot answer generation: skipped, said clearly.
grep -v generate "$data/replay.jsonl" > ll_only.jsonl
"$TIANTI_BIN" run --suite "$data/toy.suite.json" --model "replay:ll_only.jsonl" --db t.db -q 2> err.txt > out.txt
grep -q "cannot run task 'toy_gen': it needs generate" err.txt || { cat err.txt; fail "missing capability not reported"; }
grep -q "toy_mc" out.txt || fail "toy_mc should still be scored"
# Generative fallback: a generation-only model answers a multiple-choice task
# that allows it by a letter (doc 0: " B. 4" -> B, right) or a choice text
# (doc 1: "It is green" -> green, wrong), labelled letter_fallback.
"$TIANTI_BIN" run --task "$data/mc_fallback.json" --model "replay:$data/replay_gen_only.jsonl" --db t.db -q --format json > fb.json 2> err.txt
grep -q "scored as 'acc,letter_fallback'" err.txt || { cat err.txt; fail "fallback not announced"; }
python3 -c 'import json; r=json.load(open("fb.json"))["results"]["toy_mc_fb"]; assert r["acc,letter_fallback"]==0.5 and "acc,none" not in r, r'
# Without the task's permission the same model is skipped.
"$TIANTI_BIN" run --suite "$data/toy.suite.json" --model "replay:$data/replay_gen_only.jsonl" --db t.db -q 2> err.txt > /dev/null || true
grep -q "cannot run task 'toy_mc': it needs loglikelihood" err.txt || { cat err.txt; fail "mc without fallback should be skipped"; }
# Image questions go only to engines with the image capability.
set +e
"$TIANTI_BIN" run --task image_demo --tasks-dir "$TIANTI_SOURCE_DIR/tasks" --model "replay:$data/replay.jsonl" --db t.db -q 2> err.txt > /dev/null
set -e
grep -q "cannot run task 'image_demo': it needs chat,image" err.txt || { cat err.txt; fail "image task should be refused for a model without images"; }
echo "ok: run with replay"
