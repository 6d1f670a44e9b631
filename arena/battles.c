/*
 * battles.c — the battle list of battles.h: construction over an interned
 * string pool, filters and sorting (style counts and kept conversations
 * move with their battles), Chatbot Arena JSON Lines export, and the
 * conversion to and from the store's battle rows (store/battles.h). The
 * file reader is battles_read.c.
 */
#include "arena/battles.h"
#include "arena/strpool.h"
#include "core/util.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define STYLE_W (2 * ARENA_STYLE_N)

void arena_battles_init(arena_battles *l) { memset(l, 0, sizeof *l); }


void arena_battles_free(arena_battles *l)
{
    if (!l) return;
    if (l->text)
        for (size_t i = 0; i < 2 * l->n; i++) free(l->text[i]);
    free(l->text);
    free(l->v);
    free(l->style);
    arena_strpool_free(l->pool);
    arena_battles_init(l);
}

const char *arena_battles_intern_n(arena_battles *l, const char *s, size_t n)
{
    if (!s) return NULL;
    if (!l->pool) l->pool = arena_strpool_new();
    return arena_strpool_intern(l->pool, s, n);
}

const char *arena_battles_intern(arena_battles *l, const char *s)
{
    return s ? arena_battles_intern_n(l, s, strlen(s)) : NULL;
}

void *arena_big_alloc(size_t bytes)
{
    if (bytes < ((size_t)8 << 20)) return tt_malloc(bytes ? bytes : 1);
    /* a big array on 2 MiB pages where the kernel offers them on request
     * (transparent huge pages in "madvise" mode): a million battles then
     * cost a few dozen page faults instead of sixteen thousand */
    void *p = NULL;
    size_t huge = (size_t)2 << 20;
    if (posix_memalign(&p, huge, (bytes + huge - 1) / huge * huge) != 0) return tt_malloc(bytes);
    madvise(p, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE);
    return p;
}

static void grow(arena_battles *l, size_t want)
{
    if (want <= l->cap) return;
    size_t cap = l->cap ? l->cap : 64;
    while (cap < want) cap *= 2;
    if (cap * sizeof *l->v >= ((size_t)8 << 20)) {
        arena_battle *v = arena_big_alloc(cap * sizeof *v);
        if (l->n) memcpy(v, l->v, l->n * sizeof *v);
        free(l->v);
        l->v = v;
    } else {
        l->v = tt_realloc(l->v, cap * sizeof *l->v);
    }
    if (l->style) l->style = tt_realloc(l->style, cap * STYLE_W * sizeof *l->style);
    if (l->text) {
        l->text = tt_realloc(l->text, cap * 2 * sizeof *l->text);
        memset(l->text + 2 * l->cap, 0, (cap - l->cap) * 2 * sizeof *l->text);
    }
    l->cap = cap;
}

void arena_battles_reserve(arena_battles *l, size_t n) { grow(l, n); }

arena_battle *arena_battles_add(arena_battles *l, const char *model_a, const char *model_b,
                                judge_winner winner, double tstamp, const char *source, const char *judge)
{
    grow(l, l->n + 1);
    arena_battle *b = &l->v[l->n];
    memset(b, 0, sizeof *b);
    b->model_a = arena_battles_intern(l, model_a);
    b->model_b = arena_battles_intern(l, model_b);
    b->winner = winner;
    b->tstamp = tstamp;
    b->source = arena_battles_intern(l, source);
    b->judge = arena_battles_intern(l, judge);
    if (l->text) l->text[2 * l->n] = l->text[2 * l->n + 1] = NULL;
    l->n++;
    return b;
}

void arena_battles_set_style(arena_battles *l, size_t i, const double s[2 * ARENA_STYLE_N])
{
    if (!l->style) l->style = tt_calloc(l->cap ? l->cap : 1, STYLE_W * sizeof *l->style);
    memcpy(l->style + i * STYLE_W, s, STYLE_W * sizeof *s);
    l->v[i].has_style = 1;
}

const double *arena_battles_style(const arena_battles *l, size_t i)
{
    return l->style && l->v[i].has_style ? l->style + i * STYLE_W : NULL;
}

void arena_battles_set_default_source(arena_battles *l, const char *source)
{
    const char *s = arena_battles_intern(l, source);
    for (size_t i = 0; i < l->n; i++)
        if (!l->v[i].source) l->v[i].source = s;
}

