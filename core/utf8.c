/*
 * utf8.c — UTF-8 cleaning for model text (see arena/utf8.h).
 */
#include "core/utf8.h"
#include "core/util.h"

#include <stdint.h>

/* Length of the valid sequence at s[0..n), or 0 if invalid; *need is set
 * to the full length the lead byte announces. */
static size_t seq_len(const unsigned char *s, size_t n, size_t *need)
{
    unsigned char b = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b < 0x80) { *need = 1; return b ? 1 : 0; }
    if (b >= 0xC2 && b <= 0xDF) len = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else {
        *need = 1;
        return 0;
    }
    *need = len;
    if (n < 2 || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (i >= n || (s[i] & 0xC0) != 0x80) return 0;
    return len;
}

char *arena_utf8_clean(const char *s, size_t n)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    if (!s) return tt_buf_detach(&b);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t need, k = seq_len(p + i, n - i, &need);
        if (k) {
            tt_buf_append(&b, s + i, k);
            i += k;
        } else {
            tt_buf_append(&b, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    return tt_buf_detach(&b);
}

size_t arena_utf8_complete_prefix(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    /* find the start of the last sequence: back over at most 3 continuation bytes */
    size_t start = n;
    for (size_t back = 1; back <= 4 && back <= n; back++) {
        unsigned char c = p[n - back];
        if ((c & 0xC0) != 0x80) {
            start = n - back;
            break;
        }
    }
    if (start == n) return n;
    size_t need;
    size_t have = n - start;
    if (seq_len(p + start, have, &need) == 0 && need > have) {
        /* incomplete, but is what is there a valid beginning? */
        size_t full;
        unsigned char tmp[4] = {p[start], 0x80, 0x80, 0x80};
        for (size_t i = 1; i < have; i++) tmp[i] = p[start + i];
        if (p[start] == 0xE0 && have < 2) tmp[1] = 0xA0;
        if (p[start] == 0xF0 && have < 2) tmp[1] = 0x90;
        if (seq_len(tmp, need, &full) == need) return start;
    }
    return n;
}
