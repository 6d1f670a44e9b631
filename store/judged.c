/*
 * judged.c — judged benchmarks (judged.h): upserts on the tables' unique
 * keys, and ordered reads with optional filters written as "? IS NULL OR
 * column = ?" so that one statement serves every combination.
 */
#include "store/internal.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>

typedef struct answers_put {
    const store_judged_answer *v;
    size_t n;
} answers_put;

static int answers_tx(store *s, void *ctx, char *err)
{
    const answers_put *p = ctx;
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO judged_answers (bench, model, model_spec, question_id, category, turn, answer, error, tokens, "
        "latency_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (bench, model, question_id, turn) DO UPDATE SET model_spec = excluded.model_spec, "
        "category = excluded.category, answer = excluded.answer, error = excluded.error, tokens = excluded.tokens, "
        "latency_s = excluded.latency_s, created_at = excluded.created_at", "store answers", err);
    for (size_t i = 0; rc == TT_OK && i < p->n; i++) {
        const store_judged_answer *a = &p->v[i];
        store_q_rewind(&q);
        store_q_text(&q, a->bench);
        store_q_text(&q, a->model);
        store_q_text(&q, a->model_spec);
        store_q_text(&q, a->question_id);
        store_q_text(&q, a->category);
        store_q_int(&q, a->turn);
        store_q_text(&q, a->answer);
        store_q_text(&q, a->error);
        store_q_opt_int(&q, a->tokens);
        store_q_real(&q, a->latency_s);
        store_q_text(&q, a->created_at);
        if (store_q_step(&q) != STORE_DONE)
            rc = store_fail(s, err, "cannot store the answer of '%s' to question %s", a->model ? a->model : "",
                            a->question_id ? a->question_id : "");
    }
    store_q_finish(&q);
    return rc;
}

int store_judged_answers_put(store *s, const store_judged_answer *v, size_t n, char *err)
{
    answers_put p = {v, n};
    return store_with_transaction(s, answers_tx, &p, "store answers", err);
}

int store_judged_answers_each(store *s, const char *bench, const char *model, store_judged_answer_fn fn, void *ctx,
                              char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "SELECT bench, model, model_spec, question_id, category, turn, answer, error, tokens, latency_s, created_at "
        "FROM judged_answers WHERE bench = ? AND (CAST(? AS TEXT) IS NULL OR model = ?) ORDER BY model, question_id, turn",
        "read answers", err);
    if (rc) return rc;
    store_q_text(&q, bench);
    store_q_text(&q, model);
    store_q_text(&q, model);
    int step = STORE_DONE;
    while (rc == TT_OK && (step = store_q_step(&q)) == STORE_ROW) {
        store_judged_answer a = {
            .bench = store_q_col_text(&q, 0), .model = store_q_col_text(&q, 1), .model_spec = store_q_col_text(&q, 2),
            .question_id = store_q_col_text(&q, 3), .category = store_q_col_text(&q, 4),
            .turn = (int)store_q_col_int(&q, 5), .answer = store_q_col_text(&q, 6), .error = store_q_col_text(&q, 7),
            .tokens = store_q_col_opt_int(&q, 8), .latency_s = store_q_col_real(&q, 9),
            .created_at = store_q_col_text(&q, 10),
        };
        rc = fn(ctx, &a, err);
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(s, err, "cannot read answers");
    store_q_finish(&q);
    return rc;
}

typedef struct judgments_put {
    const store_judgment *v;
    size_t n;
} judgments_put;

