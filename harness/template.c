/*
 * template.c — the Jinja-like subset described in template.h. A direct
 * recursive-descent interpreter: each {{ expr }} is parsed and evaluated in
 * one pass to a jansson value (new references throughout), then rendered to
 * text. Called by harness/task.c for every prompt field of every document.
 */
#include "harness/template.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pytext.h"
#include "core/utf8.h"
#include "core/util.h"

typedef struct tp {
    const char *name;   /* template name for errors */
    const char *src;    /* whole template */
    size_t pos;         /* current byte offset */
    size_t end;         /* end of the current {{ }} expression */
    const json_t *doc;
    char *err;
    int failed;
    int depth;          /* nesting of ( [ and calls, bounded against hostile input */
} tp;

#define TEMPLATE_MAX_DEPTH 64

static json_t *parse_expr(tp *p);
static json_t *parse_expr_inner(tp *p);

static json_t *fail(tp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *fail(tp *p, const char *fmt, ...)
{
    if (p->failed) return NULL;
    p->failed = 1;
    char msg[TT_ERR_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tt_fail(p->err, TT_ERR_PARSE, "template '%s' at offset %zu: %s", p->name, p->pos, msg);
    return NULL;
}

static void skip_ws(tp *p)
{
    while (p->pos < p->end && isspace((unsigned char)p->src[p->pos])) p->pos++;
}

static int peek(tp *p)
{
    skip_ws(p);
    return p->pos < p->end ? (unsigned char)p->src[p->pos] : 0;
}

static int accept(tp *p, char c)
{
    if (peek(p) == (unsigned char)c) {
        p->pos++;
        return 1;
    }
    return 0;
}

static int is_ident_start(int c) { return isalpha(c) || c == '_'; }
static int is_ident(int c) { return isalnum(c) || c == '_'; }

/* Reads an identifier into buf (truncated to cap-1); returns its length. */
static size_t read_ident(tp *p, char *buf, size_t cap)
{
    skip_ws(p);
    size_t start = p->pos;
    while (p->pos < p->end && is_ident((unsigned char)p->src[p->pos])) p->pos++;
    size_t n = p->pos - start;
    size_t m = n < cap - 1 ? n : cap - 1;
    memcpy(buf, p->src + start, m);
    buf[m] = 0;
    return n;
}

/* ---- rendering values to text --------------------------------------- */

/* Python's repr() (nested = 1) or str() (nested = 0) of a JSON value,
 * which is what Jinja prints: str() of a string is the string itself; a
 * list or dict prints its items with repr() ("['a', 1, 2.0, True, None]"). */
static void python_text(tt_buf *b, const json_t *v, int nested)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (nested) pytext_repr_str(b, json_string_value(v), json_string_length(v));
        else tt_buf_append(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: tt_buf_printf(b, "%lld", (long long)json_integer_value(v)); break;
    case JSON_REAL: {
        char num[PYTEXT_FLOAT_REPR_MAX];
        tt_buf_append(b, num, pytext_float_repr(json_real_value(v), num));
        break;
    }
    case JSON_TRUE: tt_buf_puts(b, "True"); break;
    case JSON_FALSE: tt_buf_puts(b, "False"); break;
    case JSON_NULL: tt_buf_puts(b, "None"); break;
    case JSON_ARRAY: {
        tt_buf_puts(b, "[");
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) {
            if (i) tt_buf_puts(b, ", ");
            python_text(b, it, 1);
        }
        tt_buf_puts(b, "]");
        break;
    }
    case JSON_OBJECT: {
        tt_buf_puts(b, "{");
        const char *k;
        json_t *it;
        int first = 1;
        json_object_foreach((json_t *)v, k, it) {
            if (!first) tt_buf_puts(b, ", ");
            first = 0;
            pytext_repr_str(b, k, strlen(k));
            tt_buf_puts(b, ": ");
            python_text(b, it, 1);
        }
        tt_buf_puts(b, "}");
        break;
    }
    }
}

static void render_value(tt_buf *b, const json_t *v) { python_text(b, v, 0); }

char *template_value_text(const json_t *v)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    python_text(&b, v, 0);
    return tt_buf_detach(&b);
}

static json_t *to_text(const json_t *v)
{
    if (json_is_string(v)) return json_incref((json_t *)v);
    tt_buf b;
    tt_buf_init(&b);
    render_value(&b, v);
    json_t *s = json_stringn(tt_buf_str(&b), b.len);
    tt_buf_free(&b);
    return s ? s : json_string("");
}

