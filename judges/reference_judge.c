/*
 * reference_judge.c — the reference judge (spec "reference[:METRIC]"): the
 * task's own answer decides. Each answer is checked against the item's
 * reference with a right/wrong metric: METRIC from the spec, else the
 * metric the prompt set carries (a task's first exact_match / contains /
 * numeric_match metric, judges/metrics.h), else Tianti's normalised exact
 * match (judge_normalised_equal). With a metric the answer is first trimmed
 * of surrounding whitespace (the task's filter chains are not applied).
 * One right and one wrong is a win for the
 * right one; both right or both wrong is a tie. An item without a
 * reference is an error, not a result. Opened by judges/judge.c.
 */
#include "judges/judge_impl.h"
#include "core/util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct reference_judge {
    judge base;
    metric_spec *metric;      /* from the spec, or NULL */
    int n_metric;
} reference_judge;

static int is_binary_metric(const metric_spec *m)
{
    return m->kind == METRIC_EXACT_MATCH || m->kind == METRIC_CONTAINS || m->kind == METRIC_NUMERIC_MATCH;
}

/* Normal form: trimmed, whitespace runs -> one space, ASCII lower case,
 * trailing . ! ? dropped. Caller frees. */
static char *normalise(const char *s)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    int pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isspace(*p)) {
            pending_space = b.len > 0;
            continue;
        }
        if (pending_space) tt_buf_append(&b, " ", 1);
        pending_space = 0;
        char c = (char)tolower(*p);
        tt_buf_append(&b, &c, 1);
    }
    while (b.len > 0 && (b.data[b.len - 1] == '.' || b.data[b.len - 1] == '!' || b.data[b.len - 1] == '?' ||
                         b.data[b.len - 1] == ' '))
        b.data[--b.len] = 0;
    return tt_buf_detach(&b);
}

int judge_normalised_equal(const char *answer, const char *reference)
{
    char *a = normalise(answer ? answer : "");
    char *r = normalise(reference ? reference : "");
    int eq = !strcmp(a, r);
    free(a);
    free(r);
    return eq;
}

static int is_right(const metric_spec *m, const char *answer, const char *reference, int *right, char *err)
{
    if (!m) {
        *right = judge_normalised_equal(answer, reference);
        return TT_OK;
    }
    double item[STATS_ITEM_MAX];
    const char *targets[1] = {reference};
    const char *s = answer ? answer : "";
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    char *trimmed = tt_strndup(s, n);
    int rc = metric_score_generation(m, trimmed, targets, 1, item, err);
    free(trimmed);
    if (rc == TT_OK) *right = item[0] >= 0.5;
    return rc;
}

static int reference_compare(judge *j, const judge_item *it, judge_result *res, char *err)
{
    reference_judge *rj = (reference_judge *)j;
    if (!it->reference) {
        res->ok = 0;
        res->error = tt_strdup("no reference answer for this prompt");
        res->detail_json = tt_strdup("{\"judge\":\"reference\"}");
        return TT_OK;
    }
    const metric_spec *m = rj->metric ? rj->metric : (it->metric && is_binary_metric(it->metric) ? it->metric : NULL);
    int ra = 0, rb = 0;
    int rc = is_right(m, it->answer_a, it->reference, &ra, err);
    if (rc == TT_OK) rc = is_right(m, it->answer_b, it->reference, &rb, err);
    if (rc != TT_OK) return rc;
    res->ok = 1;
    res->winner = ra == rb ? JUDGE_TIE : ra ? JUDGE_WIN_A : JUDGE_WIN_B;
    json_t *d = json_pack("{s:s,s:s,s:b,s:b}", "judge", "reference", "metric", m ? m->name : "normalised_exact_match",
                          "a_right", ra, "b_right", rb);
    res->detail_json = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    return TT_OK;
}

static int reference_check(judge *j, const char *answer, const char *reference, int *right, char *err)
{
    reference_judge *rj = (reference_judge *)j;
    return is_right(rj->metric, answer, reference ? reference : "", right, err);
}

static void reference_close(judge *j)
{
    reference_judge *rj = (reference_judge *)j;
    metric_specs_free(rj->metric, rj->n_metric);
    free(rj);
}

static const judge_vtable reference_vtable = {.compare = reference_compare, .close = reference_close,
                                              .check = reference_check};

int judge_reference_open(const char *arg, judge **out, char *err)
{
    reference_judge *rj = tt_calloc(1, sizeof *rj);
    rj->base.vt = &reference_vtable;
    if (arg && *arg) {
        json_t *list = json_pack("[s]", arg);
        int rc = metric_spec_parse(list, &rj->metric, &rj->n_metric, err);
        json_decref(list);
        if (rc != TT_OK) {
            free(rj);
            return tt_fail(err, TT_ERR_USAGE, "judge 'reference:%s': unknown metric", arg);
        }
        if (!is_binary_metric(rj->metric)) {
            metric_specs_free(rj->metric, rj->n_metric);
            free(rj);
            return tt_fail(err, TT_ERR_USAGE,
                           "judge 'reference:%s': the metric must be right/wrong (exact_match, contains or numeric_match)",
                           arg);
        }
    }
    *out = &rj->base;
    return TT_OK;
}
