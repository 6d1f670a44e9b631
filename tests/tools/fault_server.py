#!/usr/bin/python3
"""fault_server.py — a small fault-injecting HTTP server for Tianti's HTTP
engine tests (tests/unit/test_http_engines.c). Standard library only.

It speaks three protocols, each answering deterministically from the input:
  POST /v1/chat/completions  OpenAI chat (also SSE with "stream": true)
       answer: "echo:" + last user content, upper-cased
  POST /v1/completions       OpenAI legacy completions: "echo:" + prompt upper-cased
  POST /chatglm              ChatGLM-6B api.py: response = "glm:" + prompt + "|h=" + len(history)
  POST /visualglm            VisualGLM-6B api.py: text, raw base64 image, history;
                             result = "vis:" + text + "|bytes=" + decoded image size
  GET  /stats                JSON {key: [attempts, successes, fault kind]} per distinct request body
Paths under /clean/... are the same protocols with no faults.

Faults, in a fixed pattern: the sha256 of the request body picks one kind,
applied to the first attempt(s) of that body only, so a client with retries
always ends with the right answer:
  0 none   1 429 + Retry-After   2 500   3 malformed JSON   4 truncated body
  5 slow (sleeps longer than the test's per-request timeout)
  6 429 + retry-after-ms and x-ratelimit-reset-requests, twice
  7 truncated SSE stream (no [DONE]) for stream requests, else 503
Special models/prompts: model "fatal-401" -> 401 whose message quotes the
bearer token (as real services echo part of a bad key); model "no-quota" ->
429 insufficient_quota.

POST /v1/embeddings answers {"data": [{"index", "embedding"}], "usage"} for a
string or a list of strings: embed_text(TEXT), 8 dimensions, each word
(lower-cased, ASCII punctuation stripped; every CJK character a word of its
own) adding 1 to dimension sha256(word)[0] % 8; usage.prompt_tokens = the
words. GET /embed_stats gives {"requests": N, "inputs": [inputs per
request, ...]} (of successful answers), to check batching.

POST /v1/moderations {"input": TEXT} answers {"results": [{"flagged",
"categories", "category_scores"}]}: moderation_scores(TEXT), each category
0.9 when its keyword (MODERATION_KEYWORDS) is in the lower-cased text, else
sha256(category + "|" + TEXT)[0] / 255 * 0.6; a category is flagged at 0.5.

POST /v1/audio/transcriptions (multipart/form-data: "file", "model",
"response_format", optional "language") answers {"text"}: the transcript
that --transcripts FILE (JSON {sha256 of the audio bytes: text}) gives for
the file, "" for audio it does not know; 400 without a file or a model.

Reasoning models: a model whose name starts with "o-" behaves as OpenAI's
o-series on /v1/chat/completions: 400 unsupported_parameter for
"max_tokens" (use max_completion_tokens), and for "temperature" or "top_p";
it answers "echo:" + the content upper-cased + "|effort=" + the
reasoning_effort sent (or "none"), with usage
{prompt_tokens: words, completion_tokens: 2 + reasoning,
completion_tokens_details: {reasoning_tokens: 10 per max_completion_tokens
hundred, at least 10}}.

--always KIND makes every POST (every attempt, every path) fail the same
way, for tests of runs that cannot succeed (tests/integration/test_faults.sh):
  429        429 rate_limit_exceeded with Retry-After: 0.1
  500        500 server_error
  malformed  200 with a body that is not JSON
Usage: fault_server.py [--port N] [--slow S] [--always KIND] [--transcripts FILE]; prints
"PORT <n>" once listening.
"""
import base64
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATS = {}          # body sha -> [attempts, successes]
SLOW = 1.5
ALWAYS = None       # --always: every POST fails this way
TRANSCRIPTS = {}    # --transcripts: sha256 of audio -> text


EMBED_STATS = {"requests": 0, "inputs": []}


