/*
 * judged.c — judged.h: question files, the answers of a bench from the
 * store (sorted for binary search), generation in executor batches turn by
 * turn, and the judge's requests.
 */
#include "arena/judged.h"
#include "core/utf8.h"
#include "core/util.h"
#include "engines/registry.h"
#include "engines/request_json.h"
#include "harness/executor.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- questions ------------------------------------------------------------------- */

void judged_questions_free(judged_questions *q)
{
    if (!q) return;
    for (size_t i = 0; i < q->n; i++) {
        judged_question *x = &q->v[i];
        free(x->id);
        free(x->category);
        for (int t = 0; t < 2; t++) {
            free(x->turns[t]);
            free(x->ref[t]);
            free(x->own_ref[t]);
        }
    }
    free(q->v);
    q->v = NULL;
    q->n = 0;
}

/* A question id: a string, or a number written as an integer. */
static char *id_of(json_t *v)
{
    if (json_is_string(v)) return tt_strdup(json_string_value(v));
    if (json_is_integer(v)) return tt_asprintf("%lld", (long long)json_integer_value(v));
    return NULL;
}

/* Calls fn for every non-blank line of path parsed as a JSON object. */
static int each_json_line(const char *path, int (*fn)(void *ctx, json_t *o, int line, char *err), void *ctx, char *err)
{
    char *text;
    size_t len;
    int rc = tt_read_file(path, &text, &len, err);
    if (rc != TT_OK) return rc;
    int line = 0;
    for (char *p = text; rc == TT_OK && p && *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        size_t s = 0;
        while (s < n && (p[s] == ' ' || p[s] == '\t' || p[s] == '\r')) s++;
        if (s < n) {
            json_error_t je;
            json_t *o = json_loadb(p, n, 0, &je);
            if (!json_is_object(o)) rc = tt_fail(err, TT_ERR_PARSE, "%s:%d: not a JSON object%s%s", path, line,
                                                o ? "" : ": ", o ? "" : je.text);
            else rc = fn(ctx, o, line, err);
            json_decref(o);
        }
        p = nl ? nl + 1 : NULL;
    }
    free(text);
    return rc;
}

typedef struct load_ctx {
    judged_questions *out;
    const char *path;
    size_t limit;
    int arena_hard;
} load_ctx;

static int add_question(void *ctx, json_t *o, int line, char *err)
{
    load_ctx *c = ctx;
    if (c->limit && c->out->n >= c->limit) return TT_OK;
    judged_question q;
    memset(&q, 0, sizeof q);
    q.id = id_of(json_object_get(o, c->arena_hard ? "uid" : "question_id"));
    if (!q.id)
        return tt_fail(err, TT_ERR_PARSE, "%s:%d: field '%s' must be a string or an integer", c->path, line,
                       c->arena_hard ? "uid" : "question_id");
    const char *cat = json_string_value(json_object_get(o, "category"));
    q.category = tt_strdup(cat ? cat : "");
    if (c->arena_hard) {
        const char *p = json_string_value(json_object_get(o, "prompt"));
        if (!p) {
            free(q.id);
            free(q.category);
            return tt_fail(err, TT_ERR_PARSE, "%s:%d: field 'prompt' must be a string", c->path, line);
        }
        q.turns[0] = tt_strdup(p);
        q.n_turns = 1;
    } else {
        json_t *turns = json_object_get(o, "turns");
        size_t n = json_array_size(turns);
        for (size_t t = 0; t < n && t < 2; t++) {
            const char *s = json_string_value(json_array_get(turns, t));
            if (!s) break;
            q.turns[q.n_turns++] = tt_strdup(s);
        }
        if (q.n_turns == 0 || (size_t)q.n_turns < (n < 2 ? n : 2)) {
            for (int t = 0; t < q.n_turns; t++) free(q.turns[t]);
            free(q.id);
            free(q.category);
            return tt_fail(err, TT_ERR_PARSE, "%s:%d: field 'turns' must be a list of strings", c->path, line);
        }
        json_t *ref = json_object_get(o, "reference");
        if (ref && !json_is_null(ref)) {
            int bad = !json_is_string(ref) && !json_is_array(ref);
            for (size_t t = 0; !bad && json_is_array(ref) && t < json_array_size(ref); t++)
                bad = !json_is_string(json_array_get(ref, t));
            if (bad) {
                for (int t = 0; t < q.n_turns; t++) free(q.turns[t]);
                free(q.id);
                free(q.category);
                return tt_fail(err, TT_ERR_PARSE, "%s:%d: field 'reference' must be a string or a list of strings (one per turn)",
                               c->path, line);
            }
            if (json_is_string(ref)) q.own_ref[q.n_own_ref++] = tt_strdup(json_string_value(ref));
            for (size_t t = 0; json_is_array(ref) && t < json_array_size(ref) && t < 2; t++)
                q.own_ref[q.n_own_ref++] = tt_strdup(json_string_value(json_array_get(ref, t)));
        }
    }
    c->out->v = tt_realloc(c->out->v, (c->out->n + 1) * sizeof *c->out->v);
    c->out->v[c->out->n++] = q;
    return TT_OK;
}

