/*
 * pytext.c — Python string semantics for scoring: Unicode whitespace,
 * split/strip, and Python `re` patterns translated to POSIX ERE. Called by
 * harness/filter.c (regex filter) and judges/metrics.c (exact_match
 * regexes_to_ignore, tokenisers). See pytext.h for the supported subset.
 */
#include "core/pytext.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/util.h"

size_t pytext_space_len(const char *s, size_t n)
{
    if (n == 0) return 0;
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80) {
        if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return 1;
        return 0;
    }
    const unsigned char *u = (const unsigned char *)s;
    if (c == 0xC2 && n >= 2 && (u[1] == 0x85 || u[1] == 0xA0)) return 2;
    if (c == 0xE1 && n >= 3 && u[1] == 0x9A && u[2] == 0x80) return 3;  /* U+1680 */
    if (c == 0xE2 && n >= 3) {
        if (u[1] == 0x80 && (u[2] <= 0x8A || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
            return u[2] >= 0x80 ? 3 : 0;                                   /* U+2000-200A, 2028, 2029, 202F */
        if (u[1] == 0x81 && u[2] == 0x9F) return 3;                      /* U+205F */
    }
    if (c == 0xE3 && n >= 3 && u[1] == 0x80 && u[2] == 0x80) return 3;   /* U+3000 */
    return 0;
}

size_t pytext_split(const char *s, size_t n, pytext_span **out)
{
    size_t count = 0, cap = 0;
    pytext_span *v = NULL;
    size_t i = 0;
    while (i < n) {
        size_t w = pytext_space_len(s + i, n - i);
        if (w) { i += w; continue; }
        size_t start = i;
        while (i < n && pytext_space_len(s + i, n - i) == 0) i += tt_utf8_char_len(s + i, n - i);
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            v = tt_realloc(v, cap * sizeof *v);
        }
        v[count].p = s + start;
        v[count].len = i - start;
        count++;
    }
    *out = v;
    return count;
}

pytext_span pytext_strip(const char *s, size_t n)
{
    size_t a = 0;
    while (a < n) {
        size_t w = pytext_space_len(s + a, n - a);
        if (!w) break;
        a += w;
    }
    size_t b = n;
    while (b > a) {
        /* find the start of the last character */
        size_t k = tt_utf8_char_start(s, a, b - 1);
        size_t w = pytext_space_len(s + k, b - k);
        if (w != b - k) break;
        b = k;
    }
    pytext_span r = { s + a, b - a };
    return r;
}

/* ---- Python re -> POSIX ERE -------------------------------------------- */

static int is_ere_special(char c)
{
    return c && strchr(".[]()*+?{}|^$\\", c) != NULL;
}

static int escape_char(char c, char *out)
{
    switch (c) {
    case 'n': *out = '\n'; return 1;
    case 't': *out = '\t'; return 1;
    case 'r': *out = '\r'; return 1;
    case 'f': *out = '\f'; return 1;
    case 'v': *out = '\v'; return 1;
    case 'a': *out = '\a'; return 1;
    default: break;
    }
    if (c && !isalnum((unsigned char)c)) { *out = c; return 1; }
    return 0;
}

/* Translates a bracket expression starting at p[i] == '['; appends the ERE
 * form to b and returns the index after the closing ']', or -1 on error. */
