/*
 * classify_eval.c — implementation of classify_eval.h: one request per
 * document (in parallel), labels read per category, and the per-category
 * numbers with bootstrap standard errors.
 */
#include "harness/classify_eval.h"
#include "core/pool.h"
#include "core/util.h"
#include "harness/template.h"
#include "judges/classify_metrics.h"
#include "judges/embed_metrics.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A label value: 1, 0, or -1 when missing or null (unknown). Anything else
 * is an error (-2). With positive, a text label is 1 when it is that text. */
static int label_of(const json_t *v, const char *positive)
{
    if (!v || json_is_null(v)) return -1;
    if (positive && json_is_string(v)) return !strcmp(json_string_value(v), positive);
    if (json_is_boolean(v)) return json_is_true(v);
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) return (int)json_integer_value(v);
    if (json_is_real(v) && (json_real_value(v) == 0 || json_real_value(v) == 1)) return (int)json_real_value(v);
    const char *s = json_string_value(v);
    if (s && (!strcmp(s, "0") || !strcmp(s, "1"))) return s[0] - '0';
    return -2;
}

/* Does name occur in reply as a whole word (case ignored; a neighbour that
 * is a letter, digit, '/' or '-' joins it to a longer word, so "hate" is
 * not found in "hate/threatening")? */
static int names_category(const char *reply, const char *name)
{
    size_t n = strlen(name);
    if (!n) return 0;
    for (const char *p = reply; *p; p++) {
        if (strncasecmp(p, name, n) != 0) continue;
        unsigned char before = p > reply ? (unsigned char)p[-1] : ' ', after = (unsigned char)p[n];
        int joined_b = isalnum(before) || before == '/' || before == '-';
        int joined_a = isalnum(after) || after == '/' || after == '-';
        if (!joined_b && !joined_a) return 1;
    }
    return 0;
}

typedef struct run_ctx {
    engine *e;
    const task *t;
    classify_eval *ev;
    const size_t *todo;          /* item -> document */
    task_instance *ins;          /* chat: each document's request, built before the workers start */
    atomic_int stop;
    pthread_mutex_t mu;
    int rc;
    char err[TT_ERR_SIZE];
} run_ctx;

/* The moderation result's scores and decisions for document d. */
static void read_moderation(const task *t, classify_doc *d)
{
    json_t *r = json_loads(d->reply, 0, NULL);
    json_t *scores = json_object_get(r, "category_scores"), *cats = json_object_get(r, "categories");
    for (int c = 0; c < t->classify.n; c++) {
        if (!strcmp(t->classify.names[c], "flagged")) {   /* the overall decision; score: the highest */
            const char *name;
            json_t *v;
            double best = NAN;
            json_object_foreach(scores, name, v) if (json_is_number(v) && !(json_number_value(v) <= best))
                best = json_number_value(v);
            if (isnan(best)) continue;
            d->score[c] = best;
            d->pred[c] = t->classify.threshold >= 0 ? best >= t->classify.threshold : json_is_true(json_object_get(r, "flagged"));
            continue;
        }
        json_t *sv = json_object_get(scores, t->classify.names[c]);
        if (!json_is_number(sv)) continue;   /* no score of this category: unknown */
        d->score[c] = json_number_value(sv);
        d->pred[c] = t->classify.threshold >= 0 ? d->score[c] >= t->classify.threshold
                                                : json_is_true(json_object_get(cats, t->classify.names[c]));
    }
    json_decref(r);
}

