/*
 * runner.c — implementation of runner.h. Reads top to bottom in the order a
 * run happens: resolve tasks, identify the run, then per model and task:
 * build requests, answer them, score documents, store, aggregate.
 */
#include "harness/runner.h"
#include "engines/engine.h"
#include "engines/request_json.h"
#include "harness/executor.h"
#include "harness/filter.h"
#include "judges/metrics.h"
#include "engines/registry.h"
#include "judges/stats.h"
#include "store/store.h"
#include "harness/suite.h"
#include "harness/task.h"
#include "core/util.h"
#include "core/version.h"
#include "judges/code_judge.h"
#include "judges/passk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void runner_options_default(runner_options *o)
{
    memset(o, 0, sizeof *o);
    o->db_path = "tianti.db";
    o->seed = 1234;
    o->jobs = 1;
    o->num_fewshot = -1;
    o->bootstrap_iters = STATS_DEFAULT_BOOTSTRAP;
}

/* ---- tasks and groups ------------------------------------------------------ */

typedef struct run_group {
    char *name;
    enum suite_aggregate aggregate;
    int *members;        /* indices into tasks */
    int n_members;
} run_group;

typedef struct run_plan {
    task **tasks;
    int n_tasks;
    run_group *groups;
    int n_groups;
} run_plan;

static void plan_free(run_plan *p)
{
    for (int i = 0; i < p->n_tasks; i++) task_free(p->tasks[i]);
    free(p->tasks);
    for (int i = 0; i < p->n_groups; i++) {
        free(p->groups[i].name);
        free(p->groups[i].members);
    }
    free(p->groups);
    memset(p, 0, sizeof *p);
}

/* Index of an already-loaded task file, or -1. */
static int plan_find(const run_plan *p, const char *path)
{
    for (int i = 0; i < p->n_tasks; i++)
        if (strcmp(p->tasks[i]->path, path) == 0) return i;
    return -1;
}

static int plan_add_task(run_plan *p, const char *path, const runner_options *o, int *index, char *err)
{
    int found = plan_find(p, path);
    if (found >= 0) {
        *index = found;
        return TT_OK;
    }
    task *t;
    int rc = task_load(path, &t, err);
    if (rc) return rc;
    if (o->num_fewshot >= 0) t->num_fewshot = o->num_fewshot;
    if (o->samples > 0 && t->output_type == TASK_GENERATE_UNTIL) t->gen.n = o->samples;
    /* lm-eval's --seed also seeds the few-shot sampler (harness.md B7). */
    t->fewshot_seed = o->seed;
    dataset_options dopt;
    dataset_options_default(&dopt);
    if (o->data_dir) dopt.data_dir = o->data_dir;
    dopt.base_dir = t->dir;
    rc = task_load_data(t, &dopt, err);
    if (rc) {
        task_free(t);
        return rc;
    }
    p->tasks = tt_realloc(p->tasks, sizeof *p->tasks * (size_t)(p->n_tasks + 1));
    p->tasks[p->n_tasks] = t;
    *index = p->n_tasks++;
    return TT_OK;
}

static int plan_load(run_plan *p, const runner_options *o, char *err)
{
    memset(p, 0, sizeof *p);
    char *tasks_dir = o->tasks_dir ? tt_strdup(o->tasks_dir) : suite_tasks_dir();
    int rc = TT_OK;
    for (int i = 0; i < o->n_tasks && rc == TT_OK; i++) {
        char *path = NULL;
        int is_suite = 0;
        rc = suite_find(tasks_dir, o->tasks[i], &path, &is_suite, err);
        if (rc) break;
        if (!is_suite) {
            int idx;
            rc = plan_add_task(p, path, o, &idx, err);
            free(path);
            continue;
        }
        suite *s;
        rc = suite_load(path, tasks_dir, &s, err);
        free(path);
        if (rc) break;
        run_group g = {.name = tt_strdup(s->name), .aggregate = s->aggregate};
        g.members = tt_calloc((size_t)s->n_tasks + 1, sizeof(int));
        for (int k = 0; k < s->n_tasks && rc == TT_OK; k++)
            rc = plan_add_task(p, s->task_paths[k], o, &g.members[g.n_members++], err);
        suite_free(s);
        p->groups = tt_realloc(p->groups, sizeof *p->groups * (size_t)(p->n_groups + 1));
        p->groups[p->n_groups++] = g;
    }
    free(tasks_dir);
    if (rc == TT_OK && p->n_tasks == 0) rc = tt_fail(err, TT_ERR_USAGE, "no tasks to run");
    if (rc) plan_free(p);
    return rc;
}

/* ---- run identity ------------------------------------------------------------ */

static json_t *run_config(const runner_options *o, const run_plan *p, const registry_model *models, int n_models)
{
    json_t *c = json_object();
    json_t *tasks = json_array();
    for (int i = 0; i < p->n_tasks; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "name", json_string(p->tasks[i]->name));
        json_object_set_new(t, "version", json_string(p->tasks[i]->version));
        json_object_set_new(t, "content_hash", json_string(p->tasks[i]->content_hash));
        json_object_set_new(t, "num_fewshot", json_integer(p->tasks[i]->num_fewshot));
        json_array_append_new(tasks, t);
    }
    json_object_set_new(c, "tasks", tasks);
    json_t *ms = json_array();
    for (int i = 0; i < n_models; i++) json_array_append_new(ms, json_string(models[i].spec));
    json_object_set_new(c, "models", ms);
    json_object_set_new(c, "limit", json_real(o->limit));
    json_object_set_new(c, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(c, "bootstrap_iters", json_integer(o->bootstrap_iters));
    return c;
}

/* ---- what a task needs from an engine ------------------------------------------ */

static unsigned task_needs(const task *t)
{
    unsigned need = 0;
    switch (t->output_type) {
    case TASK_MULTIPLE_CHOICE:
    case TASK_LOGLIKELIHOOD: need = ENGINE_CAP_LOGLIKELIHOOD; break;
    case TASK_LOGLIKELIHOOD_ROLLING: need = ENGINE_CAP_LOGLIKELIHOOD_ROLLING; break;
    case TASK_GENERATE_UNTIL: need = t->chat ? ENGINE_CAP_CHAT : ENGINE_CAP_GENERATE; break;
    }
    if (t->doc_to_image) need |= ENGINE_CAP_IMAGE;
    return need;
}

/* ---- scoring one document ---------------------------------------------------------- */

/* Items of one (metric, filter) pair across documents. */
typedef struct item_column {
    const metric_spec *metric;
    int chain;            /* index into chains; -1 for non-generation tasks */
    int width;
    double *items;        /* rows of width doubles */
    size_t n, cap;
} item_column;

