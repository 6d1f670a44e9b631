/*
 * cmd_bench.c — `tianti bench`: memory and speed per precision (and,
 * with --task, accuracy) of built-in and external engines. Parses options,
 * measures the machine, calls bench_run(), prints and stores the results
 * (bench/bench.h does the work).
 */
#include "cli/cli.h"
#include "bench/bench.h"
#include "core/util.h"
#include "engines/registry.h"
#include "harness/suite.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "tianti bench --model glm:FILE ... [--precision f32,f16,q8_0,q4_0] [-p 512] [-n 128] [-r 5] [--threads N] [--ctx-size N]",
    "tianti bench --model SPEC ... --task NAME [--limit N] [--tasks-dir DIR]",
    "tianti bench --model openai:NAME --base-url URL [--launch \"COMMAND with {precision}\"] [--precision LIST]",
    "",
    "Measures each model at each precision the way llama-bench does: prompt processing",
    "(ppN) and generation (tgN) tokens/s as mean ± stddev over -r repetitions after a",
    "warm-up, plus load time, time to first token, file size, parameters, peak resident",
    "memory (weights / KV cache / scratch) and the memory-bandwidth bound on generation.",
    "A glm:FILE spec without @PRECISION runs at every --precision, each in a fresh process.",
    "External servers (openai:, chatglm:) are measured from the client; with --launch the",
    "command is started (\"{precision}\" in it is replaced by each precision), its process",
    "tree's memory (and GPU memory, with nvidia-smi) is sampled, and it is stopped after.",
    "Results go to the bench_results table of the database unless --no-store.",
    NULL,
};

