/*
 * html.c — index.html: the whole report as one self-contained page. Styles
 * and the table-sorting script are inline, charts are embedded as
 * data:image/png;base64 URIs (the SVG, script and data sit beside it in
 * charts/, linked relatively), nothing is fetched from the network. Every
 * text from the store goes through tt_html_escape(). Tables scroll sideways on
 * a phone; clicking a column header sorts by it (numbers by their raw value
 * in data-v). Called by render.c.
 */
#include "core/escape.h"
#include "reports/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char css[] =
    "*{box-sizing:border-box}"
    "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK SC',sans-serif;margin:0;"
    "padding:0 1rem 2rem;color:#1d2330;background:#fafafa;line-height:1.45}"
    "header,main{max-width:1200px;margin:0 auto}"
    "h1{font-size:1.6rem;margin:1rem 0 .2rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;border-bottom:1px solid #ddd}"
    ".meta{color:#566;font-size:.9rem}nav a{margin-right:1rem}"
    ".missing{background:#fff6e0;border:1px solid #f0d28a;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;background:#fff;border:1px solid #ddd;border-radius:6px}"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "th,td{padding:.35rem .6rem;border-bottom:1px solid #eee;white-space:nowrap;text-align:right}"
    "th{background:#f0f2f5;cursor:pointer;user-select:none;position:sticky;top:0}"
    "th.l,td.l{text-align:left}th[aria-sort=ascending]::after{content:' \\25B2'}"
    "th[aria-sort=descending]::after{content:' \\25BC'}"
    "tbody td{background:#fff}tr.g1 td{background:#f6f8fb}td.cont{color:#8a94a6}.se{color:#778;font-size:.8em}"
    "tbody td:first-child{position:sticky;left:0;z-index:1}thead th:first-child{left:0;z-index:2}"
    "figure{margin:1rem 0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5rem}"
    "figure img{max-width:100%;height:auto;display:block;margin:0 auto}figcaption{font-size:.85rem;color:#556}"
    "p.note{font-size:.85rem;color:#556}"
    "@media (max-width:600px){body{padding:0 .4rem}th,td{padding:.3rem .4rem;font-size:.8rem}h1{font-size:1.3rem}}";

static const char js[] =
    "document.querySelectorAll('table.sortable').forEach(function(t){"
    "t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){"
    "var asc=th.getAttribute('aria-sort')!=='ascending';"
    "t.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort')});"
    "th.setAttribute('aria-sort',asc?'ascending':'descending');"
    "var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);"
    "function key(r){var c=r.cells[i];var v=c.getAttribute('data-v');"
    "return v===null?c.textContent:(v===''?null:parseFloat(v));}"
    "rows.sort(function(x,y){var a=key(x),c=key(y);if(a===null)return 1;if(c===null)return -1;"
    "var r=(typeof a==='number'&&typeof c==='number')?a-c:String(a).localeCompare(String(c));"
    "return asc?r:-r;});rows.forEach(function(r){b.appendChild(r)});});});});";

static void th(tt_buf *b, const char *label, int left)
{
    tt_buf_puts(b, left ? "<th class=\"l\">" : "<th>");
    tt_html_escape(b, label);
    tt_buf_puts(b, "</th>");
}

/* A cell with text (escaped) and, when v is not NaN, its raw value for sorting. */
static void td(tt_buf *b, const char *text, double v, int has_v, const char *cls)
{
    tt_buf_puts(b, "<td");
    if (cls) tt_buf_printf(b, " class=\"%s\"", cls);
    if (has_v) {
        tt_buf_puts(b, " data-v=\"");
        if (!isnan(v)) tt_num_roundtrip(b, v);
        tt_buf_puts(b, "\"");
    }
    tt_buf_puts(b, ">");
    tt_html_escape(b, text);
    tt_buf_puts(b, "</td>");
}

static void td_buf(tt_buf *b, tt_buf *tmp, double v)
{
    td(b, tt_buf_str(tmp), v, 1, NULL);
    tt_buf_reset(tmp);
}

