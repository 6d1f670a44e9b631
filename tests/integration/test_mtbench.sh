#!/usr/bin/env bash
# test_mtbench.sh — `tianti mtbench` and `tianti arena-hard` end to end with
# recorded models and recorded judges (replay engines), on the small test
# sets of tests/data/mtbench, against numbers worked out here from
# FastChat's and arena-hard-auto's definitions:
#   - gen answers both turns, turn 2 seeing turn 1's answer (the recorded
#     models only answer the exact two-turn conversation);
#   - single grading: the prompt per category and turn (reference-guided for
#     math and reasoning, multi-turn for turn 2), "[[x]]" and the "[x]"
#     fallback, a reply without a rating kept with score -1 and left out;
#     averages per turn, overall and per category;
#   - judging again asks the judge nothing (the request cache);
#   - pairwise: both orders, a win only when they agree, an error left out;
#   - the report shows the per-category table and chart;
#   - Arena-Hard: strong verdicts as 3 battles, the score the win rate
#     against the baseline, a 95% interval around it;
#   - the reference judge (no model): each turn's answer checked against the
#     question file's own per-turn references, 10/1 and right-beats-wrong;
#   - with ../shared/datasets present: two MT-bench questions answered and
#     judged by the built-in tiny model (a stand-in judge), its replies kept.
# Fails without jq, sqlite3 or /usr/bin/python3 (scripts/setup.sh --test).
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
SRC=${TIANTI_SOURCE_DIR:?TIANTI_SOURCE_DIR not set}
fail() { echo "FAIL: $*"; exit 1; }
for t in jq sqlite3; do command -v $t >/dev/null || fail "$t not installed (scripts/setup.sh --test installs it)"; done
PY=/usr/bin/python3
[ -x "$PY" ] || fail "/usr/bin/python3 missing (scripts/setup.sh installs it)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -n "${KEEP_TMP:-}" ] && trap 'echo "kept $TMP"' EXIT
cd "$TMP"
D=$SRC/tests/data/mtbench
Q="--questions $D/question.jsonl --references $D/reference_answer.jsonl --judge-prompts $D/judge_prompts.jsonl"

# ---- two recorded models: "N:"/"S:" answers, turn 2 only after their own turn 1 ------------------
"$PY" - "$D/question.jsonl" <<'PY'
import json, sys
qs = [json.loads(l) for l in open(sys.argv[1])]
for name, tag in (("north", "N"), ("south", "S")):
    with open(name + ".jsonl", "w") as f:
        for q in qs:
            a1 = "%s: answer to %d" % (tag, q["question_id"])
            a2 = "%s2: follow-up answer to %d" % (tag, q["question_id"])
            f.write(json.dumps({"kind": "chat", "messages": [{"role": "user", "content": q["turns"][0]}], "text": a1}) + "\n")
            f.write(json.dumps({"kind": "chat", "messages": [{"role": "user", "content": q["turns"][0]},
                                {"role": "assistant", "content": a1}, {"role": "user", "content": q["turns"][1]}],
                                "text": a2}) + "\n")
PY

"$BIN" mtbench gen --model north=replay:$TMP/north.jsonl --model south=replay:$TMP/south.jsonl $Q --db mt.db \
  2> gen.err || fail "gen: $(cat gen.err)"
[ "$(sqlite3 mt.db "SELECT count(*), sum(answer IS NULL) FROM judged_answers WHERE bench = 'mt_bench'")" = "16|0" ] \
  || fail "answers stored: $(sqlite3 mt.db 'SELECT model, question_id, turn, error FROM judged_answers')"
[ "$(sqlite3 mt.db "SELECT answer FROM judged_answers WHERE model = 'north' AND question_id = '3' AND turn = 2")" \
  = "N2: follow-up answer to 3" ] || fail "turn 2 answer"

# ---- single grading ------------------------------------------------------------------------------------
# a judge with nothing recorded for these prompts: every judgment is kept, with score -1
echo '{"kind": "chat", "messages": [{"role": "user", "content": "unrelated"}], "text": "x"}' > none.jsonl
"$BIN" mtbench judge --judge replay:$TMP/none.jsonl $Q --db mt.db --save-judge-requests single.req 2> j0.err \
  || fail "judge without answers: $(cat j0.err)"
