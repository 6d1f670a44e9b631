/*
 * plot.c — the report's charts, drawn by gnuplot. For each chart it writes
 * charts/<id>.dat (tab-separated data) and charts/<id>.gp (a script that
 * draws <id>.png with pngcairo and <id>.svg), then runs `gnuplot <id>.gp`
 * in charts/, so anyone can edit and redraw a chart by hand. Charts:
 *   ratings    BT ratings with 95% intervals, sorted (online Elo if no BT)
 *   winfrac    pairwise win-fraction heatmap (never-met pairs blank)
 *   battles    battle-count heatmap
 *   accuracy   accuracy per task, grouped bars with stderr whiskers
 *   bench      peak memory and generation speed per precision, per model
 *   precision  mean task score against precision, one line per model
 *   elo        online Elo as battles accumulate
 *   mtbench    MT-bench mean rating per category, one bar per model (the
 *              first single-grading set of judged.h)
 * A chart with no data is not made. Fonts: Noto Sans CJK SC, so Chinese
 * names render. No gnuplot: scripts and data are still written and
 * charts->skipped says why there are no images. Called by render.c.
 */
#include "arena/elo.h"
#include "core/escape.h"
#include "core/utf8.h"
#include "reports/report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FONT "Noto Sans CJK SC"
#define MAX_HEATMAP 30      /* models shown in the heatmaps */
#define MAX_ELO_LINES 15    /* models shown in the Elo-over-time chart */
#define MAX_RATING_ROWS 40  /* models in the ratings chart */
#define MAX_ACC_TASKS 15    /* task groups in the accuracy chart */
#define MAX_ACC_ROWS 12     /* bars per group in the accuracy chart */

static const char *const colours[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                                      "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#8c564b"};
#define N_COLOURS ((int)(sizeof colours / sizeof colours[0]))

/* A label for a data file: no tabs, newlines or double quotes. */
static void dat_label(tt_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) tt_buf_puts(b, " ");
        else if (c == '"') tt_buf_puts(b, "'");
        else tt_buf_append(b, s, 1);
    }
}

static void dat_num(tt_buf *b, double v)
{
    tt_buf_puts(b, "\t");
    if (isfinite(v)) tt_num_roundtrip(b, v);
    else tt_buf_puts(b, "NaN");
}

/* gnuplot string literal "..." */
static void gp_str(tt_buf *b, const char *s)
{
    tt_buf_puts(b, "\"");
    tt_gp_string(b, s);
    tt_buf_puts(b, "\"");
}

/* "set xtics (\"a\" 0, \"b\" 1, ...)" */
static void gp_tics(tt_buf *b, const char *axis, char **labels, int n)
{
    tt_buf_printf(b, "set %s (", axis);
    for (int i = 0; i < n; i++) {
        if (i) tt_buf_puts(b, ", ");
        gp_str(b, labels[i]);
        tt_buf_printf(b, " %d", i);
    }
    tt_buf_puts(b, ")\n");
}

static int write_text(const char *dir, const char *name, const tt_buf *b, char *err)
{
    char *path = tt_path_join(dir, name);
    int rc = tt_write_file(path, tt_buf_str(b), b->len, err);
    free(path);
    return rc;
}

static int find_program(const char *prog)
{
    if (strchr(prog, '/')) return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    char *copy = tt_strdup(path), *save = NULL;
    int found = 0;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *full = tt_path_join(*d ? d : ".", prog);
        found = access(full, X_OK) == 0;
        free(full);
    }
    free(copy);
    return found;
}

/* Runs `prog script` in dir, output appended to dir/gnuplot.log. Returns
 * the exit status, or -1 if it could not be started. */
