#!/usr/bin/env bash
# test_openai_family.sh — the OpenAI model family through `tianti run`
# against tests/tools/fault_server.py on 127.0.0.1 (issue 19):
#  (1) a reasoning model ("o-" models refuse max_tokens, temperature and
#      top_p): without its settings the run names the setting to change;
#      with max_tokens_param, omit_sampling and reasoning_effort in
#      models.json it is answered, and its prompt, completion and reasoning
#      tokens and cost (worked out here from the server's rule) appear in
#      the results JSON per task, in `tianti results --usage` and in the
#      report's "Usage and cost";
#  (2) embedding tasks (the shipped embed_demo suite: similarity, pairs,
#      retrieval) through the faulty /v1/embeddings (faults retried, inputs
#      batched), with every metric equal to the value worked out here from
#      the server's vectors by MTEB's definitions; the same tasks on the
#      built-in engine directly and through `tianti serve`'s /v1/embeddings
#      give the same numbers; the demo data is what gen_data.py writes;
#  (3) a moderation task (labels per category, some unknown) through the
#      faulty /v1/moderations, and the same data with a chat model as the
#      classifier: per-category precision, recall, F1, AUROC and AUPRC equal
#      the values worked out here (sklearn's definitions) from the server's
#      scores; an unknown label leaves the document out of that category;
#  (4) the speech demo offline: its audio synthesised by gen_audio.py with
#      espeak-ng, sent as multipart to the faulty /v1/audio/transcriptions,
#      whose transcripts (set here per audio file, with words substituted,
#      dropped and added, and Chinese characters changed) give a WER and CER
#      equal to an alignment worked out here.
# Fails without /usr/bin/python3 or sqlite3 (scripts/setup.sh installs them).
set -u
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
[ -x /usr/bin/python3 ] || { echo "FAIL: /usr/bin/python3 missing (scripts/setup.sh --test installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 missing (scripts/setup.sh --test installs it)"; exit 1; }
command -v espeak-ng >/dev/null || { echo "FAIL: espeak-ng missing (scripts/setup.sh installs it)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

/usr/bin/python3 "$TIANTI_SOURCE_DIR/tests/tools/fault_server.py" --port 0 > fault.out 2>fault.err &
pids+=($!)
for _ in $(seq 50); do grep -q PORT fault.out 2>/dev/null && break; sleep 0.1; done
fport=$(sed -n 's/PORT //p' fault.out)
[ -n "$fport" ] || fail "fault server did not start"
clean="http://127.0.0.1:$fport/clean/v1"

# ---- (1) reasoning model, usage and cost ------------------------------------------
# The server answers "echo:" + the question upper-cased + "|effort=E"; docs
# 0 and 2 have that as their target. Usage per doc: prompt = words of the
# question, completion = 2 + reasoning, reasoning = 10 per 100 of
# max_completion_tokens (300 here: 30).
printf '%s\n' '{"q":"one two","t":"echo:ONE TWO|effort=low"}' '{"q":"three","t":"wrong"}' \
  '{"q":"four five six","t":"echo:FOUR FIVE SIX|effort=low"}' '{"q":"seven","t":"wrong"}' > chat.jsonl
cat > chat.json <<'JSON'
{"name": "reason_chat", "version": "1", "dataset": {"path": "chat.jsonl"}, "chat": true,
 "doc_to_text": "{{q}}", "doc_to_target": "{{t}}", "output_type": "generate_until",
 "generation": {"until": [], "max_tokens": 300}, "metrics": [{"metric": "exact_match"}]}
JSON
cat > models.json <<JSON
{"models": {
 "o-plain": {"spec": "openai:o-mini", "base_url": "$clean"},
 "o-set": {"spec": "openai:o-mini", "base_url": "$clean", "max_tokens_param": "max_completion_tokens",
           "omit_sampling": true, "reasoning_effort": "low",
           "price": {"input_per_mtok": 1000, "output_per_mtok": 2000}}}}
JSON
"$TIANTI_BIN" run --task chat.json --model o-plain --models models.json --db plain.db -q > plain.out 2> plain.err
grep -q '"max_tokens_param": "max_completion_tokens"' plain.err || { cat plain.err; fail "the refused max_tokens did not name max_tokens_param"; }
"$TIANTI_BIN" run --task chat.json --model o-set --models models.json --db r.db -q --format json > r.json 2> r.err ||
  { cat r.err; fail "reasoning run failed"; }
# prompt 2+1+3+1 = 7, completion 4 x 32 = 128, reasoning 4 x 30 = 120,
# cost 7 x 1000/1e6 + 128 x 2000/1e6 = 0.007 + 0.256 = 0.263
/usr/bin/python3 - r.json <<'PY' || fail "results JSON usage is wrong"
import json, sys
d = json.load(open(sys.argv[1]))[0]
assert d["results"]["reason_chat"]["exact_match,none"] == 0.5, d["results"]
for u in (d["usage"], d["usage_by_task"]["reason_chat"]):
    assert (u["prompt_tokens"], u["completion_tokens"], u["reasoning_tokens"]) == (7, 128, 120), u
    assert abs(u["cost_usd"] - 0.263) < 1e-9, u
PY
"$TIANTI_BIN" results --usage --db r.db --format json > usage.json || fail "tianti results --usage failed"
/usr/bin/python3 - usage.json <<'PY' || fail "tianti results --usage is wrong"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1, rows
u = rows[0]
assert (u["model"], u["task"], u["docs"]) == ("o-set", "reason_chat", 4), u
assert (u["prompt_tokens"], u["completion_tokens"], u["reasoning_tokens"]) == (7, 128, 120), u
assert abs(u["cost_usd"] - 0.263) < 1e-9, u
PY
"$TIANTI_BIN" results --usage --db r.db | grep -q "| o-set .*| reason_chat .*|      4 |      0 |          7 |        128 |        120 |   0.263000 |" ||
  { "$TIANTI_BIN" results --usage --db r.db; fail "usage table row"; }
"$TIANTI_BIN" report --db r.db -o rep -f md,json > /dev/null 2> rep.err || { cat rep.err; fail "report failed"; }
grep -q "^## Usage and cost" rep/leaderboard.md || fail "no Usage and cost section in the report"
grep -q "| o-set | reason_chat | 1 | 4 | 7 | 128 | 120 | 0.263000 |" rep/leaderboard.md || { grep -A6 "Usage and cost" rep/leaderboard.md; fail "report usage row"; }
# ---- (2) embedding tasks -------------------------------------------------------------
tasks="$TIANTI_SOURCE_DIR/tasks/embed_demo"
# the demo data is what its generator writes
mkdir gen && cp "$tasks/gen_data.py" gen/ && /usr/bin/python3 gen/gen_data.py || fail "gen_data.py failed"
for f in sts pairs corpus queries; do
  cmp -s "gen/data/$f.jsonl" "$tasks/data/$f.jsonl" || fail "tasks/embed_demo/data/$f.jsonl is not what gen_data.py writes"
done
/usr/bin/python3 - models.json "http://127.0.0.1:$fport/v1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["models"]["emb"] = {"spec": "openai:fake-embed", "base_url": sys.argv[2], "timeout_s": 1, "max_retries": 6,
                      "price": {"input_per_mtok": 100, "output_per_mtok": 0}}
