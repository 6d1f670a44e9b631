/*
 * embed_eval.c — implementation of embed_eval.h: texts out of the
 * documents, distinct texts embedded once, cosines, and MTEB's numbers
 * with bootstrap standard errors.
 */
#include "harness/embed_eval.h"
#include "core/util.h"
#include "harness/template.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A field's value as text when tmpl names a field of doc, else the
 * rendered template (task.c reads doc_to_text the same way). */
static int text_of(const char *what, const char *tmpl, const json_t *doc, char **out, char *err)
{
    *out = NULL;
    if (!template_has_syntax(tmpl)) {
        json_t *f = json_object_get(doc, tmpl);
        if (f) {
            *out = template_value_text(f);
            return TT_OK;
        }
    }
    return template_render(what, tmpl, doc, out, err);
}

/* A number from a JSON value: a number, or a string that is one. */
static int number_of(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s) return -1;
    char *end;
    while (*s == ' ' || *s == '\t') s++;
    double d = strtod(s, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
    if (end == s || *end || !isfinite(d)) return -1;
    *out = d;
    return 0;
}

/* ---- distinct texts ------------------------------------------------------------------ */

typedef struct text_set {
    char **texts;        /* distinct, owned */
    size_t n, cap;
    size_t *slot;        /* open addressing: index + 1, 0 = empty */
    size_t n_slots;
} text_set;

static uint64_t text_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void set_grow(text_set *ts)
{
    size_t n = ts->n_slots ? ts->n_slots * 2 : 1024;
    free(ts->slot);
    ts->slot = tt_calloc(n, sizeof *ts->slot);
    ts->n_slots = n;
    for (size_t i = 0; i < ts->n; i++) {
        size_t h = (size_t)text_hash(ts->texts[i]) & (n - 1);
        while (ts->slot[h]) h = (h + 1) & (n - 1);
        ts->slot[h] = i + 1;
    }
}

/* The index of text in the set, adding a copy when new. */
static size_t set_add(text_set *ts, const char *text)
{
    if ((ts->n + 1) * 2 > ts->n_slots) set_grow(ts);
    size_t h = (size_t)text_hash(text) & (ts->n_slots - 1);
    while (ts->slot[h]) {
        size_t i = ts->slot[h] - 1;
        if (!strcmp(ts->texts[i], text)) return i;
        h = (h + 1) & (ts->n_slots - 1);
    }
    if (ts->n == ts->cap) {
        ts->cap = ts->cap ? ts->cap * 2 : 256;
        ts->texts = tt_realloc(ts->texts, ts->cap * sizeof *ts->texts);
    }
    ts->texts[ts->n] = tt_strdup(text);
    ts->slot[h] = ts->n + 1;
    return ts->n++;
}

static void set_free(text_set *ts)
{
    for (size_t i = 0; i < ts->n; i++) free(ts->texts[i]);
    free(ts->texts);
    free(ts->slot);
}

/* ---- the run ------------------------------------------------------------------------- */

static void doc_fail(embed_doc *d, const char *fmt, const char *detail)
{
    if (d->error) return;
    d->error = tt_asprintf(fmt, detail);
}

/* The texts and gold of a pair document (sts, pairs). */
static void pair_texts(const task *t, const json_t *doc, embed_doc *d)
{
    char err[TT_ERR_SIZE];
    task_instance in;
    if (task_build(t, d->doc_index, &in, err) != TT_OK) {
        doc_fail(d, "%s", err);
        return;
    }
    d->text = tt_strdup(in.prompt ? in.prompt : "");
    if (number_of(in.target, &d->gold) != 0) {
        char *v = in.target ? json_dumps(in.target, JSON_ENCODE_ANY) : tt_strdup("nothing");
        doc_fail(d, "doc_to_target gives %s, not a number", v);
        free(v);
    } else if (t->embed.kind == TASK_EMBED_PAIR && d->gold != 0 && d->gold != 1) {
        doc_fail(d, "%s", "a pair label must be 0 or 1");
    }
    task_instance_free(&in);
    if (text_of("text_pair", t->embed.text_pair, doc, &d->text_pair, err) != TT_OK) doc_fail(d, "%s", err);
    if (!d->error && (!*d->text || !*d->text_pair)) doc_fail(d, "%s", "an empty text has no embedding");
}

