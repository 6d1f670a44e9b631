/*
 * transcribe_eval.c — implementation of transcribe_eval.h.
 */
#include "harness/transcribe_eval.h"
#include "core/pool.h"
#include "core/util.h"
#include "harness/template.h"
#include "judges/embed_metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct run_ctx {
    engine *e;
    const task *t;
    transcribe_eval *ev;
    const size_t *todo;
    atomic_int stop;
    pthread_mutex_t mu;
    int rc;
    char err[TT_ERR_SIZE];
} run_ctx;

static int transcribe_one(void *ctx, size_t item, int worker)
{
    (void)worker;
    run_ctx *rc = ctx;
    if (atomic_load(&rc->stop)) return 1;
    transcribe_doc *d = &rc->ev->docs[rc->todo[item]];
    char err[TT_ERR_SIZE];
    int st = engine_transcribe(rc->e, d->audio, rc->t->language, &d->resp, err);
    if (st != TT_OK) {
        pthread_mutex_lock(&rc->mu);
        if (rc->rc == TT_OK) {
            rc->rc = st;
            snprintf(rc->err, sizeof rc->err, "%s", err);
        }
        pthread_mutex_unlock(&rc->mu);
        atomic_store(&rc->stop, 1);
        return 1;
    }
    if (d->resp.error) {
        d->error = tt_strdup(d->resp.error);
        return 0;
    }
    d->transcript = d->resp.text ? d->resp.text : tt_strdup("");
    d->resp.text = NULL;
    asr_compare(d->reference, d->transcript, 0, &d->words);
    asr_compare(d->reference, d->transcript, 1, &d->chars);
    return 0;
}

int transcribe_eval_run(engine *e, const task *t, size_t n_docs, int jobs, transcribe_eval *ev, char *err)
{
    memset(ev, 0, sizeof *ev);
    ev->n_docs = n_docs;
    ev->docs = tt_calloc(n_docs + 1, sizeof *ev->docs);
    size_t *todo = tt_calloc(n_docs + 1, sizeof *todo), n_todo = 0;
    for (size_t i = 0; i < n_docs; i++) {
        transcribe_doc *d = &ev->docs[i];
        d->doc_index = i;
        const json_t *doc = json_array_get(t->eval_docs, i);
        char inner[TT_ERR_SIZE];
        char *path = NULL;
        task_instance in;
        if (template_render("transcription.audio", t->audio, doc, &path, inner) != TT_OK) {
            d->error = tt_strdup(inner);
        } else if (task_build(t, i, &in, inner) != TT_OK) {
            d->error = tt_strdup(inner);
        } else {
            d->reference = tt_strdup(in.target_text ? in.target_text : "");
            task_instance_free(&in);
        }
        if (path) d->audio = path[0] == '/' ? tt_strdup(path) : tt_path_join(t->dir ? t->dir : ".", path);
        free(path);
        if (!d->error && !tt_file_exists(d->audio))
            d->error = tt_asprintf("audio file '%s' not found (a demo task's audio is made by its gen_audio.sh)",
                                   d->audio);
        if (!d->error) todo[n_todo++] = i;
    }
    run_ctx rc = {.e = e, .t = t, .ev = ev, .todo = todo};
    pthread_mutex_init(&rc.mu, NULL);
    atomic_init(&rc.stop, 0);
    tt_parallel_for(n_todo, jobs > 0 ? jobs : 1, transcribe_one, &rc);
    pthread_mutex_destroy(&rc.mu);
    free(todo);
    if (rc.rc != TT_OK) return tt_fail(err, rc.rc, "%s", rc.err);
    return TT_OK;
}

void transcribe_eval_free(transcribe_eval *ev)
{
    for (size_t i = 0; i < ev->n_docs; i++) {
        transcribe_doc *d = &ev->docs[i];
        free(d->audio);
        free(d->reference);
        free(d->transcript);
        free(d->error);
        engine_response_free(&d->resp);
    }
    free(ev->docs);
    memset(ev, 0, sizeof *ev);
}

static double rate(const asr_counts *c)
{
    return c->ref_len ? (double)(c->substitutions + c->deletions + c->insertions) / (double)c->ref_len : NAN;
}

json_t *transcribe_eval_doc_scores(const transcribe_eval *ev, size_t i)
{
    const transcribe_doc *d = &ev->docs[i];
    json_t *o = json_object();
    if (d->error) return o;
    const asr_counts *c[2] = {&d->words, &d->chars};
    static const char *const names[2] = {"words", "chars"};
    for (int k = 0; k < 2; k++) {
        json_t *x = json_pack("{s:I, s:I, s:I, s:I}", "substitutions", (json_int_t)c[k]->substitutions, "deletions",
                              (json_int_t)c[k]->deletions, "insertions", (json_int_t)c[k]->insertions, "reference",
                              (json_int_t)c[k]->ref_len);
        json_object_set_new(o, names[k], x);
    }
    double w = rate(&d->words), ch = rate(&d->chars);
    json_object_set_new(o, "wer", isnan(w) ? json_null() : json_real(w));
    json_object_set_new(o, "cer", isnan(ch) ? json_null() : json_real(ch));
    return o;
}

typedef struct stat_ctx {
    const transcribe_eval *ev;
    const size_t *rows;
    int chars;
} stat_ctx;

/* Σ errors / Σ reference units over the rows drawn. */
static double corpus_rate(void *ctx, const size_t *idx, size_t n)
{
    stat_ctx *c = ctx;
    double errors = 0, total = 0;
    for (size_t k = 0; k < n; k++) {
        const transcribe_doc *d = &c->ev->docs[c->rows[idx[k]]];
        const asr_counts *a = c->chars ? &d->chars : &d->words;
        errors += (double)(a->substitutions + a->deletions + a->insertions);
        total += (double)a->ref_len;
    }
    return total > 0 ? errors / total : NAN;
}

void transcribe_eval_score(const transcribe_eval *ev, const stats_opts *so, score_result *out)
{
    memset(out, 0, sizeof *out);
    out->ok = 1;
    out->n_docs = ev->n_docs;
    score_result_alloc(out, 2);
    size_t *rows = tt_calloc(ev->n_docs + 1, sizeof *rows), *all = tt_calloc(ev->n_docs + 1, sizeof *all), n = 0;
    for (size_t i = 0; i < ev->n_docs; i++) {
        all[i] = i;
        if (!ev->docs[i].error) rows[n++] = i;
    }
    static const char *const names[2] = {"wer", "cer"};
    for (int k = 0; k < 2; k++) {
        stat_ctx c = {ev, rows, k};
        out->metric[k] = tt_strdup(names[k]);
        out->filter[k] = tt_strdup("none");
        out->keys[k] = tt_asprintf("%s,none", names[k]);
        out->value[k] = n ? corpus_rate(&c, all, n) : NAN;
        out->stderr_[k] = so && so->bootstrap_iters > 0
                              ? embed_bootstrap_stderr(corpus_rate, &c, n, so->bootstrap_iters, so->seed + (uint64_t)k)
                              : NAN;
        out->n[k] = (int)n;
        out->hib[k] = 0;
        if (n == 0) out->note[k] = tt_strdup("N/A: no document could be scored");
    }
    free(rows);
    free(all);
}
