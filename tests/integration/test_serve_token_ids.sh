#!/usr/bin/env bash
# test_serve_token_ids.sh — `tianti serve` takes prompts as token ids
# (OpenAI's completions API and llama-server accept them): echo scores
# exactly the ids given (no BOS added), per-position log-probs equal
# llama.cpp's on the same f32 GGUF within 1e-3 (tests/data/glm/
# llamacpp_logprobs.json, written by llama.cpp itself through
# tools/llamacpp/logprobs_cases.mjs), top_logprobs hold the asked number of
# alternatives, most likely first (also for chat completions), and lists of
# prompts give one choice each. Bad ids are a 400. Fails without curl or
# python3.
set -u
BIN=${TIANTI_BIN:-}
[ -x "$BIN" ] || { echo "FAIL: TIANTI_BIN not set or not executable"; exit 1; }
command -v curl >/dev/null || { echo "FAIL: curl not installed (scripts/setup.sh --test installs it)"; exit 1; }
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3) || { echo "FAIL: python3 not installed"; exit 1; }
SRC=${TIANTI_SOURCE_DIR:-.}
model="$SRC/tests/data/glm/tiny.gguf"
ref="$SRC/tests/data/glm/llamacpp_logprobs.json"
[ -f "$model" ] && [ -f "$ref" ] || { echo "FAIL: no $model or $ref (set TIANTI_SOURCE_DIR)"; exit 1; }

tmp=$(mktemp -d)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BIN" serve --model "glm:$model" --port 0 --threads 1 >"$tmp/out" 2>"$tmp/err" &
srv=$!
for _ in $(seq 100); do grep -q 'serving' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/out")
[ -n "$port" ] || { cat "$tmp/err"; fail "server did not start"; }
url=http://127.0.0.1:$port/v1/completions

"$PY" - "$url" "$ref" <<'PYEOF' || fail "token-id prompts"
import json, math, sys, urllib.request, urllib.error

url, ref = sys.argv[1], json.load(open(sys.argv[2]))

def post(body):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)

worst = 0.0
for case in ref["cases"]:
    ids, want = case["ids"], case["logprobs"]
    st, j = post({"prompt": ids, "echo": True, "logprobs": 5, "max_tokens": 0})
    assert st == 200, (st, j)
    lp = j["choices"][0]["logprobs"]
    # exactly the ids given: one token per id, no BOS, the first unscored
    assert len(lp["tokens"]) == len(ids), (len(lp["tokens"]), len(ids))
    assert lp["token_logprobs"][0] is None
    assert j["usage"]["prompt_tokens"] == len(ids), j["usage"]
    if case is ref["cases"][-1]:   # ids of a text (the others hold bytes that are no UTF-8, NULs)
        assert j["choices"][0]["text"] == "".join(lp["tokens"]) == "1+1=2, 12+35=47", j["choices"][0]["text"]
    for i, w in enumerate(want):
        got = lp["token_logprobs"][i + 1]
        worst = max(worst, abs(got - w))
        assert abs(got - w) <= 1e-3, ("position", i + 1, got, w)
        top = lp["top_logprobs"][i + 1]
        vals = list(top.values())
        assert 1 <= len(vals) <= 5 and vals == sorted(vals, reverse=True), top
        assert got <= vals[0] + 1e-9, (got, vals[0])
        # the alternatives are a distribution's head: their mass is at most 1
        assert sum(math.exp(v) for v in vals) <= 1 + 1e-6
    assert lp["top_logprobs"][0] is None
print("# %d sequences, %d positions, max |tianti - llama.cpp| = %.2e" %
      (len(ref["cases"]), sum(len(c["logprobs"]) for c in ref["cases"]), worst))

# a list of id prompts: one choice each, in order, each scored alone
a, b = ref["cases"][1]["ids"], ref["cases"][2]["ids"]
st, j = post({"prompt": [a, b], "echo": True, "logprobs": 0, "max_tokens": 0})
assert st == 200, j
assert [c["index"] for c in j["choices"]] == [0, 1]
assert len(j["choices"][1]["logprobs"]["tokens"]) == len(b)
assert j["choices"][1]["logprobs"]["top_logprobs"] is None   # logprobs 0: no alternatives
for k, c in enumerate((ref["cases"][1], ref["cases"][2])):
    got = j["choices"][k]["logprobs"]["token_logprobs"][1:]
    assert all(abs(x - y) <= 1e-3 for x, y in zip(got, c["logprobs"])), k
assert j["usage"]["prompt_tokens"] == len(a) + len(b)

# generation from ids: the greedy continuation of a text equals that of its ids
text_ids = ref["cases"][-1]["ids"]
st, t = post({"prompt": "1+1=2, 12+35=47", "max_tokens": 4, "temperature": 0})
assert st == 200, t
st, g = post({"prompt": text_ids, "max_tokens": 4, "temperature": 0, "logprobs": 3})
assert st == 200, g
assert g["choices"][0]["text"] == t["choices"][0]["text"], (g, t)
glp = g["choices"][0]["logprobs"]
assert len(glp["top_logprobs"]) == len(glp["tokens"])
for d, x in zip(glp["top_logprobs"], glp["token_logprobs"]):
    assert 1 <= len(d) <= 3 and abs(max(d.values()) - x) < 1e-9   # greedy: the chosen token is the top one
# several text prompts
st, j = post({"prompt": ["1+1=", "2+2="], "max_tokens": 2, "temperature": 0})
assert st == 200 and len(j["choices"]) == 2, j

# bad ids and shapes are the client's error
for bad in ([], [[]], [-1], [1, "x"], [[1], "a"], [10**9]):
    st, j = post({"prompt": bad, "max_tokens": 1})
    assert st == 400, (bad, st, j)
    assert j["error"]["param"] == "prompt" or "vocabulary" in j["error"]["message"], j
st, j = post({"prompt": [[1, 2]] * 3, "max_tokens": 1, "stream": True})
assert st == 400, j

# chat: top_logprobs alternatives per generated token, the chosen one first when greedy
url = url.replace("/v1/completions", "/v1/chat/completions")
st, j = post({"messages": [{"role": "user", "content": "1+1="}], "max_tokens": 4, "temperature": 0,
              "logprobs": True, "top_logprobs": 3})
assert st == 200, j
content = j["choices"][0]["logprobs"]["content"]
assert content, j
for t in content:
    alts = t["top_logprobs"]
    assert 1 <= len(alts) <= 3, t
    assert abs(alts[0]["logprob"] - t["logprob"]) < 1e-9, t
    assert [a["logprob"] for a in alts] == sorted((a["logprob"] for a in alts), reverse=True)
    assert all(a["bytes"] == list(a["token"].encode()) or "\ufffd" in a["token"] for a in alts), alts
st, j = post({"messages": [{"role": "user", "content": "1+1="}], "max_tokens": 2, "temperature": 0, "logprobs": True})
assert st == 200 and all(t["top_logprobs"] == [] for t in j["choices"][0]["logprobs"]["content"]), j
PYEOF
echo "ok: tianti serve token-id prompts"
