/*
 * filter.c — filter chains (regex extraction, take_first, majority_vote,
 * case, strip, map, ...) applied to a document's responses before scoring.
 * Called by the runner through filter.h; regex work is in pytext.c.
 */
#include "harness/filter.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/pytext.h"
#include "core/util.h"

typedef enum step_kind {
    STEP_REGEX, STEP_TAKE_FIRST, STEP_TAKE_FIRST_K, STEP_MAJORITY_VOTE, STEP_LOWERCASE,
    STEP_UPPERCASE, STEP_STRIP, STEP_REMOVE_WHITESPACE, STEP_MAP
} step_kind;

typedef struct step {
    step_kind kind;
    pytext_regex re;          /* STEP_REGEX */
    long group_select;
    char *fallback;
    int k;                    /* STEP_TAKE_FIRST_K */
    char **map_keys, **map_vals;  /* STEP_MAP */
    size_t n_map;
    char *default_value;      /* STEP_MAP; NULL = keep */
} step;

struct filter_chain {
    char *name;
    step *steps;
    int n_steps;
};

#define DEFAULT_REGEX "#### (\\-?[0-9\\.\\,]+)"
#define LAST_NUMBER_REGEX "(-?[$0-9.,]{2,})|(-?[0-9]+)"

static void step_free(step *s)
{
    pytext_regex_free(&s->re);
    free(s->fallback);
    for (size_t i = 0; i < s->n_map; i++) { free(s->map_keys[i]); free(s->map_vals[i]); }
    free(s->map_keys);
    free(s->map_vals);
    free(s->default_value);
}

void filter_chain_free(filter_chain *c)
{
    if (!c) return;
    for (int i = 0; i < c->n_steps; i++) step_free(&c->steps[i]);
    free(c->steps);
    free(c->name);
    free(c);
}

const char *filter_chain_name(const filter_chain *c) { return c->name; }

filter_chain *filter_chain_none(void)
{
    filter_chain *c = tt_calloc(1, sizeof *c);
    c->name = tt_strdup("none");
    c->steps = tt_calloc(1, sizeof *c->steps);
    c->steps[0].kind = STEP_TAKE_FIRST;
    c->n_steps = 1;
    return c;
}

/* Checks that obj has only the listed keys (NULL-terminated). */
static int only_keys(const json_t *obj, const char *const *keys, const char *where, char *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int ok = 0;
        for (int i = 0; keys[i]; i++)
            if (strcmp(key, keys[i]) == 0) ok = 1;
        if (!ok) return tt_fail(err, TT_ERR_PARSE, "%s: unknown field '%s'", where, key);
    }
    return TT_OK;
}

static int get_string(const json_t *obj, const char *key, const char *def, char **out,
                      const char *where, char *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) { *out = def ? tt_strdup(def) : NULL; return TT_OK; }
    if (!json_is_string(v))
        return tt_fail(err, TT_ERR_PARSE, "%s: field '%s' must be a string", where, key);
    *out = tt_strdup(json_string_value(v));
    return TT_OK;
}