static long translate_bracket(const char *pat, size_t i, tt_buf *b, char *err)
{
    size_t n = strlen(pat);
    size_t start = i;
    i++;
    int negate = 0;
    if (i < n && pat[i] == '^') { negate = 1; i++; }
    tt_buf items;
    tt_buf_init(&items);
    int has_rbracket = 0, has_dash = 0, has_caret = 0, has_lbracket = 0;
    int first = 1;
    while (1) {
        if (i >= n) {
            tt_buf_free(&items);
            tt_fail(err, TT_ERR_PARSE, "regex '%s': unterminated '[' at offset %zu", pat, start);
            return -1;
        }
        char c = pat[i];
        if (c == ']' && !first) { i++; break; }
        first = 0;
        char lo;
        int lo_ok = 0;
        if (c == '\\') {
            char e = pat[i + 1];
            if (e == 'd') { tt_buf_puts(&items, "0-9"); i += 2; continue; }
            if (e == 's') { tt_buf_puts(&items, "[:space:]"); i += 2; continue; }
            if (e == 'w') { tt_buf_puts(&items, "[:alnum:]_"); i += 2; continue; }
            if (!escape_char(e, &lo)) {
                tt_buf_free(&items);
                tt_fail(err, TT_ERR_PARSE, "regex '%s': escape '\\%c' inside [...] is not supported",
                        pat, e ? e : ' ');
                return -1;
            }
            lo_ok = 1;
            i += 2;
        } else {
            lo = c;
            lo_ok = 1;
            i++;
        }
        (void)lo_ok;
        /* range? */
        if (i + 1 < n && pat[i] == '-' && pat[i + 1] != ']') {
            char hi;
            if (pat[i + 1] == '\\') {
                if (!escape_char(pat[i + 2], &hi)) {
                    tt_buf_free(&items);
                    tt_fail(err, TT_ERR_PARSE, "regex '%s': bad range end in [...]", pat);
                    return -1;
                }
                i += 3;
            } else {
                hi = pat[i + 1];
                i += 2;
            }
            if ((unsigned char)hi < (unsigned char)lo) {
                tt_buf_free(&items);
                tt_fail(err, TT_ERR_PARSE, "regex '%s': bad range '%c-%c'", pat, lo, hi);
                return -1;
            }
            /* a range whose ends are special is written via its members */
            if (lo == ']' || lo == '-' || lo == '^' || lo == '[' || hi == ']' || hi == '-' ||
                hi == '^' || hi == '[') {
                for (int ch = (unsigned char)lo; ch <= (unsigned char)hi; ch++) {
                    if (ch == ']') has_rbracket = 1;
                    else if (ch == '-') has_dash = 1;
                    else if (ch == '^') has_caret = 1;
                    else if (ch == '[') has_lbracket = 1;
                    else { char cc = (char)ch; tt_buf_append(&items, &cc, 1); }
                }
            } else {
                char r[3] = { lo, '-', hi };
                tt_buf_append(&items, r, 3);
            }
            continue;
        }
        if (lo == ']') has_rbracket = 1;
        else if (lo == '-') has_dash = 1;
        else if (lo == '^') has_caret = 1;
        else if (lo == '[') has_lbracket = 1;
        else tt_buf_append(&items, &lo, 1);
    }
    if (!negate && !has_rbracket && items.len == 0 && !has_lbracket && has_caret) {
        /* only ^ and maybe - : "[-^]" */
        tt_buf_puts(b, has_dash ? "[-^]" : "\\^");
        tt_buf_free(&items);
        return (long)i;
    }
    tt_buf_puts(b, negate ? "[^" : "[");
    if (has_rbracket) tt_buf_puts(b, "]");
    tt_buf_append(b, tt_buf_str(&items), items.len);
    if (has_lbracket) tt_buf_puts(b, "[");
    if (has_caret) tt_buf_puts(b, "^");
    if (has_dash) tt_buf_puts(b, "-");
    tt_buf_puts(b, "]");
    tt_buf_free(&items);
    return (long)i;
}

