/*
 * arenahard.c — Arena-Hard-Auto's gen, judge and scores (arenahard.h): the
 * dataset's files, the baseline's answers read into the store, two games
 * per answer through judged.h, and show_result.py's battles, weights and
 * win rates on top of the arena's Bradley–Terry (arena/leaderboard.h).
 */
#include "arena/arenahard.h"
#include "arena/battles.h"
#include "arena/conv.h"
#include "arena/judged.h"
#include "arena/leaderboard.h"
#include "core/utf8.h"
#include "core/util.h"
#include "judges/judged.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Tianti's statement of Arena-Hard's judging task (its own words). */
static const char default_system[] =
    "You are judging two AI assistants. Below is a user prompt and the answers of assistant A and assistant B. "
    "First write your own answer to the prompt, so that you know what a good answer contains. Then compare both "
    "assistants' answers with yours: point out and correct mistakes or inaccurate information, and consider whether "
    "each answer is helpful (it does what the prompt asks; where the prompt is ambiguous, asking for clarification "
    "is better than guessing), relevant (every part belongs to the question) and concise (clear, not wordy). Where "
    "it matters, also weigh creativity and novelty, and note important information an answer leaves out. Do not let "
    "the order in which the answers appear, their length or the assistants' names sway you. After your reasoning, "
    "end with exactly one verdict label: [[A>>B]] if assistant A is significantly better, [[A>B]] if A is slightly "
    "better, [[A=B]] if they are about equal, [[B>A]] if B is slightly better, [[B>>A]] if B is significantly "
    "better. For example: \"My final verdict is: [[A>B]]\".";

/* The template shape of the dataset's config, used when the file is not there. */
static const char default_template[] =
    "<|User Prompt|>\n{QUESTION}\n\n<|The Start of Assistant A's Answer|>\n{ANSWER_A}\n"
    "<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{ANSWER_B}\n"
    "<|The End of Assistant B's Answer|>";

void arena_hard_opts_default(arena_hard_opts *o)
{
    memset(o, 0, sizeof *o);
    o->bench = "arena-hard-v0.1";
    o->baseline = "gpt-4-0314";
    o->max_tokens = 4096;
    o->judge_max_tokens = 4096;
    o->jobs = 4;
    o->seed = 1;
}

static char *data_file(const arena_hard_opts *o, const char *given, const char *rel, const char *option, char *err)
{
    if (given) return tt_strdup(given);
    const char *d = o->data_dir ? o->data_dir : getenv("TIANTI_DATA");
    if (!d || !*d) {
        tt_fail(err, TT_ERR_USAGE, "no datasets folder: give --data-dir DIR (or set TIANTI_DATA), or %s", option);
        return NULL;
    }
    return tt_asprintf("%s/arena_hard/%s", d, rel);
}

static int load_questions(const arena_hard_opts *o, judged_questions *q, char *err)
{
    char *rel = tt_asprintf("data/%s/question.jsonl", o->bench);
    char *path = data_file(o, o->questions_path, rel, "--questions FILE", err);
    free(rel);
    if (!path) return TT_ERR_USAGE;
    int rc = judged_questions_load_arena_hard(path, o->limit, q, err);
    free(path);
    return rc;
}

int arena_hard_gen(const char *db_path, const arena_hard_opts *o, arena_hard_summary *sum, char *err)
{
    memset(sum, 0, sizeof *sum);
    if (o->n_models < 1) return tt_fail(err, TT_ERR_USAGE, "give at least one model (--model)");
    judged_questions q;
    memset(&q, 0, sizeof q);
    int rc = load_questions(o, &q, err);
    if (rc == TT_OK) {
        judged_gen_opts g = {o->bench, o->max_tokens, NULL, o->jobs, o->seed, o->log};
        rc = judged_generate_specs(db_path, &q, o->models, o->n_models, o->registry_path, &g, &sum->answered,
                                   &sum->failed, err);
    }
    judged_questions_free(&q);
    return rc;
}

/* ---- the baseline's answers ----------------------------------------------------------------- */

/* The answer text of an Arena-Hard model_answer record: the last message's
 * content, itself {"answer": TEXT} (v0.1 files) or a string. */
