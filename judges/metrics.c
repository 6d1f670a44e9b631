/*
 * metrics.c — per-sample metrics (accuracy family, exact match, token F1,
 * BLEU statistics, ROUGE-L, perplexity items) and the parser of a task's
 * `metrics` list. Called by the runner through metrics.h; aggregation of the
 * items it produces is in stats.c. Definitions follow lm-evaluation-harness
 * (lm-evaluation-harness lm_eval/api/metrics.py; docs/scoring.md); metrics.h lists each one.
 */
#include "judges/metrics.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/util.h"

enum { IN_MC = 1, IN_GEN = 2, IN_LL = 4, IN_ROLL = 8, IN_CODE = 16, IN_IFEVAL = 32 };

static const struct metric_def {
    const char *name;
    metric_kind kind;
    stats_agg agg;
    int higher_is_better;
    int inputs;
} defs[METRIC_KIND_COUNT] = {
    { "acc", METRIC_ACC, STATS_MEAN, 1, IN_MC | IN_LL },
    { "acc_norm", METRIC_ACC_NORM, STATS_MEAN, 1, IN_MC },
    { "acc_bytes", METRIC_ACC_BYTES, STATS_MEAN, 1, IN_MC },
    { "acc_mutual_info", METRIC_ACC_MUTUAL_INFO, STATS_MEAN, 1, IN_MC },
    { "mc1", METRIC_MC1, STATS_MEAN, 1, IN_MC },
    { "mc2", METRIC_MC2, STATS_MEAN, 1, IN_MC },
    { "brier_score", METRIC_BRIER_SCORE, STATS_BRIER_SCORE, 0, IN_MC },
    { "f1", METRIC_F1, STATS_F1, 1, IN_MC },
    { "mcc", METRIC_MCC, STATS_MCC, 1, IN_MC },
    { "exact_match", METRIC_EXACT_MATCH, STATS_MEAN, 1, IN_MC | IN_GEN },
    { "contains", METRIC_CONTAINS, STATS_MEAN, 1, IN_GEN },
    { "numeric_match", METRIC_NUMERIC_MATCH, STATS_MEAN, 1, IN_GEN },
    { "token_f1", METRIC_TOKEN_F1, STATS_MEAN, 1, IN_GEN },
    { "bleu", METRIC_BLEU, STATS_BLEU, 1, IN_GEN },
    { "rouge_l", METRIC_ROUGE_L, STATS_MEAN, 1, IN_GEN },
    { "perplexity", METRIC_PERPLEXITY, STATS_PERPLEXITY, 0, IN_LL },
    { "word_perplexity", METRIC_WORD_PERPLEXITY, STATS_WEIGHTED_PERPLEXITY, 0, IN_ROLL },
    { "byte_perplexity", METRIC_BYTE_PERPLEXITY, STATS_WEIGHTED_PERPLEXITY, 0, IN_ROLL },
    { "bits_per_byte", METRIC_BITS_PER_BYTE, STATS_BITS_PER_BYTE, 0, IN_ROLL },
    { "pass@1", METRIC_PASS_AT_1, STATS_MEAN, 1, IN_CODE },
    { "pass@5", METRIC_PASS_AT_5, STATS_MEAN, 1, IN_CODE },
    { "pass@10", METRIC_PASS_AT_10, STATS_MEAN, 1, IN_CODE },
    { "pass@100", METRIC_PASS_AT_100, STATS_MEAN, 1, IN_CODE },
    { "prompt_level_strict_acc", METRIC_PROMPT_LEVEL_STRICT_ACC, STATS_MEAN, 1, IN_IFEVAL },
    { "inst_level_strict_acc", METRIC_INST_LEVEL_STRICT_ACC, STATS_FLAT_MEAN, 1, IN_IFEVAL },
    { "prompt_level_loose_acc", METRIC_PROMPT_LEVEL_LOOSE_ACC, STATS_MEAN, 1, IN_IFEVAL },
    { "inst_level_loose_acc", METRIC_INST_LEVEL_LOOSE_ACC, STATS_FLAT_MEAN, 1, IN_IFEVAL },
};

int metric_pass_k(const metric_spec *m)
{
    switch (m->kind) {
    case METRIC_PASS_AT_1: return 1;
    case METRIC_PASS_AT_5: return 5;
    case METRIC_PASS_AT_10: return 10;
    case METRIC_PASS_AT_100: return 100;
    default: return 0;
    }
}

int metric_kind_from_name(const char *name, metric_kind *kind)
{
    if (!name) return TT_ERR_NOTFOUND;
    if (strcmp(name, "squad_f1") == 0) { *kind = METRIC_TOKEN_F1; return TT_OK; }
    if (strcmp(name, "matthews_corrcoef") == 0) { *kind = METRIC_MCC; return TT_OK; }
    for (int i = 0; i < METRIC_KIND_COUNT; i++)
        if (strcmp(name, defs[i].name) == 0) { *kind = defs[i].kind; return TT_OK; }
    return TT_ERR_NOTFOUND;
}

const char *metric_kind_name(metric_kind kind)
{
    return (unsigned)kind < METRIC_KIND_COUNT ? defs[kind].name : "?";
}

