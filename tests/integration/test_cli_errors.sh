#!/usr/bin/env bash
# test_cli_errors.sh — the command line's mistakes, one table: each row is a
# command line, the exit status it must give (2 for a usage error: an
# unknown task, suite, model, option or value; 1 for a runtime failure) and
# a substring of its output that names the fix ("did you mean", the option
# to use instead). Then what must work: lm-evaluation-harness's spellings,
# case-insensitive precisions, `tianti help CMD`; and one meaning per short
# option across every command's --help.
set -u
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 missing (scripts/setup.sh --test installs it)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
src=$TIANTI_SOURCE_DIR
data=$src/tests/data/run
export TIANTI_TASKS=$src/tasks
cat > models.json <<JSON
{"models": {"tiny-f32": {"spec": "glm:$src/models/tianti-tiny.gguf@f32"},
            "toy": {"spec": "replay:$data/replay.jsonl"}}}
JSON
replay="replay:$data/replay.jsonl"

failures=0
# row EXIT SUBSTRING ARGS...: `tianti ARGS` exits EXIT and prints SUBSTRING
row() {
  local want=$1 text=$2 rc
  shift 2
  "$TIANTI_BIN" "$@" > out.txt 2>&1 < /dev/null
  rc=$?
  if [ "$rc" != "$want" ] || ! grep -qF -- "$text" out.txt; then
    echo "FAIL: tianti $*: exit $rc (want $want), output lacks '$text':" >&2
    head -8 out.txt >&2
    failures=$((failures + 1))
  fi
}

# ---- usage errors: 2, with the fix named ----------------------------------------------
row 2 "did you mean 'run'?"                 rnu --task demo_arith
row 2 "did you mean 'run'?"                 help rnu
row 2 "did you mean 'serve'?"               arena serv
row 2 "did you mean 'demo_arith'?"          run --task demo_arth --model toy
row 2 "did you mean 'demo'?"                run --suite dmeo --model toy
row 2 "did you mean 'tiny-f32'?"            run --task demo_arith --model tiny-f3
row 2 "did you mean 'openai'?"              run --task demo_arith --model opneai:gpt-4o
row 2 "lm-evaluation-harness model type"    run --task demo_arith --model hf
row 2 "did you mean '--tasks-dir'?"         run --task demo_arith --model toy --tasks-dirr x
row 2 "see 'tianti run --help'"             run --task demo_arith --model toy --frobnicate
row 2 "did you mean 'table'?"               run --task demo_arith --model toy --format tabel
row 2 "--limit 0 would evaluate no documents" run --task demo_arith --model toy --limit 0
row 2 "give one (the store keeps"           run --task demo_arith --model toy --log_samples
row 2 "did you mean 'max_retries'?"         run --task "$data/gen.json" --model toy --model_args max_retires=1
row 2 "'top_k' is not a generation setting" run --task "$data/gen.json" --model toy --gen_kwargs top_k=5
row 2 "key=value pairs"                     run --task "$data/gen.json" --model toy --gen_kwargs temperature
row 2 "needs the served model's name"       run --task "$data/gen.json" --model local-completions
row 2 "wants seconds (30s)"                 run --task "$data/gen.json" --model toy --status-every soon
row 2 "--threads 4 (-t is --task)"          bench --model "glm:$src/models/tianti-tiny.gguf" -t 4
row 2 "did you mean 'tiny-f32'?"            bench --model tiny-f3 --models models.json
row 2 "did you mean 'demo_arith'?"          bench --model "glm:$src/models/tianti-tiny.gguf" --task demo_arth
row 2 "unknown precision 'q9_0'"            bench --model "glm:$src/models/tianti-tiny.gguf" --precision q9_0
row 2 "did you mean 'tiny-f32'?"            serve --model tiny-f3
row 2 "unknown type 'q5_1'"                 quantize a.gguf b.gguf --type q5_1
row 2 "did you mean 'demo_arith'?"          arena auto --model toy --model toy --judge reference --prompts demo_arth
row 2 "is a suite; name one of its tasks: demo_arith" arena auto --model toy --model toy --judge reference --prompts demo
row 2 "did you mean 'demo_arith'?"          tasks show demo_arth
row 2 "did you mean 'demo_arith'?"          tasks check demo_arth
row 2 "did you mean 'json'?"                tasks --format jsn
row 2 "did you mean 'csv'?"                 results --format cvs
row 2 "pick models with --model NAME"       report --models tiny-f32
row 2 "did you mean 'tiny-f32'?"            arena auto --model tiny-f3 --model toy --judge reference --prompts demo_arith
row 2 "did you mean '--format'?"            ratings --fromat json
# outside the repository the shipped tasks are still found; a --tasks-dir that
# is not there is named
( cd / && env -u TIANTI_TASKS "$TIANTI_BIN" tasks show demo_arith > "$work/out.txt" 2>&1 ) ||
  { cat out.txt; echo "FAIL: outside the repository: shipped task not found" >&2; failures=$((failures + 1)); }
( cd / && "$TIANTI_BIN" run --task demo_arith --tasks-dir /no/such/tasks --model "$replay" \
    --db "$work/x.db" > "$work/out.txt" 2>&1 ); rc=$?
{ [ $rc = 2 ] && grep -qF -- "no tasks folder '/no/such/tasks'" out.txt; } ||
  { cat out.txt; echo "FAIL: a missing --tasks-dir: exit $rc" >&2; failures=$((failures + 1)); }

