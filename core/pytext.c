/*
 * pytext.c — Python string semantics: Unicode whitespace, split/strip,
 * str.lower()/str.upper() (tables in pytext_unicode.h), repr() of floats
 * and strings, and Python `re` patterns run by PCRE2. Called by
 * harness/filter.c (regex, case filters), judges/metrics.c (exact_match
 * options, tokenisers), harness/template.c and harness/task.c (values as
 * text). See pytext.h for the regex translation and what still differs.
 */
#include "core/pytext.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pytext_unicode.h"

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

/* ---- case: str.lower() and str.upper() ------------------------------------ */

static const pytext_case_map *case_lookup(const pytext_case_map *map, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (map[mid].cp == cp) return &map[mid];
        if (map[mid].cp < cp) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static const pytext_range *range_lookup(const pytext_range *r, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo) hi = mid;
        else if (cp > r[mid].hi) lo = mid + 1;
        else return &r[mid];
    }
    return NULL;
}

/* The final-sigma class of cp: 1 case-ignorable, 2 cased, 0 neither. */
static int case_class(uint32_t cp)
{
    const pytext_range *r = range_lookup(pytext_case_class, sizeof pytext_case_class / sizeof pytext_case_class[0], cp);
    return r ? r->cls : 0;
}

/* A decoded character: its code point, or PYTEXT_BAD | byte for a byte
 * that is not UTF-8. */
#define PYTEXT_BAD 0x80000000u

static uint32_t *decode_all(const char *s, size_t n, size_t *count)
{
    uint32_t *v = tt_malloc((n + 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t len;
        uint32_t cp = tt_utf8_decode(s + i, n - i, &len);
        if (len == 1 && cp >= 0x80) cp = PYTEXT_BAD | cp;
        v[k++] = cp;
        i += len;
    }
    *count = k;
    return v;
}

static void put_cp(tt_buf *b, uint32_t cp)
{
    if (cp & PYTEXT_BAD) {
        char c = (char)(cp & 0xFF);
        tt_buf_append(b, &c, 1);
        return;
    }
    char u[4];
    tt_buf_append(b, u, tt_utf8_encode(cp, u));
}

/* CPython's handle_capital_sigma: Σ at v[i] is final when the nearest
 * character before it that is not case-ignorable is cased, and no cased
 * character follows it (case-ignorable ones skipped). */
static int final_sigma(const uint32_t *v, size_t n, size_t i)
{
    size_t j = i;
    int before = 0;
    while (j > 0) {
        int c = (v[j - 1] & PYTEXT_BAD) ? 0 : case_class(v[j - 1]);
        j--;
        if (c != 1) {
            before = c == 2;
            break;
        }
    }
    if (!before) return 0;
    for (j = i + 1; j < n; j++) {
        int c = (v[j] & PYTEXT_BAD) ? 0 : case_class(v[j]);
        if (c != 1) return c != 2;
    }
    return 1;
}

static char *change_case(const char *s, size_t n, int lower)
{
    const pytext_case_map *map = lower ? pytext_lower_map : pytext_upper_map;
    size_t nmap = lower ? sizeof pytext_lower_map / sizeof pytext_lower_map[0]
                        : sizeof pytext_upper_map / sizeof pytext_upper_map[0];
    size_t count;
    uint32_t *v = decode_all(s, n, &count);
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    for (size_t i = 0; i < count; i++) {
        uint32_t cp = v[i];
        if (cp & PYTEXT_BAD) {
            put_cp(&b, cp);
            continue;
        }
        if (lower && cp == 0x3A3) {
            put_cp(&b, final_sigma(v, count, i) ? 0x3C2 : 0x3C3);
            continue;
        }
        const pytext_case_map *m = case_lookup(map, nmap, cp);
        if (!m) {
            put_cp(&b, cp);
            continue;
        }
        for (int k = 0; k < m->n; k++) put_cp(&b, m->to[k]);
    }
    free(v);
    return tt_buf_detach(&b);
}

char *pytext_lower(const char *s, size_t n) { return change_case(s, n, 1); }
char *pytext_upper(const char *s, size_t n) { return change_case(s, n, 0); }

/* ---- repr ------------------------------------------------------------------ */

/* Digits of x (finite, non-zero, positive) with p significant digits,
 * rounded to nearest: "ddd" and the exponent e of the first digit
 * (x ~ d.dd * 10^e). */
static void digits_of(double x, int p, char *digits, int *e)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, x);
    size_t k = 0;
    const char *q = tmp;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9') digits[k++] = *q;
    digits[k] = 0;
    *e = atoi(q + 1);
}

