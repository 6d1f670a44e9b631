#!/usr/bin/env bash
# test_serve_extra.sh — `tianti serve` as a fuller llama-server, over real
# HTTP with curl, on the shipped model named by its models.json name
# (tiny-q4_0, from a folder with no models.json): /tokenize and /detokenize
# in llama-server's shapes (a round trip gives the text back, pieces
# concatenate to it), /v1/embeddings in OpenAI's (one unit-length vector
# of the model's width per input, equal texts equal vectors, token usage
# counted), response_format json_object refused with 400 (text accepted),
# /metrics in Prometheus text format with counters that match the requests
# made; then a model without a tokenizer (replay) refuses /tokenize.
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
command -v curl >/dev/null || { echo "FAIL: curl not installed (scripts/setup.sh installs it)"; exit 1; }
PY=$(command -v python3) || { echo "FAIL: python3 not installed"; exit 1; }
tmp=$(mktemp -d)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$tmp" || fail "cd"

start() {
    # a fresh file: the shell truncates it in the child, possibly after the
    # loop below has read the previous server's line
    rm -f "$tmp/out" "$tmp/err"
    "$BIN" serve --model "$1" --port 0 >"$tmp/out" 2>"$tmp/err" &
    srv=$!
    for _ in $(seq 100); do grep -q 'serving' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
    port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/out")
    [ -n "$port" ] || { cat "$tmp/err"; fail "server for $1 did not start"; }
    url=http://127.0.0.1:$port
}
post() { curl -s -o "$tmp/body" -w '%{http_code}' -H 'Content-Type: application/json' "$url$1" -d "$2"; }
check() { "$PY" - "$tmp/body" "$@" || fail "$1"; }

start tiny-q4_0
text='The quick brown fox, 天梯!'
[ "$(post /tokenize "{\"content\": \"$text\"}")" = 200 ] || fail "/tokenize status"
cp "$tmp/body" tok.json
"$PY" - tok.json <<'PY' || fail "/tokenize shape"
import json, sys
t = json.load(open(sys.argv[1]))["tokens"]
assert t and all(isinstance(i, int) for i in t), t
PY
ids=$("$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["tokens"]))' tok.json)
[ "$(post /detokenize "{\"tokens\": $ids}")" = 200 ] || fail "/detokenize status"
"$PY" - "$tmp/body" "$text" <<'PY' || fail "detokenize(tokenize(text)) is not the text"
import json, sys
assert json.load(open(sys.argv[1]))["content"] == sys.argv[2], open(sys.argv[1]).read()
PY
[ "$(post /tokenize "{\"content\": \"$text\", \"with_pieces\": true}")" = 200 ] || fail "/tokenize with_pieces"
"$PY" - "$tmp/body" tok.json "$text" <<'PY' || fail "pieces"
import json, sys
p = json.load(open(sys.argv[1]))["tokens"]
ids = json.load(open(sys.argv[2]))["tokens"]
assert [x["id"] for x in p] == ids
b = b"".join(x["piece"].encode() if isinstance(x["piece"], str) else bytes(x["piece"]) for x in p)
assert b.decode() == sys.argv[3], b
PY
[ "$(post /tokenize '{"content": 1}')" = 400 ] || fail "/tokenize without a string content"
[ "$(post /detokenize '{"tokens": [999999999]}')" = 400 ] || fail "/detokenize of an id outside the vocabulary"

[ "$(post /v1/embeddings '{"input": ["hello world", "hello world", "something else entirely"], "model": "x"}')" = 200 ] \
    || { cat "$tmp/body"; fail "/v1/embeddings status"; }
cp "$tmp/body" emb.json
"$PY" - emb.json <<'PY' || fail "embeddings"
import json, math, sys
j = json.load(open(sys.argv[1]))
assert j["object"] == "list" and len(j["data"]) == 3
v = [d["embedding"] for d in j["data"]]
assert [d["index"] for d in j["data"]] == [0, 1, 2]
assert all(len(x) == len(v[0]) > 8 for x in v)
for x in v:
    assert abs(math.sqrt(sum(a * a for a in x)) - 1) < 1e-5     # L2-normalised
assert v[0] == v[1] and v[0] != v[2]
assert j["usage"]["prompt_tokens"] > 0 and j["usage"]["total_tokens"] == j["usage"]["prompt_tokens"]
PY
[ "$(post /v1/embeddings '{"input": "x", "encoding_format": "base64"}')" = 400 ] || fail "base64 embeddings not refused"

code=$(post /v1/chat/completions '{"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}, "max_tokens": 4}')
[ "$code" = 400 ] || fail "response_format json_object: $code, want 400"
grep -q '"code":"unsupported"' "$tmp/body" && grep -q 'cannot constrain decoding to JSON' "$tmp/body" || fail "json_object message: $(cat "$tmp/body")"
[ "$(post /v1/chat/completions '{"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "text"}, "max_tokens": 4}')" = 200 ] \
    || fail "response_format text refused"

curl -s -D "$tmp/headers" "$url/metrics" > metrics.txt || fail "/metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/headers" || fail "/metrics content type: $(cat "$tmp/headers")"
"$PY" - metrics.txt <<'PY' || fail "/metrics counters: $(cat metrics.txt)"
import re, sys
m = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    name, value = line.rsplit(" ", 1)
    m[name] = float(value)
# so far: 3 /tokenize, 2 /detokenize, 2 /v1/embeddings, 2 chat
assert m['tianti_requests_total{endpoint="/tokenize"}'] == 3, m
assert m['tianti_requests_total{endpoint="/detokenize"}'] == 2
assert m['tianti_requests_total{endpoint="/v1/embeddings"}'] == 2
assert m['tianti_requests_total{endpoint="/v1/chat/completions"}'] == 2
assert m["tianti_request_duration_seconds_count"] == 9
assert m['tianti_request_duration_seconds_bucket{le="+Inf"}'] == 9
assert m["tianti_prompt_tokens_total"] > 0 and m["tianti_completion_tokens_total"] > 0
assert m["tianti_engine_calls_total"] == 4      # 3 embeddings, 1 chat
assert m["tianti_requests_processing"] == 0
PY
kill "$srv"; wait "$srv" 2>/dev/null; srv=

printf '{"kind":"generate","context":"a","text":"b"}\n' > replay.jsonl
start "replay:$tmp/replay.jsonl"
[ "$(post /tokenize '{"content": "a"}')" = 400 ] || fail "/tokenize on a model without a tokenizer"
grep -q 'has no tokenizer' "$tmp/body" || fail "no-tokenizer message: $(cat "$tmp/body")"
[ "$(post /v1/embeddings '{"input": "a"}')" = 400 ] || fail "embeddings on a model without them"
echo "ok"