static int run_gnuplot(const char *prog, const char *dir, const char *script)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(126);
        int fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, 0);
            close(null);
        }
        execlp(prog, prog, script, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

typedef struct plotter {
    const char *dir;          /* output dir */
    char *charts_dir;         /* dir/charts */
    const char *prog;         /* gnuplot program, NULL when absent */
    report_charts *charts;
    tt_buf failed;            /* ids gnuplot failed on */
} plotter;

/* Writes <id>.dat and <id>.gp and draws them. body is emitted once per
 * terminal (PNG, then SVG), so it may use multiplot. */
static int chart(plotter *p, const char *id, const char *title, int w, int h, const tt_buf *data,
                 const tt_buf *body, char *err)
{
    tt_buf gp, name;
    tt_buf_init(&gp);
    tt_buf_init(&name);
    tt_buf_puts(&gp, "# ");
    tt_gp_string(&gp, title);
    tt_buf_printf(&gp, "\n# Written by tianti report %s; data in %s.dat. Redraw with: gnuplot %s.gp\n", TIANTI_VERSION,
                  id, id);
    tt_buf_puts(&gp, "reset\nset encoding utf8\nset datafile separator \"\\t\"\nset datafile missing \"NaN\"\n");
    for (int i = 0; i < N_COLOURS; i++) tt_buf_printf(&gp, "set linetype %d lc rgb \"%s\" lw 2 pt 7\n", i + 1, colours[i]);
    tt_buf_printf(&gp, "set linetype cycle %d\n", N_COLOURS);
    const char *terms[2][2] = {{"pngcairo", "png"}, {"svg", "svg"}};
    for (int k = 0; k < 2; k++) {
        tt_buf_printf(&gp, "\nset terminal %s size %d,%d font \"%s,%d\" noenhanced background rgb \"white\"%s\n",
                      terms[k][0], w, h, FONT, 11, k ? " dynamic" : "");
        tt_buf_printf(&gp, "set output \"%s.%s\"\n", id, terms[k][1]);
        tt_buf_append(&gp, tt_buf_str(body), body->len);
        tt_buf_puts(&gp, "set output\n");
    }
    tt_buf_printf(&name, "%s.dat", id);
    int rc = write_text(p->charts_dir, tt_buf_str(&name), data, err);
    tt_buf_reset(&name);
    tt_buf_printf(&name, "%s.gp", id);
    if (!rc) rc = write_text(p->charts_dir, tt_buf_str(&name), &gp, err);
    if (!rc && p->charts->n < REPORT_MAX_CHARTS) {
        report_chart *c = &p->charts->items[p->charts->n];
        memset(c, 0, sizeof *c);
        snprintf(c->id, sizeof c->id, "%s", id);
        c->title = tt_strdup(title);
        c->width = w;
        c->height = h;
        if (p->prog) {
            int st = run_gnuplot(p->prog, p->charts_dir, tt_buf_str(&name));
            char *png = tt_asprintf("%s/%s.png", p->charts_dir, id), *svg = tt_asprintf("%s/%s.svg", p->charts_dir, id);
            struct stat sb;
            if (st == 0 && stat(png, &sb) == 0 && sb.st_size > 0) {
                c->png = tt_asprintf("charts/%s.png", id);
                if (stat(svg, &sb) == 0 && sb.st_size > 0) c->svg = tt_asprintf("charts/%s.svg", id);
            } else {
                tt_buf_printf(&p->failed, "%s%s", p->failed.len ? ", " : "", id);
            }
            free(png);
            free(svg);
        }
        p->charts->n++;
    }
    tt_buf_free(&gp);
    tt_buf_free(&name);
    return rc;
}

/* ---- the charts ------------------------------------------------------------------ */

static int chart_ratings(plotter *p, const report_table *t, char *err)
{
    int use_bt = 0, n = 0;
    for (int i = 0; i < t->n_rows; i++) use_bt |= t->rows[i].has_bt;
    int *idx = tt_malloc(sizeof(int) * (size_t)(t->n_rows + 1));
    for (int i = 0; i < t->n_rows; i++)
        if (use_bt ? t->rows[i].has_bt : t->rows[i].has_elo) idx[n++] = i;
    if (n == 0) {
        free(idx);
        return TT_OK;
    }
    /* Sort best first (insertion sort: n is small). */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            const report_row *a = &t->rows[idx[j - 1]], *b = &t->rows[idx[j]];
            double ra = use_bt ? a->bt : a->elo, rb = use_bt ? b->bt : b->elo;
            if (ra >= rb) break;
            int tmp = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = tmp;
        }
    tt_buf data, body;
    tt_buf_init(&data);
    tt_buf_init(&body);
    tt_buf_puts(&data, "# index\tmodel\trating\tlower\tupper\n");
    int have_ci = 0, shown = n < MAX_RATING_ROWS ? n : MAX_RATING_ROWS;
    char **labels = tt_calloc((size_t)shown + 1, sizeof(char *));
    for (int i = 0; i < shown; i++) {
        const report_row *r = &t->rows[idx[i]];
        char *label = labels[i] = report_row_label(r);
        double v = use_bt ? r->bt : r->elo;
        double lo = use_bt && !isnan(r->bt_lower) ? r->bt_lower : v, hi = use_bt && !isnan(r->bt_upper) ? r->bt_upper : v;
        have_ci |= use_bt && !isnan(r->bt_lower);
        tt_buf_printf(&data, "%d\t", i);
        dat_label(&data, label);
        dat_num(&data, v);
        dat_num(&data, lo);
        dat_num(&data, hi);
        tt_buf_puts(&data, "\n");
    }
    char title[160];
    snprintf(title, sizeof title, "%s%s",
             use_bt ? "Arena rating (Bradley-Terry) with 95% bootstrap interval"
                    : "Arena rating (online Elo; no Bradley-Terry ratings in the store)",
             shown < n ? ", top 40 models" : "");
    /* A forest plot: one line per model, best at the top, so long and many
     * names stay readable. */
    tt_buf_puts(&body, "set title ");
    gp_str(&body, title);
    tt_buf_puts(&body, " font \",14\"\n");
    tt_buf_puts(&body, "set xlabel \"rating (Elo scale, points)\"\nset ylabel \"model, best first\"\n"
                       "set grid xtics lc rgb \"#dddddd\"\nset border 3\nset tics nomirror\n"
                       "set key bottom right box opaque\nset ytics scale 0\n");
    tt_buf_printf(&body, "set yrange [%d.6:-0.6]\nset offsets graph 0.05, graph %s, 0, 0\n", shown - 1,
                  shown <= 25 ? "0.12" : "0.05");
    gp_tics(&body, "ytics", labels, shown);
    tt_buf_printf(&body, "set ytics font \",%d\"\n", shown <= 20 ? 11 : shown <= 30 ? 9 : 8);
    for (int i = 0; i < shown; i++) free(labels[i]);
    free(labels);
    tt_buf_printf(&body, "plot \"ratings.dat\" using 3:1:4:5 with xerrorbars lt 1 ps %s title \"%s\"",
                  shown <= 20 ? "1.4" : "0.9", have_ci ? "rating, 95% interval" : "rating");
    if (shown <= 25)
        tt_buf_puts(&body, ", \\\n     \"\" using 5:1:(sprintf(\"%.0f\", $3)) with labels left offset 1,0 notitle");
    tt_buf_puts(&body, "\n");
    int rc = chart(p, "ratings", title, REPORT_PNG_W, REPORT_PNG_H, &data, &body, err);
    tt_buf_free(&data);
    tt_buf_free(&body);
    free(idx);
    return rc;
}

