/*
 * mtbench.c — MT-bench's gen, judge and scores (mtbench.h): question and
 * prompt files found beside each other in the datasets folder, the
 * matches of FastChat's gen_judgment.py (single: every model, question
 * and turn; pairwise: every pair, question and turn, two games each), the
 * judge asked through judged.h, and show_result.py's averages and rates.
 */
#include "arena/mtbench.h"
#include "arena/judged.h"
#include "core/util.h"
#include "judges/judge.h"
#include "judges/judged.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void arena_mtbench_opts_default(arena_mtbench_opts *o)
{
    memset(o, 0, sizeof *o);
    o->bench = "mt_bench";
    o->mode = ARENA_MTBENCH_SINGLE;
    o->max_tokens = 1024;
    o->judge_max_tokens = 2048;
    o->jobs = 4;
    o->seed = 1;
}

int arena_mtbench_mode_parse(const char *s, arena_mtbench_mode *out, char *err)
{
    if (!s || !strcmp(s, "single")) *out = ARENA_MTBENCH_SINGLE;
    else if (!strcmp(s, "pairwise-baseline")) *out = ARENA_MTBENCH_PAIR_BASELINE;
    else if (!strcmp(s, "pairwise-all")) *out = ARENA_MTBENCH_PAIR_ALL;
    else return tt_fail(err, TT_ERR_USAGE, "unknown mode '%s' (expected single, pairwise-baseline or pairwise-all)", s);
    return TT_OK;
}

/* ---- files ------------------------------------------------------------------------------ */

static const char *data_dir(const arena_mtbench_opts *o)
{
    if (o->data_dir) return o->data_dir;
    const char *d = getenv("TIANTI_DATA");
    return d && *d ? d : NULL;
}

/* <data>/<rel>, or NULL with a message naming the option when there is no data folder. */
static char *data_path(const arena_mtbench_opts *o, const char *rel, const char *option, char *err)
{
    const char *d = data_dir(o);
    if (!d) {
        tt_fail(err, TT_ERR_USAGE, "no datasets folder: give --data-dir DIR (or set TIANTI_DATA), or %s", option);
        return NULL;
    }
    return tt_asprintf("%s/%s", d, rel);
}

static int load_questions(const arena_mtbench_opts *o, judged_questions *q, char *err)
{
    char *rel = tt_asprintf("%s/question.jsonl", o->bench);
    char *path = o->questions_path ? tt_strdup(o->questions_path) : data_path(o, rel, "--questions FILE", err);
    free(rel);
    if (!path) return TT_ERR_USAGE;
    int rc = judged_questions_load_mtbench(path, o->limit, q, err);
    free(path);
    return rc;
}

/* ---- gen ------------------------------------------------------------------------------------ */

int arena_mtbench_gen(const char *db_path, const arena_mtbench_opts *o, arena_mtbench_summary *sum, char *err)
{
    memset(sum, 0, sizeof *sum);
    if (o->n_models < 1) return tt_fail(err, TT_ERR_USAGE, "give at least one model (--model)");
    judged_questions q;
    memset(&q, 0, sizeof q);
    int rc = load_questions(o, &q, err);
    if (rc == TT_OK) {
        judged_gen_opts g = {o->bench, o->max_tokens, judge_mtbench_temperature, o->jobs, o->seed, o->log};
        rc = judged_generate_specs(db_path, &q, o->models, o->n_models, o->registry_path, &g, &sum->answered,
                                   &sum->failed, err);
    }
    judged_questions_free(&q);
    return rc;
}

/* ---- judge ---------------------------------------------------------------------------------- */

/* One judgment to make: a model (or a pair) on one turn of one question. */
typedef struct match {
    const judged_question *q;
    int turn;
    const char *m1, *m2;             /* m2 NULL: single grading */
    const judge_prompt *jp;          /* NULL with the reference judge */
    const char *prompt_name;
    int ask;                         /* index of its first request */
    int games;                       /* 1 (single) or 2 (pairwise) */
} match;

/* The answer fields of one side for a turn: answer (turn 1) or answer_1
 * and answer_2; with a suffix for pairwise ("_a", "_b"). */
