/*
 * md.c — leaderboard.md: the report as GitHub-flavoured Markdown tables
 * (leaderboard, accuracy per task, memory and speed, arena pairs summary,
 * charts, provenance). Cells go through tt_md_cell(), so a '|' in a
 * model or task name cannot break a table. Called by render.c.
 */
#include "core/escape.h"
#include "reports/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void cell(tt_buf *b, const char *s)
{
    tt_buf_puts(b, " ");
    tt_md_cell(b, s);
    tt_buf_puts(b, " |");
}

static void cell_buf(tt_buf *b, tt_buf *tmp)
{
    cell(b, tt_buf_str(tmp));
    tt_buf_reset(tmp);
}

static void header(tt_buf *b, const char *const *cols, int n, int first_left)
{
    tt_buf_puts(b, "|");
    for (int i = 0; i < n; i++) cell(b, cols[i]);
    tt_buf_puts(b, "\n|");
    for (int i = 0; i < n; i++) tt_buf_puts(b, i < first_left ? " :--- |" : " ---: |");
    tt_buf_puts(b, "\n");
}

static int any_rows_with(const report_table *t, int what)
{
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        if (what == 0 && (r->has_bt || r->has_elo)) return 1;
        if (what == 1 && r->has_bench) return 1;
        if (what == 2) {
            for (int k = 0; k < t->n_tasks; k++)
                if (r->cells[k].has) return 1;
        }
    }
    return 0;
}

static void leaderboard(const report_table *t, tt_buf *b)
{
    tt_buf tmp;
    tt_buf_init(&tmp);
    int n_suites = 0;
    for (int k = 0; k < t->n_tasks; k++) n_suites += t->tasks[k].is_group;
    const char **cols = tt_malloc(sizeof(char *) * (size_t)(n_suites + 12));
    char **own = tt_calloc((size_t)n_suites + 1, sizeof(char *));
    int nc = 0;
    cols[nc++] = "Rank";
    cols[nc++] = "Model";
    cols[nc++] = "Precision";
    cols[nc++] = "BT rating";
    cols[nc++] = "95% CI";
    cols[nc++] = "Elo";
    cols[nc++] = "Battles";
    for (int k = 0, s = 0; k < t->n_tasks; k++)
        if (t->tasks[k].is_group) cols[nc++] = own[s++] = tt_asprintf("%s (%s)", t->tasks[k].name, t->tasks[k].metric);
    cols[nc++] = "Mean task score";
    cols[nc++] = "Peak memory";
    cols[nc++] = "Generation (tok/s)";
    tt_buf_puts(b, "## Leaderboard\n\n");
    header(b, cols, nc, 3);
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        tt_buf_puts(b, "|");
        if (r->rank > 0) tt_buf_printf(&tmp, "%d", r->rank);
        cell_buf(b, &tmp);
        cell(b, r->name);
        cell(b, r->precision ? r->precision : "");
        if (r->has_bt) report_fmt_fixed(&tmp, r->bt, 0);
        cell_buf(b, &tmp);
        if (r->has_bt && !isnan(r->bt_lower) && !isnan(r->bt_upper))
            tt_buf_printf(&tmp, "+%.0f / -%.0f", r->bt_upper - r->bt, r->bt - r->bt_lower);
        cell_buf(b, &tmp);
        if (r->has_elo) report_fmt_fixed(&tmp, r->elo, 0);
        cell_buf(b, &tmp);
        if (r->battles > 0) tt_buf_printf(&tmp, "%d", r->battles);
        cell_buf(b, &tmp);
        for (int k = 0; k < t->n_tasks; k++)
            if (t->tasks[k].is_group) {
                report_fmt_cell(&tmp, &r->cells[k]);
                cell_buf(b, &tmp);
            }
        if (r->n_acc) tt_buf_printf(&tmp, "%.4f (%d)", r->mean_acc, r->n_acc);
        cell_buf(b, &tmp);
        report_fmt_bytes(&tmp, !isnan(r->gpu_bytes) ? r->gpu_bytes : r->peak_rss_bytes);
        cell_buf(b, &tmp);
        report_fmt_speed(&tmp, r->tg_tps, r->tg_sd, r->tg_within_noise);
        cell_buf(b, &tmp);
        tt_buf_puts(b, "\n");
    }
    tt_buf_puts(b, "\nRank: 1 + the number of models whose 95% interval lies entirely above this one's "
                   "(ties are normal). Mean task score: ");
    report_fmt_mean_tasks(&tmp, t);
    tt_md_cell(b, tt_buf_str(&tmp));
    tt_buf_reset(&tmp);
    tt_buf_puts(b, " (their number in brackets). Peak memory: GPU memory when measured, else peak resident set. "
                   "Generation: mean ± standard deviation over repetitions; ≈ marks a speed whose interval "
                   "overlaps the next faster or slower model's, so their order is within the noise.\n\n");
    for (int s = 0; s < n_suites; s++) free(own[s]);
    free(own);
    free(cols);
    tt_buf_free(&tmp);
}