/* Both heatmaps: kind 0 win fraction, 1 battle count. */
static int chart_heatmap(plotter *p, const report_table *t, int kind, char *err)
{
    const report_arena *a = &t->arena;
    int n = a->n_models < MAX_HEATMAP ? a->n_models : MAX_HEATMAP;
    int any = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) any |= i != j && report_arena_count(a, i, j) > 0;
    if (!any) return TT_OK;
    tt_buf data, body;
    tt_buf_init(&data);
    tt_buf_init(&body);
    tt_buf_puts(&data, kind == 0 ? "# column (opponent)\trow (model)\twin fraction of row model\n"
                                 : "# column\trow\tdecisive battles\n");
    int max = 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int c = report_arena_count(a, i, j);
            if (i == j || c == 0) continue;
            if (c > max) max = c;
            tt_buf_printf(&data, "%d\t%d", j, i);
            dat_num(&data, kind == 0 ? report_arena_winfrac(a, i, j) : (double)c);
            tt_buf_puts(&data, "\n");
        }
    char title[160];
    if (kind == 0)
        snprintf(title, sizeof title, "Fraction of decisive battles won by model A against model B (ties excluded)%s",
                 n < a->n_models ? ", top 30 models" : "");
    else
        snprintf(title, sizeof title, "Decisive battles between each pair of models (ties excluded)%s",
                 n < a->n_models ? ", top 30 models" : "");
    const char *id = kind == 0 ? "winfrac" : "battles";
    char **labels = tt_calloc((size_t)n + 1, sizeof(char *));
    size_t widest = 0;
    for (int i = 0; i < n; i++) {
        labels[i] = report_arena_label(t, i);
        size_t w = tt_utf8_codepoints(labels[i], strlen(labels[i]));
        if (w > widest) widest = w;
    }
    /* Up to 12 models fit REPORT_HEATMAP_W x H; beyond, the canvas grows so
     * that every cell stays about 44 pixels wide and its value readable. */
    int fsize = n <= 8 ? 11 : 9;
    int w = n <= 12 ? REPORT_HEATMAP_W : 400 + 44 * n, h = n <= 12 ? REPORT_HEATMAP_H : 300 + 44 * n;
    tt_buf_puts(&body, "set title ");
    gp_str(&body, title);
    tt_buf_puts(&body, " font \",13\"\n");
    tt_buf_printf(&body, "set xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\nset size ratio -1\n", n - 1, n - 1);
    tt_buf_puts(&body, "set xlabel \"model B (opponent)\"\nset ylabel \"model A\"\nset tics nomirror out scale 0\n"
                       "set xtics rotate by 40 right\nunset key\n");
    tt_buf_printf(&body, "set lmargin %d\nset bmargin %d\n", (int)(widest < 60 ? widest : 60) + 4,
                  (int)((widest < 60 ? widest : 60) * 0.4) + 4);
    gp_tics(&body, "xtics", labels, n);
    gp_tics(&body, "ytics", labels, n);
    for (int i = 0; i < n; i++) free(labels[i]);
    free(labels);
    if (kind == 0)
        tt_buf_puts(&body, "set cbrange [0:1]\nset cblabel \"fraction won by model A\"\n"
                           "set palette defined (0 \"#c2453b\", 0.5 \"#f7f7f7\", 1 \"#3b74b5\")\n");
    else
        tt_buf_printf(&body, "set cbrange [0:%d]\nset cblabel \"battles (count)\"\n"
                             "set palette defined (0 \"#f7fbff\", 0.5 \"#6baed6\", 1 \"#08306b\")\n", max);
    /* Values in dark cells are printed white. */
    const char *fmt = kind == 0 ? "sprintf(\"%.2f\", $3)" : "sprintf(\"%d\", int($3))";
    double lo = kind == 0 ? 0.15 : -1, hi = kind == 0 ? 0.85 : 0.6 * max;
    tt_buf_printf(&body, "plot \"%s.dat\" using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 1.0 noborder, \\\n"
                         "     \"\" using 1:2:(($3 > %g && $3 < %g) ? %s : \"\") with labels font \",%d\" tc rgb \"#222222\", \\\n"
                         "     \"\" using 1:2:(($3 > %g && $3 < %g) ? \"\" : %s) with labels font \",%d\" tc rgb \"#ffffff\"\n",
                  id, lo, hi, fmt, fsize, lo, hi, fmt, fsize);
    int rc = chart(p, id, title, w, h, &data, &body, err);
    tt_buf_free(&data);
    tt_buf_free(&body);
    return rc;
}

