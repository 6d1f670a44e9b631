/*
 * cmd_run.c — `tianti run`: evaluate models on tasks and suites. A thin
 * wrapper over runner_run() (harness/runner.h): parse options (Tianti's and
 * lm-evaluation-harness's spellings), run with a progress line on a
 * terminal or a periodic status line elsewhere, print the results table
 * (harness/results_table.h) or the results JSON, then why any document
 * could not be scored, grouped by cause; exit 0, 1 (something failed) or 2
 * (a usage error).
 */
#include "cli/cli.h"
#include "harness/results_table.h"
#include "harness/runner.h"
#include "core/util.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const usage[] = {
    "tianti run (--suite NAME|FILE | --task NAME|FILE)... --model SPEC... [options]",
    "",
    "lm-evaluation-harness's spellings work too, with lm-eval's meaning: --tasks a,b (or",
    "--tasks a b), --num_fewshot K, --output_path DIR, --log_samples, --limit 0.1 (a",
    "fraction of each task's documents, rounded up), --model_args k=v,..., --gen_kwargs",
    "k=v,..., --apply_chat_template, --model local-completions --model_args",
    "model=NAME,base_url=URL (an OpenAI-compatible server). --batch_size and --device have",
    "no equivalent and are ignored with a warning: Tianti sends --jobs N requests at once,",
    "and runs GPU models through their servers (openai:MODEL).",
    "",
    "Exit status: 0 when every document was scored; 1 when some could not be (their causes",
    "are printed, grouped; -v prints each) or nothing could run; 2 for a usage error.",
    NULL,
};

/* ---- progress ------------------------------------------------------------------------ */

/* How progress is shown: the \r line on a terminal, else a status line
 * every every_s seconds and/or at every every_pct percent of a task. */
typedef struct progress_view {
    int tty;
    double every_s;               /* 0: not by time */
    int every_pct;                /* 0: not by share */
    int drawn;                    /* tty: a \r line is on screen */
    double t0, last;              /* this task's start, last status line */
    int last_pct;                 /* share at the last status line */
    int lines;                    /* status lines of this task */
} progress_view;

/* The \r line on stderr: "MODEL / TASK: done/total requests  rate req/s
 * ETA mm:ss", redrawn after each answer; a newline once the task's
 * requests are all answered, if a line was drawn. */
static void draw_tty(progress_view *v, const runner_progress *p)
{
    if (p->finished) {
        if (v->drawn) fputc('\n', stderr);
        v->drawn = 0;
        return;
    }
    fprintf(stderr, "\r%s / %s: %d/%d requests  %.1f req/s  ETA %02d:%02d   ", p->model, p->task, p->done, p->total,
            p->rate, (int)p->eta_s / 60, (int)p->eta_s % 60);
    fflush(stderr);
    v->drawn = 1;
}

/* One status line, for logs: when the period or share has passed, and at
 * the end of a task that printed any. */
static void draw_status(progress_view *v, const runner_progress *p)
{
    double now = tt_now_s();
    if (v->t0 == 0) {
        v->t0 = v->last = now;
        v->last_pct = 0;
        v->lines = 0;
    }
    int pct = p->total > 0 ? (int)(100.0 * p->done / p->total) : 100;
    int due = (v->every_s > 0 && now - v->last >= v->every_s) ||
              (v->every_pct > 0 && pct / v->every_pct > v->last_pct / v->every_pct && pct < 100);
    if (p->finished) due = v->lines > 0;
    if (due) {
        fprintf(stderr, "tianti: %s / %s: %d/%d requests (%d%%), %d failed, %.1f req/s, %s %02d:%02d\n", p->model,
                p->task, p->done, p->total, pct, p->failed, p->rate, p->finished ? "took" : "ETA",
                (int)(p->finished ? now - v->t0 : p->eta_s) / 60, (int)(p->finished ? now - v->t0 : p->eta_s) % 60);
        fflush(stderr);
        v->last = now;
        v->last_pct = pct;
        v->lines++;
    }
    if (p->finished) v->t0 = 0;
}

static void draw_progress(void *ud, const runner_progress *p)
{
    progress_view *v = ud;
    if (v->tty) draw_tty(v, p);
    else draw_status(v, p);
}

