/*
 * run_identity.h — which run this is. A run is identified by its
 * configuration: the tasks (name, version, content hash of file and data,
 * few-shot count), the model specs, --limit, --seed and the bootstrap
 * rounds, as canonical JSON (sorted keys) and its sha256. Starting a run
 * with the same identity as an unfinished one (killed, or failed) resumes
 * it: the request cache answers what was answered, and samples and metrics
 * are upserted, so nothing is duplicated. Otherwise a new run row is made,
 * recording Tianti's own version and commit (core/version.h) — never the
 * git state of the current folder.
 *
 * Run states (store): running --finished--> finished | failed; a run left
 * 'running' by a kill is resumable.
 */
#ifndef TIANTI_RUN_IDENTITY_H
#define TIANTI_RUN_IDENTITY_H

#include <jansson.h>
#include <stdint.h>

#include "engines/registry.h"
#include "harness/plan.h"
#include "store/store.h"

/* The settings besides tasks and models that make a run another run. */
typedef struct run_identity_settings {
    double limit;
    uint64_t seed;
    int bootstrap_iters;
    /* a shard of a sharded run (`--shard K/N`): shard_count > 1 adds
     * "shard": {"index": K, "count": N} to the configuration, so each shard
     * is a run of its own (resumed on its own); 0 or 1: not sharded, and the
     * configuration is exactly an unsharded run's */
    int shard_index, shard_count;
    const json_t *overrides;      /* NULL, or what the command line changed in tasks and models
                                     (--gen_kwargs, --apply_chat_template, --model_args): part of
                                     the identity only when given, so older runs keep theirs */
} run_identity_settings;

/* The configuration JSON of a run (caller frees with json_decref). */
json_t *run_identity_config(const plan *p, const registry_model *models, int n_models, const run_identity_settings *s);

/* sha256 hex of the canonical (compact, sorted-keys) form of config. */
void run_identity_hash(const json_t *config, char hash[65]);
/* The canonical form itself (caller frees). */
char *run_identity_canonical(const json_t *config);

/* The identity (config hash) run_identity_begin would look for: the key of
 * the run's lease (harness/run_lease.h). */
void run_identity_key(const plan *p, const registry_model *models, int n_models, const run_identity_settings *s,
                      char hash[65]);

/* Finds the unfinished run with this identity and marks it running again
 * (*resumed = 1), or creates a new one (*resumed = 0). */
int run_identity_begin(store *st, const plan *p, const registry_model *models, int n_models,
                       const run_identity_settings *s, int64_t *run_id, int *resumed, char *err);

/* Marks the run finished (ok) or failed. Returns the store's status for a
 * finished run; marking a failed run cannot fail the caller any further. */
int run_identity_end(store *st, int64_t run_id, int ok, char *err);

#endif