static void row_start(tt_buf *b, const report_table *t, int i)
{
    tt_buf_printf(b, "<tr class=\"g%d\">", t->rows[i].group % 2);
    int cont = i > 0 && t->rows[i - 1].group == t->rows[i].group;
    td(b, t->rows[i].name, NAN, 0, cont ? "l cont" : "l");
    td(b, t->rows[i].precision ? t->rows[i].precision : "", (double)report_precision_bits(t->rows[i].precision), 1, "l");
}

static void leaderboard(const report_table *t, tt_buf *b)
{
    tt_buf tmp;
    tt_buf_init(&tmp);
    tt_buf_puts(b, "<h2 id=\"leaderboard\">Leaderboard</h2>\n<div class=\"scroll\"><table class=\"sortable\"><thead><tr>");
    th(b, "Model", 1);
    th(b, "Precision", 1);
    th(b, "Rank", 0);
    th(b, "BT rating", 0);
    th(b, "95% CI", 0);
    th(b, "Elo", 0);
    th(b, "Battles", 0);
    for (int k = 0; k < t->n_tasks; k++)
        if (t->tasks[k].is_group) {
            tt_buf_printf(&tmp, "%s (%s)", t->tasks[k].name, t->tasks[k].metric);
            th(b, tt_buf_str(&tmp), 0);
            tt_buf_reset(&tmp);
        }
    th(b, "Mean task score", 0);
    th(b, "Peak memory", 0);
    th(b, "Generation (tok/s)", 0);
    tt_buf_puts(b, "</tr></thead><tbody>\n");
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        row_start(b, t, i);
        if (r->rank > 0) tt_buf_printf(&tmp, "%d", r->rank);
        td_buf(b, &tmp, r->rank > 0 ? r->rank : NAN);
        if (r->has_bt) report_fmt_fixed(&tmp, r->bt, 0);
        td_buf(b, &tmp, r->has_bt ? r->bt : NAN);
        if (r->has_bt && !isnan(r->bt_lower) && !isnan(r->bt_upper))
            tt_buf_printf(&tmp, "+%.0f / -%.0f", r->bt_upper - r->bt, r->bt - r->bt_lower);
        td_buf(b, &tmp, r->has_bt && !isnan(r->bt_upper) ? r->bt_upper - r->bt_lower : NAN);
        if (r->has_elo) report_fmt_fixed(&tmp, r->elo, 0);
        td_buf(b, &tmp, r->has_elo ? r->elo : NAN);
        if (r->battles) tt_buf_printf(&tmp, "%d", r->battles);
        td_buf(b, &tmp, r->battles ? r->battles : NAN);
        for (int k = 0; k < t->n_tasks; k++)
            if (t->tasks[k].is_group) {
                report_fmt_cell(&tmp, &r->cells[k]);
                td_buf(b, &tmp, r->cells[k].has ? r->cells[k].value : NAN);
            }
        if (r->n_acc) tt_buf_printf(&tmp, "%.4f (%d)", r->mean_acc, r->n_acc);
        td_buf(b, &tmp, r->mean_acc);
        double mem = !isnan(r->gpu_bytes) ? r->gpu_bytes : r->peak_rss_bytes;
        report_fmt_bytes(&tmp, mem);
        td_buf(b, &tmp, mem);
        report_fmt_speed(&tmp, r->tg_tps, r->tg_sd, r->tg_within_noise);
        td_buf(b, &tmp, r->tg_tps);
        tt_buf_puts(b, "</tr>\n");
    }
    tt_buf_puts(b, "</tbody></table></div>\n<p class=\"note\">Rows of one model at several precisions are shaded "
                   "alike. Rank: 1 + the number of models whose 95% interval lies entirely above this one's. "
                   "Mean task score: ");
    report_fmt_mean_tasks(&tmp, t);
    tt_html_escape(b, tt_buf_str(&tmp));
    tt_buf_reset(&tmp);
    tt_buf_puts(b, " (their number in brackets). Peak memory: GPU memory when measured, else peak resident set. "
                   "Generation: mean ± standard deviation over repetitions; ≈ marks a speed whose interval overlaps "
                   "the next faster or slower model's, so their order is within the noise. "
                   "Click a heading to sort.</p>\n");
    tt_buf_free(&tmp);
}

