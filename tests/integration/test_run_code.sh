#!/usr/bin/env bash
# Integration: HumanEval through `tianti run` with recorded completions:
# the canonical solutions of the first problems pass and a wrong one fails,
# so pass@1 is exactly 3/4; without --allow-code-execution the task is
# refused with the reason. The sandbox level is printed and recorded (the
# results JSON's "sandbox", each stored outcome's "sandbox"); a completion
# that calls sys.exit(0) before the tests fails; on a host that cannot make
# namespaces (tests/tools/deny_namespaces) the run refuses, naming
# --sandbox=weak, and runs at the weak level with it. Needs the HumanEval
# data in ../shared/datasets.
set -euo pipefail
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
data="${TIANTI_SHARED_DIR:-$TIANTI_SOURCE_DIR/../shared}/datasets"
if [ ! -f "$data/humaneval/HumanEval.jsonl.gz" ]; then
  echo "skip: $data/humaneval/HumanEval.jsonl.gz is missing (shared datasets not present)"; exit 77
fi
command -v python3 >/dev/null || { echo "FAIL: python3 is missing (scripts/setup.sh --test installs it)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
python3 - "$data/humaneval/HumanEval.jsonl.gz" > replay.jsonl <<'PY'
import gzip, json, sys
for i, line in enumerate(gzip.open(sys.argv[1], "rt")):
    if i == 4: break
    p = json.loads(line)
    text = p["canonical_solution"] if i < 2 else "    return None\n"
    if i == 2:  # right, but the program ends before the tests: not a pass
        text = p["canonical_solution"] + "\nimport sys\nsys.exit(0)\n"
    print(json.dumps({"kind": "generate", "context": p["prompt"], "text": text + "\ndef unused():\n    pass\n"}))
PY
args=(run --task humaneval --tasks-dir "$TIANTI_SOURCE_DIR/tasks" --data-dir "$data" --model replay:replay.jsonl --limit 4 --samples 1 --db c.db -q)
set +e
"$TIANTI_BIN" "${args[@]}" 2> err.txt > /dev/null
set -e
grep -q "runs model-written code; pass --allow-code-execution" err.txt || { cat err.txt; fail "unsafe task not refused"; }
"$TIANTI_BIN" "${args[@]}" --allow-code-execution --format json > r.json 2> err.txt
grep -q "protections in force" err.txt || { cat err.txt; fail "protections not reported"; }
grep -q "sandbox: level strict" err.txt || { cat err.txt; fail "sandbox level not printed"; }
python3 - <<'PY'
import json
d = json.load(open("r.json"))[0]
r = d["results"]["humaneval"]
assert r["pass@1,execution"] == 0.5, r   # the sys.exit(0) completion does not pass
assert r["pass@10,execution"] == "N/A", r   # n = 1 < k = 10: undefined, not invented
assert d["sandbox"]["humaneval"]["level"] == "strict", d.get("sandbox")
assert "seccomp" in d["sandbox"]["humaneval"]["protections"], d["sandbox"]
PY
outcomes=$(sqlite3 c.db "select filtered_json from samples order by doc_id" | grep -o '"outcome":"[a-z_]*","sandbox":"[a-z]*"' | sort | uniq -c | tr -s ' ')
echo "$outcomes" | grep -q '2 "outcome":"passed","sandbox":"strict"' || fail "expected 2 passed outcomes at strict: $outcomes"
echo "$outcomes" | grep -q '2 "outcome":"failed","sandbox":"strict"' || fail "expected 2 failed outcomes at strict: $outcomes"
sqlite3 c.db "select filtered_json from samples where doc_id = 2" | grep -q "before check() returned" || fail "sys.exit(0) not reported"
sqlite3 c.db "select config_json from runs" | grep -q '"sandbox":"strict"' || fail "the run does not record its sandbox level"

# A host that cannot make namespaces: strict refuses before any request,
# naming the way out; --sandbox=weak runs there and says so.
deny="${TIANTI_BUILD_DIR:?}/deny_namespaces"
[ -x "$deny" ] || fail "$deny is missing (built with the tests)"
set +e
"$deny" "$TIANTI_BIN" "${args[@]}" --allow-code-execution --db d.db > /dev/null 2> err.txt
rc=$?
set -e
[ "$rc" = 1 ] || { cat err.txt; fail "strict without namespaces: exit $rc, want 1"; }
grep -q "strict sandbox is not available" err.txt || { cat err.txt; fail "no reason given"; }
grep -q -- "--sandbox=weak" err.txt || { cat err.txt; fail "the way to accept weak is not named"; }
"$deny" "$TIANTI_BIN" "${args[@]}" --allow-code-execution --sandbox=weak --db d.db --format json > w.json 2> err.txt
grep -q "sandbox: level weak" err.txt || { cat err.txt; fail "weak level not printed"; }
python3 - <<'PY'
import json
d = json.load(open("w.json"))[0]
assert d["results"]["humaneval"]["pass@1,execution"] == 0.5, d["results"]
assert d["sandbox"]["humaneval"]["level"] == "weak", d["sandbox"]
PY
sqlite3 d.db "select filtered_json from samples" | grep -q '"sandbox":"weak"' || fail "weak level not stored"
set +e
"$TIANTI_BIN" "${args[@]}" --allow-code-execution --sandbox=loose > /dev/null 2> err.txt
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "strict" err.txt || { cat err.txt; fail "a bad --sandbox level is not a usage error naming the levels"; }
echo "ok: humaneval pass@1 = 0.5 with recorded completions (sys.exit(0) fails); strict, weak and the refusal"
