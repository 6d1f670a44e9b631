#!/usr/bin/python3
"""moderation_server.py — a stand-in for an OpenAI-compatible moderation
endpoint, for the arena's moderation tests (tests/integration/
test_arena_multiturn.sh, test_arena_multiturn_browser.sh). Standard library
only.

POST /v1/moderations {"input": TEXT[, "model": M]} answers
{"id", "model", "results": [{"flagged": BOOL, "categories": {...},
"category_scores": {...}}]}: flagged when TEXT contains the word
"forbidden" (any case), with the category "violence"; a TEXT containing
"moderation-down" gets a 500, so that a failing moderator can be tested.
GET /stats gives {"requests": N, "inputs": [TEXT, ...]}.
Usage: moderation_server.py [--port N]; prints "PORT <n>" once listening.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
INPUTS = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path != "/stats":
            return self.reply(404, {"error": {"message": "not found"}})
        with LOCK:
            return self.reply(200, {"requests": len(INPUTS), "inputs": list(INPUTS)})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        if not self.path.endswith("/moderations"):
            return self.reply(404, {"error": {"message": "not found"}})
        try:
            text = json.loads(body)["input"]
        except (ValueError, KeyError):
            return self.reply(400, {"error": {"message": "expected {\"input\": TEXT}"}})
        with LOCK:
            INPUTS.append(text)
        if "moderation-down" in text:
            return self.reply(500, {"error": {"message": "moderation is down"}})
        flagged = "forbidden" in text.lower()
        cats = {"violence": flagged, "sexual": False, "hate": False}
        scores = {"violence": 0.97 if flagged else 0.01, "sexual": 0.0, "hate": 0.0}
        return self.reply(200, {"id": "modr-test", "model": "omni-moderation-latest",
                                "results": [{"flagged": flagged, "categories": cats, "category_scores": scores}]})


def main():
    port = 0
    if len(sys.argv) == 3 and sys.argv[1] == "--port":
        port = int(sys.argv[2])
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
