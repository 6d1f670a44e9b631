#!/usr/bin/env bash
# test_route.sh — one model, one score, whatever the route (docs/scoring.md):
# the shipped model (models/tianti-tiny.gguf) evaluated by the built-in
# engine directly (glm:) and through `tianti serve` (started here on
# 127.0.0.1) by the openai: engine, on the demo suite and on a
# loglikelihood task written here whose documents probe the scoring rule
# (a continuation with a leading space, a token merged across the context's
# end, trailing whitespace and a newline at the context's end, Chinese, and
# a context longer than the model's 256 tokens). Both routes must give the
# same scores and per-sample log-likelihoods within 1e-4 (from the --output
# samples), and count the same truncated requests. The server's replies
# carry top_logprobs, so a loglikelihood task's acc (is_greedy) is the same
# on both routes, with no N/A note. Fails without curl or python3, which
# scripts/setup.sh installs.
set -u
BIN=${TIANTI_BIN:-}
SRC=${TIANTI_SOURCE_DIR:-.}
[ -x "$BIN" ] || { echo "FAIL: TIANTI_BIN not set or not executable"; exit 1; }
command -v curl >/dev/null || { echo "FAIL: curl not installed (scripts/setup.sh --test installs it)"; exit 1; }
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3) || { echo "FAIL: python3 not installed (scripts/setup.sh --test installs it)"; exit 1; }
model="$SRC/models/tianti-tiny.gguf"
[ -f "$model" ] || { echo "FAIL: no model at '$model' (set TIANTI_SOURCE_DIR)"; exit 1; }

tmp=$(mktemp -d)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$tmp" || fail "no temporary folder"

# The loglikelihood task: the demo's short-answer items as (context,
# continuation) pairs, and the boundary cases.
"$PY" - "$SRC/tasks/demo/data/facts_gen_test.jsonl" > ll_docs.jsonl <<'PYEOF'
import json, sys
docs = []
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    docs.append({"ctx": d["prompt"], "cont": (" " if d["lang"] == "en" else "") + d["answer"]})
docs += [
    {"ctx": "Question: What city is the capital of France?\nAnswer: Par", "cont": "is"},   # " Paris" spans the end
    {"ctx": "Question: What city is the capital of Japan?\nAnswer: ", "cont": "Tokyo"},    # trailing space moves
    {"ctx": "12+35=47\n", "cont": "13+14=27"},                                             # trailing newline moves
    {"ctx": "".join("%d+%d=%d\n" % (a, a + 1, 2 * a + 1) for a in range(10, 50)) + "44+45=", "cont": "89"},
]
for d in docs:
    print(json.dumps(d, ensure_ascii=False))
PYEOF
cat > route_ll.json <<'EOF'
{"name": "route_ll", "version": "1", "dataset": {"path": "ll_docs.jsonl"},
 "doc_to_text": "{{ctx}}", "doc_to_target": "{{cont}}", "target_delimiter": "",
 "output_type": "loglikelihood"}
EOF

# One after the other, one compute thread each: the numbers do not depend
# on it, and the test leaves a core to the tests that run beside it
# (sanitizer builds run the kernels' thread hand-offs many times slower).
# Route 1: the built-in engine.
"$BIN" run --suite demo --task route_ll.json --model "glm:$model" --tasks-dir "$SRC/tasks" --db direct.db --threads 1 \
  -o direct -q > direct.txt 2> direct.err || { cat direct.err; fail "direct run failed"; }

# Route 2: the same weights behind tianti serve, through the openai engine.
"$BIN" serve --model "glm:$model" --port 0 --threads 1 >srv.out 2>srv.err &
srv=$!
for _ in $(seq 100); do grep -q 'serving' srv.out 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)$/\1/p' srv.out)
[ -n "$port" ] || { cat srv.err; fail "server did not start"; }
OPENAI_BASE_URL="http://127.0.0.1:$port/v1" OPENAI_API_KEY=unused \
  "$BIN" run --suite demo --task route_ll.json --model openai:tianti-tiny --tasks-dir "$SRC/tasks" --db served.db \
  -o served -q > served.txt 2> served.err || { cat served.err; fail "run through tianti serve failed"; }