static void accuracy(const report_table *t, tt_buf *b)
{
    tt_buf tmp;
    tt_buf_init(&tmp);
    tt_buf_puts(b, "<h2 id=\"accuracy\">Accuracy per task</h2>\n<div class=\"scroll\"><table class=\"sortable\"><thead><tr>");
    th(b, "Model", 1);
    th(b, "Precision", 1);
    for (int k = 0; k < t->n_tasks; k++) {
        const report_task *tk = &t->tasks[k];
        if (strcmp(tk->filter, "none"))
            tt_buf_printf(&tmp, "%s%s (%s, %s)", tk->is_group ? "suite " : "", tk->name, tk->metric, tk->filter);
        else
            tt_buf_printf(&tmp, "%s%s (%s)", tk->is_group ? "suite " : "", tk->name, tk->metric);
        th(b, tt_buf_str(&tmp), 0);
        tt_buf_reset(&tmp);
    }
    tt_buf_puts(b, "</tr></thead><tbody>\n");
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        int any = 0;
        for (int k = 0; k < t->n_tasks; k++) any |= r->cells[k].has;
        if (!any) continue;
        row_start(b, t, i);
        for (int k = 0; k < t->n_tasks; k++) {
            const report_cell *c = &r->cells[k];
            tt_buf_puts(b, "<td data-v=\"");
            if (c->has) tt_num_roundtrip(b, c->value);
            tt_buf_puts(b, "\"");
            if (c->has) tt_buf_printf(b, " title=\"n = %d, run %lld\"", c->n, (long long)c->run_id);
            tt_buf_puts(b, ">");
            if (c->has && !isnan(c->value)) {
                tt_buf_printf(b, "%.4f", c->value);
                if (!isnan(c->se)) tt_buf_printf(b, " <span class=\"se\">± %.4f</span>", c->se);
            } else if (c->has) {
                tt_buf_puts(b, "N/A");
            }
            tt_buf_puts(b, "</td>");
        }
        tt_buf_puts(b, "</tr>\n");
    }
    tt_buf_puts(b, "</tbody></table></div>\n<p class=\"note\">Value ± standard error of each task's primary metric "
                   "(hover a cell for the number of samples and the run).</p>\n");
    tt_buf_free(&tmp);
}

static void bench(const report_table *t, tt_buf *b)
{
    tt_buf tmp;
    tt_buf_init(&tmp);
    tt_buf_puts(b, "<h2 id=\"bench\">Memory and speed</h2>\n<div class=\"scroll\"><table class=\"sortable\"><thead><tr>");
    static const char *const cols[] = {"File size", "Peak RSS", "GPU memory", "Prompt (tok/s)",
                                       "Generation (tok/s)", "TTFT (s)", "Load (s)"};
    th(b, "Model", 1);
    th(b, "Precision", 1);
    for (int k = 0; k < 7; k++) th(b, cols[k], 0);
    tt_buf_puts(b, "</tr></thead><tbody>\n");
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        if (!r->has_bench) continue;
        row_start(b, t, i);
        report_fmt_bytes(&tmp, r->file_bytes);
        td_buf(b, &tmp, r->file_bytes);
        report_fmt_bytes(&tmp, r->peak_rss_bytes);
        td_buf(b, &tmp, r->peak_rss_bytes);
        report_fmt_bytes(&tmp, r->gpu_bytes);
        td_buf(b, &tmp, r->gpu_bytes);
        report_fmt_fixed(&tmp, r->pp_tps, 1);
        if (!isnan(r->pp_tps) && !isnan(r->pp_sd)) tt_buf_printf(&tmp, " ± %.1f", r->pp_sd);
        td_buf(b, &tmp, r->pp_tps);
        report_fmt_speed(&tmp, r->tg_tps, r->tg_sd, r->tg_within_noise);
        td_buf(b, &tmp, r->tg_tps);
        report_fmt_fixed(&tmp, r->ttft_s, 3);
        td_buf(b, &tmp, r->ttft_s);
        report_fmt_fixed(&tmp, r->load_s, 3);
        td_buf(b, &tmp, r->load_s);
        tt_buf_puts(b, "</tr>\n");
    }
    tt_buf_puts(b, "</tbody></table></div>\n");
    tt_buf_free(&tmp);
}

