/*
 * rows.c — builds the numeric forms of rows.h: model ids through a small
 * open-addressing hash of names, battles in stable tstamp order, and the
 * aggregation of identical (a, b, outcome) triples, either with a dense
 * count table (up to ~1000 models) or by sorting packed keys.
 */
#include "arena/rows.h"
#include "core/util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- interned name → id ------------------------------------------------ */

/* The battle list interns its strings (battles.h), so equal names are
 * equal pointers: an open-addressing table keyed by the pointer. */
typedef struct name_map {
    const char **key;
    int *id;
    size_t cap;          /* power of two */
    arena_index *idx;
} name_map;

static size_t ptr_hash(const char *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x;
}

static void map_put(name_map *m, const char *name, int id)
{
    size_t h = ptr_hash(name) & (m->cap - 1);
    while (m->key[h]) h = (h + 1) & (m->cap - 1);
    m->key[h] = name;
    m->id[h] = id;
}

static int map_intern(name_map *m, const char *name)
{
    if (m->cap) {
        size_t h = ptr_hash(name) & (m->cap - 1);
        while (m->key[h]) {
            if (m->key[h] == name) return m->id[h];
            h = (h + 1) & (m->cap - 1);
        }
    }
    arena_index *idx = m->idx;
    if ((size_t)(idx->n_models + 1) * 2 > m->cap) {
        name_map bigger = {NULL, NULL, m->cap ? m->cap * 2 : 64, idx};
        bigger.key = tt_calloc(bigger.cap, sizeof *bigger.key);
        bigger.id = tt_malloc(bigger.cap * sizeof *bigger.id);
        for (size_t i = 0; i < m->cap; i++)
            if (m->key[i]) map_put(&bigger, m->key[i], m->id[i]);
        free(m->key);
        free(m->id);
        *m = bigger;
    }
    int id = idx->n_models++;
    idx->models = tt_realloc(idx->models, (size_t)idx->n_models * sizeof *idx->models);
    idx->models[id] = tt_strdup(name);
    map_put(m, name, id);
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
    name_map m = {NULL, NULL, 0, out};
    out->n = n;
    out->src = src;
    out->a = tt_malloc((n ? n : 1) * sizeof *out->a);
    out->b = tt_malloc((n ? n : 1) * sizeof *out->b);
    out->outcome = tt_malloc(n ? n : 1);
    out->tstamp = tt_malloc((n ? n : 1) * sizeof *out->tstamp);
    /* factorize(concat(model_a, model_b)): all A names first, then B names */
    for (size_t k = 0; k < n; k++) out->a[k] = map_intern(&m, l->v[src[k]].model_a);
    for (size_t k = 0; k < n; k++) out->b[k] = map_intern(&m, l->v[src[k]].model_b);
    out->battles = tt_calloc((size_t)(out->n_models ? out->n_models : 1), sizeof *out->battles);
    for (size_t k = 0; k < n; k++) {
        const arena_battle *bt = &l->v[src[k]];
        out->tstamp[k] = bt->tstamp;
        out->outcome[k] = bt->winner == JUDGE_WIN_A ? ARENA_OUT_A
                        : bt->winner == JUDGE_WIN_B ? ARENA_OUT_B : ARENA_OUT_TIE;
        out->battles[out->a[k]]++;
        out->battles[out->b[k]]++;
    }
    free(m.key);
    free(m.id);
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
