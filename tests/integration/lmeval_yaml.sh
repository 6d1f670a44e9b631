#!/bin/bash
# lmeval_yaml.sh — a task directory in lm-evaluation-harness's YAML format
# (tests/data/lmeval/yaml: an included template, tag, a group with
# aggregate_metric_list, dataset_path found by the data convention,
# `!function` hooks, Jinja loops, filters and slices; shapes: generation with
# filters and few-shot, multiple choice with a description, partial scoring,
# log-likelihood, a variable number of choices) runs and gives the same
# prompts, requests and scores as the equivalent JSON tasks
# (tests/data/lmeval/json) on the same data with the built-in model. Then
# lm-eval files Tianti cannot run are refused with the file, line and
# function named.
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
SRC=${TIANTI_SOURCE_DIR:?TIANTI_SOURCE_DIR not set}
PY=${PYTHON3:-python3}
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
D=$SRC/tests/data/lmeval
cd "$tmp" || fail "cd"

# the listing knows the YAML tasks by their task:, the group by group:, the tag
list=$("$BIN" tasks lm_ --tasks-dir "$D/yaml") || fail "tasks list exited $?"
for want in '^lm_arith  *generate_until  *2 ' '^lm_facts  *multiple_choice  *2 ' '^lm_small_group  *suite(3)' '^lm_small  *suite(2)' '^lm_wino '; do
    echo "$list" | grep -q "$want" || fail "not listed: $want in: $list"
done

# the same prompts and requests, document by document
for t in lm_arith lm_facts lm_wino lm_story lm_pro; do
    for d in 0 1; do
        "$BIN" tasks show $t --doc $d -f json --tasks-dir "$D/yaml" --data-dir "$D/data" --offline > y.json || fail "show $t (yaml) exited $?"
        "$BIN" tasks show $t --doc $d -f json --tasks-dir "$D/json" --data-dir "$D/data" --offline > j.json || fail "show $t (json) exited $?"
        "$PY" - y.json j.json <<'PY' || fail "$t doc $d: the YAML and JSON tasks build different prompts"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for k in ("content_hash", "version"):
    a.pop(k); b.pop(k)
if a != b:
    for k in a:
        if a[k] != b.get(k):
            print(k, repr(a[k])[:400], "\n  vs", repr(b.get(k))[:400])
    sys.exit(1)
PY
    done
done
"$BIN" tasks show lm_wino -f json --tasks-dir "$D/yaml" --data-dir "$D/data" --offline > w.json || fail "show lm_wino"
"$PY" -c "
import json; w = json.load(open('w.json'))
assert len(w['requests']) == 2, w['requests']
assert w['gold'] == 0 and w['choices'][0].endswith('because trophy'), w
assert w['requests'][0]['continuation'] == ' is too big.', w['requests']
" || fail "lm_wino is not scored as WinoGrande's partial scoring"

# the same scores, group included
for d in yaml json; do
    "$BIN" run --suite lm_small_group --task lm_wino --task lm_story --model tiny-f32 --threads 1 --tasks-dir "$D/$d" \
        --data-dir "$D/data" --db "$d.db" -q -f json > "run_$d.json" 2> "err_$d" || { cat "err_$d"; fail "run on $d exited $?"; }
done
"$PY" - run_yaml.json run_json.json <<'PY' || fail "the YAML and JSON tasks score differently"
import json, sys
a, b = (json.load(open(f))[0] for f in sys.argv[1:3])
ra, rb = a["results"], b["results"]
want = {"lm_arith", "lm_facts", "lm_wino", "lm_story", "lm_pro", "lm_small_group"}
assert set(ra) == want, sorted(ra)
assert ra == rb, (ra, rb)
assert ra["lm_small_group"]["sample_count"] == {"acc,none": 10}, ra["lm_small_group"]   # acc over lm_facts and lm_pro
assert "exact_match,strict-match" in ra["lm_arith"] and "perplexity,none" in ra["lm_story"]
assert a["versions"]["lm_arith"] == 3.0 and a["versions"]["lm_small_group"] == 2.0, a["versions"]
assert a["n-shot"]["lm_arith"] == 2
PY

# what Tianti cannot run is refused, naming the file, the line and the function
mkdir bad
cat > bad/bad_hook.yaml <<'EOF'
task: bad_hook
dataset_path: tianti/arith
test_split: test
doc_to_text: !function utils.my_own_prompt
doc_to_target: answer
EOF
"$BIN" tasks show bad_hook --tasks-dir bad --data-dir "$D/data" 2> err; rc=$?
[ $rc = 1 ] || fail "a Python hook: exit $rc, want 1"
grep -q "bad_hook.yaml:4: 'doc_to_text'.*'!function utils.my_own_prompt' is Python code" err || fail "hook message: $(cat err)"
cat > bad/bad_key.yaml <<'EOF'
task: bad_key
dataset_path: tianti/arith
test_split: test
doc_to_text: "{{question}}"
num_fewshots: 3
EOF
"$BIN" tasks show bad_key --tasks-dir bad --data-dir "$D/data" 2> err; rc=$?
[ $rc = 1 ] || fail "an unknown key: exit $rc, want 1"
grep -q "bad_key.yaml:5: 'num_fewshots' is not a task key" err || fail "unknown key message: $(cat err)"
printf 'task: broken\ndoc_to_text: [unclosed\n' > bad/broken.yaml
"$BIN" tasks show broken.yaml 2> err >/dev/null; cp bad/broken.yaml .; "$BIN" tasks show broken.yaml 2> err; rc=$?
[ $rc != 0 ] || fail "broken YAML accepted"
grep -q "broken.yaml:3:1:" err || fail "YAML syntax message: $(cat err)"
echo "ok"