/* --status-every: "30s", "30", "10%", "30s,10%" or "off". */
static int parse_status_every(const char *spec, progress_view *v)
{
    v->every_s = 0;
    v->every_pct = 0;
    if (!strcmp(spec, "off") || !strcmp(spec, "0")) return 0;
    char *copy = tt_strdup(spec), *save = NULL;
    int bad = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !bad; tok = strtok_r(NULL, ",", &save)) {
        char *end;
        double x = strtod(tok, &end);
        if (end == tok || x <= 0) bad = 1;
        else if (!strcmp(end, "%") && x <= 100) v->every_pct = (int)x;
        else if (!*end || !strcmp(end, "s")) v->every_s = x;
        else bad = 1;
    }
    free(copy);
    if (bad) cli_error("run: --status-every wants seconds (30s), a share (10%%), both (30s,10%%) or off, not '%s'", spec);
    return bad ? 2 : 0;
}

/* ---- lm-eval's key=value arguments ---------------------------------------------------- */

/* One value as lm-eval reads it (lm_eval/utils.py handle_arg_string): true,
 * false, none, an integer, a float, a quoted or JSON value, else a string. */
static json_t *kv_value(const char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0]) return json_stringn(v + 1, n - 2);
    if (!strcasecmp(v, "true")) return json_true();
    if (!strcasecmp(v, "false")) return json_false();
    if (!strcasecmp(v, "none")) return json_null();
    char *end;
    const char *d = v + (*v == '+' || *v == '-');
    if (*d && strspn(d, "0123456789") == strlen(d)) return json_integer(strtoll(v, NULL, 10));
    double x = strtod(v, &end);
    if (end != v && !*end) return json_real(x);
    if (v[0] == '[' || v[0] == '{') {
        json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
        if (j) return j;
    }
    return json_string(v);
}

/* "k=v,k2=v2" or a JSON object into *obj (merged); 2 on a malformed one. */
static int parse_kv(const char *opt, const char *text, json_t *obj)
{
    while (isspace((unsigned char)*text)) text++;
    if (*text == '{') {
        json_error_t je;
        json_t *j = json_loads(text, 0, &je);
        if (!json_is_object(j)) {
            cli_error("run: --%s: '%s' is not a JSON object (%s)", opt, text, j ? "not an object" : je.text);
            json_decref(j);
            return 2;
        }
        json_object_update(obj, j);
        json_decref(j);
        return 0;
    }
    char *copy = tt_strdup(text), *save = NULL;
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq || eq == item) {
            cli_error("run: --%s wants key=value pairs separated by ',' (as lm-eval), not '%s'", opt, item);
            rc = 2;
            break;
        }
        *eq = 0;
        json_t *v = kv_value(eq + 1);
        if (json_is_null(v)) json_object_del(obj, item);   /* "key=None": the default */
        else json_object_set(obj, item, v);
        json_decref(v);
    }
    free(copy);
    return rc;
}

/* lm-eval's model types for OpenAI-compatible servers, and whether they
 * are chat models (lm_eval/models/openai_completions.py). */
static int lmeval_api_type(const char *m, int *chat)
{
    *chat = !strcmp(m, "local-chat-completions") || !strcmp(m, "openai-chat-completions");
    return *chat || !strcmp(m, "local-completions") || !strcmp(m, "openai-completions");
}

/* lm-eval model_args that mean nothing to Tianti's HTTP engines. */
static const char *const lmeval_ignored[] = {"tokenized_requests", "tokenizer", "tokenizer_backend", "max_length",
                                             "batch_size", "dtype", "device", "trust_remote_code", "eos_string",
                                             "max_gen_toks", "seed", "revision", "parallelize"};

/* Turns "--model local-completions --model_args model=M,base_url=U" into
 * the spec openai:M with base_url U (its endpoint path dropped), as lm-eval
 * reads them; drops the keys Tianti has no use for, with a warning. */
