/*
 * cmd_merge.c — `tianti merge --shards N` with the arguments the shards
 * were run with: joins the N shards of a sharded run (`tianti run --shard
 * K/N`) into one run whose samples and metrics are those of the unsharded
 * run (harness/merge.h does the work; docs/scale.md shows the cluster
 * recipes). The shards are in the --db store already (a shared PostgreSQL
 * store), or come from their own files with --from (copied in first with
 * store_copy's append mode). Prints the results table like `tianti run`.
 */
#include "cli/cli.h"
#include "harness/merge.h"
#include "harness/results_table.h"
#include "store/store.h"
#include "core/util.h"

#include <jansson.h>
#include <string.h>

static const char *const usage[] = {
    "tianti merge --shards N (--suite NAME|FILE | --task NAME|FILE)... --model SPEC... [options]",
    "Joins the N shards of a run made with `tianti run --shard K/N` and the same tasks, models and settings:",
    "one new run holding every shard's samples, its metrics computed again from the per-document samples in",
    "document order (exactly the unsharded run's numbers, bootstrap stderrs included). The shards are read",
    "from --db, after copying in each --from store (a shard that wrote its own SQLite file).",
    NULL,
};

/* Copies each --from store into the target, appending. */
static int copy_in(const char *target, const cli_list *from, char *err)
{
    store *to = NULL;
    int rc = from->n ? store_open(target, &to, err) : TT_OK;
    for (int i = 0; i < from->n && rc == TT_OK; i++) {
        if (!store_target_exists(from->items[i]))
            rc = tt_fail(err, TT_ERR_IO, "no database '%s' (--from)", from->items[i]);
        store *src = NULL;
        if (rc == TT_OK) rc = store_open(from->items[i], &src, err);
        if (rc == TT_OK) rc = store_copy(src, to, STORE_COPY_APPEND, NULL, err);
        store_close(src);
    }
    store_close(to);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    cli_list tasks = {0}, models = {0}, from = {0};
    const char *db = NULL, *format = "table", *output = NULL, *data_dir = NULL, *registry = NULL, *tasks_dir = NULL;
    double limit = 0;
    int shards = 0, samples = 0, seed = 1234, num_fewshot = -1, bootstrap = 1000;
    int ignored_int = 0, ignored_flag = 0;
    const cli_option opts[] = {
        {OPT_INT, 0, "shards", &shards, "N", "the number of shards the run was split into (--shard K/N)", 0},
        {OPT_LIST, 0, "from", &from, "DB", "a shard's own store (file or URI), copied into --db first; repeatable", 0},
        {OPT_LIST, 's', "suite", &tasks, "NAME", "as given to tianti run; repeatable", 0},
        {OPT_LIST, 't', "task", &tasks, "NAME", "as given to tianti run; repeatable", 0},
        {OPT_LIST, 'm', "model", &models, "SPEC", "as given to tianti run; repeatable", 0},
        {OPT_STRING, 0, "db", &db, "FILE|URI", "the store that holds (or gets) the shards and the merged run", 0},
        {OPT_DOUBLE, 'l', "limit", &limit, "N", "as given to tianti run", 0},
        {OPT_INT, 0, "seed", &seed, "S", "as given to tianti run (default 1234); also seeds the bootstrap", 0},
        {OPT_INT, 0, "num-fewshot", &num_fewshot, "K", "as given to tianti run", 0},
        {OPT_INT, 0, "samples", &samples, "N", "as given to tianti run", 0},
        {OPT_INT, 0, "bootstrap", &bootstrap, "N", "as given to tianti run (default 1000)", 0},
        {OPT_STRING, 'f', "format", &format, "FMT", "table (default) or json", 0},
        {OPT_STRING, 'o', "output", &output, "DIR", "also write, as tianti run does, DIR/MODEL/results_DATE.json per model", 0},
        {OPT_STRING, 0, "data-dir", &data_dir, "DIR", "as given to tianti run", 0},
        {OPT_STRING, 0, "tasks-dir", &tasks_dir, "DIR", "as given to tianti run", 0},
        {OPT_STRING, 0, "models", &registry, "FILE", "model registry (default models.json if present)", 0},
        /* taken so that the shards' command line can be given as it is; no model is asked */
        {OPT_INT, 'j', "jobs", &ignored_int, "N", "accepted and ignored (no model is asked)", 0},
        {OPT_INT, 0, "threads", &ignored_int, "N", "accepted and ignored", 0},
        {OPT_FLAG, 0, "allow-code-execution", &ignored_flag, NULL, "accepted and ignored (nothing is executed)", 0},
        {OPT_FLAG, 'q', "quiet", &ignored_flag, NULL, "accepted and ignored (there is no progress to show)", 0},
        CLI_OPT_END,
    };
    int prc = cli_parse(argc, argv, usage, opts, NULL);
    int status = 2;
    if (prc) {
        status = prc == 1 ? 0 : 2;
        goto out;
    }
    if (strcmp(format, "table") && strcmp(format, "json")) {
        cli_error("merge: unknown format '%s' (table or json)", format);
        goto out;
    }
    if (shards < 2 || tasks.n == 0 || models.n == 0) {
        cli_error("merge: give --shards N (at least 2) and the --task/--suite and --model the shards ran with");
        cli_usage(usage, opts, stderr);
        goto out;
    }
    runner_options o;
    runner_options_default(&o);
    o.tasks = tasks.items;
    o.n_tasks = tasks.n;
    o.models = models.items;
    o.n_models = models.n;
    o.db_path = cli_db_path(db);
    o.registry_path = registry;
    o.data_dir = data_dir;
    o.tasks_dir = tasks_dir;
    o.output_dir = output;
    o.limit = limit;
    o.seed = (uint64_t)(unsigned)seed;
    o.num_fewshot = num_fewshot;
    o.samples = samples;
    o.bootstrap_iters = bootstrap;
    char err[TT_ERR_SIZE];
    int rc = copy_in(o.db_path, &from, err);
    json_t *results = NULL;
    int64_t run_id = 0;
    if (rc == TT_OK) rc = runner_merge(&o, shards, &results, &run_id, err);
    if (rc != TT_OK) {
        cli_error("merge: %s", err);
        status = cli_exit_status(rc);
        goto out;
    }
    if (!strcmp(format, "json")) {
        json_t *one = json_array_size(results) == 1 ? json_array_get(results, 0) : results;
        json_dumpf(one, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        fputc('\n', stdout);
    } else {
        size_t i;
        json_t *doc;
        json_array_foreach(results, i, doc) results_table_print(doc, stdout);
        printf("merged %d shards as run %lld in '%s'\n", shards, (long long)run_id, cli_db_shown(o.db_path));
    }
    json_decref(results);
    status = 0;
out:
    cli_list_free(&tasks);
    cli_list_free(&models);
    cli_list_free(&from);
    return status;
}