static void accuracy(const report_table *t, tt_buf *b)
{
    tt_buf tmp;
    tt_buf_init(&tmp);
    tt_buf_puts(b, "## Accuracy per task\n\nValue ± standard error of the primary metric; "
                   "suites first, then tasks.\n\n");
    const char **cols = tt_malloc(sizeof(char *) * (size_t)(t->n_tasks + 2));
    char **own = tt_calloc((size_t)t->n_tasks + 1, sizeof(char *));
    cols[0] = "Model";
    cols[1] = "Precision";
    for (int k = 0; k < t->n_tasks; k++) {
        const report_task *tk = &t->tasks[k];
        own[k] = strcmp(tk->filter, "none")
                     ? tt_asprintf("%s%s (%s, %s)", tk->is_group ? "suite " : "", tk->name, tk->metric, tk->filter)
                     : tt_asprintf("%s%s (%s)", tk->is_group ? "suite " : "", tk->name, tk->metric);
        cols[k + 2] = own[k];
    }
    header(b, cols, t->n_tasks + 2, 2);
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        int any = 0;
        for (int k = 0; k < t->n_tasks; k++) any |= r->cells[k].has;
        if (!any) continue;
        tt_buf_puts(b, "|");
        cell(b, r->name);
        cell(b, r->precision ? r->precision : "");
        for (int k = 0; k < t->n_tasks; k++) {
            report_fmt_cell(&tmp, &r->cells[k]);
            cell_buf(b, &tmp);
        }
        tt_buf_puts(b, "\n");
    }
    tt_buf_puts(b, "\n");
    for (int k = 0; k < t->n_tasks; k++) free(own[k]);
    free(own);
    free(cols);
    tt_buf_free(&tmp);
}

static void bench(const report_table *t, tt_buf *b)
{
    tt_buf tmp;
    tt_buf_init(&tmp);
    static const char *const cols[] = {"Model", "Precision", "File size", "Peak RSS", "GPU memory",
                                       "Prompt (tok/s)", "Generation (tok/s)", "TTFT (s)", "Load (s)"};
    tt_buf_puts(b, "## Memory and speed\n\nNewest `tianti bench` result per model and test; "
                   "speeds are means (± standard deviation) over repetitions; ≈: the generation speed's "
                   "interval overlaps the next faster or slower model's.\n\n");
    header(b, cols, 9, 2);
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        if (!r->has_bench) continue;
        tt_buf_puts(b, "|");
        cell(b, r->name);
        cell(b, r->precision ? r->precision : "");
        report_fmt_bytes(&tmp, r->file_bytes);
        cell_buf(b, &tmp);
        report_fmt_bytes(&tmp, r->peak_rss_bytes);
        cell_buf(b, &tmp);
        report_fmt_bytes(&tmp, r->gpu_bytes);
        cell_buf(b, &tmp);
        report_fmt_fixed(&tmp, r->pp_tps, 1);
        if (!isnan(r->pp_tps) && !isnan(r->pp_sd)) tt_buf_printf(&tmp, " ± %.1f", r->pp_sd);
        cell_buf(b, &tmp);
        report_fmt_speed(&tmp, r->tg_tps, r->tg_sd, r->tg_within_noise);
        cell_buf(b, &tmp);
        report_fmt_fixed(&tmp, r->ttft_s, 3);
        cell_buf(b, &tmp);
        report_fmt_fixed(&tmp, r->load_s, 3);
        cell_buf(b, &tmp);
        tt_buf_puts(b, "\n");
    }
    tt_buf_puts(b, "\n");
    tt_buf_free(&tmp);
}