/* Does the decimal digits * 10^(e - len + 1) read back as x? */
static int reads_back(const char *digits, int e, double x)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%se%d", digits, e - (int)strlen(digits) + 1);
    return strtod(tmp, NULL) == x;
}

/* Adds delta (+1 or -1) to the last digit of a p-digit string, carrying;
 * returns 0 when the result would not have p digits any more. */
static int step_digits(char *d, int delta)
{
    int i = (int)strlen(d) - 1;
    if (delta > 0) {
        while (i >= 0 && d[i] == '9') d[i--] = '0';
        if (i < 0) return 0;
        d[i]++;
    } else {
        while (i >= 0 && d[i] == '0') d[i--] = '9';
        if (i < 0 || (i == 0 && d[0] == '1')) return 0;
        d[i]--;
    }
    return 1;
}

size_t pytext_float_repr(double x, char out[PYTEXT_FLOAT_REPR_MAX])
{
    if (isnan(x)) return (size_t)snprintf(out, PYTEXT_FLOAT_REPR_MAX, "nan");
    if (isinf(x)) return (size_t)snprintf(out, PYTEXT_FLOAT_REPR_MAX, "%s", x < 0 ? "-inf" : "inf");
    if (x == 0) return (size_t)snprintf(out, PYTEXT_FLOAT_REPR_MAX, "%s", signbit(x) ? "-0.0" : "0.0");
    int neg = x < 0;
    double a = fabs(x);
    char d[32];
    int e = 0;
    /* the fewest digits that read back; among the candidates of that length
     * (the correctly rounded one and its neighbours, which matter where the
     * rounding interval is lopsided, at powers of two) the nearest to x */
    for (int p = 1; p <= 17; p++) {
        digits_of(a, p, d, &e);
        if (reads_back(d, e, a)) break;
        char up[32], dn[32];
        memcpy(up, d, sizeof up);
        memcpy(dn, d, sizeof dn);
        int ok_up = step_digits(up, +1) && reads_back(up, e, a);
        int ok_dn = step_digits(dn, -1) && reads_back(dn, e, a);
        if (ok_up || ok_dn) {
            memcpy(d, ok_up ? up : dn, sizeof d);
            break;
        }
    }
    size_t nd = strlen(d);
    while (nd > 1 && d[nd - 1] == '0') d[--nd] = 0;
    int decpt = e + 1;   /* x = 0.ddd * 10^decpt */
    tt_buf b;
    tt_buf_init(&b);
    if (neg) tt_buf_puts(&b, "-");
    if (decpt <= -4 || decpt > 16) {
        tt_buf_append(&b, d, 1);
        if (nd > 1) {
            tt_buf_puts(&b, ".");
            tt_buf_puts(&b, d + 1);
        }
        int ex = decpt - 1;
        tt_buf_printf(&b, "e%c%02d", ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
    } else if (decpt <= 0) {
        tt_buf_puts(&b, "0.");
        for (int i = 0; i < -decpt; i++) tt_buf_puts(&b, "0");
        tt_buf_puts(&b, d);
    } else if ((size_t)decpt >= nd) {
        tt_buf_puts(&b, d);
        for (size_t i = nd; i < (size_t)decpt; i++) tt_buf_puts(&b, "0");
        tt_buf_puts(&b, ".0");
    } else {
        tt_buf_append(&b, d, (size_t)decpt);
        tt_buf_puts(&b, ".");
        tt_buf_puts(&b, d + decpt);
    }
    size_t len = b.len;
    memcpy(out, tt_buf_str(&b), len + 1);
    tt_buf_free(&b);
    return len;
}

int pytext_isprintable(uint32_t cp)
{
    return range_lookup(pytext_unprintable, sizeof pytext_unprintable / sizeof pytext_unprintable[0], cp) == NULL;
}

void pytext_repr_str(tt_buf *b, const char *s, size_t n)
{
    int has_single = memchr(s, '\'', n) != NULL, has_double = memchr(s, '"', n) != NULL;
    char quote = has_single && !has_double ? '"' : '\'';
    tt_buf_append(b, &quote, 1);
    for (size_t i = 0; i < n;) {
        size_t len;
        uint32_t cp = tt_utf8_decode(s + i, n - i, &len);
        if (len == 1 && cp >= 0x80) tt_buf_printf(b, "\\x%02x", cp);   /* not UTF-8 */
        else if (cp == (uint32_t)quote || cp == '\\') tt_buf_printf(b, "\\%c", (char)cp);
        else if (cp == '\t') tt_buf_puts(b, "\\t");
        else if (cp == '\n') tt_buf_puts(b, "\\n");
        else if (cp == '\r') tt_buf_puts(b, "\\r");
        else if (cp < 0x20 || cp == 0x7F) tt_buf_printf(b, "\\x%02x", cp);
        else if (cp < 0x7F || pytext_isprintable(cp)) tt_buf_append(b, s + i, len);
        else if (cp <= 0xFF) tt_buf_printf(b, "\\x%02x", cp);
        else if (cp <= 0xFFFF) tt_buf_printf(b, "\\u%04x", cp);
        else tt_buf_printf(b, "\\U%08x", cp);
        i += len;
    }
    tt_buf_append(b, &quote, 1);
}

/* ---- Python re -> PCRE2 ------------------------------------------------------ */

/* Python's str.isspace() set as PCRE2 class members (for \s). */
#define PY_SPACE_ITEMS "\\t\\n\\x{0b}\\f\\r\\x{1c}-\\x{1f}\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}" \
                       "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}"

typedef struct rx {
    const char *pat;
    size_t n, i;
    tt_buf out;
    int ascii, verbose;
    char *err;
} rx;

static int rx_fail(rx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rx_fail(rx *x, const char *fmt, ...)
{
    char msg[TT_ERR_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tt_fail(x->err, TT_ERR_PARSE, "regex '%s': %s at offset %zu", x->pat, msg, x->i);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* \x \u \U: exactly 2, 4 or 8 hex digits after p[i] (the letter), as
 * Python requires. Writes \x{..}; returns 0 or -1. */
static int rx_hex_escape(rx *x, int ndig)
{
    uint32_t v = 0;
    for (int k = 1; k <= ndig; k++) {
        int h = x->i + (size_t)k < x->n ? hexval(x->pat[x->i + (size_t)k]) : -1;
        if (h < 0) return rx_fail(x, "incomplete escape \\%c", x->pat[x->i]);
        v = v * 16 + (uint32_t)h;
    }
    if (v > 0x10FFFF) return rx_fail(x, "bad escape \\%c (beyond U+10FFFF)", x->pat[x->i]);
    tt_buf_printf(&x->out, "\\x{%x}", v);
    x->i += (size_t)ndig + 1;
    return 0;
}

static int is_octal(char c) { return c >= '0' && c <= '7'; }

/* Octal escape: up to 3 octal digits starting at p[i]. */
static int rx_octal(rx *x)
{
    uint32_t v = 0;
    int k = 0;
    while (k < 3 && x->i < x->n && is_octal(x->pat[x->i])) {
        v = v * 8 + (uint32_t)(x->pat[x->i] - '0');
        x->i++;
        k++;
    }
    if (v > 0377) return rx_fail(x, "octal escape value > 0o377");
    tt_buf_printf(&x->out, "\\x{%x}", v);
    return 0;
}

/* One escape at p[i] == '\\'; in_class: inside [...]. */
static int rx_escape(rx *x, int in_class)
{
    x->i++;
    if (x->i >= x->n) return rx_fail(x, "bad escape (end of pattern)");
    char c = x->pat[x->i];
    switch (c) {
    case 'd': case 'D': case 'w': case 'W':
        tt_buf_printf(&x->out, "\\%c", c);
        x->i++;
        return 0;
    case 's':
        if (x->ascii) tt_buf_puts(&x->out, "\\s");
        else tt_buf_puts(&x->out, in_class ? PY_SPACE_ITEMS : "[" PY_SPACE_ITEMS "]");
        x->i++;
        return 0;
    case 'S':
        if (x->ascii || in_class) tt_buf_puts(&x->out, "\\S");
        else tt_buf_puts(&x->out, "[^" PY_SPACE_ITEMS "]");
        x->i++;
        return 0;
    case 'b':
        tt_buf_puts(&x->out, in_class ? "\\x{08}" : "\\b");
        x->i++;
        return 0;
    case 'B': case 'A': case 'Z':
        if (in_class) return rx_fail(x, "bad escape \\%c in a set", c);
        tt_buf_puts(&x->out, c == 'Z' ? "\\z" : c == 'A' ? "\\A" : "\\B");
        x->i++;
        return 0;
    case 'a': case 'f': case 'n': case 'r': case 't':
        tt_buf_printf(&x->out, "\\%c", c);
        x->i++;
        return 0;
    case 'v':
        tt_buf_puts(&x->out, "\\x{0b}");
        x->i++;
        return 0;
    case 'x': return rx_hex_escape(x, 2);
    case 'u': return rx_hex_escape(x, 4);
    case 'U': return rx_hex_escape(x, 8);
    case 'N': return rx_fail(x, "\\N{...} named characters are not supported");
    default: break;
    }
    if (c >= '0' && c <= '9') {
        /* Python: \0 and three octal digits are octal escapes; otherwise one
         * or two digits are a group reference (inside [...] only octal) */
        int three_octal = x->i + 2 < x->n && is_octal(c) && is_octal(x->pat[x->i + 1]) && is_octal(x->pat[x->i + 2]);
        if (c == '0' || three_octal) return rx_octal(x);
        if (in_class) return rx_fail(x, "bad escape \\%c in a set", c);
        int g = c - '0';
        x->i++;
        if (x->i < x->n && x->pat[x->i] >= '0' && x->pat[x->i] <= '9') g = g * 10 + (x->pat[x->i++] - '0');
        tt_buf_printf(&x->out, "\\g{%d}", g);
        return 0;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return rx_fail(x, "bad escape \\%c (not Python re syntax)", c);
    /* punctuation, space or a non-ASCII character: itself */
    size_t len = tt_utf8_char_len(x->pat + x->i, x->n - x->i);
    if ((unsigned char)c < 0x80) tt_buf_printf(&x->out, "\\%c", c);
    else tt_buf_append(&x->out, x->pat + x->i, len);
    x->i += len;
    return 0;
}

/* A set [...] starting at p[i] == '['. */
static int rx_class(rx *x)
{
    size_t start = x->i;
    tt_buf_puts(&x->out, "[");
    x->i++;
    if (x->i < x->n && x->pat[x->i] == '^') {
        tt_buf_puts(&x->out, "^");
        x->i++;
    }
    /* a ']' first is a literal */
    if (x->i < x->n && x->pat[x->i] == ']') {
        tt_buf_puts(&x->out, "\\]");
        x->i++;
    }
    while (1) {
        if (x->i >= x->n) {
            x->i = start;
            return rx_fail(x, "unterminated character set");
        }
        char c = x->pat[x->i];
        if (c == ']') {
            tt_buf_puts(&x->out, "]");
            x->i++;
            return 0;
        }
        if (c == '\\') {
            if (rx_escape(x, 1)) return -1;
            continue;
        }
        if (c == '[') {
            tt_buf_puts(&x->out, "\\[");
            x->i++;
            continue;
        }
        size_t len = tt_utf8_char_len(x->pat + x->i, x->n - x->i);
        tt_buf_append(&x->out, x->pat + x->i, len);
        x->i += len;
    }
}

/* Inline flags at p[i] == '(' p[i+1] == '?', p[i+2] a flag letter or '-'.
 * Leading global flags set options; scoped ones (?i:...) pass through. */
static int rx_flags(rx *x, uint32_t *options, int at_start)
{
    size_t j = x->i + 2;
    uint32_t on = 0;
    int ascii = 0, verbose = 0, minus = 0;
    tt_buf scoped;
    tt_buf_init(&scoped);
    tt_buf_puts(&scoped, "(?");
    for (; j < x->n && strchr("aiLmsux-", x->pat[j]); j++) {
        char f = x->pat[j];
        tt_buf_append(&scoped, &f, 1);
        if (f == '-') { minus = 1; continue; }
        if (f == 'L') { tt_buf_free(&scoped); return rx_fail(x, "flag L (locale) works only with bytes patterns"); }
        if (f == 'a') { if (minus) { tt_buf_free(&scoped); return rx_fail(x, "bad inline flag -a"); } ascii = 1; }
        if (f == 'u' && minus) { tt_buf_free(&scoped); return rx_fail(x, "bad inline flag -u"); }
        if (f == 'i') on |= PCRE2_CASELESS;
        if (f == 'm') on |= PCRE2_MULTILINE;
        if (f == 's') on |= PCRE2_DOTALL;
        if (f == 'x') verbose = 1;
    }
    if (j < x->n && x->pat[j] == ')') {
        tt_buf_free(&scoped);
        if (!at_start) return rx_fail(x, "global flags not at the start of the expression");
        if (minus) return rx_fail(x, "missing ':' after flags with '-'");
        *options |= on;
        if (ascii) x->ascii = 1;
        if (verbose) x->verbose = 1;
        x->i = j + 1;
        return 0;
    }
    if (j < x->n && x->pat[j] == ':') {
        if (ascii || strchr(tt_buf_str(&scoped), 'u')) {
            tt_buf_free(&scoped);
            return rx_fail(x, "scoped flags a and u are not supported");
        }
        tt_buf_puts(&scoped, ":");
        tt_buf_append(&x->out, scoped.data, scoped.len);
        tt_buf_free(&scoped);
        x->i = j + 1;
        return 0;
    }
    tt_buf_free(&scoped);
    return rx_fail(x, "unknown flag or missing ')' after flags");
}

/* A group opening at p[i] == '('. */
static int rx_group(rx *x, uint32_t *options, int at_start)
{
    const char *p = x->pat + x->i;
    size_t left = x->n - x->i;
    if (left >= 2 && p[1] == '*') return rx_fail(x, "nothing to repeat ('(*' verbs are not Python re syntax)");
    if (left < 2 || p[1] != '?') {
        tt_buf_puts(&x->out, "(");
        x->i++;
        return 0;
    }
    char c = left >= 3 ? p[2] : 0;
    if (c && strchr("aiLmsux-", c)) return rx_flags(x, options, at_start);
    if (c == ':' || c == '=' || c == '!' || c == '>') {
        tt_buf_append(&x->out, p, 3);
        x->i += 3;
        return 0;
    }
    if (c == '<' && left >= 4 && (p[3] == '=' || p[3] == '!')) {
        tt_buf_append(&x->out, p, 4);
        x->i += 4;
        return 0;
    }
    if (c == '#') {   /* comment: dropped */
        const char *close = memchr(p, ')', left);
        if (!close) return rx_fail(x, "missing ), unterminated comment");
        x->i += (size_t)(close - p) + 1;
        return 0;
    }
    if (c == 'P' && left >= 4 && (p[3] == '<' || p[3] == '=')) {
        /* (?P<name>...) and (?P=name): PCRE2 reads them as Python does */
        const char *close = memchr(p + 4, p[3] == '<' ? '>' : ')', left - 4);
        if (!close || close == p + 4) return rx_fail(x, "missing or empty group name");
        for (const char *q = p + 4; q < close; q++)
            if (!(isalnum((unsigned char)*q) || *q == '_'))
                return rx_fail(x, "group name must be an ASCII identifier here");
        size_t len = (size_t)(close - p) + 1;
        tt_buf_append(&x->out, p, len);
        x->i += len;
        return 0;
    }
    if (c == '(') {   /* conditional (?(id)yes|no): same syntax */
        tt_buf_puts(&x->out, "(?(");
        x->i += 3;
        return 0;
    }
    return rx_fail(x, "unknown extension ?%c", c ? c : ' ');
}

int pytext_regex_translate(const char *pat, char **out, uint32_t *options, char *err)
{
    *out = NULL;
    rx x = {.pat = pat, .n = strlen(pat), .err = err};
    tt_buf_init(&x.out);
    tt_buf_puts(&x.out, "");
    uint32_t opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ALT_CIRCUMFLEX;
    int rc = 0;
    /* leading global flags, possibly several groups of them */
    while (rc == 0 && x.i + 2 < x.n && x.pat[x.i] == '(' && x.pat[x.i + 1] == '?' &&
           strchr("aiLmsux", x.pat[x.i + 2])) {
        size_t before = x.out.len;
        rc = rx_group(&x, &opt, 1);
        if (x.out.len != before) break;   /* scoped flags: a group, not global */
    }
    while (rc == 0 && x.i < x.n) {
        char c = x.pat[x.i];
        if (x.verbose && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')) {
            x.i++;
            continue;
        }
        if (x.verbose && c == '#') {
            while (x.i < x.n && x.pat[x.i] != '\n') x.i++;
            continue;
        }
        if (c == '\\') rc = rx_escape(&x, 0);
        else if (c == '[') rc = rx_class(&x);
        else if (c == '(') rc = rx_group(&x, &opt, 0);
        else if (c == '{') {
            /* {,n} is {0,n} in Python; PCRE2 10.42 reads it as text */
            size_t j = x.i + 1;
            if (j < x.n && x.pat[j] == ',') {
                size_t k = j + 1;
                while (k < x.n && isdigit((unsigned char)x.pat[k])) k++;
                if (k > j + 1 && k < x.n && x.pat[k] == '}') {
                    tt_buf_puts(&x.out, "{0");
                    x.i++;
                    continue;
                }
            }
            tt_buf_puts(&x.out, "{");
            x.i++;
        } else {
            size_t len = tt_utf8_char_len(x.pat + x.i, x.n - x.i);
            tt_buf_append(&x.out, x.pat + x.i, len);
            x.i += len;
        }
    }
    if (rc) {
        tt_buf_free(&x.out);
        return TT_ERR_PARSE;
    }
    if (!x.ascii) opt |= PCRE2_UCP;
    *out = tt_buf_detach(&x.out);
    *options = opt;
    return TT_OK;
}

int pytext_regex_compile(pytext_regex *r, const char *pattern, char *err)
{
    memset(r, 0, sizeof *r);
    if (!pattern) return tt_fail(err, TT_ERR_PARSE, "regex: missing pattern");
    char *pc = NULL;
    uint32_t opt = 0;
    int rc = pytext_regex_translate(pattern, &pc, &opt, err);
    if (rc) return rc;
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    int ecode;
    PCRE2_SIZE eoff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pc, PCRE2_ZERO_TERMINATED, opt, &ecode, &eoff, cc);
    pcre2_compile_context_free(cc);
    if (!code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ecode, msg, sizeof msg);
        tt_fail(err, TT_ERR_PARSE, "regex '%s': %s (at offset %zu of its PCRE2 form '%s')", pattern, (char *)msg,
                (size_t)eoff, pc);
        free(pc);
        return TT_ERR_PARSE;
    }
    free(pc);
    uint32_t groups = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
    r->code = code;
    r->n_groups = (int)groups;
    return TT_OK;
}

void pytext_regex_free(pytext_regex *r)
{
    if (!r) return;
    pcre2_code_free((pcre2_code *)r->code);
    memset(r, 0, sizeof *r);
}

/* Calls fn for each non-overlapping match of r in s, in Python 3.7+'s
 * order: after an empty match the next match may not be empty at the same
 * position (PCRE2_NOTEMPTY_ATSTART); a non-empty one may be followed by an
 * empty one where it ends. ov: the match's offset pairs (unset groups are
 * PCRE2_UNSET). */
typedef void (*match_fn)(void *ctx, const char *s, const PCRE2_SIZE *ov);

static void scan(const pytext_regex *r, const char *s, match_fn fn, void *ctx)
{
    if (!r->code) return;
    const pcre2_code *code = r->code;
    size_t n = strlen(s);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    PCRE2_SIZE pos = 0;
    uint32_t flags = 0;
    while (pos <= n) {
        int rc = pcre2_match(code, (PCRE2_SPTR)s, n, pos, flags, md, NULL);
        if (rc < 0) break;   /* no match (or a resource limit: no more matches) */
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        fn(ctx, s, ov);
        if (ov[1] == ov[0]) flags = PCRE2_NOTEMPTY_ATSTART;
        else flags = 0;
        pos = ov[1];
    }
    pcre2_match_data_free(md);
}

typedef struct findall_ctx {
    const pytext_regex *r;
    pytext_span *v;
    size_t n, cap;
} findall_ctx;

static void findall_cb(void *vctx, const char *s, const PCRE2_SIZE *ov)
{
    findall_ctx *c = vctx;
    pytext_span sp = { NULL, 0 };
    if (c->r->n_groups == 0) {
        sp.p = s + ov[0];
        sp.len = ov[1] - ov[0];
    } else {
        for (int g = 1; g <= c->r->n_groups; g++) {
            PCRE2_SIZE so = ov[2 * g], eo = ov[2 * g + 1];
            int set = so != PCRE2_UNSET;
            size_t len = set ? eo - so : 0;
            if (c->r->n_groups == 1) {
                sp.p = set ? s + so : s;
                sp.len = len;
                break;
            }
            if (len > 0) { sp.p = s + so; sp.len = len; break; }
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

int pytext_regex_search(const pytext_regex *r, const char *s, pytext_span *match)
{
    if (!r->code) return 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->code, NULL);
    int rc = pcre2_match(r->code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
    if (rc >= 0) {
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        match->p = s + ov[0];
        match->len = ov[1] - ov[0];
    }
    pcre2_match_data_free(md);
    return rc >= 0;
}

typedef struct remove_ctx {
    tt_buf out;
    size_t copied;   /* bytes of s already handled */
} remove_ctx;

static void remove_cb(void *vctx, const char *s, const PCRE2_SIZE *ov)
{
    remove_ctx *c = vctx;
    size_t so = ov[0];
    if (so > c->copied) tt_buf_append(&c->out, s + c->copied, so - c->copied);
    c->copied = ov[1];
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

int pytext_regex_match(const pytext_regex *r, const char *s, size_t start, pytext_span *spans, int n_spans)
{
    if (!r->code) return 0;
    size_t n = strlen(s);
    if (start > n) return 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->code, NULL);
    int rc = pcre2_match(r->code, (PCRE2_SPTR)s, n, start, 0, md, NULL);
    if (rc >= 0) {
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        uint32_t pairs = pcre2_get_ovector_count(md);
        for (int g = 0; g < n_spans; g++) {
            if ((uint32_t)g < pairs && ov[2 * g] != PCRE2_UNSET) {
                spans[g].p = s + ov[2 * g];
                spans[g].len = ov[2 * g + 1] - ov[2 * g];
            } else {
                spans[g].p = NULL;
                spans[g].len = 0;
            }
        }
    }
    pcre2_match_data_free(md);
    return rc >= 0;
}

/* One piece of a parsed replacement template: literal text, or a group. */
typedef struct repl_piece {
    char *text;   /* literal, or NULL for a group */
    int group;
} repl_piece;

static void repl_free(repl_piece *v, int n)
{
    for (int i = 0; i < n; i++) free(v[i].text);
    free(v);
}

static void repl_push(repl_piece **v, int *n, tt_buf *lit, int group)
{
    if (lit && lit->len) {
        *v = tt_realloc(*v, sizeof **v * (size_t)(*n + 1));
        (*v)[(*n)++] = (repl_piece){tt_strndup(lit->data, lit->len), 0};
        tt_buf_reset(lit);
    }
    if (group >= 0) {
        *v = tt_realloc(*v, sizeof **v * (size_t)(*n + 1));
        (*v)[(*n)++] = (repl_piece){NULL, group};
    }
}

/* Python's sre_parse.parse_template. */
static int repl_parse(const pytext_regex *r, const char *repl, repl_piece **out, int *n_out, char *err)
{
    repl_piece *v = NULL;
    int n = 0;
    tt_buf lit;
    tt_buf_init(&lit);
    for (const char *p = repl; *p;) {
        if (*p != '\\') {
            tt_buf_append(&lit, p++, 1);
            continue;
        }
        char c = p[1];
        if (!c) {
            repl_free(v, n);
            tt_buf_free(&lit);
            return tt_fail(err, TT_ERR_PARSE, "bad escape (end of pattern) in the replacement '%s'", repl);
        }
        const char *simple = strchr("ntrabfv\\", c);
        if (simple && c) {
            static const char map[] = {'\n', '\t', '\r', '\a', '\b', '\f', '\v', '\\'};
            tt_buf_append(&lit, &map[simple - "ntrabfv\\"], 1);
            p += 2;
        } else if (c == 'g') {
            const char *lt = p + 2, *gt = *lt == '<' ? strchr(lt, '>') : NULL;
            if (!gt || gt == lt + 1) {
                repl_free(v, n);
                tt_buf_free(&lit);
                return tt_fail(err, TT_ERR_PARSE, "bad \\g<...> group reference in the replacement '%s'", repl);
            }
            char name[64];
            size_t len = (size_t)(gt - lt - 1);
            if (len >= sizeof name) len = sizeof name - 1;
            memcpy(name, lt + 1, len);
            name[len] = 0;
            int g = -1;
            if (isdigit((unsigned char)name[0])) {
                char *e;
                long x = strtol(name, &e, 10);
                if (!*e) g = (int)x;
            } else if (r->code) {
                int k = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)name);
                if (k > 0) g = k;
            }
            if (g < 0 || g > r->n_groups) {
                repl_free(v, n);
                tt_buf_free(&lit);
                return tt_fail(err, TT_ERR_PARSE, "unknown group '%s' in the replacement '%s'", name, repl);
            }
            repl_push(&v, &n, &lit, g);
            p = gt + 1;
        } else if (c == '0' || (c >= '1' && c <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7')) {
            /* octal: \0, \0o, \0oo, or three octal digits */
            int val = 0, k = 1, max = c == '0' ? 3 : 3;
            while (k <= max && p[k] >= '0' && p[k] <= '7') val = val * 8 + (p[k++] - '0');
            char ch = (char)val;
            tt_buf_append(&lit, &ch, 1);
            p += k;
        } else if (isdigit((unsigned char)c)) {
            int g = c - '0', k = 2;
            if (isdigit((unsigned char)p[2])) g = g * 10 + (p[2] - '0'), k = 3;
            if (g > r->n_groups) {
                repl_free(v, n);
                tt_buf_free(&lit);
                return tt_fail(err, TT_ERR_PARSE, "invalid group reference %d in the replacement '%s'", g, repl);
            }
            repl_push(&v, &n, &lit, g);
            p += k;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            repl_free(v, n);
            tt_buf_free(&lit);
            return tt_fail(err, TT_ERR_PARSE, "bad escape \\%c in the replacement '%s'", c, repl);
        } else {
            tt_buf_append(&lit, p, 2);
            p += 2;
        }
    }
    repl_push(&v, &n, &lit, -1);
    tt_buf_free(&lit);
    *out = v;
    *n_out = n;
    return TT_OK;
}

typedef struct sub_ctx {
    tt_buf out;
    size_t copied;
    const repl_piece *pieces;
    int n_pieces, count, done;
} sub_ctx;

static void sub_cb(void *vctx, const char *s, const PCRE2_SIZE *ov)
{
    sub_ctx *c = vctx;
    if (c->count > 0 && c->done >= c->count) return;
    c->done++;
    if (ov[0] > c->copied) tt_buf_append(&c->out, s + c->copied, ov[0] - c->copied);
    for (int i = 0; i < c->n_pieces; i++) {
        if (c->pieces[i].text) tt_buf_puts(&c->out, c->pieces[i].text);
        else {
            int g = c->pieces[i].group;
            if (ov[2 * g] != PCRE2_UNSET) tt_buf_append(&c->out, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        }
    }
    c->copied = ov[1];
}

char *pytext_regex_sub(const pytext_regex *r, const char *s, const char *repl, int count, char *err)
{
    repl_piece *pieces = NULL;
    int n_pieces = 0;
    if (repl_parse(r, repl, &pieces, &n_pieces, err) != TT_OK) return NULL;
    sub_ctx c = {.copied = 0, .pieces = pieces, .n_pieces = n_pieces, .count = count, .done = 0};
    tt_buf_init(&c.out);
    tt_buf_puts(&c.out, "");
    scan(r, s, sub_cb, &c);
    size_t n = strlen(s);
    if (n > c.copied) tt_buf_append(&c.out, s + c.copied, n - c.copied);
    repl_free(pieces, n_pieces);
    return tt_buf_detach(&c.out);
}