[ "$(wc -l < single.req)" = 16 ] || fail "16 judge requests expected: $(wc -l < single.req)"
[ "$(sqlite3 mt.db "SELECT count(*), sum(score = -1) FROM judgments")" = "16|16" ] || fail "unanswered judgments"
# the prompt of each judgment: FastChat's choice by category and turn
got=$(sqlite3 mt.db "SELECT DISTINCT category || ':' || turn || ':' || prompt_name FROM judgments ORDER BY 1" | tr '\n' ' ')
[ "$got" = "math:1:single-math-v1 math:2:single-math-v1-multi-turn reasoning:1:single-math-v1 reasoning:2:single-math-v1-multi-turn roleplay:1:single-v1 roleplay:2:single-v1-multi-turn writing:1:single-v1 writing:2:single-v1-multi-turn " ] \
  || fail "prompt choice: $got"
grep -q '50' single.req && grep -q '{the}' single.req || fail "the reference of turn 2, or '{{' in a template, not in the prompt"

# the recorded judge: north 8 on turn 1 ([[8]]) and 9 on turn 2 (the [9] fallback);
# south 5.5 on turn 1; on turn 2 6, no rating, 7, 4 for questions 1-4
"$PY" - single.req > judge1.jsonl <<'PY'
import json, re, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    user = r["request"]["messages"][1]["content"]
    second = user.startswith("[SECOND TURN]")
    ans = re.search(r"\[ANS\]\n(.*)\n\[/ANS\]", user, re.S).group(1)
    q = int(ans.rsplit(" ", 1)[1])
    if ans.startswith("N"):
        text = "Fine. Rating: [9]" if second else "Good. Rating: [[8]]"
    else:
        text = {1: "[[6]]", 2: "I cannot decide.", 3: "Rating: [[7]]", 4: "[[4]] then [[10]]"}[q] if second \
            else "Rating: [[5.5]]"
    r["response"] = {"text": text}
    print(json.dumps(r))
PY
"$BIN" mtbench judge --judge replay:$TMP/judge1.jsonl $Q --db mt.db 2> j1.err || fail "judge: $(cat j1.err)"
grep -q "16 judgments stored (1 without a rating)" j1.err || fail "judge summary: $(cat j1.err)"
"$BIN" mtbench show --db mt.db --judge replay:$TMP/judge1.jsonl --format json > s1.json || fail "show"
# north: 8, 9, 8.5; south: turn 1 5.5, turn 2 (6+7+4)/3, overall (4*5.5+17)/7; categories: both turns
jq -e '.models[0].model == "north" and .models[0].turn_1 == 8 and .models[0].turn_2 == 9 and .models[0].average == 8.5
       and (.models[0].categories | [.[]] | all(. == 8.5))' s1.json > /dev/null || fail "north's scores: $(cat s1.json)"
jq -e '.models[1].model == "south" and .models[1].turn_1 == 5.5 and (.models[1].turn_2 - 17/3 | fabs) < 1e-9
       and (.models[1].average - 39/7 | fabs) < 1e-9 and .models[1].no_rating == 1
       and .models[1].categories.writing == 5.75 and .models[1].categories.math == 5.5
       and .models[1].categories.roleplay == 6.25 and .models[1].categories.reasoning == 4.75' s1.json > /dev/null \
  || fail "south's scores: $(jq -c '.models[1]' s1.json)"
jq -e '.categories == ["writing", "roleplay", "reasoning", "math"]' s1.json > /dev/null || fail "category order"
# the judge's own words are kept with every judgment
[ "$(sqlite3 mt.db "SELECT json_extract(output_json, '\$.judgment') FROM judgments WHERE model = 'south' AND question_id = '2'
  AND turn = 2 AND judge LIKE '%judge1%'")" = "I cannot decide." ] || fail "judge output not kept"
# judging again asks the judge nothing: every reply comes from the request cache
"$BIN" mtbench judge --judge replay:$TMP/judge1.jsonl $Q --db mt.db 2> j2.err || fail "judge again"
grep -q "judge: 16 requests (16 from the cache)" j2.err || fail "resumed judging asked the judge: $(cat j2.err)"
"$BIN" mtbench show --db mt.db --judge replay:$TMP/judge1.jsonl > s1.txt || fail "show table"
grep -q "by category" s1.txt || fail "show table: $(cat s1.txt)"

# ---- pairwise, all pairs (north is model 1: game 1 shows it as A) ------------------------------------------
"$BIN" mtbench judge --mode pairwise-all --judge replay:$TMP/none.jsonl $Q --db mt.db --save-judge-requests pair.req \
  2> p0.err || fail "pairwise requests: $(cat p0.err)"