int metric_item_width(const metric_spec *m) { return stats_item_width(m->agg); }

/* Item family: aggregations that read the same row shape. */
static int agg_family(stats_agg a)
{
    switch (a) {
    case STATS_WEIGHTED_PERPLEXITY:
    case STATS_BITS_PER_BYTE: return 1;
    case STATS_F1:
    case STATS_MCC: return 2;
    case STATS_BLEU: return 3;
    case STATS_FLAT_MEAN: return 4;
    default: return 0;
    }
}

static void spec_init(metric_spec *s, metric_kind k)
{
    memset(s, 0, sizeof *s);
    s->kind = k;
    s->name = defs[k].name;
    s->agg = defs[k].agg;
    s->higher_is_better = defs[k].higher_is_better;
    s->abs_tol = 1e-6;
    s->rel_tol = 0.0;
}

static void spec_clear(metric_spec *s)
{
    for (int i = 0; i < s->n_ignore; i++) pytext_regex_free(&s->ignore[i]);
    free(s->ignore);
    s->ignore = NULL;
    s->n_ignore = 0;
}

void metric_specs_free(metric_spec *specs, int n)
{
    if (!specs) return;
    for (int i = 0; i < n; i++) spec_clear(&specs[i]);
    free(specs);
}

static int get_bool(json_t *v, int *out, const char *where, const char *key, char *err)
{
    if (!json_is_boolean(v)) return tt_fail(err, TT_ERR_PARSE, "%s: field '%s' must be true or false", where, key);
    *out = json_is_true(v);
    return TT_OK;
}

static int parse_one(json_t *el, metric_spec *s, const char *where, char *err)
{
    const char *name = json_is_string(el) ? json_string_value(el)
                       : json_is_object(el) ? json_string_value(json_object_get(el, "metric")) : NULL;
    if (!name)
        return tt_fail(err, TT_ERR_PARSE, "%s: must be a metric name or an object with a string 'metric'", where);
    metric_kind k;
    if (metric_kind_from_name(name, &k)) return tt_fail(err, TT_ERR_PARSE, "%s: unknown metric '%s'", where, name);
    spec_init(s, k);
    if (!json_is_object(el)) return TT_OK;
    const char *key;
    json_t *v;
    int text_opts = k == METRIC_EXACT_MATCH || k == METRIC_CONTAINS;
    json_object_foreach(el, key, v) {
        int rc = TT_OK;
        if (strcmp(key, "metric") == 0) continue;
        if (strcmp(key, "aggregation") == 0) {
            stats_agg a;
            if (!json_is_string(v) || stats_agg_from_name(json_string_value(v), &a))
                rc = tt_fail(err, TT_ERR_PARSE, "%s '%s': unknown aggregation '%s'", where, name,
                             json_is_string(v) ? json_string_value(v) : "(not a string)");
            else if (agg_family(a) != agg_family(defs[k].agg))
                rc = tt_fail(err, TT_ERR_PARSE, "%s '%s': aggregation '%s' does not fit this metric's items",
                             where, name, json_string_value(v));
            else s->agg = a;
        } else if (strcmp(key, "higher_is_better") == 0) {
            rc = get_bool(v, &s->higher_is_better, where, key, err);
        } else if (text_opts && strcmp(key, "ignore_case") == 0) {
            rc = get_bool(v, &s->ignore_case, where, key, err);
        } else if (text_opts && strcmp(key, "ignore_punctuation") == 0) {
            rc = get_bool(v, &s->ignore_punctuation, where, key, err);
        } else if (text_opts && strcmp(key, "ignore_numbers") == 0) {
            rc = get_bool(v, &s->ignore_numbers, where, key, err);
        } else if (text_opts && strcmp(key, "regexes_to_ignore") == 0) {
            if (json_is_null(v)) continue;
            if (!json_is_array(v)) {
                rc = tt_fail(err, TT_ERR_PARSE, "%s: field 'regexes_to_ignore' must be an array of strings", where);
            } else {
                size_t nr = json_array_size(v);
                spec_clear(s);
                s->ignore = tt_calloc(nr ? nr : 1, sizeof *s->ignore);
                for (size_t i = 0; i < nr && rc == TT_OK; i++) {
                    const char *pat = json_string_value(json_array_get(v, i));
                    char rerr[TT_ERR_SIZE];
                    if (!pat)
                        rc = tt_fail(err, TT_ERR_PARSE, "%s: regexes_to_ignore[%zu] must be a string", where, i);
                    else if (pytext_regex_compile(&s->ignore[i], pat, rerr))
                        rc = tt_fail(err, TT_ERR_PARSE, "%s: regexes_to_ignore[%zu]: %s", where, i, rerr);
                    else s->n_ignore++;
                }
            }
        } else if (k == METRIC_NUMERIC_MATCH && (strcmp(key, "abs_tol") == 0 || strcmp(key, "rel_tol") == 0)) {
            if (!json_is_number(v) || json_number_value(v) < 0)
                rc = tt_fail(err, TT_ERR_PARSE, "%s: field '%s' must be a number >= 0", where, key);
            else if (key[0] == 'a') s->abs_tol = json_number_value(v);
            else s->rel_tol = json_number_value(v);
        } else {
            rc = tt_fail(err, TT_ERR_PARSE, "%s '%s': unknown field '%s'", where, name, key);
        }
        if (rc) { spec_clear(s); return rc; }
    }
    return TT_OK;
}

