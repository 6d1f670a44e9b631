#!/usr/bin/env bash
# test_arena_browser.sh — the real arena page in headless Chromium
# (tests/browser/arena.mjs via playwright-core and the system Chromium):
# a prompt with HTML and script, two streamed answers with HTML in them,
# a keyboard vote, names revealed, the phone layout; then the vote in the
# database. Fails without chromium, node or playwright-core, which
# scripts/setup.sh --test installs. Screenshots go to
# $TIANTI_BROWSER_SHOTS when set.
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

PROMPT='Is <b>this</b> bold? <script>window.__pwned=1</script> & "quotes"'
node -e '
const [p, dir] = process.argv.slice(1);
const fs = require("fs");
const rec = (q, t) => JSON.stringify({kind: "chat", messages: [{role: "user", content: q}], text: t}) + "\n";
fs.writeFileSync(dir + "/a.jsonl", rec(p, "No. <img src=x onerror=\"window.__pwned=2\"> stays text.\nSecond line."));
fs.writeFileSync(dir + "/b.jsonl", rec(p, "</div><i>Not italic</i> either, and 5 < 6 & 7 > 3."));
' "$PROMPT" "$TMP"

: >"$TMP/out"
"$BIN" arena serve --port 0 --quiet --model "north=replay:$TMP/a.jsonl" --model "south=replay:$TMP/b.jsonl" \
  --db "$TMP/arena.db" >"$TMP/out" 2>"$TMP/err" &
PID=$!
PORT=$(arena_port "$TMP/out" "$PID")
[ -n "$PORT" ] || fail "server did not start: $(cat "$TMP/out" "$TMP/err")"

timeout 120 node "$SRC/tests/browser/arena.mjs" "http://127.0.0.1:$PORT/" "$PROMPT" "$SHOTS" >"$TMP/result" \
  || fail "browser run: $(cat "$TMP/result")"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const a = "No. <img src=x onerror=\"window.__pwned=2\"> stays text.\nSecond line.";
const b = "</div><i>Not italic</i> either, and 5 < 6 & 7 > 3.";
const byModel = {north: a, south: b};
if (byModel[r.modelA] !== r.answerA || byModel[r.modelB] !== r.answerB || r.modelA === r.modelB)
  throw new Error("revealed names do not match the answers: " + JSON.stringify(r));
if (!/Model A/.test(r.result)) throw new Error("result line: " + r.result);
if (!r.leaderboard.includes("north") || !r.leaderboard.includes("south")) throw new Error("leaderboard: " + r.leaderboard);
' "$TMP/result" || fail "page results"
MODEL_A=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).modelA)' "$TMP/result")
row=$(sqlite3 -separator '|' "$TMP/arena.db" "SELECT count(*), model_a, winner, source, flags IS NULL, voter_id IS NOT NULL FROM battles")
[ "$row" = "1|$MODEL_A|model_a|human|1|1" ] || fail "stored vote: $row"
[ "$(sqlite3 "$TMP/arena.db" "SELECT prompt FROM battles")" = "$PROMPT" ] || fail "stored prompt"
echo "ok (screenshots in $SHOTS)"
