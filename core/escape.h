/*
 * escape.h — text escaping and number formatting, written once for every
 * writer of CSV, HTML, Markdown and gnuplot text: Markdown table cells,
 * RFC 4180 CSV fields, HTML text and attributes, gnuplot string literals and
 * data-file labels, base64 for data: URIs, and round-trip number formatting
 * for "unrounded" output. Every function appends to a tt_buf (CSV also has a
 * FILE* form for commands that print rows as they go); NULL strings append
 * nothing.
 *
 * Who uses it: reports/ (md.c, csv.c, html.c, plot.c, json.c, fmt.c),
 * bench/bench_output.c and cli/cmd_results.c, cli/cmd_ratings.c (CSV rows),
 * arena/web.c (the HTML leaderboard). JSON text is never escaped by hand:
 * jansson does it.
 */
#ifndef TIANTI_ESCAPE_H
#define TIANTI_ESCAPE_H

#include "core/util.h"

#include <stdio.h>

/* Markdown table cell: '|' -> '\|', '\\' -> '\\\\', '*' -> '\*', '`' -> '\`',
 * '<' -> "&lt;", newlines -> space. */
void tt_md_cell(tt_buf *b, const char *s);
/* CSV field (RFC 4180): quoted when it holds ',', '"', CR, LF or starts or
 * ends with a space (so readers that trim fields keep the spaces); quotes
 * doubled inside. */
void tt_csv_field(tt_buf *b, const char *s);
/* The same field written to f. */
void tt_csv_field_fput(FILE *f, const char *s);
/* HTML text or attribute value: & < > " ' escaped. */
void tt_html_escape(tt_buf *b, const char *s);
/* Body of a gnuplot double-quoted string: '\\' and '"' escaped, control
 * characters replaced by spaces. */
void tt_gp_string(tt_buf *b, const char *s);
/* Standard base64 with padding. */
void tt_base64(tt_buf *b, const unsigned char *data, size_t len);
/* Shortest "%.{15,16,17}g" that reads back to the same double; "" for NaN
 * (the callers decide how to show a missing number). */
void tt_num_roundtrip(tt_buf *b, double v);

#endif