static int fill_fields(const judged_answers *ans, const match *m, const char *model, const char *side, const char **names,
                       const char **values, int *n, char bufs[][32])
{
    for (int t = 1; t <= m->turn; t++) {
        const char *a = judged_answer(ans, model, m->q->id, t, NULL);
        if (!a) return -1;
        if (m->turn == 1) snprintf(bufs[*n], 32, "answer%s", side);
        else snprintf(bufs[*n], 32, "answer%s_%d", side, t);
        names[*n] = bufs[*n];
        values[(*n)++] = a;
    }
    return 0;
}

/* The user prompt of game g of match m (g = 1: m1 as A; g = 2: m2 as A).
 * -1 when an answer is missing; TT_ERR_PARSE from the template. */
static int build_prompt(const judged_answers *ans, const match *m, int g, char **user, char *err)
{
    const char *names[12], *values[12];
    char bufs[12][32];
    int n = 0;
    if (m->turn == 1) {
        names[n] = "question";
        values[n++] = m->q->turns[0];
    } else {
        names[n] = "question_1";
        values[n++] = m->q->turns[0];
        names[n] = "question_2";
        values[n++] = m->q->turns[1];
    }
    for (int r = 0; r < m->q->n_ref && r < 2; r++) {
        names[n] = r ? "ref_answer_2" : "ref_answer_1";
        values[n++] = m->q->ref[r];
    }
    if (!m->m2) {
        if (fill_fields(ans, m, m->m1, "", names, values, &n, bufs) < 0) return -1;
    } else {
        const char *first = g == 1 ? m->m1 : m->m2, *second = g == 1 ? m->m2 : m->m1;
        if (fill_fields(ans, m, first, "_a", names, values, &n, bufs) < 0) return -1;
        if (fill_fields(ans, m, second, "_b", names, values, &n, bufs) < 0) return -1;
    }
    return judge_format(m->jp->prompt_template, names, values, n, user, err);
}

/* The winner of one game mapped to the pair's models, FastChat's way. */
static const char *game_winner(judge_verdict v, int game)
{
    if (v == JUDGE_VERDICT_ERROR) return "error";
    if (v == JUDGE_VERDICT_TIE) return "tie";
    int first = v == JUDGE_VERDICT_A;
    return (game == 1) == first ? "model_1" : "model_2";
}

static const char *combined_winner(const char *g1, const char *g2)
{
    if (!strcmp(g1, "error") || !strcmp(g2, "error")) return "error";
    if (!strcmp(g1, "tie") || strcmp(g1, g2)) return "tie";
    return g1;
}

static json_t *game_json(const char *name, const char *user, const char *reply, const char *failure)
{
    json_t *o = json_pack("{s:s,s:s}", "prompt_name", name, "user_prompt", user ? user : "");
    json_object_set_new(o, "judgment", reply ? json_string(reply) : json_null());
    if (failure) json_object_set_new(o, "error", json_string(failure));
    return o;
}

int arena_mtbench_is_reference_judge(const char *spec)
{
    return spec && (!strcmp(spec, "reference") || !strncmp(spec, "reference:", 10));
}

/* The reference judge's judgment of match m: each answer of the turn checked
 * against the turn's reference (the reference file's, else the question
 * file's own). Single: 10 right, 1 wrong (MT-bench's scale ends); pairwise:
 * right beats wrong, otherwise a tie, the same verdict for both games. A
 * turn without a reference is kept without a rating (score -1 / error), as a
 * judge reply without one is. Returns -1 when an answer is missing. */