/* ---- index coercion ----------------------------------------------------- */

/* Integer value of v for indexing: ints, or strings of decimal digits. */
static int as_index(const json_t *v, long long *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 1;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
        while (n > 0 && isspace((unsigned char)*s)) s++, n--;
        size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
        if (n == i || n - i > 18) return 0;
        for (size_t k = i; k < n; k++)
            if (!isdigit((unsigned char)s[k])) return 0;
        *out = strtoll(s, NULL, 10);
        return 1;
    }
    return 0;
}

static json_t *index_value(tp *p, json_t *base, json_t *idx)
{
    long long i;
    if (json_is_object(base)) {
        json_t *key = json_is_string(idx) ? json_incref(idx) : to_text(idx);
        json_t *v = json_object_get(base, json_string_value(key));
        if (!v) {
            fail(p, "no key '%s'", json_string_value(key));
            json_decref(key);
            return NULL;
        }
        json_decref(key);
        return json_incref(v);
    }
    if (!as_index(idx, &i)) return fail(p, "index is not an integer");
    if (json_is_array(base)) {
        long long n = (long long)json_array_size(base);
        if (i < 0) i += n;
        if (i < 0 || i >= n) return fail(p, "index %lld out of range (size %lld)", i, n);
        return json_incref(json_array_get(base, (size_t)i));
    }
    if (json_is_string(base)) {
        const char *s = json_string_value(base);
        size_t len = json_string_length(base);
        long long n = (long long)tt_utf8_codepoints(s, len);
        if (i < 0) i += n;
        if (i < 0 || i >= n) return fail(p, "index %lld out of range (length %lld)", i, n);
        size_t a = tt_utf8_offset(s, len, (size_t)i);
        return json_stringn(s + a, tt_utf8_offset(s, len, (size_t)i + 1) - a);
    }
    return fail(p, "value cannot be indexed");
}

/* ---- string methods ----------------------------------------------------- */

static int in_set(char c, const char *chars)
{
    if (!chars) return isspace((unsigned char)c) != 0;
    return c != 0 && strchr(chars, c) != NULL;
}

static json_t *strip(const json_t *s, const char *chars, int left, int right)
{
    const char *a = json_string_value(s);
    size_t n = json_string_length(s);
    size_t i = 0;
    if (left)
        while (i < n && in_set(a[i], chars)) i++;
    if (right)
        while (n > i && in_set(a[n - 1], chars)) n--;
    return json_stringn(a + i, n - i);
}

static json_t *split(const json_t *s, const char *sep, long long maxsplit)
{
    json_t *out = json_array();
    const char *a = json_string_value(s);
    size_t n = json_string_length(s);
    if (sep) {
        size_t sl = strlen(sep);
        size_t start = 0;
        long long done = 0;
        for (size_t i = 0; i + sl <= n;) {
            if ((maxsplit < 0 || done < maxsplit) && memcmp(a + i, sep, sl) == 0) {
                json_array_append_new(out, json_stringn(a + start, i - start));
                i += sl;
                start = i;
                done++;
            } else {
                i++;
            }
        }
        json_array_append_new(out, json_stringn(a + start, n - start));
        return out;
    }
    /* Python's whitespace split: runs of whitespace, no empty strings */
    size_t i = 0;
    long long done = 0;
    while (i < n) {
        while (i < n && isspace((unsigned char)a[i])) i++;
        if (i >= n) break;
        if (maxsplit >= 0 && done >= maxsplit) {
            size_t e = n;
            while (e > i && isspace((unsigned char)a[e - 1])) e--;
            json_array_append_new(out, json_stringn(a + i, e - i));
            break;
        }
        size_t st = i;
        while (i < n && !isspace((unsigned char)a[i])) i++;
        json_array_append_new(out, json_stringn(a + st, i - st));
        done++;
    }
    return out;
}

static json_t *replace(const json_t *s, const char *from, const char *to)
{
    const char *a = json_string_value(s);
    size_t n = json_string_length(s), fl = strlen(from);
    if (fl == 0) return json_incref((json_t *)s);
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    for (size_t i = 0; i < n;) {
        if (i + fl <= n && memcmp(a + i, from, fl) == 0) {
            tt_buf_puts(&b, to);
            i += fl;
        } else {
            tt_buf_append(&b, a + i, 1);
            i++;
        }
    }
    json_t *r = json_stringn(tt_buf_str(&b), b.len);
    tt_buf_free(&b);
    return r;
}

