/*
 * template.c — the Jinja subset described in template.h. A direct
 * recursive-descent interpreter: each {{ expr }} is parsed and evaluated in
 * one pass to a jansson value (new references throughout), then rendered to
 * text; {% %} blocks are run by walking the template text (a branch or a
 * loop body not taken is walked without evaluating anything, p->skip).
 * Called by harness/task.c for every prompt field of every document.
 */
#include "harness/template.h"

#include <ctype.h>
#include <math.h>
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
    size_t end;         /* end of the current expression */
    const json_t *doc;
    json_t *locals;     /* {% set %} and loop variables (an object; NULL until one is set) */
    char *err;
    int failed;
    int depth;          /* nesting of ( [ and calls, bounded against hostile input */
    int skip;           /* > 0: parse without evaluating (a branch not taken) */
    int lstrip_next;    /* the last tag ended with '-': strip the next text's leading white space */
} tp;

#define TEMPLATE_MAX_DEPTH 64
#define TEMPLATE_MAX_LOOP 100000

static json_t *parse_expr(tp *p);
static json_t *parse_or(tp *p);

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

/* Two-character operator at the current position. */
static int accept2(tp *p, const char *op)
{
    skip_ws(p);
    if (p->pos + 1 < p->end && p->src[p->pos] == op[0] && p->src[p->pos + 1] == op[1]) {
        p->pos += 2;
        return 1;
    }
    return 0;
}

static int is_ident_start(int c) { return isalpha(c) || c == '_'; }
static int is_ident(int c) { return isalnum(c) || c == '_'; }

/* Is the keyword w next (a whole word)? */
static int peek_word(tp *p, const char *w)
{
    skip_ws(p);
    size_t n = strlen(w);
    return p->pos + n <= p->end && !strncmp(p->src + p->pos, w, n) &&
           (p->pos + n == p->end || !is_ident((unsigned char)p->src[p->pos + n]));
}

static int accept_word(tp *p, const char *w)
{
    if (!peek_word(p, w)) return 0;
    p->pos += strlen(w);
    return 1;
}

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

/* ---- undefined --------------------------------------------------------------- */

/* A missing name or key is Jinja's StrictUndefined: only `is defined`,
 * `is undefined` and the default filter may look at it; anything else is
 * the error "no field 'x' in the record" at the name's offset. Inside one
 * term it is this marker object. */
#define UNDEF_KEY "\x01undefined"

static json_t *undef_new(const char *what, size_t pos)
{
    return json_pack("{s:s, s:I}", UNDEF_KEY, what, "pos", (json_int_t)pos);
}

static int is_undef(const json_t *v) { return json_is_object(v) && json_object_get(v, UNDEF_KEY) != NULL; }

static json_t *undef_fail(tp *p, json_t *v)
{
    char what[200];
    snprintf(what, sizeof what, "%s", json_string_value(json_object_get(v, UNDEF_KEY)));
    p->pos = (size_t)json_integer_value(json_object_get(v, "pos"));
    json_decref(v);
    return fail(p, "%s", what);
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

/* Python truthiness. */
static int truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0;
    case JSON_TRUE: return 1;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_OBJECT: return json_object_size(v) > 0;
    default: return 0;
    }
}

/* A number's value (booleans are 0/1, as in Python). */
static int number_of(const json_t *v, double *d)
{
    if (json_is_number(v)) *d = json_number_value(v);
    else if (json_is_boolean(v)) *d = json_is_true(v);
    else return 0;
    return 1;
}