json.dump(m, open(sys.argv[1], "w"))
PY
"$TIANTI_BIN" run --task embed_demo --model emb --models models.json --db emb.db -q --format json \
  --bootstrap 200 > emb.json 2> emb.err || { cat emb.err; fail "embedding run against the fault server failed"; }
/usr/bin/python3 - emb.json "$TIANTI_SOURCE_DIR" "$fport" <<'PY' || fail "embedding metrics differ from the values worked out here"
import json, math, sys, urllib.request
sys.path.insert(0, sys.argv[2] + "/tests/tools")
from fault_server import embed_text, words_of
d = json.load(open(sys.argv[1]))[0]
res = d["results"]
tasks = sys.argv[2] + "/tasks/embed_demo/data/"
load = lambda f: [json.loads(l) for l in open(tasks + f, encoding="utf-8")]

def cos(a, b):
    ab = sum(x * y for x, y in zip(a, b)); na = math.sqrt(sum(x * x for x in a)); nb = math.sqrt(sum(y * y for y in b))
    return ab / (na * nb) if na and nb else 0.0

def pearson(x, y):  # scipy.stats.pearsonr's r
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    return sxy / math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))

def ranks(x):  # scipy.stats.rankdata, ties averaged
    order = sorted(range(len(x)), key=lambda i: x[i]); r = [0.0] * len(x); i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]: j += 1
        for k in range(i, j + 1): r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r