static int chart_accuracy(plotter *p, const report_table *t, char *err)
{
    int *rows = tt_malloc(sizeof(int) * (size_t)(t->n_rows + 1)), nr = 0, all_unit = 1;
    for (int i = 0; i < t->n_rows; i++) {
        int any = 0;
        for (int k = 0; k < t->n_tasks; k++) {
            const report_cell *c = &t->rows[i].cells[k];
            if (!c->has || !isfinite(c->value)) continue;
            any = 1;
            if (c->value < 0 || c->value > 1) all_unit = 0;
        }
        if (any && nr < MAX_ACC_ROWS) rows[nr++] = i;
    }
    if (nr == 0 || t->n_tasks == 0) {
        free(rows);
        return TT_OK;
    }
    /* Columns: every task when few; else the suites when there are a few;
     * else the first MAX_ACC_TASKS (suites come first). */
    int *cols = tt_malloc(sizeof(int) * (size_t)(t->n_tasks + 1)), nc = 0, n_suites = 0;
    for (int k = 0; k < t->n_tasks; k++) n_suites += t->tasks[k].is_group;
    const char *which = "";
    for (int k = 0; k < t->n_tasks; k++) {
        if (t->n_tasks > MAX_ACC_TASKS && n_suites > 0 && n_suites <= MAX_ACC_TASKS && !t->tasks[k].is_group) continue;
        if (nc < MAX_ACC_TASKS) cols[nc++] = k;
    }
    if (nc < t->n_tasks) which = n_suites > 0 && n_suites <= MAX_ACC_TASKS ? " (suites only)" : " (first 15 columns)";
    int n_with = 0;
    for (int i = 0; i < t->n_rows; i++)
        for (int k = 0; k < t->n_tasks; k++)
            if (t->rows[i].cells[k].has) {
                n_with++;
                break;
            }
    tt_buf data, body;
    tt_buf_init(&data);
    tt_buf_init(&body);
    tt_buf_puts(&data, "# index\ttask");
    for (int r = 0; r < nr; r++) {
        char *label = report_row_label(&t->rows[rows[r]]);
        tt_buf_puts(&data, "\t");
        dat_label(&data, label);
        tt_buf_puts(&data, "\tstderr");
        free(label);
    }
    tt_buf_puts(&data, "\n");
    double scale = all_unit ? 100.0 : 1.0;
    char **xlabels = tt_calloc((size_t)nc + 1, sizeof(char *));
    for (int c = 0; c < nc; c++) {
        int k = cols[c];
        const report_task *tk = &t->tasks[k];
        xlabels[c] = tt_asprintf("%s%s (%s)", tk->is_group ? "suite: " : "", tk->name, tk->metric);
        tt_buf_printf(&data, "%d\t", c);
        dat_label(&data, xlabels[c]);
        for (int r = 0; r < nr; r++) {
            const report_cell *c = &t->rows[rows[r]].cells[k];
            dat_num(&data, c->has ? c->value * scale : NAN);
            dat_num(&data, c->has && isfinite(c->se) ? c->se * scale : (c->has ? 0 : NAN));
        }
        tt_buf_puts(&data, "\n");
    }
    char title[200];
    snprintf(title, sizeof title, "Accuracy per task%s, whiskers: ± 1 standard error%s", which,
             nr < n_with ? "; top 12 models" : "");
    tt_buf_puts(&body, "set title ");
    gp_str(&body, title);
    tt_buf_puts(&body, " font \",14\"\n");
    tt_buf_printf(&body, "set ylabel \"%s\"\nset xlabel \"task\"\n",
                  all_unit ? "score (%)" : "score (metric units)");
    if (all_unit) tt_buf_puts(&body, "set yrange [0:100]\n");
    else tt_buf_puts(&body, "set yrange [0:*]\n");
    tt_buf_puts(&body, "set style data histograms\nset style histogram errorbars gap 2 lw 1.5\n"
                       "set style fill solid 0.85 border rgb \"#555555\"\nset boxwidth 0.9\n"
                       "set grid ytics lc rgb \"#dddddd\"\nset border 3\nset tics nomirror\nset xtics scale 0\n"
                       "set key outside right top vertical Left reverse samplen 2\n");
    tt_buf_puts(&body, nc > 4 ? "set xtics rotate by 25 right\n" : "set xtics norotate\n");
    gp_tics(&body, "xtics", xlabels, nc);
    for (int c = 0; c < nc; c++) free(xlabels[c]);
    free(xlabels);
    tt_buf_puts(&body, "plot ");
    for (int r = 0; r < nr; r++) {
        char *label = report_row_label(&t->rows[rows[r]]);
        if (r) tt_buf_puts(&body, ", \\\n     ");
        tt_buf_printf(&body, "\"accuracy.dat\" using %d:%d lt %d title ", 3 + 2 * r, 4 + 2 * r, r % N_COLOURS + 1);
        gp_str(&body, label);
        free(label);
    }
    tt_buf_puts(&body, "\n");
    int rc = chart(p, "accuracy", title, REPORT_PNG_W, REPORT_PNG_H, &data, &body, err);
    tt_buf_free(&data);
    tt_buf_free(&body);
    free(rows);
    free(cols);
    return rc;
}