static void provenance(const report_table *t, tt_buf *b)
{
    tt_buf tmp;
    tt_buf_init(&tmp);
    tt_buf_puts(b, "## Where the numbers come from\n\n");
    if (t->n_runs) {
        static const char *const cols[] = {"Run", "Started", "Finished", "Status", "Tool version", "Git rev",
                                           "Seed", "Samples", "Metric rows"};
        header(b, cols, 9, 6);
        for (int i = 0; i < t->n_runs; i++) {
            const report_run *r = &t->runs[i];
            tt_buf_printf(b, "| %lld |", (long long)r->id);
            cell(b, r->started_at ? r->started_at : "");
            cell(b, r->finished_at ? r->finished_at : "");
            cell(b, r->status ? r->status : "");
            cell(b, r->tool_version ? r->tool_version : "");
            cell(b, r->git_rev ? r->git_rev : "");
            tt_buf_printf(b, " %llu | %lld | %lld |\n", (unsigned long long)r->seed, (long long)r->samples,
                          (long long)r->metric_rows);
        }
        tt_buf_puts(b, "\n");
    }
    const report_rating_info *infos[2] = {&t->bt_info, &t->elo_info};
    const char *names[2] = {"Bradley-Terry", "Elo"};
    for (int i = 0; i < 2; i++) {
        const report_rating_info *in = infos[i];
        if (!in->present) continue;
        tt_buf_printf(b, "- %s ratings: computed %s from ", names[i], in->computed_at ? in->computed_at : "?");
        tt_md_cell(b, in->source ? in->source : "?");
        tt_buf_printf(b, " battles, %d models", in->models);
        if (in->bootstrap_rounds) tt_buf_printf(b, ", %d bootstrap rounds", in->bootstrap_rounds);
        if (in->has_seed) tt_buf_printf(b, ", seed %lld", (long long)in->seed);
        tt_buf_puts(b, ".\n");
    }
    if (t->arena.rated || t->arena.flagged || t->arena.unvoted)
        tt_buf_printf(b, "- Battles: %lld rated (voted, unflagged), %lld flagged and %lld unvoted left out; "
                         "online Elo with K = 4, base 10, scale 400, initial 1000.\n",
                      t->arena.rated, t->arena.flagged, t->arena.unvoted);
    if (t->n_bench) {
        const char *oldest = NULL, *newest = NULL;
        for (int i = 0; i < t->n_bench; i++) {
            const char *c = t->bench[i].created_at;
            if (!c) continue;
            if (!oldest || strcmp(c, oldest) < 0) oldest = c;
            if (!newest || strcmp(c, newest) > 0) newest = c;
        }
        tt_buf_printf(b, "- Memory and speed: %d bench result rows, measured %s to %s.\n", t->n_bench,
                      oldest ? oldest : "?", newest ? newest : "?");
    }
    tt_buf_free(&tmp);
}

