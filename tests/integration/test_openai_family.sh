#!/usr/bin/env bash
# test_openai_family.sh — the OpenAI model family through `tianti run`
# against tests/tools/fault_server.py on 127.0.0.1 (issue 19):
#  (1) a reasoning model ("o-" models refuse max_tokens, temperature and
#      top_p): without its settings the run names the setting to change;
#      with max_tokens_param, omit_sampling and reasoning_effort in
#      models.json it is answered, and its prompt, completion and reasoning
#      tokens and cost (worked out here from the server's rule) appear in
#      the results JSON per task, in `tianti results --usage` and in the
#      report's "Usage and cost".
# Fails without /usr/bin/python3 or sqlite3 (scripts/setup.sh installs them).
set -u
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
[ -x /usr/bin/python3 ] || { echo "FAIL: /usr/bin/python3 missing (scripts/setup.sh --test installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 missing (scripts/setup.sh --test installs it)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

/usr/bin/python3 "$TIANTI_SOURCE_DIR/tests/tools/fault_server.py" --port 0 > fault.out 2>fault.err &
pids+=($!)
for _ in $(seq 50); do grep -q PORT fault.out 2>/dev/null && break; sleep 0.1; done
fport=$(sed -n 's/PORT //p' fault.out)
[ -n "$fport" ] || fail "fault server did not start"
clean="http://127.0.0.1:$fport/clean/v1"

# ---- (1) reasoning model, usage and cost ------------------------------------------
# The server answers "echo:" + the question upper-cased + "|effort=E"; docs
# 0 and 2 have that as their target. Usage per doc: prompt = words of the
# question, completion = 2 + reasoning, reasoning = 10 per 100 of
# max_completion_tokens (300 here: 30).
printf '%s\n' '{"q":"one two","t":"echo:ONE TWO|effort=low"}' '{"q":"three","t":"wrong"}' \
  '{"q":"four five six","t":"echo:FOUR FIVE SIX|effort=low"}' '{"q":"seven","t":"wrong"}' > chat.jsonl
cat > chat.json <<'JSON'
{"name": "reason_chat", "version": "1", "dataset": {"path": "chat.jsonl"}, "chat": true,
 "doc_to_text": "{{q}}", "doc_to_target": "{{t}}", "output_type": "generate_until",
 "generation": {"until": [], "max_tokens": 300}, "metrics": [{"metric": "exact_match"}]}
JSON
cat > models.json <<JSON
{"models": {
 "o-plain": {"spec": "openai:o-mini", "base_url": "$clean"},
 "o-set": {"spec": "openai:o-mini", "base_url": "$clean", "max_tokens_param": "max_completion_tokens",
           "omit_sampling": true, "reasoning_effort": "low",
           "price": {"input_per_mtok": 1000, "output_per_mtok": 2000}}}}
JSON
"$TIANTI_BIN" run --task chat.json --model o-plain --models models.json --db plain.db -q > plain.out 2> plain.err
grep -q '"max_tokens_param": "max_completion_tokens"' plain.err || { cat plain.err; fail "the refused max_tokens did not name max_tokens_param"; }
"$TIANTI_BIN" run --task chat.json --model o-set --models models.json --db r.db -q --format json > r.json 2> r.err ||
  { cat r.err; fail "reasoning run failed"; }
# prompt 2+1+3+1 = 7, completion 4 x 32 = 128, reasoning 4 x 30 = 120,
# cost 7 x 1000/1e6 + 128 x 2000/1e6 = 0.007 + 0.256 = 0.263
/usr/bin/python3 - r.json <<'PY' || fail "results JSON usage is wrong"
import json, sys
d = json.load(open(sys.argv[1]))[0]
assert d["results"]["reason_chat"]["exact_match,none"] == 0.5, d["results"]
for u in (d["usage"], d["usage_by_task"]["reason_chat"]):
    assert (u["prompt_tokens"], u["completion_tokens"], u["reasoning_tokens"]) == (7, 128, 120), u
    assert abs(u["cost_usd"] - 0.263) < 1e-9, u
PY
"$TIANTI_BIN" results --usage --db r.db --format json > usage.json || fail "tianti results --usage failed"
/usr/bin/python3 - usage.json <<'PY' || fail "tianti results --usage is wrong"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1, rows
u = rows[0]
assert (u["model"], u["task"], u["docs"]) == ("o-set", "reason_chat", 4), u
assert (u["prompt_tokens"], u["completion_tokens"], u["reasoning_tokens"]) == (7, 128, 120), u
assert abs(u["cost_usd"] - 0.263) < 1e-9, u
PY
"$TIANTI_BIN" results --usage --db r.db | grep -q "| o-set .*| reason_chat .*|      4 |      0 |          7 |        128 |        120 |   0.263000 |" ||
  { "$TIANTI_BIN" results --usage --db r.db; fail "usage table row"; }
"$TIANTI_BIN" report --db r.db -o rep -f md,json > /dev/null 2> rep.err || { cat rep.err; fail "report failed"; }
grep -q "^## Usage and cost" rep/leaderboard.md || fail "no Usage and cost section in the report"
grep -q "| o-set | reason_chat | 1 | 4 | 7 | 128 | 120 | 0.263000 |" rep/leaderboard.md || { grep -A6 "Usage and cost" rep/leaderboard.md; fail "report usage row"; }
echo "ok: openai family"