static int adapt_lmeval_models(cli_list *models, json_t *margs, int *chat)
{
    const char *name = json_string_value(json_object_get(margs, "model"));
    if (!name) name = json_string_value(json_object_get(margs, "pretrained"));
    for (int i = 0; i < models->n; i++) {
        int is_chat;
        if (!lmeval_api_type(models->items[i], &is_chat)) continue;
        if (!name) {
            cli_error("run: --model %s needs the served model's name: --model_args model=NAME,base_url=URL",
                      models->items[i]);
            return 2;
        }
        char *spec = tt_asprintf("openai:%s", name);
        free((void *)models->items[i]);
        models->items[i] = spec;
        if (is_chat) *chat = 1;
    }
    json_object_del(margs, "model");
    json_object_del(margs, "pretrained");
    const char *url = json_string_value(json_object_get(margs, "base_url"));
    if (url) {
        /* lm-eval's base_url is the endpoint itself */
        static const char *const ends[] = {"/chat/completions", "/completions"};
        for (size_t k = 0; k < 2; k++) {
            size_t ul = strlen(url), el = strlen(ends[k]);
            if (ul > el && !strcmp(url + ul - el, ends[k])) {
                char *base = tt_strndup(url, ul - el);
                json_object_set_new(margs, "base_url", json_string(base));
                free(base);
                break;
            }
        }
    }
    for (size_t k = 0; k < sizeof lmeval_ignored / sizeof lmeval_ignored[0]; k++)
        if (json_object_get(margs, lmeval_ignored[k])) {
            cli_error("run: warning: --model_args %s is lm-eval's and means nothing here; ignored", lmeval_ignored[k]);
            json_object_del(margs, lmeval_ignored[k]);
        }
    return 0;
}

/* ---- after the run ------------------------------------------------------------------- */

/* Prints each model's errors (results "errors"), grouped by task and
 * cause. Returns how many entries there were. */
static int print_errors(const json_t *docs, int verbose)
{
    int entries = 0;
    size_t i, k;
    json_t *doc, *e;
    json_array_foreach(docs, i, doc) {
        const char *model = json_string_value(json_object_get(json_object_get(doc, "config"), "model_name"));
        const char *cur = NULL;
        json_array_foreach(json_object_get(doc, "errors"), k, e) {
            const char *task = json_string_value(json_object_get(e, "task"));
            const char *cause = json_string_value(json_object_get(e, "cause"));
            int count = (int)json_integer_value(json_object_get(e, "count"));
            int of = (int)json_integer_value(json_object_get(e, "of"));
            entries++;
            if (!strcmp(task, "*")) {
                cli_error("error: model '%s' could not be evaluated: %s", model,
                          json_string_value(json_object_get(e, "example")));
                continue;
            }
            if (!cur || strcmp(cur, task) != 0) {
                int failed = 0;
                size_t j;
                json_t *f;
                json_array_foreach(json_object_get(doc, "errors"), j, f)
                    if (!strcmp(json_string_value(json_object_get(f, "task")), task))
                        failed += (int)json_integer_value(json_object_get(f, "count"));
                cli_error("error: %s / %s: %d of %d documents could not be scored:", model, task, failed, of);
                cur = task;
            }
            fprintf(stderr, "    %d × %s\n", count, cause);
        }
    }
    if (entries && !verbose)
        fprintf(stderr, "(-v prints every error in full as it happens)\n");
    return entries;
}

