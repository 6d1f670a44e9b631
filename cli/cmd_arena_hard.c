/*
 * cmd_arena_hard.c — `tianti arena-hard gen|judge|show|run`: Arena-Hard-Auto
 * v0.1 (arena/arenahard.h): the models answer the hard prompts, a judge
 * compares each answer with the baseline's in both orders, and show prints
 * the win rate against the baseline with its 95% interval and the average
 * answer length, as arena-hard-auto's show_result.py does. Resumable: every
 * request goes through the store's request cache.
 */
#include "arena/arenahard.h"
#include "cli/cli.h"
#include "core/escape.h"
#include "core/util.h"
#include "store/store.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "tianti arena-hard gen --model SPEC [--model SPEC ...] [--data-dir DIR] [--questions FILE] [--limit N]\n"
    "                      [--max-tokens N] [--jobs N] [--db FILE]",
    "tianti arena-hard judge --judge SPEC [--baseline MODEL] [--baseline-answers FILE] [--config FILE]\n"
    "                      [--judge-system FILE] [--model NAME ...] [--save-judge-requests FILE]",
    "tianti arena-hard show [--judge SPEC] [--baseline MODEL] [--bootstrap N] [--seed S] [--format table|json|csv]",
    "tianti arena-hard run --model SPEC ... --judge SPEC [the options of gen, judge and show]",
    NULL,
};

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static void show(const arena_hard_result *r, const char *format)
{
    if (!strcmp(format, "json")) {
        json_t *root = json_pack("{s:s,s:s,s:i,s:b}", "judge", r->judge, "baseline", r->baseline, "bootstrap_rounds",
                                 r->rounds, "degenerate", r->degenerate);
        json_t *rows = json_array();
        for (int i = 0; i < r->n_rows; i++) {
            const arena_hard_row *x = &r->rows[i];
            json_array_append_new(rows, json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I}", "model", x->model, "score",
                                                  num_or_null(x->score), "lower", num_or_null(x->lower), "upper",
                                                  num_or_null(x->upper), "rating", num_or_null(x->rating), "rating_q025",
                                                  num_or_null(x->rating_lower), "rating_q975",
                                                  num_or_null(x->rating_upper), "avg_tokens", num_or_null(x->avg_tokens),
                                                  "battles", (json_int_t)x->battles));
        }
        json_object_set_new(root, "models", rows);
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
        json_decref(root);
        return;
    }
    if (!strcmp(format, "csv")) {
        /* arena-hard-auto's leaderboard CSV columns */
        printf("model,score,rating_q025,rating_q975,CI,avg_tokens\n");
        for (int i = 0; i < r->n_rows; i++) {
            const arena_hard_row *x = &r->rows[i];
            tt_csv_field_fput(stdout, x->model);
            printf(",%.2f,%.2f,%.2f,\"(-%.2f, +%.2f)\",", x->score, x->lower, x->upper, x->score - x->lower,
                   x->upper - x->score);
            if (isfinite(x->avg_tokens)) printf("%.1f\n", x->avg_tokens);
            else printf("\n");
        }
        return;
    }
    int w = 30;
    for (int i = 0; i < r->n_rows; i++)
        if ((int)strlen(r->rows[i].model) > w) w = (int)strlen(r->rows[i].model);
    printf("Arena-Hard-Auto: win rate against %s, judged by %s; 95%% CI from %d bootstrap rounds\n\n", r->baseline,
           r->judge, r->rounds);
    for (int i = 0; i < r->n_rows; i++) {
        const arena_hard_row *x = &r->rows[i];
        char ci[48] = "-";
        if (isfinite(x->lower)) snprintf(ci, sizeof ci, "(%.1f, %.1f)", x->lower - x->score, x->upper - x->score);
        char tok[24] = "-";
        if (isfinite(x->avg_tokens)) snprintf(tok, sizeof tok, "%d", (int)x->avg_tokens);
        printf("%-*s | score: %5.1f | 95%% CI: %12s | average #tokens: %s\n", w, x->model, x->score, ci, tok);
    }
    if (r->degenerate)
        printf("\nnote: a model never lost or never won against the baseline, so its maximum-likelihood rating is "
               "infinite; these use a small ridge (see arena/bt.h)\n");
}