static int reference_judgment(judge *rj, const judged_answers *ans, const match *m, store_judgment *j, char **out,
                              int *no_verdict, char *err)
{
    const judged_question *q = m->q;
    int t = m->turn - 1;
    const char *ref = q->n_ref > t ? q->ref[t] : q->n_own_ref > t ? q->own_ref[t] : NULL;
    const char *a1 = judged_answer(ans, m->m1, q->id, m->turn, NULL);
    const char *a2 = m->m2 ? judged_answer(ans, m->m2, q->id, m->turn, NULL) : NULL;
    if (!a1 || (m->m2 && !a2)) return -1;
    json_t *d = json_pack("{s:s}", "judge", judge_spec(rj));
    json_object_set_new(d, "reference", ref ? json_string(ref) : json_null());
    *no_verdict = 0;
    int rc = TT_OK;
    if (!ref) {
        *no_verdict = 1;
        json_object_set_new(d, "error", json_string("no reference answer for this turn"));
        if (m->m2) j->g1 = j->g2 = j->winner = "error";
        else j->score = -1;
    } else {
        int r1 = 0, r2 = 0;
        rc = judge_check_answer(rj, a1, ref, &r1, err);
        if (rc == TT_OK && m->m2) rc = judge_check_answer(rj, a2, ref, &r2, err);
        if (rc == TT_OK && !m->m2) {
            j->score = r1 ? 10 : 1;
            json_object_set_new(d, "right", json_boolean(r1));
        } else if (rc == TT_OK) {
            j->g1 = j->g2 = j->winner = r1 == r2 ? "tie" : r1 ? "model_1" : "model_2";
            json_object_set_new(d, "model_1_right", json_boolean(r1));
            json_object_set_new(d, "model_2_right", json_boolean(r2));
        }
    }
    *out = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    return rc;
}