static const char *answer_text(json_t *rec)
{
    json_t *msgs = json_object_get(rec, "messages");
    json_t *last = json_array_get(msgs, json_array_size(msgs) ? json_array_size(msgs) - 1 : 0);
    json_t *content = json_object_get(last, "content");
    if (json_is_string(content)) return json_string_value(content);
    return json_string_value(json_object_get(content, "answer"));
}

/* Reads the baseline's answers into the store unless they are there. */
static int load_baseline(store *st, const arena_hard_opts *o, const judged_questions *q, const judged_answers *ans,
                         int *loaded, char *err)
{
    *loaded = 0;
    int missing = 0;
    for (size_t i = 0; i < q->n && !missing; i++) missing = !judged_answer(ans, o->baseline, q->v[i].id, 1, NULL);
    if (!missing) return TT_OK;
    char *rel = tt_asprintf("data/%s/model_answer/%s.jsonl", o->bench, o->baseline);
    char *path = data_file(o, o->baseline_path, rel, "--baseline-answers FILE", err);
    free(rel);
    if (!path) return TT_ERR_USAGE;
    char *text = NULL;
    size_t len;
    int rc = tt_read_file(path, &text, &len, err);
    store_judged_answer *rows = tt_calloc(q->n ? q->n : 1, sizeof *rows);
    char **texts = tt_calloc(q->n ? q->n : 1, sizeof *texts);
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    int line = 0;
    size_t n = 0;
    for (char *p = rc == TT_OK ? text : NULL; p && *p && rc == TT_OK;) {
        char *nl = strchr(p, '\n');
        size_t k = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        json_error_t je;
        json_t *o_ = k ? json_loadb(p, k, 0, &je) : NULL;
        if (k && !json_is_object(o_)) rc = tt_fail(err, TT_ERR_PARSE, "%s:%d: not a JSON object", path, line);
        const char *uid = json_string_value(json_object_get(o_, "uid"));
        const char *ansr = o_ ? answer_text(o_) : NULL;
        if (rc == TT_OK && o_ && (!uid || !ansr))
            rc = tt_fail(err, TT_ERR_PARSE, "%s:%d: expected 'uid' and the answer in messages[-1].content", path, line);
        for (size_t i = 0; rc == TT_OK && uid && i < q->n; i++) {
            if (strcmp(q->v[i].id, uid)) continue;
            texts[n] = tt_utf8_clean(ansr, strlen(ansr));
            rows[n] = (store_judged_answer){.bench = o->bench, .model = o->baseline, .question_id = q->v[i].id,
                                            .category = q->v[i].category, .turn = 1, .answer = texts[n],
                                            .tokens = STORE_NO_INT, .latency_s = NAN, .created_at = now};
            n++;
            break;
        }
        json_decref(o_);
        p = nl ? nl + 1 : NULL;
    }
    if (rc == TT_OK && n) rc = store_judged_answers_put(st, rows, n, err);
    if (rc == TT_OK) *loaded = (int)n;
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(rows);
    if (rc == TT_OK && n == 0)
        rc = tt_fail(err, TT_ERR_NOTFOUND, "%s has no answers to these prompts", path);
    free(text);
    free(path);
    return rc;
}

/* ---- judge ---------------------------------------------------------------------------------------- */

/* The prompt_template of the dataset's YAML config: one line holding a
 * double-quoted YAML string. NULL when the file or the key is not there. */