/* The corpus of a retrieval task: ids and texts of every record. */
typedef struct corpus {
    char **ids;
    size_t *text_ix;       /* into the text set */
    size_t n;
} corpus;

static int corpus_load(const task *t, text_set *ts, corpus *c, char *err)
{
    memset(c, 0, sizeof *c);
    const json_t *recs = json_object_get(t->splits, t->embed.corpus_split);
    size_t n = json_array_size(recs);
    if (n == 0) return tt_fail(err, TT_ERR_PARSE, "task '%s': corpus split '%s' has no records", t->name, t->embed.corpus_split);
    c->ids = tt_calloc(n, sizeof *c->ids);
    c->text_ix = tt_calloc(n, sizeof *c->text_ix);
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(recs, i);
        json_t *id = json_object_get(r, t->embed.corpus_id);
        char *text = NULL;
        char inner[TT_ERR_SIZE];
        int rc = !id || json_is_null(id)
                     ? tt_fail(inner, TT_ERR_PARSE, "has no field '%s'", t->embed.corpus_id)
                     : text_of("corpus_text", t->embed.corpus_text, r, &text, inner);
        if (rc == TT_OK && !*text) rc = tt_fail(inner, TT_ERR_PARSE, "has an empty text");
        if (rc != TT_OK) {
            free(text);
            c->n = i;
            return tt_fail(err, TT_ERR_PARSE, "task '%s': corpus record %zu of split '%s' %s", t->name, i,
                           t->embed.corpus_split, inner);
        }
        c->ids[i] = template_value_text(id);
        c->text_ix[i] = set_add(ts, text);
        free(text);
        c->n = i + 1;
    }
    return TT_OK;
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->ids[i]);
    free(c->ids);
    free(c->text_ix);
}

/* Relevance grades of query doc over the corpus (grades[n]); the count of
 * relevant ids it names that the corpus has. */
static int query_grades(const task *t, const json_t *doc, const corpus *c, double *grades, embed_doc *d)
{
    for (size_t i = 0; i < c->n; i++) grades[i] = 0;
    json_t *rel = json_object_get(doc, t->embed.relevant);
    int found = 0;
    if (json_is_array(rel)) {
        size_t k;
        json_t *v;
        json_array_foreach(rel, k, v) {
            char *id = template_value_text(v);
            for (size_t i = 0; i < c->n; i++)
                if (!strcmp(c->ids[i], id) && grades[i] == 0) {
                    grades[i] = 1;
                    found++;
                }
            free(id);
        }
    } else if (json_is_object(rel)) {
        const char *id;
        json_t *v;
        json_object_foreach(rel, id, v) {
            double g;
            if (number_of(v, &g) != 0) {
                doc_fail(d, "the grade of '%s' in the relevant field is not a number", id);
                return 0;
            }
            for (size_t i = 0; i < c->n; i++)
                if (!strcmp(c->ids[i], id) && g > 0 && grades[i] == 0) {
                    grades[i] = g;
                    found++;
                }
        }
    } else {
        doc_fail(d, "field '%s' is not a list of ids or an object of grades", t->embed.relevant);
        return 0;
    }
    if (!found) doc_fail(d, "%s", "it names no relevant document of the corpus");
    return found;
}

