/*
 * tag.c — hard-prompt labels by a judge (tag.h): the battles with a
 * conversation, the judge asked about each first prompt through judged.h,
 * the reply's criteria list, the categories column updated.
 */
#include "arena/tag.h"
#include "arena/judged.h"
#include "core/util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char tag_system[] =
    "You decide how well a user's prompt can test the abilities of an advanced AI assistant. Check the prompt "
    "against these seven criteria:\n"
    "1. Specificity: it asks for a definite output (code, a solution, a derivation, a concrete recommendation).\n"
    "2. Domain knowledge: it needs knowledge of a particular field.\n"
    "3. Complexity: it has several parts or steps.\n"
    "4. Problem-solving: answering it means working out a solution, not recalling a fact.\n"
    "5. Creativity: a good answer needs an original approach.\n"
    "6. Technical accuracy: the answer must be technically precise to be right.\n"
    "7. Real-world application: it concerns a practical task someone actually needs done.\n"
    "Reply with only the numbers of the criteria the prompt meets, as a list such as [1, 3, 6]. Do not explain.";

void arena_tag_opts_default(arena_tag_opts *o)
{
    memset(o, 0, sizeof *o);
    o->source = ARENA_SOURCE_ALL;
    o->jobs = 4;
    o->max_tokens = 64;
}

int arena_tag_parse(const char *reply)
{
    /* every \[\d(?:,\s\d)*\] (category.py's pattern); exactly one distinct list counts */
    int found = -1;
    char first[64] = "";
    for (const char *p = reply ? strchr(reply, '[') : NULL; p; p = strchr(p + 1, '[')) {
        const char *q = p + 1;
        int bits = 0, ok = isdigit((unsigned char)*q);
        while (ok) {
            int d = *q - '0';
            if (d >= 1 && d <= 7) bits |= 1 << (d - 1);
            q++;
            if (*q == ']') break;
            ok = q[0] == ',' && isspace((unsigned char)q[1]) && isdigit((unsigned char)q[2]);
            q += 2;
        }
        if (!ok || *q != ']') continue;
        char text[64];
        snprintf(text, sizeof text, "%.*s", (int)(q - p + 1), p);
        if (found < 0) {
            found = bits;
            snprintf(first, sizeof first, "%s", text);
        } else if (strcmp(first, text)) {
            return -1;   /* two different lists */
        }
    }
    return found;
}

typedef struct tag_item {
    int64_t id;
    char *prompt;
    char *cats;
} tag_item;

typedef struct collect_ctx {
    tag_item *v;
    size_t n, cap;
} collect_ctx;

static int collect(void *ctx, const store_rated_battle *b, char *err)
{
    (void)err;
    collect_ctx *c = ctx;
    json_t *conv = b->conversation_a ? json_loads(b->conversation_a, 0, NULL) : NULL;
    const char *prompt = NULL;
    for (size_t i = 0; i < json_array_size(conv) && !prompt; i++) {
        json_t *m = json_array_get(conv, i);
        const char *role = json_string_value(json_object_get(m, "role"));
        if (role && !strcmp(role, "user")) prompt = json_string_value(json_object_get(m, "content"));
    }
    if (prompt && *prompt) {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            c->v = tt_realloc(c->v, c->cap * sizeof *c->v);
        }
        c->v[c->n++] = (tag_item){b->id, tt_strdup(prompt), tt_strdup(b->categories)};
    }
    json_decref(conv);
    return TT_OK;
}

int arena_tag_run(const char *db_path, const arena_tag_opts *o, arena_tag_summary *sum, char *err)
{
    memset(sum, 0, sizeof *sum);
    if (!o->judge) return tt_fail(err, TT_ERR_USAGE, "give a judge (--judge SPEC)");
    static const store_battle_source to_store[] = {STORE_BATTLES_ALL, STORE_BATTLES_HUMAN, STORE_BATTLES_JUDGE};
    store *st = NULL;
    engine *judge = NULL;
    FILE *save = NULL;
    collect_ctx c = {0};
    int rc = store_open(db_path, &st, err);
    if (rc == TT_OK) rc = store_battles_scan(st, to_store[o->source], STORE_SCAN_FLAGGED | STORE_SCAN_TEXT, collect, &c, err);
    if (rc == TT_OK) rc = judged_open_judge(o->judge, o->registry_path, &judge, err);
    if (rc == TT_OK && o->save_judge_requests && !(save = fopen(o->save_judge_requests, "w")))
        rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", o->save_judge_requests);
    judged_ask *asks = tt_calloc(c.n + 1, sizeof *asks);
    char **replies = tt_calloc(c.n + 1, sizeof *replies), **failures = tt_calloc(c.n + 1, sizeof *failures);
    for (size_t i = 0; i < c.n; i++) asks[i] = (judged_ask){tag_system, c.v[i].prompt};
    if (rc == TT_OK)
        rc = judged_ask_all(judge, st, asks, (int)c.n, o->max_tokens, o->jobs, save, o->log, replies, failures, err);
    for (size_t i = 0; rc == TT_OK && i < c.n; i++) {
        sum->asked++;
        int bits = arena_tag_parse(replies[i]);
        if (bits < 0) {
            sum->unreadable++;
            continue;
        }
        int yes = __builtin_popcount((unsigned)bits);
        unsigned cats = arena_categories_parse_list(c.v[i].cats);
        if (yes >= 6) cats |= ARENA_CAT_HARD, sum->hard++;
        else cats &= ~(unsigned)ARENA_CAT_HARD, sum->not_hard++;
        char *list = arena_categories_format(cats & ~(unsigned)ARENA_CAT_LANGS);
        rc = store_battle_set_categories(st, c.v[i].id, *list ? list : NULL, err);
        free(list);
    }
    for (size_t i = 0; i < c.n; i++) {
        free(c.v[i].prompt);
        free(c.v[i].cats);
        free(replies[i]);
        free(failures[i]);
    }
    if (save && fclose(save) != 0 && rc == TT_OK) rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", o->save_judge_requests);
    free(c.v);
    free(asks);
    free(replies);
    free(failures);
    engine_close(judge);
    store_close(st);
    return rc;
}