int metric_spec_parse(const json_t *metrics, metric_spec **out, int *n, char *err)
{
    if (!json_is_array(metrics)) return tt_fail(err, TT_ERR_PARSE, "metrics: must be an array");
    size_t m = json_array_size(metrics);
    if (m == 0) return tt_fail(err, TT_ERR_PARSE, "metrics: empty list");
    metric_spec *v = tt_calloc(m, sizeof *v);
    for (size_t i = 0; i < m; i++) {
        char where[64];
        snprintf(where, sizeof where, "metrics[%zu]", i);
        int rc = parse_one(json_array_get(metrics, i), &v[i], where, err);
        if (rc) { metric_specs_free(v, (int)i); return rc; }
        for (size_t j = 0; j < i; j++)
            if (v[j].kind == v[i].kind) {
                tt_fail(err, TT_ERR_PARSE, "%s: metric '%s' listed twice", where, v[i].name);
                metric_specs_free(v, (int)i + 1);
                return TT_ERR_PARSE;
            }
    }
    *out = v;
    *n = (int)m;
    return TT_OK;
}

int metric_spec_defaults(const char *output_type, metric_spec **out, int *n, char *err)
{
    metric_kind ks[3];
    int k = 0;
    if (!output_type) output_type = "";
    if (strcmp(output_type, "multiple_choice") == 0) { ks[k++] = METRIC_ACC; ks[k++] = METRIC_ACC_NORM; }
    else if (strcmp(output_type, "loglikelihood") == 0) { ks[k++] = METRIC_PERPLEXITY; ks[k++] = METRIC_ACC; }
    else if (strcmp(output_type, "loglikelihood_rolling") == 0) {
        ks[k++] = METRIC_WORD_PERPLEXITY; ks[k++] = METRIC_BYTE_PERPLEXITY; ks[k++] = METRIC_BITS_PER_BYTE;
    } else if (strcmp(output_type, "generate_until") == 0) ks[k++] = METRIC_EXACT_MATCH;
    else return tt_fail(err, TT_ERR_PARSE, "unknown output_type '%s'", output_type);
    metric_spec *v = tt_calloc((size_t)k, sizeof *v);
    for (int i = 0; i < k; i++) spec_init(&v[i], ks[i]);
    *out = v;
    *n = k;
    return TT_OK;
}

/* ---- multiple choice ------------------------------------------------------ */