int arena_mtbench_judge(const char *db_path, const arena_mtbench_opts *o, arena_mtbench_summary *sum, char *err)
{
    memset(sum, 0, sizeof *sum);
    if (!o->judge) return tt_fail(err, TT_ERR_USAGE, "give a judge (--judge SPEC)");
    int pairwise = o->mode != ARENA_MTBENCH_SINGLE;
    if (o->mode == ARENA_MTBENCH_PAIR_BASELINE && !o->baseline)
        return tt_fail(err, TT_ERR_USAGE, "pairwise-baseline needs --baseline MODEL");
    judged_questions q;
    memset(&q, 0, sizeof q);
    judge_prompts jps;
    memset(&jps, 0, sizeof jps);
    judged_answers *ans = NULL;
    store *st = NULL;
    engine *judge = NULL;
    struct judge *rj = NULL;       /* the reference judge, when o->judge is one */
    int by_reference = arena_mtbench_is_reference_judge(o->judge);
    FILE *save = NULL;
    match *matches = NULL;
    judged_ask *asks = NULL;
    char **users = NULL, **replies = NULL, **failures = NULL;
    int n_matches = 0, n_asks = 0;
    int rc = load_questions(o, &q, err);
    char *ref_path = NULL;
    if (rc == TT_OK) {
        /* reference answers: the given file, else FastChat's beside the questions when there */
        char *rel = tt_asprintf("%s/reference_answer/gpt-4.jsonl", o->bench);
        ref_path = o->references_path ? tt_strdup(o->references_path) : data_dir(o) ? tt_asprintf("%s/%s", data_dir(o), rel)
                                                                                   : NULL;
        free(rel);
        if (ref_path && (o->references_path || tt_file_exists(ref_path))) {
            size_t matched = 0;
            rc = judged_references_load(ref_path, &q, &matched, err);
            if (rc == TT_OK && o->log) fprintf(o->log, "references: %zu of %zu questions have one\n", matched, q.n);
        }
    }
    if (rc == TT_OK && !by_reference) {
        char *jp_path = o->judge_prompts_path ? tt_strdup(o->judge_prompts_path)
                                              : data_path(o, "mt_bench/judge_prompts.jsonl", "--judge-prompts FILE", err);
        rc = jp_path ? judge_prompts_load(jp_path, &jps, err) : TT_ERR_USAGE;
        free(jp_path);
    }
    if (rc == TT_OK) rc = store_open(db_path, &st, err);
    if (rc == TT_OK) rc = judged_answers_load(st, o->bench, &ans, err);
    int n_models = 0;
    const char *const *models = NULL;
    if (rc == TT_OK) {
        models = o->n_models ? o->models : judged_answer_models(ans, &n_models);
        if (o->n_models) n_models = o->n_models;
        if (n_models == 0) rc = tt_fail(err, TT_ERR_NOTFOUND, "no answers for '%s' in the store: run gen first", o->bench);
    }
    if (rc == TT_OK) rc = by_reference ? judge_open(o->judge, NULL, &rj, err)
                                       : judged_open_judge(o->judge, o->registry_path, &judge, err);
    if (rc == TT_OK && o->save_judge_requests && !(save = fopen(o->save_judge_requests, "w")))
        rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", o->save_judge_requests);

    /* the matches, as gen_judgment.py makes them */
    if (rc == TT_OK) {
        size_t cap = 64;
        matches = tt_malloc(cap * sizeof *matches);
        for (size_t i = 0; i < q.n && rc == TT_OK; i++) {
            for (int turn = 1; turn <= q.v[i].n_turns && rc == TT_OK; turn++) {
                int with_ref = judge_needs_reference(q.v[i].category) && q.v[i].n_ref >= turn;
                const char *name = by_reference ? "reference" : judge_mtbench_prompt_name(pairwise, with_ref, turn);
                const judge_prompt *jp = by_reference ? NULL : judge_prompts_find(&jps, name);
                if (!jp && !by_reference) {
                    rc = tt_fail(err, TT_ERR_PARSE, "the judge prompt file has no '%s'", name);
                    break;
                }
                for (int a = 0; a < n_models; a++) {
                    for (int b = pairwise ? 0 : -1; b < (pairwise ? n_models : 0); b++) {
                        const char *m2 = NULL;
                        if (pairwise) {
                            if (o->mode == ARENA_MTBENCH_PAIR_BASELINE) {
                                if (b > 0 || !strcmp(models[a], o->baseline)) continue;
                                m2 = o->baseline;
                            } else {
                                if (b <= a) continue;
                                m2 = models[b];
                            }
                        }
                        if ((size_t)n_matches == cap) matches = tt_realloc(matches, (cap *= 2) * sizeof *matches);
                        matches[n_matches++] = (match){&q.v[i], turn, models[a], m2, jp, name, 0, pairwise ? 2 : 1};
                    }
                }
            }
        }
    }
    /* their requests (the reference judge asks no model) */
    if (rc == TT_OK && !by_reference) {
        users = tt_calloc((size_t)n_matches * 2 + 1, sizeof *users);
        asks = tt_calloc((size_t)n_matches * 2 + 1, sizeof *asks);
        for (int k = 0; k < n_matches && rc == TT_OK; k++) {
            match *m = &matches[k];
            m->ask = n_asks;
            for (int g = 1; g <= m->games && rc == TT_OK; g++) {
                char *user = NULL;
                int b = build_prompt(ans, m, g, &user, err);
                if (b < 0) {   /* an answer is missing: nothing to judge */
                    m->games = 0;
                    sum->skipped++;
                    for (int u = m->ask; u < n_asks; u++) free(users[u]);
                    n_asks = m->ask;
                    break;
                }
                if (b != TT_OK) {
                    rc = b;
                    break;
                }
                users[n_asks] = user;
                asks[n_asks] = (judged_ask){m->jp->system_prompt, user};
                n_asks++;
            }
        }
    }
    if (rc == TT_OK && !by_reference) {
        replies = tt_calloc((size_t)n_asks + 1, sizeof *replies);
        failures = tt_calloc((size_t)n_asks + 1, sizeof *failures);
        rc = judged_ask_all(judge, st, asks, n_asks, o->judge_max_tokens, o->jobs, save, o->log, replies, failures, err);
    }
    if (rc == TT_OK) {
        store_judgment *rows = tt_calloc((size_t)n_matches + 1, sizeof *rows);
        char **outs = tt_calloc((size_t)n_matches + 1, sizeof *outs);
        char now[32];
        tt_iso8601(tt_wall_s(), now);
        int n_rows = 0;
        for (int k = 0; k < n_matches; k++) {
            match *m = &matches[k];
            if (!m->games) continue;
            store_judgment *j = &rows[n_rows];
            *j = (store_judgment){.bench = o->bench, .judge = by_reference ? judge_spec(rj) : engine_get_spec(judge),
                                  .mode = pairwise ? "pair" : "single", .prompt_name = m->prompt_name,
                                  .question_id = m->q->id, .category = m->q->category, .turn = m->turn, .model = m->m1,
                                  .model_b = m->m2 ? m->m2 : "", .score = NAN, .created_at = now};
            json_t *out;
            if (by_reference) {
                int nv = 0;
                int r = reference_judgment(rj, ans, m, j, &outs[n_rows], &nv, err);
                if (r < 0) {
                    sum->skipped++;
                    continue;
                }
                if (r != TT_OK) {
                    free(outs[n_rows]);
                    outs[n_rows] = NULL;
                    rc = r;
                    break;
                }
                sum->no_verdict += nv;
                j->output_json = outs[n_rows];
                n_rows++;
                continue;
            } else if (!pairwise) {
                double score;
                if (judge_parse_rating_fastchat(replies[m->ask], &score) != 0) sum->no_verdict++;
                j->score = score;
                out = game_json(m->jp->name, users[m->ask], replies[m->ask], failures[m->ask]);
            } else {
                const char *g1 = game_winner(judge_parse_pair_fastchat(replies[m->ask]), 1);
                const char *g2 = game_winner(judge_parse_pair_fastchat(replies[m->ask + 1]), 2);
                j->g1 = g1;
                j->g2 = g2;
                j->winner = combined_winner(g1, g2);
                if (!strcmp(j->winner, "error")) sum->no_verdict++;
                out = json_pack("{s:[o,o]}", "games",
                                game_json(m->jp->name, users[m->ask], replies[m->ask], failures[m->ask]),
                                game_json(m->jp->name, users[m->ask + 1], replies[m->ask + 1], failures[m->ask + 1]));
            }
            outs[n_rows] = json_dumps(out, JSON_COMPACT);
            json_decref(out);
            j->output_json = outs[n_rows];
            n_rows++;
        }
        if (rc == TT_OK) rc = n_rows ? store_judgments_put(st, rows, (size_t)n_rows, err) : TT_OK;
        if (rc == TT_OK) sum->judged = n_rows;
        for (int k = 0; k < n_rows; k++) free(outs[k]);
        free(outs);
        free(rows);
    }
    for (int k = 0; k < n_asks; k++) {
        free(users[k]);
        if (replies) free(replies[k]);
        if (failures) free(failures[k]);
    }
    if (save && fclose(save) != 0 && rc == TT_OK) rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", o->save_judge_requests);
    free(users);
    free(replies);
    free(failures);
    free(asks);
    free(matches);
    free(ref_path);
    engine_close(judge);
    judge_close(rj);
    judged_answers_free(ans);
    store_close(st);
    judge_prompts_free(&jps);
    judged_questions_free(&q);
    return rc;
}

