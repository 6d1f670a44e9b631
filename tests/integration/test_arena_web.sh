#!/usr/bin/env bash
# test_arena_web.sh — `tianti arena serve` over HTTP with two replay models:
# page and headers, a battle streamed as NDJSON, votes (right token, no
# token, wrong token, unknown battle, bad vote, twice), limits (413, 415,
# 429), HTML escaping (prompt with <script>, model names in the
# leaderboard), engine failure and identity leak flags, and what the store
# holds afterwards.
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
for t in curl sqlite3 python3; do
  command -v $t >/dev/null || { echo "FAIL: $t not installed (scripts/setup.sh --test installs it)"; exit 1; }
done
# Debian's python3 starts faster than a pyenv shim; either will do
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3)
python3() { "$PY" "$@"; }
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat >"$TMP/a.jsonl" <<'J'
{"kind":"chat","messages":[{"role":"user","content":"hi"}],"text":"Hello there."}
{"kind":"chat","messages":[{"role":"user","content":"who are you"}],"text":"I am a helpful assistant."}
{"kind":"chat","messages":[{"role":"user","content":"<script>alert(1)</script>"}],"text":"<img src=x onerror=alert(2)>"}
J
cat >"$TMP/b.jsonl" <<'J'
{"kind":"chat","messages":[{"role":"user","content":"hi"}],"text":"Hi! How can I help?"}
{"kind":"chat","messages":[{"role":"user","content":"who are you"}],"text":"I am ChatGPT, made by OpenAI."}
{"kind":"chat","messages":[{"role":"user","content":"<script>alert(1)</script>"}],"text":"</script><b>bold?</b>"}
J

# start_server OUTFILE ARGS... : sets PORT
start_server() {
  local out=$1; shift
  : >"$out"   # exists before the background job opens it
  "$BIN" arena serve --port 0 --quiet "$@" >"$out" 2>"$out.err" &
  PIDS+=($!)
  for _ in $(seq 100); do
    PORT=$(sed -n 's/.*http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$out")
    [ -n "$PORT" ] && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  fail "server did not start: $(cat "$out" "$out.err")"
}

DB=$TMP/arena.db
start_server "$TMP/s1" --model 'alpha=replay:'"$TMP/a.jsonl" --model '<i>beta</i>=replay:'"$TMP/b.jsonl" \
  --db "$DB" --max-prompt 1000 --rate-limit 0
URL=http://127.0.0.1:$PORT

# ---- the page ----
curl -s -D "$TMP/h" "$URL/" >"$TMP/page" || fail "GET /"
grep -q "Model A" "$TMP/page" && grep -q "Model B" "$TMP/page" || fail "page labels"
grep -qi "^content-security-policy: default-src 'none'" "$TMP/h" || fail "CSP header"
grep -qi "^set-cookie: tianti_voter=[0-9a-f]\{32\};" "$TMP/h" || fail "voter cookie"
grep -qi "^x-content-type-options: nosniff" "$TMP/h" || fail "nosniff"
curl -sf "$URL/app.js" | grep -q "textContent" || fail "app.js"
curl -sf "$URL/app.css" >/dev/null || fail "app.css"
grep -q "innerHTML" "$TMP/page" && fail "page uses innerHTML"
curl -sf "$URL/app.js" | grep -q "innerHTML" && fail "app.js uses innerHTML"
[ "$(curl -s -o "$TMP/nf" -w '%{http_code}' "$URL/nope")" = 404 ] || fail "unknown path"
grep -q '"error"' "$TMP/nf" || fail "404 body is not a JSON error"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/prompt")" = 404 ] || fail "no prompt set: 404"

post() { curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' -b "tianti_voter=0123456789abcdef0123456789abcdef" --data-binary "$2" "$URL$1"; }
field() { python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(d.get(sys.argv[2], ""))' "$1" "$2"; }

# ---- a battle ----
[ "$(post /api/battle '{"prompt":"hi"}')" = 200 ] || fail "battle: $(cat "$TMP/body")"
cp "$TMP/body" "$TMP/stream1"
python3 - "$TMP/stream1" <<'P' || fail "stream events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert ev[0]["type"] == "battle" and len(ev[0]["id"]) == 32 and len(ev[0]["token"]) == 64, ev[0]
assert ev[-1]["type"] == "end", ev[-1]
done = {e["side"]: e for e in ev if e["type"] == "done"}
assert set(done) == {"a", "b"}, done
texts = {done[s]["text"] for s in "ab"}
assert texts == {"Hello there.", "Hi! How can I help?"}, texts
assert not any(d["failed"] for d in done.values())
# the stream never names a model
raw = open(sys.argv[1]).read()
assert "alpha" not in raw and "beta" not in raw, raw
P
ID=$(field "$TMP/stream1" id); TOK=$(field "$TMP/stream1" token)

[ "$(post /api/vote "{\"battle\":\"$ID\",\"vote\":\"a\"}")" = 403 ] || fail "vote without token"
case "$TOK" in *0) WRONG=${TOK%?}1 ;; *) WRONG=${TOK%?}0 ;; esac   # differs in the last digit only
[ "$(post /api/vote "{\"battle\":\"$ID\",\"token\":\"$WRONG\",\"vote\":\"a\"}")" = 403 ] || fail "vote with wrong token"
[ "$(post /api/vote "{\"battle\":\"0123456789abcdef0123456789abcdef\",\"token\":\"$TOK\",\"vote\":\"a\"}")" = 404 ] \
  || fail "vote for unknown battle"
[ "$(post /api/vote "{\"battle\":\"$ID\",\"token\":\"$TOK\",\"vote\":\"c\"}")" = 400 ] || fail "bad vote value"
[ "$(post /api/vote 'not json')" = 400 ] || fail "vote: not JSON"
grep -q '"error"' "$TMP/body" || fail "400 body"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM battles')" = 0 ] || fail "refused votes were stored"
[ "$(post /api/vote "{\"battle\":\"$ID\",\"token\":\"$TOK\",\"vote\":\"a\"}")" = 200 ] || fail "vote: $(cat "$TMP/body")"
python3 - "$TMP/body" <<'P' || fail "vote response: $(cat "$TMP/body")"
import json, sys
d = json.load(open(sys.argv[1]))
assert {d["model_a"], d["model_b"]} == {"alpha", "<i>beta</i>"} and d["winner"] == "model_a" and d["rated"] is True, d
P
MODEL_A=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model_a"])' "$TMP/body")
[ "$(post /api/vote "{\"battle\":\"$ID\",\"token\":\"$TOK\",\"vote\":\"b\"}")" = 409 ] || fail "second vote"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM battles')" = 1 ] || fail "one stored vote"
HASH=$(printf '%s' "$TOK" | sha256sum | cut -d' ' -f1)
row=$(sqlite3 -separator '|' "$DB" "SELECT model_a, winner, source, flags IS NULL, length(voter_id) > 0, session_token = '$HASH',
       json_extract(conversation_a, '\$[1].role'), prompt FROM battles")
[ "$row" = "$MODEL_A|model_a|human|1|1|1|assistant|hi" ] || fail "stored row: $row"
sqlite3 "$DB" "SELECT session_token FROM battles" | grep -q "$TOK" && fail "raw token stored"

# ---- limits ----
big=$(python3 -c 'print("x" * 1500)')
[ "$(post /api/battle "{\"prompt\":\"$big\"}")" = 413 ] || fail "oversized prompt"
[ "$(post /api/battle '{"prompt":"   "}')" = 400 ] || fail "empty prompt"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' --data 'prompt=hi' "$URL/api/battle")" = 415 ] \
  || fail "form post accepted"
python3 -c 'print("{\"prompt\":\"" + "y" * 200000 + "\"}")' >"$TMP/huge"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/huge" "$URL/api/battle")" = 413 ] \
  || fail "huge body"

# ---- hostile input: refused cleanly, and the server lives on ----
[ "$(post /api/battle '{"prompt":"a\u0000b"}')" = 400 ] || fail "NUL in prompt"
printf '{"prompt":"\xff\xfe"}' >"$TMP/badutf8"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/badutf8" "$URL/api/battle")" = 400 ] \
  || fail "invalid UTF-8"
python3 -c 'print("[" * 5000)' >"$TMP/deep"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/deep" "$URL/api/vote")" = 400 ] \
  || fail "deeply nested JSON: $(curl -s -w " %{http_code}" -X POST -H "Content-Type: application/json" --data-binary @"$TMP/deep" "$URL/api/vote")"
[ "$(post /api/vote '{"battle":"../../etc","token":"x","vote":"a"}')" = 404 ] || fail "odd battle id"
[ "$(post /api/vote '{"battle":5,"token":[],"vote":{}}')" = 400 ] || fail "wrong JSON types"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/battle")" = 405 ] || fail "GET on a POST endpoint"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")" = 200 ] || fail "server died"

# ---- escaping: a <script> prompt and HTML answers stay data ----
[ "$(post /api/battle '{"prompt":"<script>alert(1)</script>"}')" = 200 ] || fail "script battle"
cp "$TMP/body" "$TMP/stream2"
python3 - "$TMP/stream2" <<'P' || fail "script stream"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
texts = {e["text"] for e in ev if e["type"] == "done"}
assert texts == {"<img src=x onerror=alert(2)>", "</script><b>bold?</b>"}, texts
P
curl -s "$URL/" | grep -q "alert(1)" && fail "prompt leaked into the page"
ID2=$(field "$TMP/stream2" id); TOK2=$(field "$TMP/stream2" token)
[ "$(post /api/vote "{\"battle\":\"$ID2\",\"token\":\"$TOK2\",\"vote\":\"tie\"}")" = 200 ] || fail "vote 2"

# ---- identity leak and engine failure are stored, flagged, not rated ----
[ "$(post /api/battle '{"prompt":"who are you"}')" = 200 ] || fail "leak battle"
ID3=$(field "$TMP/body" id); TOK3=$(field "$TMP/body" token)
[ "$(post /api/vote "{\"battle\":\"$ID3\",\"token\":\"$TOK3\",\"vote\":\"bothbad\"}")" = 200 ] || fail "vote 3"
grep -q '"rated":false' "$TMP/body" || fail "leak battle reported as rated"
[ "$(post /api/battle '{"prompt":"nobody recorded this"}')" = 200 ] || fail "failing battle"
grep -q '"failed":true' "$TMP/body" || fail "engine failure not reported"
grep -qi "replay" "$TMP/body" && fail "internal error text reached the page"
ID4=$(field "$TMP/body" id); TOK4=$(field "$TMP/body" token)
[ "$(post /api/vote "{\"battle\":\"$ID4\",\"token\":\"$TOK4\",\"vote\":\"b\"}")" = 200 ] || fail "vote 4"
[ "$(sqlite3 "$DB" "SELECT flags FROM battles WHERE prompt = 'who are you'")" = identity_leak ] || fail "identity_leak flag"
[ "$(sqlite3 "$DB" "SELECT flags FROM battles WHERE prompt = 'nobody recorded this'")" = engine_error ] || fail "engine_error flag"
[ "$(sqlite3 "$DB" "SELECT winner FROM battles WHERE prompt = 'who are you'")" = "tie (bothbad)" ] || fail "bothbad stored"

# ---- leaderboard: only the two unflagged battles, names escaped ----
"$BIN" arena export "$TMP/rated.jsonl" --db "$DB" 2>/dev/null || fail "export"
[ "$(wc -l <"$TMP/rated.jsonl")" = 2 ] || fail "rated battles: $(cat "$TMP/rated.jsonl")"
curl -s "$URL/leaderboard" >"$TMP/lb"
grep -q "&lt;i&gt;beta&lt;/i&gt;" "$TMP/lb" || fail "leaderboard escaping: $(cat "$TMP/lb")"
grep -q "<i>beta" "$TMP/lb" && fail "unescaped model name in the leaderboard"
grep -q "alpha" "$TMP/lb" || fail "leaderboard rows"
curl -s "$URL/api/leaderboard?source=human" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["battles"] == 2 and len(d["models"]) == 2, d' \
  || fail "leaderboard JSON"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/leaderboard?source=bogus")" = 400 ] || fail "bad source"
# a battle left unvoted when the server stops
[ "$(post /api/battle '{"prompt":"hi"}')" = 200 ] || fail "battle 5: $(cat "$TMP/body")"
ID5=$(field "$TMP/body" id); TOK5=$(field "$TMP/body" token)
[ "$(sqlite3 "$DB" "SELECT count(*) FROM pending_battles WHERE id = '$ID5'")" = 1 ] || fail "finished battle not in pending_battles"
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null

# ---- a restarted server knows the battles of the store (docs/scale.md): the
# voted one is refused as voted, the unvoted one takes its vote once ----
start_server "$TMP/s1b" --model 'alpha=replay:'"$TMP/a.jsonl" --model '<i>beta</i>=replay:'"$TMP/b.jsonl" \
  --db "$DB" --rate-limit 0
URL=http://127.0.0.1:$PORT
[ "$(post /api/vote "{\"battle\":\"$ID\",\"token\":\"$TOK\",\"vote\":\"b\"}")" = 409 ] || fail "voted battle after restart"
[ "$(post /api/vote "{\"battle\":\"$ID5\",\"token\":\"$WRONG\",\"vote\":\"a\"}")" = 403 ] || fail "stored battle, wrong token"
[ "$(post /api/vote "{\"battle\":\"$ID5\",\"token\":\"$TOK5\",\"vote\":\"a\"}")" = 200 ] || fail "stored battle after restart: $(cat "$TMP/body")"
[ "$(post /api/vote "{\"battle\":\"$ID5\",\"token\":\"$TOK5\",\"vote\":\"a\"}")" = 409 ] || fail "stored battle voted twice"
[ "$(post /api/vote "{\"battle\":\"0123456789abcdef0123456789abcdef\",\"token\":\"$WRONG\",\"vote\":\"a\"}")" = 404 ] || fail "unknown battle after restart"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM pending_battles WHERE id = '$ID5'")" = 0 ] || fail "voted battle still pending"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null

printf 'hi\nwho are you\n' >"$TMP/prompts.txt"
start_server "$TMP/s2" --model 'alpha=replay:'"$TMP/a.jsonl" --model '<i>beta</i>=replay:'"$TMP/b.jsonl" \
  --db "$DB" --rate-limit 6 --burst 3 --prompts "$TMP/prompts.txt"
URL=http://127.0.0.1:$PORT
# ---- a prompt drawn from --prompts ----
curl -s "$URL/api/config" | grep -q '"has_prompts":true' || fail "config has_prompts"
curl -s "$URL/api/prompt" | python3 -c 'import json,sys; assert json.load(sys.stdin)["prompt"] in ("hi", "who are you")' \
  || fail "random prompt"
# ---- rate limit: burst of 3, then 429 ----
codes=""
for _ in 1 2 3 4 5; do codes="$codes $(post /api/vote '{}')"; done
case "$codes" in *429*) ;; *) fail "no 429 in: $codes" ;; esac
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM battles')" = 5 ] || fail "row count"
echo "ok"
