/*
 * style.c — the style-controlled Bradley–Terry fit of style.h: features,
 * the penalised log-likelihood with its gradient and Hessian (ratings
 * block a weighted Laplacian times ln(base)², a ratings × features block,
 * a features block Σ w p(1−p) f fᵀ, plus reg·I), Newton with Cholesky
 * solves, and the bootstrap over core/pool.h.
 */
#include "arena/style.h"
#include "core/linalg.h"
#include "core/pool.h"
#include "core/util.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define K ARENA_STYLE_K

void arena_style_opts_default(arena_style_opts *o)
{
    o->reg = 0.5;
    o->base = 10.0;
    o->scale = 400.0;
    o->init = 1000.0;
    o->tol = 1e-9;
    o->max_iter = 100;
}

const char *arena_style_feature_name(int k)
{
    static const char *const names[K] = {"length", "headers", "lists", "bold"};
    return k >= 0 && k < K ? names[k] : "?";
}

int arena_style_features(const arena_battles *l, const arena_index *idx, double *feat, double *mean, double *sd,
                         char *err)
{
    size_t missing = 0;
    for (size_t k = 0; k < idx->n; k++)
        if (!arena_battles_style(l, idx->src[k])) missing++;
    if (missing)
        return tt_fail(err, TT_ERR_USAGE,
                       "style control needs the style counts of every battle: %zu of %zu have none "
                       "(conv_metadata or conversations in the battle file, or votes stored by the arena)",
                       missing, idx->n);
    double m[K] = {0}, s2[K] = {0};
    for (size_t k = 0; k < idx->n; k++) {
        const double *st = arena_battles_style(l, idx->src[k]);
        for (int j = 0; j < K; j++) {
            double a = st[j], b = st[ARENA_STYLE_N + j];
            feat[k * K + j] = (a - b) / (a + b + 1.0);
            m[j] += feat[k * K + j];
        }
    }
    double n = idx->n ? (double)idx->n : 1.0;
    for (int j = 0; j < K; j++) m[j] /= n;
    for (size_t k = 0; k < idx->n; k++)
        for (int j = 0; j < K; j++) {
            double d = feat[k * K + j] - m[j];
            s2[j] += d * d;
        }
    for (int j = 0; j < K; j++) {
        double sdj = sqrt(s2[j] / n);
        if (mean) mean[j] = m[j];
        if (sd) sd[j] = sdj;
        for (size_t k = 0; k < idx->n; k++) feat[k * K + j] = sdj > 0 ? (feat[k * K + j] - m[j]) / sdj : 0.0;
    }
    return TT_OK;
}

static inline double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static inline double sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* Penalised loss at x. */
static double loss_at(const arena_index *idx, const double *feat, const double *w, double alpha, double reg, int n_models,
                      const double *x)
{
    double s = 0;
    const double *beta = x + n_models;
    for (size_t k = 0; k < idx->n; k++) {
        double wk = w ? w[k] : 1.0;
        if (wk == 0) continue;
        const double *f = feat + k * K;
        double z = alpha * (x[idx->a[k]] - x[idx->b[k]]) + f[0] * beta[0] + f[1] * beta[1] + f[2] * beta[2] + f[3] * beta[3];
        double y = idx->outcome[k] / 2.0;
        s += wk * (y * softplus(-z) + (1 - y) * softplus(z));
    }
    double r2 = 0;
    for (int i = 0; i < n_models + K; i++) r2 += x[i] * x[i];
    return s + 0.5 * reg * r2;
}