int metric_argmax(const double *v, int n)
{
    if (n <= 0) return -1;
    int best = 0;
    for (int i = 0; i < n; i++)
        if (isnan(v[i])) return i;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

static int gold_valid(const metric_mc_input *in, int g) { return g >= 0 && g < in->n_choices; }

static int pred_is_gold(const metric_mc_input *in, int pred)
{
    for (int i = 0; i < in->n_gold; i++)
        if (gold_valid(in, in->gold[i]) && in->gold[i] == pred) return 1;
    return 0;
}

static double safe_div(double ll, double len)
{
    if (len > 0) return ll / len;
    return ll < 0 ? -INFINITY : ll > 0 ? INFINITY : NAN;   /* numpy's x / 0.0 */
}

int metric_score_mc(const metric_spec *m, const metric_mc_input *in, double *item, char *err)
{
    if (!(defs[m->kind].inputs & IN_MC))
        return tt_fail(err, TT_ERR_UNSUPPORTED, "metric '%s' does not apply to multiple_choice", m->name);
    int n = in->n_choices;
    if (n <= 0 || !in->lls) return tt_fail(err, TT_ERR_USAGE, "metric '%s': no choices", m->name);
    if (!in->gold || in->n_gold <= 0) return tt_fail(err, TT_ERR_USAGE, "metric '%s': no gold index", m->name);
    double stackv[64];
    double *v = n <= 64 ? stackv : tt_malloc((size_t)n * sizeof *v);
    int rc = TT_OK;
    switch (m->kind) {
    case METRIC_ACC:
    case METRIC_MC1:
        item[0] = pred_is_gold(in, metric_argmax(in->lls, n));
        break;
    case METRIC_ACC_NORM:
    case METRIC_ACC_BYTES:
        if (!in->choices) { rc = tt_fail(err, TT_ERR_USAGE, "metric '%s': choice strings missing", m->name); break; }
        for (int i = 0; i < n; i++) {
            const char *c = in->choices[i] ? in->choices[i] : "";
            size_t bytes = strlen(c);
            double len = m->kind == METRIC_ACC_NORM ? (double)tt_utf8_codepoints(c, bytes) : (double)bytes;
            v[i] = safe_div(in->lls[i], len);
        }
        item[0] = pred_is_gold(in, metric_argmax(v, n));
        break;
    case METRIC_ACC_MUTUAL_INFO:
        if (!in->lls_uncond) { rc = tt_fail(err, TT_ERR_USAGE, "metric 'acc_mutual_info': unconditional loglikelihoods missing"); break; }
        for (int i = 0; i < n; i++) v[i] = in->lls[i] - in->lls_uncond[i];
        item[0] = pred_is_gold(in, metric_argmax(v, n));
        break;
    case METRIC_EXACT_MATCH: {
        if (!in->is_greedy) { rc = tt_fail(err, TT_ERR_USAGE, "metric 'exact_match': is_greedy flags missing"); break; }
        int any = 0, unknown = 0;
        for (int i = 0; i < in->n_gold; i++) {
            if (!gold_valid(in, in->gold[i])) continue;
            if (in->is_greedy[in->gold[i]] > 0) any = 1;
            else if (in->is_greedy[in->gold[i]] < 0) unknown = 1;
        }
        item[0] = any ? 1 : unknown ? NAN : 0;   /* unknown is no value, never a guess */
        break;
    }
    case METRIC_MC2: {
        /* lm-eval's process_results_mc2 (lm_eval/tasks/truthfulqa/utils.py):
         * probs = exp(lls), normalised, summed where the label is 1. The
         * maximum is subtracted first, which changes nothing but keeps very
         * negative loglikelihoods from underflowing to 0/0. */
        if (!in->labels) { rc = tt_fail(err, TT_ERR_USAGE, "metric '%s': labels missing", m->name); break; }
        double mx = -INFINITY;
        for (int i = 0; i < n; i++) if (in->lls[i] > mx) mx = in->lls[i];
        double t = 0, all = 0;
        for (int i = 0; i < n; i++) {
            double e = exp(in->lls[i] - mx);
            all += e;
            if (in->labels[i] == 1) t += e;
        }
        item[0] = t / all;
        break;
    }
    case METRIC_BRIER_SCORE: {
        int g = in->gold[0];
        if (in->n_gold != 1 || !gold_valid(in, g)) {
            rc = tt_fail(err, TT_ERR_USAGE, "metric 'brier_score': needs one gold index in range");
            break;
        }
        double mx = -INFINITY, sum = 0;
        for (int i = 0; i < n; i++) if (in->lls[i] > mx) mx = in->lls[i];
        for (int i = 0; i < n; i++) { v[i] = exp(in->lls[i] - mx); sum += v[i]; }
        double b = 0;
        for (int i = 0; i < n; i++) {
            double d = v[i] / sum - (i == g ? 1.0 : 0.0);
            b += d * d;
        }
        item[0] = b;
        break;
    }
    case METRIC_F1:
    case METRIC_MCC:
        item[0] = gold_valid(in, in->gold[0]) ? in->gold[0] : -100;
        item[1] = metric_argmax(in->lls, n);
        break;
    default:
        rc = tt_fail(err, TT_ERR_UNSUPPORTED, "metric '%s' does not apply to multiple_choice", m->name);
    }
    if (v != stackv) free(v);
    return rc;
}

/* ---- loglikelihood and rolling ------------------------------------------ */

int metric_score_loglikelihood(const metric_spec *m, double ll, int is_greedy, double *item, char *err)
{
    if (m->kind == METRIC_PERPLEXITY) { item[0] = ll; return TT_OK; }
    if (m->kind == METRIC_ACC) { item[0] = is_greedy < 0 ? NAN : is_greedy ? 1.0 : 0.0; return TT_OK; }
    return tt_fail(err, TT_ERR_UNSUPPORTED, "metric '%s' does not apply to loglikelihood", m->name);
}

/* Pieces of re.split(r"\s+", text): runs of whitespace + 1. */
static double count_words(const char *s)
{
    size_t n = strlen(s), i = 0;
    double pieces = 1;
    while (i < n) {
        size_t w = pytext_space_len(s + i, n - i);
        if (!w) { i++; continue; }
        pieces++;
        while (i < n && (w = pytext_space_len(s + i, n - i)) > 0) i += w;
    }
    return pieces;
}

int metric_score_rolling(const metric_spec *m, double ll, const char *text, double *item, char *err)
{
    if (!text) text = "";
    item[0] = ll;
    switch (m->kind) {
    case METRIC_WORD_PERPLEXITY: item[1] = count_words(text); return TT_OK;
    case METRIC_BYTE_PERPLEXITY:
    case METRIC_BITS_PER_BYTE: item[1] = (double)strlen(text); return TT_OK;
    default:
        return tt_fail(err, TT_ERR_UNSUPPORTED, "metric '%s' does not apply to loglikelihood_rolling", m->name);
    }
}

/* ---- generation: exact match family ---------------------------------------- */

static int is_py_punct(unsigned char c) { return c < 0x80 && ispunct(c); }

/* exact_match normalisation, in lm-eval's order (exact_match_hf_evaluate in
 * lm_eval/api/metrics.py): re.sub each regexes_to_ignore, then lower()
 * (numpy's char.lower is str.lower per element: Unicode), then drop
 * string.punctuation, then string.digits. Caller frees. */
static char *em_normalize(const metric_spec *m, const char *s)
{
    char *cur = tt_strdup(s);
    for (int i = 0; i < m->n_ignore; i++) {
        char *nx = pytext_regex_remove(&m->ignore[i], cur);
        free(cur);
        cur = nx;
    }
    if (m->ignore_case) {
        char *lo = pytext_lower(cur, strlen(cur));
        free(cur);
        cur = lo;
    }
    char *w = cur;
    for (char *p = cur; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (m->ignore_punctuation && is_py_punct(c)) continue;
        if (m->ignore_numbers && c >= '0' && c <= '9') continue;
        *w++ = (char)c;
    }
    *w = '\0';
    return cur;
}

int metric_parse_number(const char *s, double *out)
{
    if (!s) return 0;
    size_t n = strlen(s);
    char *t = tt_malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != ',' && s[i] != '$') t[k++] = s[i];
    t[k] = '\0';
    pytext_span sp = pytext_strip(t, k);
    int ok = sp.len > 0;
    for (size_t i = 0; ok && i < sp.len; i++)
        if (!strchr("0123456789+-.eE", sp.p[i])) ok = 0;
    if (ok) {
        char *num = tt_strndup(sp.p, sp.len), *end = NULL;
        double v = strtod(num, &end);
        ok = end && *end == '\0' && end != num && isfinite(v);
        if (ok) *out = v;
        free(num);
    }
    free(t);
    return ok;
}

