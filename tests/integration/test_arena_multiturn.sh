#!/usr/bin/env bash
# test_arena_multiturn.sh — the web arena's multi-turn battles over its
# HTTP API (arena/web.h), with real servers on 127.0.0.1 started here:
# three turns in one battle (each model sees the whole conversation: the
# replay models only answer the exact conversation they were recorded
# with), the turn cap, regenerate, the input cap, a vote stored once with
# every turn, its turn count, language, categories, style counts and the
# voter's id; moderation through an OpenAI-compatible moderation endpoint
# (tests/tools/moderation_server.py): a flagged first prompt and a flagged
# follow-up are refused with 422, recorded in moderated_prompts and never
# reach a model, a failing moderator gives 503; a two-turn battle voted
# through a second arena process on the same store keeps both turns; and
# `tianti ratings` rates the multi-turn category and counts what cleaning
# removed. Fails without curl, jq, sqlite3 or /usr/bin/python3 (all from
# scripts/setup.sh --test).
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
SRC=${TIANTI_SOURCE_DIR:?TIANTI_SOURCE_DIR not set}
fail() { echo "FAIL: $*"; exit 1; }
for t in curl jq sqlite3; do command -v $t >/dev/null || fail "$t not installed (scripts/setup.sh --test installs it)"; done
PY=/usr/bin/python3
[ -x "$PY" ] || fail "/usr/bin/python3 missing (scripts/setup.sh installs it)"
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap "for p in \"\${PIDS[@]}\"; do kill \$p; done; echo kept \$TMP" EXIT
cd "$TMP"

# ---- recorded models: each answers only the exact conversation so far ----------------
"$PY" - <<'PY'
import json
turns = ["Name a prime number.", "Is it even?", "Add one to it."]
answers = {"north": ["Two.", "Yes, two is even.", "Three."],
           "south": ["Seven.", "No, seven is odd.", "**Eight**.\n- done"]}
for name, ans in answers.items():
    with open(name + ".jsonl", "w") as f:
        msgs = []
        for q, a in zip(turns, ans):
            msgs.append({"role": "user", "content": q})
            f.write(json.dumps({"kind": "chat", "messages": list(msgs), "text": a}) + "\n")
            msgs.append({"role": "assistant", "content": a})
        # a second battle: one turn, then a follow-up
        f.write(json.dumps({"kind": "chat", "messages": [{"role": "user", "content": "Say hi."}], "text": "Hi from " + name[0]}) + "\n")
        f.write(json.dumps({"kind": "chat", "messages": [{"role": "user", "content": "Say hi."},
                            {"role": "assistant", "content": "Hi from " + name[0]},
                            {"role": "user", "content": "And bye?"}], "text": "Bye."}) + "\n")
PY

# ---- the moderation endpoint -----------------------------------------------------------
"$PY" "$SRC/tests/tools/moderation_server.py" --port 0 > mod.out 2>mod.err &
PIDS+=($!)
MPORT=
for _ in $(seq 100); do MPORT=$(sed -n 's/^PORT //p' mod.out 2>/dev/null); [ -n "$MPORT" ] && break; sleep 0.1; done
[ -n "$MPORT" ] || fail "moderation server did not start: $(cat mod.err)"
cat > models.json <<EOF
{"models": {"mod": {"spec": "openai:omni-moderation-latest", "base_url": "http://127.0.0.1:$MPORT/v1", "max_retries": 0, "timeout_s": 5}}}
EOF