/* ---- scores ------------------------------------------------------------------------------------ */

typedef struct pick_ctx {
    const char *bench, *mode;
    char *judge;
    int64_t best;
} pick_ctx;

static int pick_judge(void *ctx, const store_judged_set *set, char *err)
{
    (void)err;
    pick_ctx *c = ctx;
    if (strcmp(set->bench, c->bench) || strcmp(set->mode, c->mode) || set->n <= c->best) return TT_OK;
    free(c->judge);
    c->judge = tt_strdup(set->judge);
    c->best = set->n;
    return TT_OK;
}

typedef struct acc {
    double sum[2];
    int n[2];
    int failed;
    double cat_sum[ARENA_MTBENCH_MAX_CATS];
    int cat_n[ARENA_MTBENCH_MAX_CATS];
    int win, loss, tie, errors;
} acc;

typedef struct score_ctx {
    arena_mtbench_scores *sc;
    acc *acc;
    int cap;
    char **qids;
    int n_qids, cap_qids;
} score_ctx;

static int row_of(score_ctx *c, const char *model)
{
    arena_mtbench_scores *sc = c->sc;
    for (int i = 0; i < sc->n_rows; i++)
        if (!strcmp(sc->rows[i].model, model)) return i;
    if (sc->n_rows == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        sc->rows = tt_realloc(sc->rows, (size_t)c->cap * sizeof *sc->rows);
        c->acc = tt_realloc(c->acc, (size_t)c->cap * sizeof *c->acc);
    }
    memset(&sc->rows[sc->n_rows], 0, sizeof sc->rows[0]);
    memset(&c->acc[sc->n_rows], 0, sizeof c->acc[0]);
    sc->rows[sc->n_rows].model = tt_strdup(model);
    return sc->n_rows++;
}

