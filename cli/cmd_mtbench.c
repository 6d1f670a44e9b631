/*
 * cmd_mtbench.c — `tianti mtbench gen|judge|show|run`: MT-bench (and the
 * Vicuna bench) as FastChat's llm_judge runs it, in steps over the store
 * (arena/mtbench.h): the models answer both turns, a judge grades them
 * (single-answer grading, or pairwise against a baseline or among all
 * pairs), and show prints the scores per turn and per category (or the
 * win rates). Each step is resumable: requests go through the store's
 * request cache. `run` is gen, judge and show in one.
 */
#include "arena/mtbench.h"
#include "cli/cli.h"
#include "core/escape.h"
#include "core/util.h"
#include "store/store.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "tianti mtbench gen --model SPEC [--model SPEC ...] [--bench mt_bench|vicuna_bench] [--data-dir DIR]\n"
    "                   [--questions FILE] [--limit N] [--max-tokens N] [--jobs N] [--db FILE]",
    "tianti mtbench judge --judge SPEC [--mode single|pairwise-baseline|pairwise-all] [--baseline MODEL]\n"
    "                   [--model NAME ...] [--references FILE] [--judge-prompts FILE] [--save-judge-requests FILE]",
    "tianti mtbench show [--judge SPEC] [--mode MODE] [--baseline MODEL] [--format table|json|csv]",
    "tianti mtbench run --model SPEC ... --judge SPEC [the options of gen, judge and show]",
    NULL,
};

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static void print_cell(double v, int width)
{
    if (isfinite(v)) printf(" %*.2f", width, v);
    else printf(" %*s", width, "-");
}

static void show_single(const arena_mtbench_scores *sc, const char *format)
{
    if (!strcmp(format, "json")) {
        json_t *root = json_pack("{s:s,s:s,s:s,s:i}", "bench", sc->bench, "judge", sc->judge, "mode", "single",
                                 "questions", sc->questions);
        json_t *cats = json_array(), *rows = json_array();
        for (int k = 0; k < sc->n_cats; k++) json_array_append_new(cats, json_string(sc->cats[k]));
        for (int r = 0; r < sc->n_rows; r++) {
            const arena_mtbench_row *x = &sc->rows[r];
            json_t *bycat = json_object();
            for (int k = 0; k < sc->n_cats; k++) json_object_set_new(bycat, sc->cats[k], num_or_null(x->cat[k]));
            json_array_append_new(rows, json_pack("{s:s,s:o,s:o,s:o,s:i,s:i,s:i,s:i,s:o}", "model", x->model, "turn_1",
                                                  num_or_null(x->turn[0]), "turn_2", num_or_null(x->turn[1]), "average",
                                                  num_or_null(x->average), "judged_turn_1", x->n_turn[0], "judged_turn_2",
                                                  x->n_turn[1], "scored", x->n, "no_rating", x->failed, "categories",
                                                  bycat));
        }
        json_object_set_new(root, "categories", cats);
        json_object_set_new(root, "models", rows);
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
        json_decref(root);
        return;
    }
    if (!strcmp(format, "csv")) {
        printf("model,turn_1,turn_2,average,no_rating");
        for (int k = 0; k < sc->n_cats; k++) {
            fputc(',', stdout);
            tt_csv_field_fput(stdout, sc->cats[k]);
        }
        fputc('\n', stdout);
        for (int r = 0; r < sc->n_rows; r++) {
            const arena_mtbench_row *x = &sc->rows[r];
            tt_csv_field_fput(stdout, x->model);
            double v[3] = {x->turn[0], x->turn[1], x->average};
            for (int i = 0; i < 3; i++) isfinite(v[i]) ? printf(",%.6f", v[i]) : printf(",");
            printf(",%d", x->failed);
            for (int k = 0; k < sc->n_cats; k++) isfinite(x->cat[k]) ? printf(",%.6f", x->cat[k]) : printf(",");
            fputc('\n', stdout);
        }
        return;
    }
    int w = 5;
    for (int r = 0; r < sc->n_rows; r++)
        if ((int)strlen(sc->rows[r].model) > w) w = (int)strlen(sc->rows[r].model);
    printf("%s, single-answer grading by %s: %d questions\n\n", sc->bench, sc->judge, sc->questions);
    printf("%-*s  %6s  %6s  %7s  %9s\n", w, "model", "turn 1", "turn 2", "average", "no rating");
    for (int r = 0; r < sc->n_rows; r++) {
        const arena_mtbench_row *x = &sc->rows[r];
        printf("%-*s ", w, x->model);
        print_cell(x->turn[0], 7);
        print_cell(x->turn[1], 7);
        print_cell(x->average, 8);
        printf("  %9d\n", x->failed);
    }
    if (sc->n_cats) {
        printf("\nby category (mean over both turns):\n%-*s", w, "model");
        for (int k = 0; k < sc->n_cats; k++) printf(" %10.10s", sc->cats[k]);
        printf("\n");
        for (int r = 0; r < sc->n_rows; r++) {
            printf("%-*s", w, sc->rows[r].model);
            for (int k = 0; k < sc->n_cats; k++) print_cell(sc->rows[r].cat[k], 10);
            printf("\n");
        }
    }
}

