#!/usr/bin/env bash
# test_faults.sh — runs that cannot succeed fail loudly: exit status 1,
# within their retry budget, with the causes printed grouped and counted
# ("8 × connection refused: http://127.0.0.1:PORT/v1"), each document's full
# error with -v and in the store. Against servers on 127.0.0.1 started here:
#  (1) no server at all (a port nobody listens on): openai: (its
#      prompt-scoring probe cannot connect, which is said as such, not as a
#      missing capability) and chatglm: (no probe: every request fails, and
#      after 16 in a row the model is stopped);
#  (2) tests/tools/fault_server.py --always 429: every request rate limited;
#  (3) --always malformed: every reply is not JSON;
#  (4) --always 500: server errors;
#  (5) an empty data file: an error naming the file.
# Retry budgets are kept small through models.json (max_retries 1).
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

# A port nobody listens on: bound by the kernel's choice, then released.
dead=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

start_fault() {  # KIND: a fault server answering every request that way (not in a subshell: pids)
  /usr/bin/python3 "$TIANTI_SOURCE_DIR/tests/tools/fault_server.py" --port 0 --always "$1" > "fault_$1.out" 2>&1 &
  pids+=($!)
}
port_of() {  # KIND -> its port, once it listens
  for _ in $(seq 50); do grep -q PORT "fault_$1.out" 2>/dev/null && break; sleep 0.1; done
  sed -n 's/PORT //p' "fault_$1.out"
}
start_fault 429
start_fault malformed
start_fault 500
p429=$(port_of 429)
pbad=$(port_of malformed)
p500=$(port_of 500)
[ -n "$p429" ] && [ -n "$pbad" ] && [ -n "$p500" ] || fail "fault servers did not start"

for i in $(seq 0 7); do printf '{"q":"item %d","t":"x"}\n' "$i"; done > docs.jsonl
cat > gen.json <<'JSON'
{"name": "fault_gen", "version": "1", "dataset": {"path": "docs.jsonl"},
 "doc_to_text": "Q: {{q}}\nA:", "doc_to_target": "{{t}}", "output_type": "generate_until",
 "generation": {"until": ["\n"]}, "metrics": [{"metric": "exact_match"}]}
JSON
cat > mc.json <<'JSON'
{"name": "fault_mc", "version": "1", "dataset": {"path": "docs.jsonl"},
 "doc_to_text": "Q: {{q}}\nA:", "doc_to_choice": ["yes", "no"], "doc_to_target": 0,
 "output_type": "multiple_choice", "metrics": [{"metric": "acc"}]}
JSON
cat > models.json <<JSON
{"models": {
 "dead":      {"spec": "openai:m", "base_url": "http://127.0.0.1:$dead/v1", "max_retries": 1, "timeout_s": 2},
 "deadglm":   {"spec": "chatglm:http://127.0.0.1:$dead", "max_retries": 1, "timeout_s": 2},
 "limited":   {"spec": "openai:m", "base_url": "http://127.0.0.1:$p429/v1", "max_retries": 1, "timeout_s": 2},
 "garbled":   {"spec": "openai:m", "base_url": "http://127.0.0.1:$pbad/v1", "max_retries": 1, "timeout_s": 2},
 "broken":    {"spec": "openai:m", "base_url": "http://127.0.0.1:$p500/v1", "max_retries": 1, "timeout_s": 2}}}
JSON

# run NAME BUDGET_S TASK MODEL [ARGS...]: runs tianti, which must exit 1
# within BUDGET_S seconds; stderr in NAME.err
run_fails() {
  local name=$1 budget=$2 task=$3 model=$4 t0=$SECONDS rc
  shift 4
  "$TIANTI_BIN" run --task "$task" --model "$model" --models models.json --db "$name.db" -q "$@" \
    > "$name.out" 2> "$name.err"
  rc=$?
  [ $rc = 1 ] || { cat "$name.err"; fail "$name: exit $rc, want 1"; }
  [ $((SECONDS - t0)) -le "$budget" ] || fail "$name: took $((SECONDS - t0)) s, budget $budget s"
}
has() {  # NAME TEXT: NAME.err contains TEXT
  grep -qF -- "$2" "$1.err" || { cat "$1.err"; fail "$1: stderr lacks '$2'"; }
}

