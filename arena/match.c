/*
 * match.c — setting up and recording one arena battle, shared by the web
 * arena and automatic battles: display names, weighted pair sampling, the
 * identity-leak filter, and handing the finished battle to the store
 * (store_battle_put; see arena/match.h).
 */
#include "arena/match.h"
#include "core/utf8.h"
#include "engines/spec.h"

#include <ctype.h>
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

/* Model and vendor names that give a model away (our own list). */
static const char *const known_names[] = {
    "chatgpt", "gpt-3.5", "gpt-4", "gpt-4o", "openai", "claude", "anthropic", "gemini", "bard", "palm-2",
    "llama", "meta ai", "mistral", "mixtral", "qwen", "tongyi", "deepseek", "chatglm", "zhipu", "ernie",
    "baichuan", "vicuna", "alpaca", "falcon", "gemma", "grok", "moonshot", "kimi", "lmsys", "tianti",
    NULL,
};

static int word_char(unsigned char c) { return isalnum(c) || c >= 0x80; }

/* Whole-word, ASCII case-insensitive search for needle[0..nlen). */
static int has_word(const char *text, const char *needle, size_t nlen)
{
    char pat[128];
    if (nlen < 3 || nlen >= sizeof pat) return 0;
    memcpy(pat, needle, nlen);
    pat[nlen] = 0;
    for (const char *p = text; (p = strcasestr(p, pat)) != NULL; p++) {
        int left_ok = p == text || !word_char((unsigned char)p[-1]) || !word_char((unsigned char)pat[0]);
        int right_ok = !word_char((unsigned char)p[nlen]) || !word_char((unsigned char)pat[nlen - 1]);
        if (left_ok && right_ok) return 1;
    }
    return 0;
}

int arena_match_identity_leak(const char *text, const char *const *names, int n)
{
    if (!text) return 0;
    for (int i = 0; i < n; i++) {
        if (!names[i]) continue;
        const char *at = strchr(names[i], '@');
        size_t len = at ? (size_t)(at - names[i]) : strlen(names[i]);
        if (has_word(text, names[i], len)) return 1;
    }
    for (int i = 0; known_names[i]; i++)
        if (has_word(text, known_names[i], strlen(known_names[i]))) return 1;
    return 0;
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

int arena_match_store(store *s, const arena_match_record *r, int64_t *row_id, char *err)
{
    char *conv_a = arena_match_conversation_json(r->prompt, r->answer_a);
    char *conv_b = arena_match_conversation_json(r->prompt, r->answer_b);
    store_battle b = {
        .model_a = r->model_a, .model_b = r->model_b, .winner = r->winner, .tstamp = r->tstamp,
        .source = r->source, .judge = r->judge, .prompt = r->prompt, .conversation_a = conv_a,
        .conversation_b = conv_b, .voter_id = r->voter_id, .session_token = r->session_token,
        .flags = r->flags, .extra_json = r->extra_json,
    };
    int rc = store_battle_put(s, &b, row_id, err);
    free(conv_a);
    free(conv_b);
    return rc;
}
