/*
 * rows.c — builds the numeric forms of rows.h: model ids through a small
 * open-addressing hash of names, battles in stable tstamp order, and the
 * aggregation of identical (a, b, outcome) triples, either with a dense
 * count table (up to ~1000 models) or by sorting packed keys.
 */
#include "arena/rows.h"
#include "arena/strpool.h"
#include "core/util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- index -------------------------------------------------------------- */

typedef struct order_item { double t; size_t i; } order_item;

static int cmp_order(const void *x, const void *y)
{
    const order_item *a = x, *b = y;
    if (a->t < b->t) return -1;
    if (a->t > b->t) return 1;
    return (a->i > b->i) - (a->i < b->i);
}

int arena_index_build(const arena_battles *l, int exclude_ties, arena_index *out, char *err)
{
    (void)err;
    memset(out, 0, sizeof *out);
    size_t *src = tt_malloc((l->n ? l->n : 1) * sizeof *src);
    size_t n = 0;
    int sorted = 1;
    double last = -INFINITY;
    for (size_t i = 0; i < l->n; i++) {
        if (exclude_ties && judge_winner_is_tie(l->v[i].winner)) continue;
        if (l->v[i].tstamp < last) sorted = 0;
        last = l->v[i].tstamp;
        src[n++] = i;
    }
    if (!sorted) {   /* stable sort by tstamp; a list in order (the usual case) is left as it is */
        order_item *ord = tt_malloc(n * sizeof *ord);
        for (size_t k = 0; k < n; k++) ord[k] = (order_item){l->v[src[k]].tstamp, src[k]};
        qsort(ord, n, sizeof *ord, cmp_order);
        for (size_t k = 0; k < n; k++) src[k] = ord[k].i;
        free(ord);
    }
    /* One pass gives every name a provisional id (first appearance in
     * either column) and notes where it first appears as A and as B; the
     * final ids follow pd.factorize(concat(model_a, model_b)): names seen
     * as A by their first A position, then the others by their first B
     * position. The arrays are renumbered only when the two orders differ. */
    uint32_t n_pool = arena_strpool_count(l->pool);
    int *by_index = tt_malloc((n_pool ? n_pool : 1) * sizeof *by_index);
    for (uint32_t i = 0; i < n_pool; i++) by_index[i] = -1;
    int n_ids = 0, cap_ids = 0;
    const char **names = NULL;
    size_t *first_a = NULL, *first_b = NULL;
    out->n = n;
    out->src = src;
    out->a = tt_malloc((n ? n : 1) * sizeof *out->a);
    out->b = tt_malloc((n ? n : 1) * sizeof *out->b);
    out->outcome = tt_malloc(n ? n : 1);
    out->tstamp = tt_malloc((n ? n : 1) * sizeof *out->tstamp);
    for (size_t k = 0; k < n; k++) {
        const arena_battle *bt = &l->v[src[k]];
        const char *nm[2] = {bt->model_a, bt->model_b};
        int id[2];
        for (int side = 0; side < 2; side++) {
            uint32_t pi = arena_strpool_index(nm[side]);
            int v = pi < n_pool ? by_index[pi] : -1;
            if (v < 0) {
                for (v = 0; v < n_ids && names[v] != nm[side]; v++) {}
                if (v == n_ids) {
                    if (n_ids == cap_ids) {
                        cap_ids = cap_ids ? cap_ids * 2 : 32;
                        names = tt_realloc(names, (size_t)cap_ids * sizeof *names);
                        first_a = tt_realloc(first_a, (size_t)cap_ids * sizeof *first_a);
                        first_b = tt_realloc(first_b, (size_t)cap_ids * sizeof *first_b);
                    }
                    names[n_ids] = nm[side];
                    first_a[n_ids] = first_b[n_ids] = SIZE_MAX;
                    n_ids++;
                }
                if (pi < n_pool) by_index[pi] = v;
            }
            if (side == 0 && first_a[v] == SIZE_MAX) first_a[v] = k;
            if (side == 1 && first_b[v] == SIZE_MAX) first_b[v] = k;
            id[side] = v;
        }
        out->a[k] = id[0];
        out->b[k] = id[1];
        out->tstamp[k] = bt->tstamp;
        out->outcome[k] = bt->winner == JUDGE_WIN_A ? ARENA_OUT_A
                        : bt->winner == JUDGE_WIN_B ? ARENA_OUT_B : ARENA_OUT_TIE;
    }
    /* final order */
    int *order = tt_malloc((size_t)(n_ids ? n_ids : 1) * sizeof *order);
    for (int i = 0; i < n_ids; i++) order[i] = i;
    for (int i = 1; i < n_ids; i++) {   /* insertion sort: few models */
        int v = order[i], j = i;
        while (j > 0) {
            int u = order[j - 1];
            int before = first_a[v] != SIZE_MAX ? (first_a[u] == SIZE_MAX || first_a[v] < first_a[u])
                                                : (first_a[u] == SIZE_MAX && first_b[v] < first_b[u]);
            if (!before) break;
            order[j] = u;
            j--;
        }
        order[j] = v;
    }
    int *final_id = tt_malloc((size_t)(n_ids ? n_ids : 1) * sizeof *final_id);
    int same = 1;
    for (int i = 0; i < n_ids; i++) {
        final_id[order[i]] = i;
        if (order[i] != i) same = 0;
    }
    out->n_models = n_ids;
    out->models = tt_malloc((size_t)(n_ids ? n_ids : 1) * sizeof *out->models);
    for (int i = 0; i < n_ids; i++) out->models[i] = tt_strdup(names[order[i]]);
    if (!same)
        for (size_t k = 0; k < n; k++) {
            out->a[k] = final_id[out->a[k]];
            out->b[k] = final_id[out->b[k]];
        }
    out->battles = tt_calloc((size_t)(n_ids ? n_ids : 1), sizeof *out->battles);
    for (size_t k = 0; k < n; k++) {
        out->battles[out->a[k]]++;
        out->battles[out->b[k]]++;
    }
    free(order);
    free(final_id);
    free(names);
    free(first_a);
    free(first_b);
    free(by_index);
    return TT_OK;
}