static int classify_one(void *ctx, size_t item, int worker)
{
    (void)worker;
    run_ctx *rc = ctx;
    if (atomic_load(&rc->stop)) return 1;
    size_t i = rc->todo[item];
    const task *t = rc->t;
    classify_doc *d = &rc->ev->docs[i];
    char err[TT_ERR_SIZE];
    int st = TT_OK;
    if (t->classify.via == TASK_CLASSIFY_MODERATION) {
        st = engine_moderation_scores(rc->e, d->text, &d->reply, err);
        if (st == TT_OK) read_moderation(t, d);
        else if (st != TT_ERR_ENGINE && st != TT_ERR_UNSUPPORTED) {
            d->error = tt_strdup(err);
            st = TT_OK;
        }
    } else {
        engine_response r;
        st = engine_complete(rc->e, &rc->ins[i].requests[0], &r, err);
        if (st == TT_OK && r.error) d->error = tt_strdup(r.error);
        else if (st == TT_OK) {
            d->reply = tt_strdup(r.text ? r.text : "");
            for (int c = 0; c < t->classify.n; c++) {
                d->pred[c] = names_category(d->reply, t->classify.names[c]);
                d->score[c] = d->pred[c];
            }
        }
        if (st == TT_OK) {
            d->prompt_tokens = r.prompt_tokens;
            d->completion_tokens = r.completion_tokens;
            d->reasoning_tokens = r.reasoning_tokens;
        }
        engine_response_free(&r);
    }
    if (st != TT_OK) {   /* the engine cannot go on: stop, say why once */
        pthread_mutex_lock(&rc->mu);
        if (rc->rc == TT_OK) {
            rc->rc = st;
            snprintf(rc->err, sizeof rc->err, "%s", err);
        }
        pthread_mutex_unlock(&rc->mu);
        atomic_store(&rc->stop, 1);
        return 1;
    }
    return 0;
}

int classify_eval_run(engine *e, const task *t, size_t n_docs, int jobs, classify_eval *ev, char *err)
{
    memset(ev, 0, sizeof *ev);
    int k = t->classify.n;
    ev->n_cat = k;
    ev->n_docs = n_docs;
    ev->docs = tt_calloc(n_docs + 1, sizeof *ev->docs);
    /* the instances are built here, in one thread: templates are not rendered by the workers */
    task_instance *ins = tt_calloc(n_docs + 1, sizeof *ins);
    for (size_t i = 0; i < n_docs; i++) {
        classify_doc *d = &ev->docs[i];
        d->doc_index = i;
        d->label = tt_calloc((size_t)k, sizeof *d->label);
        d->score = tt_calloc((size_t)k, sizeof *d->score);
        d->pred = tt_calloc((size_t)k, sizeof *d->pred);
        d->prompt_tokens = d->completion_tokens = -1;
        for (int c = 0; c < k; c++) d->score[c] = NAN;
        const json_t *doc = json_array_get(t->eval_docs, i);
        for (int c = 0; c < k; c++) {
            d->label[c] = label_of(json_object_get(doc, t->classify.keys[c]), t->classify.positive);
            if (d->label[c] == -2 && !d->error)
                d->error = tt_asprintf("label '%s' is not 0 or 1 (or missing, for unknown)", t->classify.keys[c]);
        }
        char berr[TT_ERR_SIZE];
        if (task_build(t, i, &ins[i], berr) != TT_OK) {
            if (!d->error) d->error = tt_strdup(berr);
            continue;
        }
        d->text = tt_strdup(ins[i].prompt ? ins[i].prompt : "");
    }
    /* documents that can be asked */
    size_t *todo = tt_calloc(n_docs + 1, sizeof *todo), n_todo = 0;
    for (size_t i = 0; i < n_docs; i++)
        if (!ev->docs[i].error) todo[n_todo++] = i;
    run_ctx rc = {.e = e, .t = t, .ev = ev, .todo = todo, .ins = ins};
    pthread_mutex_init(&rc.mu, NULL);
    atomic_init(&rc.stop, 0);
    tt_parallel_for(n_todo, jobs > 0 ? jobs : 1, classify_one, &rc);
    pthread_mutex_destroy(&rc.mu);
    for (size_t i = 0; i < n_docs; i++) task_instance_free(&ins[i]);
    free(ins);
    free(todo);
    if (rc.rc != TT_OK) return tt_fail(err, rc.rc, "%s", rc.err);
    return TT_OK;
}

void classify_eval_free(classify_eval *ev)
{
    for (size_t i = 0; i < ev->n_docs; i++) {
        classify_doc *d = &ev->docs[i];
        free(d->text);
        free(d->reply);
        free(d->label);
        free(d->score);
        free(d->pred);
        free(d->error);
    }
    free(ev->docs);
    memset(ev, 0, sizeof *ev);
}

