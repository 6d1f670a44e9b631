/*
 * auto.c — automatic judged battles (see arena/auto.h): prompt order,
 * pairing, answering once per (model, prompt), judging, storing.
 */
#include "arena/auto.h"
#include "arena/match.h"
#include "arena/prompts.h"
#include "core/utf8.h"
#include "store/store.h"
#include "core/util.h"
#include "judges/judge.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void arena_auto_opts_default(arena_auto_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->max_tokens = 512;
    o->temperature = 0;
    engine_options_default(&o->judge_engine);
}

typedef struct auto_answer {
    int have, failed;
    char *text;
    double latency;
} auto_answer;

static int answer(const arena_auto_opts *o, arena_model *m, const char *prompt, auto_answer *a, char *err)
{
    if (a->have) return TT_OK;
    engine_message msg = {.role = "user", .content = prompt};
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &msg, .n_messages = 1};
    /* A base model (or --completion) continues the prompt as it is and
     * stops at the end of the line, as a task's generate_until would. */
    unsigned caps = engine_caps(m->e);
    if (o->completion || !(caps & ENGINE_CAP_CHAT)) {
        req.kind = ENGINE_REQ_GENERATE;
        req.context = prompt;
        req.messages = NULL;
        req.n_messages = 0;
        req.gen.until[0] = "\n";
        req.gen.n_until = 1;
    }
    req.gen.max_tokens = o->max_tokens;
    req.gen.temperature = o->temperature;
    req.gen.seed = o->seed;
    engine_response resp;
    int rc = engine_complete(m->e, &req, &resp, err);
    if (rc != TT_OK) return rc;
    a->have = 1;
    a->failed = resp.error != NULL;
    a->text = a->failed ? NULL : tt_utf8_clean(resp.text, resp.text ? strlen(resp.text) : 0);
    a->latency = resp.latency_s;
    engine_response_free(&resp);
    return TT_OK;
}