[ "$(wc -l < pair.req)" = 16 ] || fail "pairwise: 8 matches x 2 games expected"
"$PY" - pair.req > judge2.jsonl <<'PY'
import json, re, sys
# (question, turn) -> (reply when north is A, reply when south is A)
plan = {(1, 1): ("[[A]]", "[[B]]"),            # north both times: north wins
        (1, 2): ("[[B]]", "[[A]]"),            # south both times: south wins
        (2, 1): ("[[A]]", "[[A]]"),            # the orders disagree: tie
        (2, 2): ("[[C]]", "[[C]]"),            # tie
        (3, 1): ("[[A]] and [[B]]", "[[B]]"),  # FastChat reads [[A]] first: north wins
        (3, 2): ("no verdict", "[[B]]"),       # an error: left out
        (4, 1): ("[[A]]", "[[B]]"),            # north wins
        (4, 2): ("[[B]]", "[[B]]")}            # disagree: tie
for line in open(sys.argv[1]):
    r = json.loads(line)
    user = r["request"]["messages"][1]["content"]
    a = re.search(r"\[A\]\n(.*?)\n", user).group(1)
    q = int(a.rsplit(" ", 1)[1])
    turn = 2 if user.startswith("[SECOND TURN]") else 1
    r["response"] = {"text": plan[(q, turn)][0 if a.startswith("N") else 1]}
    print(json.dumps(r))
PY
"$BIN" mtbench judge --mode pairwise-all --judge replay:$TMP/judge2.jsonl $Q --db mt.db 2> p1.err || fail "pairwise: $(cat p1.err)"
"$BIN" mtbench show --mode pairwise-all --judge replay:$TMP/judge2.jsonl --db mt.db --format json > p.json || fail "show pairwise"
# north: 3 wins, 1 loss, 3 ties of 7 judged; adjusted (3 + 1.5)/7
jq -e '.models[0].model == "north" and .models[0].win == 3 and .models[0].loss == 1 and .models[0].tie == 3
       and .models[0].errors == 1 and (.models[0].win_rate_adjusted - 4.5/7 | fabs) < 1e-9
       and .models[1].model == "south" and .models[1].win == 1 and (.models[1].win_rate_adjusted - 2.5/7 | fabs) < 1e-9' \
  p.json > /dev/null || fail "pairwise scores: $(cat p.json)"
"$BIN" mtbench show --mode pairwise-baseline --baseline south --judge replay:$TMP/judge2.jsonl --db mt.db --format json > pb.json \
  || fail "show against a baseline"
jq -e '(.models | length) == 1 and .models[0].model == "north" and .models[0].win == 3' pb.json > /dev/null \
  || fail "against the baseline: $(cat pb.json)"

# ---- the report: the category table and its chart ---------------------------------------------------------
"$BIN" report --db mt.db -o rep > rep.out 2>&1 || fail "report: $(cat rep.out)"
grep -q "mt_bench" rep/leaderboard.md && grep -q "roleplay" rep/leaderboard.md || fail "report has no MT-bench table"
grep -q "6.25" rep/leaderboard.md || fail "report: south's roleplay score"
jq -e '.judged | length >= 1' rep/leaderboard.json > /dev/null || fail "report.json has no judged benchmarks"
[ -s rep/charts/mtbench.dat ] && grep -q "roleplay" rep/charts/mtbench.dat || fail "no MT-bench category chart"
if command -v gnuplot > /dev/null; then [ -s rep/charts/mtbench.png ] || fail "the MT-bench chart was not drawn"; fi

# ---- Arena-Hard-Auto: north and south against a baseline ---------------------------------------------------
H="--questions $D/arena_hard_questions.jsonl --baseline-answers $D/arena_hard_baseline.jsonl --config $D/arena_hard.yaml --baseline base-line"
"$PY" - "$D/arena_hard_questions.jsonl" <<'PY'
import json, sys
qs = [json.loads(l) for l in open(sys.argv[1])]
for name, tag in (("hnorth", "N"), ("hsouth", "S")):
    with open(name + ".jsonl", "w") as f:
        for q in qs:
            f.write(json.dumps({"kind": "chat", "messages": [{"role": "user", "content": q["prompt"]}],
                                "text": "%s: %s" % (tag, q["uid"])}) + "\n")