int cmd_bench(int argc, char **argv)
{
    cli_list models = {0}, precisions = {0};
    const char *format = "table", *db = NULL, *launch = NULL, *base_url = NULL, *ready_url = NULL, *task = NULL;
    const char *registry = NULL, *data_dir = NULL, *tasks_dir = NULL;
    int n_prompt = 512, n_gen = 128, reps = 5, threads = 0, ctx_size = 0, no_store = 0, no_warmup = 0, quiet = 0;
    double limit = 0, launch_timeout = 120, grace = 10;
    const cli_option opts[] = {
        {OPT_LIST, 'm', "model", &models, "SPEC", "model spec (repeatable), e.g. glm:models/tianti-tiny.gguf", 0},
        {OPT_LIST, 0, "precision", &precisions, "LIST", "precisions for glm: specs without @ (default f32,f16,q8_0,q4_0)", 0},
        {OPT_INT, 'p', "n-prompt", &n_prompt, "N", "prompt tokens of the pp test (default 512)", 0},
        {OPT_INT, 'n', "n-gen", &n_gen, "N", "generated tokens of the tg test (default 128)", 0},
        {OPT_INT, 'r', "repetitions", &reps, "N", "timed repetitions of each test (default 5)", 0},
        {OPT_INT, 0, "threads", &threads, "N", "built-in engine threads (default all cores)", 0},
        {OPT_INT, 0, "ctx-size", &ctx_size, "N", "built-in engine context, whose KV cache is held (default -p or -n, +16)", 0},
        {OPT_FLAG, 0, "no-warmup", &no_warmup, NULL, "skip the untimed warm-up run", 0},
        {OPT_STRING, 'f', "format", &format, "FMT", "table (default), md, csv or json", 0},
        {OPT_STRING, 0, "db", &db, "FILE", "database (default $TIANTI_DB or tianti.db)", 0},
        {OPT_FLAG, 0, "no-store", &no_store, NULL, "do not write bench_results", 0},
        {OPT_STRING, 't', "task", &task, "NAME", "also evaluate this task at each precision", 0},
        {OPT_DOUBLE, 0, "limit", &limit, "N", "documents of --task (default all; < 1: a fraction)", 0},
        {OPT_STRING, 0, "launch", &launch, "COMMAND", "start this server for external models, measure, stop it", 0},
        {OPT_STRING, 0, "base-url", &base_url, "URL", "base URL of an openai: server (also sets OPENAI_BASE_URL)", 0},
        {OPT_STRING, 0, "ready-url", &ready_url, "URL", "URL polled until the launched server answers", 0},
        {OPT_DOUBLE, 0, "launch-timeout", &launch_timeout, "S", "seconds to wait for the server (default 120)", 0},
        {OPT_DOUBLE, 0, "grace", &grace, "S", "seconds between SIGTERM and SIGKILL when stopping it (default 10)", 0},
        {OPT_STRING, 0, "models", &registry, "FILE", "model registry for --model names (default models.json if present)", 0},
        {OPT_STRING, 0, "registry", &registry, "FILE", NULL, CLI_HIDDEN},
        {OPT_STRING, 0, "data-dir", &data_dir, "DIR", "datasets for --task (default $TIANTI_DATA)", 0},
        {OPT_STRING, 0, "tasks-dir", &tasks_dir, "DIR", "task files for --task", 0},
        {OPT_FLAG, 'q', "quiet", &quiet, NULL, "no progress lines on stderr", 0},
        CLI_OPT_END};
    int status = 2;
    int rc = cli_parse(argc, argv, usage, opts, NULL);
    if (rc == 1) status = 0;
    if (rc) goto out;
    char err[TT_ERR_SIZE] = "";
    if (task && strspn(task, "0123456789") == strlen(task)) {
        /* llama-bench's -t is threads; here -t is --task, as in 'tianti run' */
        cli_error("bench: there is no task '%s'; for %s threads give --threads %s (-t is --task)", task, task, task);
        goto out;
    }
    if (task) {
        /* an unknown task is a usage error before anything is measured */
        char *path = NULL;
        int is_suite = 0;
        int frc = suite_find(tasks_dir, task, &path, &is_suite, err);
        free(path);
        if (frc != TT_OK) {
            cli_error("bench: %s", err);
            status = cli_exit_status(frc);
            goto out;
        }
    }
    if (models.n == 0) {
        cli_error("bench needs --model SPEC");
        cli_usage_short(usage, stderr);
        goto out;
    }
    if (bench_format_check(format, err) || launch_timeout <= 0 || grace < 0 || threads < 0 || limit < 0 || ctx_size < 0) {
        cli_error("bench: %s", err[0] ? err : "--launch-timeout must be positive; --grace, --threads, --ctx-size, --limit not negative");
        goto out;
    }
    /* models.json names become their specs, as in 'tianti run' */
    for (int i = 0; i < models.n; i++) {
        registry_model m;
        if ((status = cli_model("bench", registry, models.items[i], &m)) != 0) goto out;
        status = 2;
        free((void *)models.items[i]);
        models.items[i] = tt_strdup(m.spec);
        registry_model_clear(&m);
    }
    if (base_url) setenv("OPENAI_BASE_URL", base_url, 1);   /* for the runner's openai: engines (--task) */
    bench_options o;
    bench_options_default(&o);
    o.models = models.items;
    o.n_models = models.n;
    o.precisions = precisions.items;
    o.n_precisions = precisions.n;
    o.n_prompt = n_prompt;
    o.n_gen = n_gen;
    o.reps = reps;
    o.threads = threads;
    o.n_ctx = ctx_size;
    o.warmup = !no_warmup;
    o.launch = launch;
    o.base_url = base_url;
    o.ready_url = ready_url;
    o.launch_timeout_s = launch_timeout;
    o.launch_grace_s = grace;
    o.task = task;
    o.limit = limit;
    o.db_path = cli_db_path(db);
    o.registry_path = registry;
    o.data_dir = data_dir;
    o.tasks_dir = tasks_dir;
    o.progress = !quiet;

    if (bench_options_check(&o, err)) {
        cli_error("bench: %s", err);
        goto out;
    }
    bench_machine mach;
    if (!quiet) fprintf(stderr, "tianti: bench: measuring memory bandwidth\n");
    bench_machine_measure(&mach, threads);
    bench_result *res = NULL;
    int n = 0;
    rc = bench_run(&o, &mach, &res, &n, err);
    if (rc == TT_ERR_USAGE) {
        cli_error("bench: %s", err);
        goto out;
    }
    if (n > 0) bench_print(stdout, format, res, n, &mach, err);
    status = rc == TT_OK ? 0 : 1;
    if (rc != TT_OK) cli_error("bench: %s", err);
    if (n > 0 && !no_store) {
        int src = bench_store(o.db_path, res, n, &mach, err);
        if (src) {
            cli_error("bench: %s", err);
            status = 1;
        } else if (!quiet) {
            fprintf(stderr, "tianti: bench: stored in '%s' (table bench_results)\n", cli_db_shown(o.db_path));
        }
    }
    /* a partial failure (some model or precision, or its --task) is a failure too */
    for (int i = 0; i < n; i++)
        if (res[i].error[0] || res[i].task_failed) status = 1;
    free(res);
out:
    cli_list_free(&models);
    cli_list_free(&precisions);
    return status;
}
