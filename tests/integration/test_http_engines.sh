#!/usr/bin/env bash
# test_http_engines.sh — `tianti run` with the HTTP engines against real
# servers on 127.0.0.1 started here:
#  (1) tests/tools/fault_server.py, which answers 429 + Retry-After, 500,
#      503, slow, malformed and truncated replies in a fixed pattern: the
#      scores must equal those of a run against its fault-free path, with
#      every sample present once and no sample errors;
#  (2) `tianti serve` in front of a replay model, reached as openai:MODEL and
#      as chatglm:URL: scores equal the replay model's own, and the missing
#      prompt-scoring capability is reported up front;
#  (3) a rejected key (401) and an exhausted quota stop that model with a
#      clear message; a fake API key set in the environment appears in no
#      output, no --verbose log and nowhere in the store.
# Fails without /usr/bin/python3 or sqlite3 (scripts/setup.sh installs them).
set -u
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
[ -x /usr/bin/python3 ] || { echo "FAIL: /usr/bin/python3 missing (scripts/setup.sh --test installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 missing (scripts/setup.sh --test installs it)"; exit 1; }
"$TIANTI_BIN" serve --help >/dev/null 2>&1 || { echo "FAIL: '$TIANTI_BIN serve --help' failed"; exit 1; }
work=$(mktemp -d)
pids=()
# KEEP=1 keeps the work folder for a look after a failure
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
export OPENAI_API_KEY="sk-tianti-FAKEKEY-9f8e7d6c5b4a3210"
KEYPART=FAKEKEY-9f8e7d6c5b4a3210

/usr/bin/python3 "$TIANTI_SOURCE_DIR/tests/tools/fault_server.py" --port 0 --slow 1.5 > fault.out 2>fault.err &
pids+=($!)
for _ in $(seq 50); do grep -q PORT fault.out 2>/dev/null && break; sleep 0.1; done
fport=$(sed -n 's/PORT //p' fault.out)
[ -n "$fport" ] || fail "fault server did not start"

# (1) a generation task of 24 documents; the fault server answers
# "echo:" + the prompt upper-cased, so even documents are right.
for i in $(seq 0 23); do
  if [ $((i % 2)) = 0 ]; then t="echo:Q: ITEM $i"; else t="wrong $i"; fi
  printf '{"q":"item %d","t":"%s"}\n' "$i" "$t"
done > docs.jsonl
cat > gen.json <<'JSON'
{"name": "http_gen", "version": "1", "dataset": {"path": "docs.jsonl"},
 "doc_to_text": "Q: {{q}}\nA:", "doc_to_target": "{{t}}", "output_type": "generate_until",
 "generation": {"until": ["\n"]}, "metrics": [{"metric": "exact_match"}]}
JSON
cat > models.json <<JSON
{"models": {"faulty": {"spec": "openai:m", "base_url": "http://127.0.0.1:$fport/v1", "timeout_s": 1, "max_retries": 6},
 "clean": {"spec": "openai:m", "base_url": "http://127.0.0.1:$fport/clean/v1", "timeout_s": 5},
 "rejected": {"spec": "openai:fatal-401", "base_url": "http://127.0.0.1:$fport/v1"},
 "broke": {"spec": "openai:no-quota", "base_url": "http://127.0.0.1:$fport/v1"}}}
JSON
score() {  # DB MODEL -> exact_match of http_gen
  "$TIANTI_BIN" run --task gen.json --model "$2" --models models.json --db "$1" -j 4 -q --format json -v 2>>verbose.log |
    tee "$1.json" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["results"]["http_gen"]["exact_match,none"])'
}
clean=$(score clean.db clean) || fail "clean run failed: $(tail -5 verbose.log)"
faulty=$(score faulty.db faulty) || fail "faulty run failed: $(tail -5 verbose.log)"
[ "$clean" = 0.5 ] || fail "clean score $clean, expected 0.5"
[ "$faulty" = "$clean" ] || fail "faulty score $faulty differs from the fault-free $clean"
for db in clean.db faulty.db; do
  [ "$(sqlite3 $db 'select count(*) from samples')" = 24 ] || fail "$db: expected 24 samples"