static int warn_ignored(const char *batch_size, const char *device)
{
    if (batch_size)
        cli_error("run: warning: --batch_size %s is lm-eval's; Tianti sends --jobs N requests at once per model "
                  "(default 1) and its built-in engine batches each prompt itself: ignored", batch_size);
    if (device)
        cli_error("run: warning: --device %s is lm-eval's; Tianti's built-in engine runs on the CPU (--threads N), "
                  "and a model on a GPU is evaluated through its server (openai:MODEL, e.g. vLLM or llama.cpp): "
                  "ignored", device);
    return 0;
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
    cli_list tasks = {0}, models = {0}, model_args = {0}, gen_kwargs = {0};
    const char *db = NULL, *format = "table", *output = NULL, *data_dir = NULL, *registry = NULL, *tasks_dir = NULL;
    const char *shard = NULL, *sandbox = "strict";
    const char *batch_size = NULL, *device = NULL, *status_every = "30s";
    double limit = -1;
    int samples = 0;
    int seed = 1234, jobs = 1, threads = 0, num_fewshot = -1, bootstrap = 1000, allow_exec = 0, verbose = 0, quiet = 0;
    int log_samples = 0, chat = 0, wait = 0;
    const cli_option opts[] = {
        {OPT_LIST, 's', "suite", &tasks, "NAME", "a suite or lm-eval group or tag (a name on the task path, or a file); repeatable", 0},
        {OPT_LIST, 't', "task", &tasks, "NAME", "a task (a name on the task path, or a .json or lm-eval .yaml file); repeatable", 0},
        {OPT_LIST, 0, "tasks", &tasks, "LIST", NULL, CLI_HIDDEN | CLI_GREEDY},
        {OPT_LIST, 'm', "model", &models, "SPEC", "model spec or models.json name, e.g. glm:models/tianti-tiny.gguf@q4_0; repeatable", 0},
        {OPT_LIST, 0, "model-args", &model_args, "K=V,...", "model settings over models.json's (base_url, max_retries, timeout_s, ...)", CLI_NOSPLIT | CLI_GREEDY},
        {OPT_STRING, 0, "models", &registry, "FILE", "model registry (default ./models.json, else the shipped one: tiny-f32 ... tiny-q4_0)", 0},
        {OPT_STRING, 0, "db", &db, "FILE|URI", "database: SQLite file or postgresql:// URI (default tianti.db or $TIANTI_DB)", 0},
        {OPT_STRING, 0, "shard", &shard, "K/N", "evaluate shard K of N only (documents i % N == K; K from 0); see tianti merge", 0},
        {OPT_DOUBLE, 'l', "limit", &limit, "N", "evaluate only the first N documents per task (0<N<1: that fraction, rounded up)", 0},
        {OPT_INT, 0, "seed", &seed, "S", "random seed for sampling and bootstrap (default 1234)", 0},
        {OPT_INT, 'j', "jobs", &jobs, "N", "concurrent requests per model (default 1)", 0},
        {OPT_INT, 0, "threads", &threads, "N", "threads of the built-in engine (default: all cores)", 0},
        {OPT_INT, 0, "num-fewshot", &num_fewshot, "K", "override every task's number of few-shot examples", 0},
        {OPT_LIST, 0, "gen-kwargs", &gen_kwargs, "K=V,...", "generation settings over each generation task's (temperature, max_gen_toks, until, ...)", CLI_NOSPLIT | CLI_GREEDY},
        {OPT_FLAG, 0, "apply-chat-template", &chat, NULL, "run generation tasks in chat mode (messages, not a raw prompt)", 0},
        {OPT_INT, 0, "samples", &samples, "N", "samples per generation document (the n of pass@k)", 0},
        {OPT_INT, 0, "bootstrap", &bootstrap, "N", "bootstrap rounds for non-mean stderrs (default 1000)", 0},
        {OPT_STRING, 'f', "format", &format, "FMT", "table (default) or json: an array of lm-eval results documents, one per model", 0},
        {OPT_STRING, 'o', "output", &output, "DIR", "also write, as lm-eval does, DIR/MODEL/results_DATE.json and DIR/MODEL/samples_TASK_DATE.jsonl per model", 0},
        {OPT_STRING, 0, "output-path", &output, "DIR", NULL, CLI_HIDDEN},
        {OPT_FLAG, 0, "log-samples", &log_samples, NULL, "lm-eval's: samples files under --output (the store keeps every sample anyway)", 0},
        {OPT_STRING, 0, "data-dir", &data_dir, "DIR", "read datasets from DIR (default $TIANTI_DATA), e.g. ../shared/datasets", 0},
        {OPT_STRING, 0, "tasks-dir", &tasks_dir, "DIR", "task folders (DIR:DIR...) searched before $TIANTI_TASKS and the shipped tasks", 0},
        {OPT_STRING, 0, "include-path", &tasks_dir, "DIR", NULL, CLI_HIDDEN},
        {OPT_FLAG, 0, "allow-code-execution", &allow_exec, NULL, "allow tasks that execute model-written code", 0},
        {OPT_STRING, 0, "sandbox", &sandbox, "LEVEL", "for that code: strict (default; refuses where the host cannot isolate), weak (strict where possible, else no namespaces; README: Security) or none (trusted code only)", 0},
        {OPT_FLAG, 0, "confirm-run-unsafe-code", &allow_exec, NULL, NULL, CLI_HIDDEN},
        {OPT_STRING, 0, "batch-size", &batch_size, "N", NULL, CLI_HIDDEN},
        {OPT_STRING, 0, "device", &device, "DEV", NULL, CLI_HIDDEN},
        {OPT_STRING, 0, "status-every", &status_every, "WHEN", "status lines when stderr is not a terminal: 30s (default), 10%, 30s,10% or off", 0},
        {OPT_FLAG, 0, "wait", &wait, NULL, "when another process is running the same run, wait for it (default: exit 1 naming it)", 0},
        {OPT_FLAG, 'v', "verbose", &verbose, NULL, "print each document's error, request counts per task (and HTTP exchanges)", 0},
        {OPT_FLAG, 'q', "quiet", &quiet, NULL, "no progress display", 0},
        CLI_OPT_END,
    };
    json_t *margs = json_object(), *gkw = json_object(), *results = NULL;
    int status = cli_parse(argc, argv, usage, opts, NULL);
    if (status) {
        status = status == 1 ? 0 : 2;
        goto out;
    }
    status = 2;
    progress_view view = {.tty = isatty(2)};
    if (strcmp(format, "table") && strcmp(format, "json")) {
        const char *formats[] = {"table", "json"};
        cli_unknown("run: unknown format", format, formats, 2);
        goto out;
    }
    if (tasks.n == 0 || models.n == 0) {
        cli_error("run: give at least one --task (or --suite) and one --model");
        cli_usage_short(usage, stderr);
        goto out;
    }
    if (limit == 0) {
        cli_error("run: --limit 0 would evaluate no documents; give a count, a fraction below 1, or no --limit for all");
        goto out;
    }
    if (jobs < 1 || bootstrap < 0 || (limit < 0 && limit != -1) || samples < 0) {
        cli_error("run: --jobs must be at least 1; --bootstrap, --limit and --samples not negative");
        goto out;
    }
    int shard_k = 0, shard_n = 0;
    if (shard && !parse_shard(shard, &shard_k, &shard_n)) {
        cli_error("run: --shard wants K/N with 0 <= K < N, e.g. 3/8, not '%s'", shard);
        goto out;
    }
    if (log_samples && !output) {
        cli_error("run: --log_samples writes the samples under --output_path DIR; give one (the store keeps every "
                  "sample regardless)");
        goto out;
    }
    if (parse_status_every(status_every, &view)) goto out;
    sandbox_level level;
    char lerr[TT_ERR_SIZE];
    if (sandbox_level_parse(sandbox, &level, lerr) != TT_OK) {
        cli_error("run: --sandbox: %s", lerr);
        goto out;
    }
    for (int i = 0; i < model_args.n; i++)
        if (parse_kv("model_args", model_args.items[i], margs)) goto out;
    for (int i = 0; i < gen_kwargs.n; i++)
        if (parse_kv("gen_kwargs", gen_kwargs.items[i], gkw)) goto out;
    if (adapt_lmeval_models(&models, margs, &chat)) goto out;
    warn_ignored(batch_size, device);

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
    o.limit = limit > 0 ? limit : 0;
    o.seed = (uint64_t)(unsigned)seed;
    o.jobs = jobs;
    o.threads = threads;
    o.num_fewshot = num_fewshot;
    o.samples = samples;
    o.bootstrap_iters = bootstrap;
    o.allow_code_execution = allow_exec;
    o.sandbox = level;
    o.wait_for_run = wait;
    o.verbose = verbose;
    o.model_args = json_object_size(margs) ? margs : NULL;
    o.gen_kwargs = json_object_size(gkw) ? gkw : NULL;
    o.chat = chat;
    if (verbose) cli_log_init(1);
    if (!quiet && (view.tty || view.every_s > 0 || view.every_pct > 0)) {
        o.progress = draw_progress;
        o.progress_ud = &view;
    }

    char err[TT_ERR_SIZE] = "";
    int64_t run_id = 0;
    int rc = runner_run(&o, &results, &run_id, err);
    if (rc != TT_OK) {
        if (results) print_errors(results, verbose);
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
    fflush(stdout);
    status = print_errors(results, verbose) > 0 ? 1 : 0;
out:
    json_decref(results);
    json_decref(margs);
    json_decref(gkw);
    cli_list_free(&tasks);
    cli_list_free(&models);
    cli_list_free(&model_args);
    cli_list_free(&gen_kwargs);
    return status;
}
