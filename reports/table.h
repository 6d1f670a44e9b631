/*
 * table.h — the in-memory leaderboard that every report writer renders.
 *
 * report_table_build() reads the store once (metrics + models + runs,
 * ratings, battles, bench_results) and produces one report_table: rows are
 * models, one row per model whatever it was called — a model is its
 * engine_model_identity() (the canonical spec; a glm file by real path and
 * precision), so a registry name, a file name and a spec of the same
 * weights and precision are one row, shown under one name; rows of the
 * same display name kept next to each other (a "group"); columns are tasks
 * and suites with their primary metric. The mean task score covers the
 * tasks every compared model has (mean_tasks). Generation speeds whose
 * intervals overlap a neighbour's are marked (tg_within_noise). Arena statistics (win-fraction and battle-count
 * matrices, online Elo series) come from battles.h. The writers (md.c,
 * csv.c, json.c, html.c) and the charts (plot.c) only read this structure;
 * none of them touches SQLite. Called by reports/render.c and the tests.
 *
 * Missing data is normal: every has_* flag says whether a number exists,
 * and report_table.missing lists, in words, what the store did not have.
 */
#ifndef TIANTI_REPORT_TABLE_H
#define TIANTI_REPORT_TABLE_H

#include "store/store.h"
#include "reports/battles.h"
#include "reports/judged.h"

#include <stdint.h>

/* Which results to include. Empty lists mean "all". Strings are borrowed. */
typedef struct report_filter {
    const int64_t *runs;  int n_runs;      /* run ids */
    const char *const *models; int n_models; /* model names or specs */
    const char *const *tasks; int n_tasks;   /* task or suite names */
} report_filter;

/* A column: one task or suite, shown with one metric and filter. */
typedef struct report_task {
    char *name;
    int is_group;            /* 1 for a suite (aggregate of tasks) */
    char *metric;            /* primary metric, e.g. "acc" */
    char *filter;            /* e.g. "none", "strict-match" */
    int higher_is_better;    /* 1, 0, or -1 when unknown */
} report_task;

/* One accuracy measurement (row x task). */
typedef struct report_cell {
    int has;                 /* 0: not measured */
    double value;            /* NaN when the store holds NULL */
    double se;               /* standard error; NaN when unknown */
    int n;                   /* number of samples */
    int n_shot;              /* -1 when unknown */
    int64_t run_id;
} report_cell;

typedef struct report_row {
    char *name;              /* display name: the newest name that is not a spec, else the newest */
    char *spec;              /* engine spec (the newest); NULL for arena-only models */
    char *identity;          /* engine_model_identity of spec; NULL for arena-only models */
    char **names;            /* every name its results and measurements were stored under, newest first */
    int n_names;
    char *engine;            /* may be NULL */
    char *precision;         /* may be NULL */
    int group;               /* index of this row's model group (by name) */
    report_cell *cells;      /* one per report_table.tasks */
    double mean_acc;         /* mean primary value over report_table.mean_tasks; NaN if none */
    int n_acc;               /* how many task cells went into mean_acc */

    /* Arena (matched by spec, else by name). */
    int has_bt;
    double bt, bt_lower, bt_upper;   /* lower/upper NaN when no interval */
    int rank;                /* 0 when unknown */
    int battles;             /* battles from the rating computation; else counted */
    int has_elo;
    double elo;              /* from ratings (method 'elo'), else online Elo */
    int elo_online;          /* 1 when elo was computed here from battles */

    /* Bench (matched by spec, else by name and precision); NaN when absent. */
    int has_bench;
    double peak_rss_bytes, gpu_bytes, file_bytes;
    double tg_tps, tg_sd;    /* generation speed, tokens/s (test tg*) */
    int tg_within_noise;     /* tg_tps ± tg_sd overlaps the interval of the next faster or slower
                                row: the order between them is noise */
    double pp_tps, pp_sd;    /* prompt processing, tokens/s (test pp*) */
    double ttft_s, load_s;   /* seconds */
    char *tg_test, *pp_test; /* test names used, e.g. "tg128" */
} report_row;

/* A run that contributed numbers. */
typedef struct report_run {
    int64_t id;
    char *started_at, *finished_at, *tool_version, *git_rev, *status, *config_json;
    uint64_t seed;
    int64_t samples;         /* rows in samples for this run */
    int64_t metric_rows;
} report_run;

/* One rating computation (the newest per method). */
typedef struct report_rating_info {
    int present;
    char *computed_at, *source;
    int bootstrap_rounds;    /* 0 when unknown */
    int64_t seed;
    int has_seed;
    int models;
} report_rating_info;

/* One bench result row, kept whole for bench.csv and the JSON. */
typedef struct report_bench {
    char *created_at, *model_spec, *model_name, *precision, *test, *unit;
    double mean, stddev;     /* NaN when NULL */
    double n_tokens, repetitions, file_bytes, n_params, peak_rss_bytes, weights_bytes,
           kv_bytes, scratch_bytes, gpu_bytes, threads;  /* NaN when NULL */
} report_bench;

/* One metric row as stored, for the tidy accuracy CSV and JSON. */
typedef struct report_metric {
    int64_t run_id;
    int row;                 /* index into rows */
    char *task, *filter, *metric;
    int is_group, n, n_shot, higher_is_better;  /* n_shot / hib -1 when NULL */
    double value, se;        /* NaN when NULL */
} report_metric;

/* Requests' usage of one (run, model, task), from the samples: the
 * "Usage and cost" section (store_usage_each). */
typedef struct report_usage {
    int64_t run_id;
    int row;                 /* index into rows */
    char *task;
    int64_t docs, failed, prompt_tokens, completion_tokens, reasoning_tokens;
    double cost_usd;         /* NaN without a price in the model's settings */
} report_usage;

typedef struct report_table {
    char *generated_at;      /* ISO 8601 UTC */
    char *db_path;
    report_task *tasks; int n_tasks;
    /* The tasks (not suites, not lower-is-better) that every row with task
     * results has a value for: the mean task score averages these. */
    char **mean_tasks; int n_mean_tasks;
    report_row *rows; int n_rows;
    int n_groups;
    report_run *runs; int n_runs;
    report_metric *metrics; int n_metrics;
    report_bench *bench; int n_bench;
    report_usage *usage; int n_usage;   /* rows' runs and task columns only */
    report_rating_info bt_info, elo_info;
    report_arena arena;      /* from battles.h; models restricted by the filter */
    report_judged judged;    /* category leaderboards, MT-bench, Arena-Hard (judged.h) */
    char **missing; int n_missing;  /* sentences: what the store lacked */
} report_table;

/* Builds the leaderboard from s. db_path is only recorded (may be NULL).
 * Caller frees *out with report_table_free(). */
int report_table_build(store *s, const char *db_path, const report_filter *f,
                       report_table **out, char *err);
void report_table_free(report_table *t);   /* NULL is fine */

/* Label for arena model i of t->arena: the row label when the arena name is
 * a row's spec (so "glm:m.gguf@q4_0" shows as "m (q4_0)"), else the name.
 * Caller frees. */
char *report_arena_label(const report_table *t, int i);

/* The usage section as one table of text (every writer shows the same
 * cells); *out untouched and 0 returned when there is no usage. Free with
 * report_text_tables_free(out, 1). */
int report_usage_text_table(const report_table *t, report_text_table **out);

/* "name (precision)" or "name"; caller frees. */
char *report_row_label(const report_row *r);

/* Rough bits per weight for ordering precisions: f32 32, f16/bf16 16,
 * q8_0 8, q4_0 4; unknown 0. */
int report_precision_bits(const char *precision);

#endif
