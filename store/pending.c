/*
 * pending.c — the arena's answered, unvoted battles (pending.h).
 */
#include "store/internal.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int store_pending_put(store *s, const store_pending_battle *p, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO pending_battles (id, token_hash, model_a, model_b, spec_a, spec_b, prompt, answer_a, answer_b, "
        "latency_a, latency_b, voter_id, tstamp, conversation_a, conversation_b, turns) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET prompt = excluded.prompt, answer_a = excluded.answer_a, "
        "answer_b = excluded.answer_b, latency_a = excluded.latency_a, latency_b = excluded.latency_b, "
        "tstamp = excluded.tstamp, conversation_a = excluded.conversation_a, "
        "conversation_b = excluded.conversation_b, turns = excluded.turns", "store a pending battle", err);
    if (rc) return rc;
    store_q_text(&q, p->id);
    store_q_text(&q, p->token_hash);
    store_q_text(&q, p->model_a);
    store_q_text(&q, p->model_b);
    store_q_text(&q, p->spec_a);
    store_q_text(&q, p->spec_b);
    store_q_text(&q, p->prompt);
    store_q_text(&q, p->answer_a);
    store_q_text(&q, p->answer_b);
    store_q_real(&q, p->latency_a);
    store_q_real(&q, p->latency_b);
    store_q_text(&q, p->voter_id);
    store_q_real(&q, p->tstamp);
    store_q_text(&q, p->conversation_a);
    store_q_text(&q, p->conversation_b);
    store_q_opt_int(&q, p->turns > 0 ? STORE_INT(p->turns) : STORE_NO_INT);
    rc = store_q_run(&q, "store a pending battle", err);
    store_q_finish(&q);
    return rc;
}

static char *dup_or_null(const char *v) { return v ? tt_strdup(v) : NULL; }

int store_pending_get(store *s, const char *id, store_pending_battle *out, char *err)
{
    memset(out, 0, sizeof *out);
    store_q q;
    int rc = store_q_prepare(s, &q,
        "SELECT id, token_hash, model_a, model_b, spec_a, spec_b, prompt, answer_a, answer_b, latency_a, latency_b, "
        "voter_id, tstamp, conversation_a, conversation_b, turns FROM pending_battles WHERE id = ?",
        "read a pending battle", err);
    if (rc) return rc;
    store_q_text(&q, id);
    int step = store_q_step(&q);
    if (step == STORE_ROW) {
        out->id = dup_or_null(store_q_col_text(&q, 0));
        out->token_hash = dup_or_null(store_q_col_text(&q, 1));
        out->model_a = dup_or_null(store_q_col_text(&q, 2));
        out->model_b = dup_or_null(store_q_col_text(&q, 3));
        out->spec_a = dup_or_null(store_q_col_text(&q, 4));
        out->spec_b = dup_or_null(store_q_col_text(&q, 5));
        out->prompt = dup_or_null(store_q_col_text(&q, 6));
        out->answer_a = dup_or_null(store_q_col_text(&q, 7));
        out->answer_b = dup_or_null(store_q_col_text(&q, 8));
        out->latency_a = store_q_col_real(&q, 9);
        out->latency_b = store_q_col_real(&q, 10);
        out->voter_id = dup_or_null(store_q_col_text(&q, 11));
        out->tstamp = store_q_col_real(&q, 12);
        out->conversation_a = dup_or_null(store_q_col_text(&q, 13));
        out->conversation_b = dup_or_null(store_q_col_text(&q, 14));
        store_opt_int t = store_q_col_opt_int(&q, 15);
        out->turns = t.has ? (int)t.v : 0;
    } else if (step == STORE_DONE) {
        rc = tt_fail(err, TT_ERR_NOTFOUND, "no pending battle '%s'", id);
    } else {
        rc = store_fail(s, err, "cannot read a pending battle");
    }
    store_q_finish(&q);
    return rc;
}

void store_pending_free(store_pending_battle *p)
{
    if (!p) return;
    const char *owned[] = {p->id, p->token_hash, p->model_a, p->model_b, p->spec_a, p->spec_b, p->prompt,
                           p->answer_a, p->answer_b, p->voter_id, p->conversation_a, p->conversation_b};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) free((char *)owned[i]);
    memset(p, 0, sizeof *p);
}

int store_pending_delete(store *s, const char *id, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q, "DELETE FROM pending_battles WHERE id = ?", "remove a pending battle", err);
    if (rc) return rc;
    store_q_text(&q, id);
    rc = store_q_run(&q, "remove a pending battle", err);
    store_q_finish(&q);
    return rc;
}

int store_pending_expire(store *s, double before, int64_t *n, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q, "DELETE FROM pending_battles WHERE tstamp < ?", "expire pending battles", err);
    if (rc) return rc;
    store_q_real(&q, before);
    rc = store_q_run(&q, "expire pending battles", err);
    if (rc == TT_OK && n) *n = s->drv->changes(s->conn);
    store_q_finish(&q);
    return rc;
}

int store_moderation_put(store *s, const store_moderation *m, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO moderated_prompts (tstamp, voter_id, battle_id, turn, prompt, moderator, categories_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", "record a moderated prompt", err);
    if (rc) return rc;
    store_q_real(&q, m->tstamp);
    store_q_text(&q, m->voter_id);
    store_q_text(&q, m->battle_id);
    store_q_int(&q, m->turn);
    store_q_text(&q, m->prompt);
    store_q_text(&q, m->moderator);
    store_q_text(&q, m->categories_json);
    rc = store_q_run(&q, "record a moderated prompt", err);
    store_q_finish(&q);
    return rc;
}

int store_battle_token_stored(store *s, const char *session_token, int *stored, char *err)
{
    *stored = 0;
    store_q q;
    int rc = store_q_prepare(s, &q, "SELECT count(*) FROM battles WHERE session_token = ?", "look up a vote", err);
    if (rc) return rc;
    store_q_text(&q, session_token);
    if (store_q_step(&q) == STORE_ROW) *stored = store_q_col_int(&q, 0) > 0;
    else rc = store_fail(s, err, "cannot look up a vote");
    store_q_finish(&q);
    return rc;
}