static void column_push(item_column *c, const double *row)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->items = tt_realloc(c->items, sizeof(double) * (size_t)c->width * c->cap);
    }
    memcpy(c->items + (size_t)c->width * c->n, row, sizeof(double) * (size_t)c->width);
    c->n++;
}

typedef struct task_scoring {
    int fallback;         /* multiple choice answered by a generated letter */
    int code;             /* pass@k metrics: completions are executed */
    int *code_n, *code_passed;   /* per doc: samples, samples that passed */
    char **code_outcomes; /* per doc: JSON array of outcomes (owned) */
    metric_spec *metrics;
    int n_metrics;
    filter_chain **chains;
    int n_chains;
    item_column *cols;    /* n_metrics * max(1, n_chains) */
    int n_cols;
} task_scoring;

static int scoring_init(task_scoring *s, const task *t, int fallback, char *err)
{
    memset(s, 0, sizeof *s);
    s->fallback = fallback;
    json_t *acc_only = fallback ? json_pack("[s]", "acc") : NULL;
    int rc = fallback ? metric_spec_parse(acc_only, &s->metrics, &s->n_metrics, err) : t->metrics ? metric_spec_parse(t->metrics, &s->metrics, &s->n_metrics, err)
                        : metric_spec_defaults(task_output_type_name(t->output_type), &s->metrics, &s->n_metrics, err);
    json_decref(acc_only);
    if (rc) {
        char inner[TT_ERR_SIZE];
        snprintf(inner, sizeof inner, "%s", err);
        return tt_fail(err, rc, "task '%s': %s", t->name, inner);
    }
    if (t->output_type == TASK_GENERATE_UNTIL && !fallback) {
        rc = filter_list_parse(t->filters, &s->chains, &s->n_chains, err);
        if (rc) {
            metric_specs_free(s->metrics, s->n_metrics);
            return rc;
        }
    }
    for (int m = 0; m < s->n_metrics; m++)
        if (metric_pass_k(&s->metrics[m]) > 0) s->code = 1;
    if (s->code) {
        /* Execution decides, not a filter: one column per metric. */
        filter_chains_free(s->chains, s->n_chains);
        s->chains = NULL;
        s->n_chains = 0;
    }
    int per = s->n_chains > 0 ? s->n_chains : 1;
    s->n_cols = s->n_metrics * per;
    s->cols = tt_calloc((size_t)s->n_cols + 1, sizeof *s->cols);
    for (int m = 0; m < s->n_metrics; m++)
        for (int c = 0; c < per; c++) {
            item_column *col = &s->cols[m * per + c];
            col->metric = &s->metrics[m];
            col->chain = s->n_chains > 0 ? c : -1;
            col->width = metric_item_width(&s->metrics[m]);
        }
    return TT_OK;
}

static void scoring_free(task_scoring *s, size_t n_docs)
{
    free(s->code_n);
    free(s->code_passed);
    for (size_t i = 0; s->code_outcomes && i < n_docs; i++) free(s->code_outcomes[i]);
    free(s->code_outcomes);
    for (int i = 0; i < s->n_cols; i++) free(s->cols[i].items);
    free(s->cols);
    metric_specs_free(s->metrics, s->n_metrics);
    if (s->chains) filter_chains_free(s->chains, s->n_chains);
    memset(s, 0, sizeof *s);
}

static const char *column_filter_name(const task_scoring *s, const item_column *c)
{
    if (s->fallback) return "letter_fallback";
    if (s->code) return "execution";
    return c->chain >= 0 ? filter_chain_name(s->chains[c->chain]) : "none";
}

/* Targets of a generation doc as strings (owned array of borrowed strings). */
static int gen_targets(const task_instance *in, const char ***out)
{
    const json_t *t = in->target;
    const char **v = NULL;
    int n = 0;
    if (json_is_array(t)) {
        size_t i;
        json_t *x;
        v = tt_calloc(json_array_size(t) + 1, sizeof *v);
        json_array_foreach(t, i, x) {
            if (json_is_string(x)) v[n++] = json_string_value(x);
            else if (json_is_integer(x) && json_integer_value(x) >= 0 && json_integer_value(x) < in->n_choices)
                v[n++] = in->choices[json_integer_value(x)];
        }
    }
    if (n == 0) {
        free(v);
        v = tt_calloc(2, sizeof *v);
        v[0] = in->target_text ? in->target_text : "";
        n = 1;
    }
    *out = v;
    return n;
}

/* Gold indices and mc2 labels of a multiple-choice doc. */
static void mc_gold(const task_instance *in, int **gold, int *n_gold, int **labels)
{
    *gold = tt_calloc((size_t)in->n_choices + 1, sizeof(int));
    *labels = NULL;
    *n_gold = 0;
    const json_t *t = in->target;
    if (json_is_array(t) && (int)json_array_size(t) == in->n_choices) {
        /* 0/1 per choice: TruthfulQA MC2-style labels. */
        int ok = 1;
        for (int i = 0; i < in->n_choices; i++) {
            json_t *x = json_array_get(t, (size_t)i);
            if (!json_is_integer(x) || (json_integer_value(x) != 0 && json_integer_value(x) != 1)) ok = 0;
        }
        if (ok) {
            *labels = tt_calloc((size_t)in->n_choices, sizeof(int));
            for (int i = 0; i < in->n_choices; i++) {
                (*labels)[i] = (int)json_integer_value(json_array_get(t, (size_t)i));
                if ((*labels)[i] == 1 && *n_gold == 0) (*gold)[(*n_gold)++] = i;
            }
            return;
        }
    }
    if (json_is_array(t)) {
        size_t i;
        json_t *x;
        json_array_foreach(t, i, x) if (json_is_integer(x) && *n_gold < in->n_choices)(*gold)[(*n_gold)++] = (int)json_integer_value(x);
        if (*n_gold) return;
    }
    (*gold)[(*n_gold)++] = in->gold;
}

/* The answer letter in a generated reply: the first of A, B, ... (one per
 * choice) standing alone (not inside a word), e.g. " B", "(C)", "答案：D";
 * else the first choice whose text the reply contains. -1 if neither. */
