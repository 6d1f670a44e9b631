/*
 * escape.h — text escaping and number formatting shared by the report
 * writers: Markdown table cells, RFC 4180 CSV fields, HTML text and
 * attributes, gnuplot string literals and data-file labels, base64 for
 * data: URIs, and round-trip number formatting for "unrounded" output.
 * Every function appends to a tt_buf; NULL strings append nothing.
 */
#ifndef TIANTI_REPORT_ESCAPE_H
#define TIANTI_REPORT_ESCAPE_H

#include "core/util.h"

/* Markdown table cell: '|' -> '\|', '\\' -> '\\\\', '*' -> '\*', '`' -> '\`',
 * '<' -> "&lt;", newlines -> space. */
void report_md_cell(tt_buf *b, const char *s);
/* CSV field (RFC 4180): quoted when it holds ',', '"', CR, LF or starts or
 * ends with a space; quotes doubled inside. */
void report_csv_field(tt_buf *b, const char *s);
/* HTML text or attribute value: & < > " ' escaped. */
void report_html(tt_buf *b, const char *s);
/* Body of a gnuplot double-quoted string: '\\' and '"' escaped, control
 * characters replaced by spaces. */
void report_gp_string(tt_buf *b, const char *s);
/* Standard base64 with padding. */
void report_base64(tt_buf *b, const unsigned char *data, size_t len);
/* Shortest "%.{15,16,17}g" that reads back to the same double; "" for NaN
 * (the callers decide how to show a missing number). */
void report_num(tt_buf *b, double v);

#endif
