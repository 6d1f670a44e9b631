#!/usr/bin/env bash
# test_arena_multiturn_browser.sh — a three-turn battle on the real arena
# page in headless Chromium (tests/browser/multiturn.mjs via playwright-core
# and the system Chromium): three turns, a keyboard vote, the names
# revealed and matching the answers each model gave at every turn; then the
# vote in the database, stored once with all three turns; a prompt and a
# follow-up the moderation refuses (tests/tools/moderation_server.py as an
# OpenAI-compatible endpoint), the message on the page, recorded in
# moderated_prompts and no battle stored for them. Fails without chromium,
# node, playwright-core, sqlite3 or /usr/bin/python3, which
# scripts/setup.sh --test installs. Screenshots go to $TIANTI_BROWSER_SHOTS
# when set.
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
SRC=${TIANTI_SOURCE_DIR:?TIANTI_SOURCE_DIR not set}
fail() { echo "FAIL: $*"; exit 1; }
. "$SRC/tests/tools/arena_env.sh"
browser_require
PY=/usr/bin/python3
[ -x "$PY" ] || fail "/usr/bin/python3 missing (scripts/setup.sh installs it)"
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
SHOTS=${TIANTI_BROWSER_SHOTS:-$TMP}
mkdir -p "$SHOTS"

# two recorded models that answer each turn only with the whole conversation before it
"$PY" - "$TMP" <<'PY'
import json, sys
d = sys.argv[1]
turns = ["Name a prime number.", "Is it even?", "Add one to it."]
answers = {"north": ["Two.", "Yes, two is even.", "Three."],
           "south": ["Seven.", "No, seven is odd.", "Eight."]}
for name, ans in answers.items():
    with open(f"{d}/{name}.jsonl", "w") as f:
        msgs = []
        for q, a in zip(turns, ans):
            msgs.append({"role": "user", "content": q})
            f.write(json.dumps({"kind": "chat", "messages": list(msgs), "text": a}) + "\n")
            msgs.append({"role": "assistant", "content": a})
PY
"$PY" "$SRC/tests/tools/moderation_server.py" --port 0 > "$TMP/mod.out" 2> "$TMP/mod.err" &
PIDS+=($!)
MPORT=
for _ in $(seq 100); do MPORT=$(sed -n 's/^PORT //p' "$TMP/mod.out" 2>/dev/null); [ -n "$MPORT" ] && break; sleep 0.1; done
[ -n "$MPORT" ] || fail "moderation server did not start: $(cat "$TMP/mod.err")"
cat > "$TMP/models.json" <<EOF
{"models": {"mod": {"spec": "openai:omni-moderation-latest", "base_url": "http://127.0.0.1:$MPORT/v1", "max_retries": 0}}}
EOF

"$BIN" arena serve --port 0 --quiet --models "$TMP/models.json" --model "north=replay:$TMP/north.jsonl" \
  --model "south=replay:$TMP/south.jsonl" --db "$TMP/arena.db" --max-turns 3 --moderation mod >"$TMP/out" 2>"$TMP/err" &
PIDS+=($!)
PORT=$(arena_port "$TMP/out" "${PIDS[-1]}")
[ -n "$PORT" ] || fail "server did not start: $(cat "$TMP/out" "$TMP/err")"

timeout 180 node "$SRC/tests/browser/multiturn.mjs" "http://127.0.0.1:$PORT/" "$SHOTS" >"$TMP/result" 2>&1 \
  || fail "browser run: $(cat "$TMP/result")"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").pop());
const said = {north: ["Two.", "Yes, two is even.", "Three."], south: ["Seven.", "No, seven is odd.", "Eight."]};
if (!said[r.modelA] || !said[r.modelB] || r.modelA === r.modelB) throw new Error("names: " + JSON.stringify(r));
r.answers.forEach((t, i) => {
  if (t.a !== said[r.modelA][i] || t.b !== said[r.modelB][i])
    throw new Error("turn " + (i + 1) + " answers do not match the revealed names: " + JSON.stringify(r));
});
if (!/not sent/.test(r.refusal) || !/not sent/.test(r.followupRefusal)) throw new Error("refusals: " + JSON.stringify(r));
' "$TMP/result" || fail "page results: $(cat "$TMP/result")"
MODEL_A=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").pop()).modelA)' "$TMP/result")
row=$(sqlite3 -separator '|' "$TMP/arena.db" "SELECT count(*), model_a, winner, turns, json_array_length(conversation_a),
  json_array_length(conversation_b), voter_id IS NOT NULL, language, categories FROM battles")
[ "$row" = "1|$MODEL_A|model_a|3|6|6|1|en|multiturn" ] || fail "stored vote: $row"
conv=$(sqlite3 "$TMP/arena.db" "SELECT json_extract(conversation_a, '\$[2].content') || '|' || json_extract(conversation_a, '\$[4].content') FROM battles")
[ "$conv" = "Is it even?|Add one to it." ] || fail "stored conversation: $conv"
mods=$(sqlite3 -separator '|' "$TMP/arena.db" "SELECT turn, battle_id IS NULL, prompt FROM moderated_prompts ORDER BY id")
[ "$mods" = "1|1|Something forbidden, please.
2|0|A forbidden follow-up." ] || fail "moderation log: $mods"
echo "ok (screenshots in $SHOTS)"
