/*
 * score.c — implementation of score.h. Per document, by output type:
 * multiple choice (log-likelihood of each choice, or the generated letter
 * in fallback mode), log-likelihood and rolling log-likelihood, code
 * (pass@k over executed samples), and generation (every response through
 * every filter chain, then every metric). Aggregation and suite scores use
 * judges/stats.h.
 */
#include "harness/score.h"
#include "core/log.h"
#include "core/util.h"
#include "judges/code_judge.h"
#include "judges/code_problems.h"
#include "judges/ifeval.h"
#include "judges/math_answer.h"
#include "judges/passk.h"
#include "judges/sandbox.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the metrics and filters of a task ------------------------------------------ */

static void column_push(score_column *c, const double *row)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->items = tt_realloc(c->items, sizeof(double) * (size_t)c->width * c->cap);
    }
    memcpy(c->items + (size_t)c->width * c->n, row, sizeof(double) * (size_t)c->width);
    c->n++;
}

int score_init(score_state *s, const task *t, int fallback, size_t n_docs, char *err)
{
    memset(s, 0, sizeof *s);
    s->fallback = fallback;
    s->n_docs = n_docs;
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
    /* process_results "truthfulqa_mc2": lm-eval's process_results_mc2 returns
     * {"acc": true probability mass}, so the task's acc is computed as mc2 */
    if (t->process_results == TASK_PROCESS_TRUTHFULQA_MC2 && !fallback)
        for (int m = 0; m < s->n_metrics; m++)
            if (s->metrics[m].kind == METRIC_ACC) s->metrics[m].kind = METRIC_MC2;
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
            score_column *col = &s->cols[m * per + c];
            col->metric = &s->metrics[m];
            col->chain = s->n_chains > 0 ? c : -1;
            col->width = metric_item_width(&s->metrics[m]);
        }
    return TT_OK;
}

void score_free(score_state *s)
{
    free(s->code_n);
    free(s->code_passed);
    for (size_t i = 0; s->code_outcomes && i < s->n_docs; i++) free(s->code_outcomes[i]);
    free(s->code_outcomes);
    for (int i = 0; i < s->n_cols; i++) free(s->cols[i].items);
    free(s->cols);
    metric_specs_free(s->metrics, s->n_metrics);
    if (s->chains) filter_chains_free(s->chains, s->n_chains);
    memset(s, 0, sizeof *s);
}

const char *score_column_filter(const score_state *s, int c)
{
    if (s->fallback) return "letter_fallback";
    if (s->code) return "execution";
    return s->cols[c].chain >= 0 ? filter_chain_name(s->chains[s->cols[c].chain]) : "none";
}

/* ---- code tasks: executing the samples ---------------------------------------------- */