void arena_index_free(arena_index *idx)
{
    if (!idx) return;
    for (int i = 0; i < idx->n_models; i++) free(idx->models[i]);
    free(idx->models);
    free(idx->battles);
    free(idx->a);
    free(idx->b);
    free(idx->outcome);
    free(idx->tstamp);
    free(idx->src);
    memset(idx, 0, sizeof *idx);
}

int arena_index_find(const arena_index *idx, const char *name)
{
    for (int i = 0; i < idx->n_models; i++)
        if (strcmp(idx->models[i], name) == 0) return i;
    return -1;
}

/* ---- aggregated rows ---------------------------------------------------- */

static void rows_alloc(arena_rows *r, int n_models, size_t n)
{
    r->n_models = n_models;
    r->n = n;
    r->a = tt_malloc((n ? n : 1) * sizeof *r->a);
    r->b = tt_malloc((n ? n : 1) * sizeof *r->b);
    r->y = tt_malloc((n ? n : 1) * sizeof *r->y);
    r->w = tt_malloc((n ? n : 1) * sizeof *r->w);
    r->total = 0;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

void arena_rows_build(const arena_index *idx, arena_rows *out)
{
    uint64_t nm = (uint64_t)idx->n_models;
    uint64_t cells = nm * nm * 3;
    if (cells <= (1u << 22)) {
        /* dense table of counts; walking it in key order gives np.unique order */
        uint32_t *cnt = tt_calloc(cells ? cells : 1, sizeof *cnt);
        size_t distinct = 0;
        for (size_t k = 0; k < idx->n; k++) {
            uint64_t key = ((uint64_t)idx->a[k] * nm + (uint64_t)idx->b[k]) * 3 + idx->outcome[k];
            if (cnt[key]++ == 0) distinct++;
        }
        rows_alloc(out, idx->n_models, distinct);
        size_t j = 0;
        for (uint64_t key = 0; key < cells; key++) {
            if (!cnt[key]) continue;
            out->a[j] = (int)(key / 3 / nm);
            out->b[j] = (int)(key / 3 % nm);
            out->y[j] = (double)(key % 3) / 2.0;
            out->w[j] = cnt[key];
            out->total += cnt[key];
            j++;
        }
        free(cnt);
        return;
    }
    uint64_t *keys = tt_malloc((idx->n ? idx->n : 1) * sizeof *keys);
    for (size_t k = 0; k < idx->n; k++)
        keys[k] = ((uint64_t)idx->a[k] * nm + (uint64_t)idx->b[k]) * 3 + idx->outcome[k];
    qsort(keys, idx->n, sizeof *keys, cmp_u64);
    size_t distinct = 0;
    for (size_t k = 0; k < idx->n; k++)
        if (k == 0 || keys[k] != keys[k - 1]) distinct++;
    rows_alloc(out, idx->n_models, distinct);
    size_t j = 0;
    for (size_t k = 0; k < idx->n; k++) {
        if (k == 0 || keys[k] != keys[k - 1]) {
            out->a[j] = (int)(keys[k] / 3 / nm);
            out->b[j] = (int)(keys[k] / 3 % nm);
            out->y[j] = (double)(keys[k] % 3) / 2.0;
            out->w[j] = 0;
            j++;
        }
        out->w[j - 1] += 1;
        out->total += 1;
    }
    free(keys);
}

void arena_rows_unaggregated(const arena_index *idx, arena_rows *out)
{
    rows_alloc(out, idx->n_models, idx->n);
    for (size_t k = 0; k < idx->n; k++) {
        out->a[k] = idx->a[k];
        out->b[k] = idx->b[k];
        out->y[k] = idx->outcome[k] / 2.0;
        out->w[k] = 1;
    }
    out->total = (double)idx->n;
}

void arena_rows_free(arena_rows *r)
{
    if (!r) return;
    free(r->a);
    free(r->b);
    free(r->y);
    free(r->w);
    memset(r, 0, sizeof *r);
}
