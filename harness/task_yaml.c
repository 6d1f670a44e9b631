/*
 * task_yaml.c — YAML task files to JSON values, with PyYAML's YAML 1.1
 * reading of plain scalars; see task_yaml.h. An event-driven builder over
 * libyaml's parser: each node becomes a jansson value as its events arrive.
 */
#include "harness/task_yaml.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/util.h"

#define YAML_MAX_DEPTH 64
#define YAML_MAX_ANCHORS 1024

typedef struct ybuild {
    yaml_parser_t parser;
    const char *name;
    char *err;
    int failed;
    struct {
        char *name;
        json_t *value;
    } anchors[YAML_MAX_ANCHORS];
    int n_anchors;
} ybuild;

static int yfail(ybuild *b, const yaml_mark_t *m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int yfail(ybuild *b, const yaml_mark_t *m, const char *fmt, ...)
{
    if (b->failed) return TT_ERR_PARSE;
    b->failed = 1;
    char msg[TT_ERR_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tt_fail(b->err, TT_ERR_PARSE, "%s:%zu:%zu: %s", b->name, m->line + 1, m->column + 1, msg);
}

static int next_event(ybuild *b, yaml_event_t *e)
{
    if (yaml_parser_parse(&b->parser, e)) return TT_OK;
    const yaml_parser_t *p = &b->parser;
    return yfail(b, &p->problem_mark, "%s%s%s", p->problem ? p->problem : "YAML error",
                 p->context ? " " : "", p->context ? p->context : "");
}

/* ---- plain scalars, as PyYAML's resolver reads them ---------------------------- */

static int word_in(const char *s, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (!strcmp(s, words[i])) return 1;
    return 0;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL};
static const char *const false_words[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL};

/* Copy of s without '_' (YAML 1.1 digit separators). */
static char *no_underscores(const char *s)
{
    char *o = tt_strdup(s), *w = o;
    for (const char *r = s; *r; r++)
        if (*r != '_') *w++ = *r;
    *w = 0;
    return o;
}

static int all_of(const char *s, const char *set)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!strchr(set, *s)) return 0;
    return 1;
}

/* YAML 1.1 int: [-+]?0b[01_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) |
 * [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+. 1 when s is one
 * (*v its value; *overflow when it does not fit 64 bits). */
static int yaml_int(const char *s, long long *v, int *overflow)
{
    *overflow = 0;
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    if (!*p || strchr(p, '_') == p) return 0;
    int base = 10;
    const char *digits = p;
    if (p[0] == '0' && p[1] == 'b') {
        base = 2, digits = p + 2;
        if (!all_of(digits, "01_")) return 0;
    } else if (p[0] == '0' && p[1] == 'x') {
        base = 16, digits = p + 2;
        if (!all_of(digits, "0123456789abcdefABCDEF_")) return 0;
    } else if (p[0] == '0' && p[1]) {
        base = 8, digits = p + 1;
        if (!all_of(digits, "01234567_")) return 0;
    } else if (strchr(p, ':')) {
        /* base 60: 1:30 = 90 */
        if (p[0] < '1' || p[0] > '9') return 0;
        long long acc = 0;
        const char *q = p;
        int first = 1;
        while (*q) {
            const char *c = strchr(q, ':');
            size_t n = c ? (size_t)(c - q) : strlen(q);
            char part[64];
            if (n == 0 || n >= sizeof part) return 0;
            memcpy(part, q, n);
            part[n] = 0;
            if (first ? !all_of(part, "0123456789_") : (!all_of(part, "0123456789") || n > 2 || (part[0] > '5' && n == 2)))
                return 0;
            char *clean = no_underscores(part);
            long long x = strtoll(clean, NULL, 10);
            free(clean);
            if (!first && x > 59) return 0;
            if (acc > LLONG_MAX / 60) *overflow = 1;
            acc = acc * 60 + x;
            first = 0;
            q = c ? c + 1 : q + n;
        }
        *v = neg ? -acc : acc;
        return 1;
    } else {
        if (!all_of(p, "0123456789_") || (p[0] == '0' && p[1])) return 0;
    }
    char *clean = no_underscores(digits);
    if (!*clean) {
        free(clean);
        return base == 8 ? (*v = 0, 1) : 0;
    }
    errno = 0;
    unsigned long long u = strtoull(clean, NULL, base);
    free(clean);
    if (errno == ERANGE || u > (unsigned long long)LLONG_MAX) *overflow = 1;
    *v = neg ? -(long long)u : (long long)u;
    return 1;
}

