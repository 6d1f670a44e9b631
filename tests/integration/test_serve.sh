#!/usr/bin/env bash
# test_serve.sh — `tianti serve` answered over real HTTP by curl: /health,
# /v1/models, chat completions (plain, streamed to data: [DONE], n, stop),
# legacy completions, the ChatGLM-6B api.py protocol on POST /, the OpenAI
# error shape for 400/404/405/413, 32 concurrent requests that must not
# mix, and a clean stop on SIGTERM. The model is a replay file written
# here; then the shipped GLM model (models/tianti-tiny.gguf) for generation
# and prompt scoring (echo+logprobs). Fails without curl or python3, which
# scripts/setup.sh installs.
set -u
BIN=${TIANTI_BIN:-}
[ -x "$BIN" ] || { echo "FAIL: TIANTI_BIN not set or not executable"; exit 1; }
command -v curl >/dev/null || { echo "FAIL: curl not installed (scripts/setup.sh --test installs it)"; exit 1; }
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3) || { echo "FAIL: python3 not installed (scripts/setup.sh --test installs it)"; exit 1; }
"$BIN" serve --help >/dev/null 2>&1 || { echo "FAIL: '$BIN serve --help' failed"; exit 1; }

tmp=$(mktemp -d)
srv=
g=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; [ -n "$g" ] && kill "$g" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# A replay model: 32 chat answers plus one generation.
{
  for i in $(seq 0 31); do
    printf '{"kind":"chat","messages":[{"role":"user","content":"q%d"}],"text":"answer %d, done","prompt_tokens":3,"completion_tokens":%d}\n' "$i" "$i" "$i"
  done
  printf '{"kind":"generate","context":"Q: 1+1=","text":" 2\\nQ: 2+2= 4"}\n'
} > "$tmp/model.jsonl"

"$BIN" serve --model "replay:$tmp/model.jsonl" --port 0 --parallel 4 --max-body-kib 64 >"$tmp/out" 2>"$tmp/err" &
srv=$!
for _ in $(seq 50); do grep -q 'serving' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/out")
[ -n "$port" ] || { cat "$tmp/err"; fail "server did not start"; }
url=http://127.0.0.1:$port

# json FILE EXPR: evaluates a Python expression over the parsed JSON in j
json() { "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
post() { curl -s -o "$tmp/body" -w '%{http_code}' -H 'Content-Type: application/json' "$url$1" -d "$2"; }

[ "$(curl -s "$url/health")" = '{"status":"ok"}' ] || fail "/health"
curl -s "$url/v1/models" > "$tmp/body"
[ "$(json "$tmp/body" 'j["data"][0]["id"]')" = "replay:$tmp/model.jsonl" ] || fail "/v1/models id"

# chat completion
code=$(post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"q7"}]}')
[ "$code" = 200 ] || fail "chat status $code"
[ "$(json "$tmp/body" 'j["choices"][0]["message"]["content"]')" = "answer 7, done" ] || fail "chat content"
[ "$(json "$tmp/body" 'j["usage"]["total_tokens"]')" = 10 ] || fail "chat usage"
[ "$(json "$tmp/body" 'j["object"]')" = chat.completion ] || fail "chat object"
# stop string and n
post /v1/chat/completions '{"messages":[{"role":"user","content":"q3"}],"stop":[","],"n":2}' >/dev/null
[ "$(json "$tmp/body" 'j["choices"][0]["message"]["content"]')" = "answer 3" ] || fail "chat stop"

# streaming: chunks then data: [DONE]; deltas add up to the answer
curl -sN -H 'Content-Type: application/json' "$url/v1/chat/completions" \
  -d '{"messages":[{"role":"user","content":"q5"}],"stream":true,"stream_options":{"include_usage":true}}' > "$tmp/sse"
[ "$(grep -c '^data: ' "$tmp/sse")" -ge 3 ] || fail "stream has too few events"
[ "$(grep '^data: ' "$tmp/sse" | tail -1)" = "data: [DONE]" ] || fail "stream does not end with [DONE]"
"$PY" - "$tmp/sse" <<'PYEOF' || fail "stream content"
import json, sys
text, usage = "", None
for line in open(sys.argv[1]):
    if not line.startswith("data: ") or line.strip() == "data: [DONE]":
        continue
    j = json.loads(line[6:])
    assert j["object"] == "chat.completion.chunk"
    if j.get("usage"):
        usage = j["usage"]
    for c in j["choices"]:
        text += c["delta"].get("content") or ""