/* Distinct precisions over rows that pass keep(), highest bits first. */
static int collect_precisions(const report_table *t, int (*keep)(const report_row *), char ***out)
{
    char **ps = tt_calloc((size_t)t->n_rows + 1, sizeof(char *));
    int n = 0;
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        if (!keep(r)) continue;
        const char *p = r->precision ? r->precision : "default";
        int seen = 0;
        for (int j = 0; j < n && !seen; j++) seen = !strcmp(ps[j], p);
        if (!seen) ps[n++] = (char *)p;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            int a = report_precision_bits(ps[j - 1]), b = report_precision_bits(ps[j]);
            if (a > b || (a == b && strcmp(ps[j - 1], ps[j]) <= 0)) break;
            char *tmp = ps[j];
            ps[j] = ps[j - 1];
            ps[j - 1] = tmp;
        }
    *out = ps;
    return n;
}

static int keep_bench(const report_row *r)
{
    return r->has_bench && (!isnan(r->peak_rss_bytes) || !isnan(r->gpu_bytes) || !isnan(r->tg_tps));
}

static int keep_acc(const report_row *r)
{
    return !isnan(r->mean_acc);
}

static const report_row *row_at(const report_table *t, int group, const char *prec, int (*keep)(const report_row *))
{
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        if (r->group == group && keep(r) && !strcmp(r->precision ? r->precision : "default", prec)) return r;
    }
    return NULL;
}

/* Group indices (display order) that have at least one row passing keep. */
static int collect_groups(const report_table *t, int (*keep)(const report_row *), int *groups)
{
    int n = 0;
    for (int i = 0; i < t->n_rows; i++) {
        if (!keep(&t->rows[i])) continue;
        int g = t->rows[i].group, seen = 0;
        for (int j = 0; j < n && !seen; j++) seen = groups[j] == g;
        if (!seen) groups[n++] = g;
    }
    return n;
}

static const char *group_name(const report_table *t, int g)
{
    for (int i = 0; i < t->n_rows; i++)
        if (t->rows[i].group == g) return t->rows[i].name;
    return "?";
}