/* YAML 1.1 float (with a dot, or .inf/.nan): 1 when s is one; *special
 * for inf/nan. */
static int yaml_float(const char *s, double *v, int *special)
{
    *special = 0;
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF")) return *special = 1;
    if (p == s && (!strcmp(p, ".nan") || !strcmp(p, ".NaN") || !strcmp(p, ".NAN"))) return *special = 1;
    /* [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9][0-9_]*([eE][-+][0-9]+)? */
    const char *q = p;
    if (isdigit((unsigned char)*q)) {
        while (isdigit((unsigned char)*q) || *q == '_') q++;
        if (*q != '.') {
            /* base 60 floats (1:30.5) are not used by task files: a string */
            return 0;
        }
        q++;
        while (isdigit((unsigned char)*q) || *q == '_') q++;
    } else if (*q == '.' && isdigit((unsigned char)q[1]) && p == s) {
        q++;
        while (isdigit((unsigned char)*q) || *q == '_') q++;
    } else {
        return 0;
    }
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q != '+' && *q != '-') return 0;
        q++;
        if (!isdigit((unsigned char)*q)) return 0;
        while (isdigit((unsigned char)*q)) q++;
    }
    if (*q) return 0;
    char *clean = no_underscores(s);
    *v = strtod(clean, NULL);
    free(clean);
    return 1;
}

static int scalar_value(ybuild *b, const yaml_event_t *e, json_t **out)
{
    const char *text = (const char *)e->data.scalar.value;
    size_t len = e->data.scalar.length;
    const char *tag = (const char *)e->data.scalar.tag;
    int plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && e->data.scalar.plain_implicit;
    if (tag && !strcmp(tag, "!function")) {
        json_t *name = json_stringn(text, len);
        if (!name) return yfail(b, &e->start_mark, "!function name is not valid UTF-8");
        *out = json_pack("{s:o}", "!function", name);
        return TT_OK;
    }
    if (tag && strncmp(tag, "tag:yaml.org,2002:", 18) != 0)
        return yfail(b, &e->start_mark, "unsupported tag '%s' (only !function and the standard !! tags)", tag);
    const char *want = tag ? tag + 18 : NULL; /* "str", "int", ... */
    if (memchr(text, 0, len)) return yfail(b, &e->start_mark, "NUL in a scalar");
    if (want && !strcmp(want, "str")) plain = 0;
    if (plain || (want && strcmp(want, "str"))) {
        long long iv;
        double dv;
        int over, special;
        if ((!want || !strcmp(want, "null")) && word_in(text, null_words)) {
            *out = json_null();
            return TT_OK;
        }
        if (!want || !strcmp(want, "bool")) {
            if (word_in(text, true_words)) return (*out = json_true()), TT_OK;
            if (word_in(text, false_words)) return (*out = json_false()), TT_OK;
        }
        if ((!want || !strcmp(want, "int")) && yaml_int(text, &iv, &over)) {
            if (over) return yfail(b, &e->start_mark, "integer '%s' does not fit in 64 bits", text);
            *out = json_integer(iv);
            return TT_OK;
        }
        if ((!want || !strcmp(want, "float")) && yaml_float(text, &dv, &special)) {
            if (special) return yfail(b, &e->start_mark, "'%s': infinities and NaN have no JSON form", text);
            *out = json_real(dv);
            return TT_OK;
        }
        if (want && strcmp(want, "str"))
            return yfail(b, &e->start_mark, "'%s' is not a valid !!%s", text, want);
    }
    *out = json_stringn(text, len);
    if (!*out) return yfail(b, &e->start_mark, "scalar is not valid UTF-8");
    return TT_OK;
}