def near(got, want, what):
    assert abs(got - want) < 1e-9, "%s: tianti %r, worked out %r" % (what, got, want)

sts = load("sts.jsonl")
c = [cos(embed_text(r["sentence1"]), embed_text(r["sentence2"])) for r in sts]
g = [r["score"] for r in sts]
near(res["embed_demo_sts"]["cosine_spearman,none"], pearson(ranks(g), ranks(c)), "spearman")
near(res["embed_demo_sts"]["cosine_pearson,none"], pearson(g, c), "pearson")
assert res["embed_demo_sts"]["cosine_spearman_stderr,none"] > 0

# pairs: MTEB's PairClassificationEvaluator (rows sorted by cosine, high first, stable)
pr = load("pairs.jsonl")
rows = sorted([(cos(embed_text(r["sentence1"]), embed_text(r["sentence2"])), r["label"]) for r in pr],
              key=lambda x: x[0], reverse=True)
n, P = len(rows), sum(l for _, l in rows)
acc, pos, negleft = 0, 0, n - P
f1, ext, cor = 0, 0, 0
for i in range(n - 1):
    if rows[i][1]: pos += 1
    else: negleft -= 1
    acc = max(acc, (pos + negleft) / n)
    ext += 1; cor += rows[i][1]
    if cor:
        p, r = cor / ext, cor / P
        f1 = max(f1, 2 * p * r / (p + r))
ap, tp, fp, prev = 0.0, 0, 0, 0.0
for i, (s, l) in enumerate(rows):  # sklearn average_precision_score
    tp += l; fp += 1 - l
    if i + 1 < n and rows[i + 1][0] == s: continue
    ap += (tp / P - prev) * tp / (tp + fp); prev = tp / P
near(res["embed_demo_pairs"]["cos_sim_accuracy,none"], acc, "pair accuracy")
near(res["embed_demo_pairs"]["cos_sim_f1,none"], f1, "pair f1")
near(res["embed_demo_pairs"]["cos_sim_ap,none"], ap, "pair ap")

# retrieval: pytrec_eval's ndcg_cut_10 and recall, MTEB's MRR@10; ties keep corpus order
corpus, queries = load("corpus.jsonl"), load("queries.jsonl")
cv = [embed_text(r["text"]) for r in corpus]
tot = {"ndcg_at_10": 0, "mrr_at_10": 0, "recall_at_1": 0, "recall_at_5": 0, "recall_at_10": 0}
for q in queries:
    qv = embed_text(q["query"])
    order = sorted(range(len(corpus)), key=lambda i: -cos(qv, cv[i]))
    rel = [1 if corpus[i]["id"] in q["relevant"] else 0 for i in order]
    dcg = sum(r / math.log2(k + 2) for k, r in enumerate(rel[:10]))
    idcg = sum(1 / math.log2(k + 2) for k in range(min(10, sum(rel))))
    tot["ndcg_at_10"] += dcg / idcg
    tot["mrr_at_10"] += next((1 / (k + 1) for k, r in enumerate(rel[:10]) if r), 0)
    for k in (1, 5, 10): tot["recall_at_%d" % k] += sum(rel[:k]) / sum(rel)
for m, v in tot.items():
    near(res["embed_demo_retrieval"][m + ",none"], v / len(queries), m)

# usage: every distinct text once, prompt tokens = the server's word counts, cost at $100/Mtok
texts = set()
for r in sts + pr: texts.update([r["sentence1"], r["sentence2"]])
u = d["usage_by_task"]
want_sts = sum(len(words_of(t)) for t in {x for r in sts for x in (r["sentence1"], r["sentence2"])})
assert u["embed_demo_sts"]["prompt_tokens"] == want_sts, (u["embed_demo_sts"], want_sts)
near(u["embed_demo_sts"]["cost_usd"], want_sts * 100 / 1e6, "embedding cost")
# batched: far fewer requests than texts, none over the engine's 256 inputs
st = json.load(urllib.request.urlopen("http://127.0.0.1:%s/embed_stats" % sys.argv[3]))
ntexts = len({x for r in sts for x in (r["sentence1"], r["sentence2"])}) + \
         len({x for r in pr for x in (r["sentence1"], r["sentence2"])}) + len(corpus) + len(queries)
assert sum(st["inputs"]) == ntexts and st["requests"] == 3, st
PY

