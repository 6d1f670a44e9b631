/*
 * battles.c — pairwise win/battle counts and the online Elo series from the
 * battles table, for the report's heatmaps and "ratings over time" chart.
 * Rules and constants: battles.h. Called by table.c.
 */
#include "reports/battles.h"
#include "harness/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct battle_rec {
    int a, b;          /* indices into the all-models list */
    double score_a;    /* 1, 0.5, 0 */
    double tstamp;
} battle_rec;

typedef struct name_list {
    char **names;
    int n, cap;
} name_list;

static int name_index(name_list *l, const char *name, int add)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0) return i;
    if (!add) return -1;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->names = tt_realloc(l->names, sizeof(char *) * (size_t)l->cap);
    }
    l->names[l->n] = tt_strdup(name);
    return l->n++;
}

void report_elo_update(double *ra, double *rb, double score_a)
{
    double p_a = 1.0 / (1.0 + pow(REPORT_ELO_BASE, (*rb - *ra) / REPORT_ELO_SCALE));
    double d = REPORT_ELO_K * (score_a - p_a);
    *ra += d;
    *rb -= d;
}

static int count_where(store *s, const char *sql, long long *out, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s, sql, &st, err);
    if (rc) return rc;
    *out = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return TT_OK;
}

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
    int rc = count_where(s, "SELECT count(*) FROM battles WHERE flags IS NOT NULL", &a->flagged, err);
    if (!rc) rc = count_where(s, "SELECT count(*) FROM battles WHERE flags IS NULL AND winner IS NULL", &a->unvoted, err);
    if (rc) return rc;

    sqlite3_stmt *st;
    rc = store_prepare(s, "SELECT model_a, model_b, winner, tstamp FROM battles "
                          "WHERE winner IS NOT NULL AND flags IS NULL ORDER BY tstamp, id", &st, err);
    if (rc) return rc;
    name_list all = {0};
    battle_rec *recs = NULL;
    size_t n = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *ma = (const char *)sqlite3_column_text(st, 0);
        const char *mb = (const char *)sqlite3_column_text(st, 1);
        const char *w = (const char *)sqlite3_column_text(st, 2);
        if (!ma || !mb || !w || strcmp(ma, mb) == 0) continue;   /* self-play carries no information */
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            recs = tt_realloc(recs, sizeof *recs * cap);
        }
        battle_rec *r = &recs[n++];
        r->a = name_index(&all, ma, 1);
        r->b = name_index(&all, mb, 1);
        r->score_a = strcmp(w, "model_a") == 0 ? 1.0 : strcmp(w, "model_b") == 0 ? 0.0 : 0.5;
        r->tstamp = sqlite3_column_double(st, 3);
    }
    if (step != SQLITE_DONE) {
        rc = tt_fail(err, TT_ERR_STORE, "cannot read battles: %s", sqlite3_errmsg(store_db(s)));
        sqlite3_finalize(st);
        goto out;
    }
    sqlite3_finalize(st);
    a->rated = (long long)n;

    /* Which models to keep, and in which order. */
    int *kidx = tt_malloc(sizeof(int) * (size_t)(all.n + 1));   /* all-index -> kept index or -1 */
    int *kept = tt_malloc(sizeof(int) * (size_t)(all.n + 1));
    int nk = 0;
    for (int i = 0; i < all.n; i++) {
        int want = n_keep <= 0;
        for (int k = 0; k < n_keep && !want; k++) want = strcmp(keep[k], all.names[i]) == 0;
        if (want) kept[nk++] = i;
    }

    double *elo = tt_malloc(sizeof(double) * (size_t)(all.n + 1));
    int *seen = tt_calloc((size_t)all.n + 1, sizeof(int));
    for (int i = 0; i < all.n; i++) elo[i] = REPORT_ELO_INIT;
    size_t stride = n / REPORT_ELO_MAX_POINTS + (n % REPORT_ELO_MAX_POINTS != 0);
    if (stride == 0) stride = 1;
    int max_points = (int)(n / stride) + 2;
    double *snap = tt_malloc(sizeof(double) * (size_t)max_points * (size_t)(all.n + 1));
    a->step = tt_malloc(sizeof(long long) * (size_t)max_points);
    a->tstamp = tt_malloc(sizeof(double) * (size_t)max_points);
    for (size_t k = 0; k < n; k++) {
        battle_rec *r = &recs[k];
        report_elo_update(&elo[r->a], &elo[r->b], r->score_a);
        seen[r->a] = seen[r->b] = 1;
        if ((k + 1) % stride == 0 || k + 1 == n) {
            for (int i = 0; i < all.n; i++)
                snap[(size_t)a->n_points * (size_t)all.n + (size_t)i] = seen[i] ? elo[i] : NAN;
            a->step[a->n_points] = (long long)(k + 1);
            a->tstamp[a->n_points] = r->tstamp;
            a->n_points++;
        }
    }

    g_final = elo;
    g_names = all.names;
    if (nk > 1) qsort(kept, (size_t)nk, sizeof(int), by_final_elo);
    for (int i = 0; i < all.n; i++) kidx[i] = -1;
    for (int k = 0; k < nk; k++) kidx[kept[k]] = k;

    a->n_models = nk;
    a->models = tt_calloc((size_t)nk + 1, sizeof(char *));
    a->final_elo = tt_calloc((size_t)nk + 1, sizeof(double));
    a->appearances = tt_calloc((size_t)nk + 1, sizeof(int));
    a->wins = tt_calloc((size_t)nk * (size_t)nk + 1, sizeof(int));
    a->ties = tt_calloc((size_t)nk * (size_t)nk + 1, sizeof(int));
    a->elo = tt_malloc(sizeof(double) * ((size_t)a->n_points * (size_t)nk + 1));
    for (int k = 0; k < nk; k++) {
        a->models[k] = tt_strdup(all.names[kept[k]]);
        a->final_elo[k] = elo[kept[k]];
        for (int p = 0; p < a->n_points; p++)
            a->elo[(size_t)p * (size_t)nk + (size_t)k] = snap[(size_t)p * (size_t)all.n + (size_t)kept[k]];
    }
    for (size_t k = 0; k < n; k++) {
        int i = kidx[recs[k].a], j = kidx[recs[k].b];
        if (i >= 0) a->appearances[i]++;
        if (j >= 0) a->appearances[j]++;
        if (i < 0 || j < 0) continue;
        if (recs[k].score_a == 1.0) a->wins[i * nk + j]++;
        else if (recs[k].score_a == 0.0) a->wins[j * nk + i]++;
        else {
            a->ties[i * nk + j]++;
            a->ties[j * nk + i]++;
        }
    }
    free(snap);
    free(seen);
    free(elo);
    free(kept);
    free(kidx);
    rc = TT_OK;
out:
    for (int i = 0; i < all.n; i++) free(all.names[i]);
    free(all.names);
    free(recs);
    return rc;
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