PY
"$BIN" arena-hard gen --model north=replay:$TMP/hnorth.jsonl --model south=replay:$TMP/hsouth.jsonl $H --db ah.db 2> ah.err \
  || fail "arena-hard gen: $(cat ah.err)"
"$BIN" arena-hard judge --judge replay:$TMP/none.jsonl $H --db ah.db --save-judge-requests ah.req 2> ah.err \
  || fail "arena-hard requests: $(cat ah.err)"
[ "$(wc -l < ah.req)" = 12 ] || fail "2 models x 3 prompts x 2 games expected"
grep -q "the baseline's answers were read in" ah.err || fail "baseline answers: $(cat ah.err)"
"$PY" - ah.req > hjudge.jsonl <<'PY'
import json, re, sys
# (model, uid) -> (game 1 reply: baseline shown as A, game 2 reply: the model as A)
plan = {("N", "u1"): ("[[B>A]]", "[[A>B]]"),          # the model wins both: 1 + 1
        ("N", "u2"): ("[[B>>A]]", "verdict [[a>>b]]"),  # strong, both: 3 + 3 (labels read upper-cased)
        ("N", "u3"): ("[[A=B]]", "[[A>B]] or rather [[B>A]]"),  # a tie; the last label: the baseline wins
        ("S", "u1"): ("[[A>B]]", "[[B>A]]"),          # the baseline wins both
        ("S", "u2"): ("Final: [B>A]", "[[A=B]]"),      # one bracket: the model wins; a tie
        ("S", "u3"): ("no verdict", "[[A>>B]]")}       # dropped; the model wins strongly: 3
for line in open(sys.argv[1]):
    r = json.loads(line)
    user = r["request"]["messages"][1]["content"]
    a = re.search(r"\[A\]\n(.*?)\n\[/A\]", user, re.S).group(1)
    b = re.search(r"\[B\]\n(.*?)\n\[/B\]", user, re.S).group(1)
    model = b if a.startswith("B:") else a
    tag, uid = model.split(": ")
    r["response"] = {"text": plan[(tag, uid)][0 if a.startswith("B:") else 1]}
    print(json.dumps(r))
PY
"$BIN" arena-hard judge --judge replay:$TMP/hjudge.jsonl $H --db ah.db 2> ah.err || fail "arena-hard judge: $(cat ah.err)"
grep -q "6 judgments stored (1 games without a verdict)" ah.err || fail "arena-hard judge summary: $(cat ah.err)"
"$BIN" arena-hard show --judge replay:$TMP/hjudge.jsonl --baseline base-line --db ah.db --format json > ah.json \
  || fail "arena-hard show"
# north: 8 wins, 1 tie, 1 loss in 10 battles: 85%; south: 4 wins, 1 tie, 2 losses of 7: 4.5/7
jq -e '.models[0].model == "north" and (.models[0].score - 85 | fabs) < 1e-6 and .models[0].battles == 10
       and .models[0].lower <= .models[0].score and .models[0].score <= .models[0].upper
       and .models[1].model == "south" and (.models[1].score - 450/7 | fabs) < 1e-6 and .models[1].battles == 7
       and .models[2].model == "base-line" and .models[2].score == 50 and .models[0].avg_tokens > 0' ah.json > /dev/null \
  || fail "arena-hard scores: $(cat ah.json)"
"$BIN" arena-hard show --judge replay:$TMP/hjudge.jsonl --baseline base-line --db ah.db > ah.txt || fail "arena-hard table"
grep -q "north .*| score:  85.0 | 95% CI:" ah.txt || fail "arena-hard table: $(cat ah.txt)"

# ---- the reference judge: each turn's answer against the question file's own references ----------------------
cat > refq.jsonl <<'EOF'
{"question_id": 1, "category": "math", "turns": ["What is 2+2?", "Add 3."], "reference": ["4", "7"]}
{"question_id": 2, "category": "facts", "turns": ["Capital of France?", "In Chinese?"], "reference": ["Paris", "巴黎"]}
{"question_id": 3, "category": "chat", "turns": ["Say hi", "Again"], "reference": ["hi"]}
EOF
"$PY" - <<'PY'
import json
answers = {"east": {1: ("4", "7"), 2: ("paris.", "Paris"), 3: ("hi", "hi")},
           "west": {1: ("5", "7"), 2: ("Paris", "巴黎"), 3: ("hello", "x")}}
