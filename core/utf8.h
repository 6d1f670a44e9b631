/*
 * utf8.h — the one place Tianti reads, writes and repairs UTF-8 (RFC 3629).
 *
 * Why it exists: model text arrives as bytes. A streamed piece may end in the
 * middle of a character, byte tokens of a small model may be invalid UTF-8,
 * and jansson refuses invalid UTF-8 outright; display code wants widths in
 * characters, templates index strings by character. Every one of those
 * questions is answered here, with one definition of a valid sequence:
 * shortest form, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 *
 * A "character" below is a valid sequence, or a single byte that does not
 * start one; counting, offsets and cleaning all walk the text in those
 * units, so tt_utf8_codepoints(s) == tt_utf8_codepoints(tt_utf8_clean(s)).
 *
 * Who uses it: engines/glm/tokenizer.c (decode/encode on the hot path, hence
 * static inline here), engines/glm/glm_engine.c, engines/serve/serve.c and
 * arena/web.c (streamed text held back at an incomplete tail),
 * engines/http/http_client.c, reports/json.c, arena/, judges/ (cleaning),
 * harness/template.c (indexing), judges/metrics.c, reports/plot.c,
 * bench/bench_output.c, cli/cmd_results.c (lengths), core/pytext.c.
 */
#ifndef TIANTI_UTF8_H
#define TIANTI_UTF8_H

#include "core/util.h"

#include <stddef.h>
#include <stdint.h>

/* U+FFFD REPLACEMENT CHARACTER, what every invalid byte becomes. */
#define TT_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* 1 when c is a continuation byte (10xxxxxx). */
static inline int tt_utf8_is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* Decodes the character at s[0..n), n > 0. A valid sequence gives its code
 * point and *len = its length (1-4). Anything else (a byte that cannot lead,
 * a sequence cut short by n or by a non-continuation byte, an overlong form,
 * a surrogate, a value above U+10FFFF) gives the first byte's own value with
 * *len = 1, so callers can step over it; such a byte is told apart from a
 * real U+0080..U+00FF by *len == 1 with a value >= 0x80.
 * Inline because the GLM tokenizer calls it once per character. */
static inline uint32_t tt_utf8_decode(const char *s, size_t n, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t c = p[0];
    *len = 1;
    if (c < 0x80) return c;
    if (c < 0xC2 || c > 0xF4) return c;
    if (c < 0xE0) {
        if (n < 2 || !tt_utf8_is_cont(p[1])) return c;
        *len = 2;
        return (c & 0x1F) << 6 | (p[1] & 0x3Fu);
    }
    if (c < 0xF0) {
        if (n < 3 || !tt_utf8_is_cont(p[1]) || !tt_utf8_is_cont(p[2])) return c;
        uint32_t cp = (c & 0x0F) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return c;
        *len = 3;
        return cp;
    }
    if (n < 4 || !tt_utf8_is_cont(p[1]) || !tt_utf8_is_cont(p[2]) || !tt_utf8_is_cont(p[3])) return c;
    uint32_t cp = (c & 0x07) << 18 | (p[1] & 0x3Fu) << 12 | (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu);
    if (cp < 0x10000 || cp > 0x10FFFF) return c;
    *len = 4;
    return cp;
}

/* Writes the UTF-8 form of code point cp (< 0x110000) to out; returns its
 * length (1-4). Surrogates are written as they are (the caller's business). */
static inline size_t tt_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length (1-4) of the valid sequence at s[0..n), or 0 when it is not one
 * (n == 0 gives 0). */
static inline size_t tt_utf8_seq_len(const char *s, size_t n)
{
    if (n == 0) return 0;
    size_t len;
    uint32_t cp = tt_utf8_decode(s, n, &len);
    return len == 1 && cp >= 0x80 ? 0 : len;
}

/* Length of the character at s[0..n), n > 0: the valid sequence's length,
 * or 1 for a byte that does not start one. */
static inline size_t tt_utf8_char_len(const char *s, size_t n)
{
    size_t len;
    tt_utf8_decode(s, n, &len);
    return len;
}

/* Length of the longest prefix of s[0..n) that is valid UTF-8 (n when all
 * of it is). NUL bytes are valid. */
size_t tt_utf8_valid_prefix(const char *s, size_t n);

/* 1 when all of s[0..n) is valid UTF-8. */
static inline int tt_utf8_valid(const char *s, size_t n) { return tt_utf8_valid_prefix(s, n) == n; }

/* Number of characters in s[0..len): valid sequences and invalid bytes
 * count one each. */
size_t tt_utf8_codepoints(const char *s, size_t len);

/* Byte offset of character i of s[0..len) (characters as counted by
 * tt_utf8_codepoints); len when i is at or past the end. */
size_t tt_utf8_offset(const char *s, size_t len, size_t i);

/* Start of the character that holds byte i of s: i moved back over at most
 * three continuation bytes, never below lo. Used to cut text on a boundary. */
size_t tt_utf8_char_start(const char *s, size_t lo, size_t i);

/* Length of the longest prefix of s[0..n) that does not end inside a
 * sequence that more bytes could still complete: a streamed piece is sent up
 * to here and the rest waits for the next piece. Bytes that can never become
 * valid (a bad lead, "\xE0\x80") are not held back; cleaning deals with them. */
size_t tt_utf8_complete_prefix(const char *s, size_t n);

/* Bytes at the end of s[0..n) that tt_utf8_complete_prefix holds back (0-3). */
static inline size_t tt_utf8_incomplete_tail(const char *s, size_t n) { return n - tt_utf8_complete_prefix(s, n); }

/* Appends s[0..n) to b with every invalid byte replaced by U+FFFD, so that
 * the result is always valid UTF-8 (what jansson accepts). NUL bytes are
 * valid UTF-8 and JSON can carry them (\u0000): they are kept when keep_nul,
 * replaced by U+FFFD otherwise (for text that must stay a C string). NULL s
 * appends nothing. b ends up initialised (never NULL data) either way. */
void tt_utf8_clean_append(tt_buf *b, const char *s, size_t n, int keep_nul);

/* A clean copy of s[0..n) as a C string: invalid bytes and NULs become
 * U+FFFD. Caller frees. NULL s gives "". */
char *tt_utf8_clean(const char *s, size_t n);

#endif