static int chart_bench(plotter *p, const report_table *t, char *err)
{
    char **precs;
    int np = collect_precisions(t, keep_bench, &precs);
    int *groups = tt_malloc(sizeof(int) * (size_t)(t->n_rows + 1));
    int ng = collect_groups(t, keep_bench, groups);
    if (np == 0 || ng == 0) {
        free(precs);
        free(groups);
        return TT_OK;
    }
    int gpu = 0;
    for (int i = 0; i < t->n_rows; i++) gpu |= keep_bench(&t->rows[i]) && !isnan(t->rows[i].gpu_bytes);
    tt_buf data, body;
    tt_buf_init(&data);
    tt_buf_init(&body);
    tt_buf_puts(&data, "# index\tmodel");
    for (int k = 0; k < np; k++) tt_buf_printf(&data, "\t%s memory MiB\t%s tokens/s\t%s stddev", precs[k], precs[k], precs[k]);
    tt_buf_puts(&data, "\n");
    for (int g = 0; g < ng; g++) {
        tt_buf_printf(&data, "%d\t", g);
        dat_label(&data, group_name(t, groups[g]));
        for (int k = 0; k < np; k++) {
            const report_row *r = row_at(t, groups[g], precs[k], keep_bench);
            double mem = NAN;
            if (r) mem = gpu && !isnan(r->gpu_bytes) ? r->gpu_bytes : r->peak_rss_bytes;
            dat_num(&data, isnan(mem) ? NAN : mem / (1024.0 * 1024.0));
            dat_num(&data, r ? r->tg_tps : NAN);
            dat_num(&data, r && !isnan(r->tg_tps) ? (isnan(r->tg_sd) ? 0 : r->tg_sd) : NAN);
        }
        tt_buf_puts(&data, "\n");
    }
    const char *title = "Memory and generation speed per precision";
    tt_buf_puts(&body, "set multiplot layout 1,2 title ");
    gp_str(&body, title);
    tt_buf_puts(&body, " font \",14\"\n");
    tt_buf_puts(&body, "set style data histograms\nset style fill solid 0.85 border rgb \"#555555\"\nset boxwidth 0.9\n"
                       "set grid ytics lc rgb \"#dddddd\"\nset border 3\nset tics nomirror\nset xtics scale 0\n"
                       "set yrange [0:*]\nset key top right samplen 2 title \"precision\"\nset xlabel \"model\"\n");
    tt_buf_puts(&body, ng > 3 ? "set xtics rotate by 25 right\n" : "set xtics norotate\n");
    char **gnames = tt_calloc((size_t)ng + 1, sizeof(char *));
    for (int g = 0; g < ng; g++) gnames[g] = (char *)group_name(t, groups[g]);
    gp_tics(&body, "xtics", gnames, ng);
    free(gnames);
    for (int panel = 0; panel < 2; panel++) {
        if (panel == 0)
            tt_buf_printf(&body, "set title \"%s\"\nset ylabel \"memory (MiB)\"\nset style histogram clustered gap 1.5\n",
                          gpu ? "Peak GPU memory" : "Peak resident memory");
        else
            tt_buf_puts(&body, "set title \"Generation speed\"\nset ylabel \"tokens per second (mean ± sd)\"\n"
                               "set style histogram errorbars gap 1.5 lw 1.5\n");
        tt_buf_puts(&body, "plot ");
        for (int k = 0; k < np; k++) {
            if (k) tt_buf_puts(&body, ", \\\n     ");
            if (panel == 0)
                tt_buf_printf(&body, "\"bench.dat\" using %d lt %d title ", 3 + 3 * k, k % N_COLOURS + 1);
            else
                tt_buf_printf(&body, "\"bench.dat\" using %d:%d lt %d title ", 4 + 3 * k, 5 + 3 * k, k % N_COLOURS + 1);
            gp_str(&body, precs[k]);
        }
        tt_buf_puts(&body, "\n");
    }
    tt_buf_puts(&body, "unset multiplot\n");
    int rc = chart(p, "bench", title, REPORT_PNG_W, REPORT_PNG_H, &data, &body, err);
    tt_buf_free(&data);
    tt_buf_free(&body);
    free(precs);
    free(groups);
    return rc;
}

