#!/usr/bin/env bash
# Integration: every command on a PostgreSQL store, and `tianti store copy`
# SQLite -> PostgreSQL -> SQLite with nothing lost. A store with rows in
# every table (a replay run: models, tasks, runs, samples, metrics, request
# cache; imported battles; stored ratings; and, through sqlite3, a bench row
# and a pending battle with awkward values: NULLs, quotes, non-ASCII, reals
# that print long) goes to PostgreSQL and back; every column of every table
# of the copy must equal the original, with the ids, and typeof() too (a real
# stays a real). Then `tianti results` reads the same from both backends,
# `store info` counts the same, --append remaps ids into a store with rows,
# and an exact copy into a store with rows is refused.
# Needs the PostgreSQL server of $TIANTI_TEST_PG (tests/tools/pg_cluster.sh;
# scripts/test.sh starts one): without it the test fails.
set -euo pipefail
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -n "${TIANTI_TEST_PG:-}" ] || fail "TIANTI_TEST_PG is not set: start a server with eval \"\$(tests/tools/pg_cluster.sh start)\" (scripts/test.sh does)"
command -v sqlite3 >/dev/null || fail "sqlite3 is missing (scripts/setup.sh installs it)"
pg="$TIANTI_SOURCE_DIR/tests/tools/pg_cluster.sh"
data="$TIANTI_SOURCE_DIR/tests/data/run"
work=$(mktemp -d)
db1=tianti_copy_$$_a
db2=tianti_copy_$$_b
trap 'rm -rf "$work"; bash "$pg" dropdb $db1 >/dev/null 2>&1; bash "$pg" dropdb $db2 >/dev/null 2>&1' EXIT
cd "$work"
T=$TIANTI_BIN

# ---- a store with rows in every table ----------------------------------------------
"$T" run --suite "$data/toy.suite.json" --model "replay:$data/replay.jsonl" --db a.db -q > /dev/null
"$T" arena import "$TIANTI_SOURCE_DIR/tests/data/arena/synthetic.jsonl" --db a.db --source human > /dev/null
"$T" ratings --db a.db --bootstrap 20 --seed 3 > /dev/null 2>&1
sqlite3 a.db <<'SQL'
INSERT INTO bench_results (created_at, model_spec, model_name, precision, test, n_tokens, repetitions, mean, stddev,
  unit, file_bytes, n_params, peak_rss_bytes, weights_bytes, kv_bytes, scratch_bytes, gpu_bytes, threads, machine_json)
VALUES ('2026-01-01T00:00:00Z', 'glm:m.gguf@q4_0', 'm ''quoted''', NULL, 'pp512', 512, 3, 0.1, 1e-300, 'tok/s',
  123456789012, 7, NULL, 1, 2, 3, NULL, 4, '{"cpu":"天梯"}');
INSERT INTO pending_battles (id, token_hash, model_a, model_b, spec_a, spec_b, prompt, answer_a, answer_b,
  latency_a, latency_b, voter_id, tstamp)
VALUES ('00ff', 'ab', 'x', 'y', NULL, 'openai:y', 'why?', '答', NULL, 0.30000000000000004, NULL, 'v1', 1700000000.125);
INSERT INTO battles (model_a, model_b, winner, tstamp, source, session_token) VALUES ('x', 'y', 'tie', 1.5, 'human', 'f00d');
INSERT INTO battles (model_a, model_b, winner, tstamp, source, turns, language, categories, style_json)
VALUES ('x', 'y', 'model_a', 2.5, 'human', 3, 'zh', 'code,multiturn', '{"sum_assistant_a_tokens":12}');
UPDATE pending_battles SET conversation_a = '[{"role":"user","content":"why?"}]', turns = 2 WHERE id = '00ff';
INSERT INTO moderated_prompts (tstamp, voter_id, battle_id, turn, prompt, moderator, categories_json)
VALUES (1.25, 'v1', NULL, 1, 'bad ''words''', 'openai:m', '{"violence":true}');
INSERT INTO judged_answers (bench, model, model_spec, question_id, category, turn, answer, error, tokens, latency_s, created_at)
VALUES ('mt_bench', 'm', 'replay:x', '81', 'writing', 2, NULL, 'failed', NULL, 0.30000000000000004, 't');
INSERT INTO judgments (bench, judge, mode, prompt_name, question_id, category, turn, model, model_b, score, g1, g2, winner,
  output_json, created_at)
VALUES ('mt_bench', 'replay:j', 'single', 'single-v1', '81', 'writing', 1, 'm', '', -1, NULL, NULL, NULL, '["天梯"]', 't');
SQL
TABLES="models tasks runs samples metrics request_cache battles pending_battles ratings bench_results moderated_prompts judged_answers judgments"
for t in $TABLES; do
  [ "$(sqlite3 a.db "SELECT count(*) FROM $t")" -gt 0 ] || fail "the source has no rows in $t"
done

