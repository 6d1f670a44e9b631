/*
 * rows.c — builds the numeric forms of rows.h: model ids through a small
 * open-addressing hash of names, battles in stable tstamp order, and the
 * aggregation of identical (a, b, outcome) triples, either with a dense
 * count table (up to ~1000 models) or by sorting packed keys.
 */
#include "arena/rows.h"
#include "core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- name → id hash ----------------------------------------------------- */

typedef struct name_map {
    int *slot;       /* [cap] model id or -1 */
    size_t cap;
    arena_index *idx;
} name_map;

static size_t name_hash(const char *s) { return (size_t)tt_fnv1a64(s, strlen(s)); }

static void map_grow(name_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    int *slot = tt_malloc(cap * sizeof *slot);
    for (size_t i = 0; i < cap; i++) slot[i] = -1;
    for (int id = 0; id < m->idx->n_models; id++) {
        size_t h = name_hash(m->idx->models[id]) & (cap - 1);
        while (slot[h] >= 0) h = (h + 1) & (cap - 1);
        slot[h] = id;
    }
    free(m->slot);
    m->slot = slot;
    m->cap = cap;
}

static int map_lookup(const name_map *m, const char *name)
{
    if (!m->cap) return -1;
    size_t h = name_hash(name) & (m->cap - 1);
    while (m->slot[h] >= 0) {
        if (strcmp(m->idx->models[m->slot[h]], name) == 0) return m->slot[h];
        h = (h + 1) & (m->cap - 1);
    }
    return -1;
}

static int map_intern(name_map *m, const char *name)
{
    int id = map_lookup(m, name);
    if (id >= 0) return id;
    arena_index *idx = m->idx;
    if ((size_t)(idx->n_models + 1) * 2 > m->cap) map_grow(m);
    id = idx->n_models++;
    idx->models = tt_realloc(idx->models, (size_t)idx->n_models * sizeof *idx->models);
    idx->models[id] = tt_strdup(name);
    size_t h = name_hash(name) & (m->cap - 1);
    while (m->slot[h] >= 0) h = (h + 1) & (m->cap - 1);
    m->slot[h] = id;
    return id;
}

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
    order_item *ord = tt_malloc((l->n ? l->n : 1) * sizeof *ord);
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (exclude_ties && judge_winner_is_tie(l->v[i].winner)) continue;
        ord[n].t = l->v[i].tstamp;
        ord[n].i = i;
        n++;
    }
    qsort(ord, n, sizeof *ord, cmp_order);
    name_map m = {NULL, 0, out};
    out->n = n;
    out->a = tt_malloc((n ? n : 1) * sizeof *out->a);
    out->b = tt_malloc((n ? n : 1) * sizeof *out->b);
    out->outcome = tt_malloc(n ? n : 1);
    out->tstamp = tt_malloc((n ? n : 1) * sizeof *out->tstamp);
    /* factorize(concat(model_a, model_b)): all A names first, then B names */
    for (size_t k = 0; k < n; k++) out->a[k] = map_intern(&m, l->v[ord[k].i].model_a);
    for (size_t k = 0; k < n; k++) out->b[k] = map_intern(&m, l->v[ord[k].i].model_b);
    out->battles = tt_calloc((size_t)(out->n_models ? out->n_models : 1), sizeof *out->battles);
    for (size_t k = 0; k < n; k++) {
        const arena_battle *bt = &l->v[ord[k].i];
        out->tstamp[k] = bt->tstamp;
        out->outcome[k] = bt->winner == JUDGE_WIN_A ? ARENA_OUT_A
                        : bt->winner == JUDGE_WIN_B ? ARENA_OUT_B : ARENA_OUT_TIE;
        out->battles[out->a[k]]++;
        out->battles[out->b[k]]++;
    }
    free(m.slot);
    free(ord);
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
