/*
 * fmt.c — rounded display formats shared by the human-facing writers
 * (md.c, html.c): accuracy with stderr, bytes in MiB/GiB, fixed decimals,
 * speeds with their ± and the mark for noise, the tasks in the mean.
 * The machine formats (csv.c, json.c) never round; they use tt_num_roundtrip().
 */
#include "reports/report.h"

#include <math.h>

void report_fmt_fixed(tt_buf *b, double v, int decimals)
{
    if (isnan(v)) return;
    tt_buf_printf(b, "%.*f", decimals, v);
}

void report_fmt_cell(tt_buf *b, const report_cell *c)
{
    if (!c || !c->has) return;
    if (isnan(c->value)) {
        tt_buf_puts(b, "N/A");
        return;
    }
    tt_buf_printf(b, "%.4f", c->value);
    if (!isnan(c->se)) tt_buf_printf(b, " ± %.4f", c->se);
}

void report_fmt_bytes(tt_buf *b, double bytes)
{
    if (isnan(bytes)) return;
    double mib = bytes / (1024.0 * 1024.0);
    if (mib >= 10240) tt_buf_printf(b, "%.1f GiB", mib / 1024.0);
    else if (mib >= 100) tt_buf_printf(b, "%.0f MiB", mib);
    else tt_buf_printf(b, "%.1f MiB", mib);
}

void report_fmt_speed(tt_buf *b, double tps, double sd, int within_noise)
{
    if (isnan(tps)) return;
    tt_buf_printf(b, "%.1f", tps);
    if (!isnan(sd)) tt_buf_printf(b, " ± %.1f", sd);
    if (within_noise) tt_buf_puts(b, " ≈");
}

void report_fmt_mean_tasks(tt_buf *b, const report_table *t)
{
    if (t->n_mean_tasks == 0) {
        tt_buf_puts(b, "no task has a value for every model, so there is none");
        return;
    }
    tt_buf_printf(b, "mean of the primary metric over the %d task%s every model with results has (", t->n_mean_tasks,
                  t->n_mean_tasks == 1 ? "" : "s");
    for (int i = 0; i < t->n_mean_tasks; i++) tt_buf_printf(b, "%s%s", i ? ", " : "", t->mean_tasks[i]);
    tt_buf_puts(b, "), so that every row averages the same tasks");
}