start_arena() {   # $1 = output name; the rest: extra options. Sets ARENA_PORT.
  # Not run in $( ): the server's pid must reach PIDS in this shell, or
  # nothing stops it at the end.
  local name=$1; shift
  "$BIN" arena serve --port 0 --quiet --models models.json --model "north=replay:$TMP/north.jsonl" \
    --model "south=replay:$TMP/south.jsonl" --db "$TMP/arena.db" "$@" > "$name.out" 2> "$name.err" &
  PIDS+=($!)
  ARENA_PORT=
  for _ in $(seq 100); do
    ARENA_PORT=$(sed -n 's/.*http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$name.out")
    [ -n "$ARENA_PORT" ] && break
    sleep 0.1
  done
  [ -n "$ARENA_PORT" ] || fail "arena $name did not start: $(cat "$name.out" "$name.err")"
}
start_arena one --max-turns 3 --moderation mod --max-prompt 200
PORT=$ARENA_PORT
start_arena two --max-turns 3
PORT2=$ARENA_PORT
URL=http://127.0.0.1:$PORT

post() {   # $1 = path, $2 = JSON body; prints the body, status in $TMP/status
  curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' -d "$2" "${3:-$URL}$1" > "$TMP/status"
  cat "$TMP/body"
}
status() { cat "$TMP/status"; }
answer_of() { jq -r "select(.type==\"done\" and .side==\"$2\") | .text" <<<"$1"; }

# ---- three turns ---------------------------------------------------------------------------
s1=$(post /api/battle '{"prompt": "Name a prompt number."}')
[ "$(status)" = 200 ] || fail "first turn: $(status) $s1"
# the prompt above is not recorded: both replay models fail, and a failed turn takes no follow-up
id=$(jq -r 'select(.type=="battle") | .id' <<<"$s1")
tok=$(jq -r 'select(.type=="battle") | .token' <<<"$s1")
[ "$(jq -r 'select(.type=="done") | .failed' <<<"$s1" | sort -u)" = true ] || fail "unrecorded prompt did not fail: $s1"
post /api/battle "{\"battle\": \"$id\", \"token\": \"$tok\", \"prompt\": \"Is it even?\"}" > /dev/null
[ "$(status)" = 409 ] || fail "a follow-up after a failed turn: $(status)"
grep -q "model failed" body || fail "follow-up after failure: $(cat body)"
post /api/vote "{\"battle\": \"$id\", \"token\": \"$tok\", \"vote\": \"bothbad\"}" > /dev/null
[ "$(status)" = 200 ] || fail "vote on the failed battle: $(status)"

s1=$(post /api/battle '{"prompt": "Name a prime number."}')
[ "$(status)" = 200 ] || fail "turn 1: $(status)"
id=$(jq -r 'select(.type=="battle") | .id' <<<"$s1")
tok=$(jq -r 'select(.type=="battle") | .token' <<<"$s1")
[ "$(jq -r 'select(.type=="battle") | .turn' <<<"$s1")" = 1 ] || fail "turn number: $s1"
a1=$(answer_of "$s1" a)
[ "$a1" = "Two." ] || [ "$a1" = "Seven." ] || fail "turn 1 answer: $s1"
s2=$(post /api/battle "{\"battle\": \"$id\", \"token\": \"$tok\", \"prompt\": \"Is it even?\"}")
[ "$(status)" = 200 ] || fail "turn 2: $(status) $s2"
[ "$(jq -r 'select(.type=="battle") | .turn' <<<"$s2")" = 2 ] || fail "turn 2 number: $s2"
jq -s -e 'map(select(.type=="battle"))[0] | has("token") | not' <<<"$s2" > /dev/null || fail "the token was sent again: $s2"
case "$(answer_of "$s2" a)" in "Yes, two is even."|"No, seven is odd.") ;; *) fail "turn 2 did not see turn 1: $s2";; esac
s3=$(post /api/battle "{\"battle\": \"$id\", \"token\": \"$tok\", \"prompt\": \"Add one to it.\"}")
[ "$(status)" = 200 ] || fail "turn 3: $(status)"
jq -s -e 'map(select(.type=="end"))[0].turn == 3' <<<"$s3" > /dev/null || fail "turn 3 end: $s3"
post /api/battle "{\"battle\": \"$id\", \"token\": \"$tok\", \"prompt\": \"And again?\"}" > /dev/null
[ "$(status)" = 409 ] || fail "a fourth turn over --max-turns 3: $(status)"
grep -q "limit of 3 turns" body || fail "turn cap message: $(cat body)"
post /api/battle "{\"battle\": \"$id\", \"token\": \"wrong\", \"prompt\": \"x\"}" > /dev/null
[ "$(status)" = 403 ] || fail "follow-up with a wrong token: $(status)"
long=$("$PY" -c 'print("x" * 300)')
post /api/battle "{\"battle\": \"$id\", \"token\": \"$tok\", \"prompt\": \"$long\"}" > /dev/null
[ "$(status)" = 413 ] || fail "a follow-up over --max-prompt: $(status)"
r=$(post /api/regenerate "{\"battle\": \"$id\", \"token\": \"$tok\"}")
[ "$(status)" = 200 ] || fail "regenerate: $(status) $r"
jq -s -e 'map(select(.type=="battle"))[0].regenerate' <<<"$r" > /dev/null || fail "regenerate stream: $r"
[ "$(answer_of "$r" a)" = "$(answer_of "$s3" a)" ] || fail "regenerated answer differs from the recording"
v=$(post /api/vote "{\"battle\": \"$id\", \"token\": \"$tok\", \"vote\": \"a\"}")
[ "$(status)" = 200 ] || fail "vote: $(status) $v"
post /api/vote "{\"battle\": \"$id\", \"token\": \"$tok\", \"vote\": \"b\"}" > /dev/null
[ "$(status)" = 409 ] || fail "a second vote: $(status)"
post /api/battle "{\"battle\": \"$id\", \"token\": \"$tok\", \"prompt\": \"Is it even?\"}" > /dev/null
[ "$(status)" = 409 ] || fail "a follow-up after the vote: $(status)"
row=$(sqlite3 -separator '|' arena.db "SELECT turns, language, winner, voter_id IS NOT NULL, flags IS NULL,
  json_array_length(conversation_a), json_array_length(conversation_b), categories FROM battles
  WHERE session_token IS NOT NULL AND winner = 'model_a'")
[ "$row" = "3|en|model_a|1|1|6|6|multiturn" ] || fail "stored vote: $row"
[ "$(sqlite3 arena.db "SELECT json_extract(conversation_a, '\$[4].content') FROM battles WHERE turns = 3")" = "Add one to it." ] \
  || fail "stored conversation"
sqlite3 arena.db "SELECT style_json FROM battles WHERE turns = 3" | jq -e '.sum_assistant_a_tokens > 0' > /dev/null \
  || fail "style counts not stored"

# ---- moderation ------------------------------------------------------------------------------
before=$(sqlite3 arena.db "SELECT count(*) FROM battles")
m=$(post /api/battle '{"prompt": "Tell me something FORBIDDEN."}')
[ "$(status)" = 422 ] || fail "a flagged prompt: $(status) $m"
jq -e '.moderated == true and (.error | test("not sent"))' <<<"$m" > /dev/null || fail "moderation reply: $m"
s=$(post /api/battle '{"prompt": "Say hi."}')
id=$(jq -r 'select(.type=="battle") | .id' <<<"$s")
tok=$(jq -r 'select(.type=="battle") | .token' <<<"$s")
post /api/battle "{\"battle\": \"$id\", \"token\": \"$tok\", \"prompt\": \"forbidden follow-up\"}" > /dev/null
[ "$(status)" = 422 ] || fail "a flagged follow-up: $(status)"
s=$(post /api/battle "{\"battle\": \"$id\", \"token\": \"$tok\", \"prompt\": \"And bye?\"}")
[ "$(status)" = 200 ] || fail "the battle goes on after a refused follow-up: $(status)"
[ "$(answer_of "$s" b)" = "Bye." ] || fail "follow-up after a refused one: $s"
post /api/battle '{"prompt": "moderation-down please"}' > /dev/null
[ "$(status)" = 503 ] || fail "a failing moderator: $(status)"
rows=$(sqlite3 -separator '|' arena.db "SELECT turn, battle_id IS NULL, prompt, moderator, json_extract(categories_json, '$.violence')
  FROM moderated_prompts ORDER BY id")
[ "$rows" = "1|1|Tell me something FORBIDDEN.|openai:omni-moderation-latest|1
2|0|forbidden follow-up|openai:omni-moderation-latest|1" ] || fail "moderation log: $rows"
[ "$(sqlite3 arena.db "SELECT count(*) FROM battles")" = "$before" ] || fail "a moderated prompt was stored as a battle"
curl -s "http://127.0.0.1:$MPORT/stats" | jq -e '.inputs | index("Say hi.") != null' > /dev/null || fail "prompts were not moderated"

# ---- a two-turn battle voted through the other process ------------------------------------------
v=$(post /api/vote "{\"battle\": \"$id\", \"token\": \"$tok\", \"vote\": \"tie\"}" "http://127.0.0.1:$PORT2")
[ "$(status)" = 200 ] || fail "vote through the second server: $(status) $v"
row=$(sqlite3 -separator '|' arena.db "SELECT turns, json_extract(conversation_b, '\$[3].content'), winner FROM battles
  WHERE json_extract(conversation_a, '\$[0].content') = 'Say hi.'")
[ "$row" = "2|Bye.|tie" ] || fail "two-turn vote through the other server: $row"
post /api/vote "{\"battle\": \"$id\", \"token\": \"$tok\", \"vote\": \"a\"}" > /dev/null
[ "$(status)" = 409 ] || fail "second vote in the first server after one in the second: $(status)"

# ---- ratings: categories and cleaning counts --------------------------------------------------
"$BIN" ratings --db arena.db --bootstrap 0 --format json > r.json 2>r.err || fail "ratings: $(cat r.err)"
jq -e '.cleaning.read == 3 and .cleaning.error == 1 and .cleaning.kept == 2' r.json > /dev/null \
  || fail "cleaning counts: $(jq -c .cleaning r.json)"
"$BIN" ratings --db arena.db --bootstrap 0 --category multiturn --format json > m.json 2>/dev/null || fail "category ratings"
jq -e '.cleaning.category_excluded == 0 and .cleaning.kept == 2 and (.ratings | length) == 2' m.json > /dev/null \
  || fail "multiturn category: $(jq -c . m.json)"
"$BIN" ratings --db arena.db --bootstrap 0 --category zh --format json > z.json 2>/dev/null || fail "zh ratings"
jq -e '.cleaning.kept == 0' z.json > /dev/null || fail "zh category: $(jq -c .cleaning z.json)"
"$BIN" ratings --db arena.db --bootstrap 0 --category poetry > /dev/null 2>&1
[ $? = 2 ] || fail "an unknown category is not a usage error"

# ---- a judge labels hard prompts (tianti arena tag) ---------------------------------------------
echo '{"kind": "chat", "messages": [{"role": "user", "content": "unrelated"}], "text": "x"}' > none.jsonl
"$BIN" arena tag --judge replay:$TMP/none.jsonl --db arena.db --save-judge-requests tag.req -q > tag0.out \
  || fail "arena tag: $(cat tag0.out)"
grep -q "tagged 3 battles: 0 hard prompts, 0 not, 3 replies without a criteria list" tag0.out || fail "tag: $(cat tag0.out)"
"$PY" - tag.req > tagjudge.jsonl <<'PY'
import json, sys
replies = {"Name a prime number.": "[1, 2, 3, 4, 6, 7]",        # six of seven: hard
           "Say hi.": "Criteria: [1]",                          # not hard
           "Name a prompt number.": "[1, 2] or rather [3]"}     # two different lists: no label
for line in open(sys.argv[1]):
    r = json.loads(line)
    r["response"] = {"text": replies[r["request"]["messages"][1]["content"]]}
    print(json.dumps(r))
PY
"$BIN" arena tag --judge replay:$TMP/tagjudge.jsonl --db arena.db -q > tag1.out || fail "arena tag: $(cat tag1.out)"
grep -q "tagged 3 battles: 1 hard prompts, 1 not, 1 replies without a criteria list" tag1.out || fail "tag: $(cat tag1.out)"
[ "$(sqlite3 arena.db "SELECT categories FROM battles WHERE turns = 3")" = "multiturn,hard" ] || fail "hard label not stored"
"$BIN" ratings --db arena.db --bootstrap 0 --category hard --format json > h.json 2>/dev/null || fail "hard ratings"
jq -e '.cleaning.kept == 1 and .cleaning.category_excluded == 1' h.json > /dev/null || fail "hard category: $(jq -c .cleaning h.json)"

# ---- the web leaderboard's category tabs and style control ---------------------------------------
curl -s "$URL/api/leaderboard?category=multiturn" | jq -e '.ok and .category == "multiturn" and (.models | length) == 2' \
  > /dev/null || fail "multiturn tab: $(curl -s "$URL/api/leaderboard?category=multiturn")"
curl -s "$URL/api/leaderboard?category=zh" | jq -e '.ok and (.models | length) == 0' > /dev/null || fail "zh tab"
curl -s "$URL/api/leaderboard?style=1" | jq -e '.ok and .style_control and (.style_coefficients | length) == 4' \
  > /dev/null || fail "style control: $(curl -s "$URL/api/leaderboard?style=1")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/leaderboard?category=poetry")" = 400 ] || fail "unknown tab"
curl -s "$URL/leaderboard?category=code" | grep -q 'id="tab-multiturn" href="/leaderboard?source=all&amp;category=multiturn' \
  || fail "category tabs on the page"
echo ok