json_t *classify_eval_doc_scores(const classify_eval *ev, const task *t, size_t i)
{
    const classify_doc *d = &ev->docs[i];
    json_t *o = json_object();
    if (d->error) return o;
    for (int c = 0; c < ev->n_cat; c++) {
        json_t *x = json_object();
        json_object_set_new(x, "label", d->label[c] < 0 ? json_null() : json_integer(d->label[c]));
        json_object_set_new(x, "score", isnan(d->score[c]) ? json_null() : json_real(d->score[c]));
        json_object_set_new(x, "pred", isnan(d->score[c]) ? json_null() : json_integer(d->pred[c]));
        json_object_set_new(o, t->classify.keys[c], x);
    }
    return o;
}

/* ---- scores -------------------------------------------------------------------------- */

static const char *const metric_names[] = {"precision", "recall", "f1", "accuracy", "macro_f1", "auroc", "auprc"};
#define N_METRICS 7
enum { M_PRECISION, M_RECALL, M_F1, M_ACCURACY, M_MACRO_F1, M_AUROC, M_AUPRC };

/* One category's statistic over rows (documents with its label and a score). */
typedef struct cat_ctx {
    const classify_eval *ev;
    const size_t *rows;
    int cat, metric;
    double *scores;
    int *labels, *preds;
} cat_ctx;

static double cat_statistic(void *ctx, const size_t *idx, size_t n)
{
    cat_ctx *c = ctx;
    for (size_t k = 0; k < n; k++) {
        const classify_doc *d = &c->ev->docs[c->rows[idx[k]]];
        c->scores[k] = d->score[c->cat];
        c->labels[k] = d->label[c->cat];
        c->preds[k] = d->pred[c->cat];
    }
    if (c->metric == M_AUROC) return classify_auroc(c->scores, c->labels, n);
    if (c->metric == M_AUPRC) return classify_average_precision(c->scores, c->labels, n);
    classify_prf p;
    classify_prf_compute(c->preds, c->labels, n, &p);
    switch (c->metric) {
    case M_PRECISION: return p.precision;
    case M_RECALL: return p.recall;
    case M_F1: return p.f1;
    case M_ACCURACY: return n ? (double)(p.tp + p.tn) / (double)n : NAN;
    default: {   /* the F1 of each class, averaged (sklearn's f1_score average="macro") */
        for (size_t k = 0; k < n; k++) {
            c->preds[k] = !c->preds[k];
            c->labels[k] = !c->labels[k];
        }
        classify_prf q;
        classify_prf_compute(c->preds, c->labels, n, &q);
        return (p.f1 + q.f1) / 2;
    }
    }
}

static void set_col(score_result *out, int col, const char *metric, const char *filter, double v, double se, int n)
{
    out->metric[col] = tt_strdup(metric);
    out->filter[col] = tt_strdup(filter);
    out->keys[col] = tt_asprintf("%s,%s", metric, filter);
    out->value[col] = v;
    out->stderr_[col] = se;
    out->n[col] = n;
    out->hib[col] = 1;
}

/* The distinct values of field over the documents, first seen first
 * (a missing field is ""); *rows_of[v] lists v's documents. */
typedef struct group_vals {
    char **vals;
    size_t n;
} group_vals;

static void group_values(const task *t, const classify_eval *ev, const char *field, group_vals *g, size_t *which)
{
    memset(g, 0, sizeof *g);
    for (size_t i = 0; i < ev->n_docs; i++) {
        const json_t *v = json_object_get(json_array_get(t->eval_docs, i), field);
        char *text = v && !json_is_null(v) ? template_value_text(v) : tt_strdup("");
        size_t k = 0;
        while (k < g->n && strcmp(g->vals[k], text)) k++;
        if (k == g->n) {
            g->vals = tt_realloc(g->vals, (g->n + 1) * sizeof *g->vals);
            g->vals[g->n++] = text;
        } else {
            free(text);
        }
        which[i] = k;
    }
}

