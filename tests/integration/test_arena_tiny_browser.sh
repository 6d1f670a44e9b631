#!/usr/bin/env bash
# test_arena_tiny_browser.sh — the arena page with the model that ships
# (models/tianti-tiny.gguf, chat-tuned): headless Chromium
# (tests/browser/arena_tiny.mjs) asks an arithmetic question in English and
# one in Chinese; the f32 model's answers must be right, the names stay
# hidden until the vote, and both rounds are stored as tie votes. The two
# sides are the f32 and q8_0 precisions, greedy (--temperature 0), so the
# check is deterministic. Fails without chromium, node or playwright-core,
# which scripts/setup.sh --test installs.
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
SRC=${TIANTI_SOURCE_DIR:?TIANTI_SOURCE_DIR not set}
fail() { echo "FAIL: $*"; exit 1; }
. "$SRC/tests/tools/arena_env.sh"
browser_require
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }; rm -rf "$TMP"; }
trap cleanup EXIT
SHOTS=${TIANTI_BROWSER_SHOTS:-$TMP}
mkdir -p "$SHOTS"

cd "$SRC" || fail "no source dir"
"$BIN" arena serve --port 0 --quiet --models "$SRC/models.json" --model tiny-f32 --model tiny-q8_0 \
  --temperature 0 --max-tokens 16 --db "$TMP/arena.db" >"$TMP/out" 2>"$TMP/err" &
PID=$!
PORT=$(arena_port "$TMP/out" "$PID")
[ -n "$PORT" ] || fail "server did not start: $(cat "$TMP/out" "$TMP/err")"

timeout 120 node "$SRC/tests/browser/arena_tiny.mjs" "http://127.0.0.1:$PORT/" "$SHOTS" \
  "What is 17 + 25?" "36加47等于多少？" >"$TMP/result" || fail "browser run: $(cat "$TMP/result")"
cat "$TMP/result"
node -e '
const rounds = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
// the model answers in the form it was taught ("17+25=42"); the number it ends with must be right
const want = {"What is 17 + 25?": "42", "36加47等于多少？": "83"};
if (rounds.length !== 2) throw new Error("expected 2 rounds, got " + rounds.length);
for (const r of rounds) {
  const names = [r.modelA, r.modelB].sort().join(",");
  if (names !== "tiny-f32,tiny-q8_0") throw new Error("revealed names: " + names);
  const f32 = r.modelA === "tiny-f32" ? r.answerA : r.answerB;
  const m = /(-?[0-9]+)\s*$/.exec(f32);
  if (!m || m[1] !== want[r.question])
    throw new Error("tiny-f32 answered " + JSON.stringify(f32) + " to " + JSON.stringify(r.question) +
                    ", expected " + want[r.question]);
}
' "$TMP/result" || fail "answers"
ROWS=$(sqlite3 "$TMP/arena.db" "SELECT count(*), sum(winner = 'tie') FROM battles WHERE source = 'human'")
[ "$ROWS" = "2|2" ] || fail "stored votes: $ROWS (expected 2|2)"
echo "ok: tiny-f32 answered both questions right in the arena page"