static int chart_precision(plotter *p, const report_table *t, char *err)
{
    char **precs;
    int np = collect_precisions(t, keep_acc, &precs);
    int *groups = tt_malloc(sizeof(int) * (size_t)(t->n_rows + 1));
    int ng = collect_groups(t, keep_acc, groups);
    /* Only models measured at two precisions or more, and only the
     * precisions they were measured at. */
    int kept = 0;
    for (int g = 0; g < ng; g++) {
        int c = 0;
        for (int k = 0; k < np; k++) c += row_at(t, groups[g], precs[k], keep_acc) != NULL;
        if (c >= 2) groups[kept++] = groups[g];
    }
    ng = kept;
    int npk = 0;
    for (int k = 0; k < np; k++) {
        int used = 0;
        for (int g = 0; g < ng && !used; g++) used = row_at(t, groups[g], precs[k], keep_acc) != NULL;
        if (used) precs[npk++] = precs[k];
    }
    np = npk;
    if (ng == 0) {
        free(precs);
        free(groups);
        return TT_OK;
    }
    tt_buf data, body;
    tt_buf_init(&data);
    tt_buf_init(&body);
    tt_buf_puts(&data, "# index\tprecision");
    for (int g = 0; g < ng; g++) {
        tt_buf_puts(&data, "\t");
        dat_label(&data, group_name(t, groups[g]));
    }
    tt_buf_puts(&data, "\n");
    int unit = 1;
    for (int i = 0; i < t->n_rows; i++)
        if (keep_acc(&t->rows[i]) && (t->rows[i].mean_acc < 0 || t->rows[i].mean_acc > 1)) unit = 0;
    for (int k = 0; k < np; k++) {
        tt_buf_printf(&data, "%d\t", k);
        dat_label(&data, precs[k]);
        for (int g = 0; g < ng; g++) {
            const report_row *r = row_at(t, groups[g], precs[k], keep_acc);
            dat_num(&data, r ? r->mean_acc * (unit ? 100 : 1) : NAN);
        }
        tt_buf_puts(&data, "\n");
    }
    const char *title = "Mean task score against precision";
    tt_buf_puts(&body, "set title ");
    gp_str(&body, title);
    tt_buf_puts(&body, " font \",14\"\n");
    tt_buf_printf(&body, "set xlabel \"precision (weights), high to low\"\nset ylabel \"%s\"\n",
                  unit ? "mean score over tasks (%)" : "mean score over tasks");
    tt_buf_printf(&body, "set xrange [-0.3:%d.3]\nset offsets 0,0,graph 0.1,graph 0.1\n", np - 1);
    tt_buf_puts(&body, "set grid ytics lc rgb \"#dddddd\"\nset border 3\nset tics nomirror\n"
                       "set key outside right top Left reverse samplen 2 title \"model\"\n");
    gp_tics(&body, "xtics", precs, np);
    tt_buf_puts(&body, "plot ");
    for (int g = 0; g < ng; g++) {
        if (g) tt_buf_puts(&body, ", \\\n     ");
        tt_buf_printf(&body, "\"precision.dat\" using 1:%d with linespoints lt %d ps 1.3 title ", 3 + g, g % N_COLOURS + 1);
        gp_str(&body, group_name(t, groups[g]));
    }
    tt_buf_puts(&body, "\n");
    int rc = chart(p, "precision", title, REPORT_PNG_W, REPORT_PNG_H, &data, &body, err);
    tt_buf_free(&data);
    tt_buf_free(&body);
    free(precs);
    free(groups);
    return rc;
}

static int chart_elo(plotter *p, const report_table *t, char *err)
{
    const report_arena *a = &t->arena;
    if (a->n_points == 0 || a->n_models == 0) return TT_OK;
    int n = a->n_models < MAX_ELO_LINES ? a->n_models : MAX_ELO_LINES;
    tt_buf data, body;
    tt_buf_init(&data);
    tt_buf_init(&body);
    tt_buf_puts(&data, "# battles rated\ttstamp");
    char **labels = tt_calloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
        labels[i] = report_arena_label(t, i);
        tt_buf_puts(&data, "\t");
        dat_label(&data, labels[i]);
    }
    tt_buf_puts(&data, "\n0\tNaN");   /* everyone starts at the initial rating */
    arena_elo_opts opts;
    arena_elo_opts_default(&opts);
    for (int i = 0; i < n; i++) dat_num(&data, opts.init);
    tt_buf_puts(&data, "\n");
    for (int pt = 0; pt < a->n_points; pt++) {
        tt_buf_printf(&data, "%lld", a->step[pt]);
        dat_num(&data, a->tstamp[pt]);
        for (int i = 0; i < n; i++) dat_num(&data, a->elo[(size_t)pt * (size_t)a->n_models + (size_t)i]);
        tt_buf_puts(&data, "\n");
    }
    char title[160];
    snprintf(title, sizeof title, "Online Elo as battles accumulate (K = 4, start 1000)%s",
             n < a->n_models ? ", top 15 models" : "");
    tt_buf_puts(&body, "set title ");
    gp_str(&body, title);
    tt_buf_puts(&body, " font \",14\"\n");
    tt_buf_puts(&body, "set xlabel \"battles rated, in time order (count)\"\nset ylabel \"Elo rating (points)\"\n"
                       "set grid lc rgb \"#dddddd\"\nset border 3\nset tics nomirror\nset xrange [0:*]\n"
                       "set key outside right top Left reverse samplen 2 title \"model\"\n");
    tt_buf_puts(&body, "plot ");
    for (int i = 0; i < n; i++) {
        if (i) tt_buf_puts(&body, ", \\\n     ");
        tt_buf_printf(&body, "\"elo.dat\" using 1:%d with lines lt %d lw 2 title ", 3 + i, i % N_COLOURS + 1);
        gp_str(&body, labels[i]);
        free(labels[i]);
    }
    free(labels);
    tt_buf_puts(&body, "\n");
    int rc = chart(p, "elo", title, REPORT_PNG_W, REPORT_PNG_H, &data, &body, err);
    tt_buf_free(&data);
    tt_buf_free(&body);
    return rc;
}