int arena_auto_run(const arena_auto_opts *o, arena_auto_summary *sum, char *err)
{
    memset(sum, 0, sizeof *sum);
    if (o->n_models < 2) return tt_fail(err, TT_ERR_USAGE, "automatic battles need at least two models (--model)");
    if (!o->judge) return tt_fail(err, TT_ERR_USAGE, "no judge given (--judge)");
    if (!o->prompts_path) return tt_fail(err, TT_ERR_USAGE, "no prompts given (--prompts)");
    if (o->rounds < 0) return tt_fail(err, TT_ERR_USAGE, "--rounds must be positive");
    int n = o->n_models;
    arena_model *models = NULL;
    const char **names = tt_calloc((size_t)n, sizeof *names);
    arena_prompts ps;
    memset(&ps, 0, sizeof ps);
    judge *j = NULL;
    store *st = NULL;
    long *counts = NULL;
    auto_answer *answers = NULL;
    size_t *perm = NULL;
    FILE *reqf = NULL;
    char *source = tt_asprintf("judge:%s", o->judge);
    int rc = TT_OK;
    rc = arena_match_models_open(o->models, n, o->registry_path, &models, err);
    for (int i = 0; rc == TT_OK && i < n; i++) names[i] = models[i].name;
    int baseline = -1;
    for (int i = 0; rc == TT_OK && o->baseline && i < n; i++)
        if (!strcmp(names[i], o->baseline)) baseline = i;
    if (rc == TT_OK && o->baseline && baseline < 0) {
        tt_buf known;
        tt_buf_init(&known);
        for (int i = 0; i < n; i++) tt_buf_printf(&known, "%s%s", i ? ", " : "", names[i]);
        rc = tt_fail(err, TT_ERR_USAGE, "the baseline '%s' is not one of the models (%s)", o->baseline, known.data);
        tt_buf_free(&known);
    }
    if (rc == TT_OK) rc = judge_open(o->judge, &o->judge_engine, &j, err);
    if (rc == TT_OK) rc = arena_prompts_load(o->prompts_path, &ps, err);
    if (rc == TT_OK && o->references_path) {
        size_t matched = 0;
        rc = arena_prompts_add_references(&ps, o->references_path, &matched, err);
        if (rc == TT_OK && o->log)
            fprintf(o->log, "references: %zu of %zu prompts have one\n", matched, ps.n);
    }
    if (rc == TT_OK) rc = store_open(o->db_path, &st, err);
    if (rc == TT_OK) {
        counts = tt_calloc((size_t)n * (size_t)n, sizeof *counts);
        rc = arena_match_load_counts(st, names, n, counts, err);
    }
    if (rc == TT_OK && o->save_judge_requests) {
        reqf = fopen(o->save_judge_requests, "w");
        if (!reqf) rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", o->save_judge_requests);
    }
    tt_rng rng;
    tt_rng_seed(&rng, o->seed);
    if (rc == TT_OK) {
        answers = tt_calloc((size_t)n * ps.n, sizeof *answers);
        perm = tt_malloc(ps.n * sizeof *perm);
        for (size_t i = 0; i < ps.n; i++) perm[i] = i;
        for (size_t i = ps.n; i > 1; i--) {
            size_t k = (size_t)tt_rng_below(&rng, i);
            size_t t = perm[i - 1];
            perm[i - 1] = perm[k];
            perm[k] = t;
        }
    }
    int rounds = o->rounds > 0 ? o->rounds : (int)ps.n;
    for (int r = 0; rc == TT_OK && r < rounds; r++) {
        size_t pi = perm[(size_t)r % ps.n];
        const arena_prompt *p = &ps.v[pi];
        int a, b;
        if (baseline >= 0) arena_match_pick_against(counts, n, baseline, &rng, &a, &b);
        else arena_match_pick_pair(counts, n, &rng, &a, &b);
        counts[a * n + b]++;
        counts[b * n + a]++;
        auto_answer *aa = &answers[(size_t)a * ps.n + pi], *ab = &answers[(size_t)b * ps.n + pi];
        rc = answer(o, &models[a], p->text, aa, err);
        if (rc == TT_OK) rc = answer(o, &models[b], p->text, ab, err);
        if (rc != TT_OK) break;
        judge_result res;
        memset(&res, 0, sizeof res);
        const char *flags = NULL;
        int leak = 0;
        json_t *extra = json_object();
        if (p->id) json_object_set_new(extra, "prompt_id", json_string(p->id));
        if (p->category) json_object_set_new(extra, "category", json_string(p->category));
        json_object_set_new(extra, "latency_a", json_real(aa->latency));
        json_object_set_new(extra, "latency_b", json_real(ab->latency));
        if (aa->failed || ab->failed) {
            flags = "engine_error";
            sum->engine_errors++;
        } else {
            leak = arena_match_identity_leak(aa->text, names, n) || arena_match_identity_leak(ab->text, names, n);
            judge_item item = {.question = p->text, .answer_a = aa->text, .answer_b = ab->text,
                               .reference = p->reference, .metric = ps.metric};
            if (reqf) {
                char *lines = judge_requests_jsonl(j, &item);
                fputs(lines, reqf);
                free(lines);
            }
            rc = judge_compare(j, &item, &res, err);
            if (rc != TT_OK) {
                json_decref(extra);
                break;
            }
            if (res.detail_json) json_object_set_new(extra, "judgement", json_loads(res.detail_json, 0, NULL));
            if (!res.ok) {
                flags = leak ? "identity_leak,judge_error" : "judge_error";
                json_object_set_new(extra, "judge_error", json_string(res.error ? res.error : "judge failed"));
                sum->judge_errors++;
            } else {
                if (leak) flags = "identity_leak";
                if (res.winner == JUDGE_WIN_A) sum->wins_a++;
                else if (res.winner == JUDGE_WIN_B) sum->wins_b++;
                else sum->ties++;
            }
            if (leak) sum->identity_leaks++;
        }
        char *extra_s = json_dumps(extra, JSON_COMPACT);
        json_decref(extra);
        const char *winner = (flags && !strcmp(flags, "engine_error")) || !res.ok ? NULL : judge_winner_name(res.winner);
        arena_match_record rec = {
            .model_a = names[a], .model_b = names[b], .winner = winner, .tstamp = tt_wall_s(), .source = source,
            .judge = o->judge, .prompt = p->text, .answer_a = aa->text, .answer_b = ab->text,
            .flags = flags, .extra_json = extra_s,
        };
        rc = arena_match_store(st, &rec, NULL, err);
        free(extra_s);
        if (rc == TT_OK) {
            sum->battles++;
            if (o->log)
                fprintf(o->log, "battle %d: %s vs %s on prompt %s: %s%s%s%s\n", r + 1, names[a], names[b],
                        p->id ? p->id : "-", winner ? winner : (res.error ? res.error : "not judged"),
                        flags ? " [" : "", flags ? flags : "", flags ? "]" : "");
        }
        judge_result_free(&res);
    }
    if (reqf && fclose(reqf) != 0 && rc == TT_OK) rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", o->save_judge_requests);
    if (answers)
        for (size_t i = 0; i < (size_t)n * ps.n; i++) free(answers[i].text);
    free(answers);
    free(perm);
    free(counts);
    store_close(st);
    judge_close(j);
    arena_prompts_free(&ps);
    arena_match_models_close(models, models ? n : 0);
    free(names);
    free(source);
    return rc;
}