int pytext_regex_translate(const char *pat, char **out, int **posix_of_py, int *n_groups,
                           int *cflags, char *err)
{
    tt_buf b;
    tt_buf_init(&b);
    size_t n = strlen(pat);
    int posix_groups = 0, py_groups = 0, cap = 8;
    int *map = tt_malloc(sizeof(int) * (size_t)cap);
    size_t i = 0;
    int dotall = 0;
    *cflags = REG_EXTENDED;
    /* leading inline flags: (?s) (?i) (?m) and combinations; a, u ignored */
    if (pat[0] == '(' && pat[1] == '?' && strchr("aimsu", pat[2] ? pat[2] : '!')) {
        size_t j = 2;
        while (pat[j] && strchr("aimsu", pat[j])) {
            if (pat[j] == 's') dotall = 1;
            if (pat[j] == 'i') *cflags |= REG_ICASE;
            if (pat[j] == 'm') *cflags |= REG_NEWLINE;
            j++;
        }
        if (pat[j] != ')') {
            tt_fail(err, TT_ERR_PARSE, "regex '%s': inline flags other than a, i, m, s, u are not supported", pat);
            goto fail;
        }
        i = j + 1;
    }
    while (i < n) {
        char c = pat[i];
        if (c == '.' && !dotall && !(*cflags & REG_NEWLINE)) {
            tt_buf_puts(&b, "[^\n]");
            i++;
            continue;
        }
        if (c == '\\') {
            char e = pat[i + 1];
            const char *rep = NULL;
            switch (e) {
            case 'd': rep = "[0-9]"; break;
            case 'D': rep = "[^0-9]"; break;
            case 's': rep = "[[:space:]]"; break;
            case 'S': rep = "[^[:space:]]"; break;
            case 'w': rep = "[[:alnum:]_]"; break;
            case 'W': rep = "[^[:alnum:]_]"; break;
            case 'b': rep = "\\b"; break;
            case 'B': rep = "\\B"; break;
            default: break;
            }
            if (rep) { tt_buf_puts(&b, rep); i += 2; continue; }
            char lit;
            if (!escape_char(e, &lit)) {
                if (e >= '0' && e <= '9')
                    tt_fail(err, TT_ERR_PARSE, "regex '%s': back-reference '\\%c' is not supported", pat, e);
                else if (e == '\0')
                    tt_fail(err, TT_ERR_PARSE, "regex '%s': pattern ends with '\\'", pat);
                else
                    tt_fail(err, TT_ERR_PARSE, "regex '%s': escape '\\%c' is not supported", pat, e);
                goto fail;
            }
            if (is_ere_special(lit)) { tt_buf_puts(&b, "\\"); tt_buf_append(&b, &lit, 1); }
            else tt_buf_append(&b, &lit, 1);
            i += 2;
            continue;
        }
        if (c == '[') {
            long j = translate_bracket(pat, i, &b, err);
            if (j < 0) goto fail;
            i = (size_t)j;
            continue;
        }
        if (c == '(') {
            int capturing = 1;
            size_t skip = 1;
            if (pat[i + 1] == '?') {
                if (pat[i + 2] == ':') { capturing = 0; skip = 3; }
                else if (pat[i + 2] == 'P' && pat[i + 3] == '<') {
                    const char *close = strchr(pat + i + 4, '>');
                    if (!close) {
                        tt_fail(err, TT_ERR_PARSE, "regex '%s': unterminated group name", pat);
                        goto fail;
                    }
                    skip = (size_t)(close - (pat + i)) + 1;
                } else {
                    tt_fail(err, TT_ERR_PARSE,
                            "regex '%s': '(?%c' (look-around or inline flag) is not supported",
                            pat, pat[i + 2] ? pat[i + 2] : ' ');
                    goto fail;
                }
            }
            posix_groups++;
            if (capturing) {
                if (py_groups == cap) { cap *= 2; map = tt_realloc(map, sizeof(int) * (size_t)cap); }
                map[py_groups++] = posix_groups;
            }
            tt_buf_puts(&b, "(");
            i += skip;
            continue;
        }
        if (c == '*' || c == '+' || c == '?') {
            if (pat[i + 1] == '?') {
                tt_fail(err, TT_ERR_PARSE, "regex '%s': lazy quantifier '%c?' is not supported", pat, c);
                goto fail;
            }
            if (pat[i + 1] == '+') {
                tt_fail(err, TT_ERR_PARSE, "regex '%s': possessive quantifier '%c+' is not supported", pat, c);
                goto fail;
            }
            tt_buf_append(&b, &c, 1);
            i++;
            continue;
        }
        if (c == '}') {
            tt_buf_puts(&b, "\\}");
            i++;
            continue;
        }
        if (c == '{') {
            /* a valid interval {m}, {m,}, {m,n}, {,n}; otherwise a literal */
            size_t j = i + 1;
            int digits = 0;
            while (j < n && isdigit((unsigned char)pat[j])) { j++; digits++; }
            if (j < n && pat[j] == ',') {
                j++;
                while (j < n && isdigit((unsigned char)pat[j])) { j++; digits++; }
            }
            if (j < n && pat[j] == '}' && digits > 0) {
                if (pat[j + 1] == '?') {
                    tt_fail(err, TT_ERR_PARSE, "regex '%s': lazy quantifier '}?' is not supported", pat);
                    goto fail;
                }
                if (pat[i + 1] == ',') tt_buf_puts(&b, "{0");
                else tt_buf_puts(&b, "{");
                tt_buf_append(&b, pat + i + 1, j - i);
                i = j + 1;
            } else {
                tt_buf_puts(&b, "\\{");
                i++;
            }
            continue;
        }
        tt_buf_append(&b, &c, 1);
        i++;
    }
    if (b.len == 0) tt_buf_puts(&b, "()"), posix_groups++;  /* empty pattern matches "" */
    *out = tt_buf_detach(&b);
    *posix_of_py = map;
    *n_groups = py_groups;
    return TT_OK;
fail:
    tt_buf_free(&b);
    free(map);
    return TT_ERR_PARSE;
}

