/*
 * match.c — setting up and recording one arena battle, shared by the web
 * arena and automatic battles: display names, weighted pair sampling, the
 * identity-leak filter, and handing the finished battle to the store
 * (store_battle_put; see arena/match.h).
 */
#include "arena/match.h"
#include "arena/battles.h"
#include "arena/conv.h"
#include "core/utf8.h"
#include "engines/spec.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

char *arena_match_model_name(const char *arg, const char **spec_out)
{
    char *name;
    *spec_out = engine_spec_split_name(arg, &name);
    if (name) return name;
    engine_spec sp;
    if (engine_spec_parse(arg, &sp, NULL) == TT_OK) name = engine_spec_display_name(&sp, 1);
    else name = tt_strdup(arg);  /* a registry name, or a bad spec engine_open reports */
    engine_spec_clear(&sp);
    return name;
}

int arena_match_models_open(const char *const *args, int n, const char *registry_path, arena_model **out,
                            char *err)
{
    *out = NULL;
    registry *reg = NULL;
    char *reg_path = registry_default_path(registry_path);
    int rc = registry_load(reg_path, registry_path == NULL, &reg, err);
    free(reg_path);
    if (rc != TT_OK) return rc;
    arena_model *m = tt_calloc((size_t)n + 1, sizeof *m);
    int done = 0;
    for (int i = 0; i < n && rc == TT_OK; i++, done++) {
        const char *what;
        char *given = arena_match_model_name(args[i], &what);
        int named = what != args[i];
        rc = registry_resolve(reg, what, &m[i].rm, err);
        if (rc != TT_OK) {
            free(given);
            break;
        }
        if (named) m[i].name = given;
        else if (strcmp(m[i].rm.spec, what)) { /* a registry name */
            m[i].name = tt_strdup(what);
            free(given);
        } else {
            m[i].name = given;
        }
        for (int k = 0; k < i && rc == TT_OK; k++)
            if (!strcmp(m[k].name, m[i].name))
                rc = tt_fail(err, TT_ERR_USAGE, "two models are named '%s'; name them with NAME=SPEC", m[i].name);
        if (rc == TT_OK) rc = engine_open(m[i].rm.spec, &m[i].rm.options, &m[i].e, err);
        if (rc == TT_OK && !(engine_caps(m[i].e) & (ENGINE_CAP_CHAT | ENGINE_CAP_GENERATE)))
            rc = tt_fail(err, TT_ERR_UNSUPPORTED, "model '%s' can neither chat nor continue a prompt", m[i].rm.spec);
    }
    registry_free(reg);
    if (rc != TT_OK) {
        arena_match_models_close(m, done + 1 > n ? n : done + 1);
        return rc;
    }
    *out = m;
    return TT_OK;
}

void arena_match_models_close(arena_model *m, int n)
{
    if (!m) return;
    for (int i = 0; i < n; i++) {
        engine_close(m[i].e);
        free(m[i].name);
        registry_model_clear(&m[i].rm);
    }
    free(m);
}

void arena_match_pick_pair(const long *counts, int n, tt_rng *rng, int *a, int *b)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) total += 1.0 / (1.0 + (double)counts[i * n + j]);
    double u = tt_rng_uniform(rng) * total;
    int pi = 0, pj = 1;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double w = 1.0 / (1.0 + (double)counts[i * n + j]);
            pi = i;
            pj = j;
            if (u < w) goto found;
            u -= w;
        }
found:
    if (tt_rng_below(rng, 2)) {
        *a = pj;
        *b = pi;
    } else {
        *a = pi;
        *b = pj;
    }
}

void arena_match_pick_against(const long *counts, int n, int baseline, tt_rng *rng, int *a, int *b)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        if (i != baseline) total += 1.0 / (1.0 + (double)counts[i * n + baseline]);
    double u = tt_rng_uniform(rng) * total;
    int other = baseline == 0 ? 1 : 0;
    for (int i = 0; i < n; i++) {
        if (i == baseline) continue;
        other = i;
        double w = 1.0 / (1.0 + (double)counts[i * n + baseline]);
        if (u < w) break;
        u -= w;
    }
    int flip = (int)tt_rng_below(rng, 2);
    *a = flip ? baseline : other;
    *b = flip ? other : baseline;
}

typedef struct counts_ctx {
    const char *const *names;
    int n;
    long *counts;
} counts_ctx;