done
# nothing lost or duplicated: 24 distinct prompts, each answered once at the server
/usr/bin/python3 - "$fport" <<'PY' || fail "fault server saw a request answered twice or never"
import json, sys, urllib.request
st = json.load(urllib.request.urlopen("http://127.0.0.1:%s/stats" % sys.argv[1]))
assert all(v[1] == 1 for v in st.values()), st
faults = sum(v[0] - 1 for v in st.values())
assert faults >= 10, "the fault pattern injected only %d faults" % faults
PY

# (3) fatal errors stop the model with a clear message; the run still ends
"$TIANTI_BIN" run --task gen.json --model rejected --models models.json --db fatal.db -q -v > fatal.out 2> fatal.err
grep -q "401" fatal.err || { cat fatal.err; fail "401 not reported"; }
"$TIANTI_BIN" run --task gen.json --model broke --models models.json --db fatal.db -q -v > quota.out 2> quota.err
grep -qi "quota" quota.err || { cat quota.err; fail "insufficient_quota not reported"; }

# (2) tianti serve in front of a replay model
data="$TIANTI_SOURCE_DIR/tests/data/run"
cp "$data/docs.jsonl" "$data/mc.json" "$data/gen.json" .
{ cat "$data/replay.jsonl"
  echo '{"kind":"chat","messages":[{"role":"user","content":"Q: 2+2?\nA:"}],"text":" 4\nQ:"}'
  echo '{"kind":"chat","messages":[{"role":"user","content":"Q: Sky colour?\nA:"}],"text":" Blue"}'
} > replay.jsonl
"$TIANTI_BIN" serve --model replay:replay.jsonl --port 0 > serve.out 2> serve.err &
pids+=($!)
for _ in $(seq 50); do grep -q serving serve.out 2>/dev/null && break; sleep 0.1; done
sport=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)$/\1/p' serve.out)
[ -n "$sport" ] || fail "tianti serve did not start"
em() { /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)[0]["results"]["toy_gen"]; print([v for k, v in sorted(r.items()) if k.startswith("exact_match,")][0])'; }
direct=$("$TIANTI_BIN" run --task gen.json --model replay:replay.jsonl --db serve.db -q --format json | em)
via=$(OPENAI_BASE_URL=http://127.0.0.1:$sport/v1 "$TIANTI_BIN" run --task gen.json --model openai:replay --db serve.db -q -v --format json 2>>verbose.log | em)
glm=$("$TIANTI_BIN" run --task gen.json --model chatglm:http://127.0.0.1:$sport/ --db serve.db -q --format json 2>>verbose.log | em)
[ "$direct" = 1.0 ] || fail "replay direct exact_match $direct"
[ "$via" = "$direct" ] || fail "openai via serve: $via, direct: $direct"
[ "$glm" = "$direct" ] || fail "chatglm via serve: $glm, direct: $direct"
# the replay cannot score prompt tokens, so serve refuses echo: said up front
OPENAI_BASE_URL=http://127.0.0.1:$sport/v1 "$TIANTI_BIN" run --task mc.json --model openai:replay --db serve.db -q > /dev/null 2> mc.err
grep -q "cannot run task 'toy_mc': it needs loglikelihood" mc.err || { cat mc.err; fail "missing loglikelihood not reported"; }

# the key is nowhere: outputs, verbose logs, stores
for f in *.out *.err verbose.log; do
  grep -q "$KEYPART" "$f" && fail "API key found in $f"
done
for db in clean.db faulty.db fatal.db serve.db; do
  sqlite3 "$db" .dump | grep -q "$KEYPART" && fail "API key found in $db"
  grep -qa "$KEYPART" "$db" && fail "API key bytes found in $db"
done
# and the verbose log did carry the request headers, with the key redacted
grep -q "Authorization: \[REDACTED\]" verbose.log || fail "no 'Authorization: [REDACTED]' in the -v log: the HTTP debug lines are missing"
echo "ok: http engines"