assert text == "answer 5, done", text
assert usage and usage["completion_tokens"] == 5, usage
PYEOF

# legacy completions with a stop string
code=$(post /v1/completions '{"model":"m","prompt":"Q: 1+1=","max_tokens":8,"stop":["\n"]}')
[ "$code" = 200 ] && [ "$(json "$tmp/body" 'j["choices"][0]["text"]')" = " 2" ] || fail "completions"

# ChatGLM-6B api.py protocol
code=$(post / '{"prompt":"q9","history":[],"max_length":2048,"top_p":0.7,"temperature":0.95}')
[ "$code" = 200 ] || fail "chatglm status $code"
[ "$(json "$tmp/body" 'j["response"]')" = "answer 9, done" ] || fail "chatglm response"
[ "$(json "$tmp/body" 'j["status"]')" = 200 ] || fail "chatglm status field"
[ "$(json "$tmp/body" 'j["history"]')" = "[['q9', 'answer 9, done']]" ] || fail "chatglm history"
json "$tmp/body" 'j["time"]' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' || fail "chatglm time format"

# errors: OpenAI shape and status
check_error() {  # STATUS CODE-FIELD
  [ "$1" = "$2" ] || fail "expected HTTP $2, got $1 ($(cat "$tmp/body"))"
  [ "$(json "$tmp/body" 'sorted(j["error"].keys())')" = "['code', 'message', 'param', 'type']" ] || fail "error shape"
  [ "$(json "$tmp/body" 'j["error"]["code"]')" = "$3" ] || fail "error code $(cat "$tmp/body")"
}
check_error "$(post /v1/chat/completions '{"messages": [')" 400 invalid_json
check_error "$(post /v1/chat/completions '{"messages":[{"role":"user","content":"q1"}],"bogus":1}')" 400 unknown_parameter
[ "$(json "$tmp/body" 'j["error"]["param"]')" = bogus ] || fail "unknown field param"
check_error "$(post /v1/chat/completions '{"messages":[{"role":"user","content":"q1"}],"temperature":"hot"}')" 400 invalid_type
check_error "$(post /v1/chat/completions '{"messages":[]}')" 400 invalid_value
check_error "$(post /v1/nothing '{}')" 404 unknown_url
check_error "$(curl -s -o "$tmp/body" -w '%{http_code}' "$url/v1/chat/completions")" 405 method_not_allowed
head -c 100000 /dev/zero | tr '\0' 'a' > "$tmp/big"
check_error "$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$tmp/big" "$url/v1/chat/completions")" 413 request_too_large
# a question the replay has no answer for: the engine's failure is a 500
check_error "$(post /v1/chat/completions '{"messages":[{"role":"user","content":"unknown"}]}')" 500 engine_error
# prompt scoring needs per-token logprobs, which a replay cannot give
check_error "$(post /v1/completions '{"prompt":"Q: 1+1=","echo":true,"logprobs":1,"max_tokens":0}')" 400 unsupported

# 32 concurrent requests, half streamed: every answer is its own
for i in $(seq 0 31); do
  if [ $((i % 2)) = 0 ]; then
    curl -s -H 'Content-Type: application/json' "$url/v1/chat/completions" \
      -d "{\"messages\":[{\"role\":\"user\",\"content\":\"q$i\"}]}" > "$tmp/c$i" &
  else
    curl -sN -H 'Content-Type: application/json' "$url/v1/chat/completions" \
      -d "{\"messages\":[{\"role\":\"user\",\"content\":\"q$i\"}],\"stream\":true}" > "$tmp/c$i" &
  fi
done
wait $(jobs -p | grep -v "^$srv$") 2>/dev/null
for i in $(seq 0 31); do
  "$PY" - "$tmp/c$i" "answer $i, done" <<'PYEOF' || fail "concurrent request $i: $(head -c 300 "$tmp/c$i")"
import json, sys
raw = open(sys.argv[1]).read()
if raw.startswith("data: "):
    assert raw.rstrip().endswith("data: [DONE]")
    text = "".join((c["delta"].get("content") or "") for l in raw.splitlines()
                   if l.startswith("data: {") for c in json.loads(l[6:])["choices"])
else:
    text = json.loads(raw)["choices"][0]["message"]["content"]
