/*
 * clean.c — the cleaning rules of clean.h. The list's strings are
 * interned, so voters and pairs are keyed by pointer; the per-voter and
 * per-pair tables are open-addressing hashes of those pointers.
 */
#include "arena/clean.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void arena_clean_opts_default(arena_clean_opts *o)
{
    memset(o, 0, sizeof *o);
    o->outlier_alpha = 0.05;
    o->outlier_min_votes = 5;
    o->outlier_max_votes = 100;
}

/* ---- a small pointer-keyed hash ------------------------------------------------ */

typedef struct pkey { const void *a, *b; long day; } pkey;

typedef struct phash {
    pkey *key;
    size_t *val;        /* index into the caller's array, + 1; 0 = empty */
    size_t cap;
    size_t n;
} phash;

static size_t pkey_hash(const pkey *k)
{
    uint64_t x = (uint64_t)(uintptr_t)k->a * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)k->b * 0xC2B2AE3D27D4EB4Full ^
                 (uint64_t)k->day * 0x165667B19E3779F9ull;
    x ^= x >> 31;
    return (size_t)x;
}

/* The value for k, inserting next (a new index) when absent. */
static size_t phash_get(phash *h, pkey k, size_t next, int *added)
{
    if ((h->n + 1) * 2 > h->cap) {
        phash big = {NULL, NULL, h->cap ? h->cap * 2 : 256, 0};
        big.key = tt_malloc(big.cap * sizeof *big.key);
        big.val = tt_calloc(big.cap, sizeof *big.val);
        for (size_t i = 0; i < h->cap; i++) {
            if (!h->val[i]) continue;
            size_t j = pkey_hash(&h->key[i]) & (big.cap - 1);
            while (big.val[j]) j = (j + 1) & (big.cap - 1);
            big.key[j] = h->key[i];
            big.val[j] = h->val[i];
            big.n++;
        }
        free(h->key);
        free(h->val);
        *h = big;
    }
    size_t j = pkey_hash(&k) & (h->cap - 1);
    while (h->val[j]) {
        if (h->key[j].a == k.a && h->key[j].b == k.b && h->key[j].day == k.day) {
            *added = 0;
            return h->val[j] - 1;
        }
        j = (j + 1) & (h->cap - 1);
    }
    h->key[j] = k;
    h->val[j] = next + 1;
    h->n++;
    *added = 1;
    return next;
}

static void phash_free(phash *h)
{
    free(h->key);
    free(h->val);
}

/* ---- outlier test ----------------------------------------------------------------- */

/* The pair of a battle as (first, second) in code point order, and the
 * vote for the first model: 1, 0.5 or 0. */
static double ordered_vote(const arena_battle *b, const char **first, const char **second)
{
    int a_first = strcmp(b->model_a, b->model_b) < 0;
    *first = a_first ? b->model_a : b->model_b;
    *second = a_first ? b->model_b : b->model_a;
    if (judge_winner_is_tie(b->winner)) return 0.5;
    if (b->winner == JUDGE_WIN_A) return a_first ? 1.0 : 0.0;
    return a_first ? 0.0 : 1.0;
}