/* ---- token F1 (SQuAD) ------------------------------------------------------ */

static int span_cmp(const void *a, const void *b)
{
    const pytext_span *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* Normalised SQuAD tokens of s: *buf holds the text (caller frees both). */
static size_t squad_tokens(const char *s, char **buf, pytext_span **toks)
{
    char *t = pytext_lower(s, strlen(s));   /* s.lower(): Unicode */
    size_t k = 0;
    for (size_t i = 0; t[i]; i++) {
        unsigned char c = (unsigned char)t[i];
        if (is_py_punct(c)) continue;
        t[k++] = (char)c;
    }
    t[k] = '\0';
    pytext_span *v = NULL;
    size_t m = pytext_split(t, k, &v), w = 0;
    for (size_t i = 0; i < m; i++) {
        if ((v[i].len == 1 && v[i].p[0] == 'a') || (v[i].len == 2 && memcmp(v[i].p, "an", 2) == 0) ||
            (v[i].len == 3 && memcmp(v[i].p, "the", 3) == 0))
            continue;
        v[w++] = v[i];
    }
    *buf = t;
    *toks = v;
    return w;
}

double metric_token_f1(const char *prediction, const char *target)
{
    char *pb, *tb;
    pytext_span *pt, *tt;
    size_t np = squad_tokens(prediction ? prediction : "", &pb, &pt);
    size_t nt = squad_tokens(target ? target : "", &tb, &tt);
    double f1;
    if (np == 0 || nt == 0) {
        f1 = (np == 0 && nt == 0) ? 1.0 : 0.0;
    } else {
        qsort(pt, np, sizeof *pt, span_cmp);
        qsort(tt, nt, sizeof *tt, span_cmp);
        size_t i = 0, j = 0, same = 0;
        while (i < np && j < nt) {   /* multiset intersection of sorted lists */
            int c = span_cmp(&pt[i], &tt[j]);
            if (c == 0) { same++; i++; j++; }
            else if (c < 0) i++;
            else j++;
        }
        if (same == 0) f1 = 0.0;
        else {
            double p = (double)same / (double)np, r = (double)same / (double)nt;
            f1 = 2 * p * r / (p + r);
        }
    }
    free(pb); free(tb); free(pt); free(tt);
    return f1;
}

/* ---- ROUGE-L (rouge_score) ----------------------------------------------- */

static size_t rouge_tokens(const char *s, char **buf, pytext_span **toks)
{
    size_t n = strlen(s);
    char *t = tt_malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tolower((unsigned char)s[i]);
        t[i] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? (char)c : ' ';
    }
    t[n] = '\0';
    *buf = t;
    return pytext_split(t, n, toks);
}

double metric_rouge_l(const char *prediction, const char *target)
{
    char *pb, *tb;
    pytext_span *pt, *tt;
    size_t np = rouge_tokens(prediction ? prediction : "", &pb, &pt);
    size_t nt = rouge_tokens(target ? target : "", &tb, &tt);
    double f = 0.0;
    if (np > 0 && nt > 0) {
        size_t *prev = tt_calloc(nt + 1, sizeof *prev), *cur = tt_calloc(nt + 1, sizeof *cur);
        for (size_t i = 1; i <= np; i++) {
            for (size_t j = 1; j <= nt; j++) {
                if (span_cmp(&pt[i - 1], &tt[j - 1]) == 0) cur[j] = prev[j - 1] + 1;
                else cur[j] = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
            }
            size_t *sw = prev; prev = cur; cur = sw;
        }
        size_t lcs = prev[nt];
        free(prev); free(cur);
        if (lcs > 0) {
            double p = (double)lcs / (double)np, r = (double)lcs / (double)nt;
            f = 2 * p * r / (p + r);
        }
    }
    free(pb); free(tb); free(pt); free(tt);
    return f;
}

/* ---- BLEU (sacrebleu 13a + corpus statistics) ----------------------------- */