static void show_pairwise(const arena_mtbench_scores *sc, const char *format)
{
    if (!strcmp(format, "json")) {
        json_t *root = json_pack("{s:s,s:s,s:s,s:i}", "bench", sc->bench, "judge", sc->judge, "mode",
                                 sc->baseline ? "pairwise-baseline" : "pairwise-all", "questions", sc->questions);
        if (sc->baseline) json_object_set_new(root, "baseline", json_string(sc->baseline));
        json_t *rows = json_array();
        for (int r = 0; r < sc->n_rows; r++) {
            const arena_mtbench_row *x = &sc->rows[r];
            json_array_append_new(rows, json_pack("{s:s,s:i,s:i,s:i,s:i,s:o,s:o,s:o}", "model", x->model, "win", x->win,
                                                  "loss", x->loss, "tie", x->tie, "errors", x->errors, "win_rate",
                                                  num_or_null(x->win_rate), "loss_rate", num_or_null(x->loss_rate),
                                                  "win_rate_adjusted", num_or_null(x->win_rate_adjusted)));
        }
        json_object_set_new(root, "models", rows);
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
        json_decref(root);
        return;
    }
    if (!strcmp(format, "csv")) {
        printf("model,win,loss,tie,win_rate,loss_rate,win_rate_adjusted\n");
        for (int r = 0; r < sc->n_rows; r++) {
            const arena_mtbench_row *x = &sc->rows[r];
            tt_csv_field_fput(stdout, x->model);
            printf(",%d,%d,%d,%.6f,%.6f,%.6f\n", x->win, x->loss, x->tie, x->win_rate, x->loss_rate, x->win_rate_adjusted);
        }
        return;
    }
    int w = 5;
    for (int r = 0; r < sc->n_rows; r++)
        if ((int)strlen(sc->rows[r].model) > w) w = (int)strlen(sc->rows[r].model);
    printf("%s, pairwise judging by %s%s%s: %d questions; a win counts only when both orders agree\n\n", sc->bench,
           sc->judge, sc->baseline ? " against " : " (all pairs)", sc->baseline ? sc->baseline : "", sc->questions);
    printf("%-*s  %5s  %5s  %5s  %8s  %9s  %13s\n", w, "model", "win", "loss", "tie", "win rate", "loss rate",
           "adjusted rate");
    for (int r = 0; r < sc->n_rows; r++) {
        const arena_mtbench_row *x = &sc->rows[r];
        printf("%-*s  %5d  %5d  %5d  %8.4f  %9.4f  %13.4f\n", w, x->model, x->win, x->loss, x->tie, x->win_rate,
               x->loss_rate, x->win_rate_adjusted);
    }
}

