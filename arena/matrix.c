/*
 * matrix.c — win-fraction, battle-count and predicted-win matrices of
 * matrix.h, built in one pass over the indexed battles.
 */
#include "arena/matrix.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void arena_matrix_build(const arena_index *idx, arena_matrix *out)
{
    int n = idx->n_models;
    size_t nn = (size_t)n * n;
    out->n = n;
    out->frac = tt_malloc((nn ? nn : 1) * sizeof *out->frac);
    out->count = tt_calloc(nn ? nn : 1, sizeof *out->count);
    out->avg_win = tt_malloc((size_t)(n ? n : 1) * sizeof *out->avg_win);
    long *wins = tt_calloc(nn ? nn : 1, sizeof *wins);
    for (size_t k = 0; k < idx->n; k++) {
        int a = idx->a[k], b = idx->b[k];
        if (idx->outcome[k] == ARENA_OUT_TIE) continue;
        out->count[(size_t)a * n + b]++;
        out->count[(size_t)b * n + a]++;
        if (idx->outcome[k] == ARENA_OUT_A) wins[(size_t)a * n + b]++;
        else wins[(size_t)b * n + a]++;
    }
    for (int i = 0; i < n; i++) {
        double s = 0;
        int cells = 0;
        for (int j = 0; j < n; j++) {
            size_t c = (size_t)i * n + j;
            if (i == j || out->count[c] == 0) {
                out->frac[c] = NAN;
                continue;
            }
            out->frac[c] = (double)wins[c] / (double)out->count[c];
            s += out->frac[c];
            cells++;
        }
        out->avg_win[i] = cells ? s / cells : NAN;
    }
    free(wins);
}

void arena_matrix_free(arena_matrix *m)
{
    if (!m) return;
    free(m->frac);
    free(m->count);
    free(m->avg_win);
    memset(m, 0, sizeof *m);
}

void arena_matrix_order(const arena_matrix *m, int *order)
{
    /* insertion sort: reentrant (qsort would need a global key), n is small */
    for (int i = 0; i < m->n; i++) order[i] = i;
    for (int i = 1; i < m->n; i++) {
        int v = order[i], j = i - 1;
        while (j >= 0) {
            double va = m->avg_win[order[j]], vb = m->avg_win[v];
            int na = isnan(va), nb = isnan(vb);
            int after = na != nb ? na > nb : (!na && va != vb) ? va < vb : order[j] > v;
            if (!after) break;
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = v;
    }
}

void arena_predicted_win(int n, const double *ratings, double scale, double base, double *p)
{
    double alpha = log(base) / scale;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            p[(size_t)i * n + j] = i == j ? 0.5 : 1.0 / (1.0 + exp(alpha * (ratings[j] - ratings[i])));
}