static void replace_all(tt_buf *out, const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from);
    const char *p = s, *q;
    tt_buf_reset(out);
    while ((q = strstr(p, from)) != NULL) {
        tt_buf_append(out, p, (size_t)(q - p));
        tt_buf_puts(out, to);
        p = q + fl;
    }
    tt_buf_puts(out, p);
    if (!out->data) tt_buf_append(out, "", 0);
}

static int in_13a_class(unsigned char c)
{
    return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
           (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == 0x2F;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

char *metric_bleu_tokenize_13a(const char *s)
{
    if (!s) s = "";
    pytext_span st = pytext_strip(s, strlen(s));
    /* rstrip only: keep the leading part */
    size_t len = (size_t)(st.p - s) + st.len;
    if (st.len == 0) len = 0;
    char *line = tt_strndup(s, len);
    tt_buf a, b;
    tt_buf_init(&a);
    tt_buf_init(&b);
    static const char *const reps[][2] = {
        { "<skipped>", "" }, { "-\n", "" }, { "\n", " " },
    };
    tt_buf_puts(&a, line);
    if (!a.data) tt_buf_append(&a, "", 0);
    free(line);
    for (size_t i = 0; i < 3; i++) {
        replace_all(&b, a.data, reps[i][0], reps[i][1]);
        tt_buf t = a; a = b; b = t;
    }
    if (strchr(a.data, '&')) {
        static const char *const ents[][2] = {
            { "&quot;", "\"" }, { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
        };
        for (size_t i = 0; i < 4; i++) {
            replace_all(&b, a.data, ents[i][0], ents[i][1]);
            tt_buf t = a; a = b; b = t;
        }
    }
    /* f" {line} " then the four regex passes, each a left-to-right,
     * non-overlapping substitution as re.sub does. Pass 1 at most triples
     * the length; passes 2-4 turn 2 bytes into 4 at most, so each output
     * fits in twice its input. */
    size_t n0 = a.len;
    char *x = tt_malloc(3 * n0 + 3), *y;
    size_t nx = 0, ny;
    x[nx++] = ' ';
    for (size_t i = 0; i < n0; i++) {
        char c = a.data[i];
        if (in_13a_class((unsigned char)c)) { x[nx++] = ' '; x[nx++] = c; x[nx++] = ' '; }
        else x[nx++] = c;
    }
    x[nx++] = ' ';
    /* pass 2: ([^0-9])([\.,]) -> "\1 \2 " */
    y = tt_malloc(2 * nx + 1);
    ny = 0;
    for (size_t i = 0; i < nx;) {
        if (i + 1 < nx && !is_digit(x[i]) && (x[i + 1] == '.' || x[i + 1] == ',')) {
            y[ny++] = x[i]; y[ny++] = ' '; y[ny++] = x[i + 1]; y[ny++] = ' ';
            i += 2;
        } else y[ny++] = x[i++];
    }
    free(x);
    /* pass 3: ([\.,])([^0-9]) -> " \1 \2" */
    x = tt_malloc(2 * ny + 1);
    nx = 0;
    for (size_t i = 0; i < ny;) {
        if (i + 1 < ny && (y[i] == '.' || y[i] == ',') && !is_digit(y[i + 1])) {
            x[nx++] = ' '; x[nx++] = y[i]; x[nx++] = ' '; x[nx++] = y[i + 1];
            i += 2;
        } else x[nx++] = y[i++];
    }
    free(y);
    /* pass 4: ([0-9])(-) -> "\1 \2 " */
    y = tt_malloc(2 * nx + 1);
    ny = 0;
    for (size_t i = 0; i < nx;) {
        if (i + 1 < nx && is_digit(x[i]) && x[i + 1] == '-') {
            y[ny++] = x[i]; y[ny++] = ' '; y[ny++] = '-'; y[ny++] = ' ';
            i += 2;
        } else y[ny++] = x[i++];
    }
    free(x);
    y[ny] = '\0';
    /* ' '.join(line.split()) */
    char *out = tt_malloc(ny + 1);
    size_t no = 0;
    for (size_t i = 0; i < ny;) {
        size_t w = pytext_space_len(y + i, ny - i);
        if (w) { i += w; continue; }
        if (no) out[no++] = ' ';
        while (i < ny && (w = pytext_space_len(y + i, ny - i)) == 0) out[no++] = y[i++];
    }
    out[no] = '\0';
    free(y);
    tt_buf_free(&a);
    tt_buf_free(&b);
    return out;
}

/* Tokens of all sentences mapped to integer ids (exact string identity). */
typedef struct tokref { pytext_span s; size_t pos; } tokref;

static int tokref_cmp(const void *a, const void *b)
{
    return span_cmp(&((const tokref *)a)->s, &((const tokref *)b)->s);
}

typedef struct ngram_ctx { const int *ids; int k; } ngram_ctx;

static int ngram_cmp(const void *a, const void *b, void *vctx)
{
    const ngram_ctx *c = vctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    for (int i = 0; i < c->k; i++) {
        int d = c->ids[x + (size_t)i] - c->ids[y + (size_t)i];
        if (d) return d < 0 ? -1 : 1;
    }
    return 0;
}

/* Count of ngram at ids[start..start+k) in the sorted array of positions. */
static size_t count_in(const size_t *sorted, size_t n, size_t start, ngram_ctx *c)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ngram_cmp(&sorted[mid], &start, c) < 0) lo = mid + 1; else hi = mid;
    }
    size_t first = lo;
    hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ngram_cmp(&sorted[mid], &start, c) <= 0) lo = mid + 1; else hi = mid;
    }
    return lo - first;
}