# (1) no server. openai: the probe cannot connect; nothing is sent, every
# document counts, and the cause is a connection, not a capability.
run_fails dead_gen 20 gen.json dead
has dead_gen "8 of 8 documents could not be scored"
has dead_gen "8 × connection refused: http://127.0.0.1:$dead/v1"
run_fails dead_mc 20 mc.json dead
has dead_mc "cannot reach 'http://127.0.0.1:$dead/v1'"
has dead_mc "8 × connection refused: http://127.0.0.1:$dead/v1"
grep -q "offers" dead_mc.err && { cat dead_mc.err; fail "a dead server was reported as a missing capability"; }
# chatglm: every request fails on its own; -v prints each document's error.
run_fails dead_glm 30 gen.json deadglm -v
has dead_glm "8 × connection refused: http://127.0.0.1:$dead"
[ "$(grep -c 'fault_gen: doc [0-7]: .*onnect' dead_glm.err)" = 8 ] || { cat dead_glm.err; fail "-v did not print each document's error"; }
# the full text stays with each sample
[ "$(sqlite3 dead_glm.db "select count(*) from samples where error like '%127.0.0.1:$dead%'")" = 8 ] ||
  fail "the samples do not keep the full error texts"

# A long task against a server that is gone stops after 16 requests in a
# row found no server (each after its retries), not after all 40.
for i in $(seq 0 39); do printf '{"q":"item %d","t":"x"}\n' "$i"; done > docs40.jsonl
sed 's/docs.jsonl/docs40.jsonl/; s/fault_gen/fault_gen40/' gen.json > gen40.json
run_fails dead_long 30 gen40.json deadglm -v
has dead_long "stopped after 16 requests in a row reached no server"
has dead_long "40 × connection refused: http://127.0.0.1:$dead"
# one request at a time (--jobs 1): 16 were sent, each retried once
[ "$(grep -c ': retry 1 in' dead_long.err)" = 16 ] || { grep -c ': retry 1 in' dead_long.err; fail "requests went on after the stop"; }

# lm-eval's way of naming the same server: --model local-completions with
# the endpoint as base_url (its path dropped) and settings in --model_args
run_fails lmeval 20 gen.json local-completions \
  --model_args "model=m,base_url=http://127.0.0.1:$dead/v1/completions,max_retries=1,tokenized_requests=False"
has lmeval "8 × connection refused: http://127.0.0.1:$dead/v1"
has lmeval "tokenized_requests is lm-eval's"

# (2) every request rate limited
run_fails limited 30 gen.json limited
has limited "8 × rate limited (HTTP 429): http://127.0.0.1:$p429/v1"
run_fails limited_mc 30 mc.json limited
has limited_mc "rate limited (HTTP 429): http://127.0.0.1:$p429/v1"

# (3) every reply malformed
run_fails garbled 30 gen.json garbled
has garbled "8 × malformed JSON reply: http://127.0.0.1:$pbad/v1"

# (4) server errors: generation fails per request; multiple choice is
# skipped, saying what the server answered the prompt-scoring probe
run_fails broken 30 gen.json broken
has broken "8 × server error (HTTP 500): http://127.0.0.1:$p500/v1"
run_fails broken_mc 30 mc.json broken
has broken_mc "did not score a prompt"
has broken_mc "HTTP 500"

# (5) an empty data file names the file
: > empty.jsonl
sed 's/docs.jsonl/empty.jsonl/; s/fault_gen/fault_empty/' gen.json > empty.json
run_fails empty 10 empty.json dead
has empty "empty.jsonl' holds no records"

# --format json carries the same causes
"$TIANTI_BIN" run --task gen.json --model deadglm --models models.json --db j.db -q --format json > j.json 2> j.err
[ $? = 1 ] || fail "json run: want exit 1"
/usr/bin/python3 - <<PY || fail "results JSON lacks the errors"
import json
d = json.load(open("j.json"))
assert isinstance(d, list) and len(d) == 1, d   # one document per model, also for one
e = d[0]["errors"]
assert e[0]["task"] == "fault_gen" and e[0]["count"] == 8 and e[0]["of"] == 8, e
assert e[0]["cause"] == "connection refused: http://127.0.0.1:$dead", e
PY
echo "ok: faults"