/* One table of text: its title at level, its note, its cells. */
static void text_table(tt_buf *b, const report_text_table *x, const char *level)
{
    tt_buf_puts(b, level);
    tt_md_cell(b, x->title);
    tt_buf_puts(b, "\n\n");
    if (x->note) {
        tt_md_cell(b, x->note);
        tt_buf_puts(b, "\n\n");
    }
    header(b, (const char *const *)x->cols, x->n_cols, x->first_left);
    for (int r = 0; r < x->n_rows; r++) {
        tt_buf_puts(b, "|");
        for (int c = 0; c < x->n_cols; c++) cell(b, x->cells[(size_t)r * x->n_cols + c]);
        tt_buf_puts(b, "\n");
    }
    tt_buf_puts(b, "\n");
}

/* Tokens and cost per model and task. */
static void usage(const report_table *t, tt_buf *b)
{
    report_text_table *x;
    if (!report_usage_text_table(t, &x)) return;
    text_table(b, x, "## ");
    report_text_tables_free(x, 1);
}

/* The category leaderboards and the judged benchmarks (judged.h's tables). */
static void judged(const report_table *t, tt_buf *b)
{
    report_text_table *tabs;
    int n;
    report_judged_tables(&t->judged, &tabs, &n);
    static const char *const sections[2] = {"## Arena by category\n\n", "## Judged benchmarks\n\n"};
    for (int s = 0; s < 2; s++) {
        int any = 0;
        for (int i = 0; i < n; i++) {
            const report_text_table *x = &tabs[i];
            if (x->section != s) continue;
            if (!any) tt_buf_puts(b, sections[s]);
            any = 1;
            text_table(b, x, "### ");
        }
    }
    report_text_tables_free(tabs, n);
}

void report_md_render(const report_table *t, const report_charts *charts, tt_buf *b)
{
    tt_buf_puts(b, "# Tianti leaderboard\n\n");
    tt_buf_printf(b, "Generated %s by tianti %s", t->generated_at, TIANTI_VERSION);
    if (t->db_path) {
        tt_buf_puts(b, " from `");
        tt_md_cell(b, t->db_path);
        tt_buf_puts(b, "`");
    }
    tt_buf_puts(b, ".\n\n");
    if (t->n_missing || (charts && charts->skipped)) {
        tt_buf_puts(b, "**Not in this report:**\n\n");
        for (int i = 0; i < t->n_missing; i++) {
            tt_buf_puts(b, "- ");
            tt_md_cell(b, t->missing[i]);
            tt_buf_puts(b, "\n");
        }
        if (charts && charts->skipped) {
            tt_buf_puts(b, "- charts skipped: ");
            tt_md_cell(b, charts->skipped);
            tt_buf_puts(b, "\n");
        }
        tt_buf_puts(b, "\n");
    }
    if (t->n_rows == 0 && !t->judged.n_mt && !t->judged.n_hard) {
        tt_buf_puts(b, "The store holds no results, ratings or measurements to show.\n\n");
    } else if (t->n_rows) {
        leaderboard(t, b);
        if (any_rows_with(t, 2)) accuracy(t, b);
        if (any_rows_with(t, 1)) bench(t, b);
        usage(t, b);
    }
    judged(t, b);
    if (charts && charts->n) {
        tt_buf_puts(b, "## Charts\n\n");
        for (int i = 0; i < charts->n; i++) {
            const report_chart *c = &charts->items[i];
            if (!c->png) continue;
            tt_buf_puts(b, "![");
            tt_md_cell(b, c->title);
            tt_buf_printf(b, "](%s)\n\n", c->png);
        }
    }
    provenance(t, b);
}

int report_write_md(const report_table *t, const report_charts *charts, const char *dir, char *err)
{
    tt_buf b;
    tt_buf_init(&b);
    report_md_render(t, charts, &b);
    char *path = tt_path_join(dir, "leaderboard.md");
    int rc = tt_write_file(path, b.data ? b.data : "", b.len, err);
    free(path);
    tt_buf_free(&b);
    return rc;
}
