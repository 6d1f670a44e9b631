/*
 * render.c — report_render(): makes the output directory, draws the charts
 * (when a document that shows them is asked for), and runs each requested
 * writer. Collects one line per missing piece into notes for the command
 * to print. Called by cli/cmd_report.c.
 */
#include "reports/report.h"

int report_render(const report_table *t, const char *dir, int formats, tt_buf *notes, char *err)
{
    int rc = tt_mkdir_p(dir, err);
    if (rc) return rc;
    report_charts charts = {0};
    int charts_made = 0;
    if (formats & (REPORT_HTML | REPORT_MD | REPORT_JSON)) {
        rc = report_plot(t, dir, &charts, err);
        if (rc) return rc;
        charts_made = 1;
    }
    if (!rc && (formats & REPORT_MD)) rc = report_write_md(t, &charts, dir, err);
    if (!rc && (formats & REPORT_CSV)) rc = report_write_csv(t, dir, err);
    if (!rc && (formats & REPORT_JSON)) rc = report_write_json(t, &charts, dir, err);
    if (!rc && (formats & REPORT_HTML)) rc = report_write_html(t, &charts, dir, err);
    if (notes) {
        for (int i = 0; i < t->n_missing; i++) tt_buf_printf(notes, "%s\n", t->missing[i]);
        if (charts.skipped) tt_buf_printf(notes, "charts skipped: %s\n", charts.skipped);
        else if (charts_made) {
            int drawn = 0;
            for (int i = 0; i < charts.n; i++) drawn += charts.items[i].png != NULL;
            tt_buf_printf(notes, "%d charts drawn in %s/charts\n", drawn, dir);
        }
    }
    report_charts_free(&charts);
    return rc;
}
