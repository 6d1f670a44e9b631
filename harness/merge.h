/*
 * merge.h — `tianti merge`: the shards of a sharded run (`tianti run
 * --shard K/N`, docs/scale.md) assembled into one run whose samples and
 * metrics are exactly those of the same run unsharded.
 *
 * Each shard is a finished run of its own in the store, its configuration
 * the unsharded one plus "shard": {"index": K, "count": N}
 * (run_identity.h). Given the same tasks, models and settings as the
 * shards were run with, runner_merge finds the N shard runs, and makes a
 * new run with the unsharded configuration (and its hash) in which, per
 * model and task:
 *   - the samples of every shard are copied, so the run holds each
 *     document once, as an unsharded run would;
 *   - the metrics are computed again from the per-document items the
 *     shards stored with their samples (score.h, score_items_json), in
 *     document order, with the run's seed: the same numbers, stderrs and
 *     bootstrap stderrs included, as the unsharded run — never an average
 *     of shard means;
 *   - suites are aggregated from their members as a run does.
 * No model is asked anything. A (model, task) that no shard scored is
 * skipped, as the shards skipped it; one whose shards hold only some of
 * its documents is an error naming them (a shard did not finish it).
 */
#ifndef TIANTI_MERGE_H
#define TIANTI_MERGE_H

#include <jansson.h>
#include <stdint.h>

#include "harness/runner.h"

/* Merges the n_shards shards of the run that o describes (o->db_path: the
 * store holding them; the shard fields of o are ignored). On success
 * *results holds one lm-eval-shaped document per model (as runner_run) and
 * *run_id the merged run. TT_ERR_NOTFOUND when a shard has no finished run
 * in the store (the message names it and the command that makes it). */
int runner_merge(const runner_options *o, int n_shards, json_t **results, int64_t *run_id, char *err);

#endif
