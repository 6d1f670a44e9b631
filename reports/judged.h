/*
 * judged.h — the report's views of the arena by category and of the
 * LLM-judged benchmarks, read from the store once by table.c and shown by
 * every writer and plot.c:
 *   - one Bradley–Terry leaderboard per category tab (arena/conv.h:
 *     overall, en, zh, other, code, math, long, multiturn, hard) over the
 *     battles as `tianti ratings` cleans them (arena/clean.h), 95%
 *     intervals from 100 bootstrap rounds (seed 1); tabs without battles
 *     are left out. The overall view again with style control when every
 *     battle has style counts;
 *   - every MT-bench set of judgments (bench, judge, mode): single grading
 *     per turn, overall and per category, or pairwise win rates
 *     (arena/mtbench.h); every Arena-Hard set: win rate against the
 *     baseline with its interval and average tokens (arena/arenahard.h).
 * Nothing here fails a report for missing data: an empty store gives empty
 * views.
 */
#ifndef TIANTI_REPORT_JUDGED_H
#define TIANTI_REPORT_JUDGED_H

#include "arena/arenahard.h"
#include "arena/mtbench.h"
#include "store/store.h"

typedef struct report_cat_row {
    char *model;
    double rating, lower, upper;
    long battles;
    int rank;
} report_cat_row;

typedef struct report_category {
    char *name;                /* "all", "code", ... */
    char *title;               /* "Overall", "Coding", ... */
    int style;                 /* style-controlled */
    long battles;              /* rated in this view */
    report_cat_row *rows;
    int n_rows;
} report_category;

typedef struct report_judged {
    report_category *cats;
    int n_cats;
    arena_mtbench_scores *mt;  /* single and pairwise sets */
    int n_mt;
    arena_hard_result *hard;
    char **hard_bench;         /* [n_hard] the bench of each */
    int n_hard;
} report_judged;

/* The views as plain tables of text, so that every writer shows the same
 * cells: section 0 the category leaderboards, 1 the judged benchmarks. */
typedef struct report_text_table {
    int section;
    char *id;             /* a stable id: "cat-code", "mt-mt_bench-1" (anchors, CSS) */
    char *title;
    char *note;           /* a sentence under the title, or NULL */
    int n_cols, n_rows;
    char **cols;          /* [n_cols] */
    char **cells;         /* [n_rows * n_cols], "" for no value */
    int first_left;       /* the first columns aligned left */
} report_text_table;

void report_judged_tables(const report_judged *j, report_text_table **out, int *n);
void report_text_tables_free(report_text_table *t, int n);

/* Fills j from s. keep[0..n_keep) (n_keep 0: every model): only models
 * named there are shown (the ratings are still fitted over every battle,
 * as the report's other arena views are). TT_OK also when there is
 * nothing; TT_ERR_STORE when the store cannot be read. */
int report_judged_load(store *s, const char *const *keep, int n_keep, report_judged *j, char *err);
void report_judged_free(report_judged *j);

#endif