int runner_extract_choice(const char *reply, const char *const *choices, int n_choices)
{
    if (!reply) return -1;
    for (const char *p = reply; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 'A' || c >= 'A' + (unsigned)n_choices || c > 'Z') continue;
        unsigned char before = p == reply ? ' ' : (unsigned char)p[-1];
        unsigned char after = (unsigned char)p[1];
        int alnum_before = (before < 0x80) && ((before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') || (before >= '0' && before <= '9'));
        int alnum_after = (after < 0x80) && ((after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z') || (after >= '0' && after <= '9'));
        if (!alnum_before && !alnum_after) return c - 'A';
    }
    for (int i = 0; i < n_choices; i++)
        if (choices[i] && choices[i][0] && strstr(reply, choices[i])) return i;
    return -1;
}

/* The one generation request a multiple-choice doc gets in fallback mode. */
static const char *const fallback_until[] = {"\n\n"};

static void fallback_request(const task_instance *in, int use_chat, uint64_t seed, engine_request *out)
{
    memset(out, 0, sizeof *out);
    if (use_chat && in->n_messages > 0) {
        out->kind = ENGINE_REQ_CHAT;
        out->messages = in->messages;
        out->n_messages = in->n_messages;
    } else {
        out->kind = ENGINE_REQ_GENERATE;
        out->context = in->prompt;
    }
    out->gen.until[0] = fallback_until[0];
    out->gen.n_until = 1;
    out->gen.max_tokens = 16;
    out->gen.seed = seed;
}

/* Scores one document into the columns and a {"metric,filter": value} object.
 * Returns TT_OK, or a message in err when the doc cannot be scored (bad
 * model reply or bad data): the sample then records the error. */
static int score_doc(const task *t, task_scoring *s, const task_instance *in, const engine_response *resp,
                     int n_resp, json_t *scores, json_t *filtered, char *err)
{
    for (int r = 0; r < n_resp; r++)
        if (resp[r].error) return tt_fail(err, TT_ERR_ENGINE, "%s", resp[r].error);
    double row[STATS_ITEM_MAX];
    int per = s->n_chains > 0 ? s->n_chains : 1;

    if (s->fallback) {
        int *gold, n_gold, *labels;
        mc_gold(in, &gold, &n_gold, &labels);
        int pred = runner_extract_choice(resp[0].text, (const char *const *)in->choices, in->n_choices);
        row[0] = 0;
        for (int g = 0; g < n_gold; g++)
            if (pred >= 0 && pred == gold[g]) row[0] = 1;
        column_push(&s->cols[0], row);
        json_object_set_new(scores, "acc,letter_fallback", json_real(row[0]));
        json_t *f = json_array();
        json_array_append_new(f, pred >= 0 ? json_string(in->choices[pred]) : json_string("[invalid]"));
        json_object_set_new(filtered, "letter_fallback", f);
        free(gold);
        free(labels);
        return TT_OK;
    }
    if (t->output_type == TASK_MULTIPLE_CHOICE) {
        int n = in->n_choices;
        double *lls = tt_calloc((size_t)n + 1, sizeof(double));
        int *greedy = tt_calloc((size_t)n + 1, sizeof(int));
        for (int i = 0; i < n && i < in->n_requests; i++) {
            lls[i] = resp[i].logprob;
            greedy[i] = resp[i].is_greedy;
        }
        int *gold, n_gold, *labels;
        mc_gold(in, &gold, &n_gold, &labels);
        metric_mc_input mc = {.n_choices = n, .lls = lls, .is_greedy = greedy,
                              .choices = (const char *const *)in->choices, .gold = gold, .n_gold = n_gold, .labels = labels};
        int rc = TT_OK;
        /* Validate all metrics first so a doc is either fully scored or not at all. */
        double *rows = tt_calloc((size_t)s->n_metrics * STATS_ITEM_MAX + 1, sizeof(double));
        for (int m = 0; m < s->n_metrics && rc == TT_OK; m++)
            rc = metric_score_mc(&s->metrics[m], &mc, rows + m * STATS_ITEM_MAX, err);
        if (rc == TT_OK)
            for (int m = 0; m < s->n_metrics; m++) {
                column_push(&s->cols[m], rows + m * STATS_ITEM_MAX);
                char key[96];
                snprintf(key, sizeof key, "%s,none", s->metrics[m].name);
                json_object_set_new(scores, key, json_real(metric_item_display(&s->metrics[m], rows + m * STATS_ITEM_MAX)));
            }
        free(rows);
        free(lls);
        free(greedy);
        free(gold);
        free(labels);
        return rc;
    }
    if (t->output_type == TASK_LOGLIKELIHOOD || t->output_type == TASK_LOGLIKELIHOOD_ROLLING) {
        double *rows = tt_calloc((size_t)s->n_metrics * STATS_ITEM_MAX + 1, sizeof(double));
        int rc = TT_OK;
        for (int m = 0; m < s->n_metrics && rc == TT_OK; m++) {
            if (t->output_type == TASK_LOGLIKELIHOOD)
                rc = metric_score_loglikelihood(&s->metrics[m], resp[0].logprob, resp[0].is_greedy, rows + m * STATS_ITEM_MAX, err);
            else
                rc = metric_score_rolling(&s->metrics[m], resp[0].logprob, in->requests[0].context, rows + m * STATS_ITEM_MAX, err);
        }
        if (rc == TT_OK)
            for (int m = 0; m < s->n_metrics; m++) {
                column_push(&s->cols[m], rows + m * STATS_ITEM_MAX);
                char key[96];
                snprintf(key, sizeof key, "%s,none", s->metrics[m].name);
                json_object_set_new(scores, key, json_real(metric_item_display(&s->metrics[m], rows + m * STATS_ITEM_MAX)));
            }
        free(rows);
        return rc;
    }

    if (s->code) {
        size_t i = in->doc_index;
        json_t *outcomes = json_loads(s->code_outcomes[i] ? s->code_outcomes[i] : "[]", 0, NULL);
        json_object_set_new(filtered, "execution", outcomes ? outcomes : json_array());
        for (int m = 0; m < s->n_metrics; m++) {
            int k = metric_pass_k(&s->metrics[m]);
            double v;
            char perr[TT_ERR_SIZE];
            if (passk_estimate(s->code_n[i], s->code_passed[i], k, &v, perr) != TT_OK) continue; /* n < k */
            column_push(&s->cols[m], &v);
            char key[96];
            snprintf(key, sizeof key, "%s,execution", s->metrics[m].name);
            json_object_set_new(scores, key, json_real(v));
        }
        return TT_OK;
    }
    /* generate_until: every response of the doc through every filter chain. */
    const char **texts;
    int n_texts;
    if (resp[0].n_texts > 0) {
        texts = (const char **)resp[0].texts;
        n_texts = resp[0].n_texts;
    } else {
        texts = (const char **)&resp[0].text;
        n_texts = 1;
    }
    const char **targets;
    int n_targets = gen_targets(in, &targets);
    int rc = TT_OK;
    double *rows = tt_calloc((size_t)s->n_cols * STATS_ITEM_MAX + 1, sizeof(double));
    char **outs[64] = {0};
    int n_outs[64] = {0};
    for (int c = 0; c < s->n_chains && c < 64; c++) {
        filter_chain_apply(s->chains[c], texts, n_texts, &outs[c], &n_outs[c]);
        json_t *arr = json_array();
        for (int k = 0; k < n_outs[c]; k++) json_array_append_new(arr, json_string(outs[c][k] ? outs[c][k] : ""));
        json_object_set_new(filtered, filter_chain_name(s->chains[c]), arr);
    }
    for (int m = 0; m < s->n_metrics && rc == TT_OK; m++)
        for (int c = 0; c < per && rc == TT_OK; c++) {
            const char *response = c < 64 && n_outs[c] > 0 ? outs[c][0] : "";
            rc = metric_score_generation(&s->metrics[m], response, targets, n_targets,
                                         rows + (m * per + c) * STATS_ITEM_MAX, err);
        }
    if (rc == TT_OK)
        for (int i = 0; i < s->n_cols; i++) {
            column_push(&s->cols[i], rows + i * STATS_ITEM_MAX);
            char key[160];
            snprintf(key, sizeof key, "%s,%s", s->cols[i].metric->name, column_filter_name(s, &s->cols[i]));
            json_object_set_new(scores, key, json_real(metric_item_display(s->cols[i].metric, rows + i * STATS_ITEM_MAX)));
        }
    for (int c = 0; c < s->n_chains && c < 64; c++) filter_strings_free(outs[c], n_outs[c]);
    free(rows);
    free(targets);
    return rc;
}

/* ---- evaluating one task for one model ------------------------------------------------ */

typedef struct model_ctx {
    const runner_options *o;
    store *st;
    engine *e;
    registry_model *model;
    int64_t run_id, model_id;
    json_t *doc;          /* the results document being built */
    long prompt_tokens, completion_tokens;
    int requests_total, cache_hits, failed;
    FILE *samples_out;
} model_ctx;

typedef struct task_result {
    int ok;
    size_t n_docs;
    /* per column: value, stderr, n */
    double *value, *stderr_;
    int *n;
    char **keys;          /* "metric,filter" */
    int *hib;
    int n_cols;
} task_result;

static void task_result_free(task_result *r)
{
    for (int i = 0; i < r->n_cols; i++) free(r->keys[i]);
    free(r->keys);
    free(r->value);
    free(r->stderr_);
    free(r->n);
    free(r->hib);
    memset(r, 0, sizeof *r);
}

static json_t *requests_json(const task_instance *in)
{
    json_t *a = json_array();
    for (int r = 0; r < in->n_requests; r++) {
        char *rj = engine_request_to_json(&in->requests[r]);
        json_array_append_new(a, json_loads(rj, 0, NULL));
        free(rj);
    }
    return a;
}

/* Executes every completion of every document (prompt + completion + the
 * problem's tests) in the sandbox, up to --jobs at once, and records per
 * doc how many samples passed and each outcome. */
static int judge_code(model_ctx *mc, const task *t, task_instance *ins, size_t n_docs, engine_response *resp,
                      const int *first, task_scoring *sc, char *err)
{
    sc->code_n = tt_calloc(n_docs + 1, sizeof(int));
    sc->code_passed = tt_calloc(n_docs + 1, sizeof(int));
    sc->code_outcomes = tt_calloc(n_docs + 1, sizeof(char *));
    code_problem *problems = tt_calloc(n_docs + 1, sizeof *problems);
    size_t n_items = 0;
    for (size_t i = 0; i < n_docs; i++) {
        engine_response *r = &resp[first[i]];
        n_items += r->n_texts > 0 ? (size_t)r->n_texts : 1;
    }
    code_judge_item *items = tt_calloc(n_items + 1, sizeof *items);
    size_t *owner = tt_calloc(n_items + 1, sizeof *owner);
    int rc = TT_OK;
    size_t k = 0;
    for (size_t i = 0; i < n_docs && rc == TT_OK; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s doc %zu", t->name, i);
        rc = code_problem_from_doc(ins[i].doc, name, &problems[i], err);
        engine_response *r = &resp[first[i]];
        if (r->error) continue;  /* recorded with the sample; nothing to run */
        int n = r->n_texts > 0 ? r->n_texts : 1;
        for (int j = 0; j < n && rc == TT_OK; j++) {
            items[k].problem = &problems[i];
            items[k].completion = r->n_texts > 0 ? r->texts[j] : (r->text ? r->text : "");
            owner[k++] = i;
        }
    }
    sandbox_result *results = tt_calloc(k + 1, sizeof *results);
    if (rc == TT_OK && k > 0) {
        code_judge_config cfg;
        code_judge_config_init(&cfg);
        int jobs = mc->o->jobs > 1 ? mc->o->jobs : 1;
        rc = code_judge_run_many(&cfg, items, k, jobs, results, err);
    }
    if (rc == TT_OK && k > 0) {
        char prot[256];
        sandbox_protections_str(results[0].protections, prot, sizeof prot);
        fprintf(stderr, "tianti: %s: executed %zu programs; protections in force: %s\n", t->name, k, prot);
        json_t *notes = json_object_get(mc->doc, "notes");
        if (!notes) json_object_set_new(mc->doc, "notes", notes = json_array());
        char *note = tt_asprintf("%s: code executed in the sandbox with: %s", t->name, prot);
        json_array_append_new(notes, json_string(note));
        free(note);
        json_t **per_doc = tt_calloc(n_docs + 1, sizeof *per_doc);
        for (size_t j = 0; j < k; j++) {
            size_t i = owner[j];
            sc->code_n[i]++;
            if (results[j].outcome == SANDBOX_PASSED) sc->code_passed[i]++;
            if (!per_doc[i]) per_doc[i] = json_array();
            json_t *o = json_object();
            json_object_set_new(o, "outcome", json_string(sandbox_outcome_name(results[j].outcome)));
            if (results[j].outcome != SANDBOX_PASSED) json_object_set_new(o, "detail", json_string(results[j].detail));
            json_array_append_new(per_doc[i], o);
        }
        for (size_t i = 0; i < n_docs; i++) {
            if (!per_doc[i]) continue;
            char *js = json_dumps(per_doc[i], JSON_COMPACT);
            sc->code_outcomes[i] = tt_strdup(js);
            free(js);
            json_decref(per_doc[i]);
        }
        free(per_doc);
    }
    for (size_t j = 0; j < k; j++) sandbox_result_free(&results[j]);
    free(results);
    free(items);
    free(owner);
    code_problems_free(problems, n_docs);
    return rc;
}

/* fallback: 0 normal; ENGINE_CAP_GENERATE or ENGINE_CAP_CHAT to answer a
 * multiple-choice task with a generated letter through that capability. */
static int eval_task(model_ctx *mc, task *t, unsigned fallback, task_result *res, char *err)
{
    memset(res, 0, sizeof *res);
    const runner_options *o = mc->o;
    size_t n_docs = task_limit_count(task_num_docs(t), o->limit);
    int64_t task_id;
    char *cfg = json_dumps(t->config, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = store_task_ensure(mc->st, t->name, t->version, t->content_hash, cfg, &task_id, err);
    free(cfg);
    if (rc) return rc;

    task_scoring sc;
    rc = scoring_init(&sc, t, fallback != 0, err);
    if (rc) return rc;

    /* 1. Build every document's requests. */
    task_instance *ins = tt_calloc(n_docs + 1, sizeof *ins);
    int *first = tt_calloc(n_docs + 1, sizeof(int));
    int n_req = 0;
    for (size_t i = 0; i < n_docs && rc == TT_OK; i++) {
        rc = task_build(t, i, &ins[i], err);
        first[i] = n_req;
        if (rc == TT_OK) n_req += fallback ? 1 : ins[i].n_requests;
    }
    if (rc) {
        for (size_t i = 0; i < n_docs; i++) task_instance_free(&ins[i]);
        free(ins);
        free(first);
        scoring_free(&sc, n_docs);
        return rc;
    }
    engine_request *reqs = tt_calloc((size_t)n_req + 1, sizeof *reqs);
    for (size_t i = 0; i < n_docs; i++) {
        if (fallback) {
            fallback_request(&ins[i], fallback == ENGINE_CAP_CHAT, o->seed, &reqs[first[i]]);
            continue;
        }
        for (int r = 0; r < ins[i].n_requests; r++) {
            reqs[first[i] + r] = ins[i].requests[r];
            if (reqs[first[i] + r].gen.seed == 0) reqs[first[i] + r].gen.seed = o->seed;
        }
    }

    /* 2. Answer them. */
    engine_response *resp = tt_calloc((size_t)n_req + 1, sizeof *resp);
    char label[160];
    snprintf(label, sizeof label, "%s / %s", mc->model->name, t->name);
    executor_progress prog = {.show = o->progress, .label = label};
    executor_stats xs;
    int jobs = o->jobs;
    if (mc->model->options.max_concurrency > 0 && jobs > mc->model->options.max_concurrency)
        jobs = mc->model->options.max_concurrency;
    int xrc = executor_run(mc->e, mc->model->spec, mc->st, reqs, n_req, jobs, &prog, resp, &xs, err);
    mc->requests_total += xs.total;
    mc->cache_hits += xs.cache_hits;
    mc->failed += xs.failed;
    if (o->verbose)
        fprintf(stderr, "tianti: %s: %d requests, %d unique, %d from cache, %d sent, %d failed, %.2fs\n", label, xs.total,
                xs.unique, xs.cache_hits, xs.sent, xs.failed, xs.seconds);

    /* 2b. Code tasks: run every sample of every document in the sandbox. */
    if (xrc == TT_OK && sc.code) {
        rc = judge_code(mc, t, ins, n_docs, resp, first, &sc, err);
        if (rc) xrc = rc;
    }

    /* 3. Score and store every document, in one transaction. */
    if (xrc == TT_OK) rc = store_begin(mc->st, err);
    else rc = xrc;
    int n_errors = 0;
    for (size_t i = 0; i < n_docs && rc == TT_OK; i++) {
        task_instance *in = &ins[i];
        engine_response *r = resp + first[i];
        json_t *scores = json_object(), *filtered = json_object(), *rj = json_array();
        char derr[TT_ERR_SIZE] = "";
        int n_resp = fallback ? 1 : in->n_requests;
        int drc = score_doc(t, &sc, in, r, n_resp, scores, filtered, derr);
        double latency = 0;
        int ptok = -1, ctok = -1;
        for (int k = 0; k < n_resp; k++) {
            char *s = engine_response_to_json(&r[k]);
            json_array_append_new(rj, json_loads(s, 0, NULL));
            free(s);
            latency += r[k].latency_s;
            if (r[k].prompt_tokens >= 0) ptok = (ptok < 0 ? 0 : ptok) + r[k].prompt_tokens;
            if (r[k].completion_tokens >= 0) ctok = (ctok < 0 ? 0 : ctok) + r[k].completion_tokens;
        }
        if (ptok > 0) mc->prompt_tokens += ptok;
        if (ctok > 0) mc->completion_tokens += ctok;
        if (drc != TT_OK) n_errors++;
        char *scores_s = json_dumps(scores, JSON_COMPACT | JSON_SORT_KEYS);
        char *filtered_s = json_dumps(filtered, JSON_COMPACT | JSON_SORT_KEYS);
        char *resp_s = json_dumps(rj, JSON_COMPACT);
        store_sample smp = {.run_id = mc->run_id, .model_id = mc->model_id, .task_id = task_id,
                            .doc_id = (int64_t)in->doc_index, .prompt = in->prompt, .target = in->target_text,
                            .responses_json = resp_s, .filtered_json = filtered_s,
                            .scores_json = drc == TT_OK ? scores_s : NULL, .error = drc == TT_OK ? NULL : derr,
                            .latency_s = latency, .prompt_tokens = ptok, .completion_tokens = ctok};
        rc = store_sample_put(mc->st, &smp, err);
        if (mc->samples_out) {
            json_t *line = json_object();
            json_object_set_new(line, "doc_id", json_integer((json_int_t)in->doc_index));
            json_object_set(line, "doc", in->doc);
            json_object_set_new(line, "target", json_string(in->target_text ? in->target_text : ""));
            json_object_set_new(line, "prompt", json_string(in->prompt ? in->prompt : ""));
            json_object_set_new(line, "arguments", requests_json(in));
            json_object_set(line, "resps", rj);
            json_object_set(line, "filtered_resps", filtered);
            json_object_set(line, "metrics", scores);
            if (drc != TT_OK) json_object_set_new(line, "error", json_string(derr));
            json_object_set_new(line, "task", json_string(t->name));
            json_dumpf(line, mc->samples_out, JSON_COMPACT | JSON_ENSURE_ASCII);
            fputc('\n', mc->samples_out);
            json_decref(line);
        }
        free(scores_s);
        free(filtered_s);
        free(resp_s);
        json_decref(scores);
        json_decref(filtered);
        json_decref(rj);
    }
    if (n_errors > 0)
        fprintf(stderr, "tianti: %s: %d of %zu documents could not be scored (errors are kept with the samples)\n", label,
                n_errors, n_docs);

    /* 4. Aggregate. */
    if (rc == TT_OK) {
        stats_opts so = {.bootstrap_iters = o->bootstrap_iters, .seed = o->seed};
        res->n_cols = sc.n_cols;
        res->value = tt_calloc((size_t)sc.n_cols + 1, sizeof(double));
        res->stderr_ = tt_calloc((size_t)sc.n_cols + 1, sizeof(double));
        res->n = tt_calloc((size_t)sc.n_cols + 1, sizeof(int));
        res->hib = tt_calloc((size_t)sc.n_cols + 1, sizeof(int));
        res->keys = tt_calloc((size_t)sc.n_cols + 1, sizeof(char *));
        for (int c = 0; c < sc.n_cols && rc == TT_OK; c++) {
            item_column *col = &sc.cols[c];
            const char *filter = column_filter_name(&sc, col);
            res->keys[c] = tt_asprintf("%s,%s", col->metric->name, filter);
            res->hib[c] = col->metric->higher_is_better;
            res->n[c] = (int)col->n;
            res->value[c] = res->stderr_[c] = NAN;
            if (col->n > 0) {
                char aerr[TT_ERR_SIZE];
                stats_aggregate(col->metric->agg, col->items, col->n, &so, &res->value[c], &res->stderr_[c], aerr);
            }
            rc = store_metric_put(mc->st, mc->run_id, mc->model_id, t->name, 0, filter, col->metric->name, res->value[c],
                                  res->stderr_[c], (int)col->n, t->num_fewshot, col->metric->higher_is_better, err);
        }
        res->n_docs = n_docs;
        res->ok = rc == TT_OK;
    }
    if (rc == TT_OK) rc = store_commit(mc->st, err);
    else if (xrc == TT_OK) store_rollback(mc->st);

    for (int i = 0; i < n_req; i++) engine_response_free(&resp[i]);
    free(resp);
    free(reqs);
    for (size_t i = 0; i < n_docs; i++) task_instance_free(&ins[i]);
    free(ins);
    free(first);
    scoring_free(&sc, n_docs);
    return rc;
}

/* ---- results document (lm-eval shape) ----------------------------------------------- */

static void json_num_or_na(json_t *o, const char *key, double v)
{
    if (isfinite(v)) json_object_set_new(o, key, json_real(v));
    else json_object_set_new(o, key, json_string("N/A"));
}

static void doc_add_task(json_t *doc, const task *t, const task_result *r, size_t n_original)
{
    json_t *res = json_object();
    json_object_set_new(res, "alias", json_string(t->name));
    json_t *hib = json_object();
    for (int c = 0; c < r->n_cols; c++) {
        json_num_or_na(res, r->keys[c], r->value[c]);
        const char *comma = strchr(r->keys[c], ',');
        char *se_key = tt_asprintf("%.*s_stderr%s", (int)(comma - r->keys[c]), r->keys[c], comma);
        json_num_or_na(res, se_key, r->stderr_[c]);
        free(se_key);
        char *metric = tt_strndup(r->keys[c], (size_t)(comma - r->keys[c]));
        json_object_set_new(hib, metric, json_boolean(r->hib[c]));
        free(metric);
    }
    json_object_set_new(json_object_get(doc, "results"), t->name, res);
    json_object_set_new(json_object_get(doc, "higher_is_better"), t->name, hib);
    json_object_set(json_object_get(doc, "configs"), t->name, t->config);
    json_object_set_new(json_object_get(doc, "versions"), t->name, json_string(t->version));
    json_object_set_new(json_object_get(doc, "n-shot"), t->name, json_integer(t->num_fewshot));
    json_t *ns = json_object();
    json_object_set_new(ns, "original", json_integer((json_int_t)n_original));
    json_object_set_new(ns, "effective", json_integer((json_int_t)r->n_docs));
    json_object_set_new(json_object_get(doc, "n-samples"), t->name, ns);
}

static int doc_add_group(model_ctx *mc, const run_plan *p, const run_group *g, task_result *results, char *err)
{
    /* Every metric key present in all member tasks gets a group score. */
    const task_result *r0 = NULL;
    for (int i = 0; i < g->n_members; i++)
        if (results[g->members[i]].ok) {
            r0 = &results[g->members[i]];
            break;
        }
    if (!r0) return TT_OK;
    json_t *res = json_object();
    json_object_set_new(res, "alias", json_string(g->name));
    json_t *hib = json_object();
    int rc = TT_OK;
    for (int c = 0; c < r0->n_cols && rc == TT_OK; c++) {
        stats_subtask *subs = tt_calloc((size_t)g->n_members + 1, sizeof *subs);
        int k = 0, all = 1;
        for (int i = 0; i < g->n_members; i++) {
            const task_result *r = &results[g->members[i]];
            int found = -1;
            for (int j = 0; r->ok && j < r->n_cols; j++)
                if (strcmp(r->keys[j], r0->keys[c]) == 0) found = j;
            if (found < 0) {
                all = 0;
                break;
            }
            subs[k].value = r->value[found];
            subs[k].stderr_ = r->stderr_[found];
            subs[k].size = r->n[found];
            k++;
        }
        if (all && k > 0) {
            double v, se, count;
            char gerr[TT_ERR_SIZE];
            if (stats_group(subs, k, g->aggregate == SUITE_SIZE_WEIGHTED, &v, &se, &count, gerr) == TT_OK) {
                json_num_or_na(res, r0->keys[c], v);
                const char *comma = strchr(r0->keys[c], ',');
                char *se_key = tt_asprintf("%.*s_stderr%s", (int)(comma - r0->keys[c]), r0->keys[c], comma);
                json_num_or_na(res, se_key, se);
                free(se_key);
                char *metric = tt_strndup(r0->keys[c], (size_t)(comma - r0->keys[c]));
                json_object_set_new(hib, metric, json_boolean(r0->hib[c]));
                rc = store_metric_put(mc->st, mc->run_id, mc->model_id, g->name, 1, comma + 1, metric, v, se, (int)count, -1,
                                      r0->hib[c], err);
                free(metric);
            }
        }
        free(subs);
    }
    json_t *members = json_array();
    for (int i = 0; i < g->n_members; i++) json_array_append_new(members, json_string(p->tasks[g->members[i]]->name));
    json_object_set_new(json_object_get(mc->doc, "group_subtasks"), g->name, members);
    json_object_set_new(json_object_get(mc->doc, "groups"), g->name, res);
    json_object_set_new(json_object_get(mc->doc, "higher_is_better"), g->name, hib);
    return rc;
}

static json_t *new_doc(const runner_options *o, const registry_model *m, int64_t run_id)
{
    json_t *doc = json_object();
    const char *sections[] = {"results", "groups", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) json_object_set_new(doc, sections[i], json_object());
    json_t *cfg = json_object();
    json_object_set_new(cfg, "model", json_string(m->spec));
    json_object_set_new(cfg, "model_name", json_string(m->name));
    json_object_set_new(cfg, "limit", o->limit > 0 ? json_real(o->limit) : json_null());
    json_object_set_new(cfg, "bootstrap_iters", json_integer(o->bootstrap_iters));
    json_object_set_new(cfg, "random_seed", json_integer((json_int_t)o->seed));
    json_object_set_new(cfg, "batch_size", json_integer(o->jobs));
    json_object_set_new(doc, "config", cfg);
    json_object_set_new(doc, "date", json_real(tt_wall_s()));
    json_object_set_new(doc, "tianti_version", json_string(TIANTI_VERSION));
    json_object_set_new(doc, "run_id", json_integer(run_id));
    json_object_set_new(doc, "skipped", json_array());
    return doc;
}

static void doc_skip(json_t *doc, const char *task_name, const char *reason)
{
    json_t *s = json_object();
    json_object_set_new(s, "task", json_string(task_name));
    json_object_set_new(s, "reason", json_string(reason));
    json_array_append_new(json_object_get(doc, "skipped"), s);
}

/* ---- one model ------------------------------------------------------------------------------ */

static char *safe_name(const char *s)
{
    char *d = tt_strdup(s);
    for (char *p = d; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')) *p = '_';
    return d;
}

static int eval_model(const runner_options *o, const run_plan *p, store *st, int64_t run_id, registry_model *m,
                      json_t **doc_out, int *scored, char *err)
{
    *scored = 0;
    model_ctx mc = {.o = o, .st = st, .model = m, .run_id = run_id};
    mc.doc = new_doc(o, m, run_id);
    *doc_out = mc.doc;
    engine_options eo = m->options;
    if (o->threads > 0) eo.threads = o->threads;
    eo.verbose = o->verbose;
    int rc = engine_open(m->spec, &eo, &mc.e, err);
    if (rc) return rc;
    const char *colon = strchr(m->spec, ':');
    char *kind = tt_strndup(m->spec, colon ? (size_t)(colon - m->spec) : strlen(m->spec));
    const char *at = strrchr(m->spec, '@');
    rc = store_model_ensure(st, m->spec, m->name, kind, at ? at + 1 : NULL, m->params_json, &mc.model_id, err);
    free(kind);
    if (rc == TT_OK && o->output_dir) {
        char *sn = safe_name(m->name);
        char *path = tt_asprintf("%s/samples_%s.jsonl", o->output_dir, sn);
        mc.samples_out = fopen(path, "w");
        if (!mc.samples_out) rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", path);
        free(path);
        free(sn);
    }
    task_result *results = tt_calloc((size_t)p->n_tasks + 1, sizeof *results);
    unsigned caps = rc == TT_OK ? engine_caps(mc.e) : 0;
    for (int i = 0; i < p->n_tasks && rc == TT_OK; i++) {
        task *t = p->tasks[i];
        unsigned need = task_needs(t);
        unsigned fallback = 0;
        if ((caps & need) != need && t->output_type == TASK_MULTIPLE_CHOICE && t->generative_fallback &&
            !(need & ~caps & ~ENGINE_CAP_LOGLIKELIHOOD))
            fallback = (caps & ENGINE_CAP_GENERATE) ? ENGINE_CAP_GENERATE : (caps & ENGINE_CAP_CHAT) ? ENGINE_CAP_CHAT : 0;
        if (fallback)
            fprintf(stderr, "tianti: model '%s' has no log-likelihoods: task '%s' is answered by a generated letter "
                            "and scored as 'acc,letter_fallback'\n", m->name, t->name);
        if ((caps & need) != need && !fallback) {
            char needs[128], has[128], why[400];
            engine_caps_string(need & ~caps, needs, sizeof needs);
            engine_caps_string(caps, has, sizeof has);
            snprintf(why, sizeof why, "model '%s' cannot run task '%s': it needs %s, the model offers %s", m->name, t->name,
                     needs, has[0] ? has : "nothing");
            fprintf(stderr, "tianti: %s; skipped\n", why);
            doc_skip(mc.doc, t->name, why);
            continue;
        }
        if (t->unsafe && !o->allow_code_execution) {
            char why[400];
            snprintf(why, sizeof why, "task '%s' runs model-written code; pass --allow-code-execution to allow it", t->name);
            fprintf(stderr, "tianti: %s; skipped\n", why);
            doc_skip(mc.doc, t->name, why);
            continue;
        }
        char terr[TT_ERR_SIZE] = "";
        int trc = eval_task(&mc, t, fallback, &results[i], terr);
        if (trc == TT_ERR_STORE) {
            rc = tt_fail(err, trc, "%s", terr);
            break;
        }
        if (trc != TT_OK) {
            fprintf(stderr, "tianti: model '%s', task '%s': %s\n", m->name, t->name, terr);
            doc_skip(mc.doc, t->name, terr);
            if (trc == TT_ERR_ENGINE || trc == TT_ERR_UNSUPPORTED) {
                /* The engine cannot go on (e.g. a 401): stop this model, keep the run. */
                break;
            }
            continue;
        }
        doc_add_task(mc.doc, t, &results[i], task_num_docs(t));
        (*scored)++;
    }
    for (int g = 0; g < p->n_groups && rc == TT_OK; g++) {
        rc = store_begin(st, err);
        if (rc == TT_OK) rc = doc_add_group(&mc, p, &p->groups[g], results, err);
        if (rc == TT_OK) rc = store_commit(st, err);
        else store_rollback(st);
    }
    json_t *usage = json_object();
    json_object_set_new(usage, "requests", json_integer(mc.requests_total));
    json_object_set_new(usage, "cache_hits", json_integer(mc.cache_hits));
    json_object_set_new(usage, "failed_requests", json_integer(mc.failed));
    json_object_set_new(usage, "prompt_tokens", json_integer(mc.prompt_tokens));
    json_object_set_new(usage, "completion_tokens", json_integer(mc.completion_tokens));
    if (m->price_input_per_mtok >= 0 && m->price_output_per_mtok >= 0)
        json_object_set_new(usage, "cost_usd", json_real(mc.prompt_tokens * m->price_input_per_mtok / 1e6 +
                                                         mc.completion_tokens * m->price_output_per_mtok / 1e6));
    json_object_set_new(mc.doc, "usage", usage);
    for (int i = 0; i < p->n_tasks; i++) task_result_free(&results[i]);
    free(results);
    if (mc.samples_out) fclose(mc.samples_out);
    engine_close(mc.e);
    return rc;
}

/* ---- the run ----------------------------------------------------------------------------------- */

int runner_run(const runner_options *o, json_t **results, int64_t *run_id_out, char *err)
{
    *results = NULL;
    if (o->n_models == 0) return tt_fail(err, TT_ERR_USAGE, "no model given (--model SPEC)");
    if (o->n_tasks == 0) return tt_fail(err, TT_ERR_USAGE, "no task given (--task NAME or --suite NAME)");

    registry *reg = NULL;
    int rc = registry_load(o->registry_path ? o->registry_path : "models.json", o->registry_path == NULL, &reg, err);
    if (rc) return rc;
    registry_model *models = tt_calloc((size_t)o->n_models + 1, sizeof *models);
    for (int i = 0; i < o->n_models && rc == TT_OK; i++) {
        rc = registry_resolve(reg, o->models[i], &models[i], err);
        if (rc == TT_OK) rc = engine_spec_check(models[i].spec, err);
    }
    registry_free(reg);

    run_plan plan;
    if (rc == TT_OK) rc = plan_load(&plan, o, err);
    if (rc) {
        for (int i = 0; i < o->n_models; i++) registry_model_clear(&models[i]);
        free(models);
        return rc;
    }
    if (o->output_dir && (rc = tt_mkdir_p(o->output_dir, err)) != TT_OK) goto out_plan;

    store *st = NULL;
    rc = store_open(o->db_path, &st, err);
    if (rc) goto out_plan;

    json_t *cfg = run_config(o, &plan, models, o->n_models);
    char *cfg_s = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
    char hash[65];
    tt_sha256_hex(cfg_s, strlen(cfg_s), hash);
    int64_t run_id;
    if (store_run_find_resumable(st, hash, &run_id) == TT_OK) {
        fprintf(stderr, "tianti: resuming run %lld (same tasks, models and settings)\n", (long long)run_id);
        rc = store_run_set_status(st, run_id, "running", err);
    } else {
        rc = store_run_create(st, hash, cfg_s, o->seed, tt_source_commit(), &run_id, err);
    }
    free(cfg_s);
    json_decref(cfg);
    if (rc) goto out_store;
    *run_id_out = run_id;

    json_t *docs = json_array();
    int total_scored = 0;
    for (int i = 0; i < o->n_models && rc == TT_OK; i++) {
        json_t *doc = NULL;
        int scored = 0;
        char merr[TT_ERR_SIZE] = "";
        int mrc = eval_model(o, &plan, st, run_id, &models[i], &doc, &scored, merr);
        if (mrc == TT_ERR_STORE) rc = tt_fail(err, mrc, "%s", merr);
        else if (mrc != TT_OK) {
            fprintf(stderr, "tianti: model '%s': %s\n", models[i].name, merr);
            doc_skip(doc, "*", merr);
        }
        total_scored += scored;
        json_array_append_new(docs, doc);
    }
    if (rc == TT_OK && total_scored == 0) rc = tt_fail(err, TT_ERR, "nothing was scored: every (model, task) pair failed or was skipped");
    if (rc == TT_OK) rc = store_run_set_status(st, run_id, "finished", err);
    else {
        char ignored[TT_ERR_SIZE];
        store_run_set_status(st, run_id, "failed", ignored);
    }
    if (rc == TT_OK) {
        *results = docs;
        if (o->output_dir) {
            char *path = tt_asprintf("%s/results.json", o->output_dir);
            json_dump_file(docs, path, JSON_INDENT(2) | JSON_ENSURE_ASCII);
            free(path);
        }
    } else {
        json_decref(docs);
    }
out_store:
    store_close(st);
out_plan:
    plan_free(&plan);
    for (int i = 0; i < o->n_models; i++) registry_model_clear(&models[i]);
    free(models);
    return rc;
}

/* ---- the results table ---------------------------------------------------------------------------- */

static void print_rows(FILE *out, const json_t *doc, const char *section, const char *name, const json_t *res)
{
    const json_t *versions = json_object_get(doc, "versions");
    const json_t *shots = json_object_get(doc, "n-shot");
    const json_t *hibs = json_object_get(json_object_get(doc, "higher_is_better"), name);
    const char *key;
    json_t *v;
    int first = 1;
    json_object_foreach((json_t *)res, key, v) {
        if (strcmp(key, "alias") == 0 || strstr(key, "_stderr,")) continue;
        const char *comma = strchr(key, ',');
        if (!comma) continue;
        char metric[96];
        snprintf(metric, sizeof metric, "%.*s", (int)(comma - key), key);
        char se_key[192];
        snprintf(se_key, sizeof se_key, "%s_stderr%s", metric, comma);
        const json_t *se = json_object_get(res, se_key);
        const json_t *ver = json_object_get(versions, name);
        const json_t *shot = json_object_get(shots, name);
        char val[32] = "N/A", ses[32] = "N/A", shot_s[16] = "";
        if (json_is_number(v)) snprintf(val, sizeof val, "%.4f", json_number_value(v));
        if (json_is_number(se)) snprintf(ses, sizeof ses, "%.4f", json_number_value(se));
        if (json_is_integer(shot)) snprintf(shot_s, sizeof shot_s, "%lld", (long long)json_integer_value(shot));
        int hib = json_is_true(json_object_get(hibs, metric));
        fprintf(out, "|%-24s|%7s|%-16s|%6s|%-14s|%s|%8s|±|%8s|\n", first ? name : "", first && ver ? json_string_value(ver) : "",
                comma + 1, first ? shot_s : "", metric, hib ? "↑" : "↓", val, ses);
        first = 0;
    }
    (void)section;
}

void runner_print_table(const json_t *doc, FILE *out)
{
    const json_t *cfg = json_object_get(doc, "config");
    fprintf(out, "%s (%s), limit: %s, seed: %lld\n", json_string_value(json_object_get(cfg, "model_name")),
            json_string_value(json_object_get(cfg, "model")),
            json_is_number(json_object_get(cfg, "limit")) ? "set" : "none",
            (long long)json_integer_value(json_object_get(cfg, "random_seed")));
    const char *hdr = "|%-24s|%7s|%-16s|%6s|%-14s|%s|%8s|%s|%8s|\n";
    fprintf(out, hdr, "Tasks", "Version", "Filter", "n-shot", "Metric", " ", "Value", " ", "Stderr");
    fprintf(out, "|------------------------|-------|----------------|------|--------------|-|--------|-|--------|\n");
    const char *name;
    json_t *res;
    json_object_foreach(json_object_get(doc, "results"), name, res) print_rows(out, doc, "results", name, res);
    int group_rows = 0;
    json_object_foreach(json_object_get(doc, "groups"), name, res) group_rows += json_object_size(res) > 1;
    if (group_rows > 0) {
        fprintf(out, "\n");
        fprintf(out, hdr, "Groups", "Version", "Filter", "n-shot", "Metric", " ", "Value", " ", "Stderr");
        fprintf(out, "|------------------------|-------|----------------|------|--------------|-|--------|-|--------|\n");
        json_object_foreach(json_object_get(doc, "groups"), name, res) print_rows(out, doc, "groups", name, res);
    }
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(doc, "skipped"), i, s)
        fprintf(out, "skipped %s: %s\n", json_string_value(json_object_get(s, "task")), json_string_value(json_object_get(s, "reason")));
    fprintf(out, "\n");
}