static json_t *change_case(const json_t *s, int upper)
{
    char *c = tt_strndup(json_string_value(s), json_string_length(s));
    for (size_t i = 0; i < json_string_length(s); i++)
        c[i] = (char)(upper ? toupper((unsigned char)c[i]) : tolower((unsigned char)c[i]));
    json_t *r = json_stringn(c, json_string_length(s));
    free(c);
    return r;
}

/* Drops the n arguments parsed so far (a failed parse_args). */
static int drop_args(json_t **args, int *n)
{
    for (int i = 0; i < *n; i++) {
        json_decref(args[i]);
        args[i] = NULL;
    }
    *n = 0;
    return -1;
}

/* Parses "( args )" after a method name; at most max args. On failure
 * nothing is left to free (fuzz_template found them leaking). */
static int parse_args(tp *p, json_t **args, int max, int *n)
{
    *n = 0;
    if (!accept(p, '(')) {
        fail(p, "expected '('");
        return -1;
    }
    if (accept(p, ')')) return 0;
    for (;;) {
        if (*n >= max) {
            fail(p, "too many arguments");
            return drop_args(args, n);
        }
        json_t *a = parse_expr(p);
        if (!a) return drop_args(args, n);
        args[(*n)++] = a;
        if (accept(p, ',')) continue;
        if (accept(p, ')')) return 0;
        fail(p, "expected ',' or ')'");
        return drop_args(args, n);
    }
}

static const char *str_arg(json_t *a) { return json_is_string(a) ? json_string_value(a) : NULL; }

static json_t *call_method(tp *p, json_t *base, const char *m)
{
    json_t *args[2] = { NULL, NULL };
    int n = 0;
    json_t *r = NULL;
    if (parse_args(p, args, 2, &n) < 0) goto out;
    if (json_is_string(base)) {
        if (!strcmp(m, "strip") || !strcmp(m, "lstrip") || !strcmp(m, "rstrip")) {
            if (n > 0 && !json_is_null(args[0]) && !str_arg(args[0])) {
                fail(p, "'%s' needs a string argument", m);
                goto out;
            }
            const char *chars = (n > 0 && str_arg(args[0])) ? str_arg(args[0]) : NULL;
            r = strip(base, chars, m[0] != 'r', m[0] != 'l');
        } else if (!strcmp(m, "split")) {
            long long maxs = -1;
            if (n > 1 && !as_index(args[1], &maxs)) {
                fail(p, "'split' maxsplit is not an integer");
                goto out;
            }
            if (n > 0 && str_arg(args[0]) && str_arg(args[0])[0] == 0) {
                fail(p, "empty separator");
                goto out;
            }
            r = split(base, n > 0 ? str_arg(args[0]) : NULL, maxs);
        } else if (!strcmp(m, "lower") || !strcmp(m, "upper")) {
            r = change_case(base, m[0] == 'u');
        } else if (!strcmp(m, "replace")) {
            if (n != 2 || !str_arg(args[0]) || !str_arg(args[1])) {
                fail(p, "'replace' needs two strings");
                goto out;
            }
            r = replace(base, str_arg(args[0]), str_arg(args[1]));
        } else if (!strcmp(m, "startswith") || !strcmp(m, "endswith")) {
            if (n != 1 || !str_arg(args[0])) {
                fail(p, "'%s' needs one string", m);
                goto out;
            }
            size_t bl = json_string_length(base), al = strlen(str_arg(args[0]));
            int ok = al <= bl &&
                     memcmp(json_string_value(base) + (m[0] == 's' ? 0 : bl - al), str_arg(args[0]),
                            al) == 0;
            r = json_boolean(ok);
        } else if (!strcmp(m, "join")) {
            if (n != 1 || !json_is_array(args[0])) {
                fail(p, "'join' needs a list");
                goto out;
            }
            tt_buf b;
            tt_buf_init(&b);
            tt_buf_puts(&b, "");
            size_t i;
            json_t *it;
            json_array_foreach(args[0], i, it) {
                if (i) tt_buf_append(&b, json_string_value(base), json_string_length(base));
                render_value(&b, it);
            }
            r = json_stringn(tt_buf_str(&b), b.len);
            tt_buf_free(&b);
        } else {
            fail(p, "unknown string method '%s'", m);
        }
    } else if (json_is_array(base) && !strcmp(m, "index")) {
        if (n != 1) {
            fail(p, "'index' needs one argument");
            goto out;
        }
        size_t i;
        json_t *it;
        json_array_foreach(base, i, it) {
            if (json_equal(it, args[0])) {
                r = json_integer((json_int_t)i);
                break;
            }
        }
        if (!r) {
            json_t *t = to_text(args[0]);
            fail(p, "'%s' is not in list", json_string_value(t));
            json_decref(t);
        }
    } else if (json_is_object(base) && (!strcmp(m, "keys") || !strcmp(m, "values"))) {
        r = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(base, k, v) {
            json_array_append_new(r, m[0] == 'k' ? json_string(k) : json_incref(v));
        }
    } else {
        fail(p, "unknown method '%s' for this value", m);
    }
out:
    for (int i = 0; i < n; i++) json_decref(args[i]);
    return r;
}

