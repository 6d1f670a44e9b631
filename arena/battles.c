/*
 * battles.c — the battle list of battles.h: construction, Chatbot Arena JSON
 * (Lines or array) import and export, source filters, and the conversion
 * to and from the store's battle rows (store/battles.h). Uses jansson for
 * JSON.
 */
#include "arena/battles.h"
#include "core/util.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


void arena_battles_init(arena_battles *l) { l->v = NULL; l->n = l->cap = 0; }

void arena_battles_free(arena_battles *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].model_a);
        free(l->v[i].model_b);
        free(l->v[i].source);
        free(l->v[i].judge);
    }
    free(l->v);
    arena_battles_init(l);
}

void arena_battles_add(arena_battles *l, const char *model_a, const char *model_b,
                       judge_winner winner, double tstamp, const char *source,
                       const char *judge)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = tt_realloc(l->v, l->cap * sizeof *l->v);
    }
    arena_battle *b = &l->v[l->n++];
    b->model_a = tt_strdup(model_a);
    b->model_b = tt_strdup(model_b);
    b->winner = winner;
    b->tstamp = tstamp;
    b->source = tt_strdup(source);
    b->judge = tt_strdup(judge);
}

int arena_source_parse(const char *s, arena_source *out, char *err)
{
    if (!s || strcmp(s, "all") == 0) *out = ARENA_SOURCE_ALL;
    else if (strcmp(s, "human") == 0) *out = ARENA_SOURCE_HUMAN;
    else if (strcmp(s, "judge") == 0) *out = ARENA_SOURCE_JUDGE;
    else return tt_fail(err, TT_ERR_USAGE, "unknown source '%s' (expected all, human or judge)", s);
    return TT_OK;
}

int arena_source_match(arena_source f, const char *source)
{
    if (!source) source = "import";
    switch (f) {
    case ARENA_SOURCE_HUMAN: return strcmp(source, "human") == 0;
    case ARENA_SOURCE_JUDGE: return strncmp(source, "judge:", 6) == 0;
    default: return 1;
    }
}

void arena_battles_filter_source(arena_battles *l, arena_source f)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (arena_source_match(f, l->v[i].source)) {
            l->v[k++] = l->v[i];
        } else {
            free(l->v[i].model_a);
            free(l->v[i].model_b);
            free(l->v[i].source);
            free(l->v[i].judge);
        }
    }
    l->n = k;
}

/* ---- sorting ------------------------------------------------------------ */

typedef struct sort_item { double t; size_t i; } sort_item;

static int cmp_item(const void *x, const void *y)
{
    const sort_item *a = x, *b = y;
    if (a->t < b->t) return -1;
    if (a->t > b->t) return 1;
    return (a->i > b->i) - (a->i < b->i);
}

void arena_battles_sort(arena_battles *l)
{
    if (l->n < 2) return;
    sort_item *it = tt_malloc(l->n * sizeof *it);
    for (size_t i = 0; i < l->n; i++) { it[i].t = l->v[i].tstamp; it[i].i = i; }
    qsort(it, l->n, sizeof *it, cmp_item);
    arena_battle *v = tt_malloc(l->cap * sizeof *v);
    for (size_t i = 0; i < l->n; i++) v[i] = l->v[it[i].i];
    free(l->v);
    l->v = v;
    free(it);
}

/* ---- JSON import -------------------------------------------------------- */

/* Reads an optional string field; NULL when absent or null. */
static int opt_string(json_t *o, const char *field, const char **out, const char *where, char *err)
{
    json_t *v = json_object_get(o, field);
    *out = NULL;
    if (!v || json_is_null(v)) return TT_OK;
    if (!json_is_string(v))
        return tt_fail(err, TT_ERR_PARSE, "%s: field '%s' must be a string", where, field);
    *out = json_string_value(v);
    return TT_OK;
}

static int parse_record(json_t *o, const char *where, arena_battles *out, char *err)
{
    if (!json_is_object(o))
        return tt_fail(err, TT_ERR_PARSE, "%s: a battle must be a JSON object", where);
    const char *names[2] = {"model_a", "model_b"};
    const char *models[2];
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(o, names[i]);
        if (!v) return tt_fail(err, TT_ERR_PARSE, "%s: missing field '%s'", where, names[i]);
        if (!json_is_string(v) || json_string_length(v) == 0)
            return tt_fail(err, TT_ERR_PARSE, "%s: field '%s' must be a non-empty string", where, names[i]);
        models[i] = json_string_value(v);
    }
    if (strcmp(models[0], models[1]) == 0)
        return tt_fail(err, TT_ERR_PARSE, "%s: field 'model_b' names the same model as 'model_a' ('%s')",
                       where, models[0]);
    json_t *w = json_object_get(o, "winner");
    if (!w) return tt_fail(err, TT_ERR_PARSE, "%s: missing field 'winner'", where);
    judge_winner winner;
    if (!json_is_string(w) || judge_winner_parse(json_string_value(w), &winner) != TT_OK)
        return tt_fail(err, TT_ERR_PARSE,
                       "%s: field 'winner' must be \"model_a\", \"model_b\", \"tie\" or \"tie (bothbad)\"", where);
    double tstamp = 0;
    json_t *t = json_object_get(o, "tstamp");
    if (t && !json_is_null(t)) {
        if (!json_is_number(t) || !isfinite(json_number_value(t)))
            return tt_fail(err, TT_ERR_PARSE, "%s: field 'tstamp' must be a number", where);
        tstamp = json_number_value(t);
    }
    const char *source, *judge;
    int rc = opt_string(o, "source", &source, where, err);
    if (rc == TT_OK) rc = opt_string(o, "judge", &judge, where, err);
    if (rc != TT_OK) return rc;
    arena_battles_add(out, models[0], models[1], winner, tstamp, source, judge);
    return TT_OK;
}

