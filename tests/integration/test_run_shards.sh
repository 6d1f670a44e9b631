#!/usr/bin/env bash
# Integration: a run split into 4 shards (`tianti run --shard K/4`) and
# joined (`tianti merge --shards 4`) equals the unsharded run EXACTLY: every
# metric's value, stderr (the bootstrap ones of mcc and f1 included) and n,
# and every sample. Twice: shards in their own SQLite files merged with
# --from, and 4 shards running at once into one PostgreSQL store, merged
# there. The model is the shipped tianti-tiny (built-in engine, no server);
# the tasks use few-shot examples, so a shard must build each document as
# the whole run does; --limit 26 keeps it short under ThreadSanitizer and
# splits unevenly (7, 7, 6, 6 documents per task). Also: a shard run again asks the model nothing, and a
# merge with a shard missing fails naming it.
# Needs the PostgreSQL server of $TIANTI_TEST_PG (tests/tools/pg_cluster.sh).
set -euo pipefail
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -n "${TIANTI_TEST_PG:-}" ] || fail "TIANTI_TEST_PG is not set: start a server with eval \"\$(tests/tools/pg_cluster.sh start)\" (scripts/test.sh does)"
command -v sqlite3 >/dev/null || fail "sqlite3 is missing (scripts/setup.sh installs it)"
pg="$TIANTI_SOURCE_DIR/tests/tools/pg_cluster.sh"
work=$(mktemp -d)
dbname=tianti_shards_$$
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"; bash "$pg" dropdb $dbname >/dev/null 2>&1' EXIT
cd "$work"
T=$TIANTI_BIN
args=(--suite "$TIANTI_SOURCE_DIR/tests/data/shard/shard.suite.json" --model "glm:$TIANTI_SOURCE_DIR/models/tianti-tiny.gguf"
      --limit 26 --bootstrap 200 --seed 7 --threads 1 -q)

# metrics of run $2 in store $1, without the run id and start time
metrics() { "$T" results --db "$1" --run "$2" --format csv | cut -d, -f3-11 | sort; }
# every sample of run $2 in SQLite file $1, by task and document. Of the
# responses only their texts: latencies differ from run to run, and the
# built-in engine's log-likelihoods differ in the last digits with what it
# computes beside them (a shard's batches are not the whole run's); the
# scores and items that come from them must not.
samples() {
  sqlite3 "$1" "SELECT t.name, s.doc_id, quote(s.prompt), quote(s.target),
    (SELECT group_concat(quote(json_extract(value, '$.text')), ';') FROM json_each(s.responses_json)),
    quote(s.filtered_json), quote(s.scores_json), quote(s.error), quote(s.items_json) FROM samples s
    JOIN tasks t ON t.id = s.task_id WHERE s.run_id = $2 ORDER BY t.name, s.doc_id"
}

"$T" run "${args[@]}" --db full.db > /dev/null
full_run=$(sqlite3 full.db "SELECT max(id) FROM runs")
metrics full.db "$full_run" > full.metrics
[ "$(wc -l < full.metrics)" -ge 4 ] || fail "the unsharded run stored too few metrics"
grep -q ",mcc," full.metrics && grep -q ",f1," full.metrics || fail "no bootstrap metrics to compare"

# ---- 4 shards, each its own SQLite file, merged with --from -------------------------------------
printf '%s\n' 0 1 2 3 | xargs -P 2 -I {} "$T" run "${args[@]}" --shard {}/4 --db shard_{}.db > /dev/null
for k in 0 1 2 3; do
  n=$(sqlite3 shard_$k.db "SELECT count(*) FROM samples")
  [ "$n" -gt 0 ] && [ "$n" -lt 52 ] || fail "shard $k holds $n samples"
  # the split is by document index modulo 4
  [ "$(sqlite3 shard_$k.db "SELECT count(*) FROM samples WHERE doc_id % 4 <> $k")" = 0 ] || fail "shard $k holds another shard's document"
done
"$T" merge --shards 4 "${args[@]}" --db merged.db --from shard_0.db --from shard_1.db --from shard_2.db --from shard_3.db \
  > merge.txt || fail "merge: $(cat merge.txt)"
merged_run=$(sqlite3 merged.db "SELECT max(id) FROM runs")
metrics merged.db "$merged_run" > merged.metrics
cmp -s full.metrics merged.metrics || { diff full.metrics merged.metrics; fail "the merged metrics differ from the unsharded run's"; }
samples full.db "$full_run" > full.samples
samples merged.db "$merged_run" > merged.samples
n=$(sqlite3 full.db "SELECT count(*) FROM samples WHERE run_id = $full_run")
[ "$n" = 52 ] || fail "the unsharded run has $n samples, want 52"
cmp -s full.samples merged.samples || { diff full.samples merged.samples | head -5; fail "the merged samples differ from the unsharded run's"; }
[ "$(sqlite3 full.db "SELECT config_hash FROM runs WHERE id = $full_run")" = \
  "$(sqlite3 merged.db "SELECT config_hash FROM runs WHERE id = $merged_run")" ] || fail "the merged run has another identity"
[ "$(sqlite3 merged.db "SELECT status FROM runs WHERE id = $merged_run")" = finished ] || fail "merged run not finished"

# a shard run again asks the model nothing (its answers are cached)
"$T" run "${args[@]}" --shard 2/4 --db shard_2.db -v 2> again.txt > /dev/null
grep -q " 0 sent" again.txt || { cat again.txt; fail "a shard run again asked the model"; }
# a missing shard is named
if "$T" merge --shards 4 "${args[@]}" --db shard_1.db > /dev/null 2> err.txt; then fail "merge without shards 0, 2, 3 succeeded"; fi
grep -q "shard 0/4 has no finished run" err.txt || fail "missing shard not named: $(cat err.txt)"

# ---- 4 shards at once into one PostgreSQL store ---------------------------------------------------
u=$(bash "$pg" newdb $dbname)
pids=()
for k in 0 1 2 3; do "$T" run "${args[@]}" --shard $k/4 --db "$u" > pg_$k.txt 2>&1 & pids+=($!); done
for i in 0 1 2 3; do wait "${pids[$i]}" || fail "shard $i on PostgreSQL: $(cat pg_$i.txt)"; done
"$T" merge --shards 4 "${args[@]}" --db "$u" > pgmerge.txt || fail "merge on PostgreSQL: $(cat pgmerge.txt)"
pg_run=$(sed -n 's/^merged 4 shards as run \([0-9]*\) .*/\1/p' pgmerge.txt)
[ -n "$pg_run" ] || fail "merge did not say its run: $(cat pgmerge.txt)"
metrics "$u" "$pg_run" > pg.metrics
cmp -s full.metrics pg.metrics || { diff full.metrics pg.metrics; fail "the merged metrics on PostgreSQL differ"; }
# the whole store back into SQLite: the merged run's samples are the unsharded run's
"$T" store copy "$u" back.db > /dev/null
samples back.db "$pg_run" > pg.samples
cmp -s full.samples pg.samples || fail "the merged samples on PostgreSQL differ"
echo "ok: 4 shards merged equal the unsharded run (SQLite files and one PostgreSQL store)"