# ---- runtime failures: 1 --------------------------------------------------------------
row 1 "--data-dir"                          tasks check mmlu_anatomy --offline --data-dir "$work/none"
row 1 "no database"                         results --db "$work/none.db"

# ---- what works -------------------------------------------------------------------------
row 0 "usage: tianti run"                   help run
row 0 "usage: tianti arena auto"            help arena auto
row 0 "usage: tianti arena auto"            arena help auto
# lm-eval's spellings, with lm-eval's meaning
row 0 "toy_gen"                             run --tasks "$data/mc.json,$data/gen.json" --model toy --num_fewshot 0 \
                                                --output_path lm --log_samples --db t.db -q
ls lm/toy/results_*.json > /dev/null 2>&1 && ls lm/toy/samples_*.jsonl > /dev/null 2>&1 || { echo "FAIL: --output_path wrote no files" >&2; failures=$((failures + 1)); }
row 0 "toy_gen"                             run --tasks "$data/mc.json" "$data/gen.json" --model toy --db t.db -q
row 0 "ignored"                             run --task "$data/mc.json" --model toy --batch_size 8 --device cuda:0 --db t.db -q
row 0 "limit: 0.5"                          run --task "$data/mc.json" --model toy --limit 0.5 --db t.db -q
row 0 "limit: 1,"                           run --task "$data/mc.json" --model toy --limit 1 --db t.db -q
# --limit 0.5 of 2 documents is ceil(1.0) = 1 (lm-eval: int(math.ceil(len(docs) * limit)))
[ "$(sqlite3 t.db "select count(*) from samples s join runs r on r.id = s.run_id where r.config_json like '%\"limit\":0.5%'")" = 1 ] ||
  { echo "FAIL: --limit 0.5 of 2 documents did not evaluate 1" >&2; failures=$((failures + 1)); }
# --gen_kwargs overrides the task's generation settings: until "Q" cuts " 4\nQ:" nowhere new,
# max_gen_toks is recorded in the request the replay is asked
row 0 "toy_gen"                             run --task "$data/gen.json" --model toy --gen_kwargs 'until=["\n"],temperature=0' --db g.db -q
sqlite3 g.db "select config_json from runs" | grep -q '"gen_kwargs"' || { echo "FAIL: --gen_kwargs not part of the run's identity" >&2; failures=$((failures + 1)); }
# --apply_chat_template: generation tasks become chat requests (this replay has none)
row 0 "cannot run task 'toy_gen': it needs chat" run --task "$data/mc.json" --task "$data/gen.json" --model toy \
                                                --apply_chat_template --db ch.db -q
# not on a terminal: a status line at each 10 % (and the end) of a task
row 0 "toy_gen: 1/2 requests (50%), 0 failed"  run --task "$data/gen.json" --model toy --status-every 10% --db s.db
grep -q "toy_gen: 2/2 requests (100%), 0 failed, .* took 00:00" out.txt || { cat out.txt; echo "FAIL: no closing status line" >&2; failures=$((failures + 1)); }
# precisions in any case
row 0 "wrote"                               quantize "$src/tests/data/glm/tiny.gguf" q.gguf --type Q8_0
row 0 "q8_0"                                bench --model "glm:$src/tests/data/glm/tiny.gguf" --precision Q8_0 -p 4 -n 2 -r 1 --no-store -q

row 2 "run 99 is not in the store"         results --db t.db --run 99
# ---- results --compare: each model's newest result per task across runs -------------------
"$TIANTI_BIN" run --task "$data/mc.json" --model toy --db c.db -q > /dev/null 2>&1
"$TIANTI_BIN" run --task "$data/mc.json" --model "glm:$src/tests/data/glm/tiny.gguf" --threads 1 --db c.db -q > /dev/null 2>&1
"$TIANTI_BIN" results --compare --db c.db > cmp.txt 2>&1
grep -q "runs 1-2" cmp.txt && grep -q "| toy " cmp.txt && grep -q "| glm:" cmp.txt ||
  { cat cmp.txt; echo "FAIL: --compare does not show both runs' models" >&2; failures=$((failures + 1)); }

# ---- one meaning per short option across every command ----------------------------------
for c in run merge results tasks ratings "arena import" "arena export" "arena serve" "arena auto" "arena tag" "mtbench gen" "mtbench judge" "mtbench show" "mtbench run" arena-hard quantize serve bench report "store info" "store copy"; do
  # shellcheck disable=SC2086
  "$TIANTI_BIN" $c --help | sed -n 's/^ *-\([A-Za-z]\), --\([a-z-]*\).*/\1 \2/p' | sed "s|\$| $c|"
done > shorts.txt
awk '{ if (($1 in m) && m[$1] != $2) { print "-" $1 " is --" m[$1] " in " w[$1] " but --" $2 " in " $3; bad = 1 }
       m[$1] = $2; w[$1] = $3 } END { exit bad }' shorts.txt >&2 || failures=$((failures + 1))
[ -s shorts.txt ] || { echo "FAIL: no short options found in --help" >&2; failures=$((failures + 1)); }

[ $failures = 0 ] || fail "$failures rows failed"
echo "ok: command-line errors"