static int parse_step(const json_t *obj, step *s, const char *where, char *err)
{
    memset(s, 0, sizeof *s);
    const char *fn = json_string_value(json_object_get(obj, "function"));
    int rc;
    if (strcmp(fn, "regex") == 0 || strcmp(fn, "last_number") == 0) {
        int last = strcmp(fn, "last_number") == 0;
        static const char *const rk[] = { "function", "regex_pattern", "group_select", "fallback", NULL };
        static const char *const lk[] = { "function", "fallback", NULL };
        if ((rc = only_keys(obj, last ? lk : rk, where, err))) return rc;
        s->kind = STEP_REGEX;
        char *pat = NULL;
        if ((rc = get_string(obj, "regex_pattern", last ? LAST_NUMBER_REGEX : DEFAULT_REGEX, &pat, where, err)))
            return rc;
        s->group_select = last ? -1 : 0;
        json_t *g = json_object_get(obj, "group_select");
        if (g && !json_is_null(g)) {
            if (!json_is_integer(g)) {
                free(pat);
                return tt_fail(err, TT_ERR_PARSE, "%s: field 'group_select' must be an integer", where);
            }
            s->group_select = (long)json_integer_value(g);
        }
        if ((rc = get_string(obj, "fallback", "[invalid]", &s->fallback, where, err))) { free(pat); return rc; }
        char rerr[TT_ERR_SIZE];
        rc = pytext_regex_compile(&s->re, pat, rerr);
        free(pat);
        if (rc) return tt_fail(err, TT_ERR_PARSE, "%s: field 'regex_pattern': %s", where, rerr);
        return TT_OK;
    }
    static const char *const bare[] = { "function", NULL };
    static const struct { const char *name; step_kind kind; } simple[] = {
        { "take_first", STEP_TAKE_FIRST }, { "majority_vote", STEP_MAJORITY_VOTE },
        { "lowercase", STEP_LOWERCASE }, { "uppercase", STEP_UPPERCASE },
        { "strip", STEP_STRIP }, { "remove_whitespace", STEP_REMOVE_WHITESPACE },
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        if (strcmp(fn, simple[i].name) == 0) {
            if ((rc = only_keys(obj, bare, where, err))) return rc;
            s->kind = simple[i].kind;
            return TT_OK;
        }
    }
    if (strcmp(fn, "take_first_k") == 0) {
        static const char *const kk[] = { "function", "k", NULL };
        if ((rc = only_keys(obj, kk, where, err))) return rc;
        json_t *k = json_object_get(obj, "k");
        if (!json_is_integer(k) || json_integer_value(k) < 1 || json_integer_value(k) > 1000000)
            return tt_fail(err, TT_ERR_PARSE, "%s: field 'k' must be an integer >= 1", where);
        s->kind = STEP_TAKE_FIRST_K;
        s->k = (int)json_integer_value(k);
        return TT_OK;
    }
    if (strcmp(fn, "map") == 0) {
        static const char *const mk[] = { "function", "mapping_dict", "default_value", NULL };
        if ((rc = only_keys(obj, mk, where, err))) return rc;
        json_t *m = json_object_get(obj, "mapping_dict");
        if (!json_is_object(m))
            return tt_fail(err, TT_ERR_PARSE, "%s: field 'mapping_dict' must be an object", where);
        s->kind = STEP_MAP;
        size_t n = json_object_size(m);
        s->map_keys = tt_calloc(n ? n : 1, sizeof(char *));
        s->map_vals = tt_calloc(n ? n : 1, sizeof(char *));
        const char *key;
        json_t *v;
        json_object_foreach(m, key, v) {
            if (!json_is_string(v))
                return tt_fail(err, TT_ERR_PARSE, "%s: field 'mapping_dict' value for '%s' must be a string",
                               where, key);
            s->map_keys[s->n_map] = tt_strdup(key);
            s->map_vals[s->n_map] = tt_strdup(json_string_value(v));
            s->n_map++;
        }
        return get_string(obj, "default_value", NULL, &s->default_value, where, err);
    }
    return tt_fail(err, TT_ERR_PARSE, "%s: unknown filter function", where);
}

int filter_chain_parse(const json_t *obj, filter_chain **out, char *err)
{
    if (!json_is_object(obj)) return tt_fail(err, TT_ERR_PARSE, "filter chain: must be an object");
    const char *name = json_string_value(json_object_get(obj, "name"));
    if (!name) return tt_fail(err, TT_ERR_PARSE, "filter chain: field 'name' must be a string");
    const char *const keys[] = { "name", "filter", NULL };
    char where[256];
    snprintf(where, sizeof where, "filter chain '%s'", name);
    int rc = only_keys(obj, keys, where, err);
    if (rc) return rc;
    json_t *list = json_object_get(obj, "filter");
    if (list && !json_is_array(list))
        return tt_fail(err, TT_ERR_PARSE, "%s: field 'filter' must be an array", where);
    filter_chain *c = tt_calloc(1, sizeof *c);
    c->name = tt_strdup(name);
    size_t n = list ? json_array_size(list) : 0;
    if (n == 0) {
        c->steps = tt_calloc(1, sizeof *c->steps);
        c->steps[0].kind = STEP_TAKE_FIRST;
        c->n_steps = 1;
        *out = c;
        return TT_OK;
    }
    c->steps = tt_calloc(n, sizeof *c->steps);
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(list, i);
        const char *fn = json_is_object(f) ? json_string_value(json_object_get(f, "function")) : NULL;
        if (!fn) {
            filter_chain_free(c);
            return tt_fail(err, TT_ERR_PARSE, "%s step %zu: must be an object with a string 'function'",
                           where, i + 1);
        }
        char swhere[400];
        snprintf(swhere, sizeof swhere, "%s step %zu '%s'", where, i + 1, fn);
        rc = parse_step(f, &c->steps[i], swhere, err);
        c->n_steps = (int)i + 1;   /* so free() releases the partial step too */
        if (rc) { filter_chain_free(c); return rc; }
    }
    *out = c;
    return TT_OK;
}