/* ---- primaries ---------------------------------------------------------- */

static json_t *parse_string(tp *p)
{
    char q = p->src[p->pos++];
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    while (p->pos < p->end && p->src[p->pos] != q) {
        char c = p->src[p->pos++];
        if (c == '\\' && p->pos < p->end) {
            char e = p->src[p->pos++];
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case '0': c = '\0'; break;
            default: c = e;
            }
            if (c == '\0') {
                tt_buf_free(&b);
                return fail(p, "NUL in string literal");
            }
        }
        tt_buf_append(&b, &c, 1);
    }
    if (p->pos >= p->end) {
        tt_buf_free(&b);
        return fail(p, "unterminated string");
    }
    p->pos++;
    json_t *s = json_stringn(tt_buf_str(&b), b.len);
    tt_buf_free(&b);
    if (!s) return fail(p, "string literal is not valid UTF-8");
    return s;
}

static json_t *parse_primary(tp *p)
{
    int c = peek(p);
    if (c == '\'' || c == '"') return parse_string(p);
    if (isdigit(c) || (c == '-' && p->pos + 1 < p->end && isdigit((unsigned char)p->src[p->pos + 1]))) {
        char *e;
        long long v = strtoll(p->src + p->pos, &e, 10);
        p->pos = (size_t)(e - p->src);
        return json_integer(v);
    }
    if (c == '(') {
        p->pos++;
        json_t *v = parse_expr(p);
        if (!v) return NULL;
        if (!accept(p, ')')) {
            json_decref(v);
            return fail(p, "expected ')'");
        }
        return v;
    }
    if (c == '[') {
        p->pos++;
        json_t *arr = json_array();
        if (accept(p, ']')) return arr;
        for (;;) {
            json_t *v = parse_expr(p);
            if (!v) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, v);
            if (accept(p, ',')) continue;
            if (accept(p, ']')) return arr;
            json_decref(arr);
            return fail(p, "expected ',' or ']'");
        }
    }
    if (is_ident_start(c)) {
        char id[128];
        size_t start = p->pos;
        read_ident(p, id, sizeof id);
        if (!strcmp(id, "True")) return json_true();
        if (!strcmp(id, "False")) return json_false();
        if (!strcmp(id, "None")) return json_null();
        if ((!strcmp(id, "letter") || !strcmp(id, "len")) && peek(p) == '(') {
            json_t *args[1] = { NULL };
            int n = 0;
            if (parse_args(p, args, 1, &n) < 0) return NULL;
            if (n != 1) return fail(p, "'%s' needs one argument", id);
            json_t *r = NULL;
            long long i;
            if (id[1] == 'e' && id[2] == 't') {
                if (!as_index(args[0], &i) || i < 0 || i >= 26)
                    fail(p, "letter() needs an integer 0-25");
                else {
                    char s[2] = { (char)('A' + i), 0 };
                    r = json_string(s);
                }
            } else if (json_is_array(args[0])) {
                r = json_integer((json_int_t)json_array_size(args[0]));
            } else if (json_is_object(args[0])) {
                r = json_integer((json_int_t)json_object_size(args[0]));
            } else if (json_is_string(args[0])) {
                r = json_integer((json_int_t)tt_utf8_codepoints(json_string_value(args[0]),
                                                                json_string_length(args[0])));
            } else {
                fail(p, "len() of a value without length");
            }
            json_decref(args[0]);
            return r;
        }
        json_t *v = json_is_object(p->doc) ? json_object_get(p->doc, id) : NULL;
        if (!v) {
            p->pos = start;
            return fail(p, "no field '%s' in the record", id);
        }
        return json_incref(v);
    }
    if (c == 0) return fail(p, "expression expected");
    return fail(p, "unexpected character '%c'", c);
}