/* MT-bench's scores per category: grouped bars, one group per category. */
static int chart_mtbench(plotter *p, const report_table *t, char *err)
{
    const arena_mtbench_scores *m = NULL;
    for (int i = 0; i < t->judged.n_mt && !m; i++)
        if (!t->judged.mt[i].pairwise && t->judged.mt[i].n_cats && t->judged.mt[i].n_rows) m = &t->judged.mt[i];
    if (!m) return TT_OK;
    int nr = m->n_rows < MAX_ACC_ROWS ? m->n_rows : MAX_ACC_ROWS;
    tt_buf data, body;
    tt_buf_init(&data);
    tt_buf_init(&body);
    tt_buf_puts(&data, "# index\tcategory");
    for (int r = 0; r < nr; r++) {
        tt_buf_puts(&data, "\t");
        dat_label(&data, m->rows[r].model);
    }
    tt_buf_puts(&data, "\n");
    for (int k = 0; k < m->n_cats; k++) {
        tt_buf_printf(&data, "%d\t", k);
        dat_label(&data, m->cats[k]);
        for (int r = 0; r < nr; r++) dat_num(&data, m->rows[r].cat[k]);
        tt_buf_puts(&data, "\n");
    }
    char title[256];
    snprintf(title, sizeof title, "%s: mean rating per category (judge %.120s)", m->bench, m->judge);
    tt_buf_puts(&body, "set title ");
    gp_str(&body, title);
    tt_buf_puts(&body, " font \",14\"\n");
    tt_buf_puts(&body, "set ylabel \"rating (1-10)\"\nset yrange [0:10]\nset style data histograms\n"
                       "set style histogram clustered gap 2\nset style fill solid 0.85 border rgb \"#555555\"\n"
                       "set boxwidth 0.9\nset grid ytics lc rgb \"#dddddd\"\nset border 3\nset tics nomirror\n"
                       "set xtics scale 0\nset key outside right top vertical Left reverse samplen 2\n");
    tt_buf_puts(&body, "plot ");
    for (int r = 0; r < nr; r++) {
        if (r) tt_buf_puts(&body, ", \\\n     ");
        tt_buf_printf(&body, "\"mtbench.dat\" using %d:xtic(2) lt %d title ", 3 + r, r % N_COLOURS + 1);
        gp_str(&body, m->rows[r].model);
    }
    tt_buf_puts(&body, "\n");
    int rc = chart(p, "mtbench", title, REPORT_PNG_W, REPORT_PNG_H, &data, &body, err);
    tt_buf_free(&data);
    tt_buf_free(&body);
    return rc;
}

int report_plot(const report_table *t, const char *dir, report_charts *charts, char *err)
{
    memset(charts, 0, sizeof *charts);
    plotter p = {0};
    p.dir = dir;
    p.charts = charts;
    p.charts_dir = tt_path_join(dir, "charts");
    tt_buf_init(&p.failed);
    int rc = tt_mkdir_p(p.charts_dir, err);
    if (rc) goto out;
    const char *prog = getenv("TIANTI_GNUPLOT");
    if (!prog || !*prog) prog = "gnuplot";
    if (find_program(prog)) p.prog = prog;
    else charts->skipped = tt_asprintf("'%s' not found; the chart scripts and data are in charts/ "
                                       "(install gnuplot and run them)", prog);
    char *log = tt_path_join(p.charts_dir, "gnuplot.log");
    unlink(log);
    free(log);
    rc = chart_ratings(&p, t, err);
    if (!rc) rc = chart_heatmap(&p, t, 0, err);
    if (!rc) rc = chart_heatmap(&p, t, 1, err);
    if (!rc) rc = chart_accuracy(&p, t, err);
    if (!rc) rc = chart_bench(&p, t, err);
    if (!rc) rc = chart_precision(&p, t, err);
    if (!rc) rc = chart_elo(&p, t, err);
    if (!rc) rc = chart_mtbench(&p, t, err);
    if (!rc && p.failed.len && !charts->skipped)
        charts->skipped = tt_asprintf("gnuplot failed on %s (see charts/gnuplot.log)", tt_buf_str(&p.failed));
out:
    free(p.charts_dir);
    tt_buf_free(&p.failed);
    return rc;
}

void report_charts_free(report_charts *c)
{
    if (!c) return;
    for (int i = 0; i < c->n; i++) {
        free(c->items[i].title);
        free(c->items[i].png);
        free(c->items[i].svg);
    }
    free(c->skipped);
    memset(c, 0, sizeof *c);
}
