/*
 * report.h — `tianti report`: turns a report_table (table.h) into files in
 * one output directory:
 *   leaderboard.md     GitHub-flavoured Markdown (md.c)
 *   *.csv              one tidy CSV per table (csv.c)
 *   leaderboard.json   machine-readable, shape in docs/report-json.md (json.c)
 *   index.html         one self-contained page, charts embedded (html.c)
 *   charts/<id>.{gp,dat,png,svg}  gnuplot script, data, images (plot.c)
 * report_render() runs them in that order (charts first, so the documents
 * can show them). Each writer also has a *_render() that builds the text in
 * memory, which the unit tests use. Called by cli/cmd_report.c.
 */
#ifndef TIANTI_REPORT_H
#define TIANTI_REPORT_H

#include "core/util.h"
#include "reports/table.h"

#define REPORT_MAX_CHARTS 8

/* Formats to write, as bits. */
enum {
    REPORT_HTML = 1,
    REPORT_MD = 2,
    REPORT_CSV = 4,
    REPORT_JSON = 8,
    REPORT_ALL = 15
};

typedef struct report_chart {
    char id[32];          /* "ratings", "winfrac", ... (file stem) */
    char *title;          /* human title */
    char *png, *svg;      /* paths relative to the output dir, NULL if not drawn */
    int width, height;    /* PNG size in pixels */
} report_chart;

typedef struct report_charts {
    report_chart items[REPORT_MAX_CHARTS];
    int n;
    char *skipped;        /* why charts were not drawn (NULL when they were); owned */
} report_charts;

/* Writes the chart scripts and data under dir/charts and runs gnuplot on
 * them (program: $TIANTI_GNUPLOT or "gnuplot"). Charts without data are not
 * made. If gnuplot is missing or fails, charts->skipped says so and the call
 * still succeeds; TT_ERR_IO only when files cannot be written. */
int report_plot(const report_table *t, const char *dir, report_charts *charts, char *err);
void report_charts_free(report_charts *c);

/* Sizes of the PNGs plot.c draws (the integration test checks them); the
 * heatmaps grow beyond 12 models (report_chart has the actual size). */
#define REPORT_PNG_W 1000
#define REPORT_PNG_H 600
#define REPORT_HEATMAP_W 900
#define REPORT_HEATMAP_H 800

/* In-memory renderers (append to out) and file writers. charts may be NULL. */
void report_md_render(const report_table *t, const report_charts *charts, tt_buf *out);
int report_write_md(const report_table *t, const report_charts *charts, const char *dir, char *err);

/* CSV tables written by report_write_csv(): leaderboard.csv, accuracy.csv,
 * ratings.csv, bench.csv, pairs.csv, elo_history.csv, runs.csv. */
typedef enum report_csv_kind {
    REPORT_CSV_LEADERBOARD, REPORT_CSV_ACCURACY, REPORT_CSV_RATINGS, REPORT_CSV_BENCH,
    REPORT_CSV_PAIRS, REPORT_CSV_ELO_HISTORY, REPORT_CSV_RUNS, REPORT_CSV_COUNT
} report_csv_kind;
const char *report_csv_name(report_csv_kind k);     /* "leaderboard.csv" ... */
void report_csv_render(const report_table *t, report_csv_kind k, tt_buf *out);
int report_write_csv(const report_table *t, const char *dir, char *err);

/* JSON text (UTF-8, 2-space indent, keys in a fixed order). */
void report_json_render(const report_table *t, const report_charts *charts, tt_buf *out);
int report_write_json(const report_table *t, const report_charts *charts, const char *dir, char *err);

/* HTML page. dir is where chart files are read from to embed them (may be
 * NULL: no images embedded). */
void report_html_render(const report_table *t, const report_charts *charts, const char *dir, tt_buf *out);
int report_write_html(const report_table *t, const report_charts *charts, const char *dir, char *err);

/* Creates dir and writes the formats in `formats` (REPORT_* bits); draws the
 * charts when html or md is asked for. notes (optional) receives one line per
 * thing that was missing or skipped, for the command to print. */
int report_render(const report_table *t, const char *dir, int formats, tt_buf *notes, char *err);

/* Small shared formatting used by several writers (fmt.c). */
/* "0.612 ± 0.021" style accuracy text; "" when the cell is absent. */
void report_fmt_cell(tt_buf *b, const report_cell *c);
/* "1,234.5 MiB" style bytes; "" for NaN. */
void report_fmt_bytes(tt_buf *b, double bytes);
/* Fixed decimals, "" for NaN. */
void report_fmt_fixed(tt_buf *b, double v, int decimals);
/* "12.3 ± 0.4", then " ≈" when within_noise (report_row.tg_within_noise);
 * nothing for NaN. */
void report_fmt_speed(tt_buf *b, double tps, double sd, int within_noise);
/* The sentence that says what the mean task score averages (text only, the
 * caller escapes it for its format). */
void report_fmt_mean_tasks(tt_buf *b, const report_table *t);

#endif