/* MT-bench's categories in its own order; others follow as they come. */
static int cat_of(arena_mtbench_scores *sc, const char *cat)
{
    static const char *const known[] = {"writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem",
                                        "humanities", NULL};
    if (!cat) cat = "";
    for (int i = 0; i < sc->n_cats; i++)
        if (!strcmp(sc->cats[i], cat)) return i;
    if (sc->n_cats == 0 && !sc->pairwise) {
        for (int i = 0; known[i]; i++) sc->cats[sc->n_cats++] = tt_strdup(known[i]);
        for (int i = 0; i < sc->n_cats; i++)
            if (!strcmp(sc->cats[i], cat)) return i;
    }
    if (sc->n_cats >= ARENA_MTBENCH_MAX_CATS) return -1;
    sc->cats[sc->n_cats] = tt_strdup(cat);
    return sc->n_cats++;
}

static void count_question(score_ctx *c, const char *qid)
{
    for (int i = c->n_qids - 1; i >= 0; i--)
        if (!strcmp(c->qids[i], qid)) return;
    if (c->n_qids == c->cap_qids) {
        c->cap_qids = c->cap_qids ? c->cap_qids * 2 : 64;
        c->qids = tt_realloc(c->qids, (size_t)c->cap_qids * sizeof *c->qids);
    }
    c->qids[c->n_qids++] = tt_strdup(qid);
}

static int add_judgment(void *ctx, const store_judgment *j, char *err)
{
    (void)err;
    score_ctx *c = ctx;
    arena_mtbench_scores *sc = c->sc;
    if (!sc->pairwise) {
        int r = row_of(c, j->model);
        acc *a = &c->acc[r];
        count_question(c, j->question_id);
        if (isnan(j->score) || j->score == -1) {   /* show_result.py drops score -1 */
            a->failed++;
            return TT_OK;
        }
        int t = j->turn >= 2 ? 1 : 0;
        a->sum[t] += j->score;
        a->n[t]++;
        int k = cat_of(sc, j->category);
        if (k >= 0) {
            a->cat_sum[k] += j->score;
            a->cat_n[k]++;
        }
        return TT_OK;
    }
    if (sc->baseline && strcmp(j->model, sc->baseline) && strcmp(j->model_b, sc->baseline)) return TT_OK;
    count_question(c, j->question_id);
    int r1 = row_of(c, j->model), r2 = row_of(c, j->model_b);
    if (!j->winner || !strcmp(j->winner, "error")) {
        c->acc[r1].errors++;
        c->acc[r2].errors++;
    } else if (!strcmp(j->winner, "tie")) {
        c->acc[r1].tie++;
        c->acc[r2].tie++;
    } else {
        int w = !strcmp(j->winner, "model_1") ? r1 : r2, l = w == r1 ? r2 : r1;
        c->acc[w].win++;
        c->acc[l].loss++;
    }
    return TT_OK;
}

static int cmp_rows(const void *x, const void *y)
{
    const arena_mtbench_row *a = x, *b = y;
    double ka = isnan(a->average) ? -INFINITY : a->average, kb = isnan(b->average) ? -INFINITY : b->average;
    if (ka != kb) return ka > kb ? -1 : 1;
    return strcmp(a->model, b->model);
}

