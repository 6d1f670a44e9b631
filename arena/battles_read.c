/*
 * battles_read.c — the battle-file reader of battles.h. Chatbot Arena's
 * battle files run to millions of records of a few fields each; reading
 * them through a general JSON library (a tree per line) was most of the
 * cost of `tianti ratings`. This reader:
 *   - maps the file (mmap; a plain read for pipes and empty files);
 *   - checks each record's JSON syntax completely with a small scanner
 *     (strings with escapes and control characters, numbers by the JSON
 *     grammar, literals, nesting) and picks out the fields it knows,
 *     skipping the rest without building anything;
 *   - converts numbers with the exact fast path (an integer mantissa of at
 *     most 15 digits scaled by an exact power of ten is correctly rounded
 *     by one IEEE operation; anything else goes to strtod);
 *   - parses JSON Lines in chunks cut at line starts, one tt_parallel_for
 *     item each, every chunk into its own list and string pool, then joins
 *     the chunks in file order, mapping pool indices (strpool.h) rather
 *     than hashing a million names again;
 *   - hands the rare nested fields (conversations, conv_metadata,
 *     category_tag, categories) to jansson and arena/conv.h.
 * A record's syntax is checked before its fields, so "invalid JSON" wins
 * over a field error in the same record, as with a whole-record parser;
 * the first error in file order is the one reported.
 */
#include "arena/battles.h"
#include "arena/strpool.h"
#include "core/pool.h"
#include "core/utf8.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 512
#define STYLE_W (2 * ARENA_STYLE_N)

/* ---- the scanner ------------------------------------------------------------ */

enum jtype { J_NONE = 0, J_STR, J_NUM, J_TRUE, J_FALSE, J_NULL, J_OBJ, J_ARR };

typedef struct scan {
    const char *p, *end;
    const char *bad;          /* where the syntax error is */
    const char *why;          /* what it is */
} scan;

static int fail_syntax(scan *s, const char *at, const char *why)
{
    s->bad = at;
    s->why = why;
    return -1;
}

/* JSON whitespace: ' ', '\t', '\n', '\r'. */
static const unsigned char is_ws[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};

static inline void skip_ws(scan *s)
{
    const char *p = s->p, *end = s->end;
    while (p < end && is_ws[(unsigned char)*p]) p++;
    s->p = p;
}

static int hex4(const char *p, unsigned *v)
{
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        x <<= 4;
        if (c >= '0' && c <= '9') x |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') x |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') x |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *v = x;
    return 0;
}

/* A string at s->p ('"'): sets the span of its raw contents and whether it
 * holds escapes; s->p goes past the closing quote. */