qs = [json.loads(l) for l in open("refq.jsonl")]
for name, by_q in answers.items():
    with open("ref_" + name + ".jsonl", "w") as f:
        for q in qs:
            a1, a2 = by_q[q["question_id"]]
            u1 = {"role": "user", "content": q["turns"][0]}
            f.write(json.dumps({"kind": "chat", "messages": [u1], "text": a1}) + "\n")
            f.write(json.dumps({"kind": "chat", "messages": [u1, {"role": "assistant", "content": a1},
                                {"role": "user", "content": q["turns"][1]}], "text": a2}) + "\n")
PY
R="--bench refdemo --questions $TMP/refq.jsonl --db ref.db"
"$BIN" mtbench gen --model east=replay:$TMP/ref_east.jsonl --model west=replay:$TMP/ref_west.jsonl $R 2> rg.err \
  || fail "gen for the reference judge: $(cat rg.err)"
# no judge prompts and no datasets folder are needed; turn 2 of question 3 has no reference
"$BIN" mtbench judge --judge reference $R 2> rj.err || fail "reference judge: $(cat rj.err)"
grep -q "2 without a rating" rj.err || fail "turns without a reference: $(cat rj.err)"
"$BIN" mtbench show --judge reference $R --format json > rs.json || fail "show reference"
# east: turn 1 right, right, right (10, 10, 10); turn 2 right, wrong ("Paris" for 巴黎), no reference;
# west: turn 1 wrong, right, wrong (1, 10, 1); turn 2 right, right, no reference
jq -e '([.models[] | select(.model == "east")][0] | .turn_1 == 10 and .turn_2 == 5.5)
       and ([.models[] | select(.model == "west")][0] | .turn_1 == 4 and .turn_2 == 10)' rs.json > /dev/null \
  || fail "reference judge scores: $(cat rs.json)"
[ "$(sqlite3 ref.db "SELECT json_extract(output_json, '\$.right') || '|' || json_extract(output_json, '\$.reference')
     FROM judgments WHERE model = 'east' AND question_id = '2' AND turn = 1")" = "1|Paris" ] \
  || fail "the reference judgment is not kept: $(sqlite3 ref.db 'SELECT output_json FROM judgments')"
"$BIN" mtbench judge --mode pairwise-all --judge reference $R 2> rp.err || fail "reference pairwise: $(cat rp.err)"
"$BIN" mtbench show --mode pairwise-all --judge reference $R --format json > rp.json || fail "show reference pairwise"
# east wins q1 t1 and q3 t1, loses q2 t2, ties q1 t2 and q2 t1; q3 t2 has no reference (an error, left out)
jq -e '([.models[] | select(.model == "east")][0] | .win == 2 and .loss == 1 and .tie == 2 and .errors == 1)' \
  rp.json > /dev/null || fail "reference pairwise: $(cat rp.json)"
# a reference that is neither a string nor a list of strings names its file and line
printf '{"question_id": 1, "turns": ["a", "b"], "reference": "x"}\n{"question_id": 2, "turns": ["a"], "reference": [4]}\n' \
  > badref.jsonl
"$BIN" mtbench gen --model east=replay:$TMP/ref_east.jsonl --questions $TMP/badref.jsonl --db bad.db 2> br.err \
  && fail "a numeric reference was accepted"
grep -q "badref.jsonl:2: field 'reference'" br.err || fail "bad reference message: $(cat br.err)"

# ---- the real MT-bench with the built-in tiny model as a stand-in judge -------------------------------------
SHARED=${TIANTI_SHARED_DIR:-$SRC/../shared}
if [ -f "$SHARED/datasets/mt_bench/question.jsonl" ] && [ -f "$SRC/models/tianti-tiny.gguf" ]; then
  "$BIN" mtbench run --model tiny=glm:$SRC/models/tianti-tiny.gguf --judge glm:$SRC/models/tianti-tiny.gguf \
    --data-dir "$SHARED/datasets" --limit 2 --max-tokens 16 --judge-max-tokens 12 --db real.db > real.txt 2> real.err \
    || fail "MT-bench with the tiny judge: $(cat real.err)"
  [ "$(sqlite3 real.db "SELECT count(*), sum(json_extract(output_json, '\$.judgment') IS NOT NULL) FROM judgments")" = "4|4" ] \
    || fail "the tiny judge's replies are not kept"
  grep -q "tiny" real.txt || fail "show after run: $(cat real.txt)"
else
  echo "note: ../shared/datasets/mt_bench not present; the real-data part was skipped"
fi
echo ok
