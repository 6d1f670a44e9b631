/*
 * escape.c — escaping and number formatting (contract and callers in
 * escape.h).
 */
#include "core/escape.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tt_md_cell(tt_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '|': tt_buf_puts(b, "\\|"); break;
        case '\\': tt_buf_puts(b, "\\\\"); break;
        case '<': tt_buf_puts(b, "&lt;"); break;
        case '*': tt_buf_puts(b, "\\*"); break;
        case '`': tt_buf_puts(b, "\\`"); break;
        case '\n': case '\r': tt_buf_puts(b, " "); break;
        default: tt_buf_append(b, s, 1);
        }
    }
}

void tt_csv_field(tt_buf *b, const char *s)
{
    if (!s) return;
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote) {
        tt_buf_append(b, s, n);
        return;
    }
    tt_buf_puts(b, "\"");
    for (; *s; s++) {
        if (*s == '"') tt_buf_puts(b, "\"");
        tt_buf_append(b, s, 1);
    }
    tt_buf_puts(b, "\"");
}

void tt_csv_field_fput(FILE *f, const char *s)
{
    if (!s) return;
    tt_buf b;
    tt_buf_init(&b);
    tt_csv_field(&b, s);
    fwrite(tt_buf_str(&b), 1, b.len, f);
    tt_buf_free(&b);
}

void tt_html_escape(tt_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': tt_buf_puts(b, "&amp;"); break;
        case '<': tt_buf_puts(b, "&lt;"); break;
        case '>': tt_buf_puts(b, "&gt;"); break;
        case '"': tt_buf_puts(b, "&quot;"); break;
        case '\'': tt_buf_puts(b, "&#39;"); break;
        default: tt_buf_append(b, s, 1);
        }
    }
}

void tt_gp_string(tt_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\' || c == '"') {
            tt_buf_puts(b, "\\");
            tt_buf_append(b, s, 1);
        } else if (c < 0x20 || c == 0x7f) {
            tt_buf_puts(b, " ");
        } else {
            tt_buf_append(b, s, 1);
        }
    }
}

void tt_base64(tt_buf *b, const unsigned char *d, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
        q[0] = tab[v >> 18 & 63], q[1] = tab[v >> 12 & 63], q[2] = tab[v >> 6 & 63], q[3] = tab[v & 63];
        tt_buf_append(b, q, 4);
    }
    if (i < len) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < len ? (unsigned)d[i + 1] << 8 : 0);
        q[0] = tab[v >> 18 & 63], q[1] = tab[v >> 12 & 63];
        q[2] = i + 1 < len ? tab[v >> 6 & 63] : '=';
        q[3] = '=';
        tt_buf_append(b, q, 4);
    }
}

void tt_num_roundtrip(tt_buf *b, double v)
{
    if (isnan(v)) return;
    if (isinf(v)) {
        tt_buf_puts(b, v > 0 ? "inf" : "-inf");
        return;
    }
    char s[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (strtod(s, NULL) == v) break;
    }
    tt_buf_puts(b, s);
}
