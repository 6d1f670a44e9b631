/*
 * utf8.c — UTF-8 validation, counting, cutting and cleaning (contract and
 * users in utf8.h; decode and encode are inline there).
 */
#include "core/utf8.h"

#include <string.h>

size_t tt_utf8_valid_prefix(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {   /* ASCII runs are the common case */
            i++;
            continue;
        }
        size_t k = tt_utf8_seq_len(s + i, n - i);
        if (!k) break;
        i += k;
    }
    return i;
}

size_t tt_utf8_codepoints(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; n++) i += tt_utf8_char_len(s + i, len - i);
    return n;
}

size_t tt_utf8_offset(const char *s, size_t len, size_t i)
{
    size_t off = 0;
    for (; i > 0 && off < len; i--) off += tt_utf8_char_len(s + off, len - off);
    return off;
}

size_t tt_utf8_char_start(const char *s, size_t lo, size_t i)
{
    size_t k = i;
    while (k > lo && i - k < 3 && tt_utf8_is_cont((unsigned char)s[k])) k--;
    return k;
}

/* Length a lead byte announces (2-4), or 0 for a byte that cannot lead a
 * multi-byte sequence. */
static size_t lead_need(unsigned char c)
{
    if (c >= 0xC2 && c <= 0xDF) return 2;
    if (c >= 0xE0 && c <= 0xEF) return 3;
    if (c >= 0xF0 && c <= 0xF4) return 4;
    return 0;
}

size_t tt_utf8_complete_prefix(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    /* the last character starts at most 3 continuation bytes back */
    size_t start = n;
    for (size_t back = 1; back <= 4 && back <= n; back++) {
        if (!tt_utf8_is_cont(p[n - back])) {
            start = n - back;
            break;
        }
    }
    if (start == n) return n;
    size_t have = n - start, need = lead_need(p[start]);
    if (have >= need) return n;   /* complete, or a byte that cannot lead */
    /* Cut short: hold it back only if more bytes could still make it valid.
     * The second byte's range excludes overlongs (E0, F0), surrogates (ED)
     * and values above U+10FFFF (F4). */
    unsigned char lo = 0x80, hi = 0xBF;
    if (p[start] == 0xE0) lo = 0xA0;
    if (p[start] == 0xED) hi = 0x9F;
    if (p[start] == 0xF0) lo = 0x90;
    if (p[start] == 0xF4) hi = 0x8F;
    if (have >= 2 && (p[start + 1] < lo || p[start + 1] > hi)) return n;
    return start;   /* later bytes are continuation bytes by the search above */
}

void tt_utf8_clean_append(tt_buf *b, const char *s, size_t n, int keep_nul)
{
    tt_buf_append(b, "", 0);
    if (!s) return;
    size_t i = 0;
    while (i < n) {
        /* copy the valid run in one go, then replace one bad byte */
        size_t run = tt_utf8_valid_prefix(s + i, n - i);
        if (!keep_nul) {
            const char *z = memchr(s + i, 0, run);
            if (z) run = (size_t)(z - (s + i));
        }
        tt_buf_append(b, s + i, run);
        i += run;
        if (i < n) {
            tt_buf_append(b, TT_UTF8_REPLACEMENT, 3);
            i++;
        }
    }
}

char *tt_utf8_clean(const char *s, size_t n)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_utf8_clean_append(&b, s, n, 0);
    return tt_buf_detach(&b);
}
