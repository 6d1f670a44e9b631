/*
 * perf_scoring.c — scoring throughput of judges/metrics.c, filter.c and
 * stats.c on a large generated set, with plain exact_match as the baseline
 * measured in the same run (ratios are per-sample cost relative to it).
 *
 *   perf_scoring [N]     N samples per metric (default 1000000)
 *
 * Samples cycle through a pool of 65536 generated documents (responses of
 * 3–20 words from a mixed English/number/Chinese vocabulary, targets that
 * match about a third of the time), so the figures are for warm caches and
 * short answers, like GSM8K/MMLU-style answers. Multiple-choice samples have
 * 4 choices. Bootstrap figures are for the aggregation step on the whole set.
 * Times are process CPU seconds (single thread), not wall time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/filter.h"
#include "judges/metrics.h"
#include "judges/stats.h"
#include "core/util.h"

#define POOL 65536

static const char *const words[] = {
    "the", "answer", "is", "42", "1,234", "$5.00", "cat", "sat", "on", "mat", "Paris", "北京",
    "上海", "因此", "答案", "so", "we", "get", "####", "7", "-3", "apples", "and", "oranges.",
    "Therefore,", "total", "=", "12", "x", "(B)", "because", "of", "it", "3.5",
};
#define NWORDS (sizeof words / sizeof words[0])

static char *rand_text(tt_rng *r, int lo, int hi)
{
    int n = lo + (int)tt_rng_below(r, (uint64_t)(hi - lo + 1));
    tt_buf b;
    tt_buf_init(&b);
    for (int i = 0; i < n; i++) {
        if (i) tt_buf_puts(&b, " ");
        tt_buf_puts(&b, words[tt_rng_below(r, NWORDS)]);
    }
    if (!b.data) tt_buf_puts(&b, "");
    return tt_buf_detach(&b);
}

typedef struct pool {
    char *resp[POOL], *target[POOL];
    double lls[POOL][4], un[POOL][4];
    int greedy[POOL][4], gold[POOL];
    const char *choices[POOL][4];
} pool;

/* Process CPU seconds: the bench is single-threaded, and CPU time is far
 * steadier than wall time on a machine shared with other jobs. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double elapsed_since(double t0) { return cpu_now() - t0; }

static double baseline_rate;

static void report(const char *what, size_t n, double secs)
{
    double rate = (double)n / secs;
    if (baseline_rate == 0) baseline_rate = rate;
    printf("%-34s %10zu %9.3f s %12.0f /s   cost x%.2f\n", what, n, secs, rate, baseline_rate / rate);
}

static void bench_gen(pool *p, const char *spec_json, const char *label, size_t n, double *items)
{
    json_t *j = json_loads(spec_json, 0, NULL);
    metric_spec *s;
    int k;
    char err[TT_ERR_SIZE];
    if (!j || metric_spec_parse(j, &s, &k, err)) { fprintf(stderr, "bad spec %s\n", spec_json); exit(1); }
    int w = metric_item_width(s);
    double t0 = cpu_now();
    for (size_t i = 0; i < n; i++) {
        size_t d = i % POOL;
        const char *t = p->target[d];
        metric_score_generation(s, p->resp[d], &t, 1, items + (size_t)w * i, err);
    }
    double secs = elapsed_since(t0);
    report(label, n, secs);
    metric_specs_free(s, k);
    json_decref(j);
}

static void bench_mc(pool *p, const char *name, size_t n, double *items)
{
    char js[64];
    snprintf(js, sizeof js, "[\"%s\"]", name);
    json_t *j = json_loads(js, 0, NULL);
    metric_spec *s;
    int k;
    char err[TT_ERR_SIZE];
    metric_spec_parse(j, &s, &k, err);
    static const int labels[4] = { 1, 1, 0, 0 };
    double t0 = cpu_now();
    for (size_t i = 0; i < n; i++) {
        size_t d = i % POOL;
        metric_mc_input in = { 4, p->lls[d], p->greedy[d], p->choices[d], p->un[d], &p->gold[d], 1, labels };
        metric_score_mc(s, &in, items + (size_t)metric_item_width(s) * i, err);
    }
    char label[64];
    snprintf(label, sizeof label, "mc %s", name);
    report(label, n, elapsed_since(t0));
    metric_specs_free(s, k);
    json_decref(j);
}

static void bench_filter(pool *p, const char *chain_json, const char *label, size_t n, int per_doc)
{
    json_t *j = json_loads(chain_json, 0, NULL);
    filter_chain *c;
    char err[TT_ERR_SIZE];
    if (!j || filter_chain_parse(j, &c, err)) { fprintf(stderr, "bad chain: %s\n", err); exit(1); }
    double t0 = cpu_now();
    size_t docs = n / (size_t)per_doc;
    for (size_t i = 0; i < docs; i++) {
        const char *r[8];
        for (int k = 0; k < per_doc; k++) r[k] = p->resp[(i * (size_t)per_doc + (size_t)k) % POOL];
        char **out;
        int no;
        filter_chain_apply(c, r, per_doc, &out, &no);
        filter_strings_free(out, no);
    }
    report(label, docs * (size_t)per_doc, elapsed_since(t0));
    filter_chain_free(c);
    json_decref(j);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
    if (n < 100) n = 100;
    static pool p;
    tt_rng r;
    tt_rng_seed(&r, 2026);
    static const char *const ch[] = { "Paris", "北京", "上海市", "a very long choice text", "42", "(B)" };
    for (int i = 0; i < POOL; i++) {
        p.resp[i] = rand_text(&r, 3, 20);
        p.target[i] = tt_rng_uniform(&r) < 0.33 ? tt_strdup(p.resp[i]) : rand_text(&r, 1, 8);
        for (int k = 0; k < 4; k++) {
            p.lls[i][k] = -10 * tt_rng_uniform(&r);
            p.un[i][k] = -10 * tt_rng_uniform(&r);
            p.greedy[i][k] = tt_rng_uniform(&r) < 0.3;
            p.choices[i][k] = ch[tt_rng_below(&r, 6)];
        }
        p.gold[i] = (int)tt_rng_below(&r, 4);
    }
    double *items = tt_malloc(n * STATS_ITEM_MAX * sizeof(double));
    printf("scoring throughput, %zu samples per line (pool of %d documents)\n", n, POOL);
    printf("%-34s %10s %11s %14s   %s\n", "what", "samples", "time", "rate", "vs baseline");

    bench_gen(&p, "[\"exact_match\"]", "BASELINE gen exact_match", n, items);
    bench_gen(&p, "[{\"metric\":\"exact_match\",\"ignore_case\":true,\"ignore_punctuation\":true}]",
              "gen exact_match case+punct", n, items);
    bench_gen(&p, "[{\"metric\":\"exact_match\",\"regexes_to_ignore\":[\",\",\"\\\\$\",\"(?s).*#### \",\"\\\\.$\"]}]",
              "gen exact_match gsm8k regexes", n, items);
    bench_gen(&p, "[\"contains\"]", "gen contains", n, items);
    bench_gen(&p, "[\"numeric_match\"]", "gen numeric_match", n, items);
    bench_gen(&p, "[\"token_f1\"]", "gen token_f1", n, items);
    bench_gen(&p, "[\"rouge_l\"]", "gen rouge_l", n, items);
    bench_gen(&p, "[\"bleu\"]", "gen bleu (13a + n-gram stats)", n, items);
    double *bleu_items = tt_malloc(n * 10 * sizeof(double));
    memcpy(bleu_items, items, n * 10 * sizeof(double));

    static const char *const mcs[] = { "acc", "acc_norm", "acc_bytes", "acc_mutual_info", "mc2",
                                       "brier_score", "exact_match", "f1" };
    for (size_t i = 0; i < sizeof mcs / sizeof mcs[0]; i++) bench_mc(&p, mcs[i], n, items);

    bench_filter(&p, "{\"name\":\"none\"}", "filter none (take_first)", n, 1);
    bench_filter(&p, "{\"name\":\"strict-match\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":"
                     "\"#### (\\\\-?[0-9\\\\.\\\\,]+)\"},{\"function\":\"take_first\"}]}",
                 "filter gsm8k strict-match", n, 1);
    bench_filter(&p, "{\"name\":\"flex\",\"filter\":[{\"function\":\"last_number\"},{\"function\":\"take_first\"}]}",
                 "filter flexible-extract", n, 1);
    bench_filter(&p, "{\"name\":\"maj\",\"filter\":[{\"function\":\"last_number\"},{\"function\":\"majority_vote\"}]}",
                 "filter last_number+vote (5/doc)", n, 5);

    /* aggregation */
    char err[TT_ERR_SIZE];
    double v, se;
    for (size_t i = 0; i < n; i++) items[i] = (double)(i % 3 == 0);
    double t0 = cpu_now();
    stats_aggregate(STATS_MEAN, items, n, NULL, &v, &se, err);
    report("agg mean + closed-form stderr", n, elapsed_since(t0));
    stats_opts o = stats_opts_default();
    t0 = cpu_now();
    stats_aggregate(STATS_BLEU, bleu_items, n, &o, &v, &se, err);
    double secs = elapsed_since(t0);
    printf("agg bleu + 100-resample bootstrap over %zu docs: %.3f s (BLEU %.2f ± %.3f)\n", n, secs, v, se);
    size_t nb = n < 100000 ? n : 100000;
    for (size_t i = 0; i < nb; i++) items[i] = -1.0 - (double)(i % 17) / 10.0;
    t0 = cpu_now();
    stats_aggregate(STATS_PERPLEXITY, items, nb, &o, &v, &se, err);
    secs = elapsed_since(t0);
    printf("agg perplexity + %d-resample bootstrap (lm-eval MT19937) over %zu docs: %.3f s (%.1f M rows/s)\n",
           o.bootstrap_iters, nb, secs, (double)nb * o.bootstrap_iters / secs / 1e6);
    o.rng = STATS_RNG_SEEDED;
    t0 = cpu_now();
    stats_aggregate(STATS_PERPLEXITY, items, nb, &o, &v, &se, err);
    secs = elapsed_since(t0);
    printf("agg perplexity + %d-resample bootstrap (tt_rng) over %zu docs: %.3f s (%.1f M rows/s)\n",
           o.bootstrap_iters, nb, secs, (double)nb * o.bootstrap_iters / secs / 1e6);

    for (int i = 0; i < POOL; i++) { free(p.resp[i]); free(p.target[i]); }
    free(items);
    free(bleu_items);
    return 0;
}
