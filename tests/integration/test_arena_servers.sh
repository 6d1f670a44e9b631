#!/usr/bin/env bash
# Integration: 4 `tianti arena serve` processes on one PostgreSQL store, as
# behind a load balancer. A client on 127.0.0.1 runs a bounded loop of
# battles, 8 at a time: each battle is created on one server and its vote
# sent at the same moment to two OTHER servers. Every battle must be stored
# exactly once (one of the two votes 200, the other 409), none lost, none
# duplicated, nothing left pending, and every server's leaderboard must
# count every vote (they read the shared store).
# Needs the PostgreSQL server of $TIANTI_TEST_PG (tests/tools/pg_cluster.sh).
set -u
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
fail() { echo "FAIL: $*"; exit 1; }
. "$TIANTI_SOURCE_DIR/tests/tools/arena_env.sh"
[ -n "${TIANTI_TEST_PG:-}" ] || fail "TIANTI_TEST_PG is not set: start a server with eval \"\$(tests/tools/pg_cluster.sh start)\" (scripts/test.sh does)"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3) || fail "python3 is missing"
pg="$TIANTI_SOURCE_DIR/tests/tools/pg_cluster.sh"
TMP=$(mktemp -d)
dbname=tianti_servers_$$
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
  bash "$pg" dropdb $dbname >/dev/null 2>&1
}
trap cleanup EXIT
U=$(bash "$pg" newdb $dbname) || fail "cannot create a database"

# three replay models that answer ten prompts
for m in a b c; do
  for i in $(seq 0 9); do
    printf '{"kind":"chat","messages":[{"role":"user","content":"p%d"}],"text":"%s says %d"}\n' "$i" "$m" "$i"
  done > "$TMP/$m.jsonl"
done

PORTS=()
for s in 0 1 2 3; do
  out=$TMP/server$s
  : > "$out"
  "$TIANTI_BIN" arena serve --port 0 --quiet --db "$U" --rate-limit 0 --max-active 32 \
    --model "alpha=replay:$TMP/a.jsonl" --model "beta=replay:$TMP/b.jsonl" --model "gamma=replay:$TMP/c.jsonl" \
    > "$out" 2> "$out.err" &
  PIDS+=($!)
  port=$(arena_port "$out" "${PIDS[-1]}")
  [ -n "$port" ] || fail "server $s did not start: $(cat "$out" "$out.err")"
  PORTS+=("$port")
done

"$PY" - "${PORTS[@]}" > "$TMP/client.txt" 2>&1 <<'PY' || fail "client: $(cat "$TMP/client.txt")"
import json, sys, threading, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor
ports = sys.argv[1:]
N = 160
def post(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
def battle(i):
    home = i % 4
    code, text = post(ports[home], "/api/battle", {"prompt": f"p{i % 10}"})
    assert code == 200, (i, code, text)
    ev = [json.loads(l) for l in text.splitlines() if l.strip()]
    assert ev[0]["type"] == "battle" and ev[-1]["type"] == "end", ev
    bid, tok = ev[0]["id"], ev[0]["token"]
    # the same vote through two other servers at once
    others = [ports[(home + 1) % 4], ports[(home + 2) % 4]]
    res = [None, None]
    gate = threading.Barrier(2)
    def vote(k):
        gate.wait()
        res[k] = post(others[k], "/api/vote", {"battle": bid, "token": tok, "vote": "ab"[i % 2]})
    ts = [threading.Thread(target=vote, args=(k,)) for k in (0, 1)]
    for t in ts: t.start()
    for t in ts: t.join()
    codes = sorted(r[0] for r in res)
    assert codes == [200, 409], (i, res)
    return bid
with ThreadPoolExecutor(8) as ex:
    ids = list(ex.map(battle, range(N)))
assert len(set(ids)) == N
print(N)
for p in ports:
    with urllib.request.urlopen(f"http://127.0.0.1:{p}/api/leaderboard?source=human", timeout=60) as r:
        lb = json.load(r)
    assert lb["battles"] == N, (p, lb["battles"])
print("ok")
PY
n=$(head -1 "$TMP/client.txt")
q() { psql -X -q -t -A "$U" -c "$1"; }
[ "$(q "SELECT count(*) FROM battles")" = "$n" ] || fail "$(q "SELECT count(*) FROM battles") battles stored, want $n"
[ "$(q "SELECT count(DISTINCT session_token) FROM battles")" = "$n" ] || fail "a vote was stored twice"
[ "$(q "SELECT count(DISTINCT extra_json::json->>'battle_id') FROM battles")" = "$n" ] || fail "a battle was stored twice"
[ "$(q "SELECT count(*) FROM pending_battles")" = 0 ] || fail "voted battles left pending"
[ "$(q "SELECT count(*) FROM battles WHERE winner IS NULL OR flags IS NOT NULL")" = 0 ] || fail "undecided or flagged votes"
for s in 0 1 2 3; do
  kill -0 "${PIDS[$s]}" 2>/dev/null || fail "server $s died: $(cat "$TMP/server$s.err")"
done
echo "ok: 4 arena servers on one PostgreSQL store, $n battles, each vote stored once"