# the built-in engine directly and through tianti serve's /v1/embeddings: the same numbers
"$TIANTI_BIN" run --task embed_demo --model glm:models/tianti-tiny.gguf@q4_0 --db glm.db -q --format json > glm.json 2> glm.err ||
  { cat glm.err; fail "embedding run on the built-in engine failed"; }
"$TIANTI_BIN" serve --model glm:models/tianti-tiny.gguf@q4_0 --port 0 > serve.out 2> serve.err &
pids+=($!)
for _ in $(seq 100); do grep -q serving serve.out 2>/dev/null && break; sleep 0.1; done
sport=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)$/\1/p' serve.out)
[ -n "$sport" ] || { cat serve.err; fail "tianti serve did not start"; }
OPENAI_BASE_URL=http://127.0.0.1:$sport/v1 "$TIANTI_BIN" run --task embed_demo --model openai:tiny --db via.db -q \
  --format json > via.json 2> via.err || { cat via.err; fail "embedding run through tianti serve failed"; }
/usr/bin/python3 - glm.json via.json <<'PY' || fail "tianti serve's embeddings score differently from the engine's"
import json, sys
a, b = (json.load(open(f))[0]["results"] for f in sys.argv[1:3])
n = 0
for t in ("embed_demo_sts", "embed_demo_pairs", "embed_demo_retrieval"):
    for k, v in a[t].items():
        if "," in k and "_stderr" not in k and isinstance(v, float):
            assert abs(v - b[t][k]) < 1e-4, (t, k, v, b[t][k]); n += 1
assert n == 10, n
PY
# ---- (3) moderation ------------------------------------------------------------------
/usr/bin/python3 - <<'PY'
import json, random
rnd = random.Random(7)
words = ["kiss", "hate", "kill", "blood", "idiot", "violence", "weather", "garden", "music", "tea"]
with open("mod.jsonl", "w") as f:
    for i in range(60):
        text = " ".join(rnd.choice(words) for _ in range(3)) + " number %d" % i
        rec = {"prompt": text, "S": int("kiss" in text), "H": int("hate" in text),
               "V": int("kill" in text or "violence" in text)}
        if i % 5 == 0: rec["S"] = 1 - rec["S"]      # the classifier is not always right
        if i % 7 == 0: del rec["H"]                 # unknown, not 0
        if i % 11 == 0: rec["V"] = None             # unknown too
        rec["kind"] = "bad" if any(w in text for w in ("kiss", "hate", "kill", "blood", "idiot")) else "fine"
        if i % 4 == 0: rec["kind"] = "fine"         # (labels a classifier gets wrong)
        rec["topic"] = ["a", "b", "c"][i % 3]
        f.write(json.dumps(rec) + "\n")
PY
cat > mod.json <<'JSON'
{"name": "mod_test", "version": 1, "dataset": {"path": "mod.jsonl"}, "output_type": "classify",
 "classify": {"categories": {"S": "sexual", "H": "hate", "V": "violence"}}, "doc_to_text": "{{prompt}}"}
JSON
cat > modgroups.json <<'JSON'
{"name": "mod_groups", "version": 1, "dataset": {"path": "mod.jsonl"}, "output_type": "classify",
 "classify": {"categories": {"kind": "flagged"}, "positive": "bad", "group_by": ["topic"]}, "doc_to_text": "{{prompt}}"}
JSON
cat > modchat.json <<'JSON'
{"name": "mod_chat", "version": 1, "dataset": {"path": "mod.jsonl"}, "output_type": "classify",
 "classify": {"categories": {"S": "sexual", "H": "hate", "V": "violence"}, "via": "chat"},
 "doc_to_text": "{{prompt}}"}
JSON
/usr/bin/python3 - models.json "http://127.0.0.1:$fport/v1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["models"]["mod"] = {"spec": "openai:omni-moderation-latest", "base_url": sys.argv[2], "timeout_s": 1, "max_retries": 6}
json.dump(m, open(sys.argv[1], "w"))
PY
"$TIANTI_BIN" run --task mod.json --task modchat.json --task modgroups.json --model mod --models models.json --db mod.db -q --format json \
  -j 4 --bootstrap 100 > mod.out 2> mod.err || { cat mod.err; fail "moderation run failed"; }