static void charts_section(const report_charts *charts, const char *dir, tt_buf *b)
{
    tt_buf_puts(b, "<h2 id=\"charts\">Charts</h2>\n");
    for (int i = 0; i < charts->n; i++) {
        const report_chart *c = &charts->items[i];
        if (!c->png) continue;
        char *path = dir ? tt_path_join(dir, c->png) : NULL;
        char *data = NULL;
        size_t len = 0;
        char err[TT_ERR_SIZE];
        tt_buf_puts(b, "<figure>");
        if (path && tt_read_file(path, &data, &len, err) == TT_OK) {
            tt_buf_printf(b, "<img width=\"%d\" height=\"%d\" alt=\"", c->width, c->height);
            tt_html_escape(b, c->title);
            tt_buf_puts(b, "\" src=\"data:image/png;base64,");
            tt_base64(b, (const unsigned char *)data, len);
            tt_buf_puts(b, "\">");
        }
        tt_buf_puts(b, "<figcaption>");
        tt_html_escape(b, c->title);
        tt_buf_puts(b, " — ");
        if (c->svg) {
            tt_buf_puts(b, "<a href=\"");
            tt_html_escape(b, c->svg);
            tt_buf_puts(b, "\">SVG</a>, ");
        }
        tt_buf_printf(b, "<a href=\"charts/%s.gp\">gnuplot script</a>, <a href=\"charts/%s.dat\">data</a>"
                         "</figcaption></figure>\n", c->id, c->id);
        free(data);
        free(path);
    }
}