int cmd_mtbench(int argc, char **argv)
{
    static const char *const steps_help[4] = {
        "every model answers both turns of every question (stored, resumable)",
        "the judge grades the answers (single) or compares them (pairwise)",
        "scores per turn and per category, or win rates",
        "gen, judge and show in one",
    };
    int status;
    const char *step = cli_judged_step("mtbench", argc, argv, usage, steps_help, &status);
    if (!step) return status;
    arena_mtbench_opts o;
    arena_mtbench_opts_default(&o);
    cli_list models = {0};
    const char *db = NULL, *mode = "single", *format = "table";
    int limit = 0, quiet = 0;
    const cli_option opts[] = {
        {OPT_LIST, 'm', "model", &models, "SPEC",
         "gen: a model (spec, registry name or NAME=SPEC); judge/show: a model name (default: all with answers)", 0},
        {OPT_STRING, 0, "models", &o.registry_path, "FILE", "model registry (default models.json if present)", 0},
        {OPT_STRING, 0, "bench", &o.bench, "NAME", "question set: mt_bench (default) or vicuna_bench", 0},
        {OPT_STRING, 0, "data-dir", &o.data_dir, "DIR", "datasets folder holding <bench>/ (default $TIANTI_DATA)", 0},
        {OPT_STRING, 0, "questions", &o.questions_path, "FILE", "question file (default <data>/<bench>/question.jsonl)", 0},
        {OPT_STRING, 0, "references", &o.references_path, "FILE",
         "reference answers (default <data>/<bench>/reference_answer/gpt-4.jsonl)", 0},
        {OPT_STRING, 0, "judge-prompts", &o.judge_prompts_path, "FILE",
         "FastChat's judge prompts (default <data>/mt_bench/judge_prompts.jsonl)", 0},
        {OPT_STRING, 0, "judge", &o.judge, "SPEC", "judge: engine spec or registry name, or reference[:METRIC] (each turn checked against its reference answer, no model)", 0},
        {OPT_STRING, 0, "mode", &mode, "MODE", "single (default), pairwise-baseline or pairwise-all", 0},
        {OPT_STRING, 0, "baseline", &o.baseline, "MODEL", "the baseline of pairwise-baseline", 0},
        {OPT_INT, 0, "limit", &limit, "N", "only the first N questions", 0},
        {OPT_INT, 0, "max-tokens", &o.max_tokens, "N", "longest answer in tokens (default 1024)", 0},
        {OPT_INT, 0, "judge-max-tokens", &o.judge_max_tokens, "N", "longest judge reply in tokens (default 2048)", 0},
        {OPT_INT, 'j', "jobs", &o.jobs, "N", "requests in flight per engine (default 4)", 0},
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
    char err[TT_ERR_SIZE];
    int pairwise_show = 0;
    if (arena_mtbench_mode_parse(mode, &o.mode, err) != TT_OK) {
        cli_error("mtbench: %s", err);
        cli_list_free(&models);
        return 2;
    }
    pairwise_show = o.mode != ARENA_MTBENCH_SINGLE;
    if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "csv")) {
        cli_error("mtbench: unknown format '%s' (table, json or csv)", format);
        cli_list_free(&models);
        return 2;
    }
    int gen = !strcmp(step, "gen") || !strcmp(step, "run"), judge = !strcmp(step, "judge") || !strcmp(step, "run"),
        show = !strcmp(step, "show") || !strcmp(step, "run");
    const char *problem = limit < 0 || o.max_tokens < 1 || o.judge_max_tokens < 1 || o.jobs < 1 ? "option values must be positive"
                        : gen && models.n < 1 ? "give the models with --model"
                        : judge && !o.judge ? "give a judge with --judge"
                        : (judge || show) && o.mode == ARENA_MTBENCH_PAIR_BASELINE && !o.baseline
                            ? "pairwise-baseline needs --baseline MODEL"
                            : NULL;
    if (problem) {
        cli_error("mtbench %s: %s", step, problem);
        cli_usage(usage, opts, stderr);
        cli_list_free(&models);
        return 2;
    }
    o.limit = (size_t)limit;
    o.log = quiet ? NULL : stderr;
    const char *path = cli_db_path(db);
    arena_mtbench_summary sum;
    int rc = TT_OK;
    if (gen) {
        o.models = models.items;
        o.n_models = models.n;
        rc = arena_mtbench_gen(path, &o, &sum, err);
        if (rc == TT_OK && !quiet)
            fprintf(stderr, "gen: %d answers, %d failed, in %s\n", sum.answered, sum.failed, cli_db_shown(path));
    }
    if (rc == TT_OK && judge) {
        /* after gen the models are named as gen named them: judge every model with answers */
        o.models = gen ? NULL : models.items;
        o.n_models = gen ? 0 : models.n;
        rc = arena_mtbench_judge(path, &o, &sum, err);
        if (rc == TT_OK && !quiet)
            fprintf(stderr, "judge: %d judgments stored (%d without a %s), %d skipped for a missing answer\n", sum.judged,
                    sum.no_verdict, pairwise_show ? "verdict" : "rating", sum.skipped);
    }
    if (rc == TT_OK && show) {
        if (!store_target_exists(path)) {
            cli_error("mtbench show: no database '%s'", path);
            cli_list_free(&models);
            return 1;
        }
        store *s = NULL;
        arena_mtbench_scores sc;
        memset(&sc, 0, sizeof sc);
        rc = store_open(path, &s, err);
        /* run: the judge just used, under the spec the store keeps */
        const char *which = judge ? NULL : o.judge;
        if (rc == TT_OK)
            rc = arena_mtbench_scores_load(s, o.bench, which, pairwise_show,
                                           o.mode == ARENA_MTBENCH_PAIR_BASELINE ? o.baseline : NULL, &sc, err);
        if (rc == TT_OK) (pairwise_show ? show_pairwise : show_single)(&sc, format);
        arena_mtbench_scores_free(&sc);
        store_close(s);
    }
    if (rc != TT_OK) cli_error("mtbench %s: %s", step, err);
    cli_list_free(&models);
    return cli_exit_status(rc);
}
