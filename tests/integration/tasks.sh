#!/bin/bash
# tasks.sh — `tianti tasks`: lists the shipped tasks, shows a prompt from a
# small task made here, checks usage errors, then shows MMLU's first prompt
# and checks the C-Eval suite offline on the shared datasets
# ($TIANTI_SHARED_DIR, by default ../shared beside the checkout). Without
# them the first half still runs, and the test exits 77 (skipped), saying so.
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
SRC=${TIANTI_SOURCE_DIR:?TIANTI_SOURCE_DIR not set}
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$BIN" tasks --tasks-dir "$SRC/tasks") || fail "tasks list exited $?"
echo "$out" | grep -q '^mmlu_anatomy  *multiple_choice  *5 ' || fail "mmlu_anatomy not listed"
echo "$out" | grep -q '^gsm8k  *generate_until' || fail "gsm8k not listed"
echo "$out" | grep -q '^cmmlu  *suite(67)' || fail "cmmlu suite not listed"

mkdir -p "$tmp/tasks/demo"
printf '{"question": "1+1=", "answer": "2"}\n{"question": "2+3=", "answer": "5"}\n' > "$tmp/tasks/demo/arith.jsonl"
cat > "$tmp/tasks/demo/demo_arith.json" <<'JSON'
{"name": "demo_arith", "version": "1", "dataset": {"path": "arith.jsonl"},
 "doc_to_text": "{{question}}", "doc_to_target": "{{answer}}", "output_type": "generate_until",
 "generation": {"until": ["\n"], "max_tokens": 16}, "metrics": [{"metric": "exact_match"}]}
JSON
out=$("$BIN" tasks show demo_arith --doc 1 --tasks-dir "$tmp/tasks" --offline) || fail "show exited $?"
echo "$out" | grep -qx '2+3=' || fail "prompt of doc 1 not shown: $out"
echo "$out" | grep -q 'requests: 1 x generate' || fail "requests not shown"
json=$("$BIN" tasks show demo_arith -f json --tasks-dir "$tmp/tasks" --offline) || fail "show json exited $?"
echo "$json" | grep -q '"target_text": "2"' || fail "json target missing: $json"

"$BIN" tasks show nosuch --tasks-dir "$tmp/tasks" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown task: exit $rc, want 2 (a usage error)"
grep -q "no task or suite 'nosuch'" "$tmp/err" || fail "unknown task message: $(cat "$tmp/err")"
"$BIN" tasks frobnicate --tasks-dir "$tmp/tasks" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "pattern without matches: exit $rc, want 1"
grep -q "no task or suite files match 'frobnicate'" "$tmp/err" || fail "no-match message: $(cat "$tmp/err")"
"$BIN" tasks show 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "show without a name: exit $rc, want 2"
out=$("$BIN" tasks demo --check --tasks-dir "$tmp/tasks") || fail "list --check exited $?"
echo "$out" | grep -q '^demo_arith  *generate_until  *0  2 ' || fail "list --check: $out"

DATA=${TIANTI_SHARED_DIR:-$SRC/../shared}/datasets
if [ ! -d "$DATA" ]; then
    echo "skip: the shared datasets are not at '$DATA': the offline checks passed, the real-data half did not run"
    exit 77
fi
out=$("$BIN" tasks show mmlu_abstract_algebra --tasks-dir "$SRC/tasks" --data-dir "$DATA" --offline) || fail "mmlu show exited $?"
echo "$out" | grep -q '^The following are multiple choice questions (with answers) about abstract algebra.$' || fail "mmlu description"
echo "$out" | grep -q '^choice 1 (gold): B$' || fail "mmlu gold"
out=$("$BIN" tasks check ceval-valid --tasks-dir "$SRC/tasks" --data-dir "$DATA" --offline) || fail "ceval check exited $?"
[ "$(echo "$out" | grep -c '^ok ')" -eq 52 ] || fail "ceval check: $out"
echo "ok"