int embed_eval_run(engine *e, const task *t, size_t n_docs, embed_eval *ev, char *err)
{
    memset(ev, 0, sizeof *ev);
    ev->prompt_tokens = -1;
    ev->docs = tt_calloc(n_docs + 1, sizeof *ev->docs);
    ev->n_docs = n_docs;
    text_set ts = {0};
    corpus c = {0};
    int retrieval = t->embed.kind == TASK_EMBED_RETRIEVAL;
    int rc = retrieval ? corpus_load(t, &ts, &c, err) : TT_OK;
    /* each document's texts, as indices into the set (SIZE_MAX: none) */
    size_t *ia = tt_calloc(n_docs + 1, sizeof *ia), *ib = tt_calloc(n_docs + 1, sizeof *ib);
    for (size_t i = 0; i < n_docs && rc == TT_OK; i++) {
        embed_doc *d = &ev->docs[i];
        d->doc_index = i;
        d->cosine = NAN;
        ia[i] = ib[i] = SIZE_MAX;
        const json_t *doc = json_array_get(t->eval_docs, i);
        if (retrieval) {
            char inner[TT_ERR_SIZE];
            if (text_of("doc_to_text", t->doc_to_text, doc, &d->text, inner) != TT_OK) doc_fail(d, "%s", inner);
            else if (!*d->text) doc_fail(d, "%s", "an empty text has no embedding");
        } else {
            pair_texts(t, doc, d);
        }
        if (d->error) continue;
        ia[i] = set_add(&ts, d->text);
        if (d->text_pair) ib[i] = set_add(&ts, d->text_pair);
    }
    float **vecs = tt_calloc(ts.n + 1, sizeof *vecs);
    if (rc == TT_OK && ts.n > 0) {
        double t0 = tt_now_s();
        rc = engine_embed_batch(e, (const char *const *)ts.texts, (int)ts.n, vecs, &ev->dim, &ev->prompt_tokens, err);
        ev->seconds = tt_now_s() - t0;
        ev->n_texts = ts.n;
    }
    if (rc == TT_OK) {
        double *scores = retrieval ? tt_calloc(c.n + 1, sizeof *scores) : NULL;
        double *grades = retrieval ? tt_calloc(c.n + 1, sizeof *grades) : NULL;
        for (size_t i = 0; i < n_docs; i++) {
            embed_doc *d = &ev->docs[i];
            if (d->error) continue;
            if (!retrieval) {
                d->cosine = embed_cosine(vecs[ia[i]], vecs[ib[i]], ev->dim);
                continue;
            }
            d->n_relevant = query_grades(t, json_array_get(t->eval_docs, i), &c, grades, d);
            if (d->error) continue;
            for (size_t k = 0; k < c.n; k++) scores[k] = embed_cosine(vecs[ia[i]], vecs[c.text_ix[k]], ev->dim);
            embed_retrieval_query(scores, grades, c.n, &d->ret);
        }
        free(scores);
        free(grades);
    }
    for (size_t i = 0; i < ts.n; i++) free(vecs[i]);
    free(vecs);
    free(ia);
    free(ib);
    corpus_free(&c);
    set_free(&ts);
    return rc;
}

void embed_eval_free(embed_eval *ev)
{
    for (size_t i = 0; i < ev->n_docs; i++) {
        free(ev->docs[i].text);
        free(ev->docs[i].text_pair);
        free(ev->docs[i].error);
    }
    free(ev->docs);
    memset(ev, 0, sizeof *ev);
}

/* ---- scores -------------------------------------------------------------------------- */

static const char *const sts_metrics[] = {"cosine_spearman", "cosine_pearson"};
static const char *const pair_metrics[] = {"cos_sim_accuracy", "cos_sim_f1", "cos_sim_ap"};
static const char *const retrieval_metrics[] = {"ndcg_at_10", "mrr_at_10", "recall_at_1", "recall_at_5",
                                                "recall_at_10"};

static double retrieval_value(const embed_retrieval_result *r, int m)
{
    switch (m) {
    case 0: return r->ndcg_at_10;
    case 1: return r->mrr_at_10;
    case 2: return r->recall_at_1;
    case 3: return r->recall_at_5;
    default: return r->recall_at_10;
    }
}