static void provenance(const report_table *t, tt_buf *b)
{
    tt_buf_puts(b, "<h2 id=\"provenance\">Where the numbers come from</h2>\n");
    if (t->n_runs) {
        tt_buf_puts(b, "<div class=\"scroll\"><table class=\"sortable\"><thead><tr>");
        static const char *const cols[] = {"Run", "Started", "Finished", "Status", "Tool version", "Git rev", "Seed",
                                           "Samples", "Metric rows"};
        for (int k = 0; k < 9; k++) th(b, cols[k], k >= 1 && k <= 5);
        tt_buf_puts(b, "</tr></thead><tbody>\n");
        tt_buf tmp;
        tt_buf_init(&tmp);
        for (int i = 0; i < t->n_runs; i++) {
            const report_run *r = &t->runs[i];
            tt_buf_puts(b, "<tr>");
            tt_buf_printf(&tmp, "%lld", (long long)r->id);
            td_buf(b, &tmp, (double)r->id);
            td(b, r->started_at ? r->started_at : "", NAN, 0, "l");
            td(b, r->finished_at ? r->finished_at : "", NAN, 0, "l");
            td(b, r->status ? r->status : "", NAN, 0, "l");
            td(b, r->tool_version ? r->tool_version : "", NAN, 0, "l");
            td(b, r->git_rev ? r->git_rev : "", NAN, 0, "l");
            tt_buf_printf(&tmp, "%llu", (unsigned long long)r->seed);
            td_buf(b, &tmp, (double)r->seed);
            tt_buf_printf(&tmp, "%lld", (long long)r->samples);
            td_buf(b, &tmp, (double)r->samples);
            tt_buf_printf(&tmp, "%lld", (long long)r->metric_rows);
            td_buf(b, &tmp, (double)r->metric_rows);
            tt_buf_puts(b, "</tr>\n");
        }
        tt_buf_free(&tmp);
        tt_buf_puts(b, "</tbody></table></div>\n");
    }
    tt_buf_puts(b, "<ul>");
    const report_rating_info *infos[2] = {&t->bt_info, &t->elo_info};
    const char *names[2] = {"Bradley-Terry", "Elo"};
    for (int i = 0; i < 2; i++) {
        const report_rating_info *in = infos[i];
        if (!in->present) continue;
        tt_buf_printf(b, "<li>%s ratings: computed ", names[i]);
        tt_html_escape(b, in->computed_at);
        tt_buf_puts(b, " from ");
        tt_html_escape(b, in->source);
        tt_buf_printf(b, " battles, %d models", in->models);
        if (in->bootstrap_rounds) tt_buf_printf(b, ", %d bootstrap rounds", in->bootstrap_rounds);
        if (in->has_seed) tt_buf_printf(b, ", seed %lld", (long long)in->seed);
        tt_buf_puts(b, ".</li>");
    }
    if (t->arena.rated || t->arena.flagged || t->arena.unvoted)
        tt_buf_printf(b, "<li>Battles: %lld rated (voted, unflagged); %lld flagged and %lld unvoted left out. "
                         "Online Elo: K = 4, base 10, scale 400, initial 1000.</li>",
                      t->arena.rated, t->arena.flagged, t->arena.unvoted);
    if (t->n_bench) tt_buf_printf(b, "<li>Memory and speed: %d bench result rows (newest per model and test shown).</li>",
                                  t->n_bench);
    tt_buf_puts(b, "<li>Also in this folder: leaderboard.md, leaderboard.json and CSV tables (when asked for).</li>");
    tt_buf_puts(b, "</ul>\n");
}

/* The category leaderboards (one tab each) and the judged benchmarks. */
/* One table of text (judged.h): heading, note, sortable table. */
static void text_table(tt_buf *b, const report_text_table *x, int level)
{
    tt_buf_printf(b, "<h%d id=\"%s\">", level, x->id);
    tt_html_escape(b, x->title);
    tt_buf_printf(b, "</h%d>\n", level);
    if (x->note) {
        tt_buf_puts(b, "<p>");
        tt_html_escape(b, x->note);
        tt_buf_puts(b, "</p>\n");
    }
    tt_buf_puts(b, "<div class=\"scroll\"><table class=\"sortable\"><thead><tr>");
    for (int c = 0; c < x->n_cols; c++) th(b, x->cols[c], c < x->first_left);
    tt_buf_puts(b, "</tr></thead><tbody>\n");
    for (int r = 0; r < x->n_rows; r++) {
        tt_buf_puts(b, "<tr>");
        for (int c = 0; c < x->n_cols; c++) {
            const char *v = x->cells[(size_t)r * x->n_cols + c];
            char *end = NULL;
            double d = v && *v ? strtod(v, &end) : NAN;
            td(b, v, d, end && !*end, c < x->first_left ? "l" : NULL);
        }
        tt_buf_puts(b, "</tr>\n");
    }
    tt_buf_puts(b, "</tbody></table></div>\n");
}

/* Tokens and cost per model and task. */
static void usage(const report_table *t, tt_buf *b)
{
    report_text_table *x;
    if (!report_usage_text_table(t, &x)) return;
    text_table(b, x, 2);
    report_text_tables_free(x, 1);
}