static json_t *apply_filter(tp *p, json_t *v, const char *f)
{
    if (!strcmp(f, "trim")) {
        if (!json_is_string(v)) return fail(p, "'trim' needs a string");
        return strip(v, NULL, 1, 1);
    }
    if (!strcmp(f, "lower") || !strcmp(f, "upper")) {
        if (!json_is_string(v)) return fail(p, "'%s' needs a string", f);
        return change_case(v, f[0] == 'u');
    }
    if (!strcmp(f, "string")) return to_text(v);
    if (!strcmp(f, "length")) {
        if (json_is_array(v)) return json_integer((json_int_t)json_array_size(v));
        if (json_is_string(v))
            return json_integer(
                (json_int_t)tt_utf8_codepoints(json_string_value(v), json_string_length(v)));
        return fail(p, "'length' of a value without length");
    }
    if (!strcmp(f, "int")) {
        long long i;
        if (!as_index(v, &i)) return json_integer(0); /* Jinja's int filter default */
        return json_integer(i);
    }
    return fail(p, "unknown filter '%s'", f);
}

static json_t *parse_term(tp *p)
{
    json_t *v = parse_primary(p);
    while (v) {
        int c = peek(p);
        if (c == '.') {
            p->pos++;
            char id[64];
            if (!is_ident_start(peek(p)) || read_ident(p, id, sizeof id) >= sizeof id) {
                json_decref(v);
                return fail(p, "name expected after '.'");
            }
            json_t *nv;
            if (peek(p) == '(') {
                nv = call_method(p, v, id);
            } else if (json_is_object(v)) {
                json_t *f = json_object_get(v, id);
                nv = f ? json_incref(f) : fail(p, "no field '%s'", id);
            } else {
                nv = fail(p, "'.%s' on a value that is not an object", id);
            }
            json_decref(v);
            v = nv;
        } else if (c == '[') {
            p->pos++;
            json_t *idx = parse_expr(p);
            if (!idx) {
                json_decref(v);
                return NULL;
            }
            if (!accept(p, ']')) {
                json_decref(idx);
                json_decref(v);
                return fail(p, "expected ']'");
            }
            json_t *nv = index_value(p, v, idx);
            json_decref(idx);
            json_decref(v);
            v = nv;
        } else {
            break;
        }
    }
    while (v && peek(p) == '|') {
        p->pos++;
        char id[64];
        if (!is_ident_start(peek(p)) || read_ident(p, id, sizeof id) >= sizeof id) {
            json_decref(v);
            return fail(p, "filter name expected after '|'");
        }
        json_t *nv = apply_filter(p, v, id);
        json_decref(v);
        v = nv;
    }
    return v;
}

static json_t *join2(tp *p, json_t *a, json_t *b, int text)
{
    if (!text && json_is_integer(a) && json_is_integer(b))
        return json_integer(json_integer_value(a) + json_integer_value(b));
    if (!text && json_is_number(a) && json_is_number(b))
        return json_real(json_number_value(a) + json_number_value(b));
    if (!text && json_is_array(a) && json_is_array(b)) {
        json_t *r = json_copy(a);
        json_array_extend(r, b);
        return r;
    }
    if (!text && !(json_is_string(a) && json_is_string(b)))
        return fail(p, "'+' needs two strings, two numbers or two lists (use '~' to join text)");
    json_t *ta = to_text(a), *tb = to_text(b);
    tt_buf buf;
    tt_buf_init(&buf);
    tt_buf_append(&buf, json_string_value(ta), json_string_length(ta));
    tt_buf_append(&buf, json_string_value(tb), json_string_length(tb));
    json_t *r = json_stringn(tt_buf_str(&buf), buf.len);
    tt_buf_free(&buf);
    json_decref(ta);
    json_decref(tb);
    return r;
}

