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
# --output as lm-eval's EvaluationTracker (lm_eval/loggers/evaluation_tracker.py):
# OUT/<sanitize_model_name(model)>/results_<datetime.now().isoformat() with
# ':' -> '-'>.json, one model's document, so json.load(f)["results"] works;
# samples_<task>_<same date>.jsonl beside it. Expected values follow lm-eval:
# toy_mc doc 0 right (-1 > -2), doc 1 wrong (green -2 > blue -3): acc 0.5,
# mean_stderr sqrt(0.5/2) = 0.5 (lm_eval/api/metrics.py); the suite "toy" is
# listed under "results" and "groups" (lm_eval/evaluator_utils.py
# EvalAcc.collect), its n-shot and higher_is_better propagated from the
# members (_propagate_num_fewshot, _propagate_higher_is_better), its
# sample_len their total; versions as the task files give them (1.0 stays
# a number, "1" a string; a suite without one: None).
python3 - "$work/out" "replay:$data/replay.jsonl" <<'PY'
import glob, json, math, os, re, sys
out, model = sys.argv[1], sys.argv[2]
sane = re.sub(r"[\"<>:/|\\?*\[\]]+", "__", model)   # lm_eval/utils.py sanitize_model_name
files = glob.glob(os.path.join(out, sane, "results_*.json"))
assert len(files) == 1, (os.listdir(out), sane)
date_id = re.fullmatch(r"results_(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(?:\.\d{6})?)\.json", os.path.basename(files[0]))
assert date_id, files
with open(files[0]) as f:
    d = json.load(f)
r = d["results"]
assert abs(r["toy_mc"]["acc,none"] - 0.5) < 1e-12, r
assert abs(r["toy_mc"]["acc_stderr,none"] - 0.5) < 1e-12, r
assert abs(r["toy_mc"]["acc_norm,none"] - 0.5) < 1e-12, r
assert r["toy_mc"]["alias"] == "toy_mc" and r["toy_mc"]["name"] == "toy_mc" and r["toy_mc"]["sample_len"] == 2, r
assert r["toy_gen"]["exact_match,strip"] == 1.0, r
for key in ("results", "groups", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better",
            "n-samples", "config", "date", "git_hash", "model_name", "model_name_sanitized"):
    assert key in d, key
assert "toy" in r and "toy" in d["groups"], (list(r), d["groups"])
assert r["toy"]["sample_len"] == 4 and r["toy"]["name"] == "toy", r["toy"]
assert d["group_subtasks"]["toy"] == ["toy_mc", "toy_gen"], d["group_subtasks"]
assert d["versions"]["toy_mc"] == 1.0 and isinstance(d["versions"]["toy_mc"], float), d["versions"]
assert d["versions"]["toy_gen"] == "1" and d["versions"]["toy"] is None, d["versions"]
assert d["n-shot"] == {"toy_mc": 0, "toy_gen": 0, "toy": 0}, d["n-shot"]
assert d["higher_is_better"]["toy"] == {"acc": True, "acc_norm": True, "exact_match": True}, d["higher_is_better"]
assert d["n-samples"]["toy_mc"] == {"original": 2, "effective": 2}
assert d["higher_is_better"]["toy_mc"]["acc"] is True
assert d["model_name_sanitized"] == sane and d["model_name"] == model, d["model_name"]
assert d["config"]["fewshot_seed"] == 1234 and d["config"]["limit"] is None, d["config"]
assert isinstance(d["total_evaluation_time_seconds"], str)
for task in ("toy_mc", "toy_gen"):
    s = os.path.join(out, sane, "samples_%s_%s.jsonl" % (task, date_id.group(1)))
    with open(s) as f:
        lines = [json.loads(x) for x in f]
    assert len(lines) == 2 and lines[0]["task"] == task, s
PY

# Second run: everything comes from the cache (-v prints the counts).
"$TIANTI_BIN" run --suite "$data/toy.suite.json" --model "replay:$data/replay.jsonl" --db t.db -q -v 2> err.txt > /dev/null
grep -q "4 from cache, 0 sent" err.txt || { cat err.txt; fail "second run did not use the cache"; }

# JSON format on stdout: one shape for one model or many, an array of
# per-model documents in --model order.
"$TIANTI_BIN" run --task "$data/mc.json" --model "replay:$data/replay.jsonl" --db t.db -q --format json > r.json
python3 -c 'import json,sys; d=json.load(open("r.json")); assert len(d)==1 and d[0]["results"]["toy_mc"]["acc,none"]==0.5'
cp "$data/replay.jsonl" second.jsonl
"$TIANTI_BIN" run --task "$data/mc.json" --model "replay:$data/replay.jsonl" --model "replay:second.jsonl" \
    --db t.db -q --format json -o two > r2.json
python3 - <<'PY'
import glob, json
d = json.load(open("r2.json"))
assert isinstance(d, list) and len(d) == 2, type(d)
assert d[0]["model_name"].endswith("/replay.jsonl") and d[1]["model_name"].endswith("second.jsonl")
for doc in d:
    assert doc["results"]["toy_mc"]["acc,none"] == 0.5
    files = glob.glob("two/%s/results_*.json" % doc["model_name_sanitized"])
    assert len(files) == 1, files
    assert json.load(open(files[0]))["results"]["toy_mc"]["acc,none"] == 0.5
PY

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
python3 -c 'import json; r=json.load(open("fb.json"))[0]["results"]["toy_mc_fb"]; assert r["acc,letter_fallback"]==0.5 and "acc,none" not in r, r'
# Without the task's permission the same model is skipped.
"$TIANTI_BIN" run --suite "$data/toy.suite.json" --model "replay:$data/replay_gen_only.jsonl" --db t.db -q 2> err.txt > /dev/null || true
grep -q "cannot run task 'toy_mc': it needs loglikelihood" err.txt || { cat err.txt; fail "mc without fallback should be skipped"; }
# Image questions go only to engines with the image capability.
set +e
"$TIANTI_BIN" run --task image_demo --tasks-dir "$TIANTI_SOURCE_DIR/tasks" --model "replay:$data/replay.jsonl" --db t.db -q 2> err.txt > /dev/null
set -e
grep -q "cannot run task 'image_demo': it needs chat,image" err.txt || { cat err.txt; fail "image task should be refused for a model without images"; }
echo "ok: run with replay"