static void judged(const report_table *t, tt_buf *b)
{
    report_text_table *tabs;
    int n;
    report_judged_tables(&t->judged, &tabs, &n);
    static const char *const sections[2][2] = {{"categories", "Arena by category"}, {"judged", "Judged benchmarks"}};
    for (int s = 0; s < 2; s++) {
        int any = 0;
        for (int i = 0; i < n; i++) {
            const report_text_table *x = &tabs[i];
            if (x->section != s) continue;
            if (!any) {
                tt_buf_printf(b, "<h2 id=\"%s\">%s</h2>\n", sections[s][0], sections[s][1]);
                if (s == 0) {   /* the tabs: links to each category's table */
                    tt_buf_puts(b, "<p class=\"tabs\">");
                    for (int k = 0; k < n; k++) {
                        if (tabs[k].section) continue;
                        tt_buf_printf(b, "%s<a href=\"#%s\">", k ? " · " : "", tabs[k].id);
                        tt_html_escape(b, tabs[k].title);
                        tt_buf_puts(b, "</a>");
                    }
                    tt_buf_puts(b, "</p>\n");
                }
            }
            any = 1;
            text_table(b, x, 3);
        }
    }
    report_text_tables_free(tabs, n);
}

void report_html_render(const report_table *t, const report_charts *charts, const char *dir, tt_buf *b)
{
    tt_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<title>Tianti leaderboard</title><style>");
    tt_buf_puts(b, css);
    tt_buf_puts(b, "</style></head><body>\n<header><h1>Tianti 天梯 leaderboard</h1><p class=\"meta\">Generated ");
    tt_html_escape(b, t->generated_at);
    tt_buf_printf(b, " by tianti %s", TIANTI_VERSION);
    if (t->db_path) {
        tt_buf_puts(b, " from <code>");
        tt_html_escape(b, t->db_path);
        tt_buf_puts(b, "</code>");
    }
    tt_buf_puts(b, ".</p><nav><a href=\"#leaderboard\">Leaderboard</a><a href=\"#accuracy\">Accuracy</a>"
                   "<a href=\"#bench\">Memory and speed</a><a href=\"#usage\">Usage and cost</a>"
                   "<a href=\"#categories\">Categories</a>"
                   "<a href=\"#judged\">Judged benchmarks</a><a href=\"#charts\">Charts</a>"
                   "<a href=\"#provenance\">Provenance</a></nav></header>\n<main>\n");
    if (t->n_missing || (charts && charts->skipped)) {
        tt_buf_puts(b, "<div class=\"missing\"><strong>Not in this report:</strong><ul>");
        for (int i = 0; i < t->n_missing; i++) {
            tt_buf_puts(b, "<li>");
            tt_html_escape(b, t->missing[i]);
            tt_buf_puts(b, "</li>");
        }
        if (charts && charts->skipped) {
            tt_buf_puts(b, "<li>charts skipped: ");
            tt_html_escape(b, charts->skipped);
            tt_buf_puts(b, "</li>");
        }
        tt_buf_puts(b, "</ul></div>\n");
    }
    if (t->n_rows == 0 && !t->judged.n_mt && !t->judged.n_hard) {
        tt_buf_puts(b, "<p>The store holds no results, ratings or measurements to show.</p>\n");
    } else if (t->n_rows) {
        leaderboard(t, b);
        int acc = 0, be = 0;
        for (int i = 0; i < t->n_rows; i++) {
            be |= t->rows[i].has_bench;
            for (int k = 0; k < t->n_tasks; k++) acc |= t->rows[i].cells[k].has;
        }
        if (acc) accuracy(t, b);
        if (be) bench(t, b);
        usage(t, b);
    }
    judged(t, b);
    if (charts && charts->n) charts_section(charts, dir, b);
    provenance(t, b);
    tt_buf_puts(b, "</main>\n<script>");
    tt_buf_puts(b, js);
    tt_buf_puts(b, "</script>\n</body></html>\n");
}

int report_write_html(const report_table *t, const report_charts *charts, const char *dir, char *err)
{
    tt_buf b;
    tt_buf_init(&b);
    report_html_render(t, charts, dir, &b);
    char *path = tt_path_join(dir, "index.html");
    int rc = tt_write_file(path, tt_buf_str(&b), b.len, err);
    free(path);
    tt_buf_free(&b);
    return rc;
}
