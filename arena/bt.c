/*
 * bt.c — the Bradley–Terry fit of bt.h: mean negative log-likelihood with
 * its analytic gradient and Hessian (a weighted graph Laplacian), a
 * strong-connectivity test that decides whether the MLE exists, and
 * Newton's method with Cholesky solves and a backtracking line search.
 *
 * Design notes:
 *  1. Only "active" models (positive total weight) are optimised; the
 *     others stay at θ = 0.
 *  2. Without a ridge the Hessian H is singular along the all-ones vector.
 *     The gradient g sums to zero, so solving (H + c·11ᵀ)δ = −g gives the
 *     Newton step with Σδ = 0: the mean θ stays where it started (0).
 *  3. With the ridge, H + ridge·I is positive definite and the optimum has
 *     Σθ = 0 in each component automatically.
 */
#include "arena/bt.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void arena_bt_opts_default(arena_bt_opts *o)
{
    o->scale = 400.0;
    o->base = 10.0;
    o->init = 1000.0;
    o->tol = 1e-10;
    o->max_iter = 100;
    o->degenerate = ARENA_BT_RIDGE;
    o->ridge = 1e-4;
}

static inline double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static inline double sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double arena_bt_loss(const arena_rows *rows, const double *w, const double *theta)
{
    if (!w) w = rows->w;
    double s = 0, tw = 0;
    for (size_t k = 0; k < rows->n; k++) {
        if (w[k] == 0) continue;
        double d = theta[rows->a[k]] - theta[rows->b[k]];
        double y = rows->y[k];
        s += w[k] * (y * softplus(-d) + (1 - y) * softplus(d));
        tw += w[k];
    }
    return tw > 0 ? s / tw : 0;
}

/* Marks in reach[] the models reachable from `start` along "scored against"
 * edges (reverse = 0) or against them (reverse = 1). */
static void reach_from(const arena_rows *rows, const double *w, int start, int reverse, char *reach)
{
    memset(reach, 0, (size_t)rows->n_models);
    reach[start] = 1;
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t k = 0; k < rows->n; k++) {
            if (w[k] <= 0) continue;
            int a = rows->a[k], b = rows->b[k];
            double y = rows->y[k];
            /* a→b when a scored (y > 0), b→a when b scored (y < 1) */
            int ab = y > 0, ba = y < 1;
            if (reverse) { int t = ab; ab = ba; ba = t; }
            if (ab && reach[a] && !reach[b]) { reach[b] = 1; changed = 1; }
            if (ba && reach[b] && !reach[a]) { reach[a] = 1; changed = 1; }
        }
    }
}

/* Cholesky factorisation and solve of the m×m SPD matrix A (overwritten);
 * x = A⁻¹·rhs. Returns 0 on success, -1 when A is not positive definite. */