/* ---- nodes ------------------------------------------------------------------- */

static int build_node(ybuild *b, yaml_event_t *e, int depth, json_t **out);

static int remember(ybuild *b, const yaml_char_t *anchor, json_t *v, const yaml_mark_t *m)
{
    if (!anchor) return TT_OK;
    if (b->n_anchors >= YAML_MAX_ANCHORS) return yfail(b, m, "too many anchors");
    b->anchors[b->n_anchors].name = tt_strdup((const char *)anchor);
    b->anchors[b->n_anchors].value = json_deep_copy(v);
    b->n_anchors++;
    return TT_OK;
}

/* Text of a key node: a scalar's text (as written), else an error. */
static int key_text(ybuild *b, yaml_event_t *e, char **out)
{
    *out = NULL;
    if (e->type == YAML_SCALAR_EVENT) {
        if (memchr(e->data.scalar.value, 0, e->data.scalar.length)) return yfail(b, &e->start_mark, "NUL in a key");
        *out = tt_strndup((const char *)e->data.scalar.value, e->data.scalar.length);
        return TT_OK;
    }
    return yfail(b, &e->start_mark, "a mapping key must be a scalar");
}

/* `<<: {...}` or `<<: [{...}, ...]`: keys not yet in obj are added. */
static int merge_into(ybuild *b, json_t *obj, json_t *v, const yaml_mark_t *m)
{
    json_t *list = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) {
        if (!json_is_object(it)) {
            json_decref(list);
            return yfail(b, m, "'<<' merges mappings only");
        }
        const char *k;
        json_t *x;
        json_object_foreach(it, k, x) if (!json_object_get(obj, k)) json_object_set(obj, k, x);
    }
    json_decref(list);
    return TT_OK;
}

static int build_mapping(ybuild *b, yaml_event_t *start, int depth, json_t **out)
{
    json_t *obj = json_object();
    json_t *merges = json_array();
    yaml_mark_t merge_mark = start->start_mark;
    int rc = TT_OK;
    for (;;) {
        yaml_event_t ke;
        if ((rc = next_event(b, &ke))) break;
        if (ke.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ke);
            break;
        }
        char *key = NULL;
        if (ke.type == YAML_ALIAS_EVENT) rc = yfail(b, &ke.start_mark, "an alias cannot be a key");
        else rc = key_text(b, &ke, &key);
        int is_merge = key && !strcmp(key, "<<") && ke.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        yaml_mark_t km = ke.start_mark;
        yaml_event_delete(&ke);
        if (rc) {
            free(key);
            break;
        }
        yaml_event_t ve;
        json_t *v = NULL;
        if ((rc = next_event(b, &ve)) == TT_OK) {
            rc = build_node(b, &ve, depth + 1, &v);
            yaml_event_delete(&ve);
        }
        if (rc == TT_OK && is_merge) {
            json_array_append(merges, v);
            merge_mark = km;
        } else if (rc == TT_OK) {
            json_object_set(obj, key, v);
        }
        json_decref(v);
        free(key);
        if (rc) break;
    }
    size_t i;
    json_t *m;
    if (rc == TT_OK) json_array_foreach(merges, i, m) if ((rc = merge_into(b, obj, m, &merge_mark))) break;
    json_decref(merges);
    if (rc) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return TT_OK;
}

static int build_sequence(ybuild *b, int depth, json_t **out)
{
    json_t *arr = json_array();
    for (;;) {
        yaml_event_t e;
        int rc = next_event(b, &e);
        if (rc) {
            json_decref(arr);
            return rc;
        }
        if (e.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&e);
            break;
        }
        json_t *v = NULL;
        rc = build_node(b, &e, depth + 1, &v);
        yaml_event_delete(&e);
        if (rc) {
            json_decref(arr);
            return rc;
        }
        json_array_append_new(arr, v);
    }
    *out = arr;
    return TT_OK;
}