/usr/bin/python3 - mod.out "$TIANTI_SOURCE_DIR" <<'PY' || fail "moderation metrics differ from the values worked out here"
import json, sys
sys.path.insert(0, sys.argv[2] + "/tests/tools")
from fault_server import moderation_scores
d = json.load(open(sys.argv[1]))[0]
recs = [json.loads(l) for l in open("mod.jsonl")]
cats = {"S": "sexual", "H": "hate", "V": "violence"}

def prf(pred, lab):
    tp = sum(p and l for p, l in zip(pred, lab)); fp = sum(p and not l for p, l in zip(pred, lab))
    fn = sum(l and not p for p, l in zip(pred, lab))
    p = tp / (tp + fp) if tp + fp else 0.0; r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)

def auroc(s, lab):  # sklearn roc_auc_score = P(score of a positive > a negative), ties 1/2
    pos = [x for x, l in zip(s, lab) if l]; neg = [x for x, l in zip(s, lab) if not l]
    return sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))

def auprc(s, lab):  # sklearn average_precision_score
    rows = sorted(zip(s, lab), key=lambda x: -x[0]); P = sum(lab); ap = prev = 0.0; tp = fp = 0
    for i, (x, l) in enumerate(rows):
        tp += l; fp += 1 - l
        if i + 1 < len(rows) and rows[i + 1][0] == x: continue
        ap += (tp / P - prev) * tp / (tp + fp); prev = tp / P
    return ap

def near(a, b, what): assert abs(a - b) < 1e-9, (what, a, b)

for task, via in (("mod_test", "moderation"), ("mod_chat", "chat")):
    res = d["results"][task]
    macro = {m: [] for m in ("precision", "recall", "f1", "auroc", "auprc")}
    for key, name in cats.items():
        rows = [r for r in recs if r.get(key) is not None]
        lab = [r[key] for r in rows]
        if via == "moderation":
            s = [moderation_scores(r["prompt"])[name] for r in rows]; pred = [x >= 0.5 for x in s]
        else:  # the server echoes the prompt upper-cased; the category is named when its word is there
            pred = [name in r["prompt"].split() for r in rows]; s = [float(p) for p in pred]
        want = dict(zip(("precision", "recall", "f1"), prf(pred, lab)))
        want["auroc"], want["auprc"] = auroc(s, lab), auprc(s, lab)
        for m, v in want.items():
            near(res["%s,%s" % (m, key)], v, (task, m, key)); macro[m].append(v)
        assert "%s_stderr,%s" % ("auroc", key) in res
    for m, vs in macro.items():
        near(res["%s,macro" % m], sum(vs) / len(vs), (task, m, "macro"))
# "flagged": the overall decision (any category at 0.5), scored by the highest category score; text labels with
# "positive"; accuracy and macro F1; accuracy per topic
res = d["results"]["mod_groups"]
lab = [int(r["kind"] == "bad") for r in recs]
s = [max(moderation_scores(r["prompt"]).values()) for r in recs]
pred = [x >= 0.5 for x in s]
near(res["auprc,kind"], auprc(s, lab), "flagged auprc")
near(res["accuracy,kind"], sum(p == l for p, l in zip(pred, lab)) / len(lab), "accuracy")
f_pos = prf(pred, lab)[2]; f_neg = prf([not p for p in pred], [1 - l for l in lab])[2]
near(res["macro_f1,kind"], (f_pos + f_neg) / 2, "macro f1")
for topic in "abc":
    idx = [i for i, r in enumerate(recs) if r["topic"] == topic]
    near(res["accuracy,topic=%s" % topic], sum(pred[i] == lab[i] for i in idx) / len(idx), "accuracy " + topic)
# labelled counts: H unknown for i % 7 == 0 (9 of 60), V for i % 11 == 0 (6 of 60)
assert d["usage_by_task"]["mod_test"]["requests"] == 60, d["usage_by_task"]
PY
# ---- (4) speech recognition ----------------------------------------------------------
mkdir speech && cp -r "$TIANTI_SOURCE_DIR/tasks/speech_demo/"*.json "$TIANTI_SOURCE_DIR/tasks/speech_demo/data" \
  "$TIANTI_SOURCE_DIR/tasks/speech_demo/gen_audio.py" speech/