int arena_mtbench_scores_load(store *s, const char *bench, const char *judge, int pairwise, const char *baseline,
                              arena_mtbench_scores *out, char *err)
{
    memset(out, 0, sizeof *out);
    out->bench = tt_strdup(bench);
    out->pairwise = pairwise;
    out->baseline = tt_strdup(baseline);
    const char *mode = pairwise ? "pair" : "single";
    pick_ctx pc = {bench, mode, NULL, 0};
    int rc = TT_OK;
    if (judge) pc.judge = tt_strdup(judge);
    else rc = store_judged_sets(s, pick_judge, &pc, err);
    if (rc != TT_OK) return rc;
    if (!pc.judge) return tt_fail(err, TT_ERR_NOTFOUND, "no %s judgments of '%s' in the store", pairwise ? "pairwise" : "single",
                                  bench);
    out->judge = pc.judge;
    score_ctx c = {out, NULL, 0, NULL, 0, 0};
    rc = store_judgments_each(s, bench, out->judge, mode, add_judgment, &c, err);
    out->questions = c.n_qids;
    for (int i = 0; i < c.n_qids; i++) free(c.qids[i]);
    free(c.qids);
    if (rc == TT_OK && out->n_rows == 0)
        rc = tt_fail(err, TT_ERR_NOTFOUND, "no %s judgments of '%s' by '%s' in the store", pairwise ? "pairwise" : "single",
                     bench, out->judge);
    for (int r = 0; rc == TT_OK && r < out->n_rows; r++) {
        arena_mtbench_row *row = &out->rows[r];
        acc *a = &c.acc[r];
        for (int t = 0; t < 2; t++) {
            row->turn[t] = a->n[t] ? a->sum[t] / a->n[t] : NAN;
            row->n_turn[t] = a->n[t];
        }
        row->n = a->n[0] + a->n[1];
        row->average = row->n ? (a->sum[0] + a->sum[1]) / row->n : NAN;
        row->failed = a->failed;
        for (int k = 0; k < ARENA_MTBENCH_MAX_CATS; k++) {
            row->cat[k] = a->cat_n[k] ? a->cat_sum[k] / a->cat_n[k] : NAN;
            row->n_cat[k] = a->cat_n[k];
        }
        row->win = a->win;
        row->loss = a->loss;
        row->tie = a->tie;
        row->errors = a->errors;
        int games = a->win + a->loss + a->tie;
        row->win_rate = games ? (double)a->win / games : NAN;
        row->loss_rate = games ? (double)a->loss / games : NAN;
        row->win_rate_adjusted = games ? (a->win + 0.5 * a->tie) / games : NAN;
        if (pairwise) row->average = row->win_rate_adjusted;   /* the sort key */
    }
    free(c.acc);
    if (rc == TT_OK && pairwise && baseline) {
        for (int r = 0; r < out->n_rows; r++)
            if (!strcmp(out->rows[r].model, baseline)) {
                free(out->rows[r].model);
                out->rows[r] = out->rows[--out->n_rows];
                break;
            }
    }
    if (rc == TT_OK) qsort(out->rows, (size_t)out->n_rows, sizeof *out->rows, cmp_rows);
    /* categories nobody was judged in (the known list) are dropped */
    if (rc == TT_OK && !pairwise) {
        int k2 = 0;
        for (int k = 0; k < out->n_cats; k++) {
            int any = 0;
            for (int r = 0; r < out->n_rows; r++) any |= out->rows[r].n_cat[k] > 0;
            if (!any) {
                free(out->cats[k]);
                continue;
            }
            out->cats[k2] = out->cats[k];
            for (int r = 0; r < out->n_rows; r++) {
                out->rows[r].cat[k2] = out->rows[r].cat[k];
                out->rows[r].n_cat[k2] = out->rows[r].n_cat[k];
            }
            k2++;
        }
        out->n_cats = k2;
    }
    return rc;
}

void arena_mtbench_scores_free(arena_mtbench_scores *sc)
{
    if (!sc) return;
    for (int r = 0; r < sc->n_rows; r++) free(sc->rows[r].model);
    free(sc->rows);
    for (int k = 0; k < sc->n_cats; k++) free(sc->cats[k]);
    free(sc->bench);
    free(sc->judge);
    free(sc->baseline);
    memset(sc, 0, sizeof *sc);
}