static int add_count(void *ctx, const store_pair_count *pc, char *err)
{
    (void)err;
    counts_ctx *c = ctx;
    int ia = -1, ib = -1;
    for (int i = 0; i < c->n; i++) {
        if (pc->model_a && !strcmp(pc->model_a, c->names[i])) ia = i;
        if (pc->model_b && !strcmp(pc->model_b, c->names[i])) ib = i;
    }
    if (ia >= 0 && ib >= 0 && ia != ib) {
        c->counts[ia * c->n + ib] += (long)pc->n;
        c->counts[ib * c->n + ia] += (long)pc->n;
    }
    return TT_OK;
}

int arena_match_load_counts(store *s, const char *const *names, int n, long *counts, char *err)
{
    memset(counts, 0, (size_t)n * (size_t)n * sizeof *counts);
    counts_ctx c = {names, n, counts};
    return store_battle_counts(s, add_count, &c, err);
}

int arena_match_identity_leak(const char *text, const char *const *names, int n)
{
    return arena_words_match(text, arena_words_builtin(), names, n);
}

char *arena_match_conversation_json(const char *prompt, const char *answer)
{
    json_t *a = json_array();
    char *p = tt_utf8_clean(prompt, prompt ? strlen(prompt) : 0);
    json_array_append_new(a, json_pack("{s:s,s:s}", "role", "user", "content", p));
    free(p);
    if (answer) {
        char *t = tt_utf8_clean(answer, strlen(answer));
        json_array_append_new(a, json_pack("{s:s,s:s}", "role", "assistant", "content", t));
        free(t);
    }
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

char *arena_match_conversation_turns_json(const char *const *prompts, const char *const *answers, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        char *p = tt_utf8_clean(prompts[i], prompts[i] ? strlen(prompts[i]) : 0);
        json_array_append_new(a, json_pack("{s:s,s:s}", "role", "user", "content", p));
        free(p);
        if (answers[i]) {
            char *t = tt_utf8_clean(answers[i], strlen(answers[i]));
            json_array_append_new(a, json_pack("{s:s,s:s}", "role", "assistant", "content", t));
            free(t);
        } else {
            json_array_append_new(a, json_pack("{s:s,s:n}", "role", "assistant", "content"));
        }
    }
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

/* The messages of one side for conv.h (strings borrowed). */
static arena_msg *side_msgs(const arena_match_record *r, int side, size_t *n)
{
    int turns = r->n_turns > 0 ? r->n_turns : 1;
    arena_msg *m = tt_calloc((size_t)turns * 2, sizeof *m);
    for (int i = 0; i < turns; i++) {
        m[2 * i] = (arena_msg){"user", r->n_turns > 0 ? r->prompts[i] : r->prompt};
        const char *ans = r->n_turns > 0 ? (side ? r->answers_b[i] : r->answers_a[i]) : (side ? r->answer_b : r->answer_a);
        m[2 * i + 1] = (arena_msg){"assistant", ans};
    }
    *n = (size_t)turns * 2;
    return m;
}

int arena_match_store(store *s, const arena_match_record *r, int64_t *row_id, char *err)
{
    char *conv_a, *conv_b;
    if (r->n_turns > 0) {
        conv_a = arena_match_conversation_turns_json(r->prompts, r->answers_a, r->n_turns);
        conv_b = arena_match_conversation_turns_json(r->prompts, r->answers_b, r->n_turns);
    } else {
        conv_a = arena_match_conversation_json(r->prompt, r->answer_a);
        conv_b = arena_match_conversation_json(r->prompt, r->answer_b);
    }
    size_t na, nb;
    arena_msg *ma = side_msgs(r, 0, &na), *mb = side_msgs(r, 1, &nb);
    arena_conv_facts f;
    arena_conv_analyse(ma, na, mb, nb, NULL, r->model_a, r->model_b, &f);
    free(ma);
    free(mb);
    char *cats = arena_categories_format(f.cats & ~(unsigned)ARENA_CAT_LANGS);
    char *style = arena_style_json((const double *)f.style);
    const char *lang = f.cats & ARENA_CAT_ZH ? "zh" : f.cats & ARENA_CAT_EN ? "en" : "other";
    store_battle b = {
        .model_a = r->model_a, .model_b = r->model_b, .winner = r->winner, .tstamp = r->tstamp,
        .source = r->source, .judge = r->judge, .prompt = r->prompt, .conversation_a = conv_a,
        .conversation_b = conv_b, .voter_id = r->voter_id, .session_token = r->session_token,
        .flags = r->flags, .extra_json = r->extra_json, .turns = STORE_INT(f.turns), .language = lang,
        .categories = *cats ? cats : NULL, .style_json = style,
    };
    int rc = store_battle_put(s, &b, row_id, err);
    free(conv_a);
    free(conv_b);
    free(cats);
    free(style);
    return rc;
}