/usr/bin/python3 speech/gen_audio.py > /dev/null || fail "gen_audio.py could not synthesise the demo audio"
/usr/bin/python3 - <<'PY' || fail "cannot write the transcripts"
import hashlib, json, os
# what the server "hears": per sentence, a known deviation from the reference
wrong = {"en-01": "the weather is nice today",                          # right (case and dot normalised)
         "en-02": "Please close the window, it is warm.",               # open->close, inside dropped
         "en-03": "Our train leaves the old station at seven in the morning!",  # old inserted
         "en-04": "",                                                    # nothing heard
         "zh-01": "今天天气很好",                                          # right
         "zh-02": "请把窗户关上，屋里很热。",                               # 打开 -> 关上
         "zh-03": "我们火车早上七点出发了",                                 # 的 dropped, 了 added
         "zh-04": "她每个星期读一本新书。"}
out = {}
for rec_id, text in wrong.items():
    with open("speech/audio/%s.wav" % rec_id, "rb") as f:
        out[hashlib.sha256(f.read()).hexdigest()] = text
json.dump(out, open("transcripts.json", "w"), ensure_ascii=False)
PY
/usr/bin/python3 "$TIANTI_SOURCE_DIR/tests/tools/fault_server.py" --port 0 --transcripts transcripts.json > fault2.out 2>fault2.err &
pids+=($!)
for _ in $(seq 50); do grep -q PORT fault2.out 2>/dev/null && break; sleep 0.1; done
f2=$(sed -n 's/PORT //p' fault2.out)
[ -n "$f2" ] || fail "second fault server did not start"
OPENAI_BASE_URL=http://127.0.0.1:$f2/v1 "$TIANTI_BIN" run --task speech/speech_demo_en.json --task speech/speech_demo_zh.json \
  --model openai:whisper-1 --db asr.db -q --format json -j 2 --model_args timeout_s=1,max_retries=6 > asr.json 2> asr.err ||
  { cat asr.err; fail "speech run failed"; }
/usr/bin/python3 - asr.json <<'PY' || fail "WER/CER differ from the alignment worked out here"
import json, re, sys, unicodedata
d = json.load(open(sys.argv[1]))[0]["results"]
def norm(t):  # judges/asr_metrics.h: lower, punctuation/symbols to spaces, one space
    t = re.sub(r"[^\w\s]", " ", t.lower())
    return " ".join(t.split())
def words(t):
    out = []
    for w in norm(t).split():
        cur = ""
        for ch in w:
            if "\u4e00" <= ch <= "\u9fff":
                if cur: out.append(cur); cur = ""
                out.append(ch)
            else: cur += ch
        if cur: out.append(cur)
    return out
def chars(t): return list(norm(t).replace(" ", ""))
def edits(r, h):
    d = [[i + j if i * j == 0 else 0 for j in range(len(h) + 1)] for i in range(len(r) + 1)]
    for i in range(1, len(r) + 1):
        for j in range(1, len(h) + 1):
            d[i][j] = min(d[i-1][j-1] + (r[i-1] != h[j-1]), d[i-1][j] + 1, d[i][j-1] + 1)
    return d[-1][-1]
heard = {"en": ["the weather is nice today", "Please close the window, it is warm.",
                "Our train leaves the old station at seven in the morning!", ""],
         "zh": ["今天天气很好", "请把窗户关上，屋里很热。", "我们火车早上七点出发了", "她每个星期读一本新书。"]}
refs = {l: [json.loads(x)["text"] for x in open("speech/data/sentences_%s.jsonl" % l, encoding="utf-8")] for l in heard}
# worked out by hand: en words: 0 + 2 (open->close, inside) + 1 (old) + 7 (she reads a new book every week) over
# 5 + 8 + 10 + 7 = 30; zh characters: 0 + 2 + 2 + 0 over 6 + 10 + 11 + 10 = 37 (punctuation not counted)
hand = {("en", "wer"): 10 / 30, ("zh", "cer"): 4 / 37}
for l in heard:
    for m, unit in (("wer", words), ("cer", chars)):
        want = sum(edits(unit(r), unit(h)) for r, h in zip(refs[l], heard[l])) / sum(len(unit(r)) for r in refs[l])
        got = d["speech_demo_%s" % l]["%s,none" % m]
        assert abs(got - want) < 1e-12, (l, m, got, want)
        if (l, m) in hand: assert abs(want - hand[(l, m)]) < 1e-12, (l, m, want, hand[(l, m)])
# Chinese: every character a word, so its WER is its CER
assert abs(d["speech_demo_zh"]["wer,none"] - d["speech_demo_zh"]["cer,none"]) < 1e-12
PY
echo "ok: openai family"