static int judgments_tx(store *s, void *ctx, char *err)
{
    const judgments_put *p = ctx;
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO judgments (bench, judge, mode, prompt_name, question_id, category, turn, model, model_b, score, "
        "g1, g2, winner, output_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (bench, judge, mode, question_id, turn, model, model_b) DO UPDATE SET "
        "prompt_name = excluded.prompt_name, category = excluded.category, score = excluded.score, g1 = excluded.g1, "
        "g2 = excluded.g2, winner = excluded.winner, output_json = excluded.output_json, "
        "created_at = excluded.created_at", "store judgments", err);
    for (size_t i = 0; rc == TT_OK && i < p->n; i++) {
        const store_judgment *j = &p->v[i];
        store_q_rewind(&q);
        store_q_text(&q, j->bench);
        store_q_text(&q, j->judge);
        store_q_text(&q, j->mode);
        store_q_text(&q, j->prompt_name);
        store_q_text(&q, j->question_id);
        store_q_text(&q, j->category);
        store_q_int(&q, j->turn);
        store_q_text(&q, j->model);
        store_q_text(&q, j->model_b ? j->model_b : "");
        store_q_real(&q, j->score);
        store_q_text(&q, j->g1);
        store_q_text(&q, j->g2);
        store_q_text(&q, j->winner);
        store_q_text(&q, j->output_json);
        store_q_text(&q, j->created_at);
        if (store_q_step(&q) != STORE_DONE)
            rc = store_fail(s, err, "cannot store the judgment of '%s' on question %s", j->model ? j->model : "",
                            j->question_id ? j->question_id : "");
    }
    store_q_finish(&q);
    return rc;
}

int store_judgments_put(store *s, const store_judgment *v, size_t n, char *err)
{
    judgments_put p = {v, n};
    return store_with_transaction(s, judgments_tx, &p, "store judgments", err);
}

int store_judgments_each(store *s, const char *bench, const char *judge, const char *mode, store_judgment_fn fn,
                         void *ctx, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "SELECT bench, judge, mode, prompt_name, question_id, category, turn, model, model_b, score, g1, g2, winner, "
        "output_json, created_at FROM judgments WHERE bench = ? AND (CAST(? AS TEXT) IS NULL OR judge = ?) AND (CAST(? AS TEXT) IS NULL OR mode = ?) "
        "ORDER BY judge, mode, model, model_b, question_id, turn", "read judgments", err);
    if (rc) return rc;
    store_q_text(&q, bench);
    store_q_text(&q, judge);
    store_q_text(&q, judge);
    store_q_text(&q, mode);
    store_q_text(&q, mode);
    int step = STORE_DONE;
    while (rc == TT_OK && (step = store_q_step(&q)) == STORE_ROW) {
        store_judgment j = {
            .bench = store_q_col_text(&q, 0), .judge = store_q_col_text(&q, 1), .mode = store_q_col_text(&q, 2),
            .prompt_name = store_q_col_text(&q, 3), .question_id = store_q_col_text(&q, 4),
            .category = store_q_col_text(&q, 5), .turn = (int)store_q_col_int(&q, 6), .model = store_q_col_text(&q, 7),
            .model_b = store_q_col_text(&q, 8), .score = store_q_col_real(&q, 9), .g1 = store_q_col_text(&q, 10),
            .g2 = store_q_col_text(&q, 11), .winner = store_q_col_text(&q, 12), .output_json = store_q_col_text(&q, 13),
            .created_at = store_q_col_text(&q, 14),
        };
        rc = fn(ctx, &j, err);
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(s, err, "cannot read judgments");
    store_q_finish(&q);
    return rc;
}

int store_judged_sets(store *s, store_judged_set_fn fn, void *ctx, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "SELECT bench, judge, mode, count(*) FROM judgments GROUP BY bench, judge, mode ORDER BY bench, judge, mode",
        "read judgments", err);
    if (rc) return rc;
    int step = STORE_DONE;
    while (rc == TT_OK && (step = store_q_step(&q)) == STORE_ROW) {
        store_judged_set set = {store_q_col_text(&q, 0), store_q_col_text(&q, 1), store_q_col_text(&q, 2),
                                store_q_col_int(&q, 3)};
        rc = fn(ctx, &set, err);
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(s, err, "cannot read judgments");
    store_q_finish(&q);
    return rc;
}