int pytext_regex_compile(pytext_regex *r, const char *pattern, char *err)
{
    memset(r, 0, sizeof *r);
    if (!pattern) return tt_fail(err, TT_ERR_PARSE, "regex: missing pattern");
    char *ere = NULL;
    int cflags = REG_EXTENDED;
    int rc = pytext_regex_translate(pattern, &ere, &r->posix_of_py, &r->n_groups, &cflags, err);
    if (rc) return rc;
    int prc = regcomp(&r->re, ere, cflags);
    if (prc != 0) {
        char msg[160];
        regerror(prc, &r->re, msg, sizeof msg);
        tt_fail(err, TT_ERR_PARSE, "regex '%s': %s", pattern, msg);
        free(ere);
        free(r->posix_of_py);
        r->posix_of_py = NULL;
        return TT_ERR_PARSE;
    }
    free(ere);
    r->n_posix_groups = r->re.re_nsub;
    r->compiled = 1;
    return TT_OK;
}

void pytext_regex_free(pytext_regex *r)
{
    if (!r) return;
    if (r->compiled) regfree(&r->re);
    free(r->posix_of_py);
    memset(r, 0, sizeof *r);
}

/* Calls fn for each non-overlapping match of r in s (Python's scanning
 * order: after an empty match, move on one character). */
typedef void (*match_fn)(void *ctx, const char *s, const regmatch_t *m);

static void scan(const pytext_regex *r, const char *s, match_fn fn, void *ctx)
{
    size_t n = strlen(s);
    size_t nm = r->n_posix_groups + 1;
    regmatch_t stackm[16];
    regmatch_t *m = nm <= 16 ? stackm : tt_malloc(nm * sizeof *m);
    size_t pos = 0;
    while (pos <= n) {
        m[0].rm_so = (regoff_t)pos;
        m[0].rm_eo = (regoff_t)n;
        int flags = REG_STARTEND | (pos > 0 ? REG_NOTBOL : 0);
        if (regexec(&r->re, s, nm, m, flags) != 0) break;
        fn(ctx, s, m);
        size_t so = (size_t)m[0].rm_so, eo = (size_t)m[0].rm_eo;
        if (eo > so) pos = eo;
        else {
            if (so >= n) break;
            pos = so + tt_utf8_char_len(s + so, n - so);
        }
    }
    if (m != stackm) free(m);
}

typedef struct findall_ctx {
    const pytext_regex *r;
    pytext_span *v;
    size_t n, cap;
} findall_ctx;

static void findall_cb(void *vctx, const char *s, const regmatch_t *m)
{
    findall_ctx *c = vctx;
    pytext_span sp = { NULL, 0 };
    if (c->r->n_groups == 0) {
        sp.p = s + m[0].rm_so;
        sp.len = (size_t)(m[0].rm_eo - m[0].rm_so);
    } else {
        for (int g = 0; g < c->r->n_groups; g++) {
            const regmatch_t *gm = &m[c->r->posix_of_py[g]];
            size_t len = gm->rm_so >= 0 ? (size_t)(gm->rm_eo - gm->rm_so) : 0;
            if (c->r->n_groups == 1) {
                sp.p = gm->rm_so >= 0 ? s + gm->rm_so : s;
                sp.len = len;
                break;
            }
            if (len > 0) { sp.p = s + gm->rm_so; sp.len = len; break; }
        }
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->v = tt_realloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = sp;
}

size_t pytext_regex_findall(const pytext_regex *r, const char *s, pytext_span **out)
{
    findall_ctx c = { r, NULL, 0, 0 };
    scan(r, s, findall_cb, &c);
    *out = c.v;
    return c.n;
}

typedef struct remove_ctx {
    tt_buf out;
    size_t copied;   /* bytes of s already handled */
} remove_ctx;

static void remove_cb(void *vctx, const char *s, const regmatch_t *m)
{
    remove_ctx *c = vctx;
    size_t so = (size_t)m[0].rm_so;
    if (so > c->copied) tt_buf_append(&c->out, s + c->copied, so - c->copied);
    c->copied = (size_t)m[0].rm_eo;
}

char *pytext_regex_remove(const pytext_regex *r, const char *s)
{
    remove_ctx c;
    tt_buf_init(&c.out);
    c.copied = 0;
    scan(r, s, remove_cb, &c);
    size_t n = strlen(s);
    if (n > c.copied) tt_buf_append(&c.out, s + c.copied, n - c.copied);
    if (!c.out.data) return tt_strdup("");
    return tt_buf_detach(&c.out);
}