int arena_style_fit(const arena_index *idx, const double *feat, const double *w, const arena_style_opts *o,
                    const double *x0, double *x, int *iterations, char *err)
{
    int nm = idx->n_models, m = nm + K;
    double alpha = log(o->base), reg = o->reg;
    if (!(reg > 0)) return tt_fail(err, TT_ERR_USAGE, "style control needs a positive regularisation");
    double total = 0;
    for (size_t k = 0; k < idx->n; k++) total += w ? w[k] : 1.0;
    double gtol = o->tol * (total > 1 ? total : 1);
    if (x0) memcpy(x, x0, (size_t)m * sizeof *x);
    else memset(x, 0, (size_t)m * sizeof *x);
    double *g = tt_malloc((size_t)m * sizeof *g);
    double *H = tt_malloc((size_t)m * m * sizeof *H);
    double *step = tt_malloc((size_t)m * sizeof *step);
    double *rhs = tt_malloc((size_t)m * sizeof *rhs);
    double *trial = tt_malloc((size_t)m * sizeof *trial);
    int rc = TT_OK, iter;
    for (iter = 0;; iter++) {
        memset(g, 0, (size_t)m * sizeof *g);
        memset(H, 0, (size_t)m * m * sizeof *H);
        const double *beta = x + nm;
        double loss = 0;
        for (size_t k = 0; k < idx->n; k++) {
            double wk = w ? w[k] : 1.0;
            if (wk == 0) continue;
            const double *f = feat + k * K;
            int a = idx->a[k], b = idx->b[k];
            double z = alpha * (x[a] - x[b]) + f[0] * beta[0] + f[1] * beta[1] + f[2] * beta[2] + f[3] * beta[3];
            double y = idx->outcome[k] / 2.0;
            double p = sigmoid(z);
            loss += wk * (y * softplus(-z) + (1 - y) * softplus(z));
            double gk = wk * (p - y), hk = wk * p * (1 - p);
            g[a] += alpha * gk;
            g[b] -= alpha * gk;
            double h2 = alpha * alpha * hk;
            H[(size_t)a * m + a] += h2;
            H[(size_t)b * m + b] += h2;
            H[(size_t)a * m + b] -= h2;
            H[(size_t)b * m + a] -= h2;
            for (int j = 0; j < K; j++) {
                g[nm + j] += gk * f[j];
                double c = alpha * hk * f[j];
                H[(size_t)a * m + nm + j] += c;
                H[(size_t)b * m + nm + j] -= c;
                for (int i = 0; i <= j; i++) H[(size_t)(nm + i) * m + nm + j] += hk * f[i] * f[j];
            }
        }
        /* mirror the upper parts filled above, add the penalty */
        for (int j = 0; j < K; j++) {
            for (int a = 0; a < nm; a++) H[(size_t)(nm + j) * m + a] = H[(size_t)a * m + nm + j];
            for (int i = 0; i < j; i++) H[(size_t)(nm + j) * m + nm + i] = H[(size_t)(nm + i) * m + nm + j];
        }
        double gmax = 0;
        for (int i = 0; i < m; i++) {
            loss += 0.5 * reg * x[i] * x[i];
            g[i] += reg * x[i];
            H[(size_t)i * m + i] += reg;
            if (fabs(g[i]) > gmax) gmax = fabs(g[i]);
        }
        if (gmax <= gtol) break;
        if (iter >= o->max_iter) {
            rc = tt_fail(err, TT_ERR, "style-controlled fit did not converge in %d newton steps (gradient %.3g)",
                         o->max_iter, gmax);
            break;
        }
        for (int i = 0; i < m; i++) rhs[i] = -g[i];
        if (tt_chol_solve(H, m, rhs, step) != 0) {
            rc = tt_fail(err, TT_ERR, "style-controlled fit failed: hessian is not positive definite");
            break;
        }
        double slope = 0;
        for (int i = 0; i < m; i++) slope += g[i] * step[i];
        double t = 1;
        for (int ls = 0; ls < 40; ls++, t *= 0.5) {
            for (int i = 0; i < m; i++) trial[i] = x[i] + t * step[i];
            double l2 = loss_at(idx, feat, w, alpha, reg, nm, trial);
            if (l2 <= loss + 1e-4 * t * slope + 1e-15 * fabs(loss)) break;
        }
        for (int i = 0; i < m; i++) x[i] += t * step[i];
    }
    if (iterations) *iterations = iter;
    free(g);
    free(H);
    free(step);
    free(rhs);
    free(trial);
    return rc;
}

void arena_style_ratings(const arena_style_opts *o, int n_models, const double *x, double *ratings)
{
    for (int i = 0; i < n_models; i++) ratings[i] = o->scale * x[i] + o->init;
}

/* ---- bootstrap ------------------------------------------------------------------------ */

typedef struct style_job {
    const arena_index *idx;
    const double *feat;
    const arena_style_opts *o;
    const double *x_hat;
    uint64_t seed;
    double *ratings, *coef;
    double **w, **x;          /* per worker */
    pthread_mutex_t lock;
    int fail_round, fail_rc;
    char fail_msg[TT_ERR_SIZE];
} style_job;

static int style_round(void *arg, size_t round, int worker)
{
    style_job *j = arg;
    const arena_index *idx = j->idx;
    int nm = idx->n_models;
    if (!j->w[worker]) {
        j->w[worker] = tt_malloc((idx->n ? idx->n : 1) * sizeof(double));
        j->x[worker] = tt_malloc((size_t)(nm + K) * sizeof(double));
    }
    double *w = j->w[worker], *x = j->x[worker];
    tt_rng rng;
    tt_rng_seed(&rng, j->seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(round + 1)));
    memset(w, 0, idx->n * sizeof *w);
    for (size_t k = 0; k < idx->n; k++) w[tt_rng_below(&rng, idx->n)] += 1.0;
    char err[TT_ERR_SIZE];
    int rc = arena_style_fit(idx, j->feat, w, j->o, j->x_hat, x, NULL, err);
    if (rc != TT_OK) {
        pthread_mutex_lock(&j->lock);
        if ((int)round < j->fail_round) {
            j->fail_round = (int)round;
            j->fail_rc = rc;
            snprintf(j->fail_msg, sizeof j->fail_msg, "bootstrap round %zu: %.400s", round, err);
        }
        pthread_mutex_unlock(&j->lock);
        return 0;
    }
    arena_style_ratings(j->o, nm, x, j->ratings + round * (size_t)nm);
    memcpy(j->coef + round * K, x + nm, K * sizeof *x);
    return 0;
}

int arena_style_bootstrap(const arena_index *idx, const double *feat, const arena_style_opts *o,
                          const double *x_hat, int rounds, uint64_t seed, int threads, double *ratings,
                          double *coef, char *err)
{
    if (rounds <= 0) return TT_OK;
    int workers = tt_pool_workers(threads, (size_t)rounds);
    style_job j = {.idx = idx, .feat = feat, .o = o, .x_hat = x_hat, .seed = seed, .ratings = ratings, .coef = coef};
    j.w = tt_calloc((size_t)workers, sizeof *j.w);
    j.x = tt_calloc((size_t)workers, sizeof *j.x);
    j.fail_round = rounds;
    j.fail_rc = TT_OK;
    pthread_mutex_init(&j.lock, NULL);
    tt_parallel_for((size_t)rounds, threads, style_round, &j);
    for (int i = 0; i < workers; i++) {
        free(j.w[i]);
        free(j.x[i]);
    }
    free(j.w);
    free(j.x);
    pthread_mutex_destroy(&j.lock);
    if (j.fail_rc != TT_OK) return tt_fail(err, j.fail_rc, "%s", j.fail_msg);
    return TT_OK;
}
