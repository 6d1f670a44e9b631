/*
 * battles.c — pairwise win/battle counts and a bounded online Elo series
 * for the report's heatmaps and "ratings over time" chart, on top of the
 * arena module (battles.h says what comes from where). Called by table.c.
 */
#include "reports/battles.h"
#include "arena/battles.h"
#include "arena/elo.h"
#include "arena/rows.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Above this many (battle x model) cells the Elo series is built per UTC
 * day instead of per battle, to bound memory. */
#define EVERY_BATTLE_MAX_CELLS 4000000u

static const double *g_final;   /* for the qsort comparator below */
static char **g_names;
static int by_final_elo(const void *x, const void *y)
{
    int i = *(const int *)x, j = *(const int *)y;
    if (g_final[i] != g_final[j]) return g_final[i] > g_final[j] ? -1 : 1;
    return strcmp(g_names[i], g_names[j]);
}

int report_arena_load(store *s, const char *const *keep, int n_keep, report_arena *a, char *err)
{
    memset(a, 0, sizeof *a);
    store_battle_tally tally;
    int rc = store_battles_tally(s, &tally, err);
    if (rc) return rc;
    a->flagged = tally.flagged;
    a->unvoted = tally.unvoted;

    arena_battles list;
    arena_battles_init(&list);
    rc = arena_battles_load_db(s, ARENA_SOURCE_ALL, &list, err);
    if (rc) {
        arena_battles_free(&list);
        return rc;
    }
    arena_index idx;
    rc = arena_index_build(&list, 0, &idx, err);
    arena_battles_free(&list);
    if (rc) return rc;
    int nm = idx.n_models;
    a->rated = (long long)idx.n;

    arena_elo_opts opts;
    arena_elo_opts_default(&opts);
    int daily = idx.n * (size_t)nm > EVERY_BATTLE_MAX_CELLS;
    arena_elo_series ser;
    arena_elo_series_build(&idx, &opts, daily ? ARENA_ELO_DAILY : ARENA_ELO_EVERY_BATTLE, &ser);

    /* Final ratings: the last row of the series (every indexed model played). */
    double *final = tt_calloc((size_t)nm + 1, sizeof(double));
    for (int i = 0; i < nm && ser.n_points; i++) final[i] = ser.r[(ser.n_points - 1) * (size_t)nm + (size_t)i];

    /* Which models to keep, in which order. */
    int *kept = tt_malloc(sizeof(int) * (size_t)(nm + 1)), *kidx = tt_malloc(sizeof(int) * (size_t)(nm + 1));
    int nk = 0;
    for (int i = 0; i < nm; i++) {
        int want = n_keep <= 0;
        for (int k = 0; k < n_keep && !want; k++) want = strcmp(keep[k], idx.models[i]) == 0;
        if (want) kept[nk++] = i;
    }
    g_final = final;
    g_names = idx.models;
    if (nk > 1) qsort(kept, (size_t)nk, sizeof(int), by_final_elo);
    for (int i = 0; i < nm; i++) kidx[i] = -1;
    for (int k = 0; k < nk; k++) kidx[kept[k]] = k;

    a->n_models = nk;
    a->models = tt_calloc((size_t)nk + 1, sizeof(char *));
    a->final_elo = tt_calloc((size_t)nk + 1, sizeof(double));
    a->appearances = tt_calloc((size_t)nk + 1, sizeof(int));
    a->wins = tt_calloc((size_t)nk * (size_t)nk + 1, sizeof(int));
    a->ties = tt_calloc((size_t)nk * (size_t)nk + 1, sizeof(int));
    for (int k = 0; k < nk; k++) {
        a->models[k] = tt_strdup(idx.models[kept[k]]);
        a->final_elo[k] = final[kept[k]];
    }
    for (size_t k = 0; k < idx.n; k++) {
        int i = kidx[idx.a[k]], j = kidx[idx.b[k]];
        if (i >= 0) a->appearances[i]++;
        if (j >= 0) a->appearances[j]++;
        if (i < 0 || j < 0) continue;
        if (idx.outcome[k] == ARENA_OUT_A) a->wins[i * nk + j]++;
        else if (idx.outcome[k] == ARENA_OUT_B) a->wins[j * nk + i]++;
        else {
            a->ties[i * nk + j]++;
            a->ties[j * nk + i]++;
        }
    }

    /* Series, thinned to at most REPORT_ELO_MAX_POINTS snapshots (plus the last).
     * x of a snapshot: battles rated up to it (per battle: k + 1; per day:
     * battles up to the end of that day). */
    size_t np = ser.n_points;
    size_t stride = np / REPORT_ELO_MAX_POINTS + (np % REPORT_ELO_MAX_POINTS != 0);
    if (stride == 0) stride = 1;
    size_t max_points = np / stride + 2;
    a->step = tt_malloc(sizeof(long long) * max_points);
    a->tstamp = tt_malloc(sizeof(double) * max_points);
    a->elo = tt_malloc(sizeof(double) * (max_points * (size_t)nk + 1));
    size_t upto = 0;   /* battles counted so far (per-day mode) */
    for (size_t p = 0; p < np; p++) {
        long long step;
        if (daily) {
            double end = ser.t[p] + 86400.0;
            while (upto < idx.n && idx.tstamp[upto] < end) upto++;
            step = (long long)upto;
        } else {
            step = (long long)p + 1;
        }
        if ((p + 1) % stride != 0 && p + 1 != np) continue;
        a->step[a->n_points] = step;
        a->tstamp[a->n_points] = daily ? ser.t[p] : idx.tstamp[p];
        for (int k = 0; k < nk; k++)
            a->elo[(size_t)a->n_points * (size_t)nk + (size_t)k] = ser.r[p * (size_t)nm + (size_t)kept[k]];
        a->n_points++;
    }
    free(kept);
    free(kidx);
    free(final);
    arena_elo_series_free(&ser);
    arena_index_free(&idx);
    return TT_OK;
}

void report_arena_free(report_arena *a)
{
    if (!a) return;
    for (int i = 0; i < a->n_models; i++) free(a->models[i]);
    free(a->models);
    free(a->wins);
    free(a->ties);
    free(a->appearances);
    free(a->final_elo);
    free(a->step);
    free(a->tstamp);
    free(a->elo);
    memset(a, 0, sizeof *a);
}

int report_arena_count(const report_arena *a, int i, int j)
{
    int n = a->n_models;
    return a->wins[i * n + j] + a->wins[j * n + i];
}

double report_arena_winfrac(const report_arena *a, int i, int j)
{
    int c = report_arena_count(a, i, j);
    return c > 0 && i != j ? (double)a->wins[i * a->n_models + j] / c : NAN;
}

int report_arena_find(const report_arena *a, const char *model)
{
    for (int i = 0; i < a->n_models; i++)
        if (strcmp(a->models[i], model) == 0) return i;
    return -1;
}