json_t *embed_eval_doc_scores(const embed_eval *ev, const task *t, size_t i)
{
    const embed_doc *d = &ev->docs[i];
    json_t *o = json_object();
    if (d->error) return o;
    if (t->embed.kind == TASK_EMBED_RETRIEVAL) {
        for (int m = 0; m < 5; m++) json_object_set_new(o, retrieval_metrics[m], json_real(retrieval_value(&d->ret, m)));
        json_object_set_new(o, "relevant", json_integer(d->n_relevant));
    } else {
        json_object_set_new(o, "cosine", json_real(d->cosine));
        json_object_set_new(o, "gold", json_real(d->gold));
    }
    return o;
}

/* The rows a statistic is computed on: the scored documents. */
typedef struct stat_ctx {
    const embed_eval *ev;
    const size_t *rows;       /* scored document indices */
    int kind, metric;
    double *x, *y;            /* scratch, n long */
    int *labels;
} stat_ctx;

static double statistic(void *ctx, const size_t *idx, size_t n)
{
    stat_ctx *c = ctx;
    for (size_t k = 0; k < n; k++) {
        const embed_doc *d = &c->ev->docs[c->rows[idx[k]]];
        if (c->kind == TASK_EMBED_RETRIEVAL) {
            c->x[k] = retrieval_value(&d->ret, c->metric);
        } else {
            c->x[k] = d->cosine;
            c->y[k] = d->gold;
            c->labels[k] = d->gold != 0;
        }
    }
    if (c->kind == TASK_EMBED_STS)
        return c->metric == 0 ? embed_spearman(c->y, c->x, n) : embed_pearson(c->y, c->x, n);
    if (c->kind == TASK_EMBED_PAIR) {
        embed_pair_result r;
        embed_pair_classify(c->x, c->labels, n, &r);
        return c->metric == 0 ? r.accuracy : c->metric == 1 ? r.f1 : r.ap;
    }
    double s = 0;
    for (size_t k = 0; k < n; k++) s += c->x[k];
    return n ? s / (double)n : NAN;
}

void embed_eval_score(const embed_eval *ev, const task *t, const stats_opts *so, score_result *out)
{
    memset(out, 0, sizeof *out);
    int kind = t->embed.kind;
    const char *const *names = kind == TASK_EMBED_STS ? sts_metrics : kind == TASK_EMBED_PAIR ? pair_metrics
                                                                                             : retrieval_metrics;
    int n_cols = kind == TASK_EMBED_STS ? 2 : kind == TASK_EMBED_PAIR ? 3 : 5;
    out->ok = 1;
    out->n_docs = ev->n_docs;
    score_result_alloc(out, n_cols);
    size_t *rows = tt_calloc(ev->n_docs + 1, sizeof *rows), n = 0;
    for (size_t i = 0; i < ev->n_docs; i++)
        if (!ev->docs[i].error) rows[n++] = i;
    size_t *all = tt_calloc(n + 1, sizeof *all);
    for (size_t i = 0; i < n; i++) all[i] = i;
    stat_ctx c = {.ev = ev, .rows = rows, .kind = kind, .x = tt_calloc(n + 1, sizeof(double)),
                  .y = tt_calloc(n + 1, sizeof(double)), .labels = tt_calloc(n + 1, sizeof(int))};
    for (int m = 0; m < n_cols; m++) {
        c.metric = m;
        out->metric[m] = tt_strdup(names[m]);
        out->filter[m] = tt_strdup("none");
        out->keys[m] = tt_asprintf("%s,none", names[m]);
        out->value[m] = n ? statistic(&c, all, n) : NAN;
        out->stderr_[m] = so && so->bootstrap_iters > 0
                              ? embed_bootstrap_stderr(statistic, &c, n, so->bootstrap_iters, so->seed + (uint64_t)m)
                              : NAN;
        out->n[m] = (int)n;
        out->hib[m] = 1;
        if (n == 0) out->note[m] = tt_strdup("N/A: no document could be scored");
    }
    free(c.x);
    free(c.y);
    free(c.labels);
    free(all);
    free(rows);
}