static int build_node(ybuild *b, yaml_event_t *e, int depth, json_t **out)
{
    *out = NULL;
    if (depth > YAML_MAX_DEPTH) return yfail(b, &e->start_mark, "nested too deeply");
    int rc;
    switch (e->type) {
    case YAML_SCALAR_EVENT:
        rc = scalar_value(b, e, out);
        if (rc == TT_OK) rc = remember(b, e->data.scalar.anchor, *out, &e->start_mark);
        return rc;
    case YAML_ALIAS_EVENT:
        for (int i = b->n_anchors - 1; i >= 0; i--)
            if (!strcmp(b->anchors[i].name, (const char *)e->data.alias.anchor)) {
                *out = json_deep_copy(b->anchors[i].value);
                return TT_OK;
            }
        return yfail(b, &e->start_mark, "unknown alias '*%s'", (const char *)e->data.alias.anchor);
    case YAML_SEQUENCE_START_EVENT: {
        const char *tag = (const char *)e->data.sequence_start.tag;
        if (tag && strcmp(tag, "tag:yaml.org,2002:seq"))
            return yfail(b, &e->start_mark, "unsupported tag '%s' on a sequence", tag);
        rc = build_sequence(b, depth, out);
        if (rc == TT_OK) rc = remember(b, e->data.sequence_start.anchor, *out, &e->start_mark);
        return rc;
    }
    case YAML_MAPPING_START_EVENT: {
        const char *tag = (const char *)e->data.mapping_start.tag;
        if (tag && strcmp(tag, "tag:yaml.org,2002:map"))
            return yfail(b, &e->start_mark, "unsupported tag '%s' on a mapping", tag);
        rc = build_mapping(b, e, depth, out);
        if (rc == TT_OK) rc = remember(b, e->data.mapping_start.anchor, *out, &e->start_mark);
        return rc;
    }
    default:
        return yfail(b, &e->start_mark, "unexpected YAML event");
    }
}

int task_yaml_parse(const char *text, size_t len, const char *name, json_t **out, char *err)
{
    *out = NULL;
    ybuild *b = tt_calloc(1, sizeof *b);
    b->name = name ? name : "<yaml>";
    b->err = err;
    if (!yaml_parser_initialize(&b->parser)) {
        free(b);
        return tt_fail(err, TT_ERR_NOMEM, "cannot start the YAML parser");
    }
    yaml_parser_set_input_string(&b->parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&b->parser, YAML_UTF8_ENCODING);
    json_t *doc = NULL;
    int rc = TT_OK, docs = 0;
    for (;;) {
        yaml_event_t e;
        if ((rc = next_event(b, &e))) break;
        yaml_event_type_t type = e.type;
        yaml_mark_t mark = e.start_mark;
        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&e);
            break;
        }
        if (type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            yaml_event_delete(&e);
            rc = yfail(b, &mark, "a task file holds one YAML document");
            break;
        }
        if (type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT ||
            type == YAML_ALIAS_EVENT) {
            rc = build_node(b, &e, 0, &doc);
        }
        yaml_event_delete(&e);
        if (rc) break;
    }
    for (int i = 0; i < b->n_anchors; i++) {
        free(b->anchors[i].name);
        json_decref(b->anchors[i].value);
    }
    yaml_parser_delete(&b->parser);
    free(b);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc ? doc : json_null();
    return TT_OK;
}

int task_yaml_load(const char *path, json_t **out, char *err)
{
    *out = NULL;
    char *text;
    size_t len;
    int rc = tt_read_file(path, &text, &len, err);
    if (rc) return rc;
    rc = task_yaml_parse(text, len, path, out, err);
    free(text);
    return rc;
}

int task_yaml_is_yaml(const char *path)
{
    size_t n = strlen(path);
    return !(n >= 5 && !strcmp(path + n - 5, ".json"));
}

const char *task_yaml_function(const json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) != 1) return NULL;
    return json_string_value(json_object_get(v, "!function"));
}
