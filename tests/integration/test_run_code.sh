#!/usr/bin/env bash
# Integration: HumanEval through `tianti run` with recorded completions:
# the canonical solutions of the first problems pass and a wrong one fails,
# so pass@1 is exactly 3/4; without --allow-code-execution the task is
# refused with the reason. Needs the HumanEval data in ../shared/datasets.
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
    text = p["canonical_solution"] if i < 3 else "    return None\n"
    print(json.dumps({"kind": "generate", "context": p["prompt"], "text": text + "\ndef unused():\n    pass\n"}))
PY
args=(run --task humaneval --tasks-dir "$TIANTI_SOURCE_DIR/tasks" --data-dir "$data" --model replay:replay.jsonl --limit 4 --samples 1 --db c.db -q)
set +e
"$TIANTI_BIN" "${args[@]}" 2> err.txt > /dev/null
set -e
grep -q "runs model-written code; pass --allow-code-execution" err.txt || { cat err.txt; fail "unsafe task not refused"; }
"$TIANTI_BIN" "${args[@]}" --allow-code-execution --format json > r.json 2> err.txt
grep -q "protections in force" err.txt || { cat err.txt; fail "protections not reported"; }
python3 - <<'PY'
import json
r = json.load(open("r.json"))[0]["results"]["humaneval"]
assert r["pass@1,execution"] == 0.75, r
assert r["pass@10,execution"] == "N/A", r   # n = 1 < k = 10: undefined, not invented
PY
outcomes=$(sqlite3 c.db "select filtered_json from samples order by doc_id" | grep -o '"outcome":"[a-z_]*"' | sort | uniq -c | tr -s ' ')
echo "$outcomes" | grep -q '3 "outcome":"passed"' || fail "expected 3 passed outcomes: $outcomes"
echo "$outcomes" | grep -q '1 "outcome":"failed"' || fail "expected 1 failed outcome: $outcomes"
echo "ok: humaneval pass@1 = 0.75 with recorded completions"