static int scan_string(scan *s, const char **start, size_t *len, int *escaped)
{
    const char *p = s->p + 1;
    *escaped = 0;
    *start = p;
    for (;;) {
        /* fast run over plain bytes, eight at a time: stop at a word holding
         * '"', '\\' or a control character */
        while (s->end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
            uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
            uint64_t hit = (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & high;
            if (hit) {
                /* the lowest flagged byte is exact (false flags only sit above a true one) */
                p += __builtin_ctzll(hit) / 8;
                break;
            }
            p += 8;
        }
        if (p < s->end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
            while (p < s->end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
        if (p >= s->end) return fail_syntax(s, p, "unterminated string");
        if (*p == '"') break;
        if ((unsigned char)*p < 0x20) return fail_syntax(s, p, "control character in a string");
        /* a backslash */
        *escaped = 1;
        if (p + 1 >= s->end) return fail_syntax(s, p, "unterminated string");
        char c = p[1];
        if (c == 'u') {
            unsigned v;
            if (p + 6 > s->end || hex4(p + 2, &v)) return fail_syntax(s, p, "invalid \\u escape");
            p += 6;
        } else if (strchr("\"\\/bfnrt", c) && c) {
            p += 2;
        } else {
            return fail_syntax(s, p, "invalid escape");
        }
    }
    *len = (size_t)(p - *start);
    s->p = p + 1;
    return 0;
}

/* Decodes a scanned string with escapes into out (NUL-terminated). -1 on a
 * lone surrogate. */
static int decode_string(const char *p, size_t n, tt_buf *out)
{
    tt_buf_reset(out);
    const char *end = p + n;
    while (p < end) {
        const char *q = p;
        while (q < end && *q != '\\') q++;
        tt_buf_append(out, p, (size_t)(q - p));
        if (q >= end) break;
        char c = q[1];
        p = q + 2;
        if (c != 'u') {
            char r = c == 'b' ? '\b' : c == 'f' ? '\f' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
            tt_buf_append(out, &r, 1);
            continue;
        }
        /* the scanner checked the escape; checked again so this stands alone */
        unsigned v;
        if (q + 6 > end || hex4(q + 2, &v)) return -1;
        p = q + 6;
        uint32_t cp = v;
        if (v >= 0xD800 && v <= 0xDBFF) {
            unsigned lo;
            if (p + 6 > end || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) return -1;
            cp = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        } else if (v >= 0xDC00 && v <= 0xDFFF) {
            return -1;
        }
        if (cp == 0) return -1;   /* a NUL cannot live in a C string */
        char enc[4];
        tt_buf_append(out, enc, tt_utf8_encode(cp, enc));
    }
    if (!out->data) tt_buf_puts(out, "");
    return 0;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A JSON number at s->p; *v its value. */
static int scan_number(scan *s, double *v)
{
    const char *p = s->p, *start = p;
    int neg = 0;
    if (p < s->end && *p == '-') neg = 1, p++;
    if (p >= s->end || *p < '0' || *p > '9') return fail_syntax(s, start, "invalid number");
    uint64_t mant = 0;
    int digits = 0, frac_digits = 0, exact = 1;
    if (*p == '0') {
        p++;
    } else {
        /* eight digits at a time while the mantissa stays exact */
        while (s->end - p >= 8 && digits + 8 <= 15) {
            uint64_t x;
            memcpy(&x, p, 8);
            if ((((x & 0xF0F0F0F0F0F0F0F0ull) | (((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) !=
                 0x3333333333333333ull))
                break;
            x -= 0x3030303030303030ull;
            x = (x * 10) + (x >> 8);
            x = (((x & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
                 (((x >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
            mant = mant * 100000000ull + x;
            digits += 8;
            p += 8;
        }
        while (p < s->end && *p >= '0' && *p <= '9') {
            if (digits < 15) mant = mant * 10 + (uint64_t)(*p - '0');
            else exact = 0;
            if (mant || digits) digits++;
            p++;
        }
    }
    if (p < s->end && *p == '.') {
        p++;
        if (p >= s->end || *p < '0' || *p > '9') return fail_syntax(s, start, "invalid number");
        while (p < s->end && *p >= '0' && *p <= '9') {
            if (digits < 15) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                if (mant || digits) digits++;
                frac_digits++;
            } else {
                exact = 0;
            }
            p++;
        }
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        exact = 0;
        p++;
        if (p < s->end && (*p == '+' || *p == '-')) p++;
        if (p >= s->end || *p < '0' || *p > '9') return fail_syntax(s, start, "invalid number");
        while (p < s->end && *p >= '0' && *p <= '9') p++;
    }
    s->p = p;
    if (exact && frac_digits <= 22) {
        double m = (double)mant;
        *v = frac_digits ? m / pow10_exact[frac_digits] : m;
        if (neg) *v = -*v;
        return 0;
    }
    size_t n = (size_t)(p - start);
    char small[64];
    char *buf = n < sizeof small ? small : tt_malloc(n + 1);
    memcpy(buf, start, n);
    buf[n] = 0;
    *v = strtod(buf, NULL);
    if (buf != small) free(buf);
    return 0;
}

static int scan_literal(scan *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n)) return fail_syntax(s, s->p, "invalid literal");
    s->p += n;
    return 0;
}

/* Checks and skips one value; *type its kind. */
static int skip_value(scan *s, int depth, enum jtype *type)
{
    if (depth > MAX_DEPTH) return fail_syntax(s, s->p, "nested too deep");
    skip_ws(s);
    if (s->p >= s->end) return fail_syntax(s, s->p, "unexpected end of input");
    const char *st;
    size_t len;
    int esc;
    double v;
    switch (*s->p) {
    case '"': *type = J_STR; return scan_string(s, &st, &len, &esc);
    case 't': *type = J_TRUE; return scan_literal(s, "true", 4);
    case 'f': *type = J_FALSE; return scan_literal(s, "false", 5);
    case 'n': *type = J_NULL; return scan_literal(s, "null", 4);
    case '[': {
        *type = J_ARR;
        s->p++;
        skip_ws(s);
        if (s->p < s->end && *s->p == ']') { s->p++; return 0; }
        for (;;) {
            enum jtype t;
            if (skip_value(s, depth + 1, &t)) return -1;
            skip_ws(s);
            if (s->p < s->end && *s->p == ',') { s->p++; continue; }
            if (s->p < s->end && *s->p == ']') { s->p++; return 0; }
            return fail_syntax(s, s->p, "',' or ']' expected");
        }
    }
    case '{': {
        *type = J_OBJ;
        s->p++;
        skip_ws(s);
        if (s->p < s->end && *s->p == '}') { s->p++; return 0; }
        for (;;) {
            skip_ws(s);
            if (s->p >= s->end || *s->p != '"') return fail_syntax(s, s->p, "string or '}' expected");
            if (scan_string(s, &st, &len, &esc)) return -1;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':') return fail_syntax(s, s->p, "':' expected");
            s->p++;
            enum jtype t;
            if (skip_value(s, depth + 1, &t)) return -1;
            skip_ws(s);
            if (s->p < s->end && *s->p == ',') { s->p++; continue; }
            if (s->p < s->end && *s->p == '}') { s->p++; return 0; }
            return fail_syntax(s, s->p, "',' or '}' expected");
        }
    }
    default:
        *type = J_NUM;
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) return scan_number(s, &v);
        return fail_syntax(s, s->p, "unexpected character");
    }
}

/* ---- one record ----------------------------------------------------------------- */

enum {
    F_MODEL_A, F_MODEL_B, F_WINNER, F_TSTAMP, F_SOURCE, F_JUDGE, F_ANONY, F_LANGUAGE, F_TURN, F_CATEGORIES,
    F_IS_CODE, F_CATEGORY_TAG, F_CONV_METADATA, F_CONV_A, F_CONV_B, N_FIELDS
};

static const struct { const char *name; size_t len; } field_names[N_FIELDS] = {
    {"model_a", 7},  {"model_b", 7},   {"winner", 6},       {"tstamp", 6},        {"source", 6},
    {"judge", 5},    {"anony", 5},     {"language", 8},     {"turn", 4},          {"categories", 10},
    {"is_code", 7},  {"category_tag", 12}, {"conv_metadata", 13}, {"conversation_a", 14}, {"conversation_b", 14},
};

typedef struct field {
    enum jtype type;      /* J_NONE: absent */
    const char *start;    /* the value's text (strings: contents without quotes) */
    size_t len;
    int escaped;
    double num;
} field;

/* a[0..n) == b[0..n) for short strings, without a call. */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return 0;
        a += 8, b += 8, n -= 8;
    }
    while (n--)
        if (*a++ != *b++) return 0;
    return 1;
}

/* The first and last (up to) 8 bytes of s[0..n) as words, zero-padded;
 * 0 < n. Reads only s[0..n). */
static inline void word_ends(const char *s, size_t n, uint64_t *head, uint64_t *tail)
{
    *head = *tail = 0;
    if (n >= 8) {
        memcpy(head, s, 8);
        memcpy(tail, s + n - 8, 8);
    } else {
        for (size_t i = 0; i < n; i++) *head |= (uint64_t)(unsigned char)s[i] << (8 * i);
        *tail = *head;
    }
}

/* word_ends for a string inside a buffer that runs on to limit: one masked
 * load when 8 bytes can be read. */
static inline void word_ends_in(const char *s, size_t n, const char *limit, uint64_t *head, uint64_t *tail)
{
    if (n < 8 && limit - s >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        *head = *tail = n ? w & (~0ull >> (64 - 8 * n)) : 0;
        return;
    }
    word_ends(s, n, head, tail);
}

/* The known field names as end words (word_ends), made once per parse. */
typedef struct keytab {
    uint64_t head[N_FIELDS], tail[N_FIELDS];
} keytab;

static void keytab_init(keytab *t)
{
    for (int i = 0; i < N_FIELDS; i++) word_ends(field_names[i].name, field_names[i].len, &t->head[i], &t->tail[i]);
}

/* Which known field a key names, or -1: a key of 4 to 14 bytes is equal to
 * a name when its length and first and last 8 bytes are (which covers
 * every byte). A record has a handful of keys and this runs for each. */
static int field_of(const keytab *t, const char *k, size_t n, int escaped, const char *limit)
{
    if (escaped || n < 4 || n > 14) return -1;
    uint64_t kh, kt;
    word_ends_in(k, n, limit, &kh, &kt);
    for (int i = 0; i < N_FIELDS; i++)
        if (field_names[i].len == n && t->head[i] == kh && t->tail[i] == kt) return i;
    return -1;
}

/* Scans the object at s->p, filling f[] with the known fields. *type is
 * the top-level value's type (a record that is not an object is checked
 * as JSON first, then refused by the caller). */
static int scan_record(scan *s, const keytab *keys, field *f, unsigned *seen, enum jtype *type)
{
    *seen = 0;   /* which fields the record has: nothing else of f[] is read */
    skip_ws(s);
    if (s->p >= s->end || *s->p != '{') return skip_value(s, 0, type);
    *type = J_OBJ;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') { s->p++; return 0; }
    for (;;) {
        skip_ws(s);
        if (s->p >= s->end || *s->p != '"') return fail_syntax(s, s->p, "string or '}' expected");
        const char *k;
        size_t kn;
        int kesc;
        if (scan_string(s, &k, &kn, &kesc)) return -1;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':') return fail_syntax(s, s->p, "':' expected");
        s->p++;
        skip_ws(s);
        int id = field_of(keys, k, kn, kesc, s->end);
        if (id < 0) {
            enum jtype t;
            if (skip_value(s, 1, &t)) return -1;
        } else {
            field *x = &f[id];
            *seen |= 1u << id;
            x->escaped = 0;
            if (s->p < s->end && *s->p == '"') {
                x->type = J_STR;
                if (scan_string(s, &x->start, &x->len, &x->escaped)) return -1;
            } else if (s->p < s->end && (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))) {
                x->type = J_NUM;
                if (scan_number(s, &x->num)) return -1;
            } else {
                x->start = s->p;
                if (skip_value(s, 1, &x->type)) return -1;
                x->len = (size_t)(s->p - x->start);
            }
        }
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') { s->p++; continue; }
        if (s->p < s->end && *s->p == '}') { s->p++; return 0; }
        return fail_syntax(s, s->p, "',' or '}' expected");
    }
}

/* ---- turning fields into a battle ------------------------------------------------- */

typedef struct chunk {
    const char *text;            /* the whole input */
    size_t start, end;           /* this chunk's bytes */
    int array;                   /* the input is one JSON array */
    const arena_read_opts *o;
    const keytab *keys;
    arena_battles out;           /* with its own pool */
    tt_buf s1, s2;               /* decoding scratch */
    struct { const char *p; size_t n; uint64_t head, tail; } seen[256];
                                 /* strings interned so far (records repeat a few names) */
    int n_seen;
    /* the first error */
    int rc;
    size_t err_off;              /* offset of the failing line or syntax error */
    long record;                 /* array: the failing record, else -1 */
    int syntax;                  /* the error is bad JSON */
    char msg[TT_ERR_SIZE];
} chunk;

static int chunk_fail(chunk *c, size_t off, long record, int syntax, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int chunk_fail(chunk *c, size_t off, long record, int syntax, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->rc = TT_ERR_PARSE;
    c->err_off = off;
    c->record = record;
    c->syntax = syntax;
    return TT_ERR_PARSE;
}

/* Interns s[0..n) in the chunk's pool, through a small open-addressing
 * table of the strings seen (up to 128 of them) keyed by their length and
 * end words; equal when those are and, beyond 16 bytes, the bytes are. */
static const char *chunk_intern(chunk *c, const char *s, size_t n)
{
    uint64_t head = 0, tail = 0;
    const char *limit = s >= c->text && s < c->text + c->end ? c->text + c->end : s + n;
    if (n) word_ends_in(s, n, limit, &head, &tail);
    uint64_t x = (head * 0x9E3779B97F4A7C15ull) ^ (tail * 0xC2B2AE3D27D4EB4Full) ^ (n * 0xD6E8FEB86659FD93ull);
    unsigned h = (unsigned)(x >> 56);
    for (int probe = 0; probe < 256; probe++, h = (h + 1) & 255u) {
        if (!c->seen[h].p) break;
        if (c->seen[h].n == n && c->seen[h].head == head && c->seen[h].tail == tail &&
            (n <= 16 || same_bytes(c->seen[h].p, s, n)))
            return c->seen[h].p;
    }
    const char *r = arena_battles_intern_n(&c->out, s, n);
    if (c->n_seen < 128 && !c->seen[h].p) {
        c->seen[h].p = r;
        c->seen[h].n = n;
        c->seen[h].head = head;
        c->seen[h].tail = tail;
        c->n_seen++;
    }
    return r;
}

/* The string value of a field, decoded when needed and checked as UTF-8;
 * NULL when it cannot be (a lone surrogate, bad UTF-8). */
static const char *field_string(const field *x, tt_buf *scratch, size_t *n)
{
    if (x->escaped) {
        if (decode_string(x->start, x->len, scratch)) return NULL;
        *n = scratch->len;
        return tt_utf8_valid(scratch->data, scratch->len) ? scratch->data : NULL;
    }
    *n = x->len;
    /* ASCII needs no check */
    size_t i = 0;
    for (; i + 8 <= x->len; i += 8) {
        uint64_t w;
        memcpy(&w, x->start + i, 8);
        if (w & 0x8080808080808080ull) return tt_utf8_valid(x->start, x->len) ? x->start : NULL;
    }
    for (; i < x->len; i++)
        if ((unsigned char)x->start[i] >= 0x80) return tt_utf8_valid(x->start, x->len) ? x->start : NULL;
    return x->start;
}

static unsigned language_from_name(const char *s, size_t n)
{
    if ((n == 2 && !strncasecmp(s, "en", 2)) || (n == 7 && !strncasecmp(s, "english", 7))) return ARENA_CAT_EN;
    if ((n == 2 && !strncasecmp(s, "zh", 2)) || (n == 7 && !strncasecmp(s, "chinese", 7)) ||
        (n > 3 && !strncasecmp(s, "zh-", 3)))
        return ARENA_CAT_ZH;
    if (n == 0 || (n == 7 && !strncasecmp(s, "unknown", 7))) return 0;
    return ARENA_CAT_OTHER_LANG;
}

static json_t *field_json(const field *x)
{
    if (x->type != J_OBJ && x->type != J_ARR) return NULL;
    return json_loadb(x->start, x->len, 0, NULL);
}

/* Chatbot Arena's category_tag: hard when at least 6 of the 7 criteria of
 * criteria_v0.1 hold (their "hard_6"), math from math_v0.1. */
static unsigned category_tag_bits(json_t *tag)
{
    unsigned cats = 0;
    json_t *crit = json_object_get(tag, "criteria_v0.1");
    if (json_is_object(crit)) {
        int yes = 0;
        const char *k;
        json_t *v;
        json_object_foreach(crit, k, v) yes += json_is_true(v);
        if (yes >= 6) cats |= ARENA_CAT_HARD;
    }
    if (json_is_true(json_object_get(json_object_get(tag, "math_v0.1"), "math"))) cats |= ARENA_CAT_MATH;
    return cats;
}

/* Validates the fields of one record and appends the battle. where: the
 * error location prefix is made by the caller from (off, record). */
/* The type of field id: J_NONE when the record does not have it. */
#define TY(id) ((seen >> (id)) & 1u ? f[id].type : J_NONE)

static int add_record(chunk *c, const field *f, unsigned seen, size_t off, long record)
{
    const char *names[2] = {"model_a", "model_b"};
    const char *models[2];
    size_t mlen[2];
    tt_buf *scratch[2] = {&c->s1, &c->s2};
    for (int i = 0; i < 2; i++) {
        const field *x = &f[i];
        if (!TY(i)) return chunk_fail(c, off, record, 0, "missing field '%s'", names[i]);
        if (TY(i) != J_STR || x->len == 0 || !(models[i] = field_string(x, scratch[i], &mlen[i])) || mlen[i] == 0)
            return chunk_fail(c, off, record, 0, "field '%s' must be a non-empty string", names[i]);
    }
    if (mlen[0] == mlen[1] && !memcmp(models[0], models[1], mlen[0]))
        return chunk_fail(c, off, record, 0, "field 'model_b' names the same model as 'model_a' ('%.*s')",
                          (int)(mlen[0] > 200 ? 200 : mlen[0]), models[0]);
    const field *w = &f[F_WINNER];
    if (!TY(F_WINNER)) return chunk_fail(c, off, record, 0, "missing field 'winner'");
    judge_winner winner = JUDGE_TIE;
    int ok = TY(F_WINNER) == J_STR && !w->escaped;
    if (ok) {
        if (w->len == 7 && !memcmp(w->start, "model_a", 7)) winner = JUDGE_WIN_A;
        else if (w->len == 7 && !memcmp(w->start, "model_b", 7)) winner = JUDGE_WIN_B;
        else if (w->len == 3 && !memcmp(w->start, "tie", 3)) winner = JUDGE_TIE;
        else if (w->len == 13 && !memcmp(w->start, "tie (bothbad)", 13)) winner = JUDGE_TIE_BOTHBAD;
        else ok = 0;
    }
    if (!ok)
        return chunk_fail(c, off, record, 0,
                          "field 'winner' must be \"model_a\", \"model_b\", \"tie\" or \"tie (bothbad)\"");
    double tstamp = 0;
    const field *t = &f[F_TSTAMP];
    if (TY(F_TSTAMP) && TY(F_TSTAMP) != J_NULL) {
        if (TY(F_TSTAMP) != J_NUM || !isfinite(t->num)) return chunk_fail(c, off, record, 0, "field 'tstamp' must be a number");
        tstamp = t->num;
    }
    const char *opt[2] = {NULL, NULL};
    size_t optn[2] = {0, 0};
    const int opt_fields[2] = {F_SOURCE, F_JUDGE};
    for (int i = 0; i < 2; i++) {
        const field *x = &f[opt_fields[i]];
        if (!TY(opt_fields[i]) || TY(opt_fields[i]) == J_NULL) continue;
        if (TY(opt_fields[i]) != J_STR) return chunk_fail(c, off, record, 0, "field '%s' must be a string", field_names[opt_fields[i]].name);
        /* decoded into scratch only when escaped: the model names may hold the scratch */
        if (x->escaped) {
            tt_buf tmp;
            tt_buf_init(&tmp);
            const char *v = field_string(x, &tmp, &optn[i]);
            opt[i] = v ? arena_battles_intern_n(&c->out, v, optn[i]) : NULL;
            tt_buf_free(&tmp);
            if (!v) return chunk_fail(c, off, record, 0, "field '%s' must be a string", field_names[opt_fields[i]].name);
        } else {
            opt[i] = field_string(x, NULL, &optn[i]);
            if (!opt[i]) return chunk_fail(c, off, record, 0, "field '%s' must be a string", field_names[opt_fields[i]].name);
            opt[i] = chunk_intern(c, opt[i], optn[i]);
        }
    }
    arena_battles *l = &c->out;
    const char *ma = chunk_intern(c, models[0], mlen[0]);
    const char *mb = chunk_intern(c, models[1], mlen[1]);
    /* appended directly: the strings are interned already */
    arena_battle *b = arena_battles_add(l, NULL, NULL, winner, tstamp, NULL, NULL);
    b->model_a = ma;
    b->model_b = mb;
    b->source = opt[0];
    b->judge = opt[1];
    size_t bi = l->n - 1;

    /* the optional facts */
    if (TY(F_ANONY) == J_FALSE) b->bad |= ARENA_BAD_NOT_ANONYMOUS;
    if (TY(F_LANGUAGE) == J_STR) {
        size_t n;
        const char *v = field_string(&f[F_LANGUAGE], &c->s1, &n);
        if (v) b->cats |= language_from_name(v, n);
    }
    if (TY(F_TURN) == J_NUM && f[F_TURN].num >= 1 && f[F_TURN].num < 1e6) b->turns = (int)f[F_TURN].num;
    if (TY(F_IS_CODE) == J_TRUE) b->cats |= ARENA_CAT_CODE;
    if (TY(F_CATEGORIES) == J_ARR) {
        json_t *arr = field_json(&f[F_CATEGORIES]);
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) {
            if (!json_is_string(v)) continue;
            unsigned bit;
            if (arena_category_parse(json_string_value(v), &bit, NULL) == TT_OK) b->cats |= bit;
        }
        json_decref(arr);
    }
    if (TY(F_CATEGORY_TAG) == J_OBJ) {
        json_t *tag = field_json(&f[F_CATEGORY_TAG]);
        b->cats |= category_tag_bits(tag);
        json_decref(tag);
    }
    double user_tokens = -1;
    if (TY(F_CONV_METADATA) == J_OBJ) {
        json_t *md = field_json(&f[F_CONV_METADATA]);
        char *js = json_dumps(md, JSON_COMPACT);
        double st[STYLE_W];
        if (arena_style_from_json(js, st)) {
            arena_battles_set_style(l, bi, st);
            b = &l->v[bi];
        }
        free(js);
        json_t *ut = json_object_get(md, "sum_user_tokens");
        if (json_is_number(ut)) user_tokens = json_number_value(ut);
        json_decref(md);
    }
    if (TY(F_CONV_A) || TY(F_CONV_B)) {
        char *ja = TY(F_CONV_A) ? tt_strndup(f[F_CONV_A].start, f[F_CONV_A].len) : NULL;
        char *jb = TY(F_CONV_B) ? tt_strndup(f[F_CONV_B].start, f[F_CONV_B].len) : NULL;
        arena_conv_facts facts;
        char cerr[TT_ERR_SIZE];
        if (arena_conv_analyse_json(ja, jb, c->o ? c->o->identity : NULL, ma, mb, &facts, cerr) != TT_OK) {
            free(ja);
            free(jb);
            return chunk_fail(c, off, record, 0, "%s", cerr);
        }
        b = &l->v[bi];
        b->bad |= facts.bad;
        if (!b->turns) b->turns = facts.turns;
        if (!(b->cats & ARENA_CAT_LANGS)) b->cats |= facts.cats & ARENA_CAT_LANGS;
        unsigned topics = facts.cats & ~(unsigned)(ARENA_CAT_LANGS | ARENA_CAT_LONG);
        b->cats |= topics;
        if (user_tokens < 0) user_tokens = facts.user_tokens;
        if (!b->has_style) {
            arena_battles_set_style(l, bi, (const double *)facts.style);
            b = &l->v[bi];
        }
        if (c->o && c->o->keep_text) {
            if (!l->text) l->text = tt_calloc(l->cap * 2, sizeof *l->text);
            l->text[2 * bi] = ja;
            l->text[2 * bi + 1] = jb;
        } else {
            free(ja);
            free(jb);
        }
    }
    if (user_tokens >= 500) b->cats |= ARENA_CAT_LONG;
    if (b->turns >= 2) b->cats |= ARENA_CAT_MULTITURN;
    return TT_OK;
}

#undef TY

/* ---- JSON Lines chunks and arrays ------------------------------------------------------ */

static int parse_lines_chunk(chunk *c)
{
    const char *text = c->text;
    size_t pos = c->start;
    field f[N_FIELDS];
    unsigned seen = 0;
    while (pos < c->end) {
        const char *nl = memchr(text + pos, '\n', c->end - pos);
        size_t eol = nl ? (size_t)(nl - text) : c->end;
        size_t s0 = pos;
        while (s0 < eol && (text[s0] == ' ' || text[s0] == '\t' || text[s0] == '\r')) s0++;
        if (s0 < eol) {
            scan s = {text + s0, text + eol, NULL, NULL};
            enum jtype type;
            if (scan_record(&s, c->keys, f, &seen, &type))
                return chunk_fail(c, pos, -1, 1, "invalid JSON: %s", s.why);
            while (s.p < s.end && (*s.p == ' ' || *s.p == '\t' || *s.p == '\r')) s.p++;
            if (s.p < s.end) return chunk_fail(c, pos, -1, 1, "invalid JSON: end of line expected after the record");
            if (type != J_OBJ) return chunk_fail(c, pos, -1, 0, "a battle must be a JSON object");
            if (add_record(c, f, seen, pos, -1)) return TT_ERR_PARSE;
        }
        pos = eol + 1;
    }
    return TT_OK;
}

static int parse_array(chunk *c)
{
    const char *text = c->text;
    /* the whole text must be JSON before any record is judged */
    scan whole = {text + c->start, text + c->end, NULL, NULL};
    enum jtype wt;
    if (skip_value(&whole, 0, &wt))
        return chunk_fail(c, (size_t)(whole.bad - text), -1, 1, "invalid JSON: %s", whole.why);
    skip_ws(&whole);
    if (whole.p < whole.end) return chunk_fail(c, (size_t)(whole.p - text), -1, 1, "invalid JSON: end of file expected");
    scan s = {text + c->start, text + c->end, NULL, NULL};
    field f[N_FIELDS];
    unsigned seen = 0;
    skip_ws(&s);
    s.p++;   /* '[' */
    skip_ws(&s);
    long record = 0;
    if (s.p < s.end && *s.p == ']') {
        s.p++;
    } else {
        for (;;) {
            enum jtype type;
            if (scan_record(&s, c->keys, f, &seen, &type))
                return chunk_fail(c, (size_t)(s.bad - text), -1, 1, "invalid JSON: %s", s.why);
            if (type != J_OBJ) return chunk_fail(c, 0, record, 0, "a battle must be a JSON object");
            if (add_record(c, f, seen, 0, record)) return TT_ERR_PARSE;
            record++;
            skip_ws(&s);
            if (s.p < s.end && *s.p == ',') { s.p++; continue; }
            if (s.p < s.end && *s.p == ']') { s.p++; break; }
            return chunk_fail(c, (size_t)(s.p - text), -1, 1, "invalid JSON: ',' or ']' expected");
        }
    }
    skip_ws(&s);
    if (s.p < s.end) return chunk_fail(c, (size_t)(s.p - text), -1, 1, "invalid JSON: end of file expected");
    return TT_OK;
}

static int chunk_item(void *ctx, size_t i, int worker)
{
    (void)worker;
    chunk *c = &((chunk *)ctx)[i];
    if (c->array) parse_array(c);
    else parse_lines_chunk(c);
    return 0;
}

/* 1-based line of byte off. */
static size_t line_of(const char *text, size_t off)
{
    size_t line = 1;
    for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + off - p))) != NULL; p++) line++;
    return line;
}