static int load_questions(const char *path, size_t limit, int arena_hard, judged_questions *out, char *err)
{
    out->v = NULL;
    out->n = 0;
    load_ctx c = {out, path, limit, arena_hard};
    int rc = each_json_line(path, add_question, &c, err);
    if (rc == TT_OK && out->n == 0) rc = tt_fail(err, TT_ERR_PARSE, "%s: no questions", path);
    return rc;
}

int judged_questions_load_mtbench(const char *path, size_t limit, judged_questions *out, char *err)
{
    return load_questions(path, limit, 0, out, err);
}

int judged_questions_load_arena_hard(const char *path, size_t limit, judged_questions *out, char *err)
{
    return load_questions(path, limit, 1, out, err);
}

typedef struct ref_ctx {
    judged_questions *q;
    size_t matched;
    const char *path;
} ref_ctx;

static int add_reference(void *ctx, json_t *o, int line, char *err)
{
    ref_ctx *c = ctx;
    char *id = id_of(json_object_get(o, "question_id"));
    if (!id) return tt_fail(err, TT_ERR_PARSE, "%s:%d: field 'question_id' must be a string or an integer", c->path, line);
    json_t *turns = json_object_get(json_array_get(json_object_get(o, "choices"), 0), "turns");
    if (!json_is_array(turns)) {
        free(id);
        return tt_fail(err, TT_ERR_PARSE, "%s:%d: field 'choices[0].turns' must be a list", c->path, line);
    }
    for (size_t i = 0; i < c->q->n; i++) {
        judged_question *x = &c->q->v[i];
        if (strcmp(x->id, id)) continue;
        for (int t = 0; t < 2; t++) free(x->ref[t]);
        x->n_ref = 0;
        for (size_t t = 0; t < json_array_size(turns) && t < 2; t++) {
            const char *s = json_string_value(json_array_get(turns, t));
            x->ref[x->n_ref++] = tt_strdup(s ? s : "");
        }
        c->matched++;
    }
    free(id);
    return TT_OK;
}

int judged_references_load(const char *path, judged_questions *q, size_t *matched, char *err)
{
    ref_ctx c = {q, 0, path};
    int rc = each_json_line(path, add_reference, &c, err);
    if (matched) *matched = c.matched;
    return rc;
}

/* ---- answers from the store ---------------------------------------------------------- */

typedef struct answer_row {
    char *model, *qid;
    int turn;
    char *answer;
    long tokens;
} answer_row;

struct judged_answers {
    answer_row *v;
    size_t n, cap;
    const char **models;
    int n_models;
};

static int cmp_row(const answer_row *a, const char *model, const char *qid, int turn)
{
    int c = strcmp(a->model, model);
    if (!c) c = strcmp(a->qid, qid);
    if (!c) c = (a->turn > turn) - (a->turn < turn);
    return c;
}

static int collect_answer(void *ctx, const store_judged_answer *a, char *err)
{
    (void)err;
    judged_answers *x = ctx;
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 256;
        x->v = tt_realloc(x->v, x->cap * sizeof *x->v);
    }
    x->v[x->n++] = (answer_row){tt_strdup(a->model), tt_strdup(a->question_id), a->turn, tt_strdup(a->answer),
                                a->tokens.has ? (long)a->tokens.v : -1};
    if (!x->n_models || strcmp(x->models[x->n_models - 1], a->model)) {
        x->models = tt_realloc(x->models, (size_t)(x->n_models + 1) * sizeof *x->models);
        x->models[x->n_models++] = x->v[x->n - 1].model;
    }
    return TT_OK;
}

int judged_answers_load(store *s, const char *bench, judged_answers **out, char *err)
{
    judged_answers *a = tt_calloc(1, sizeof *a);
    /* the store orders by model, question_id, turn: the order of the lookups */
    int rc = store_judged_answers_each(s, bench, NULL, collect_answer, a, err);
    if (rc != TT_OK) {
        judged_answers_free(a);
        a = NULL;
    }
    *out = a;
    return rc;
}

