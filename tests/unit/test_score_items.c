/*
 * test_score_items.c — the per-document items a sample keeps for `tianti
 * merge` (harness/score.h: score_mark, score_items_json, score_items_add):
 * written and read back they give the columns bit for bit (hex floats;
 * infinities too), aggregation over items pushed back in document order
 * equals aggregation over the items scored in that order (bootstrap
 * stderrs included), and a text naming a metric the task lacks is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "harness/score.h"
#include "harness/task.h"

/* A multiple-choice task with a mean metric and two bootstrap ones. */
static task *mc_task(void)
{
    static const char text[] =
        "{\"name\": \"t\", \"dataset\": {\"path\": \"d.jsonl\"}, \"doc_to_text\": \"q\", "
        "\"output_type\": \"multiple_choice\", \"doc_to_choice\": [\"A\", \"B\"], \"doc_to_target\": \"0\", "
        "\"metrics\": [{\"metric\": \"acc\"}, {\"metric\": \"f1\"}, {\"metric\": \"mcc\"}]}";
    task *t = NULL;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_parse(text, strlen(text), "t.json", &t, err), TT_OK);
    return t;
}

/* Pushes document i's items the way score_doc would: one row per column. */
static char *push_doc(score_state *s, int i)
{
    size_t mark[16];
    assert_true(s->n_cols <= 16);
    score_mark(s, mark);
    for (int c = 0; c < s->n_cols; c++) {
        score_column *col = &s->cols[c];
        double row[STATS_ITEM_MAX] = {0};
        for (int w = 0; w < col->width; w++) row[w] = (double)((i * 7 + w * 3 + c) % 5 == 0);
        if (col->n == col->cap) {
            col->cap = col->cap ? col->cap * 2 : 16;
            col->items = realloc(col->items, sizeof(double) * (size_t)col->width * col->cap);
        }
        memcpy(col->items + (size_t)col->width * col->n, row, sizeof(double) * (size_t)col->width);
        col->n++;
    }
    return score_items_json(s, mark);
}

static void test_items_round_trip_and_same_aggregates(void **state)
{
    (void)state;
    task *t = mc_task();
    char err[TT_ERR_SIZE];
    score_state whole, merged;
    enum { N = 40 };
    assert_int_equal(score_init(&whole, t, 0, N, err), TT_OK);
    assert_int_equal(score_init(&merged, t, 0, N, err), TT_OK);
    char *texts[N];
    for (int i = 0; i < N; i++) {
        texts[i] = push_doc(&whole, i);
        assert_non_null(texts[i]);
    }
    /* pushed back in document order: the same columns, bit for bit */
    for (int i = 0; i < N; i++) assert_int_equal(score_items_add(&merged, texts[i], err), TT_OK);
    for (int c = 0; c < whole.n_cols; c++) {
        assert_int_equal(whole.cols[c].n, merged.cols[c].n);
        assert_memory_equal(whole.cols[c].items, merged.cols[c].items,
                            sizeof(double) * (size_t)whole.cols[c].width * whole.cols[c].n);
    }
    stats_opts so = {.bootstrap_iters = 200, .seed = 7};
    score_result a, b;
    score_aggregate(&whole, &so, &a);
    score_aggregate(&merged, &so, &b);
    assert_int_equal(a.n_cols, 3);
    for (int c = 0; c < a.n_cols; c++) {
        assert_string_equal(a.keys[c], b.keys[c]);
        assert_memory_equal(&a.value[c], &b.value[c], sizeof(double));
        assert_memory_equal(&a.stderr_[c], &b.stderr_[c], sizeof(double));
        assert_false(isnan(a.stderr_[c]));   /* mcc and f1 have bootstrap stderrs here */
    }
    score_result_free(&a);
    score_result_free(&b);
    for (int i = 0; i < N; i++) free(texts[i]);
    score_free(&whole);
    score_free(&merged);
    task_free(t);
}

static void test_items_keep_infinities_and_refuse_unknown_metrics(void **state)
{
    (void)state;
    task *t = mc_task();
    char err[TT_ERR_SIZE];
    score_state s;
    assert_int_equal(score_init(&s, t, 0, 2, err), TT_OK);
    assert_int_equal(score_items_add(&s, "{\"acc,none\":[\"-inf\"]}", err), TT_OK);
    assert_int_equal(score_items_add(&s, "{\"acc,none\":[\"0x1.999999999999ap-4\"]}", err), TT_OK);
    assert_true(isinf(s.cols[0].items[0]) && s.cols[0].items[0] < 0);
    assert_true(s.cols[0].items[1] == 0.1);
    size_t mark[16] = {0};
    char *back = score_items_json(&s, mark);
    assert_non_null(strstr(back, "\"-inf\""));
    free(back);
    assert_int_equal(score_items_add(&s, "{\"bleu,none\":[\"0x0p+0\"]}", err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "metrics this task does not have"));
    assert_int_equal(score_items_add(&s, "{\"f1,none\":[\"0x0p+0\"]}", err), TT_ERR_PARSE);   /* f1 rows are 2 wide */
    assert_int_equal(score_items_add(&s, "not json", err), TT_ERR_PARSE);
    score_free(&s);
    task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_round_trip_and_same_aggregates),
        cmocka_unit_test(test_items_keep_infinities_and_refuse_unknown_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