def words_of(text):
    """The words embed_text counts: CJK characters one by one, other runs
    split on whitespace, lower-cased, ASCII punctuation stripped."""
    out, cur = [], []
    for ch in text:
        if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
            if cur:
                out.append("".join(cur))
                cur = []
            out.append(ch)
        elif ch.isspace():
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    words = [w.lower().strip("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") for w in out]
    return [w for w in words if w]


def embed_text(text):
    v = [0.0] * 8
    for w in words_of(text):
        v[hashlib.sha256(w.encode()).digest()[0] % 8] += 1.0
    return v


MODERATION_KEYWORDS = {"sexual": "kiss", "hate": "hate", "harassment": "idiot", "self-harm": "hurt myself",
                       "sexual/minors": "minor", "hate/threatening": "exterminate", "violence": "kill",
                       "violence/graphic": "blood"}


def moderation_scores(text):
    low = text.lower()
    return {c: 0.9 if kw in low else hashlib.sha256((c + "|" + text).encode()).digest()[0] / 255 * 0.6
            for c, kw in MODERATION_KEYWORDS.items()}


def key_of(body):
    return hashlib.sha256(body).hexdigest()[:16]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if status == 200:
            self.succeed(getattr(self, "pending", None))
            self.pending = None
        self.wfile.write(data)

    def send_raw(self, status, data, length=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length if length is not None else len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        if length is not None:
            self.close_connection = True

    def error(self, status, message, code=None, etype="invalid_request_error"):
        self.send_json(status, {"error": {"message": message, "type": etype, "param": None, "code": code}})

    def do_GET(self):
        self.pending = None   # a keep-alive connection: nothing left from the last request
        if self.path == "/stats":
            with LOCK:
                self.send_json(200, STATS)
        elif self.path == "/embed_stats":
            with LOCK:
                self.send_json(200, EMBED_STATS)
        else:
            self.error(404, "unknown endpoint")

    def do_POST(self):
        self.pending = None   # a keep-alive connection: nothing left from the last request
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        path = self.path
        k = key_of(path.encode() + body)
        clean = path.startswith("/clean/")
        if clean:
            path = path[6:]
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            req = self.form_fields(ctype, body)
            if req is None:
                self.error(400, "malformed multipart body")
                return
            # the boundary changes with every attempt: the parts name the request
            body = json.dumps({k2: v if isinstance(v, str) else hashlib.sha256(v).hexdigest()
                               for k2, v in sorted(req.items())}).encode()
            k = key_of(self.path.encode() + body)
        else:
            try:
                req = json.loads(body)
            except ValueError:
                self.error(400, "bad json")
                return
        with LOCK:
            st = STATS.setdefault(k, [0, 0])
            attempt = st[0]
            st[0] += 1
        if ALWAYS == "429":
            self.send_json(429, {"error": {"message": "Rate limit reached for requests", "type": "requests",
                                           "param": None, "code": "rate_limit_exceeded"}},
                           {"Retry-After": "0.1"})
            return
        if ALWAYS == "500":
            self.error(500, "internal error", None, "server_error")
            return
        if ALWAYS == "malformed":
            self.send_raw(200, b'<html>upstream proxy error</html>')
            return
        model = req.get("model", "")
        if model == "fatal-401":
            auth = self.headers.get("Authorization", "")
            self.error(401, "Incorrect API key provided: %s. You can find your API key at ..." %
                       auth.replace("Bearer ", ""), "invalid_api_key")
            return
        if model == "no-quota":
            self.error(429, "You exceeded your current quota", "insufficient_quota", "insufficient_quota")
            return
        kind = 0 if clean else int(hashlib.sha256(body).hexdigest(), 16) % 8
        with LOCK:
            if len(st) == 2:
                st.append(kind)
        stream = bool(req.get("stream"))
        if kind == 1 and attempt == 0:
            self.send_json(429, {"error": {"message": "Rate limit reached for requests", "type": "requests",
                                           "param": None, "code": "rate_limit_exceeded"}},
                           {"Retry-After": "0.2"})
            return
        if kind == 2 and attempt == 0:
            self.error(500, "internal error", None, "server_error")
            return
        if kind == 3 and attempt == 0:
            self.send_raw(200, b'{"choices": [{"message": {"content": "oops"')
            return
        if kind == 4 and attempt == 0:
            self.send_raw(200, b'{"id": "x", "choices": [', length=4096)
            return
        if kind == 5 and attempt == 0:
            time.sleep(SLOW)
        if kind == 6 and attempt < 2:
            self.send_json(429, {"error": {"message": "Rate limit reached for tokens", "type": "tokens",
                                           "param": None, "code": "rate_limit_exceeded"}},
                           {"retry-after-ms": "150", "x-ratelimit-reset-requests": "120ms"})
            return
        if kind == 7 and attempt == 0 and not stream:
            self.error(503, "overloaded", None, "server_error")
            return
        truncate = kind == 7 and attempt == 0 and stream
        # a slow first reply arrives after the client gave up: not a success
        count = not (kind == 5 and attempt == 0)
        try:
            self.answer(path, req, stream, truncate, k if count else None)
        except BrokenPipeError:
            pass

    @staticmethod
    def form_fields(ctype, body):
        """The parts of a multipart/form-data body: {name: text, or bytes for a file}."""
        import email.parser
        import email.policy
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        if not msg.is_multipart():
            return None
        out = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            out[name] = data if part.get_filename() else data.decode("utf-8", "replace")
        return out

    def succeed(self, k):
        if k is None:
            return
        with LOCK:
            STATS[k][1] += 1

    def reasoning_refusal(self, req):
        """An o-series model's 400 for a parameter it does not take, or None."""
        for bad, hint in (("max_tokens", " Use 'max_completion_tokens' instead."), ("temperature", ""),
                          ("top_p", "")):
            if bad in req:
                return ("Unsupported parameter: '%s' is not supported with this model.%s" % (bad, hint), bad)
        return None

    def answer(self, path, req, stream, truncate, k):
        # The success is counted before its last bytes go out: a client that
        # has read its answer may ask /stats at once, before this thread
        # would get past the write (send_json and stream_chat count it).
        self.pending = k
        if path == "/v1/chat/completions" and str(req.get("model", "")).startswith("o-"):
            refusal = self.reasoning_refusal(req)
            if refusal:
                self.send_json(400, {"error": {"message": refusal[0], "type": "invalid_request_error",
                                               "param": refusal[1], "code": "unsupported_parameter"}})
                return
            msgs = req.get("messages") or []
            last = msgs[-1]["content"] if msgs else ""
            text = "echo:%s|effort=%s" % (last.upper(), req.get("reasoning_effort", "none"))
            reasoning = max(10, 10 * (int(req.get("max_completion_tokens", 0)) // 100))
            words = len(last.split())
            self.send_json(200, {"id": "r1", "object": "chat.completion", "created": 1, "model": req.get("model"),
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                              "finish_reason": "stop"}],
                                 "usage": {"prompt_tokens": words, "completion_tokens": 2 + reasoning,
                                           "total_tokens": words + 2 + reasoning,
                                           "completion_tokens_details": {"reasoning_tokens": reasoning}}})
        elif path == "/v1/chat/completions":
            msgs = req.get("messages") or []
            last = msgs[-1]["content"] if msgs else ""
            if isinstance(last, list):
                last = "".join(p.get("text", "") for p in last if p.get("type") == "text")
            text = "echo:" + last.upper()
            if stream:
                self.stream_chat(text, truncate)
                return
            self.send_json(200, {"id": "c1", "object": "chat.completion", "created": 1, "model": req.get("model"),
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                              "finish_reason": "stop", "logprobs": None}],
                                 "usage": {"prompt_tokens": len(last.split()), "completion_tokens": 2,
                                           "total_tokens": len(last.split()) + 2}})
        elif path == "/v1/embeddings":
            inp = req.get("input")
            texts = [inp] if isinstance(inp, str) else inp
            if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
                self.error(400, "'input' must be a string or a list of strings")
                return
            data = [{"object": "embedding", "index": i, "embedding": embed_text(t)} for i, t in enumerate(texts)]
            data.reverse()   # the API's order is not promised: the index says which input
            n = sum(len(words_of(t)) for t in texts)
            with LOCK:
                EMBED_STATS["requests"] += 1
                EMBED_STATS["inputs"].append(len(texts))
            self.send_json(200, {"object": "list", "data": data, "model": req.get("model"),
                                 "usage": {"prompt_tokens": n, "total_tokens": n}})
        elif path == "/v1/audio/transcriptions":
            audio = req.get("file")
            if not isinstance(audio, bytes) or not req.get("model"):
                self.error(400, "a transcription needs a 'file' part and a 'model'")
                return
            text = TRANSCRIPTS.get(hashlib.sha256(audio).hexdigest(), "")
            self.send_json(200, {"text": text})
        elif path == "/v1/moderations":
            inp = req.get("input")
            if not isinstance(inp, str):
                self.error(400, "'input' must be a string")
                return
            sc = moderation_scores(inp)
            cats = {c: v >= 0.5 for c, v in sc.items()}
            self.send_json(200, {"id": "modr-1", "model": req.get("model", "omni-moderation-latest"),
                                 "results": [{"flagged": any(cats.values()), "categories": cats,
                                              "category_scores": sc}]})
        elif path == "/v1/completions":
            text = "echo:" + str(req.get("prompt", "")).upper()
            self.send_json(200, {"id": "t1", "object": "text_completion", "created": 1, "model": req.get("model"),
                                 "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}]})
        elif path == "/chatglm":
            prompt = req.get("prompt")
            hist = req.get("history") or []
            if not isinstance(prompt, str) or not isinstance(hist, list):
                self.error(400, "bad request")
                return
            resp = "glm:%s|h=%d" % (prompt, len(hist))
            self.send_json(200, {"response": resp, "history": hist + [[prompt, resp]], "status": 200,
                                 "time": time.strftime("%Y-%m-%d %H:%M:%S")})
        elif path == "/visualglm":
            text, image, hist = req.get("text"), req.get("image"), req["history"]
            if not isinstance(image, str) or image.startswith("data:"):
                self.error(400, "image must be raw base64")
                return
            raw = base64.b64decode(image, validate=True)
            res = "vis:%s|bytes=%d|h=%d" % (text, len(raw), len(hist))
            self.send_json(200, {"result": res, "history": hist + [[text, res]], "status": 200,
                                 "time": time.strftime("%Y-%m-%d %H:%M:%S")})
        else:
            self.error(404, "unknown endpoint")
            return

    def stream_chat(self, text, truncate):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(s):
            b = s.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
            self.wfile.flush()

        def event(delta, finish=None):
            obj = {"id": "s1", "object": "chat.completion.chunk", "created": 1,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            chunk("data: " + json.dumps(obj) + "\r\n\r\n")

        chunk(": ping - keepalive\r\n\r\n")
        event({"role": "assistant", "content": ""})
        pieces = [text[i:i + 3] for i in range(0, len(text), 3)]
        for i, p in enumerate(pieces):
            if truncate and i == len(pieces) // 2:
                self.wfile.write(b"0\r\n\r\n")
                self.close_connection = True
                return
            event({"content": p})
        event({}, "stop")
        self.succeed(getattr(self, "pending", None))
        self.pending = None
        chunk("data: [DONE]\r\n\r\n")
        self.wfile.write(b"0\r\n\r\n")


def main():
    global SLOW, ALWAYS
    port = 0
    args = sys.argv[1:]
    for i, a in enumerate(args):
        if a == "--port":
            port = int(args[i + 1])
        if a == "--slow":
            SLOW = float(args[i + 1])
        if a == "--transcripts":
            with open(args[i + 1], encoding="utf-8") as f:
                TRANSCRIPTS.update(json.load(f))
        if a == "--always":
            ALWAYS = args[i + 1]
            if ALWAYS not in ("429", "500", "malformed"):
                sys.exit("fault_server.py: --always takes 429, 500 or malformed")
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