void judged_answers_free(judged_answers *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].model);
        free(a->v[i].qid);
        free(a->v[i].answer);
    }
    free(a->v);
    free(a->models);
    free(a);
}

const char *judged_answer(const judged_answers *a, const char *model, const char *qid, int turn, long *tokens)
{
    size_t lo = 0, hi = a ? a->n : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_row(&a->v[mid], model, qid, turn);
        if (c == 0) {
            if (tokens) *tokens = a->v[mid].tokens;
            return a->v[mid].answer;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    if (tokens) *tokens = -1;
    return NULL;
}

const char *const *judged_answer_models(const judged_answers *a, int *n)
{
    *n = a ? a->n_models : 0;
    return a ? a->models : NULL;
}

/* ---- generation ---------------------------------------------------------------------------- */

/* Answers turn `turn` (1 or 2) of the questions that have it, with model m;
 * stores them. prev: the model's turn-1 answers (turn 2 only). */
static int generate_turn(store *st, const judged_questions *q, arena_model *m, int turn, char **prev,
                         const judged_gen_opts *o, char **answers, int *answered, int *failed, char *err)
{
    size_t n = 0;
    engine_request *reqs = tt_calloc(q->n ? q->n : 1, sizeof *reqs);
    engine_message *msgs = tt_calloc((q->n ? q->n : 1) * 3, sizeof *msgs);
    size_t *which = tt_calloc(q->n ? q->n : 1, sizeof *which);
    for (size_t i = 0; i < q->n; i++) {
        const judged_question *x = &q->v[i];
        if (x->n_turns < turn || (turn == 2 && !prev[i])) continue;
        engine_message *mm = msgs + 3 * n;
        mm[0] = (engine_message){.role = "user", .content = x->turns[0]};
        int nm = 1;
        if (turn == 2) {
            mm[1] = (engine_message){.role = "assistant", .content = prev[i]};
            mm[2] = (engine_message){.role = "user", .content = x->turns[1]};
            nm = 3;
        }
        engine_request *r = &reqs[n];
        r->kind = ENGINE_REQ_CHAT;
        r->messages = mm;
        r->n_messages = nm;
        r->gen.max_tokens = o->max_tokens;
        r->gen.temperature = o->temperature ? o->temperature(x->category) : 0.0;
        r->gen.seed = o->seed;
        which[n++] = i;
    }
    engine_response *resp = tt_calloc(n ? n : 1, sizeof *resp);
    executor_stats stats;
    int rc = n ? executor_run(m->e, engine_get_spec(m->e), st, reqs, (int)n, o->jobs, NULL, resp, &stats, err) : TT_OK;
    int fatal = rc;
    store_judged_answer *rows = tt_calloc(n ? n : 1, sizeof *rows);
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    for (size_t k = 0; k < n; k++) {
        const judged_question *x = &q->v[which[k]];
        int bad = resp[k].error != NULL || !resp[k].text;
        char *text = bad ? NULL : tt_utf8_clean(resp[k].text, strlen(resp[k].text));
        answers[which[k]] = text;
        if (bad) (*failed)++;
        else (*answered)++;
        rows[k] = (store_judged_answer){
            .bench = o->bench, .model = m->name, .model_spec = engine_get_spec(m->e), .question_id = x->id,
            .category = x->category, .turn = turn, .answer = text, .error = bad ? (resp[k].error ? resp[k].error : "no text")
                                                                               : NULL,
            .tokens = resp[k].completion_tokens > 0 ? STORE_INT(resp[k].completion_tokens) : STORE_NO_INT,
            .latency_s = resp[k].latency_s > 0 ? resp[k].latency_s : NAN, .created_at = now,
        };
    }
    char serr[TT_ERR_SIZE];
    int src = n ? store_judged_answers_put(st, rows, n, serr) : TT_OK;
    if (src != TT_OK && fatal == TT_OK) rc = tt_fail(err, src, "%s", serr);
    if (o->log && n)
        fprintf(o->log, "%s, turn %d: %zu answers (%d from the cache)\n", m->name, turn, n, stats.cache_hits);
    for (size_t k = 0; k < n; k++) engine_response_free(&resp[k]);
    free(resp);
    free(rows);
    free(reqs);
    free(msgs);
    free(which);
    return rc;
}

int judged_generate(store *st, const judged_questions *q, arena_model *models, int n_models,
                    const judged_gen_opts *o, int *answered, int *failed, char *err)
{
    int a = 0, f = 0, rc = TT_OK;
    char **t1 = tt_calloc(q->n ? q->n : 1, sizeof *t1), **t2 = tt_calloc(q->n ? q->n : 1, sizeof *t2);
    for (int m = 0; m < n_models && rc == TT_OK; m++) {
        if (!(engine_caps(models[m].e) & ENGINE_CAP_CHAT)) {
            rc = tt_fail(err, TT_ERR_UNSUPPORTED, "model '%s' cannot chat; judged benchmarks ask chat models", models[m].name);
            break;
        }
        rc = generate_turn(st, q, &models[m], 1, NULL, o, t1, &a, &f, err);
        if (rc == TT_OK) rc = generate_turn(st, q, &models[m], 2, t1, o, t2, &a, &f, err);
        for (size_t i = 0; i < q->n; i++) {
            free(t1[i]);
            free(t2[i]);
            t1[i] = t2[i] = NULL;
        }
    }
    free(t1);
    free(t2);
    if (answered) *answered = a;
    if (failed) *failed = f;
    return rc;
}

/* ---- the judge ------------------------------------------------------------------------------- */

int judged_ask_all(engine *judge, store *cache, const judged_ask *asks, int n, int max_tokens, int jobs, FILE *save,
                   FILE *log, char **replies, char **failures, char *err)
{
    engine_request *reqs = tt_calloc(n ? (size_t)n : 1, sizeof *reqs);
    engine_message *msgs = tt_calloc(n ? (size_t)n * 2 : 1, sizeof *msgs);
    for (int i = 0; i < n; i++) {
        msgs[2 * i] = (engine_message){.role = "system", .content = asks[i].system};
        msgs[2 * i + 1] = (engine_message){.role = "user", .content = asks[i].user};
        reqs[i] = (engine_request){.kind = ENGINE_REQ_CHAT, .messages = msgs + 2 * i, .n_messages = 2};
        reqs[i].gen.temperature = 0;
        reqs[i].gen.max_tokens = max_tokens;
        if (save) {
            char *js = engine_request_to_json(&reqs[i]);
            fprintf(save, "{\"request\": %s}\n", js);
            free(js);
        }
    }
    engine_response *resp = tt_calloc(n ? (size_t)n : 1, sizeof *resp);
    executor_stats stats;
    memset(&stats, 0, sizeof stats);
    int rc = n ? executor_run(judge, engine_get_spec(judge), cache, reqs, n, jobs, NULL, resp, &stats, err) : TT_OK;
    for (int i = 0; i < n; i++) {
        if (resp[i].error || !resp[i].text) {
            replies[i] = NULL;
            failures[i] = tt_strdup(resp[i].error ? resp[i].error : "the judge gave no text");
        } else {
            replies[i] = tt_utf8_clean(resp[i].text, strlen(resp[i].text));
            failures[i] = NULL;
        }
        engine_response_free(&resp[i]);
    }
    if (log && n) fprintf(log, "judge: %d requests (%d from the cache)\n", n, stats.cache_hits);
    free(resp);
    free(reqs);
    free(msgs);
    return rc;
}

int judged_open_judge(const char *what, const char *registry_path, engine **out, char *err)
{
    *out = NULL;
    registry *reg = NULL;
    int rc = registry_load(registry_path ? registry_path : "models.json", registry_path == NULL, &reg, err);
    registry_model rm;
    memset(&rm, 0, sizeof rm);
    if (rc == TT_OK) rc = registry_resolve(reg, what, &rm, err);
    if (rc == TT_OK) rc = engine_open(rm.spec, &rm.options, out, err);
    if (rc == TT_OK && !(engine_caps(*out) & ENGINE_CAP_CHAT)) {
        rc = tt_fail(err, TT_ERR_UNSUPPORTED, "judge '%s' cannot answer chat requests", rm.spec);
        engine_close(*out);
        *out = NULL;
    }
    registry_model_clear(&rm);
    registry_free(reg);
    return rc;
}

int judged_generate_specs(const char *db_path, const judged_questions *q, const char *const *specs, int n_models,
                          const char *registry_path, const judged_gen_opts *o, int *answered, int *failed,
                          char *err)
{
    arena_model *models = NULL;
    store *st = NULL;
    int rc = arena_match_models_open(specs, n_models, registry_path, &models, err);
    if (rc == TT_OK) rc = store_open(db_path, &st, err);
    if (rc == TT_OK) rc = judged_generate(st, q, models, n_models, o, answered, failed, err);
    store_close(st);
    arena_match_models_close(models, models ? n_models : 0);
    return rc;
}
