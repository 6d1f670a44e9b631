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
#include "core/linalg.h"
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
    o->assume_connected = 0;
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

/* A model outside the strong component of the first active one, or -1. */
static int stray_model(const arena_rows *rows, const double *w, const int *mid, int m, int n)
{
    int stray = -1;
    char *fw = tt_malloc((size_t)n), *bw = tt_malloc((size_t)n);
    reach_from(rows, w, mid[0], 0, fw);
    reach_from(rows, w, mid[0], 1, bw);
    for (int j = 0; j < m; j++)
        if (!fw[mid[j]] || !bw[mid[j]]) { stray = mid[j]; break; }
    free(fw);
    free(bw);
    return stray;
}

int arena_bt_connected(const arena_rows *rows, const double *w)
{
    if (!w) w = rows->w;
    int n = rows->n_models, m = 0;
    int *mid = tt_malloc((size_t)(n ? n : 1) * sizeof *mid);
    char *active = tt_calloc((size_t)(n ? n : 1), 1);
    for (size_t k = 0; k < rows->n; k++)
        if (w[k] > 0) active[rows->a[k]] = active[rows->b[k]] = 1;
    for (int i = 0; i < n; i++)
        if (active[i]) mid[m++] = i;
    int ok = m == 0 || stray_model(rows, w, mid, m, n) < 0;
    free(mid);
    free(active);
    return ok;
}

/* Gradient and Hessian of the mean loss (weights / W) plus the ridge, at
 * the compact variables x; *gmax the largest |gradient|, *trace H's. */
static void grad_hess(const arena_rows *rows, const double *w, const int *cid, double W, double lambda, int m,
                      const double *x, double *g, double *H, double *gmax, double *trace)
{
    memset(g, 0, (size_t)m * sizeof *g);
    memset(H, 0, (size_t)m * m * sizeof *H);
    double inv_w = 1.0 / W;
    /* rows come grouped by (a, b) (rows.h: np.unique order), up to three
     * outcomes per pair: one sigmoid and one update of g and H per pair */
    for (size_t k = 0; k < rows->n;) {
        int ra = rows->a[k], rb = rows->b[k];
        double sw = 0, swy = 0;
        for (; k < rows->n && rows->a[k] == ra && rows->b[k] == rb; k++) {
            if (w[k] <= 0) continue;
            sw += w[k];
            swy += w[k] * rows->y[k];
        }
        if (sw <= 0) continue;
        int a = cid[ra], b = cid[rb];
        double p = sigmoid(x[a] - x[b]);
        double gk = (sw * p - swy) * inv_w, hk = sw * inv_w * p * (1 - p);
        g[a] += gk;
        g[b] -= gk;
        H[(size_t)a * m + a] += hk;
        H[(size_t)b * m + b] += hk;
        H[(size_t)a * m + b] -= hk;
        H[(size_t)b * m + a] -= hk;
    }
    *gmax = 0;
    *trace = 0;
    for (int j = 0; j < m; j++) {
        if (lambda > 0) {
            g[j] += lambda * x[j];
            H[(size_t)j * m + j] += lambda;
        }
        if (fabs(g[j]) > *gmax) *gmax = fabs(g[j]);
        *trace += H[(size_t)j * m + j];
    }
}

/* Mean loss plus the ridge at theta (by model id; only active models in the ridge). */
static double penalised_loss(const arena_rows *rows, const double *w, double lambda, const int *mid, int m,
                             const double *theta)
{
    double l = arena_bt_loss(rows, w, theta);
    if (lambda > 0)
        for (int j = 0; j < m; j++) l += 0.5 * lambda * theta[mid[j]] * theta[mid[j]];
    return l;
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
    if (!o->assume_connected) info->stray_model = stray_model(rows, w, mid, m, n);
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

    /* 3. Newton's method on the compact variables. A full step is taken
     * when it shrinks the gradient (always so near the optimum, and so in
     * every bootstrap round, which starts there): the loss, a log1p per
     * row, is then never evaluated. A step that does not shrink it is
     * taken back and redone with an Armijo line search on the loss. */
    double *x = tt_calloc((size_t)m, sizeof *x);
    double *g = tt_malloc((size_t)m * sizeof *g);
    double *H = tt_malloc((size_t)m * m * sizeof *H);
    double *step = tt_malloc((size_t)m * sizeof *step);
    double *trial = tt_calloc((size_t)n, sizeof *trial);
    double *rhs = tt_malloc((size_t)m * sizeof *rhs);
    double *x_prev = tt_malloc((size_t)m * sizeof *x_prev);
    double *g_prev = tt_malloc((size_t)m * sizeof *g_prev);
    if (theta0) {
        double mean = 0;
        for (int j = 0; j < m; j++) mean += theta0[mid[j]];
        mean /= m;
        for (int j = 0; j < m; j++) x[j] = isfinite(theta0[mid[j]]) ? theta0[mid[j]] - mean : 0;
    }
    int full_step_pending = 0;
    double gmax_prev = INFINITY;
    for (int iter = 0;; iter++) {
        double gmax = 0, trace = 0;
        grad_hess(rows, w, cid, W, lambda, m, x, g, H, &gmax, &trace);
        info->iterations = iter;
        info->grad_max = gmax;
        if (gmax < o->tol) break;
        if (iter >= o->max_iter) {
            rc = tt_fail(err, TT_ERR, "bradley-terry fit did not converge in %d newton steps "
                         "(gradient %.3g)", o->max_iter, gmax);
            break;
        }
        if (full_step_pending && !(gmax < gmax_prev)) {
            /* the full step did not help: back to where it started, with a line search */
            memcpy(x, x_prev, (size_t)m * sizeof *x);
            double slope = 0;
            for (int j = 0; j < m; j++) slope += g_prev[j] * step[j];
            for (int j = 0; j < m; j++) trial[mid[j]] = x[j];
            double loss = penalised_loss(rows, w, lambda, mid, m, trial);
            double t = 1;
            for (int ls = 0; ls < 40; ls++, t *= 0.5) {
                for (int j = 0; j < m; j++) trial[mid[j]] = x[j] + t * step[j];
                double l2 = penalised_loss(rows, w, lambda, mid, m, trial);
                if (l2 <= loss + 1e-4 * t * slope + 1e-15 * fabs(loss)) break;
            }
            for (int j = 0; j < m; j++) x[j] += t * step[j];
            full_step_pending = 0;
            gmax_prev = INFINITY;
            continue;
        }
        if (lambda == 0) {
            double c = trace / ((double)m * m);
            for (size_t q = 0; q < (size_t)m * m; q++) H[q] += c;
        }
        for (int j = 0; j < m; j++) rhs[j] = -g[j];
        if (tt_chol_solve(H, m, rhs, step) != 0) {
            rc = tt_fail(err, TT_ERR, "bradley-terry fit failed: hessian is not positive definite");
            break;
        }
        memcpy(x_prev, x, (size_t)m * sizeof *x);
        memcpy(g_prev, g, (size_t)m * sizeof *g);
        gmax_prev = gmax;
        for (int j = 0; j < m; j++) x[j] += step[j];
        full_step_pending = 1;
    }
    for (int j = 0; j < m; j++) theta[mid[j]] = x[j];
    free(x_prev);
    free(g_prev);
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