void classify_eval_score(const classify_eval *ev, const task *t, const stats_opts *so, score_result *out)
{
    memset(out, 0, sizeof *out);
    int k = ev->n_cat, n_macro = k > 1 ? N_METRICS : 0;   /* one category: no mean to take */
    int n_cols = k * N_METRICS + n_macro;
    /* group_by: an accuracy of the first category per value of each field */
    group_vals *groups = tt_calloc((size_t)t->classify.n_group_by + 1, sizeof *groups);
    size_t **which = tt_calloc((size_t)t->classify.n_group_by + 1, sizeof *which);
    for (int g = 0; g < t->classify.n_group_by; g++) {
        which[g] = tt_calloc(ev->n_docs + 1, sizeof **which);
        group_values(t, ev, t->classify.group_by[g], &groups[g], which[g]);
        n_cols += (int)groups[g].n;
    }
    out->ok = 1;
    out->n_docs = ev->n_docs;
    score_result_alloc(out, n_cols);
    size_t *rows = tt_calloc(ev->n_docs + 1, sizeof *rows), *all = tt_calloc(ev->n_docs + 1, sizeof *all);
    for (size_t i = 0; i < ev->n_docs; i++) all[i] = i;
    cat_ctx c = {.ev = ev, .rows = rows, .scores = tt_calloc(ev->n_docs + 1, sizeof(double)),
                 .labels = tt_calloc(ev->n_docs + 1, sizeof(int)), .preds = tt_calloc(ev->n_docs + 1, sizeof(int))};
    double macro[N_METRICS] = {0};
    int macro_n[N_METRICS] = {0};
    for (int cat = 0; cat < k; cat++) {
        size_t n = 0;
        for (size_t i = 0; i < ev->n_docs; i++) {
            const classify_doc *d = &ev->docs[i];
            if (!d->error && d->label[cat] >= 0 && !isnan(d->score[cat])) rows[n++] = i;
        }
        c.cat = cat;
        for (int m = 0; m < N_METRICS; m++) {
            c.metric = m;
            int col = cat * N_METRICS + m;
            double v = n ? cat_statistic(&c, all, n) : NAN;
            double se = so && so->bootstrap_iters > 0
                            ? embed_bootstrap_stderr(cat_statistic, &c, n, so->bootstrap_iters, so->seed + (uint64_t)col)
                            : NAN;
            set_col(out, col, metric_names[m], t->classify.keys[cat], v, se, (int)n);
            if (isnan(v))
                out->note[col] = tt_strdup(n ? "N/A: the labelled documents are all of one class"
                                             : "N/A: no document carries this label");
            else {
                macro[m] += v;
                macro_n[m]++;
            }
        }
    }
    for (int m = 0; m < n_macro; m++) {
        int col = k * N_METRICS + m;
        set_col(out, col, metric_names[m], "macro", macro_n[m] ? macro[m] / macro_n[m] : NAN, NAN, macro_n[m]);
    }
    int col = k * N_METRICS + n_macro;
    c.cat = 0;
    c.metric = M_ACCURACY;
    for (int g = 0; g < t->classify.n_group_by; g++) {
        for (size_t v = 0; v < groups[g].n; v++, col++) {
            size_t n = 0;
            for (size_t i = 0; i < ev->n_docs; i++) {
                const classify_doc *d = &ev->docs[i];
                if (which[g][i] == v && !d->error && d->label[0] >= 0 && !isnan(d->score[0])) rows[n++] = i;
            }
            char *filter = tt_asprintf("%s=%s", t->classify.group_by[g], groups[g].vals[v]);
            double val = n ? cat_statistic(&c, all, n) : NAN;
            double se = so && so->bootstrap_iters > 0
                            ? embed_bootstrap_stderr(cat_statistic, &c, n, so->bootstrap_iters, so->seed + (uint64_t)col)
                            : NAN;
            set_col(out, col, "accuracy", filter, val, se, (int)n);
            if (n == 0) out->note[col] = tt_strdup("N/A: no scored document has this value");
            free(filter);
        }
        for (size_t v = 0; v < groups[g].n; v++) free(groups[g].vals[v]);
        free(groups[g].vals);
        free(which[g]);
    }
    free(groups);
    free(which);
    free(c.scores);
    free(c.labels);
    free(c.preds);
    free(rows);
    free(all);
}