/* Appends chunk c's battles to out, mapping c's pool onto out's. */
static void join_chunk(arena_battles *out, chunk *c)
{
    arena_battles *l = &c->out;
    if (!l->n) return;
    uint32_t np = arena_strpool_count(l->pool);
    const char **map = tt_malloc((np ? np : 1) * sizeof *map);
    for (uint32_t i = 0; i < np; i++) map[i] = arena_battles_intern(out, arena_strpool_get(l->pool, i));
#define MAP(p) ((p) ? map[arena_strpool_index(p)] : NULL)
    size_t base = out->n;
    if (base + l->n > out->cap) {
        size_t cap = out->cap ? out->cap : 64;
        while (cap < base + l->n) cap *= 2;
        out->v = tt_realloc(out->v, cap * sizeof *out->v);
        if (out->style) out->style = tt_realloc(out->style, cap * STYLE_W * sizeof *out->style);
        if (out->text) {
            out->text = tt_realloc(out->text, cap * 2 * sizeof *out->text);
            memset(out->text + 2 * out->cap, 0, (cap - out->cap) * 2 * sizeof *out->text);
        }
        out->cap = cap;
    }
    for (size_t i = 0; i < l->n; i++) {
        arena_battle b = l->v[i];
        b.model_a = MAP(b.model_a);
        b.model_b = MAP(b.model_b);
        b.source = MAP(b.source);
        b.judge = MAP(b.judge);
        out->v[base + i] = b;
    }
#undef MAP
    out->n = base + l->n;
    if (l->style) {
        if (!out->style) out->style = tt_calloc(out->cap, STYLE_W * sizeof *out->style);
        memcpy(out->style + base * STYLE_W, l->style, l->n * STYLE_W * sizeof *l->style);
    }
    if (l->text) {
        if (!out->text) out->text = tt_calloc(out->cap * 2, sizeof *out->text);
        memcpy(out->text + 2 * base, l->text, l->n * 2 * sizeof *l->text);
        free(l->text);   /* the strings now belong to out */
        l->text = NULL;
    }
    free(map);
}