static json_t *parse_expr(tp *p)
{
    if (++p->depth > TEMPLATE_MAX_DEPTH) {
        p->depth--;
        return fail(p, "expression nested too deeply");
    }
    json_t *v = parse_expr_inner(p);
    p->depth--;
    return v;
}

static json_t *parse_expr_inner(tp *p)
{
    json_t *v = parse_term(p);
    while (v) {
        int c = peek(p);
        if (c != '+' && c != '~') break;
        p->pos++;
        json_t *rhs = parse_term(p);
        if (!rhs) {
            json_decref(v);
            return NULL;
        }
        json_t *nv = join2(p, v, rhs, c == '~');
        json_decref(v);
        json_decref(rhs);
        v = nv;
    }
    return v;
}

/* Evaluates the expression between offsets start and end. */
static json_t *eval_span(tp *p, size_t start, size_t end)
{
    p->pos = start;
    p->end = end;
    json_t *v = parse_expr(p);
    if (v && peek(p) != 0) {
        json_decref(v);
        return fail(p, "unexpected text after expression");
    }
    return v;
}

/* Finds the closing "}}" of an expression opened at open (offset of "{{"),
 * skipping string literals. Returns its offset or (size_t)-1. */
static size_t find_close(const char *s, size_t open, const char *close)
{
    size_t i = open + 2;
    char q = 0;
    for (; s[i]; i++) {
        if (q) {
            if (s[i] == '\\' && s[i + 1]) i++;
            else if (s[i] == q) q = 0;
        } else if (s[i] == '\'' || s[i] == '"') {
            q = s[i];
        } else if (s[i] == close[0] && s[i + 1] == close[1]) {
            return i;
        }
    }
    return (size_t)-1;
}

int template_has_syntax(const char *tmpl)
{
    return tmpl && (strstr(tmpl, "{{") || strstr(tmpl, "{#") || strstr(tmpl, "{%"));
}

int template_render(const char *name, const char *tmpl, const json_t *doc, char **out, char *err)
{
    *out = NULL;
    tp p = { .name = name ? name : "?", .src = tmpl, .doc = doc, .err = err };
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    size_t i = 0;
    while (tmpl[i]) {
        if (tmpl[i] == '{' && (tmpl[i + 1] == '{' || tmpl[i + 1] == '#' || tmpl[i + 1] == '%')) {
            p.pos = i;
            if (tmpl[i + 1] == '%') {
                fail(&p, "'{%%' blocks are not supported");
                break;
            }
            const char *close = tmpl[i + 1] == '{' ? "}}" : "#}";
            size_t c = find_close(tmpl, i, close);
            if (c == (size_t)-1) {
                fail(&p, "'%.2s' without '%s'", tmpl + i, close);
                break;
            }
            if (tmpl[i + 1] == '{') {
                json_t *v = eval_span(&p, i + 2, c);
                if (!v) break;
                render_value(&b, v);
                json_decref(v);
            }
            i = c + 2;
        } else {
            tt_buf_append(&b, tmpl + i, 1);
            i++;
        }
    }
    if (p.failed) {
        tt_buf_free(&b);
        return TT_ERR_PARSE;
    }
    *out = tt_buf_detach(&b);
    return TT_OK;
}

int template_eval(const char *name, const char *tmpl, const json_t *doc, json_t **out, char *err)
{
    *out = NULL;
    size_t a = 0, n = strlen(tmpl);
    while (a < n && isspace((unsigned char)tmpl[a])) a++;
    size_t z = n;
    while (z > a && isspace((unsigned char)tmpl[z - 1])) z--;
    if (z - a >= 4 && tmpl[a] == '{' && tmpl[a + 1] == '{') {
        size_t c = find_close(tmpl, a, "}}");
        if (c != (size_t)-1 && c + 2 == z) {
            tp p = { .name = name ? name : "?", .src = tmpl, .doc = doc, .err = err };
            json_t *v = eval_span(&p, a + 2, c);
            if (!v) return TT_ERR_PARSE;
            *out = v;
            return TT_OK;
        }
    }
    char *s;
    int rc = template_render(name, tmpl, doc, &s, err);
    if (rc) return rc;
    *out = json_string(s);
    free(s);
    if (!*out) return tt_fail(err, TT_ERR_PARSE, "template '%s': result is not valid UTF-8", name);
    return TT_OK;
}