assert text == sys.argv[2], (text, sys.argv[2])
PYEOF
done

# a real generating engine: the shipped GLM model (in the tree)
model="${TIANTI_SOURCE_DIR:-.}/models/tianti-tiny.gguf"
[ -f "$model" ] || fail "no model at '$model' (models/tianti-tiny.gguf is in the tree; set TIANTI_SOURCE_DIR)"
{
  "$BIN" serve --model "glm:$model" --port 0 --parallel 2 >"$tmp/out2" 2>"$tmp/err2" &
  g=$!
  for _ in $(seq 100); do grep -q 'serving' "$tmp/out2" 2>/dev/null && break; sleep 0.1; done
  gport=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/out2")
  [ -n "$gport" ] || fail "glm model did not start: $(cat "$tmp/err2")"
  gurl=http://127.0.0.1:$gport
  req='"messages":[{"role":"user","content":"1+1="}],"max_tokens":12,"temperature":0'
  curl -s -H "Content-Type: application/json" "$gurl/v1/chat/completions" -d "{$req,\"logprobs\":true}" > "$tmp/g1"
  curl -sN -H "Content-Type: application/json" "$gurl/v1/chat/completions" -d "{$req,\"stream\":true}" > "$tmp/g2"
  "$PY" - "$tmp/g1" "$tmp/g2" <<'PYEOF' || fail "glm: streamed and plain greedy answers differ"
import json, sys
plain = json.load(open(sys.argv[1]))
text = plain["choices"][0]["message"]["content"]
lp = plain["choices"][0]["logprobs"]["content"]
assert len(lp) == plain["usage"]["completion_tokens"], (len(lp), plain["usage"])
assert all(isinstance(t["logprob"], float) and t["logprob"] <= 0 for t in lp)
raw = open(sys.argv[2]).read()
assert raw.rstrip().endswith("data: [DONE]")
streamed = "".join((c["delta"].get("content") or "") for l in raw.splitlines()
                   if l.startswith("data: {") for c in json.loads(l[6:])["choices"])
assert streamed == text, (streamed, text)
PYEOF
  code=$(curl -s -o "$tmp/body" -w "%{http_code}" -H "Content-Type: application/json" "$gurl/" -d '{"prompt":"1+1=","history":[["hi","hello"]],"max_length":16}')
  [ "$code" = 200 ] && [ "$(json "$tmp/body" 'j["status"]')" = 200 ] && [ "$(json "$tmp/body" 'len(j["history"])')" = 2 ] || fail "glm chatglm protocol"
  # prompt scoring: echoed prompt tokens with their logprobs (llama.cpp / vLLM style)
  code=$(curl -s -o "$tmp/body" -w "%{http_code}" -H "Content-Type: application/json" "$gurl/v1/completions" -d '{"prompt":"1+1=2","echo":true,"logprobs":1,"max_tokens":0}')
  [ "$code" = 200 ] || fail "glm echo scoring: HTTP $code: $(cat "$tmp/body")"
  [ "$(json "$tmp/body" 'j["choices"][0]["text"]')" = "1+1=2" ] || fail "glm echo text"
  [ "$(json "$tmp/body" '"".join(j["choices"][0]["logprobs"]["tokens"])')" = "1+1=2" ] || fail "glm echo tokens do not spell the prompt"
  # the model adds no BOS token: the first token is unscored (null), as OpenAI's API gives it
  [ "$(json "$tmp/body" 'j["choices"][0]["logprobs"]["token_logprobs"][0] is None and all(x < 0 for x in j["choices"][0]["logprobs"]["token_logprobs"][1:])')" = True ] || fail "glm prompt scoring"
  [ "$(json "$tmp/body" 'j["choices"][0]["logprobs"]["text_offset"]')" = "[0, 1, 2, 3, 4]" ] || fail "glm echo text_offset"
  kill $g; wait $g 2>/dev/null; g=
}

# clean stop on SIGTERM
kill -TERM "$srv"
for _ in $(seq 50); do kill -0 "$srv" 2>/dev/null || break; sleep 0.1; done
kill -0 "$srv" 2>/dev/null && fail "server did not stop on SIGTERM"
wait "$srv"; rc=$?
srv=
[ "$rc" = 0 ] || fail "serve exited with $rc after SIGTERM"
grep -q "SIGTERM received" "$tmp/err" || fail "no stop message"
echo "ok: tianti serve"