/* Python ==: numbers by value (1 == 1.0 == True), else deep equality. */
static int py_equal(const json_t *a, const json_t *b)
{
    double x, y;
    if (number_of(a, &x) && number_of(b, &y)) return x == y;
    return json_equal((json_t *)a, (json_t *)b);
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

static json_t *index_value(tp *p, json_t *base, json_t *idx, size_t at)
{
    long long i;
    if (json_is_object(base)) {
        json_t *key = json_is_string(idx) ? json_incref(idx) : to_text(idx);
        json_t *v = json_object_get(base, json_string_value(key));
        if (!v) {
            char what[160];
            snprintf(what, sizeof what, "no key '%s'", json_string_value(key));
            json_decref(key);
            return undef_new(what, at);
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

/* Python's slice [a:b:step] of a list or a string (code points); has_a /
 * has_b say whether the bounds were written. */
static json_t *slice_value(tp *p, json_t *base, int has_a, long long a, int has_b, long long b, long long step)
{
    if (step == 0) return fail(p, "slice step cannot be zero");
    long long n;
    if (json_is_array(base)) n = (long long)json_array_size(base);
    else if (json_is_string(base)) n = (long long)tt_utf8_codepoints(json_string_value(base), json_string_length(base));
    else return fail(p, "value cannot be sliced");
    /* CPython's PySlice_AdjustIndices */
    if (!has_a) a = step < 0 ? n - 1 : 0;
    else if (a < 0) a = a + n < 0 ? (step < 0 ? -1 : 0) : a + n;
    else if (a >= n) a = step < 0 ? n - 1 : n;
    if (!has_b) b = step < 0 ? -1 : n;
    else if (b < 0) b = b + n < 0 ? (step < 0 ? -1 : 0) : b + n;
    else if (b >= n) b = step < 0 ? n - 1 : n;
    json_t *arr = json_is_array(base) ? json_array() : NULL;
    tt_buf sb;
    tt_buf_init(&sb);
    tt_buf_puts(&sb, "");
    const char *s = json_string_value(base);
    size_t len = s ? json_string_length(base) : 0;
    for (long long i = a; step > 0 ? i < b : i > b; i += step) {
        if (arr) json_array_append(arr, json_array_get(base, (size_t)i));
        else {
            size_t o = tt_utf8_offset(s, len, (size_t)i);
            tt_buf_append(&sb, s + o, tt_utf8_offset(s, len, (size_t)i + 1) - o);
        }
    }
    if (arr) {
        tt_buf_free(&sb);
        return arr;
    }
    json_t *r = json_stringn(tt_buf_str(&sb), sb.len);
    tt_buf_free(&sb);
    return r;
}

/* ---- string methods ----------------------------------------------------- */

static int in_set(char c, const char *chars) { return c != 0 && strchr(chars, c) != NULL; }

/* str.strip([chars]): Python's white space without chars. */
static json_t *strip(const json_t *s, const char *chars, int left, int right)
{
    const char *a = json_string_value(s);
    size_t n = json_string_length(s);
    size_t i = 0;
    if (!chars) {
        while (left && i < n) {
            size_t l = pytext_space_len(a + i, n - i);
            if (!l) break;
            i += l;
        }
        while (right && n > i) {
            size_t st = tt_utf8_char_start(a, i, n - 1);
            if (pytext_space_len(a + st, n - st) != n - st) break;
            n = st;
        }
        return json_stringn(a + i, n - i);
    }
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
    /* Python's white-space split: runs of white space, no empty strings */
    size_t i = 0;
    long long done = 0;
    while (i < n) {
        size_t l;
        while (i < n && (l = pytext_space_len(a + i, n - i)) > 0) i += l;
        if (i >= n) break;
        if (maxsplit >= 0 && done >= maxsplit) {
            pytext_span st = pytext_strip(a + i, n - i);
            json_array_append_new(out, json_stringn(st.p, st.len));
            break;
        }
        size_t start = i;
        while (i < n && pytext_space_len(a + i, n - i) == 0) i += tt_utf8_char_len(a + i, n - i);
        json_array_append_new(out, json_stringn(a + start, i - start));
        done++;
    }
    return out;
}

static json_t *replace(const json_t *s, const char *from, const char *to, long long count)
{
    const char *a = json_string_value(s);
    size_t n = json_string_length(s), fl = strlen(from);
    if (fl == 0) return json_incref((json_t *)s);
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    long long done = 0;
    for (size_t i = 0; i < n;) {
        if ((count < 0 || done < count) && i + fl <= n && memcmp(a + i, from, fl) == 0) {
            tt_buf_puts(&b, to);
            i += fl;
            done++;
        } else {
            tt_buf_append(&b, a + i, 1);
            i++;
        }
    }
    json_t *r = json_stringn(tt_buf_str(&b), b.len);
    tt_buf_free(&b);
    return r;
}

/* str.lower() / str.upper() / str.capitalize() / str.title(), as Python. */
static json_t *change_case(const json_t *v, int how)
{
    json_t *t = to_text(v);
    const char *s = json_string_value(t);
    size_t n = json_string_length(t);
    char *r;
    if (how == 0) r = pytext_lower(s, n);
    else if (how == 1) r = pytext_upper(s, n);
    else {
        /* capitalize (2): first character upper, rest lower; title (3):
         * each run of letters starts upper, goes on lower */
        tt_buf b;
        tt_buf_init(&b);
        tt_buf_puts(&b, "");
        int prev_cased = 0;
        for (size_t i = 0; i < n;) {
            size_t l = tt_utf8_char_len(s + i, n - i);
            size_t cl;
            uint32_t cp = tt_utf8_decode(s + i, n - i, &cl);
            int letter = cp < 0x80 ? isalpha((int)cp) != 0 : cp >= 0xC0;
            int upper = how == 2 ? i == 0 : (letter && !prev_cased);
            char *c = upper ? pytext_upper(s + i, l) : pytext_lower(s + i, l);
            tt_buf_puts(&b, c);
            free(c);
            prev_cased = letter;
            i += l;
        }
        r = tt_buf_detach(&b);
    }
    json_t *o = json_string(r);
    free(r);
    json_decref(t);
    return o ? o : json_string("");
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
    json_t *args[3] = {NULL, NULL, NULL};
    int n = 0;
    json_t *r = NULL;
    if (parse_args(p, args, 3, &n) < 0) goto out;
    if (p->skip) {
        r = json_null();
        goto out;
    }
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
        } else if (!strcmp(m, "lower") || !strcmp(m, "upper") || !strcmp(m, "capitalize") || !strcmp(m, "title")) {
            r = change_case(base, m[0] == 'l' ? 0 : m[0] == 'u' ? 1 : m[0] == 'c' ? 2 : 3);
        } else if (!strcmp(m, "replace")) {
            long long count = -1;
            if (n < 2 || !str_arg(args[0]) || !str_arg(args[1]) || (n == 3 && !as_index(args[2], &count))) {
                fail(p, "'replace' needs two strings");
                goto out;
            }
            r = replace(base, str_arg(args[0]), str_arg(args[1]), count);
        } else if (!strcmp(m, "startswith") || !strcmp(m, "endswith")) {
            if (n != 1 || !str_arg(args[0])) {
                fail(p, "'%s' needs one string", m);
                goto out;
            }
            size_t bl = json_string_length(base), al = strlen(str_arg(args[0]));
            int ok = al <= bl &&
                     memcmp(json_string_value(base) + (m[0] == 's' ? 0 : bl - al), str_arg(args[0]), al) == 0;
            r = json_boolean(ok);
        } else if (!strcmp(m, "index")) {
            const char *hay = json_string_value(base), *needle = n == 1 ? str_arg(args[0]) : NULL;
            const char *h = needle ? strstr(hay, needle) : NULL;
            if (!needle) fail(p, "'index' needs one string");
            else if (!h) fail(p, "substring '%s' not found", needle);
            else r = json_integer((json_int_t)tt_utf8_codepoints(hay, (size_t)(h - hay)));
        } else if (!strcmp(m, "count") || !strcmp(m, "find")) {
            if (n != 1 || !str_arg(args[0])) {
                fail(p, "'%s' needs one string", m);
                goto out;
            }
            const char *hay = json_string_value(base), *needle = str_arg(args[0]);
            if (m[0] == 'f') {
                const char *h = strstr(hay, needle);
                r = json_integer(h ? (json_int_t)tt_utf8_codepoints(hay, (size_t)(h - hay)) : -1);
            } else {
                size_t nl = strlen(needle), c = 0;
                if (!nl) c = tt_utf8_codepoints(hay, strlen(hay)) + 1;
                else
                    for (const char *h = strstr(hay, needle); h; h = strstr(h + nl, needle)) c++;
                r = json_integer((json_int_t)c);
            }
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
            if (py_equal(it, args[0])) {
                r = json_integer((json_int_t)i);
                break;
            }
        }
        if (!r) {
            json_t *t = to_text(args[0]);
            fail(p, "'%s' is not in list", json_string_value(t));
            json_decref(t);
        }
    } else if (json_is_object(base) && (!strcmp(m, "keys") || !strcmp(m, "values") || !strcmp(m, "items"))) {
        r = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(base, k, v) {
            json_array_append_new(r, m[0] == 'k'   ? json_string(k)
                                     : m[0] == 'v' ? json_incref(v)
                                                   : json_pack("[s, O]", k, v));
        }
    } else if (json_is_object(base) && !strcmp(m, "get")) {
        if (n < 1 || !str_arg(args[0])) {
            fail(p, "'get' needs a key");
            goto out;
        }
        json_t *v = json_object_get(base, str_arg(args[0]));
        r = v ? json_incref(v) : n > 1 ? json_incref(args[1]) : json_null();
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
            /* Python's string literal escapes; an unknown one keeps its backslash */
            char e = p->src[p->pos++];
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'a': c = '\a'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'v': c = '\v'; break;
            case '0': c = '\0'; break;
            case '\\': case '\'': case '"': c = e; break;
            case 'x': case 'u': {
                int nd = e == 'x' ? 2 : 4;
                uint32_t cp = 0;
                for (int k = 0; k < nd; k++) {
                    char h = p->pos < p->end ? p->src[p->pos] : 0;
                    if (!isxdigit((unsigned char)h)) {
                        tt_buf_free(&b);
                        return fail(p, "bad \\%c escape in a string literal", e);
                    }
                    cp = cp * 16 + (uint32_t)(isdigit((unsigned char)h) ? h - '0' : tolower((unsigned char)h) - 'a' + 10);
                    p->pos++;
                }
                if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    tt_buf_free(&b);
                    return fail(p, "NUL or surrogate in string literal");
                }
                char enc[4];
                tt_buf_append(&b, enc, tt_utf8_encode(cp, enc));
                continue;
            }
            default:
                tt_buf_append(&b, "\\", 1);
                c = e;
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

static json_t *parse_number(tp *p)
{
    const char *s = p->src + p->pos;
    size_t i = 0, n = p->end - p->pos;
    if (s[0] == '-') i++;
    while (i < n && isdigit((unsigned char)s[i])) i++;
    int real = i + 1 < n && s[i] == '.' && isdigit((unsigned char)s[i + 1]);
    if (real) {
        i++;
        while (i < n && isdigit((unsigned char)s[i])) i++;
    }
    char *text = tt_strndup(s, i);
    p->pos += i;
    json_t *v = real ? json_real(strtod(text, NULL)) : json_integer(strtoll(text, NULL, 10));
    free(text);
    return v;
}

static const char *const reserved[] = {"and", "or", "not", "in", "is", "if", "else", NULL};

static json_t *lookup(tp *p, const char *id, size_t at)
{
    json_t *v = p->locals ? json_object_get(p->locals, id) : NULL;
    if (!v && json_is_object(p->doc)) v = json_object_get(p->doc, id);
    if (v) return json_incref(v);
    if (p->skip) return json_null();
    char what[160];
    snprintf(what, sizeof what, "no field '%s' in the record", id);
    return undef_new(what, at);
}

static json_t *parse_primary(tp *p)
{
    int c = peek(p);
    if (c == '\'' || c == '"') return parse_string(p);
    if (isdigit(c) || (c == '-' && p->pos + 1 < p->end && isdigit((unsigned char)p->src[p->pos + 1]))) return parse_number(p);
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
        for (int i = 0; reserved[i]; i++)
            if (!strcmp(id, reserved[i])) {
                p->pos = start;
                return fail(p, "expression expected");
            }
        if (!strcmp(id, "True") || !strcmp(id, "true")) return json_true();
        if (!strcmp(id, "False") || !strcmp(id, "false")) return json_false();
        if (!strcmp(id, "None") || !strcmp(id, "none")) return json_null();
        if ((!strcmp(id, "letter") || !strcmp(id, "len")) && peek(p) == '(') {
            json_t *args[1] = {NULL};
            int n = 0;
            if (parse_args(p, args, 1, &n) < 0) return NULL;
            if (n != 1) return fail(p, "'%s' needs one argument", id);
            json_t *r = NULL;
            long long i;
            if (p->skip) r = json_null();
            else if (id[1] == 'e' && id[2] == 't') {
                if (!as_index(args[0], &i) || i < 0 || i >= 26)
                    fail(p, "letter() needs an integer 0-25");
                else {
                    char s[2] = {(char)('A' + i), 0};
                    r = json_string(s);
                }
            } else if (json_is_array(args[0])) {
                r = json_integer((json_int_t)json_array_size(args[0]));
            } else if (json_is_object(args[0])) {
                r = json_integer((json_int_t)json_object_size(args[0]));
            } else if (json_is_string(args[0])) {
                r = json_integer((json_int_t)tt_utf8_codepoints(json_string_value(args[0]), json_string_length(args[0])));
            } else {
                fail(p, "len() of a value without length");
            }
            json_decref(args[0]);
            return r;
        }
        return lookup(p, id, start);
    }
    if (c == 0) return fail(p, "expression expected");
    return fail(p, "unexpected character '%c'", c);
}

/* ---- filters and tests ------------------------------------------------------------ */

static json_t *apply_filter(tp *p, json_t *v, const char *f, json_t **args, int n)
{
    if (p->skip) return json_null();
    if (!strcmp(f, "default") || !strcmp(f, "d")) {
        int use = is_undef(v) || (n > 1 && truthy(args[1]) && !truthy(v));
        return use ? (n > 0 ? json_incref(args[0]) : json_string("")) : json_incref(v);
    }
    if (is_undef(v)) return json_incref(v);   /* reported at the end of the term */
    if (!strcmp(f, "trim")) {
        json_t *t = to_text(v), *r = strip(t, n > 0 ? str_arg(args[0]) : NULL, 1, 1);
        json_decref(t);
        return r;
    }
    if (!strcmp(f, "lower")) return change_case(v, 0);
    if (!strcmp(f, "upper")) return change_case(v, 1);
    if (!strcmp(f, "capitalize")) return change_case(v, 2);
    if (!strcmp(f, "title")) return change_case(v, 3);
    if (!strcmp(f, "string")) return to_text(v);
    if (!strcmp(f, "length") || !strcmp(f, "count")) {
        if (json_is_array(v)) return json_integer((json_int_t)json_array_size(v));
        if (json_is_object(v)) return json_integer((json_int_t)json_object_size(v));
        if (json_is_string(v)) return json_integer((json_int_t)tt_utf8_codepoints(json_string_value(v), json_string_length(v)));
        return fail(p, "'%s' of a value without length", f);
    }
    if (!strcmp(f, "int")) {
        long long i;
        double d;
        if (json_is_real(v)) return json_integer((json_int_t)json_real_value(v));
        if (as_index(v, &i)) return json_integer(i);
        if (json_is_string(v) && sscanf(json_string_value(v), "%lf", &d) == 1) return json_integer((json_int_t)d);
        return json_integer(n > 0 && json_is_integer(args[0]) ? json_integer_value(args[0]) : 0); /* Jinja's default */
    }
    if (!strcmp(f, "float")) {
        double d;
        if (number_of(v, &d)) return json_real(d);
        char *e;
        if (json_is_string(v) && (d = strtod(json_string_value(v), &e), e != json_string_value(v))) return json_real(d);
        return json_real(0.0);
    }
    if (!strcmp(f, "abs")) {
        if (json_is_integer(v)) return json_integer(llabs(json_integer_value(v)));
        double d;
        if (number_of(v, &d)) return json_real(fabs(d));
        return fail(p, "'abs' needs a number");
    }
    if (!strcmp(f, "join")) {
        const char *sep = n > 0 ? str_arg(args[0]) : "";
        if (!sep || !json_is_array(v)) return fail(p, "'join' needs a list and a string");
        tt_buf b;
        tt_buf_init(&b);
        tt_buf_puts(&b, "");
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) {
            if (i) tt_buf_puts(&b, sep);
            render_value(&b, it);
        }
        json_t *r = json_stringn(tt_buf_str(&b), b.len);
        tt_buf_free(&b);
        return r;
    }
    if (!strcmp(f, "replace")) {
        long long count = -1;
        if (n < 2 || !str_arg(args[0]) || !str_arg(args[1]) || (n > 2 && !as_index(args[2], &count)))
            return fail(p, "'replace' needs two strings");
        json_t *t = to_text(v), *r = replace(t, str_arg(args[0]), str_arg(args[1]), count);
        json_decref(t);
        return r;
    }
    if (!strcmp(f, "regex_replace")) {
        /* lm-eval's filter: re.sub(pattern, repl, string, count=count) */
        long long count = 0;
        if (n < 2 || !str_arg(args[0]) || !str_arg(args[1]) || (n > 2 && !as_index(args[2], &count)))
            return fail(p, "'regex_replace' needs a pattern and a replacement");
        pytext_regex rx;
        char rerr[TT_ERR_SIZE];
        if (pytext_regex_compile(&rx, str_arg(args[0]), rerr)) return fail(p, "%s", rerr);
        json_t *t = to_text(v);
        char *out = pytext_regex_sub(&rx, json_string_value(t), str_arg(args[1]), (int)count, rerr);
        pytext_regex_free(&rx);
        json_decref(t);
        if (!out) return fail(p, "%s", rerr);
        json_t *r = json_string(out);
        free(out);
        return r;
    }
    if (!strcmp(f, "first") || !strcmp(f, "last")) {
        size_t len = json_is_array(v) ? json_array_size(v) : 0;
        if (json_is_string(v)) {
            json_t *idx = json_integer(f[0] == 'f' ? 0 : -1), *r = index_value(p, v, idx, p->pos);
            json_decref(idx);
            return r;
        }
        if (!len) return fail(p, "'%s' of an empty or non-list value", f);
        return json_incref(json_array_get(v, f[0] == 'f' ? 0 : len - 1));
    }
    if (!strcmp(f, "list")) {
        if (json_is_array(v)) return json_incref(v);
        if (json_is_object(v)) {
            json_t *r = json_array();
            const char *k;
            json_t *x;
            json_object_foreach(v, k, x) json_array_append_new(r, json_string(k));
            return r;
        }
        if (json_is_string(v)) {
            json_t *r = json_array();
            const char *s = json_string_value(v);
            size_t n = json_string_length(v);
            for (size_t i = 0; i < n;) {
                size_t l = tt_utf8_char_len(s + i, n - i);
                json_array_append_new(r, json_stringn(s + i, l));
                i += l;
            }
            return r;
        }
        return fail(p, "'list' of a value that is not a sequence");
    }
    if (!strcmp(f, "reverse")) return slice_value(p, v, 0, 0, 0, 0, -1);
    return fail(p, "unknown filter '%s'", f);
}

static json_t *apply_test(tp *p, json_t *v, const char *t)
{
    if (p->skip) return json_false();
    if (!strcmp(t, "defined")) return json_boolean(!is_undef(v));
    if (!strcmp(t, "undefined")) return json_boolean(is_undef(v));
    if (is_undef(v)) return NULL;
    if (!strcmp(t, "none")) return json_boolean(json_is_null(v));
    if (!strcmp(t, "string")) return json_boolean(json_is_string(v));
    if (!strcmp(t, "number")) return json_boolean(json_is_number(v));
    if (!strcmp(t, "integer")) return json_boolean(json_is_integer(v));
    if (!strcmp(t, "sequence")) return json_boolean(json_is_array(v) || json_is_string(v) || json_is_object(v));
    if (!strcmp(t, "mapping")) return json_boolean(json_is_object(v));
    if (!strcmp(t, "true")) return json_boolean(json_is_true(v));
    if (!strcmp(t, "false")) return json_boolean(json_is_false(v));
    if (!strcmp(t, "odd") || !strcmp(t, "even")) {
        if (!json_is_integer(v)) return fail(p, "'%s' needs an integer", t);
        return json_boolean((json_integer_value(v) % 2 != 0) == (t[0] == 'o'));
    }
    return fail(p, "unknown test '%s' (defined, undefined, none, string, number, integer, sequence, mapping, true, "
                   "false, odd, even)", t);
}

/* primary, then .field / [index] / [a:b] / .method(), then |filter and `is test` */
static json_t *parse_term(tp *p)
{
    json_t *v = parse_primary(p);
    while (v) {
        int c = peek(p);
        if (c == '.') {
            p->pos++;
            char id[64];
            size_t at = p->pos;
            if (!is_ident_start(peek(p)) || read_ident(p, id, sizeof id) >= sizeof id) {
                json_decref(v);
                return fail(p, "name expected after '.'");
            }
            json_t *nv;
            if (is_undef(v)) nv = json_incref(v);
            else if (peek(p) == '(') nv = call_method(p, v, id);
            else if (p->skip) nv = json_null();
            else if (json_is_object(v)) {
                json_t *f = json_object_get(v, id);
                char what[160];
                snprintf(what, sizeof what, "no field '%s'", id);
                nv = f ? json_incref(f) : undef_new(what, at);
            } else {
                nv = fail(p, "'.%s' on a value that is not an object", id);
            }
            json_decref(v);
            v = nv;
        } else if (c == '[') {
            size_t at = p->pos;
            p->pos++;
            /* an index, or a slice a:b[:c] with any part left out */
            json_t *parts[3] = {NULL, NULL, NULL};
            int colons = 0, bad = 0;
            for (;;) {
                int k = peek(p);
                if (k == ':' && colons < 2) {
                    p->pos++;
                    colons++;
                    continue;
                }
                if (k == ']') break;
                if (parts[colons]) {
                    bad = 1;
                    break;
                }
                parts[colons] = parse_expr(p);
                if (!parts[colons]) {
                    bad = 1;
                    break;
                }
            }
            json_t *nv = NULL;
            if (!bad && !accept(p, ']')) bad = 1;
            if (bad) {
                if (!p->failed) fail(p, "expected ']'");
            } else if (p->skip || is_undef(v)) {
                nv = is_undef(v) ? json_incref(v) : json_null();
            } else if (colons == 0) {
                if (!parts[0]) fail(p, "expression expected");
                else nv = index_value(p, v, parts[0], at);
            } else {
                long long a = 0, b = 0, st = 1;
                int ok = (!parts[0] || as_index(parts[0], &a)) && (!parts[1] || as_index(parts[1], &b)) &&
                         (!parts[2] || as_index(parts[2], &st));
                if (!ok) fail(p, "slice bounds must be integers");
                else nv = slice_value(p, v, parts[0] != NULL, a, parts[1] != NULL, b, st);
            }
            for (int k = 0; k < 3; k++) json_decref(parts[k]);
            json_decref(v);
            v = nv;
        } else {
            break;
        }
    }
    for (;;) {
        if (!v) return NULL;
        if (peek(p) == '|') {
            p->pos++;
            char id[64];
            if (!is_ident_start(peek(p)) || read_ident(p, id, sizeof id) >= sizeof id) {
                json_decref(v);
                return fail(p, "filter name expected after '|'");
            }
            json_t *args[3] = {NULL, NULL, NULL};
            int n = 0;
            if (peek(p) == '(' && parse_args(p, args, 3, &n) < 0) {
                json_decref(v);
                return NULL;
            }
            json_t *nv = apply_filter(p, v, id, args, n);
            for (int k = 0; k < n; k++) json_decref(args[k]);
            json_decref(v);
            v = nv;
        } else if (peek_word(p, "is")) {
            accept_word(p, "is");
            int neg = accept_word(p, "not");
            char id[64];
            if (!is_ident_start(peek(p)) || read_ident(p, id, sizeof id) >= sizeof id) {
                json_decref(v);
                return fail(p, "test name expected after 'is'");
            }
            json_t *r = apply_test(p, v, id);
            if (!r && is_undef(v)) return undef_fail(p, v);
            json_decref(v);
            if (!r) return NULL;
            v = json_boolean(neg ? !json_is_true(r) : json_is_true(r));
            json_decref(r);
        } else {
            break;
        }
    }
    if (is_undef(v)) return undef_fail(p, v);
    return v;
}

/* ---- operators ----------------------------------------------------------------- */

static json_t *join2(tp *p, json_t *a, json_t *b, int text)
{
    if (p->skip) return json_null();
    if (!text && json_is_integer(a) && json_is_integer(b)) {
        json_int_t r;
        if (__builtin_add_overflow(json_integer_value(a), json_integer_value(b), &r))
            return fail(p, "integer too large for a template (beyond 64 bits)");
        return json_integer(r);
    }
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

/* - * / // % on numbers (Python's floor division and modulo); str * int */
static json_t *arith(tp *p, json_t *a, json_t *b, const char *op)
{
    if (p->skip) return json_null();
    if (op[0] == '*' && (json_is_string(a) || json_is_array(a)) && json_is_integer(b)) {
        long long k = json_integer_value(b);
        /* bounded by the result's size, not the count alone: "..." * 11 * 11111 * 12 grows
         * geometrically (fuzz_template ran out of memory) */
        size_t unit = json_is_array(a) ? json_array_size(a) : json_string_length(a);
        if (k > 100000 || (k > 0 && unit > ((size_t)1 << 20) / (size_t)k)) return fail(p, "repetition too large");
        json_t *r = json_is_array(a) ? json_array() : NULL;
        tt_buf buf;
        tt_buf_init(&buf);
        tt_buf_puts(&buf, "");
        for (long long i = 0; i < k; i++) {
            if (r) json_array_extend(r, a);
            else tt_buf_append(&buf, json_string_value(a), json_string_length(a));
        }
        if (!r) r = json_stringn(tt_buf_str(&buf), buf.len);
        tt_buf_free(&buf);
        return r;
    }
    double x, y;
    if (!number_of(a, &x) || !number_of(b, &y)) return fail(p, "'%s' needs two numbers", op);
    int ints = json_is_integer(a) && json_is_integer(b);
    /* Python's ints have no bound; ours are 64 bits, and going past them is
     * an error rather than a wrapped number (fuzz_template found it) */
    json_int_t r = 0;   /* set by the overflow builtins; gcc with sanitizers cannot see it */
    if (ints && op[0] == '-' && __builtin_sub_overflow(json_integer_value(a), json_integer_value(b), &r))
        return fail(p, "integer too large for a template (beyond 64 bits)");
    if (ints && op[0] == '*' && !op[1] && __builtin_mul_overflow(json_integer_value(a), json_integer_value(b), &r))
        return fail(p, "integer too large for a template (beyond 64 bits)");
    if (op[0] == '-' || (op[0] == '*' && !op[1])) return ints ? json_integer(r) : json_real(op[0] == '-' ? x - y : x * y);
    if (y == 0) return fail(p, "division by zero");
    if (op[0] == '/' && !op[1]) return json_real(x / y);
    double q = floor(x / y), m = x - q * y;
    if (ints && !(fabs(q) < 9.2e18 && fabs(m) < 9.2e18)) return fail(p, "integer too large for a template (beyond 64 bits)");
    if (op[0] == '/') return ints ? json_integer((json_int_t)q) : json_real(q);
    return ints ? json_integer((json_int_t)m) : json_real(m);
}

static json_t *parse_unary(tp *p)
{
    if (peek(p) == '-' && !(p->pos + 1 < p->end && isdigit((unsigned char)p->src[p->pos + 1]))) {
        p->pos++;
        /* "- - - ... x" nests too: bounded like ( [ and calls (fuzz_task) */
        if (p->depth >= TEMPLATE_MAX_DEPTH) return fail(p, "expression nested too deeply");
        p->depth++;
        json_t *v = parse_unary(p);
        p->depth--;
        if (!v) return NULL;
        json_t *zero = json_integer(0), *r = arith(p, zero, v, "-");
        json_decref(zero);
        json_decref(v);
        return r;
    }
    return parse_term(p);
}

static json_t *parse_mul(tp *p)
{
    json_t *v = parse_unary(p);
    while (v) {
        const char *op;
        int c = peek(p);
        if (accept2(p, "//")) op = "//";
        else if (c == '*' || c == '/' || c == '%') {
            op = c == '*' ? "*" : c == '/' ? "/" : "%";
            p->pos++;
        } else {
            break;
        }
        json_t *rhs = parse_unary(p);
        if (!rhs) {
            json_decref(v);
            return NULL;
        }
        json_t *nv = arith(p, v, rhs, op);
        json_decref(v);
        json_decref(rhs);
        v = nv;
    }
    return v;
}

static json_t *parse_add(tp *p)
{
    json_t *v = parse_mul(p);
    while (v) {
        int c = peek(p);
        if (c != '+' && c != '-') break;
        p->pos++;
        json_t *rhs = parse_mul(p);
        if (!rhs) {
            json_decref(v);
            return NULL;
        }
        json_t *nv = c == '+' ? join2(p, v, rhs, 0) : arith(p, v, rhs, "-");
        json_decref(v);
        json_decref(rhs);
        v = nv;
    }
    return v;
}

static json_t *parse_concat(tp *p)
{
    json_t *v = parse_add(p);
    while (v && peek(p) == '~') {
        p->pos++;
        json_t *rhs = parse_add(p);
        if (!rhs) {
            json_decref(v);
            return NULL;
        }
        json_t *nv = join2(p, v, rhs, 1);
        json_decref(v);
        json_decref(rhs);
        v = nv;
    }
    return v;
}

/* x in y: a substring, an element, a key */
static int contains(const json_t *hay, const json_t *x, int *ok)
{
    *ok = 1;
    if (json_is_string(hay) && json_is_string(x)) return strstr(json_string_value(hay), json_string_value(x)) != NULL;
    if (json_is_array(hay)) {
        size_t i;
        json_t *it;
        json_array_foreach(hay, i, it) if (py_equal(it, x)) return 1;
        return 0;
    }
    if (json_is_object(hay) && json_is_string(x)) return json_object_get(hay, json_string_value(x)) != NULL;
    *ok = 0;
    return 0;
}

static json_t *compare(tp *p, json_t *a, json_t *b, const char *op)
{
    if (p->skip) return json_false();
    if (!strcmp(op, "==")) return json_boolean(py_equal(a, b));
    if (!strcmp(op, "!=")) return json_boolean(!py_equal(a, b));
    if (!strcmp(op, "in") || !strcmp(op, "not in")) {
        int ok, r = contains(b, a, &ok);
        if (!ok) return fail(p, "'in' needs a string, a list or an object on its right");
        return json_boolean(op[0] == 'i' ? r : !r);
    }
    int c;
    double x, y;
    if (number_of(a, &x) && number_of(b, &y)) c = (x > y) - (x < y);
    else if (json_is_string(a) && json_is_string(b)) c = strcmp(json_string_value(a), json_string_value(b));
    else return fail(p, "'%s' needs two numbers or two strings", op);
    if (!strcmp(op, "<")) return json_boolean(c < 0);
    if (!strcmp(op, "<=")) return json_boolean(c <= 0);
    if (!strcmp(op, ">")) return json_boolean(c > 0);
    return json_boolean(c >= 0);
}

static json_t *parse_compare(tp *p)
{
    json_t *v = parse_concat(p);
    while (v) {
        const char *op = NULL;
        if (accept2(p, "==")) op = "==";
        else if (accept2(p, "!=")) op = "!=";
        else if (accept2(p, "<=")) op = "<=";
        else if (accept2(p, ">=")) op = ">=";
        else if (accept(p, '<')) op = "<";
        else if (accept(p, '>')) op = ">";
        else if (accept_word(p, "in")) op = "in";
        else if (peek_word(p, "not")) {
            size_t save = p->pos;
            accept_word(p, "not");
            if (accept_word(p, "in")) op = "not in";
            else p->pos = save;
        }
        if (!op) break;
        json_t *rhs = parse_concat(p);
        if (!rhs) {
            json_decref(v);
            return NULL;
        }
        json_t *nv = compare(p, v, rhs, op);
        json_decref(v);
        json_decref(rhs);
        v = nv;
    }
    return v;
}

static json_t *parse_not(tp *p)
{
    if (accept_word(p, "not")) {
        json_t *v = parse_not(p);
        if (!v) return NULL;
        json_t *r = json_boolean(!truthy(v));
        json_decref(v);
        return r;
    }
    return parse_compare(p);
}

/* a and b / a or b: Python's short-circuit values; the side not needed is
 * parsed without being evaluated */
static json_t *parse_logic(tp *p, int is_or)
{
    json_t *v = is_or ? parse_logic(p, 0) : parse_not(p);
    while (v && accept_word(p, is_or ? "or" : "and")) {
        int decided = is_or ? truthy(v) : !truthy(v);
        if (decided) p->skip++;
        json_t *rhs = is_or ? parse_logic(p, 0) : parse_not(p);
        if (decided) p->skip--;
        if (!rhs) {
            json_decref(v);
            return NULL;
        }
        if (decided) json_decref(rhs);
        else {
            json_decref(v);
            v = rhs;
        }
    }
    return v;
}

static json_t *parse_or(tp *p) { return parse_logic(p, 1); }

/* A if C else B, with A and B evaluated only when chosen */
static json_t *parse_cond(tp *p)
{
    if (p->skip) {
        /* already not evaluating: one pass is enough */
        json_t *a = parse_or(p);
        if (a && accept_word(p, "if")) {
            json_t *c = parse_or(p);
            json_t *b = c && accept_word(p, "else") ? parse_cond(p) : c ? json_null() : NULL;
            json_decref(c);
            if (!b) {
                json_decref(a);
                return NULL;
            }
            json_decref(b);
        }
        return a;
    }
    size_t a_start = p->pos;
    p->skip++;
    json_t *a = parse_or(p);
    p->skip--;
    if (!a) return NULL;
    json_decref(a);
    if (!peek_word(p, "if")) {
        p->pos = a_start;
        return parse_or(p);
    }
    accept_word(p, "if");
    json_t *c = parse_or(p);
    if (!c) return NULL;
    int take = truthy(c);
    json_decref(c);
    json_t *b = NULL;
    size_t after;
    if (accept_word(p, "else")) {
        if (take) p->skip++;
        b = parse_cond(p);
        if (take) p->skip--;
        if (!b) return NULL;
    } else {
        b = json_string("");   /* Jinja: an undefined that prints as nothing */
    }
    after = p->pos;
    if (!take) return b;
    json_decref(b);
    p->pos = a_start;
    size_t end = p->end;
    json_t *v = parse_or(p);
    p->end = end;
    p->pos = after;
    return v;
}

static json_t *parse_expr(tp *p)
{
    if (++p->depth > TEMPLATE_MAX_DEPTH) {
        p->depth--;
        return fail(p, "expression nested too deeply");
    }
    json_t *v = parse_cond(p);
    p->depth--;
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

/* ---- blocks ------------------------------------------------------------------------ */

/* Finds the closing delimiter of a tag opened at open (offset of "{{" or
 * "{%"), skipping string literals. Returns its offset or (size_t)-1. */
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

/* Where the next tag opens ("{{", "{%", "{#") from i, or the end. */
static size_t next_open(const char *s, size_t i)
{
    for (; s[i]; i++)
        if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')) return i;
    return i;
}

enum { RUN_END = -1, RUN_ERROR = -2 };

/* The tag at open: its inner span [*a, *b) without whitespace-control
 * dashes; *after the offset past it; sets lstrip for what follows. */
static int tag_span(tp *p, size_t open, size_t *a, size_t *b, size_t *after, int *trim_after)
{
    char kind = p->src[open + 1];
    const char *close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    size_t c = kind == '#' ? (size_t)-1 : find_close(p->src, open, close);
    if (kind == '#') {
        const char *e = strstr(p->src + open + 2, "#}");
        c = e ? (size_t)(e - p->src) : (size_t)-1;
    }
    if (c == (size_t)-1) {
        p->pos = open;
        fail(p, "'%.2s' without '%s'", p->src + open, close);
        return -1;
    }
    *a = open + 2;
    if (p->src[*a] == '-' || p->src[*a] == '+') (*a)++;
    *b = c;
    *trim_after = *b > *a && p->src[*b - 1] == '-';
    if (*trim_after || (*b > *a && p->src[*b - 1] == '+')) (*b)--;
    *after = c + 2;
    return 0;
}

static int run(tp *p, size_t *pos, const char *const *stops, tt_buf *out, int exec, size_t *ea, size_t *eb, int depth);

/* Appends text [a, b) with the pending strips. */
static void emit_text(tp *p, tt_buf *out, size_t a, size_t b, int exec)
{
    if (p->lstrip_next)
        while (a < b && isspace((unsigned char)p->src[a])) a++;
    p->lstrip_next = 0;
    /* a tag opening with '-' strips the white space before it */
    if (p->src[b] == '{' && p->src[b + 1] && p->src[b + 2] == '-')
        while (b > a && isspace((unsigned char)p->src[b - 1])) b--;
    if (exec && b > a) tt_buf_append(out, p->src + a, b - a);
}

/* The keyword of a {% %} tag and where its arguments start. */
static void tag_keyword(tp *p, size_t a, size_t b, char *kw, size_t cap, size_t *rest)
{
    size_t i = a;
    while (i < b && isspace((unsigned char)p->src[i])) i++;
    size_t s = i;
    while (i < b && is_ident((unsigned char)p->src[i])) i++;
    size_t n = i - s < cap - 1 ? i - s : cap - 1;
    memcpy(kw, p->src + s, n);
    kw[n] = 0;
    *rest = i;
}

static json_t *locals(tp *p)
{
    if (!p->locals) p->locals = json_object();
    return p->locals;
}

/* {% if %} ... {% elif %} ... {% else %} ... {% endif %}; *pos after the if tag. */
static int run_if(tp *p, size_t *pos, size_t ca, size_t cb, tt_buf *out, int exec, int depth)
{
    static const char *const stops[] = {"elif", "else", "endif", NULL};
    int taken = 0;
    size_t ea = ca, eb = cb;
    int stop = 0;   /* the tag that opened this branch: 0 if/elif, 1 else */
    for (;;) {
        int branch = 0;
        if (stop == 1) branch = exec && !taken;
        else if (exec && !taken) {
            json_t *c = eval_span(p, ea, eb);
            if (!c) return RUN_ERROR;
            branch = truthy(c);
            json_decref(c);
        }
        int r = run(p, pos, stop == 1 ? stops + 2 : stops, out, branch, &ea, &eb, depth + 1);
        if (r == RUN_ERROR) return r;
        taken |= branch;
        if (r == RUN_END) {
            fail(p, "'{%% if %%}' without '{%% endif %%}'");
            return RUN_ERROR;
        }
        const char *which = (stop == 1 ? stops + 2 : stops)[r];
        if (!strcmp(which, "endif")) return 0;
        stop = !strcmp(which, "else");
    }
}

/* {% for NAME[, NAME] in EXPR %} ... {% else %} ... {% endfor %} */
static int run_for(tp *p, size_t *pos, size_t a, size_t b, tt_buf *out, int exec, int depth)
{
    static const char *const stops[] = {"else", "endfor", NULL}, *const end_only[] = {"endfor", NULL};
    char v1[64] = "", v2[64] = "";
    p->pos = a;
    p->end = b;
    if (!is_ident_start(peek(p)) || read_ident(p, v1, sizeof v1) >= sizeof v1) return fail(p, "'for' needs a name"), RUN_ERROR;
    if (accept(p, ',') && (!is_ident_start(peek(p)) || read_ident(p, v2, sizeof v2) >= sizeof v2))
        return fail(p, "'for' needs a second name after ','"), RUN_ERROR;
    if (!accept_word(p, "in")) return fail(p, "'for' needs 'in'"), RUN_ERROR;
    size_t ia = p->pos;
    json_t *items = NULL;
    if (exec) {
        json_t *it = eval_span(p, ia, b);
        if (!it) return RUN_ERROR;
        if (json_is_array(it)) items = it;
        else if (json_is_object(it)) {
            items = json_array();
            const char *k;
            json_t *x;
            json_object_foreach(it, k, x) json_array_append_new(items, json_string(k));
            json_decref(it);
        } else if (json_is_string(it)) {
            items = json_array();
            const char *s = json_string_value(it);
            size_t n = json_string_length(it);
            for (size_t i = 0; i < n;) {
                size_t l = tt_utf8_char_len(s + i, n - i);
                json_array_append_new(items, json_stringn(s + i, l));
                i += l;
            }
            json_decref(it);
        } else {
            json_decref(it);
            return fail(p, "'for' needs a list, an object or a string"), RUN_ERROR;
        }
        if (json_array_size(items) > TEMPLATE_MAX_LOOP) {
            json_decref(items);
            return fail(p, "'for' over more than %d items", TEMPLATE_MAX_LOOP), RUN_ERROR;
        }
    }
    /* the loop's variables do not outlive it (Jinja's scoping) */
    json_t *saved = p->locals ? json_deep_copy(p->locals) : NULL;
    size_t body = *pos, n = exec ? json_array_size(items) : 0;
    int r = 0;
    size_t ea, eb;
    for (size_t i = 0; i < n && r >= 0; i++) {
        json_t *x = json_array_get(items, i);
        if (v2[0]) {
            if (!json_is_array(x) || json_array_size(x) != 2) {
                fail(p, "'for %s, %s' needs pairs", v1, v2);
                r = RUN_ERROR;
                break;
            }
            json_object_set(locals(p), v1, json_array_get(x, 0));
            json_object_set(locals(p), v2, json_array_get(x, 1));
        } else {
            json_object_set(locals(p), v1, x);
        }
        json_object_set_new(locals(p), "loop",
                            json_pack("{s:I, s:I, s:b, s:b, s:I, s:I, s:I}", "index", (json_int_t)i + 1, "index0",
                                      (json_int_t)i, "first", i == 0, "last", i + 1 == n, "length", (json_int_t)n,
                                      "revindex", (json_int_t)(n - i), "revindex0", (json_int_t)(n - i - 1)));
        *pos = body;
        r = run(p, pos, stops, out, 1, &ea, &eb, depth + 1);
    }
    if (r >= 0 && n == 0) {
        *pos = body;
        r = run(p, pos, stops, out, 0, &ea, &eb, depth + 1);
    }
    json_decref(items);
    json_decref(p->locals);
    p->locals = saved;
    if (r == RUN_ERROR) return r;
    if (r == RUN_END) return fail(p, "'{%% for %%}' without '{%% endfor %%}'"), RUN_ERROR;
    if (!strcmp(stops[r], "else")) {
        r = run(p, pos, end_only, out, exec && n == 0, &ea, &eb, depth + 1);
        if (r == RUN_ERROR) return r;
        if (r == RUN_END) return fail(p, "'{%% for %%}' without '{%% endfor %%}'"), RUN_ERROR;
    }
    return 0;
}

/* Renders from *pos until a {% %} tag whose keyword is in stops (its index
 * is returned, *pos is after it and [*ea, *eb) its arguments) or the end of
 * the template (RUN_END); RUN_ERROR on failure. exec 0 walks without
 * output or evaluation. */
static int run(tp *p, size_t *pos, const char *const *stops, tt_buf *out, int exec, size_t *ea, size_t *eb, int depth)
{
    if (depth > TEMPLATE_MAX_DEPTH) {
        p->pos = *pos;
        fail(p, "blocks nested too deeply");
        return RUN_ERROR;
    }
    const char *s = p->src;
    for (;;) {
        size_t open = next_open(s, *pos);
        emit_text(p, out, *pos, open, exec);
        if (!s[open]) {
            *pos = open;
            return RUN_END;
        }
        size_t a, b, after;
        int trim_after;
        if (tag_span(p, open, &a, &b, &after, &trim_after)) return RUN_ERROR;
        char kind = s[open + 1];
        *pos = after;
        if (kind == '#') {
            p->lstrip_next = trim_after;
            continue;
        }
        if (kind == '{') {
            if (exec) {
                json_t *v = eval_span(p, a, b);
                if (!v) return RUN_ERROR;
                render_value(out, v);
                json_decref(v);
            }
            p->lstrip_next = trim_after;
            continue;
        }
        char kw[32];
        size_t rest;
        tag_keyword(p, a, b, kw, sizeof kw, &rest);
        p->lstrip_next = trim_after;
        for (int i = 0; stops && stops[i]; i++)
            if (!strcmp(kw, stops[i])) {
                *ea = rest;
                *eb = b;
                return i;
            }
        int r = 0;
        if (!strcmp(kw, "if")) r = run_if(p, pos, rest, b, out, exec, depth);
        else if (!strcmp(kw, "for")) r = run_for(p, pos, rest, b, out, exec, depth);
        else if (!strcmp(kw, "set")) {
            char name[64];
            p->pos = rest;
            p->end = b;
            if (!is_ident_start(peek(p)) || read_ident(p, name, sizeof name) >= sizeof name || !accept(p, '=')) {
                fail(p, "'set' needs NAME = EXPRESSION");
                return RUN_ERROR;
            }
            if (exec) {
                json_t *v = eval_span(p, p->pos, b);
                if (!v) return RUN_ERROR;
                json_object_set_new(locals(p), name, v);
            }
        } else {
            p->pos = open;
            if (!strcmp(kw, "elif") || !strcmp(kw, "else") || !strcmp(kw, "endif") || !strcmp(kw, "endfor"))
                fail(p, "'{%% %s %%}' without its opening block", kw);
            else
                fail(p, "'{%% %s %%}' blocks are not supported (if, elif, else, endif, for, endfor, set)", kw);
            return RUN_ERROR;
        }
        if (r == RUN_ERROR) return r;
    }
}

int template_has_syntax(const char *tmpl)
{
    return tmpl && (strstr(tmpl, "{{") || strstr(tmpl, "{#") || strstr(tmpl, "{%"));
}

int template_render(const char *name, const char *tmpl, const json_t *doc, char **out, char *err)
{
    *out = NULL;
    tp p = {.name = name ? name : "?", .src = tmpl, .doc = doc, .err = err};
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    size_t pos = 0, ea, eb;
    int r = run(&p, &pos, NULL, &b, 1, &ea, &eb, 0);
    json_decref(p.locals);
    if (r == RUN_ERROR || p.failed) {
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
            tp p = {.name = name ? name : "?", .src = tmpl, .doc = doc, .err = err};
            size_t ia = a + 2, ib = c;
            if (tmpl[ia] == '-') ia++;
            if (ib > ia && tmpl[ib - 1] == '-') ib--;
            json_t *v = eval_span(&p, ia, ib);
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
