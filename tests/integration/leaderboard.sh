#!/bin/bash
# leaderboard.sh — the Open LLM Leaderboard suites: `tianti tasks` lists
# leaderboard_v1 and leaderboard_v2 (and every member) without any data;
# then, on the shared datasets ($TIANTI_SHARED_DIR/datasets), both suites
# run end to end on the built-in model (f32: the fastest under TSan) with --limit 1: every task whose
# data ../shared holds gets its rows with the leaderboard's shots and
# metrics, the nested groups (leaderboard_bbh, leaderboard_math_hard, mmlu)
# are scored, and the tasks whose data is absent (ARC, MMLU-Pro, MuSR,
# GPQA) are left out with a warning that says where to get the data, as are
# the missing few-shot splits (HellaSwag, WinoGrande: shots from validation).
# Without ../shared only the listing runs, and the test says so (exit 77).
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
SRC=${TIANTI_SOURCE_DIR:?TIANTI_SOURCE_DIR not set}
PY=${PYTHON3:-python3}
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || fail "cd"

list=$("$BIN" tasks) || fail "tasks exited $?"
for want in '^leaderboard_v1  *suite(62)' '^leaderboard_v2  *suite(39)' '^leaderboard_bbh  *suite(24)' \
            '^leaderboard_math_hard  *suite(7)' '^leaderboard_ifeval  *generate_until  *0 ' '^arc_challenge  *multiple_choice  *25 ' \
            '^hellaswag  *multiple_choice  *10 ' '^winogrande  *multiple_choice  *5 ' '^lambada_openai  *loglikelihood  *0 ' \
            '^leaderboard_mmlu_pro  *multiple_choice  *5 ' '^leaderboard_gpqa_main ' '^leaderboard_musr_team_allocation '; do
    echo "$list" | grep -q "$want" || fail "not listed: $want"
done

DATA=${TIANTI_SHARED_DIR:-$SRC/../shared}/datasets
if [ ! -d "$DATA" ]; then
    echo "skip: the shared datasets are not at '$DATA': the listing passed, the runs did not run"
    exit 77
fi

for v in v1 v2; do
    "$BIN" run --suite leaderboard_$v --model tiny-f32 --threads 1 --limit 1 --data-dir "$DATA" --db lb.db -q -f json \
        > "$v.json" 2> "$v.err" || { cat "$v.err"; fail "leaderboard_$v exited $?"; }
done
grep -q "left out: task 'arc_challenge'.*allenai__ai2_arc/ARC-Challenge/test.jsonl" v1.err || fail "ARC not left out with a message: $(cat v1.err)"
grep -q "task 'hellaswag' draws its 10 shots from split 'validation' instead" v1.err || fail "HellaSwag's fallback not said: $(cat v1.err)"
grep -q "task 'winogrande' draws its 5 shots from split 'validation' instead" v1.err || fail "WinoGrande's fallback not said"
for absent in leaderboard_mmlu_pro leaderboard_musr_murder_mysteries leaderboard_gpqa_main; do
    grep -q "left out: task '$absent'.*it comes from" v2.err || fail "$absent not left out with a message: $(cat v2.err)"
done
"$PY" - v1.json v2.json <<'PY' || fail "the leaderboard results are not what they should be"
import json, sys
v1, v2 = (json.load(open(f))[0] for f in sys.argv[1:3])
r1, r2 = v1["results"], v2["results"]
# v1: the five benchmarks with data, their shots and metrics, MMLU as a group
for task, metric, shots in [("hellaswag", "acc_norm,none", 10), ("truthfulqa_mc2", "acc,none", 0),
                            ("winogrande", "acc,none", 5), ("gsm8k", "exact_match,strict-match", 5)]:
    assert metric in r1[task], (task, r1[task])
    assert v1["n-shot"][task] == shots, (task, v1["n-shot"][task])
assert "arc_challenge" not in r1
assert "acc,none" in r1["mmlu"] and r1["mmlu"]["sample_count"]["acc,none"] == 57, r1["mmlu"]
# v2: IFEval's four metrics, BBH 3-shot acc_norm, MATH Lvl 5 4-shot exact_match, and the groups
ife = r2["leaderboard_ifeval"]
for m in ("prompt_level_strict_acc", "inst_level_strict_acc", "prompt_level_loose_acc", "inst_level_loose_acc"):
    assert m + ",none" in ife, ife
    assert 0 <= ife[m + ",none"] <= 1
bbh = [t for t in r2 if t.startswith("leaderboard_bbh_")]
assert len(bbh) == 24, bbh
assert all(v2["n-shot"][t] == 3 for t in bbh)
math = [t for t in r2 if t.startswith("leaderboard_math_") and t.endswith("_hard") and t != "leaderboard_math_hard"]
assert len(math) == 7, math
assert all(v2["n-shot"][t] == 4 and "exact_match,none" in r2[t] for t in math)
assert r2["leaderboard_bbh"]["sample_count"]["acc_norm,none"] == 24
assert r2["leaderboard_math_hard"]["sample_count"]["exact_match,none"] == 7
assert "acc_norm,none" in r2["leaderboard_v2"] and "prompt_level_strict_acc,none" in r2["leaderboard_v2"], r2["leaderboard_v2"]
for absent in ("leaderboard_mmlu_pro", "leaderboard_gpqa", "leaderboard_musr"):
    assert absent not in r2
PY
echo "ok"