size_t arena_outlier_test(const arena_battles *l, const arena_clean_opts *o, unsigned char *keep)
{
    /* decisive record of every pair, over the battles still kept */
    phash pairs = {0};
    size_t n_pairs = 0, cap_pairs = 0;
    long *wins = NULL, *losses = NULL;
    for (size_t i = 0; i < l->n; i++) {
        if (!keep[i]) continue;
        const char *f, *s;
        double v = ordered_vote(&l->v[i], &f, &s);
        int added;
        size_t p = phash_get(&pairs, (pkey){f, s, 0}, n_pairs, &added);
        if (added) {
            if (n_pairs == cap_pairs) {
                cap_pairs = cap_pairs ? cap_pairs * 2 : 64;
                wins = tt_realloc(wins, cap_pairs * sizeof *wins);
                losses = tt_realloc(losses, cap_pairs * sizeof *losses);
            }
            wins[p] = losses[p] = 0;
            n_pairs++;
        }
        if (v == 1.0) wins[p]++;
        else if (v == 0.0) losses[p]++;
    }
    /* votes per voter, in order */
    phash voters = {0};
    size_t n_voters = 0, cap_voters = 0;
    size_t *count = NULL;
    for (size_t i = 0; i < l->n; i++) {
        if (!keep[i] || !l->v[i].judge) continue;
        int added;
        size_t u = phash_get(&voters, (pkey){l->v[i].judge, NULL, 0}, n_voters, &added);
        if (added) {
            if (n_voters == cap_voters) {
                cap_voters = cap_voters ? cap_voters * 2 : 64;
                count = tt_realloc(count, cap_voters * sizeof *count);
            }
            count[u] = 0;
            n_voters++;
        }
        count[u]++;
    }
    double *m_up = tt_malloc((n_voters ? n_voters : 1) * sizeof *m_up);
    double *m_lo = tt_malloc((n_voters ? n_voters : 1) * sizeof *m_lo);
    size_t *seen = tt_calloc(n_voters ? n_voters : 1, sizeof *seen);
    unsigned char *state = tt_calloc(n_voters ? n_voters : 1, 1);   /* 0 checking, 1 flagged, 2 done */
    for (size_t u = 0; u < n_voters; u++) {
        m_up[u] = m_lo[u] = 1.0;
        if (count[u] < (size_t)o->outlier_min_votes) state[u] = 2;
    }
    double limit = 1.0 / o->outlier_alpha;
    for (size_t i = 0; i < l->n; i++) {
        if (!keep[i] || !l->v[i].judge) continue;
        int added;
        size_t u = phash_get(&voters, (pkey){l->v[i].judge, NULL, 0}, 0, &added);
        if (state[u]) continue;
        if (seen[u] >= (size_t)o->outlier_max_votes) {
            state[u] = 2;
            continue;
        }
        seen[u]++;
        const char *f, *s;
        double vote = ordered_vote(&l->v[i], &f, &s);
        size_t p = phash_get(&pairs, (pkey){f, s, 0}, 0, &added);
        long w = wins[p], lo = losses[p], n = w + lo;
        double p_up, p_lo;
        if (n == 0) {
            p_up = p_lo = NAN;
        } else {
            /* records are 1 (w of them) and 0 (lo of them) */
            long le = (vote >= 1.0 ? n : 0) + (vote >= 0.0 && vote < 1.0 ? lo : 0);
            long ge = (vote <= 0.0 ? n : 0) + (vote > 0.0 && vote <= 1.0 ? w : 0);
            p_up = (double)le / (double)n;
            p_lo = (double)ge / (double)n;
        }
        m_up[u] *= p_up > 0 ? 1.0 / (2.0 * p_up) : isnan(p_up) ? NAN : INFINITY;
        m_lo[u] *= p_lo > 0 ? 1.0 / (2.0 * p_lo) : isnan(p_lo) ? NAN : INFINITY;
        if (m_up[u] > limit || m_lo[u] > limit) state[u] = 1;
    }
    size_t flagged = 0;
    for (size_t u = 0; u < n_voters; u++) flagged += state[u] == 1;
    for (size_t i = 0; flagged && i < l->n; i++) {
        if (!keep[i] || !l->v[i].judge) continue;
        int added;
        size_t u = phash_get(&voters, (pkey){l->v[i].judge, NULL, 0}, 0, &added);
        if (state[u] == 1) keep[i] = 0;
    }
    free(m_up);
    free(m_lo);
    free(seen);
    free(state);
    free(count);
    free(wins);
    free(losses);
    phash_free(&pairs);
    phash_free(&voters);
    return flagged;
}

/* ---- the rules ------------------------------------------------------------------------ */

int arena_clean(arena_battles *l, const arena_clean_opts *o, arena_clean_report *rep, char *err)
{
    (void)err;
    arena_clean_report local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    rep->read = l->n;
    if (l->n == 0) return TT_OK;
    arena_battles_sort(l);
    unsigned char *keep = tt_malloc(l->n);
    for (size_t i = 0; i < l->n; i++) {
        const arena_battle *b = &l->v[i];
        keep[i] = 0;
        if (!o->keep_not_anonymous && (b->bad & ARENA_BAD_NOT_ANONYMOUS)) rep->not_anonymous++;
        else if (!o->keep_identity && (b->bad & ARENA_BAD_IDENTITY)) rep->identity++;
        else if (!o->keep_failed && (b->bad & ARENA_BAD_ERROR)) rep->error++;
        else if (!o->keep_failed && (b->bad & ARENA_BAD_UNFINISHED)) rep->unfinished++;
        else if (!o->keep_failed && (b->bad & ARENA_BAD_FLAGGED)) rep->flagged++;
        else if (o->category && !(b->cats & o->category)) rep->category++;
        else keep[i] = 1;
    }
    if (o->daily_cap > 0) {
        phash days = {0};
        size_t n_keys = 0, cap = 0;
        int *used = NULL;
        for (size_t i = 0; i < l->n; i++) {
            if (!keep[i] || !l->v[i].judge) continue;
            int added;
            long day = (long)floor(l->v[i].tstamp / 86400.0);
            size_t k = phash_get(&days, (pkey){l->v[i].judge, NULL, day}, n_keys, &added);
            if (added) {
                if (n_keys == cap) {
                    cap = cap ? cap * 2 : 256;
                    used = tt_realloc(used, cap * sizeof *used);
                }
                used[k] = 0;
                n_keys++;
            }
            if (used[k] >= o->daily_cap) {
                keep[i] = 0;
                rep->daily_cap++;
            } else {
                used[k]++;
            }
        }
        free(used);
        phash_free(&days);
    }
    if (o->outlier) {
        size_t before = 0, after = 0;
        for (size_t i = 0; i < l->n; i++) before += keep[i];
        rep->outlier_voters = arena_outlier_test(l, o, keep);
        for (size_t i = 0; i < l->n; i++) after += keep[i];
        rep->outlier = before - after;
    }
    arena_battles_keep(l, keep);
    free(keep);
    rep->kept = l->n;
    return TT_OK;
}