int arena_battles_parse_opts(arena_battles *out, const char *text, size_t len, const char *name,
                             const arena_read_opts *opts, char *err)
{
    if (!name) name = "<input>";
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) i++;
    int array = i < len && text[i] == '[';
    size_t n_chunks = 1;
    int threads = opts && opts->threads > 0 ? opts->threads : 0;
    if (!array && len > (1u << 20)) {
        int workers = tt_pool_workers(threads, (size_t)-1);
        n_chunks = (size_t)workers * 4;
        if (n_chunks > len / (256u << 10)) n_chunks = len / (256u << 10);
        if (n_chunks < 1) n_chunks = 1;
    }
    chunk *ch = tt_calloc(n_chunks, sizeof *ch);
    keytab keys;
    keytab_init(&keys);
    size_t prev = array ? i : 0;
    for (size_t k = 0; k < n_chunks; k++) {
        size_t end = k + 1 == n_chunks ? len : len / n_chunks * (k + 1);
        if (k + 1 < n_chunks) {
            const char *nl = end > prev ? memchr(text + end, '\n', len - end) : NULL;
            end = nl ? (size_t)(nl - text) + 1 : len;
            if (end < prev) end = prev;
        }
        ch[k] = (chunk){.text = text, .start = prev, .end = end, .array = array, .o = opts, .keys = &keys, .record = -1};
        arena_battles_init(&ch[k].out);
        /* room for records of ~80 bytes up front: no copying while the list grows */
        size_t guess = (end - prev) / 80 + 16;
        ch[k].out.v = arena_big_alloc(guess * sizeof *ch[k].out.v);
        ch[k].out.cap = guess;
        tt_buf_init(&ch[k].s1);
        tt_buf_init(&ch[k].s2);
        prev = end;
    }
    tt_parallel_for(n_chunks, n_chunks > 1 ? threads : 1, chunk_item, ch);
    int rc = TT_OK;
    size_t total = out->n;
    for (size_t k = 0; k < n_chunks; k++) total += ch[k].out.n;
    arena_battles_reserve(out, total);
    for (size_t k = 0; k < n_chunks; k++) {
        chunk *c = &ch[k];
        if (rc == TT_OK) join_chunk(out, c);
        if (rc == TT_OK && c->rc != TT_OK) {
            if (c->record >= 0)
                rc = tt_fail(err, c->rc, "%s: record %ld: %s", name, c->record, c->msg);
            else
                rc = tt_fail(err, c->rc, "%s:%zu: %s", name, line_of(text, c->err_off), c->msg);
        }
        arena_battles_free(&c->out);
        tt_buf_free(&c->s1);
        tt_buf_free(&c->s2);
    }
    free(ch);
    return rc;
}

int arena_battles_parse(arena_battles *out, const char *text, size_t len, const char *name, char *err)
{
    return arena_battles_parse_opts(out, text, len, name, NULL, err);
}

int arena_battles_read_file_opts(arena_battles *out, const char *path, const arena_read_opts *opts, char *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return tt_fail(err, TT_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        size_t len = (size_t)st.st_size;
        void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED) return tt_fail(err, TT_ERR_IO, "cannot map '%s': %s", path, strerror(errno));
        madvise(map, len, MADV_SEQUENTIAL | MADV_WILLNEED);
        int rc = arena_battles_parse_opts(out, map, len, path, opts, err);
        munmap(map, len);
        return rc;
    }
    close(fd);
    char *text;
    size_t len;
    int rc = tt_read_file(path, &text, &len, err);
    if (rc != TT_OK) return rc;
    rc = arena_battles_parse_opts(out, text, len, path, opts, err);
    free(text);
    return rc;
}

int arena_battles_read_file(arena_battles *out, const char *path, char *err)
{
    return arena_battles_read_file_opts(out, path, NULL, err);
}
