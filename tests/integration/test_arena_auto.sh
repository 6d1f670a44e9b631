#!/usr/bin/env bash
# test_arena_auto.sh — `tianti arena auto` with three replay models (good:
# always right, mid: right on half the prompts, bad: always wrong and
# silent on one prompt) and three judges: the reference judge, a replay
# LLM judge that prefers the right answer in either position, and replay
# judges that are position-biased or unparsable. Checks the stored battles
# (source, judge, winners, flags) and the ratings computed from them, and
# battles against a baseline (--baseline).
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 not installed (scripts/setup.sh --test installs it)"; exit 1; }
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3)
[ -n "$PY" ] || { echo "FAIL: python3 not installed (scripts/setup.sh --test installs it)"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# prompts with references; models' recorded answers
"$PY" - "$TMP" <<'P'
import json, sys
d = sys.argv[1]
qs = [("What is 2+2?", "4"), ("What is 3*3?", "9"), ("Capital of France?", "Paris"),
      ("What is 10-7?", "3"), ("Largest planet?", "Jupiter"), ("What is 6*7?", "42")]
with open(d + "/prompts.jsonl", "w") as f:
    for i, (q, r) in enumerate(qs):
        f.write(json.dumps({"question_id": i + 1, "category": "test", "turns": [q], "reference": r}) + "\n")
    f.write(json.dumps({"question_id": 99, "turns": ["Unanswered"], "reference": "x"}) + "\n")
def rec(q, text):
    return json.dumps({"kind": "chat", "messages": [{"role": "user", "content": q}], "text": text}) + "\n"
with open(d + "/good.jsonl", "w") as g, open(d + "/mid.jsonl", "w") as m, open(d + "/bad.jsonl", "w") as b:
    for i, (q, r) in enumerate(qs):
        g.write(rec(q, "The answer is " + r + "."))
        m.write(rec(q, "The answer is " + (r if i < 3 else "unknown") + "."))
        b.write(rec(q, "The answer is nothing."))
    g.write(rec("Unanswered", "x"))
    m.write(rec("Unanswered", "x"))
P
MODELS=(--model "good=replay:$TMP/good.jsonl" --model "mid=replay:$TMP/mid.jsonl" --model "bad=replay:$TMP/bad.jsonl")

# ---- reference judge (the answer must contain the reference) ----
"$BIN" arena auto "${MODELS[@]}" --judge reference:contains --prompts "$TMP/prompts.jsonl" --rounds 60 --seed 5 \
  --db "$TMP/ref.db" >"$TMP/out" || fail "auto with reference judge: $(cat "$TMP/out")"
grep -q "stored 60 battles" "$TMP/out" || fail "summary: $(tail -1 "$TMP/out")"
q() { sqlite3 "$1" "$2"; }
[ "$(q "$TMP/ref.db" "SELECT count(*) FROM battles WHERE source='judge:reference:contains' AND judge='reference:contains'")" = 60 ] \
  || fail "source/judge columns"
# engine failures: bad has no answer to 'Unanswered'
[ "$(q "$TMP/ref.db" "SELECT count(*) FROM battles WHERE flags='engine_error' AND winner IS NULL")" = \
  "$(q "$TMP/ref.db" "SELECT count(*) FROM battles WHERE prompt='Unanswered' AND 'bad' IN (model_a, model_b)")" ] \
  || fail "engine_error battles"
# the rule, battle by battle: right beats wrong, otherwise a tie
"$PY" - "$TMP/ref.db" <<'P' || fail "reference verdicts"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
refs = {"What is 2+2?": "4", "What is 3*3?": "9", "Capital of France?": "Paris", "What is 10-7?": "3",
        "Largest planet?": "Jupiter", "What is 6*7?": "42", "Unanswered": "x"}
n = 0
for prompt, ca, cb, winner, flags in db.execute(
        "SELECT prompt, conversation_a, conversation_b, winner, flags FROM battles"):
    if flags:
        continue
    ra = refs[prompt] in json.loads(ca)[1]["content"]
    rb = refs[prompt] in json.loads(cb)[1]["content"]
    want = "tie" if ra == rb else ("model_a" if ra else "model_b")
    assert winner == want, (prompt, ca, cb, winner)
    n += 1
assert n > 40, n
# pairs are spread evenly (weighted toward pairs that met less)
counts = [c for (c,) in db.execute("SELECT count(*) FROM battles GROUP BY min(model_a, model_b), max(model_a, model_b)")]
assert len(counts) == 3 and min(counts) >= 14, counts
P
"$BIN" ratings --db "$TMP/ref.db" --source judge --bootstrap 50 --format json >"$TMP/r1" || fail "ratings --source judge"
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["ratings"]
order = [r["model"] for r in sorted(rows, key=lambda r: -r["rating"])]
assert order == ["good", "mid", "bad"], order
' "$TMP/r1" || fail "rating order: $(cat "$TMP/r1")"
# ---- against a baseline: every battle has it on one side, the others evenly ----
"$BIN" arena auto "${MODELS[@]}" --baseline bad --judge reference:contains --prompts "$TMP/prompts.jsonl" --rounds 40 \
  --seed 3 --db "$TMP/base.db" >"$TMP/out" || fail "auto with a baseline: $(cat "$TMP/out")"
[ "$(q "$TMP/base.db" "SELECT count(*), sum('bad' IN (model_a, model_b)), sum(model_a = 'bad') BETWEEN 10 AND 30,
     sum('good' IN (model_a, model_b)) BETWEEN 15 AND 25, sum(model_a = model_b) FROM battles")" = "40|40|1|1|0" ] \
  || fail "battles against the baseline: $(q "$TMP/base.db" "SELECT model_a, model_b FROM battles")"
"$BIN" arena auto "${MODELS[@]}" --baseline nobody --judge reference --prompts "$TMP/prompts.jsonl" --db "$TMP/x.db" \
  >"$TMP/out" 2>&1 && fail "an unknown baseline was accepted"
grep -q "the baseline 'nobody' is not one of the models (good, mid, bad)" "$TMP/out" || fail "baseline message: $(cat "$TMP/out")"
"$BIN" ratings --db "$TMP/ref.db" --source human >/dev/null 2>"$TMP/err"
grep -q "no rated battles" "$TMP/err" || fail "human source should have no battles"

# ---- LLM judge on replay: first collect the requests it will be sent ----
echo '{"kind":"chat","messages":[{"role":"user","content":"-"}],"text":"-"}' >"$TMP/nojudge.jsonl"
"$BIN" arena auto "${MODELS[@]}" --judge "llm:replay:$TMP/nojudge.jsonl" --prompts "$TMP/prompts.jsonl" --rounds 60 \
  --seed 5 --db "$TMP/err.db" --save-judge-requests "$TMP/requests.jsonl" >"$TMP/out" || fail "auto, judge without answers"
# a judge with no answer is an error, never a verdict
[ "$(q "$TMP/err.db" "SELECT count(*) FROM battles WHERE winner IS NOT NULL")" = 0 ] || fail "verdicts from a silent judge"
[ "$(q "$TMP/err.db" "SELECT count(*) FROM battles WHERE flags LIKE '%judge_error%'")" = \
  "$(q "$TMP/ref.db" "SELECT count(*) FROM battles WHERE flags IS NULL")" ] || fail "judge_error count"

# judge replays: fair (prefers the right answer wherever it is), biased (always [[A]]), garbage
"$PY" - "$TMP" <<'P'
import json, re, sys
d = sys.argv[1]
refs = {"What is 2+2?": "4", "What is 3*3?": "9", "Capital of France?": "Paris", "What is 10-7?": "3",
        "Largest planet?": "Jupiter", "What is 6*7?": "42", "Unanswered": "x"}
fair, biased, garbage = [], [], []
for line in open(d + "/requests.jsonl"):
    req = json.loads(line)["request"]
    user = req["messages"][1]["content"]
    q = re.search(r"<<<QUESTION>>>\n(.*?)\n<<<END OF QUESTION>>>", user, re.S).group(1)
    a = re.search(r"<<<ANSWER A>>>\n(.*?)\n<<<END OF ANSWER A>>>", user, re.S).group(1)
    b = re.search(r"<<<ANSWER B>>>\n(.*?)\n<<<END OF ANSWER B>>>", user, re.S).group(1)
    ra, rb = refs[q] in a, refs[q] in b
    v = "[[C]]" if ra == rb else ("[[A]]" if ra else "[[B]]")
    fair.append({"request": req, "response": {"text": "Reasoning.\n" + v}})
    biased.append({"request": req, "response": {"text": "The first one. [[A]]"}})
    garbage.append({"request": req, "response": {"text": "Both have merits; verdict: A"}})
for name, rows in (("fair", fair), ("biased", biased), ("garbage", garbage)):
    with open(d + "/judge_" + name + ".jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
P
"$BIN" arena auto "${MODELS[@]}" --judge "llm:replay:$TMP/judge_fair.jsonl" --prompts "$TMP/prompts.jsonl" --rounds 60 \
  --seed 5 --db "$TMP/fair.db" -q >"$TMP/out" || fail "auto with fair judge"
# same seed: same battles as the reference judge, and a consistent judge agrees with it
[ "$(q "$TMP/fair.db" "SELECT group_concat(coalesce(winner,'-') || model_a || model_b, ',') FROM battles ORDER BY id")" = \
  "$(q "$TMP/ref.db" "SELECT group_concat(coalesce(winner,'-') || model_a || model_b, ',') FROM battles ORDER BY id")" ] \
  || fail "fair LLM judge disagrees with the reference judge"
[ "$(q "$TMP/fair.db" "SELECT count(*) FROM battles WHERE json_extract(extra_json, '\$.judgement.consistent') = 1")" = \
  "$(q "$TMP/fair.db" "SELECT count(*) FROM battles WHERE flags IS NULL")" ] || fail "consistency recorded"
"$BIN" ratings --db "$TMP/fair.db" --source judge --bootstrap 50 --format json >"$TMP/r2" || fail "ratings fair"
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["ratings"]
assert [r["model"] for r in sorted(rows, key=lambda r: -r["rating"])] == ["good", "mid", "bad"]
' "$TMP/r2" || fail "fair rating order"

"$BIN" arena auto "${MODELS[@]}" --judge "llm:replay:$TMP/judge_biased.jsonl" --prompts "$TMP/prompts.jsonl" --rounds 60 \
  --seed 5 --db "$TMP/biased.db" -q >/dev/null || fail "auto with biased judge"
# position bias cancels: every judged battle is a tie
[ "$(q "$TMP/biased.db" "SELECT count(DISTINCT winner) || ':' || min(winner) FROM battles WHERE flags IS NULL")" = "1:tie" ] \
  || fail "biased judge produced wins"

"$BIN" arena auto "${MODELS[@]}" --judge "llm:replay:$TMP/judge_garbage.jsonl" --prompts "$TMP/prompts.jsonl" --rounds 60 \
  --seed 5 --db "$TMP/garbage.db" -q >"$TMP/out" || fail "auto with garbage judge"
[ "$(q "$TMP/garbage.db" "SELECT count(*) FROM battles WHERE winner IS NOT NULL")" = 0 ] || fail "garbage verdicts counted"
[ "$(q "$TMP/garbage.db" "SELECT count(*) FROM battles WHERE json_extract(extra_json, '\$.judge_error') LIKE 'unparsable%'")" -gt 0 ] \
  || fail "unparsable verdict not recorded"

# ---- a task file as the prompt set: its prompts, targets and metric (exact_match, ignore_case) ----
cat >"$TMP/docs.jsonl" <<'J'
{"q":"2+2?","choices":["3","4"],"answer":1}
{"q":"Sky colour?","choices":["blue","green"],"answer":0}
J
cat >"$TMP/task.json" <<'J'
{"name": "toy_gen", "version": "1", "dataset": {"path": "docs.jsonl"}, "doc_to_text": "Q: {{q}}\nA:",
 "doc_to_target": "{{choices[answer]}}", "output_type": "generate_until",
 "metrics": [{"metric": "exact_match", "ignore_case": true}]}
J
"$PY" - "$TMP" <<'P'
import json, sys
d = sys.argv[1]
def rec(q, t):
    return json.dumps({"kind": "chat", "messages": [{"role": "user", "content": q}], "text": t}) + "\n"
open(d + "/t_right.jsonl", "w").write(rec("Q: 2+2?\nA:", " 4") + rec("Q: Sky colour?\nA:", " Blue\n"))
open(d + "/t_wrong.jsonl", "w").write(rec("Q: 2+2?\nA:", " 3") + rec("Q: Sky colour?\nA:", " Blue sky"))
P
"$BIN" arena auto --model "right=replay:$TMP/t_right.jsonl" --model "wrong=replay:$TMP/t_wrong.jsonl" --judge reference \
  --prompts "$TMP/task.json" --db "$TMP/task.db" -q >"$TMP/out" || fail "auto on a task: $(cat "$TMP/out")"
[ "$(q "$TMP/task.db" "SELECT group_concat(CASE WHEN winner = 'tie' THEN 'tie' WHEN winner = 'model_a' THEN model_a ELSE model_b END)
     FROM (SELECT * FROM battles ORDER BY id)")" = "right,right" ] || fail "task verdicts: $(q "$TMP/task.db" "SELECT * FROM battles")"
[ "$(q "$TMP/task.db" "SELECT count(*) FROM battles WHERE json_extract(extra_json, '\$.judgement.metric') = 'exact_match'")" = 2 ] \
  || fail "task metric not used"

# ---- models from a registry file keep their registry names ----
printf '{"models": {"champion": {"spec": "replay:%s/good.jsonl", "threads": 1}}}\n' "$TMP" >"$TMP/models.json"
"$BIN" arena auto --models "$TMP/models.json" --model champion --model "replay:$TMP/bad.jsonl" --judge reference:contains \
  --prompts "$TMP/prompts.jsonl" --rounds 4 --db "$TMP/reg.db" -q >/dev/null || fail "auto with a registry"
[ "$(q "$TMP/reg.db" "SELECT group_concat(DISTINCT model_a) FROM (SELECT model_a FROM battles UNION SELECT model_b FROM battles ORDER BY 1)")" = "bad,champion" ] \
  || fail "registry names: $(q "$TMP/reg.db" "SELECT model_a, model_b FROM battles")"
"$BIN" arena auto --model "x=replay:$TMP/good.jsonl" --model "x=replay:$TMP/bad.jsonl" --judge reference \
  --prompts "$TMP/prompts.jsonl" --db "$TMP/x.db" 2>"$TMP/err"
[ $? = 2 ] && grep -q "two models are named 'x'" "$TMP/err" || fail "duplicate names: $(cat "$TMP/err")"

# ---- base models: recorded raw completions (no chat), cut at the newline ----
"$PY" - "$TMP" <<'P'
import json, sys
d = sys.argv[1]
def rec(q, t):
    return json.dumps({"kind": "generate", "context": q, "text": t}) + "\n"
open(d + "/c_right.jsonl", "w").write(rec("Q: 2+2?\nA:", " 4\nQ: next") + rec("Q: Sky colour?\nA:", " blue\n"))
open(d + "/c_wrong.jsonl", "w").write(rec("Q: 2+2?\nA:", " 5\n") + rec("Q: Sky colour?\nA:", " blue\n"))
P
"$BIN" arena auto --model "right=replay:$TMP/c_right.jsonl" --model "wrong=replay:$TMP/c_wrong.jsonl" --judge reference \
  --prompts "$TMP/task.json" --completion --db "$TMP/comp.db" -q >"$TMP/out" || fail "auto --completion: $(cat "$TMP/out")"
[ "$(q "$TMP/comp.db" "SELECT group_concat(CASE WHEN winner = 'tie' THEN 'tie' WHEN winner = 'model_a' THEN model_a ELSE model_b END)
     FROM (SELECT * FROM battles ORDER BY prompt)")" = "right,tie" ] || fail "completion verdicts: $(q "$TMP/comp.db" "SELECT prompt, winner, conversation_a FROM battles")"

# ---- usage errors ----
"$BIN" arena auto --model "replay:$TMP/good.jsonl" --judge reference --prompts "$TMP/prompts.jsonl" --db "$TMP/x.db" 2>/dev/null
[ $? = 2 ] || fail "one model should be a usage error"
"$BIN" arena auto "${MODELS[@]}" --judge oracle --prompts "$TMP/prompts.jsonl" --db "$TMP/x.db" 2>"$TMP/err"
[ $? = 2 ] && grep -q "unknown judge 'oracle'" "$TMP/err" || fail "bad judge: $(cat "$TMP/err")"
echo "ok"