int filter_list_parse(const json_t *list, filter_chain ***out, int *n, char *err)
{
    if (!list || json_is_null(list) || (json_is_array(list) && json_array_size(list) == 0)) {
        *out = tt_malloc(sizeof(filter_chain *));
        (*out)[0] = filter_chain_none();
        *n = 1;
        return TT_OK;
    }
    if (!json_is_array(list)) return tt_fail(err, TT_ERR_PARSE, "filter_list: must be an array");
    size_t m = json_array_size(list);
    filter_chain **v = tt_calloc(m, sizeof *v);
    for (size_t i = 0; i < m; i++) {
        int rc = filter_chain_parse(json_array_get(list, i), &v[i], err);
        if (rc) { filter_chains_free(v, (int)i); return rc; }
        for (size_t j = 0; j < i; j++)
            if (strcmp(v[j]->name, v[i]->name) == 0) {
                tt_fail(err, TT_ERR_PARSE, "filter_list: chain name '%s' used twice", v[i]->name);
                filter_chains_free(v, (int)i + 1);
                return TT_ERR_PARSE;
            }
    }
    *out = v;
    *n = (int)m;
    return TT_OK;
}

void filter_chains_free(filter_chain **chains, int n)
{
    if (!chains) return;
    for (int i = 0; i < n; i++) filter_chain_free(chains[i]);
    free(chains);
}

void filter_strings_free(char **v, int n)
{
    if (!v) return;
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static char *apply_regex(const step *s, const char *resp)
{
    pytext_span *m = NULL;
    size_t n = pytext_regex_findall(&s->re, resp, &m);
    char *out;
    long idx = s->group_select < 0 ? (long)n + s->group_select : s->group_select;
    if (n == 0 || idx < 0 || idx >= (long)n || m[idx].p == NULL) {
        out = tt_strdup(s->fallback);
    } else {
        pytext_span st = pytext_strip(m[idx].p, m[idx].len);
        out = tt_strndup(st.p, st.len);
    }
    free(m);
    return out;
}

static char *apply_one(const step *s, const char *r)
{
    switch (s->kind) {
    case STEP_REGEX:
        return apply_regex(s, r);
    case STEP_LOWERCASE:   /* str.lower() / str.upper(): Unicode, as Python */
        return pytext_lower(r, strlen(r));
    case STEP_UPPERCASE:
        return pytext_upper(r, strlen(r));
    case STEP_STRIP:
    case STEP_REMOVE_WHITESPACE: {   /* lm-eval's WhitespaceFilter is resp.strip() */
        pytext_span st = pytext_strip(r, strlen(r));
        return tt_strndup(st.p, st.len);
    }
    case STEP_MAP:
        for (size_t i = 0; i < s->n_map; i++)
            if (strcmp(s->map_keys[i], r) == 0) return tt_strdup(s->map_vals[i]);
        return tt_strdup(s->default_value ? s->default_value : r);
    default:
        return tt_strdup(r);
    }
}

int filter_chain_apply(const filter_chain *c, const char *const *resps, int n, char ***out, int *n_out)
{
    if (n < 0) n = 0;
    char **cur = tt_calloc(n ? (size_t)n : 1, sizeof(char *));
    int cn = n;
    for (int i = 0; i < n; i++) cur[i] = tt_strdup(resps[i] ? resps[i] : "");
    for (int si = 0; si < c->n_steps; si++) {
        const step *s = &c->steps[si];
        if (s->kind == STEP_TAKE_FIRST || s->kind == STEP_TAKE_FIRST_K) {
            int keep = s->kind == STEP_TAKE_FIRST ? 1 : s->k;
            if (keep < cn) {
                for (int i = keep; i < cn; i++) free(cur[i]);
                cn = keep;
            }
            continue;
        }
        if (s->kind == STEP_MAJORITY_VOTE) {
            if (cn <= 1) continue;
            int best = 0, best_count = 0;
            for (int i = 0; i < cn; i++) {
                int seen_before = 0;
                for (int j = 0; j < i; j++)
                    if (strcmp(cur[j], cur[i]) == 0) { seen_before = 1; break; }
                if (seen_before) continue;
                int count = 0;
                for (int j = i; j < cn; j++)
                    if (strcmp(cur[j], cur[i]) == 0) count++;
                if (count > best_count) { best = i; best_count = count; }
            }
            char *keep = cur[best];
            for (int i = 0; i < cn; i++)
                if (i != best) free(cur[i]);
            cur[0] = keep;
            cn = 1;
            continue;
        }
        for (int i = 0; i < cn; i++) {
            char *o = apply_one(s, cur[i]);
            free(cur[i]);
            cur[i] = o;
        }
    }
    *out = cur;
    *n_out = cn;
    return TT_OK;
}