# ---- every table to PostgreSQL and back --------------------------------------------------
u1=$(bash "$pg" newdb $db1)
"$T" store copy a.db "$u1" > copy1.txt || fail "copy to PostgreSQL: $(cat copy1.txt)"
grep -q "to '.*' (postgresql)" copy1.txt || fail "copy did not say the backend: $(cat copy1.txt)"
"$T" store copy "$u1" b.db > copy2.txt || fail "copy back to SQLite"
for t in $TABLES; do
  cols=$(sqlite3 a.db "SELECT group_concat(name, ',') FROM pragma_table_info('$t')")
  typed=$(sqlite3 a.db "SELECT group_concat('quote(' || name || '), typeof(' || name || ')', ',') FROM pragma_table_info('$t')")
  order=id; [ $t = request_cache ] && order=key
  sqlite3 a.db "SELECT $typed FROM $t ORDER BY $order" > "a.$t"
  sqlite3 b.db "SELECT $typed FROM $t ORDER BY $order" > "b.$t"
  cmp -s "a.$t" "b.$t" || { diff "a.$t" "b.$t" | head -5; fail "table $t differs after SQLite -> PostgreSQL -> SQLite ($cols)"; }
done

# ---- the commands on PostgreSQL read what SQLite reads ---------------------------------------
"$T" results --db a.db > res_a.txt
"$T" results --db "$u1" > res_pg.txt
sed -i 's/stored in .*//' res_a.txt res_pg.txt
cmp -s res_a.txt res_pg.txt || { diff res_a.txt res_pg.txt; fail "tianti results differs between SQLite and PostgreSQL"; }
"$T" ratings --db a.db --bootstrap 20 --seed 3 --format json > rat_a.json 2>/dev/null
"$T" ratings --db "$u1" --bootstrap 20 --seed 3 --format json > rat_pg.json 2>/dev/null
cmp -s rat_a.json rat_pg.json || fail "ratings differ between SQLite and PostgreSQL"
"$T" arena export --db a.db - > exp_a.jsonl
"$T" arena export --db "$u1" - > exp_pg.jsonl
cmp -s exp_a.jsonl exp_pg.jsonl || fail "arena export differs between SQLite and PostgreSQL"
"$T" report --db "$u1" -o rep > /dev/null 2>&1 || fail "report on PostgreSQL"
[ -s rep/report.md ] || [ -s rep/index.html ] || ls rep | grep -q . || fail "report wrote nothing"
"$T" store info --db a.db | tail -n +3 > info_a.txt
"$T" store info --db "$u1" | tail -n +3 > info_pg.txt
cmp -s info_a.txt info_pg.txt || { diff info_a.txt info_pg.txt; fail "store info counts differ"; }
"$T" store info --db "$u1" | grep -q "^backend: *postgresql" || fail "store info backend"
# resuming on PostgreSQL asks nothing twice (TIANTI_DB names the store)
TIANTI_DB="$u1" "$T" run --suite "$data/toy.suite.json" --model "replay:$data/replay.jsonl" -q -v 2> err.txt > /dev/null
grep -q "4 from cache, 0 sent" err.txt || { cat err.txt; fail "a run on PostgreSQL did not use the copied cache"; }

# ---- exact copies want an empty target; --append remaps ---------------------------------------
if "$T" store copy a.db "$u1" > /dev/null 2> err.txt; then fail "an exact copy into a store with rows was accepted"; fi
grep -q "not empty" err.txt || fail "refusal does not say why: $(cat err.txt)"
u2=$(bash "$pg" newdb $db2)
"$T" run --task "$data/mc.json" --model "replay:$data/replay.jsonl" --db "$u2" -q > /dev/null
"$T" store copy a.db "$u2" --append > /dev/null || fail "append copy"
n_a=$(sqlite3 a.db "SELECT count(*) FROM samples")
psql -X -q -t -A "$u2" -c "SELECT count(*) FROM samples" > n_pg.txt
[ "$(cat n_pg.txt)" = $((n_a + 2)) ] || fail "append: $(cat n_pg.txt) samples, want $((n_a + 2))"
# every sample's run, model and task exist, and the runs of a.db kept their samples
psql -X -q -t -A "$u2" -c "SELECT count(*) FROM samples s JOIN runs r ON r.id = s.run_id JOIN models m ON m.id = s.model_id
  JOIN tasks t ON t.id = s.task_id" > n_join.txt
[ "$(cat n_join.txt)" = $((n_a + 2)) ] || fail "append: references not remapped"
[ "$(psql -X -q -t -A "$u2" -c "SELECT count(*) FROM models")" = 1 ] || fail "append: the model was added twice"
# the votes (session tokens) a store already holds are not added twice
"$T" store copy a.db "$u2" --append > /dev/null
[ "$(psql -X -q -t -A "$u2" -c "SELECT count(*) FROM battles WHERE session_token IS NOT NULL")" = 1 ] \
  || fail "append twice duplicated a vote"
echo "ok: store copy and every command on PostgreSQL"