static int chol_solve(double *A, int m, const double *rhs, double *x)
{
    for (int j = 0; j < m; j++) {
        double d = A[(size_t)j * m + j];
        for (int k = 0; k < j; k++) d -= A[(size_t)j * m + k] * A[(size_t)j * m + k];
        if (!(d > 0)) return -1;
        d = sqrt(d);
        A[(size_t)j * m + j] = d;
        for (int i = j + 1; i < m; i++) {
            double s = A[(size_t)i * m + j];
            for (int k = 0; k < j; k++) s -= A[(size_t)i * m + k] * A[(size_t)j * m + k];
            A[(size_t)i * m + j] = s / d;
        }
    }
    for (int i = 0; i < m; i++) {
        double s = rhs[i];
        for (int k = 0; k < i; k++) s -= A[(size_t)i * m + k] * x[k];
        x[i] = s / A[(size_t)i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) {
        double s = x[i];
        for (int k = i + 1; k < m; k++) s -= A[(size_t)k * m + i] * x[k];
        x[i] = s / A[(size_t)i * m + i];
    }
    return 0;
}

int arena_bt_fit(const arena_rows *rows, const double *w, const arena_bt_opts *o,
                 const double *theta0, double *theta, arena_bt_info *info, char *err)
{
    arena_bt_info local;
    if (!info) info = &local;
    memset(info, 0, sizeof *info);
    info->stray_model = -1;
    if (!w) w = rows->w;
    int n = rows->n_models;
    for (int i = 0; i < n; i++) theta[i] = 0;
    if (n == 0) return TT_OK;

    /* 1. active models, in compact numbering */
    double *mass = tt_calloc((size_t)n, sizeof *mass);
    double W = 0;
    for (size_t k = 0; k < rows->n; k++) {
        if (w[k] <= 0) continue;
        mass[rows->a[k]] += w[k];
        mass[rows->b[k]] += w[k];
        W += w[k];
    }
    int *cid = tt_malloc((size_t)n * sizeof *cid);   /* model → compact id or -1 */
    int *mid = tt_malloc((size_t)n * sizeof *mid);   /* compact id → model */
    int m = 0;
    for (int i = 0; i < n; i++) {
        cid[i] = mass[i] > 0 ? m : -1;
        if (mass[i] > 0) mid[m++] = i;
    }
    free(mass);
    int rc = TT_OK;
    if (m == 0) goto done;

    /* 2. does the MLE exist? */
    char *fw = tt_malloc((size_t)n), *bw = tt_malloc((size_t)n);
    reach_from(rows, w, mid[0], 0, fw);
    reach_from(rows, w, mid[0], 1, bw);
    for (int j = 0; j < m; j++)
        if (!fw[mid[j]] || !bw[mid[j]]) { info->stray_model = mid[j]; break; }
    free(fw);
    free(bw);
    double lambda = 0;
    if (info->stray_model >= 0) {
        if (o->degenerate == ARENA_BT_REFUSE) {
            rc = tt_fail(err, TT_ERR, "cannot fit bradley-terry: model #%d is not strongly connected to the "
                         "others (it never lost, never won, or never met them); the MLE does not exist",
                         info->stray_model);
            goto done;
        }
        info->degenerate = 1;
        lambda = o->ridge > 0 ? o->ridge : 1e-4;
    }

    /* 3. Newton's method on the compact variables */
    double *x = tt_calloc((size_t)m, sizeof *x);
    double *g = tt_malloc((size_t)m * sizeof *g);
    double *H = tt_malloc((size_t)m * m * sizeof *H);
    double *step = tt_malloc((size_t)m * sizeof *step);
    double *trial = tt_calloc((size_t)n, sizeof *trial);
    double *rhs = tt_malloc((size_t)m * sizeof *rhs);
    if (theta0) {
        double mean = 0;
        for (int j = 0; j < m; j++) mean += theta0[mid[j]];
        mean /= m;
        for (int j = 0; j < m; j++) x[j] = isfinite(theta0[mid[j]]) ? theta0[mid[j]] - mean : 0;
    }
    for (int iter = 0;; iter++) {
        for (int j = 0; j < m; j++) theta[mid[j]] = x[j];
        memset(g, 0, (size_t)m * sizeof *g);
        memset(H, 0, (size_t)m * m * sizeof *H);
        double loss = 0;
        for (size_t k = 0; k < rows->n; k++) {
            if (w[k] <= 0) continue;
            int a = cid[rows->a[k]], b = cid[rows->b[k]];
            double d = x[a] - x[b], y = rows->y[k], wk = w[k] / W;
            double p = sigmoid(d);
            loss += wk * (y * softplus(-d) + (1 - y) * softplus(d));
            double gk = wk * (p - y), hk = wk * p * (1 - p);
            g[a] += gk;
            g[b] -= gk;
            H[(size_t)a * m + a] += hk;
            H[(size_t)b * m + b] += hk;
            H[(size_t)a * m + b] -= hk;
            H[(size_t)b * m + a] -= hk;
        }
        double gmax = 0, trace = 0;
        for (int j = 0; j < m; j++) {
            if (lambda > 0) {
                loss += 0.5 * lambda * x[j] * x[j];
                g[j] += lambda * x[j];
                H[(size_t)j * m + j] += lambda;
            }
            if (fabs(g[j]) > gmax) gmax = fabs(g[j]);
            trace += H[(size_t)j * m + j];
        }
        info->iterations = iter;
        info->grad_max = gmax;
        if (gmax < o->tol) break;
        if (iter >= o->max_iter) {
            rc = tt_fail(err, TT_ERR, "bradley-terry fit did not converge in %d newton steps "
                         "(gradient %.3g)", o->max_iter, gmax);
            break;
        }
        if (lambda == 0) {
            double c = trace / ((double)m * m);
            for (size_t q = 0; q < (size_t)m * m; q++) H[q] += c;
        }
        for (int j = 0; j < m; j++) rhs[j] = -g[j];
        if (chol_solve(H, m, rhs, step) != 0) {
            rc = tt_fail(err, TT_ERR, "bradley-terry fit failed: hessian is not positive definite");
            break;
        }
        double slope = 0;
        for (int j = 0; j < m; j++) slope += g[j] * step[j];
        /* backtracking line search (Armijo), tolerant of rounding near the optimum */
        double t = 1;
        for (int ls = 0; ls < 40; ls++, t *= 0.5) {
            for (int j = 0; j < m; j++) trial[mid[j]] = x[j] + t * step[j];
            double l2 = arena_bt_loss(rows, w, trial);
            if (lambda > 0)
                for (int j = 0; j < m; j++) l2 += 0.5 * lambda * trial[mid[j]] * trial[mid[j]];
            if (l2 <= loss + 1e-4 * t * slope + 1e-15 * fabs(loss)) break;
        }
        for (int j = 0; j < m; j++) x[j] += t * step[j];
    }
    free(x);
    free(g);
    free(H);
    free(step);
    free(trial);
    free(rhs);
done:
    free(cid);
    free(mid);
    return rc;
}

void arena_bt_to_ratings(const arena_bt_opts *o, int n, const double *theta, double *ratings)
{
    double f = o->scale / log(o->base);
    for (int i = 0; i < n; i++) ratings[i] = f * theta[i] + o->init;
}

void arena_anchor(int n, double *ratings, int anchor, double value)
{
    if (anchor < 0 || anchor >= n) return;
    double shift = value - ratings[anchor];
    for (int i = 0; i < n; i++) ratings[i] += shift;
}