/* Brute-force n-gram statistics for short sentences: for each first
 * occurrence of a hypothesis n-gram, count it in the hypothesis and in each
 * reference by direct comparison. O(L·ΣL) per order, no allocation. */
static int ngram_eq(const int *ids, size_t a, size_t b, int k)
{
    for (int i = 0; i < k; i++)
        if (ids[a + (size_t)i] != ids[b + (size_t)i]) return 0;
    return 1;
}

static void bleu_counts_brute(const int *ids, const size_t *slen, const size_t *soff, int ns, double *item)
{
    size_t hyp_len = slen[0];
    for (int k = 1; k <= 4 && hyp_len >= (size_t)k; k++) {
        size_t nh = hyp_len - (size_t)k + 1;
        item[6 + k - 1] = (double)nh;
        double correct = 0;
        for (size_t i = 0; i < nh; i++) {
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++) seen = ngram_eq(ids, j, i, k);
            if (seen) continue;
            size_t hc = 1, rmax = 0;
            for (size_t j = i + 1; j < nh; j++) hc += (size_t)ngram_eq(ids, j, i, k);
            for (int s = 1; s < ns; s++) {
                size_t rc = 0;
                for (size_t j = 0; j + (size_t)k <= slen[s]; j++) rc += (size_t)ngram_eq(ids, soff[s] + j, i, k);
                if (rc > rmax) rmax = rc;
            }
            correct += (double)(hc < rmax ? hc : rmax);
        }
        item[2 + k - 1] = correct;
    }
}

void metric_bleu_stats(const char *hyp_tok, const char *const *refs_tok, int n_refs, double *item)
{
    metric_bleu_stats_method(hyp_tok, refs_tok, n_refs, item, 0);
}

void metric_bleu_stats_method(const char *hyp_tok, const char *const *refs_tok, int n_refs, double *item,
                              int method)
{
    for (int i = 0; i < 10; i++) item[i] = 0;
    int ns = 1 + (n_refs > 0 ? n_refs : 0);
    pytext_span **sent = tt_calloc((size_t)ns, sizeof *sent);
    size_t *slen = tt_calloc((size_t)ns, sizeof *slen), *soff = tt_calloc((size_t)ns + 1, sizeof *soff);
    for (int s = 0; s < ns; s++) {
        const char *t = s == 0 ? hyp_tok : refs_tok[s - 1];
        if (!t) t = "";
        slen[s] = pytext_split(t, strlen(t), &sent[s]);
        soff[s + 1] = soff[s] + slen[s];
    }
    size_t total = soff[ns];
    int brute = method == 1 || (method == 0 && total <= 256);
    int *ids = tt_calloc(total + 1, sizeof *ids);
    if (brute) {
        /* intern by comparison with the first occurrence of each token */
        int next = 0;
        pytext_span **flat = tt_calloc(total + 1, sizeof *flat);
        for (int s = 0; s < ns; s++)
            for (size_t i = 0; i < slen[s]; i++) flat[soff[s] + i] = &sent[s][i];
        for (size_t i = 0; i < total; i++) {
            ids[i] = -1;
            for (size_t j = 0; j < i; j++)
                if (flat[j]->len == flat[i]->len && memcmp(flat[j]->p, flat[i]->p, flat[i]->len) == 0) {
                    ids[i] = ids[j];
                    break;
                }
            if (ids[i] < 0) ids[i] = next++;
        }
        free(flat);
    } else {
        tokref *all = tt_calloc(total + 1, sizeof *all);
        for (int s = 0; s < ns; s++)
            for (size_t i = 0; i < slen[s]; i++) { all[soff[s] + i].s = sent[s][i]; all[soff[s] + i].pos = soff[s] + i; }
        qsort(all, total, sizeof *all, tokref_cmp);
        int id = 0;
        for (size_t i = 0; i < total; i++) {
            if (i > 0 && tokref_cmp(&all[i - 1], &all[i]) != 0) id++;
            ids[all[i].pos] = id;
        }
        free(all);
    }

    size_t hyp_len = slen[0];
    item[0] = (double)hyp_len;
    /* closest reference length, ties to the shorter */
    if (n_refs > 0) {
        size_t best = slen[1];
        for (int s = 1; s < ns; s++) {
            size_t d = slen[s] > hyp_len ? slen[s] - hyp_len : hyp_len - slen[s];
            size_t bd = best > hyp_len ? best - hyp_len : hyp_len - best;
            if (d < bd || (d == bd && slen[s] < best)) best = slen[s];
        }
        item[1] = (double)best;
    }
    if (brute) {
        bleu_counts_brute(ids, slen, soff, ns, item);
        for (int s = 0; s < ns; s++) free(sent[s]);
        free(sent);
        free(slen);
        free(soff);
        free(ids);
        return;
    }
    size_t **rsorted = tt_calloc((size_t)ns, sizeof *rsorted);
    size_t *hsorted = tt_calloc(hyp_len + 1, sizeof *hsorted);
    for (int k = 1; k <= 4; k++) {
        if (hyp_len < (size_t)k) break;
        ngram_ctx c = { ids, k };
        size_t nh = hyp_len - (size_t)k + 1;
        item[6 + k - 1] = (double)nh;
        for (size_t i = 0; i < nh; i++) hsorted[i] = soff[0] + i;
        qsort_r(hsorted, nh, sizeof *hsorted, ngram_cmp, &c);
        size_t *rn = tt_calloc((size_t)ns, sizeof *rn);
        for (int s = 1; s < ns; s++) {
            rn[s] = slen[s] >= (size_t)k ? slen[s] - (size_t)k + 1 : 0;
            free(rsorted[s]);
            rsorted[s] = tt_calloc(rn[s] + 1, sizeof(size_t));
            for (size_t i = 0; i < rn[s]; i++) rsorted[s][i] = soff[s] + i;
            qsort_r(rsorted[s], rn[s], sizeof(size_t), ngram_cmp, &c);
        }
        double correct = 0;
        for (size_t i = 0; i < nh;) {
            size_t j = i + 1;
            while (j < nh && ngram_cmp(&hsorted[i], &hsorted[j], &c) == 0) j++;
            size_t hc = j - i, rmax = 0;
            for (int s = 1; s < ns; s++) {
                size_t rc = count_in(rsorted[s], rn[s], hsorted[i], &c);
                if (rc > rmax) rmax = rc;
            }
            correct += (double)(hc < rmax ? hc : rmax);
            i = j;
        }
        item[2 + k - 1] = correct;
        free(rn);
    }
    for (int s = 0; s < ns; s++) { free(sent[s]); free(rsorted[s]); }
    free(rsorted);
    free(hsorted);
    free(sent);
    free(slen);
    free(soff);
    free(ids);
}