static char *config_template(const char *path)
{
    char *text;
    size_t len;
    char ignored[TT_ERR_SIZE];
    if (!path || tt_read_file(path, &text, &len, ignored) != TT_OK) return NULL;
    char *out = NULL;
    for (char *p = text; p && *p && !out;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        if (!strncmp(p, "prompt_template:", 16)) {
            char *v = p + 16;
            while (*v == ' ') v++;
            if (*v == '"') {
                tt_buf b;
                tt_buf_init(&b);
                tt_buf_puts(&b, "");
                for (v++; *v && *v != '"'; v++) {
                    if (*v != '\\' || !v[1]) {
                        tt_buf_append(&b, v, 1);
                        continue;
                    }
                    v++;
                    char c = *v == 'n' ? '\n' : *v == 't' ? '\t' : *v;
                    tt_buf_append(&b, &c, 1);
                }
                out = tt_buf_detach(&b);
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    free(text);
    return out;
}

int arena_hard_judge(const char *db_path, const arena_hard_opts *o, arena_hard_summary *sum, char *err)
{
    memset(sum, 0, sizeof *sum);
    if (!o->judge) return tt_fail(err, TT_ERR_USAGE, "give a judge (--judge SPEC)");
    judged_questions q;
    memset(&q, 0, sizeof q);
    judged_answers *ans = NULL;
    store *st = NULL;
    engine *judge = NULL;
    FILE *save = NULL;
    char *tmpl = NULL, *system = NULL;
    int rc = load_questions(o, &q, err);
    if (rc == TT_OK) {
        char *rel = tt_asprintf("config/%s.yaml", o->bench);
        char *cfg = data_file(o, o->config_path, rel, "--config FILE", err);
        free(rel);
        tmpl = config_template(cfg);
        if (!tmpl && o->config_path) rc = tt_fail(err, TT_ERR_PARSE, "%s: no prompt_template", o->config_path);
        if (!tmpl) tmpl = tt_strdup(default_template);
        free(cfg);
    }
    if (rc == TT_OK && o->system_path) {
        size_t len;
        rc = tt_read_file(o->system_path, &system, &len, err);
    }
    if (rc == TT_OK) rc = store_open(db_path, &st, err);
    if (rc == TT_OK) rc = judged_answers_load(st, o->bench, &ans, err);
    if (rc == TT_OK) rc = load_baseline(st, o, &q, ans, &sum->baseline_loaded, err);
    if (rc == TT_OK && sum->baseline_loaded) {
        judged_answers_free(ans);
        ans = NULL;
        rc = judged_answers_load(st, o->bench, &ans, err);
    }
    int n_models = 0;
    const char *const *models = NULL;
    if (rc == TT_OK) {
        models = o->n_models ? o->models : judged_answer_models(ans, &n_models);
        if (o->n_models) n_models = o->n_models;
    }
    if (rc == TT_OK) rc = judged_open_judge(o->judge, o->registry_path, &judge, err);
    if (rc == TT_OK && o->save_judge_requests && !(save = fopen(o->save_judge_requests, "w")))
        rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", o->save_judge_requests);
    size_t cap = (size_t)(n_models > 0 ? n_models : 1) * q.n * 2 + 1;
    judged_ask *asks = tt_calloc(cap, sizeof *asks);
    char **users = tt_calloc(cap, sizeof *users);
    const char **who = tt_calloc(cap, sizeof *who);          /* the model of each pair of games */
    const judged_question **which = tt_calloc(cap, sizeof *which);
    int n_asks = 0;
    for (int m = 0; rc == TT_OK && m < n_models; m++) {
        if (!strcmp(models[m], o->baseline)) continue;
        for (size_t i = 0; rc == TT_OK && i < q.n; i++) {
            const char *mine = judged_answer(ans, models[m], q.v[i].id, 1, NULL);
            const char *base = judged_answer(ans, o->baseline, q.v[i].id, 1, NULL);
            if (!mine || !base) {
                sum->skipped++;
                continue;
            }
            for (int g = 1; g <= 2 && rc == TT_OK; g++) {
                const char *names[3] = {"QUESTION", "ANSWER_A", "ANSWER_B"};
                const char *values[3] = {q.v[i].turns[0], g == 1 ? base : mine, g == 1 ? mine : base};
                rc = judge_format(tmpl, names, values, 3, &users[n_asks], err);
                asks[n_asks] = (judged_ask){system ? system : default_system, users[n_asks]};
                who[n_asks] = models[m];
                which[n_asks] = &q.v[i];
                n_asks++;
            }
        }
    }
    char **replies = tt_calloc((size_t)n_asks + 1, sizeof *replies), **failures = tt_calloc((size_t)n_asks + 1, sizeof *failures);
    if (rc == TT_OK)
        rc = judged_ask_all(judge, st, asks, n_asks, o->judge_max_tokens, o->jobs, save, o->log, replies, failures, err);
    if (rc == TT_OK && n_asks) {
        int n_rows = n_asks / 2;
        store_judgment *rows = tt_calloc((size_t)n_rows, sizeof *rows);
        char **outs = tt_calloc((size_t)n_rows, sizeof *outs);
        char (*labels)[2][16] = tt_calloc((size_t)n_rows, sizeof *labels);
        char now[32];
        tt_iso8601(tt_wall_s(), now);
        for (int r = 0; r < n_rows; r++) {
            int a = 2 * r;
            json_t *games = json_array();
            for (int g = 0; g < 2; g++) {
                if (judge_parse_arena_hard(replies[a + g], labels[r][g]) != 0) {
                    snprintf(labels[r][g], sizeof labels[r][g], "error");
                    sum->no_verdict++;
                }
                json_t *game = json_pack("{s:i,s:s,s:s}", "game", g + 1, "user_prompt", users[a + g], "score", labels[r][g]);
                json_object_set_new(game, "judgment", replies[a + g] ? json_string(replies[a + g]) : json_null());
                if (failures[a + g]) json_object_set_new(game, "error", json_string(failures[a + g]));
                json_array_append_new(games, game);
            }
            json_t *out = json_pack("{s:s,s:o}", "baseline_first", "game 1 shows the baseline as assistant A", "games",
                                    games);
            outs[r] = json_dumps(out, JSON_COMPACT);
            json_decref(out);
            rows[r] = (store_judgment){.bench = o->bench, .judge = engine_get_spec(judge), .mode = "pair",
                                       .prompt_name = o->bench, .question_id = which[a]->id,
                                       .category = which[a]->category, .turn = 1, .model = who[a],
                                       .model_b = o->baseline, .score = NAN, .g1 = labels[r][0], .g2 = labels[r][1],
                                       .winner = NULL, .output_json = outs[r], .created_at = now};
        }
        rc = store_judgments_put(st, rows, (size_t)n_rows, err);
        if (rc == TT_OK) sum->judged = n_rows;
        for (int r = 0; r < n_rows; r++) free(outs[r]);
        free(outs);
        free(labels);
        free(rows);
    }
    for (int k = 0; k < n_asks; k++) {
        free(users[k]);
        free(replies[k]);
        free(failures[k]);
    }
    if (save && fclose(save) != 0 && rc == TT_OK) rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", o->save_judge_requests);
    free(users);
    free(replies);
    free(failures);
    free(asks);
    free(who);
    free(which);
    free(tmpl);
    free(system);
    engine_close(judge);
    judged_answers_free(ans);
    store_close(st);
    judged_questions_free(&q);
    return rc;
}

/* ---- scores ------------------------------------------------------------------------------------------ */

typedef struct pick_ctx {
    const char *bench;
    char *judge;
    int64_t best;
} pick_ctx;

static int pick_judge(void *ctx, const store_judged_set *set, char *err)
{
    (void)err;
    pick_ctx *c = ctx;
    if (strcmp(set->bench, c->bench) || strcmp(set->mode, "pair") || set->n <= c->best) return TT_OK;
    free(c->judge);
    c->judge = tt_strdup(set->judge);
    c->best = set->n;
    return TT_OK;
}

typedef struct battle_ctx {
    arena_battles *l;
    char *baseline;      /* NULL until the first judgment names it (baseline not given) */
    double t;
} battle_ctx;

/* Two games of one judgment as battles (model_a = the baseline), each as
 * many times as its weight. */
static int add_games(void *ctx, const store_judgment *j, char *err)
{
    (void)err;
    battle_ctx *c = ctx;
    if (!c->baseline) c->baseline = tt_strdup(j->model_b);
    if (strcmp(j->model_b, c->baseline)) return TT_OK;
    const char *labels[2] = {j->g1, j->g2};
    for (int g = 0; g < 2; g++) {
        if (!labels[g]) continue;
        int model_won, weight;
        judge_arena_hard_battle(labels[g], g + 1, &model_won, &weight);
        judge_winner w = model_won == 2 ? JUDGE_TIE : model_won ? JUDGE_WIN_B : JUDGE_WIN_A;
        for (int k = 0; k < weight; k++) arena_battles_add(c->l, c->baseline, j->model, w, c->t++, NULL, NULL);
    }
    return TT_OK;
}

typedef struct tokens_ctx {
    const char *bench;
    char **models;
    double *sum;
    int *n;
    int n_models;
} tokens_ctx;

static int add_tokens(void *ctx, const store_judged_answer *a, char *err)
{
    (void)err;
    tokens_ctx *c = ctx;
    if (!a->answer) return TT_OK;
    for (int i = 0; i < c->n_models; i++)
        if (!strcmp(c->models[i], a->model)) {
            c->sum[i] += a->tokens.has ? (double)a->tokens.v : arena_tokens_approx(a->answer, strlen(a->answer));
            c->n[i]++;
        }
    return TT_OK;
}

static double win_rate(double r, double r_base) { return 100.0 / (1.0 + pow(10.0, (r_base - r) / 400.0)); }

static int cmp_score(const void *x, const void *y)
{
    const arena_hard_row *a = x, *b = y;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return strcmp(a->model, b->model);
}

int arena_hard_scores(store *s, const char *bench, const char *judge, const char *baseline, int rounds, uint64_t seed,
                      int threads, arena_hard_result *out, char *err)
{
    memset(out, 0, sizeof *out);
    pick_ctx pc = {bench, NULL, 0};
    int rc = TT_OK;
    if (judge) pc.judge = tt_strdup(judge);
    else rc = store_judged_sets(s, pick_judge, &pc, err);
    if (rc != TT_OK) return rc;
    if (!pc.judge) return tt_fail(err, TT_ERR_NOTFOUND, "no judgments of '%s' in the store: run judge first", bench);
    out->judge = pc.judge;
    out->rounds = rounds;
    arena_battles l;
    arena_battles_init(&l);
    battle_ctx bc = {&l, tt_strdup(baseline), 0};
    rc = store_judgments_each(s, bench, out->judge, "pair", add_games, &bc, err);
    out->baseline = bc.baseline;
    baseline = out->baseline;
    if (rc == TT_OK && l.n == 0)
        rc = tt_fail(err, TT_ERR_NOTFOUND, "no judgments against '%s' by '%s' with a verdict", baseline ? baseline : "?",
                     out->judge);
    arena_leaderboard lb;
    memset(&lb, 0, sizeof lb);
    if (rc == TT_OK) {
        arena_lb_opts o;
        arena_lb_opts_default(&o);
        o.rounds = rounds;
        o.seed = seed;
        o.threads = threads;
        o.anchor_model = baseline;
        o.anchor_rating = 1000;
        rc = arena_leaderboard_compute(&l, &o, &lb, err);
    }
    if (rc == TT_OK) {
        out->degenerate = lb.bt_info.degenerate;
        out->n_rows = lb.n;
        out->rows = tt_calloc((size_t)lb.n + 1, sizeof *out->rows);
        tokens_ctx tc = {bench, tt_calloc((size_t)lb.n + 1, sizeof(char *)), tt_calloc((size_t)lb.n + 1, sizeof(double)),
                         tt_calloc((size_t)lb.n + 1, sizeof(int)), lb.n};
        for (int i = 0; i < lb.n; i++) {
            const arena_lb_row *r = &lb.rows[i];
            arena_hard_row *h = &out->rows[i];
            h->model = tt_strdup(r->model);
            tc.models[i] = h->model;
            h->rating = r->rating;
            h->rating_lower = r->lower;
            h->rating_upper = r->upper;
            h->score = win_rate(r->rating, 1000);
            h->lower = rounds ? win_rate(r->lower, 1000) : NAN;
            h->upper = rounds ? win_rate(r->upper, 1000) : NAN;
            h->battles = r->battles;
        }
        rc = store_judged_answers_each(s, bench, NULL, add_tokens, &tc, err);
        for (int i = 0; i < lb.n; i++) out->rows[i].avg_tokens = tc.n[i] ? tc.sum[i] / tc.n[i] : NAN;
        free(tc.models);
        free(tc.sum);
        free(tc.n);
        qsort(out->rows, (size_t)out->n_rows, sizeof *out->rows, cmp_score);
    }
    arena_leaderboard_free(&lb);
    arena_battles_free(&l);
    return rc;
}

void arena_hard_result_free(arena_hard_result *r)
{
    if (!r) return;
    for (int i = 0; i < r->n_rows; i++) free(r->rows[i].model);
    free(r->rows);
    free(r->judge);
    free(r->baseline);
    memset(r, 0, sizeof *r);
}