kill "$srv"; wait "$srv" 2>/dev/null; srv=

grep -q "truncated route_ll: 1 of " direct.txt || { cat direct.txt; fail "direct table does not show the truncated request"; }
grep -q "truncated route_ll: 1 of " served.txt || { cat served.txt; fail "served table does not show the truncated request"; }
grep -q "left-truncated" direct.err || fail "no warning about truncation (direct)"
grep -q "left-truncated" served.err || fail "no warning about truncation (served)"
grep -q "is N/A" served.txt && { cat served.txt; fail "served table has an N/A value (top_logprobs give is_greedy)"; }

"$PY" - direct served <<'PYEOF' || fail "the two routes disagree"
import glob, json, math, sys

def load(d):
    # --output DIR: one folder per model, as lm-eval's EvaluationTracker writes
    files = glob.glob(d + "/*/results_*.json")
    assert len(files) == 1, (d, files)
    docs = [json.load(open(files[0]))]
    samples = {}
    for path in glob.glob(d + "/*/samples_*.jsonl"):
        for line in open(path):
            s = json.loads(line)
            samples[(s["task"], s["doc_id"])] = s
    return docs[0], samples

(da, sa), (db, sb) = load(sys.argv[1]), load(sys.argv[2])
tasks = ["demo_arith", "demo_facts_mc_en", "demo_facts_mc_zh", "demo_facts_cloze_en", "demo_facts_cloze_zh",
         "demo_facts_gen", "route_ll"]
# "results" also lists the suite (demo), as lm-eval lists groups
assert set(tasks) <= set(da["results"]) and set(da["results"]) == set(db["results"]), (sorted(da["results"]), sorted(db["results"]))
assert set(sa) == set(sb) and len(sa) > 500, (len(sa), len(sb))

# per sample: the same answers, log-likelihoods within 1e-4
worst, n_ll = 0.0, 0
for key in sa:
    a, b = sa[key], sb[key]
    assert "error" not in a and "error" not in b, (key, a.get("error"), b.get("error"))
    assert len(a["resps"]) == len(b["resps"]), key
    for ra, rb in zip(a["resps"], b["resps"]):
        if key[0] in ("demo_arith", "demo_facts_gen"):
            assert ra["text"] == rb["text"], (key, ra["text"], rb["text"])
        else:
            assert ra["n_tokens"] == rb["n_tokens"], (key, ra["n_tokens"], rb["n_tokens"])
            assert ra.get("truncated", 0) == rb.get("truncated", 0), key
            worst = max(worst, abs(ra["logprob"] - rb["logprob"]))
            n_ll += 1
assert worst < 1e-4, worst

# per task: identical scores, acc of the loglikelihood task included (its
# is_greedy comes from the server's top_logprobs)
for t in tasks:
    ra, rb = da["results"][t], db["results"][t]
    for k, va in ra.items():
        if k == "alias" or "_stderr," in k:
            continue
        vb = rb[k]
        if k.startswith("perplexity"):
            assert abs(va - vb) <= 1e-4 * va, (t, k, va, vb)
        else:
            assert va == vb, (t, k, va, vb)
assert not da.get("notes") and not db.get("notes"), (da.get("notes"), db.get("notes"))

# the long document was truncated on both routes, by the same count
for d in (da, db):
    tr = d["truncated"]["route_ll"]
    assert tr["truncated"] == 1 and tr["requests"] == len([k for k in sa if k[0] == "route_ll"]), tr
    assert all(v["truncated"] == 0 for t, v in d["truncated"].items() if t != "route_ll"), d["truncated"]
long = [s for k, s in sa.items() if k[0] == "route_ll" and s["resps"][0].get("truncated", 0) > 0]
assert len(long) == 1 and long[0]["resps"][0]["truncated"] == sb[(long[0]["task"], long[0]["doc_id"])]["resps"][0]["truncated"]
print("%d log-likelihoods agree within %.2g" % (n_ll, worst))
PYEOF
echo "ok: the built-in engine and tianti serve + openai give the same scores"