/* See score.h; the outcomes per document are kept as compact JSON. */
int score_execute_code(score_state *sc, const task *t, const task_instance *ins, size_t n_ins,
                       const engine_response *resp, const int *first, int jobs, const sandbox_config *sandbox,
                       size_t *n_programs, char *protections, size_t protections_n, sandbox_level *level, char *err)
{
    size_t n_docs = n_ins;
    *n_programs = 0;
    if (protections_n) protections[0] = 0;
    /* per doc_index (score_doc reads them so); a shard fills only its own */
    sc->code_n = tt_calloc(sc->n_docs + 1, sizeof(int));
    sc->code_passed = tt_calloc(sc->n_docs + 1, sizeof(int));
    sc->code_outcomes = tt_calloc(sc->n_docs + 1, sizeof(char *));
    code_problem *problems = tt_calloc(n_docs + 1, sizeof *problems);
    size_t n_items = 0;
    for (size_t i = 0; i < n_docs; i++) {
        const engine_response *r = &resp[first[i]];
        n_items += r->n_texts > 0 ? (size_t)r->n_texts : 1;
    }
    code_judge_item *items = tt_calloc(n_items + 1, sizeof *items);
    size_t *owner = tt_calloc(n_items + 1, sizeof *owner);
    int rc = TT_OK;
    size_t k = 0;
    for (size_t i = 0; i < n_docs && rc == TT_OK; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s doc %zu", t->name, ins[i].doc_index);
        rc = code_problem_from_doc(ins[i].doc, name, &problems[i], err);
        const engine_response *r = &resp[first[i]];
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
        if (sandbox) {
            cfg.sandbox = *sandbox;
            cfg.sandbox.proof = 1;
        }
        rc = code_judge_run_many(&cfg, items, k, jobs > 1 ? jobs : 1, results, err);
    }
    if (rc == TT_OK && k > 0) {
        /* the weakest level any program ran at, and its protections */
        size_t weakest = 0;
        int any = 0;
        for (size_t j = 0; j < k; j++) {
            if (results[j].outcome == SANDBOX_REFUSED) continue;
            if (!any || results[j].level > results[weakest].level) weakest = j;
            any = 1;
        }
        sandbox_protections_str(results[weakest].protections, protections, protections_n);
        *level = results[weakest].level;
        *n_programs = k;
        json_t **per_doc = tt_calloc(n_docs + 1, sizeof *per_doc);
        for (size_t j = 0; j < k; j++) {
            size_t i = owner[j], d = ins[i].doc_index;
            sc->code_n[d]++;
            if (results[j].outcome == SANDBOX_PASSED) sc->code_passed[d]++;
            if (!per_doc[i]) per_doc[i] = json_array();
            json_t *o = json_object();
            json_object_set_new(o, "outcome", json_string(sandbox_outcome_name(results[j].outcome)));
            if (results[j].outcome != SANDBOX_REFUSED)
                json_object_set_new(o, "sandbox", json_string(sandbox_level_name(results[j].level)));
            if (results[j].outcome != SANDBOX_PASSED) json_object_set_new(o, "detail", json_string(results[j].detail));
            json_array_append_new(per_doc[i], o);
        }
        for (size_t i = 0; i < n_docs; i++) {
            if (!per_doc[i]) continue;
            char *js = json_dumps(per_doc[i], JSON_COMPACT);
            sc->code_outcomes[ins[i].doc_index] = tt_strdup(js);
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

/* ---- one document ------------------------------------------------------------------ */

/* Keeps one document's item of column c and its value in scores under key;
 * a NAN item is no value (why says what was unknown): null in scores,
 * counted as missing. */
static void keep_item(score_column *c, const double *row, json_t *scores, const char *key, const char *why)
{
    if (isnan(row[0])) {
        c->n_missing++;
        c->missing_why = why;
        json_object_set_new(scores, key, json_null());
        return;
    }
    column_push(c, row);
    json_object_set_new(scores, key, json_real(metric_item_display(c->metric, row)));
}

static const char unknown_greedy[] =
    "is_greedy is unknown (the model's server gave no top_logprobs, so whether the continuation is the greedy one "
    "cannot be told)";

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

/* Gold indices and mc2 labels of a multiple-choice doc. The golds are
 * lm-eval's (task.h: one per element of a list target, TASK_GOLD_INVALID
 * for one that is no choice); the labels are the target list itself when
 * it is one 0/1 label per choice (TruthfulQA MC2), else NULL. */
static void mc_gold(const task_instance *in, int **gold, int *n_gold, int **labels)
{
    *gold = tt_calloc((size_t)in->n_golds + 1, sizeof(int));
    *n_gold = 0;
    for (int i = 0; i < in->n_golds; i++) (*gold)[(*n_gold)++] = in->golds[i];
    if (*n_gold == 0) (*gold)[(*n_gold)++] = TASK_GOLD_INVALID;
    *labels = NULL;
    const json_t *t = in->target;
    if (!json_is_array(t) || (int)json_array_size(t) != in->n_choices) return;
    for (int i = 0; i < in->n_choices; i++) {
        json_t *x = json_array_get(t, (size_t)i);
        if (!json_is_integer(x) || (json_integer_value(x) != 0 && json_integer_value(x) != 1)) return;
    }
    *labels = tt_calloc((size_t)in->n_choices, sizeof(int));
    for (int i = 0; i < in->n_choices; i++) (*labels)[i] = (int)json_integer_value(json_array_get(t, (size_t)i));
}

/* lm-eval's process_results warns when a gold is no choice ("Label index was
 * not in within range of available choices") and scores the doc 0. */
static void warn_gold(const task *t, const task_instance *in)
{
    if (!in->gold_error || (t->process_results == TASK_PROCESS_TRUTHFULQA_MC2)) return;
    char *target = in->target ? json_dumps(in->target, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    tt_log(TT_LOG_WARN, "task '%s' doc %zu: the target %s is not one of the %d choices (an index out of range "
                        "or a text that is no choice); the document scores 0, as in lm-eval",
           t->name, in->doc_index, target ? target : "null", in->n_choices);
    free(target);
}

/* The answer letter in a generated reply: see score.h. */
int score_extract_choice(const char *reply, const char *const *choices, int n_choices)
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

/* process_results "ifeval" / "math" (task.h): the scores of one filtered
 * response, lm-eval's process_results dict, into row[] for metric m.
 * IFEval's strict and loose lists are made once per response (*cache). */
typedef struct hook_cache {
    const char *response;
    int *strict, *loose, n;
} hook_cache;

static int hook_row(const task *t, const task_instance *in, const metric_spec *m, const char *response, hook_cache *hc,
                    double *row, char *err)
{
    if (t->process_results == TASK_PROCESS_MATH) {
        if (m->kind != METRIC_EXACT_MATCH)
            return tt_fail(err, TT_ERR_PARSE, "task '%s': process_results \"math\" gives exact_match only, not '%s'",
                           t->name, m->name);
        const char *answer = json_string_value(json_object_get(in->doc, "answer"));
        if (!answer)
            return tt_fail(err, TT_ERR_PARSE, "task '%s' doc %zu: no 'answer' (process_docs \"math.process_docs\" "
                                              "sets it from the solution)", t->name, in->doc_index);
        row[0] = math_score(response, answer);
        return TT_OK;
    }
    if (!hc->strict || hc->response != response) {
        free(hc->strict);
        free(hc->loose);
        hc->strict = hc->loose = NULL;
        int rc = ifeval_score(in->doc, response, &hc->strict, &hc->loose, &hc->n, err);
        if (rc) return rc;
        hc->response = response;
    }
    const int *flags = m->kind == METRIC_PROMPT_LEVEL_STRICT_ACC || m->kind == METRIC_INST_LEVEL_STRICT_ACC ? hc->strict
                                                                                                              : hc->loose;
    int all = 1, sum = 0;
    for (int i = 0; i < hc->n; i++) {
        all &= flags[i];
        sum += flags[i];
    }
    switch (m->kind) {
    case METRIC_PROMPT_LEVEL_STRICT_ACC:
    case METRIC_PROMPT_LEVEL_LOOSE_ACC:
        if (stats_item_width(m->agg) != 1) break;
        row[0] = all;
        return TT_OK;
    case METRIC_INST_LEVEL_STRICT_ACC:
    case METRIC_INST_LEVEL_LOOSE_ACC:
        if (m->agg != STATS_FLAT_MEAN) break;
        row[0] = sum;
        row[1] = hc->n;
        return TT_OK;
    default:
        return tt_fail(err, TT_ERR_PARSE, "task '%s': process_results \"ifeval\" gives prompt_level_strict_acc, "
                                          "inst_level_strict_acc, prompt_level_loose_acc and inst_level_loose_acc, "
                                          "not '%s'", t->name, m->name);
    }
    return tt_fail(err, TT_ERR_PARSE, "task '%s': metric '%s' needs aggregation %s", t->name, m->name,
                   m->kind == METRIC_INST_LEVEL_STRICT_ACC || m->kind == METRIC_INST_LEVEL_LOOSE_ACC ? "flat_mean" : "mean");
}

int score_doc(score_state *s, const task *t, const task_instance *in, const engine_response *resp, int n_resp,
              json_t *scores, json_t *filtered, char *err)
{
    for (int r = 0; r < n_resp; r++)
        if (resp[r].error) return tt_fail(err, TT_ERR_ENGINE, "%s", resp[r].error);
    double row[STATS_ITEM_MAX];
    int per = s->n_chains > 0 ? s->n_chains : 1;

    if (s->fallback) {
        int *gold, n_gold, *labels;
        mc_gold(in, &gold, &n_gold, &labels);
        warn_gold(t, in);
        int pred = score_extract_choice(resp[0].text, (const char *const *)in->choices, in->n_choices);
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
        for (int i = 0; i < n && i < n_resp; i++) {
            lls[i] = resp[i].logprob;
            greedy[i] = resp[i].is_greedy;
        }
        /* acc_mutual_info: the unconditional requests follow the choices */
        double *uncond = NULL;
        if (n_resp == 2 * n) {
            uncond = tt_calloc((size_t)n + 1, sizeof(double));
            for (int i = 0; i < n; i++) uncond[i] = resp[n + i].logprob;
        }
        int *gold, n_gold, *labels;
        mc_gold(in, &gold, &n_gold, &labels);
        warn_gold(t, in);
        metric_mc_input mc = {.n_choices = n, .lls = lls, .is_greedy = greedy,
                              .choices = (const char *const *)in->choices, .lls_uncond = uncond,
                              .gold = gold, .n_gold = n_gold, .labels = labels};
        int rc = TT_OK;
        /* Validate all metrics first so a doc is either fully scored or not at all. */
        double *rows = tt_calloc((size_t)s->n_metrics * STATS_ITEM_MAX + 1, sizeof(double));
        for (int m = 0; m < s->n_metrics && rc == TT_OK; m++)
            rc = metric_score_mc(&s->metrics[m], &mc, rows + m * STATS_ITEM_MAX, err);
        if (rc == TT_OK)
            for (int m = 0; m < s->n_metrics; m++) {
                char key[96];
                snprintf(key, sizeof key, "%s,none", s->metrics[m].name);
                keep_item(&s->cols[m], rows + m * STATS_ITEM_MAX, scores, key, unknown_greedy);
            }
        free(rows);
        free(lls);
        free(uncond);
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
                char key[96];
                snprintf(key, sizeof key, "%s,none", s->metrics[m].name);
                keep_item(&s->cols[m], rows + m * STATS_ITEM_MAX, scores, key,
                          t->output_type == TASK_LOGLIKELIHOOD ? unknown_greedy : "the log-likelihood is not a number");
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
    int hooked = t->process_results == TASK_PROCESS_IFEVAL || t->process_results == TASK_PROCESS_MATH;
    hook_cache hc = {0};
    for (int m = 0; m < s->n_metrics && rc == TT_OK; m++)
        for (int c = 0; c < per && rc == TT_OK; c++) {
            const char *response = c < 64 && n_outs[c] > 0 && outs[c][0] ? outs[c][0] : "";
            if (hooked)
                rc = hook_row(t, in, &s->metrics[m], response, &hc, rows + (m * per + c) * STATS_ITEM_MAX, err);
            else
                rc = metric_score_generation(&s->metrics[m], response, targets, n_targets,
                                             rows + (m * per + c) * STATS_ITEM_MAX, err);
        }
    free(hc.strict);
    free(hc.loose);
    if (rc == TT_OK)
        for (int i = 0; i < s->n_cols; i++) {
            column_push(&s->cols[i], rows + i * STATS_ITEM_MAX);
            char key[160];
            snprintf(key, sizeof key, "%s,%s", s->cols[i].metric->name, score_column_filter(s, i));
            json_object_set_new(scores, key, json_real(metric_item_display(s->cols[i].metric, rows + i * STATS_ITEM_MAX)));
        }
    for (int c = 0; c < s->n_chains && c < 64; c++) filter_strings_free(outs[c], n_outs[c]);
    free(rows);
    free(targets);
    return rc;
}


/* ---- a document's items ------------------------------------------------------------- */

void score_mark(const score_state *s, size_t *mark)
{
    for (int c = 0; c < s->n_cols; c++) mark[c] = s->cols[c].n;
}

static char *column_key(const score_state *s, int c)
{
    return tt_asprintf("%s,%s", s->cols[c].metric->name, score_column_filter(s, c));
}

char *score_items_json(const score_state *s, const size_t *mark)
{
    json_t *o = json_object();
    for (int c = 0; c < s->n_cols; c++) {
        const score_column *col = &s->cols[c];
        if (col->n <= mark[c]) continue;
        json_t *a = json_array();
        for (size_t r = mark[c]; r < col->n; r++)
            for (int w = 0; w < col->width; w++) {
                char hex[40];
                snprintf(hex, sizeof hex, "%a", col->items[r * (size_t)col->width + (size_t)w]);
                json_array_append_new(a, json_string(hex));
            }
        char *key = column_key(s, c);
        json_object_set_new(o, key, a);
        free(key);
    }
    char *out = json_object_size(o) ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return out;
}

int score_items_add(score_state *s, const char *items_json, char *err)
{
    json_error_t je;
    json_t *o = json_loads(items_json, 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return tt_fail(err, TT_ERR_PARSE, "stored items are not a JSON object: %s", je.text);
    }
    int rc = TT_OK, used = 0;
    for (int c = 0; c < s->n_cols && rc == TT_OK; c++) {
        char *key = column_key(s, c);
        json_t *a = json_object_get(o, key);
        free(key);
        if (!a) continue;
        used++;
        score_column *col = &s->cols[c];
        size_t n = json_array_size(a);
        if (!json_is_array(a) || n % (size_t)col->width) {
            rc = tt_fail(err, TT_ERR_PARSE, "stored items of '%s' are not rows of %d numbers", col->metric->name,
                         col->width);
            break;
        }
        double row[STATS_ITEM_MAX];
        for (size_t r = 0; r < n / (size_t)col->width; r++) {
            for (int w = 0; w < col->width; w++) {
                const char *v = json_string_value(json_array_get(a, r * (size_t)col->width + (size_t)w));
                row[w] = v ? strtod(v, NULL) : NAN;
            }
            column_push(col, row);
        }
    }
    if (rc == TT_OK && used != (int)json_object_size(o))
        rc = tt_fail(err, TT_ERR_PARSE, "stored items name metrics this task does not have (was the task changed?)");
    json_decref(o);
    return rc;
}

/* ---- aggregates ----------------------------------------------------------------------- */

void score_result_alloc(score_result *r, int n_cols)
{
    r->n_cols = n_cols;
    r->keys = tt_calloc((size_t)n_cols + 1, sizeof(char *));
    r->metric = tt_calloc((size_t)n_cols + 1, sizeof(char *));
    r->filter = tt_calloc((size_t)n_cols + 1, sizeof(char *));
    r->value = tt_calloc((size_t)n_cols + 1, sizeof(double));
    r->stderr_ = tt_calloc((size_t)n_cols + 1, sizeof(double));
    r->n = tt_calloc((size_t)n_cols + 1, sizeof(int));
    r->hib = tt_calloc((size_t)n_cols + 1, sizeof(int));
    r->note = tt_calloc((size_t)n_cols + 1, sizeof(char *));
}

static void result_set(score_result *r, int c, const char *metric, const char *filter, double value, double se, int n,
                       int hib)
{
    r->keys[c] = tt_asprintf("%s,%s", metric, filter);
    r->metric[c] = tt_strdup(metric);
    r->filter[c] = tt_strdup(filter);
    r->value[c] = value;
    r->stderr_[c] = se;
    r->n[c] = n;
    r->hib[c] = hib;
}

void score_aggregate(const score_state *s, const stats_opts *so, score_result *out)
{
    memset(out, 0, sizeof *out);
    score_result_alloc(out, s->n_cols);
    for (int c = 0; c < s->n_cols; c++) {
        const score_column *col = &s->cols[c];
        double value = NAN, se = NAN;
        if (col->n > 0 && col->n_missing == 0) {
            char aerr[TT_ERR_SIZE];
            stats_aggregate(col->metric->agg, col->items, col->n, so, &value, &se, aerr);
        }
        result_set(out, c, col->metric->name, score_column_filter(s, c), value, se, (int)col->n,
                   col->metric->higher_is_better);
        if (col->n_missing > 0)
            out->note[c] = tt_asprintf("N/A: unknown for %zu of %zu documents: %s", col->n_missing,
                                       col->n + col->n_missing, col->missing_why ? col->missing_why : "no value");
    }
    out->n_docs = s->n_docs;
    out->ok = 1;
}

void score_group(const score_result *results, const int *members, int n_members, int size_weighted, score_result *out)
{
    memset(out, 0, sizeof *out);
    /* Every metric key present in all member tasks gets a group score. */
    const score_result *r0 = NULL;
    for (int i = 0; i < n_members; i++)
        if (results[members[i]].ok) {
            r0 = &results[members[i]];
            break;
        }
    if (!r0) return;
    score_result_alloc(out, r0->n_cols);
    out->n_cols = 0;
    stats_subtask *subs = tt_calloc((size_t)n_members + 1, sizeof *subs);
    for (int c = 0; c < r0->n_cols; c++) {
        int k = 0, all = 1;
        for (int i = 0; i < n_members; i++) {
            const score_result *r = &results[members[i]];
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
        double v, se, count;
        char gerr[TT_ERR_SIZE];
        if (all && k > 0 && stats_group(subs, k, size_weighted, &v, &se, &count, gerr) == TT_OK)
            result_set(out, out->n_cols++, r0->metric[c], r0->filter[c], v, se, (int)count, r0->hib[c]);
    }
    free(subs);
    out->ok = 1;
}

void score_group_metrics(const score_result *results, const int *members, int n_members, int size_weighted,
                         const char *const *metrics, int n_metrics, int has_list, score_result *out)
{
    if (!has_list) {
        score_group(results, members, n_members, size_weighted, out);
        return;
    }
    memset(out, 0, sizeof *out);
    int any = 0, total_cols = 0;
    for (int i = 0; i < n_members; i++)
        if (results[members[i]].ok) {
            any = 1;
            total_cols += results[members[i]].n_cols;
        }
    if (!any) return;
    score_result_alloc(out, total_cols + 1);
    out->n_cols = 0;
    stats_subtask *subs = tt_calloc((size_t)n_members + 1, sizeof *subs);
    /* every listed key, in the order the members first report it */
    for (int i = 0; i < n_members; i++) {
        const score_result *ri = &results[members[i]];
        for (int c = 0; ri->ok && c < ri->n_cols; c++) {
            int listed = 0, done = 0;
            for (int k = 0; k < n_metrics; k++) listed |= !strcmp(metrics[k], ri->metric[c]);
            for (int k = 0; k < out->n_cols; k++) done |= !strcmp(out->keys[k], ri->keys[c]);
            if (!listed || done) continue;
            int n = 0;
            for (int j = 0; j < n_members; j++) {
                const score_result *r = &results[members[j]];
                for (int x = 0; r->ok && x < r->n_cols; x++)
                    if (!strcmp(r->keys[x], ri->keys[c]) && !isnan(r->value[x])) {
                        subs[n].value = r->value[x];
                        subs[n].stderr_ = r->stderr_[x];
                        subs[n].size = r->n[x];
                        n++;
                        break;
                    }
            }
            double v, se, count;
            char gerr[TT_ERR_SIZE];
            if (n > 0 && stats_group(subs, n, size_weighted, &v, &se, &count, gerr) == TT_OK)
                result_set(out, out->n_cols++, ri->metric[c], ri->filter[c], v, se, (int)count, ri->hib[c]);
        }
    }
    free(subs);
    out->ok = 1;
}

void score_result_free(score_result *r)
{
    for (int i = 0; i < r->n_cols; i++) {
        free(r->keys[i]);
        free(r->metric[i]);
        free(r->filter[i]);
        if (r->note) free(r->note[i]);
    }
    free(r->note);
    free(r->keys);
    free(r->metric);
    free(r->filter);
    free(r->value);
    free(r->stderr_);
    free(r->n);
    free(r->hib);
    memset(r, 0, sizeof *r);
}
