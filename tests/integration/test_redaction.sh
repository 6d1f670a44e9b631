#!/usr/bin/env bash
# Integration: an API key never lands in the store, the output files, the
# printed results or the log — whatever its shape (sk-..., a plain 40-char
# hex string, one with '/' and '+', a short one) and wherever a server puts
# it: echoed inside a successful answer (JSON-escaped as '\/' and '\u002b',
# so that only the decoded text holds it), in an error message cut and
# masked the way services do ("Incorrect API key provided: abc123***xy"),
# in a malformed reply, and in a prompt that held it and was echoed back.
# A server on 127.0.0.1 started here answers all of these; the key reaches
# tianti through OPENAI_API_KEY and through a models.json api_key_env.
# Fails without python3 or sqlite3 (scripts/setup.sh installs them).
set -euo pipefail
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
[ -x /usr/bin/python3 ] || { echo "FAIL: /usr/bin/python3 missing (scripts/setup.sh --test installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 missing (scripts/setup.sh --test installs it)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > server.py <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def send(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.send(404, '{"error": {"message": "no"}}')
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        req = json.loads(self.rfile.read(n))
        key = self.headers.get("Authorization", "")[len("Bearer "):]
        if not self.path.endswith("/chat/completions"):
            return self.send(404, '{"error": {"message": "not here"}}')
        prompt = req["messages"][-1]["content"]
        if "FAIL" in prompt:   # a service's masked echo of a bad key
            msg = "Incorrect API key provided: %s**************%s" % (key[:6], key[-2:])
            return self.send(500, json.dumps({"error": {"message": msg, "type": "server_error"}}))
        if "BROKEN" in prompt:   # not JSON, the key inside
            return self.send(200, '{"choices": [oops ' + key + ' and more')
        text = "You said: %s. Your key is %s." % (prompt, key)
        body = json.dumps({"id": "x", "object": "chat.completion", "model": req.get("model"),
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                        "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 1}})
        # escaped as a JSON encoder may: only the decoded text holds the key
        body = body.replace("/", "\\/").replace("+", "\\u002b")
        self.send(200, body)

s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("PORT", s.server_address[1], flush=True)
s.serve_forever()
PY
/usr/bin/python3 server.py > server.out 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q PORT server.out 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/PORT //p' server.out)
[ -n "$port" ] || fail "the key-echoing server did not start"

keys=("sk-proj-Zx81QmPp2LkT7vVb0cD4eRf6gHy9jKl1" "3f8a9c1d5e7b2a4c6d8e0f1a3b5c7d9e1f2a4b6c" "AbC/dEf+GhI/jKl+MnO=" "k3y-Sh0rt")
i=0
for key in "${keys[@]}"; do
  i=$((i + 1))
  # prompts: plain, one that holds the key (echoed back), a failing one, a broken reply
  printf '%s\n' '{"q": "hello", "t": "x"}' "{\"q\": \"my key is $key\", \"t\": \"x\"}" \
    '{"q": "please FAIL", "t": "x"}' '{"q": "BROKEN reply", "t": "x"}' > docs$i.jsonl
  cat > task$i.json <<JSON
{"name": "keys$i", "version": "1", "dataset": {"path": "docs$i.jsonl"},
 "doc_to_text": "{{q}}", "doc_to_target": "{{t}}", "output_type": "generate_until",
 "generation": {"until": ["\\n"]}, "metrics": [{"metric": "exact_match"}]}
JSON
  if [ $((i % 2)) = 0 ]; then   # through models.json's api_key_env
    cat > models$i.json <<JSON
{"models": {"m": {"spec": "openai:echo-key", "base_url": "http://127.0.0.1:$port/v1", "api_key_env": "MY_SECRET_TOKEN", "max_retries": 0}}}
JSON
    env -u OPENAI_API_KEY MY_SECRET_TOKEN="$key" "$TIANTI_BIN" run --task task$i.json --model m --models models$i.json \
      --db k$i.db --output out$i --log-samples --apply-chat-template -v --format json > stdout$i.txt 2> stderr$i.txt || true
  else
    OPENAI_API_KEY="$key" "$TIANTI_BIN" run --task task$i.json --model openai:echo-key \
      --model_args "base_url=http://127.0.0.1:$port/v1,max_retries=0" --db k$i.db --output out$i --log-samples \
      --apply-chat-template -v --format json > stdout$i.txt 2> stderr$i.txt || true
  fi
  # the run did reach the server and store its answers
  [ "$(sqlite3 k$i.db "select count(*) from samples")" = 4 ] || { cat stderr$i.txt; fail "key $i: the run stored no samples"; }
  sqlite3 k$i.db "select responses_json from samples" | grep -q "Your key is" || fail "key $i: the echoing answer was not stored"
  sqlite3 k$i.db .dump > dump$i.sql
  cat out$i/*/* > files$i.txt 2>/dev/null || fail "key $i: no --output files"
  prefix=${key:0:6}
  for f in dump$i.sql files$i.txt stdout$i.txt stderr$i.txt; do
    if grep -qF -- "$key" "$f"; then fail "key $i ($key) is in $f: $(grep -F -- "$key" "$f" | head -c 300)"; fi
    if grep -qF -- "$prefix" "$f"; then fail "key $i's start ($prefix) is in $f: $(grep -F -- "$prefix" "$f" | head -c 300)"; fi
  done
  grep -q "REDACTED" dump$i.sql || fail "key $i: nothing was redacted in the store (did the server echo it?)"
  echo "key $i: absent from the store, the output files, stdout and the -v log"
done
echo "ok: keys of four shapes redacted from answers, errors and echoed prompts"