/* ---- generation dispatch --------------------------------------------------- */

int metric_score_generation(const metric_spec *m, const char *response, const char *const *targets,
                            int n_targets, double *item, char *err)
{
    if (defs[m->kind].inputs & IN_IFEVAL)
        return tt_fail(err, TT_ERR_UNSUPPORTED, "metric '%s' is scored by the IFEval checkers (\"process_results\": "
                                                "\"ifeval\")", m->name);
    if (!(defs[m->kind].inputs & IN_GEN))
        return tt_fail(err, TT_ERR_UNSUPPORTED, "metric '%s' does not apply to generate_until", m->name);
    if (n_targets <= 0 || !targets) return tt_fail(err, TT_ERR_USAGE, "metric '%s': no target", m->name);
    if (!response) response = "";
    switch (m->kind) {
    case METRIC_EXACT_MATCH:
    case METRIC_CONTAINS: {
        char *r = em_normalize(m, response);
        int hit = 0;
        for (int i = 0; i < n_targets && !hit; i++) {
            char *t = em_normalize(m, targets[i] ? targets[i] : "");
            hit = m->kind == METRIC_EXACT_MATCH ? strcmp(r, t) == 0 : strstr(r, t) != NULL;
            free(t);
        }
        free(r);
        item[0] = hit;
        return TT_OK;
    }
    case METRIC_NUMERIC_MATCH: {
        double p, t;
        int hit = 0;
        if (metric_parse_number(response, &p))
            for (int i = 0; i < n_targets && !hit; i++)
                if (metric_parse_number(targets[i], &t)) {
                    double tol = m->abs_tol > m->rel_tol * fabs(t) ? m->abs_tol : m->rel_tol * fabs(t);
                    hit = fabs(p - t) <= tol;
                }
        item[0] = hit;
        return TT_OK;
    }
    case METRIC_TOKEN_F1:
    case METRIC_ROUGE_L: {
        double best = 0;
        for (int i = 0; i < n_targets; i++) {
            double f = m->kind == METRIC_TOKEN_F1 ? metric_token_f1(response, targets[i])
                                                  : metric_rouge_l(response, targets[i]);
            if (f > best) best = f;
        }
        item[0] = best;
        return TT_OK;
    }
    case METRIC_BLEU: {
        char *h = metric_bleu_tokenize_13a(response);
        char **r = tt_calloc((size_t)n_targets, sizeof *r);
        for (int i = 0; i < n_targets; i++) r[i] = metric_bleu_tokenize_13a(targets[i]);
        metric_bleu_stats(h, (const char *const *)r, n_targets, item);
        for (int i = 0; i < n_targets; i++) free(r[i]);
        free(r);
        free(h);
        return TT_OK;
    }
    default:
        return tt_fail(err, TT_ERR_UNSUPPORTED, "metric '%s' does not apply to generate_until", m->name);
    }
}

double metric_item_display(const metric_spec *m, const double *item)
{
    switch (stats_item_width(m->agg)) {
    case 2: return agg_family(m->agg) == 2 ? item[1] : agg_family(m->agg) == 4 ? (item[1] > 0 ? item[0] / item[1] : NAN) : item[0];
    case 10: return stats_value(STATS_BLEU, item, 1);
    default: return item[0];
    }
}