void arena_battles_keep(arena_battles *l, const unsigned char *keep)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (!keep[i]) {
            if (l->text) {
                free(l->text[2 * i]);
                free(l->text[2 * i + 1]);
            }
            continue;
        }
        if (k != i) {
            l->v[k] = l->v[i];
            if (l->style) memcpy(l->style + k * STYLE_W, l->style + i * STYLE_W, STYLE_W * sizeof *l->style);
            if (l->text) {
                l->text[2 * k] = l->text[2 * i];
                l->text[2 * k + 1] = l->text[2 * i + 1];
            }
        }
        k++;
    }
    l->n = k;
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
    if (f == ARENA_SOURCE_ALL || l->n == 0) return;
    unsigned char *keep = tt_malloc(l->n);
    for (size_t i = 0; i < l->n; i++) keep[i] = (unsigned char)arena_source_match(f, l->v[i].source);
    arena_battles_keep(l, keep);
    free(keep);
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
    size_t i;
    for (i = 1; i < l->n && l->v[i - 1].tstamp <= l->v[i].tstamp; i++) {}
    if (i == l->n) return;   /* already in order (the common case) */
    sort_item *it = tt_malloc(l->n * sizeof *it);
    for (i = 0; i < l->n; i++) { it[i].t = l->v[i].tstamp; it[i].i = i; }
    qsort(it, l->n, sizeof *it, cmp_item);
    arena_battle *v = tt_malloc(l->cap * sizeof *v);
    for (i = 0; i < l->n; i++) v[i] = l->v[it[i].i];
    free(l->v);
    l->v = v;
    if (l->style) {
        double *s = tt_malloc(l->cap * STYLE_W * sizeof *s);
        for (i = 0; i < l->n; i++) memcpy(s + i * STYLE_W, l->style + it[i].i * STYLE_W, STYLE_W * sizeof *s);
        free(l->style);
        l->style = s;
    }
    if (l->text) {
        char **t = tt_calloc(l->cap * 2, sizeof *t);
        for (i = 0; i < l->n; i++) {
            t[2 * i] = l->text[2 * it[i].i];
            t[2 * i + 1] = l->text[2 * it[i].i + 1];
        }
        free(l->text);
        l->text = t;
    }
    free(it);
}

/* ---- style counts as JSON ---------------------------------------------------- */

static const char *const style_keys[2][ARENA_STYLE_N] = {
    {"sum_assistant_a_tokens", "header_count_a", "list_count_a", "bold_count_a"},
    {"sum_assistant_b_tokens", "header_count_b", "list_count_b", "bold_count_b"},
};

char *arena_style_json(const double s[2 * ARENA_STYLE_N])
{
    json_t *o = json_object();
    for (int side = 0; side < 2; side++)
        for (int k = 0; k < ARENA_STYLE_N; k++) {
            double v = s[side * ARENA_STYLE_N + k];
            json_object_set_new(o, style_keys[side][k],
                                v == floor(v) && fabs(v) < 9e15 ? json_integer((json_int_t)v) : json_real(v));
        }
    char *js = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return js;
}

/* A count: a number, or an object whose numeric values are summed. */
static int count_value(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return isfinite(*out);
    }
    if (!json_is_object(v)) return 0;
    double sum = 0;
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        if (!json_is_number(x)) return 0;
        sum += json_number_value(x);
    }
    *out = sum;
    return 1;
}

int arena_style_from_json(const char *js, double s[2 * ARENA_STYLE_N])
{
    if (!js) return 0;
    json_t *o = json_loads(js, 0, NULL);
    double tmp[2 * ARENA_STYLE_N];
    int ok = json_is_object(o);
    for (int side = 0; ok && side < 2; side++)
        for (int k = 0; ok && k < ARENA_STYLE_N; k++)
            ok = count_value(json_object_get(o, style_keys[side][k]), &tmp[side * ARENA_STYLE_N + k]);
    json_decref(o);
    if (ok) memcpy(s, tmp, sizeof tmp);
    return ok;
}

/* ---- JSON export -------------------------------------------------------- */

static const char *language_name(unsigned cats)
{
    return cats & ARENA_CAT_ZH ? "zh" : cats & ARENA_CAT_EN ? "en" : cats & ARENA_CAT_OTHER_LANG ? "other" : NULL;
}

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
        if (b->turns > 0) json_object_set_new(o, "turn", json_integer(b->turns));
        const char *lang = language_name(b->cats);
        if (lang) json_object_set_new(o, "language", json_string(lang));
        unsigned topics = b->cats & ~(unsigned)ARENA_CAT_LANGS;
        if (topics) {
            json_t *arr = json_array();
            for (unsigned bit = 1; bit; bit <<= 1)
                if (topics & bit) json_array_append_new(arr, json_string(arena_category_name(bit)));
            json_object_set_new(o, "categories", arr);
        }
        const double *st = arena_battles_style(l, i);
        if (st) {
            char *js = arena_style_json(st);
            json_object_set_new(o, "conv_metadata", json_loads(js, 0, NULL));
            free(js);
        }
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

typedef struct load_ctx {
    arena_battles *out;
    const arena_load_opts *o;
} load_ctx;

static unsigned language_bits(const char *lang)
{
    if (!lang) return 0;
    if (!strcmp(lang, "en")) return ARENA_CAT_EN;
    if (!strcmp(lang, "zh")) return ARENA_CAT_ZH;
    return ARENA_CAT_OTHER_LANG;
}