static int parse_array(arena_battles *out, const char *text, size_t len, const char *name, char *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root) return tt_fail(err, TT_ERR_PARSE, "%s:%d: invalid JSON: %s", name, je.line, je.text);
    int rc = TT_OK;
    if (!json_is_array(root)) {
        rc = tt_fail(err, TT_ERR_PARSE, "%s: expected a JSON array of battles", name);
    } else {
        for (size_t i = 0; i < json_array_size(root) && rc == TT_OK; i++) {
            char where[256];
            snprintf(where, sizeof where, "%s: record %zu", name, i);
            rc = parse_record(json_array_get(root, i), where, out, err);
        }
    }
    json_decref(root);
    return rc;
}

static int parse_lines(arena_battles *out, const char *text, size_t len, const char *name, char *err)
{
    size_t pos = 0;
    int line = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        line++;
        size_t s = pos;
        while (s < end && (text[s] == ' ' || text[s] == '\t' || text[s] == '\r')) s++;
        if (s < end) {
            char where[256];
            snprintf(where, sizeof where, "%s:%d", name, line);
            json_error_t je;
            json_t *o = json_loadb(text + s, end - s, JSON_DECODE_ANY, &je);
            if (!o) return tt_fail(err, TT_ERR_PARSE, "%s: invalid JSON: %s", where, je.text);
            int rc = parse_record(o, where, out, err);
            json_decref(o);
            if (rc != TT_OK) return rc;
        }
        pos = end + 1;
    }
    return TT_OK;
}

int arena_battles_parse(arena_battles *out, const char *text, size_t len,
                        const char *name, char *err)
{
    if (!name) name = "<input>";
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) i++;
    if (i < len && text[i] == '[') return parse_array(out, text, len, name, err);
    return parse_lines(out, text, len, name, err);
}

int arena_battles_read_file(arena_battles *out, const char *path, char *err)
{
    char *text;
    size_t len;
    int rc = tt_read_file(path, &text, &len, err);
    if (rc != TT_OK) return rc;
    rc = arena_battles_parse(out, text, len, path, err);
    free(text);
    return rc;
}

/* ---- JSON export -------------------------------------------------------- */

static int write_impl(const arena_battles *l, FILE *f, const char *label, char *err)
{
    for (size_t i = 0; i < l->n; i++) {
        const arena_battle *b = &l->v[i];
        json_t *o = json_object();
        json_object_set_new(o, "model_a", json_string(b->model_a));
        json_object_set_new(o, "model_b", json_string(b->model_b));
        json_object_set_new(o, "winner", json_string(judge_winner_name(b->winner)));
        json_object_set_new(o, "tstamp", json_real(b->tstamp));
        if (b->source) json_object_set_new(o, "source", json_string(b->source));
        if (b->judge) json_object_set_new(o, "judge", json_string(b->judge));
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        json_decref(o);
        if (!s) return tt_fail(err, TT_ERR, "cannot encode battle %zu as JSON", i);
        int bad = fputs(s, f) == EOF || fputc('\n', f) == EOF;
        free(s);
        if (bad) return tt_fail(err, TT_ERR_IO, "cannot write '%s'", label);
    }
    return TT_OK;
}

int arena_battles_write(const arena_battles *l, FILE *f, char *err)
{
    return write_impl(l, f, "<stream>", err);
}

int arena_battles_write_file(const arena_battles *l, const char *path, char *err)
{
    FILE *f = fopen(path, "w");
    if (!f) return tt_fail(err, TT_ERR_IO, "cannot open '%s' for writing", path);
    int rc = write_impl(l, f, path, err);
    if (fclose(f) != 0 && rc == TT_OK) rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", path);
    return rc;
}

/* ---- store ---------------------------------------------------------------- */

static int load_one(void *ctx, const store_rated_battle *b, char *err)
{
    arena_battles *out = ctx;
    judge_winner winner;
    if (!b->model_a || !b->model_b || strcmp(b->model_a, b->model_b) == 0 ||
        judge_winner_parse(b->winner, &winner) != TT_OK)
        return tt_fail(err, TT_ERR_STORE, "malformed battle row in the store (model_a '%s', model_b '%s')",
                       b->model_a ? b->model_a : "", b->model_b ? b->model_b : "");
    arena_battles_add(out, b->model_a, b->model_b, winner, b->tstamp, b->source, b->judge);
    return TT_OK;
}

int arena_battles_load_db(store *s, arena_source f, arena_battles *out, char *err)
{
    static const store_battle_source to_store[] = {
        [ARENA_SOURCE_ALL] = STORE_BATTLES_ALL,
        [ARENA_SOURCE_HUMAN] = STORE_BATTLES_HUMAN,
        [ARENA_SOURCE_JUDGE] = STORE_BATTLES_JUDGE,
    };
    return store_battles_each(s, to_store[f], load_one, out, err);
}

/* Battle i of the list as a store row, converted one at a time so that an
 * import of millions of battles is not held twice. */
static void battle_row(void *ctx, size_t i, store_battle *out)
{
    const arena_battle *b = &((const arena_battles *)ctx)->v[i];
    *out = (store_battle){.model_a = b->model_a, .model_b = b->model_b, .winner = judge_winner_name(b->winner),
                          .tstamp = b->tstamp, .source = b->source ? b->source : "import", .judge = b->judge};
}

int arena_battles_insert_db(store *s, const arena_battles *l, char *err)
{
    return store_battles_put_each(s, l->n, battle_row, (void *)l, err);
}
