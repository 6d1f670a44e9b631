/*
 * cmd_run.c — `tianti run`: evaluate models on tasks and suites. A thin
 * wrapper over runner_run() (harness/runner.h): parse options, run with a
 * progress line on a terminal, print the results table
 * (harness/results_table.h) or the results JSON, exit 0/1/2.
 */
#include "cli/cli.h"
#include "harness/results_table.h"
#include "harness/runner.h"
#include "core/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const usage[] = {
    "tianti run (--suite NAME|FILE | --task NAME|FILE)... --model SPEC... [options]",
    NULL,
};

/* The progress line on stderr: "\rMODEL / TASK: done/total requests  rate
 * req/s  ETA mm:ss", redrawn in place after each answer; a newline once the
 * task's requests are all answered, if a line was drawn. */
static void draw_progress(void *ud, const runner_progress *p)
{
    int *drawn = ud;
    if (p->finished) {
        if (*drawn) fputc('\n', stderr);
        *drawn = 0;
        return;
    }
    fprintf(stderr, "\r%s / %s: %d/%d requests  %.1f req/s  ETA %02d:%02d   ", p->model, p->task, p->done, p->total,
            p->rate, (int)p->eta_s / 60, (int)p->eta_s % 60);
    fflush(stderr);
    *drawn = 1;
}

/* "K/N" with 0 <= K < N: 1, else 0. */
static int parse_shard(const char *s, int *k, int *n)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/') return 0;
    const char *p = end + 1;
    long b = strtol(p, &end, 10);
    if (end == p || *end || b < 1 || b > 1000000 || a < 0 || a >= b) return 0;
    *k = (int)a;
    *n = (int)b;
    return 1;
}

int cmd_run(int argc, char **argv)
{
    cli_list tasks = {0}, models = {0};
    const char *db = NULL, *format = "table", *output = NULL, *data_dir = NULL, *registry = NULL, *tasks_dir = NULL;
    const char *shard = NULL;
    double limit = 0;
    int samples = 0;
    int seed = 1234, jobs = 1, threads = 0, num_fewshot = -1, bootstrap = 1000, allow_exec = 0, verbose = 0, quiet = 0;
    const cli_option opts[] = {
        {OPT_LIST, 's', "suite", &tasks, "NAME", "a suite or lm-eval group or tag (a name on the task path, or a file); repeatable"},
        {OPT_LIST, 't', "task", &tasks, "NAME", "a task (a name on the task path, or a .json or lm-eval .yaml file); repeatable"},
        {OPT_LIST, 'm', "model", &models, "SPEC", "model spec or models.json name, e.g. glm:models/tianti-tiny.gguf@q4_0; repeatable"},
        {OPT_STRING, 0, "db", &db, "FILE|URI", "database: SQLite file or postgresql:// URI (default tianti.db or $TIANTI_DB)"},
        {OPT_STRING, 0, "shard", &shard, "K/N", "evaluate shard K of N only (documents i % N == K; K from 0); see tianti merge"},
        {OPT_DOUBLE, 'l', "limit", &limit, "N", "evaluate only the first N documents per task (0<N<1: a fraction)"},
        {OPT_INT, 0, "seed", &seed, "S", "random seed for sampling and bootstrap (default 1234)"},
        {OPT_INT, 'j', "jobs", &jobs, "N", "concurrent requests per model (default 1)"},
        {OPT_INT, 0, "threads", &threads, "N", "threads of the built-in engine (default: all cores)"},
        {OPT_INT, 0, "num-fewshot", &num_fewshot, "K", "override every task's number of few-shot examples"},
        {OPT_INT, 0, "samples", &samples, "N", "samples per generation document (the n of pass@k)"},
        {OPT_INT, 0, "bootstrap", &bootstrap, "N", "bootstrap rounds for non-mean stderrs (default 1000)"},
        {OPT_STRING, 'f', "format", &format, "FMT", "table (default) or json: an array of lm-eval results documents, one per model"},
        {OPT_STRING, 'o', "output", &output, "DIR", "also write, as lm-eval does, DIR/MODEL/results_DATE.json and DIR/MODEL/samples_TASK_DATE.jsonl per model"},
        {OPT_STRING, 0, "data-dir", &data_dir, "DIR", "read datasets from DIR (default $TIANTI_DATA), e.g. ../shared/datasets"},
        {OPT_STRING, 0, "tasks-dir", &tasks_dir, "DIR", "task folders (DIR:DIR...) searched before $TIANTI_TASKS and the shipped tasks"},
        {OPT_STRING, 0, "models", &registry, "FILE", "model registry (default ./models.json, else the shipped one: tiny-f32 ... tiny-q4_0)"},
        {OPT_FLAG, 0, "allow-code-execution", &allow_exec, NULL, "allow tasks that execute model-written code"},
        {OPT_FLAG, 'v', "verbose", &verbose, NULL, "print request counts per task (and HTTP exchanges)"},
        {OPT_FLAG, 'q', "quiet", &quiet, NULL, "no progress display"},
        CLI_OPT_END,
    };
    int prc = cli_parse(argc, argv, usage, opts, NULL);
    if (prc) {
        cli_list_free(&tasks);
        cli_list_free(&models);
        return prc == 1 ? 0 : 2;
    }
    int status = 2;
    if (strcmp(format, "table") && strcmp(format, "json")) {
        cli_error("run: unknown format '%s' (table or json)", format);
        goto out;
    }
    if (tasks.n == 0 || models.n == 0) {
        cli_error("run: give at least one --suite or --task and one --model");
        cli_usage(usage, opts, stderr);
        goto out;
    }
    if (jobs < 1 || bootstrap < 0 || limit < 0 || samples < 0) {
        cli_error("run: --jobs must be at least 1; --bootstrap, --limit and --samples not negative");
        goto out;
    }
    int shard_k = 0, shard_n = 0;
    if (shard && !parse_shard(shard, &shard_k, &shard_n)) {
        cli_error("run: --shard wants K/N with 0 <= K < N, e.g. 3/8, not '%s'", shard);
        goto out;
    }
    runner_options o;
    runner_options_default(&o);
    o.shard_index = shard_k;
    o.shard_count = shard_n;
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
    o.jobs = jobs;
    o.threads = threads;
    o.num_fewshot = num_fewshot;
    o.samples = samples;
    o.bootstrap_iters = bootstrap;
    o.allow_code_execution = allow_exec;
    o.verbose = verbose;
    if (verbose) cli_log_init(1);
    int drawn = 0;
    if (!quiet && isatty(2)) {
        o.progress = draw_progress;
        o.progress_ud = &drawn;
    }

    char err[TT_ERR_SIZE] = "";
    json_t *results = NULL;
    int64_t run_id = 0;
    int rc = runner_run(&o, &results, &run_id, err);
    if (rc != TT_OK) {
        cli_error("run: %s", err);
        status = cli_exit_status(rc);
        goto out;
    }
    if (!strcmp(format, "json")) {
        /* one shape for one model or many: an array of per-model documents */
        json_dumpf(results, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        fputc('\n', stdout);
    } else {
        size_t i;
        json_t *doc;
        json_array_foreach(results, i, doc) results_table_print(doc, stdout);
        printf("stored as run %lld in '%s'\n", (long long)run_id, cli_db_shown(o.db_path));
    }
    json_decref(results);
    status = 0;
out:
    cli_list_free(&tasks);
    cli_list_free(&models);
    return status;
}