/* Reasons in a stored flags list ("identity_leak,engine_error"). */
static unsigned flag_bits(const char *flags)
{
    unsigned bad = 0;
    while (flags && *flags) {
        size_t n = strcspn(flags, ",");
        if (n == 13 && !strncmp(flags, "identity_leak", n)) bad |= ARENA_BAD_IDENTITY;
        else if (n == 12 && !strncmp(flags, "engine_error", n)) bad |= ARENA_BAD_ERROR;
        else if (n == 10 && !strncmp(flags, "unfinished", n)) bad |= ARENA_BAD_UNFINISHED;
        else if (n == 13 && !strncmp(flags, "not_anonymous", n)) bad |= ARENA_BAD_NOT_ANONYMOUS;
        else if (n) bad |= ARENA_BAD_FLAGGED;
        flags += n;
        if (*flags == ',') flags++;
    }
    return bad;
}

static int load_one(void *ctx, const store_rated_battle *b, char *err)
{
    load_ctx *c = ctx;
    judge_winner winner;
    if (!b->model_a || !b->model_b || strcmp(b->model_a, b->model_b) == 0 ||
        judge_winner_parse(b->winner, &winner) != TT_OK)
        return tt_fail(err, TT_ERR_STORE, "malformed battle row in the store (model_a '%s', model_b '%s')",
                       b->model_a ? b->model_a : "", b->model_b ? b->model_b : "");
    arena_battle *nb = arena_battles_add(c->out, b->model_a, b->model_b, winner, b->tstamp, b->source, b->judge);
    size_t i = c->out->n - 1;
    nb->turns = b->turns.has ? (int)b->turns.v : 0;
    nb->cats = language_bits(b->language) | arena_categories_parse_list(b->categories);
    nb->bad = flag_bits(b->flags);
    double st[STYLE_W];
    if (arena_style_from_json(b->style_json, st)) arena_battles_set_style(c->out, i, st);
    if (c->o && c->o->analyse && (b->conversation_a || b->conversation_b)) {
        arena_conv_facts f;
        char cerr[TT_ERR_SIZE];
        if (arena_conv_analyse_json(b->conversation_a, b->conversation_b, c->o->identity, b->model_a, b->model_b, &f,
                                    cerr) == TT_OK) {
            nb = &c->out->v[i];
            nb->bad |= f.bad;
            if (!nb->turns) nb->turns = f.turns;
            if (!(nb->cats & ARENA_CAT_LANGS)) nb->cats |= f.cats & ARENA_CAT_LANGS;
            nb->cats |= f.cats & ~(unsigned)ARENA_CAT_LANGS;
            if (!nb->has_style) arena_battles_set_style(c->out, i, (const double *)f.style);
        } else {
            c->out->v[i].bad |= ARENA_BAD_FLAGGED;   /* a conversation the arena cannot read */
        }
    }
    return TT_OK;
}

int arena_battles_load_db_opts(store *s, arena_source f, const arena_load_opts *o, arena_battles *out, char *err)
{
    static const store_battle_source to_store[] = {
        [ARENA_SOURCE_ALL] = STORE_BATTLES_ALL,
        [ARENA_SOURCE_HUMAN] = STORE_BATTLES_HUMAN,
        [ARENA_SOURCE_JUDGE] = STORE_BATTLES_JUDGE,
    };
    unsigned what = 0;
    if (o && o->with_flagged) what |= STORE_SCAN_FLAGGED;
    if (o && o->analyse) what |= STORE_SCAN_TEXT;
    load_ctx c = {out, o};
    return store_battles_scan(s, to_store[f], what, load_one, &c, err);
}

int arena_battles_load_db(store *s, arena_source f, arena_battles *out, char *err)
{
    return arena_battles_load_db_opts(s, f, NULL, out, err);
}

/* Battle i of the list as a store row, converted one at a time so that an
 * import of millions of battles is not held twice. The row's strings live
 * in the scratch until the next call. */
typedef struct insert_ctx {
    const arena_battles *l;
    char *categories, *style;
} insert_ctx;

static void battle_row(void *ctx, size_t i, store_battle *out)
{
    insert_ctx *c = ctx;
    const arena_battle *b = &c->l->v[i];
    free(c->categories);
    free(c->style);
    c->categories = b->cats & ~(unsigned)ARENA_CAT_LANGS ? arena_categories_format(b->cats & ~(unsigned)ARENA_CAT_LANGS)
                                                         : NULL;
    const double *st = arena_battles_style(c->l, i);
    c->style = st ? arena_style_json(st) : NULL;
    *out = (store_battle){.model_a = b->model_a, .model_b = b->model_b, .winner = judge_winner_name(b->winner),
                          .tstamp = b->tstamp, .source = b->source ? b->source : "import", .judge = b->judge,
                          .turns = b->turns > 0 ? STORE_INT(b->turns) : STORE_NO_INT,
                          .language = language_name(b->cats), .categories = c->categories, .style_json = c->style};
    if (c->l->text) {
        out->conversation_a = c->l->text[2 * i];
        out->conversation_b = c->l->text[2 * i + 1];
    }
    if (b->bad & ARENA_BAD_NOT_ANONYMOUS) out->flags = "not_anonymous";
}

int arena_battles_insert_db(store *s, const arena_battles *l, char *err)
{
    insert_ctx c = {l, NULL, NULL};
    int rc = store_battles_put_each(s, l->n, battle_row, &c, err);
    free(c.categories);
    free(c.style);
    return rc;
}