int cmd_arena_hard(int argc, char **argv)
{
    static const char *const steps_help[4] = {
        "every model answers the hard prompts (stored, resumable)",
        "the judge compares each answer with the baseline's, in both orders",
        "win rate against the baseline with its 95% interval, average tokens",
        "gen, judge and show in one",
    };
    int status;
    const char *step = cli_judged_step("arena-hard", argc, argv, usage, steps_help, &status);
    if (!step) return status;
    arena_hard_opts o;
    arena_hard_opts_default(&o);
    cli_list models = {0};
    const char *db = NULL, *format = "table";
    int limit = 0, quiet = 0, rounds = 100, seed = 42, threads = 0;
    const cli_option opts[] = {
        {OPT_LIST, 'm', "model", &models, "SPEC",
         "gen: a model (spec, registry name or NAME=SPEC); judge: a model name (default: all with answers)", 0},
        {OPT_STRING, 0, "models", &o.registry_path, "FILE", "model registry (default models.json if present)", 0},
        {OPT_STRING, 0, "data-dir", &o.data_dir, "DIR", "datasets folder holding arena_hard/ (default $TIANTI_DATA)", 0},
        {OPT_STRING, 0, "questions", &o.questions_path, "FILE", "prompt file (default: the dataset's v0.1 question.jsonl)", 0},
        {OPT_STRING, 0, "baseline-answers", &o.baseline_path, "FILE",
         "the baseline's answers (default: the dataset's model_answer/<baseline>.jsonl)", 0},
        {OPT_STRING, 0, "config", &o.config_path, "FILE", "judge settings with the prompt template (default: the dataset's)", 0},
        {OPT_STRING, 0, "judge-system", &o.system_path, "FILE", "the judge's system prompt (default: Tianti's)", 0},
        {OPT_STRING, 0, "judge", &o.judge, "SPEC", "judge: engine spec or registry name", 0},
        {OPT_STRING, 0, "baseline", &o.baseline, "MODEL", "the baseline model (default gpt-4-0314)", 0},
        {OPT_INT, 0, "limit", &limit, "N", "only the first N prompts", 0},
        {OPT_INT, 0, "max-tokens", &o.max_tokens, "N", "longest answer in tokens (default 4096)", 0},
        {OPT_INT, 0, "judge-max-tokens", &o.judge_max_tokens, "N", "longest judge reply in tokens (default 4096)", 0},
        {OPT_INT, 'j', "jobs", &o.jobs, "N", "requests in flight per engine (default 4)", 0},
        {OPT_INT, 'b', "bootstrap", &rounds, "N", "show: bootstrap rounds for the interval (default 100)", 0},
        {OPT_INT, 0, "seed", &seed, "S", "show: bootstrap seed (default 42)", 0},
        {OPT_INT, 0, "threads", &threads, "N", "show: bootstrap threads (default: all CPUs)", 0},
        {OPT_STRING, 0, "db", &db, "FILE", "database (default tianti.db or $TIANTI_DB)", 0},
        {OPT_STRING, 0, "save-judge-requests", &o.save_judge_requests, "FILE",
         "also write every judge request as JSON Lines (replay format)", 0},
        {OPT_STRING, 'f', "format", &format, "FMT", "show: table (default), json or csv", 0},
        {OPT_FLAG, 'q', "quiet", &quiet, NULL, "no progress lines", 0},
        CLI_OPT_END,
    };
    int prc = cli_parse(argc - 1, argv + 1, usage, opts, NULL);
    if (prc) {
        cli_list_free(&models);
        return prc == 1 ? 0 : 2;
    }
    int gen = !strcmp(step, "gen") || !strcmp(step, "run"), judge = !strcmp(step, "judge") || !strcmp(step, "run"),
        shw = !strcmp(step, "show") || !strcmp(step, "run");
    const char *problem = strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "csv") ? "unknown --format"
                        : limit < 0 || rounds < 0 || seed < 0 || threads < 0 || o.max_tokens < 1 ||
                                  o.judge_max_tokens < 1 || o.jobs < 1
                            ? "option values must be positive"
                        : gen && models.n < 1 ? "give the models with --model"
                        : judge && !o.judge   ? "give a judge with --judge"
                                              : NULL;
    if (problem) {
        cli_error("arena-hard %s: %s", step, problem);
        cli_usage(usage, opts, stderr);
        cli_list_free(&models);
        return 2;
    }
    o.limit = (size_t)limit;
    o.log = quiet ? NULL : stderr;
    const char *path = cli_db_path(db);
    char err[TT_ERR_SIZE];
    arena_hard_summary sum;
    int rc = TT_OK;
    if (gen) {
        o.models = models.items;
        o.n_models = models.n;
        rc = arena_hard_gen(path, &o, &sum, err);
        if (rc == TT_OK && !quiet)
            fprintf(stderr, "gen: %d answers, %d failed, in %s\n", sum.answered, sum.failed, cli_db_shown(path));
    }
    if (rc == TT_OK && judge) {
        o.models = gen ? NULL : models.items;
        o.n_models = gen ? 0 : models.n;
        rc = arena_hard_judge(path, &o, &sum, err);
        if (rc == TT_OK && !quiet)
            fprintf(stderr, "judge: %d judgments stored (%d games without a verdict), %d skipped for a missing answer%s\n",
                    sum.judged, sum.no_verdict, sum.skipped, sum.baseline_loaded ? "; the baseline's answers were read in" : "");
    }
    if (rc == TT_OK && shw) {
        if (!store_target_exists(path)) {
            cli_error("arena-hard show: no database '%s'", path);
            cli_list_free(&models);
            return 1;
        }
        store *s = NULL;
        arena_hard_result r;
        memset(&r, 0, sizeof r);
        rc = store_open(path, &s, err);
        if (rc == TT_OK)
            rc = arena_hard_scores(s, o.bench, judge ? NULL : o.judge, o.baseline, rounds, (uint64_t)seed, threads, &r, err);
        if (rc == TT_OK) show(&r, format);
        arena_hard_result_free(&r);
        store_close(s);
    }
    if (rc != TT_OK) cli_error("arena-hard %s: %s", step, err);
    cli_list_free(&models);
    return cli_exit_status(rc);
}
