/*
 * bench_output.c — the results of `tianti bench` leaving the process
 * (bench.h): rows in the bench_results table (one per model, precision and
 * test, machine facts and per-repetition samples in machine_json), and the
 * table, Markdown, CSV and JSON renderings. Called by cli/cmd_bench.c; the
 * measuring is in bench.c.
 */
#include "bench/bench.h"
#include "store/store.h"
#include "core/utf8.h"
#include "core/escape.h"
#include "core/util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- store ------------------------------------------------------------------------------------- */

static json_t *machine_obj(const bench_machine *m)
{
    return json_pack("{s:s, s:i, s:i, s:f, s:s, s:s, s:b}", "cpu_model", m->cpu_model, "cores", m->cores,
                     "bandwidth_threads", m->threads, "read_bandwidth_bytes_per_s", m->read_bw, "bandwidth_method",
                     "memchr scan of a 128 MiB buffer, best of 5", "simd", m->simd, "nvidia_smi", m->nvidia_smi);
}

/* A size or count as stored: NULL when unknown (< 0) or not measured. */
static store_opt_int known_i64(int64_t v, int known) { return known && v >= 0 ? STORE_INT(v) : STORE_NO_INT; }

/* The rows of one bench_store call and the strings they point to. */
typedef struct row_list {
    store_bench_row *v;
    char **owned;       /* two per row: test name, machine JSON */
    size_t n, cap;
} row_list;

static void add_row(row_list *l, const char *now, const bench_result *r, const char *test, const bench_figure *f,
                    double mean, double sd, const char *unit, const bench_machine *m, const double *samples)
{
    json_t *mj = m ? machine_obj(m) : json_object();
    json_object_set_new(mj, "threads", json_integer(r->threads));
    json_object_set_new(mj, "memory_measured", json_boolean(r->memory_measured));
    if (r->bytes_per_token > 0) json_object_set_new(mj, "weight_bytes_per_token", json_integer(r->bytes_per_token));
    if (r->bound_tps > 0 && samples == r->tg_samples) {
        json_object_set_new(mj, "bound_tokens_per_s", json_real(r->bound_tps));
        json_object_set_new(mj, "fraction_of_bound", json_real(mean / r->bound_tps));
    }
    if (samples && f) {
        json_t *a = json_array();
        for (int i = 0; i < f->reps; i++) json_array_append_new(a, json_real(samples[i]));
        json_object_set_new(mj, "samples", a);
    }
    if (r->note[0]) json_object_set_new(mj, "note", json_string(r->note));
    char *mjs = json_dumps(mj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(mj);
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = tt_realloc(l->v, l->cap * sizeof *l->v);
        l->owned = tt_realloc(l->owned, 2 * l->cap * sizeof *l->owned);
    }
    char *test_s = tt_strdup(test);
    l->owned[2 * l->n] = test_s;
    l->owned[2 * l->n + 1] = mjs;
    l->v[l->n++] = (store_bench_row){
        .created_at = now, .model_spec = r->spec, .model_name = r->name,
        .precision = r->precision[0] ? r->precision : NULL, .test = test_s,
        .n_tokens = f && f->n_tokens > 0 ? STORE_INT(f->n_tokens) : STORE_NO_INT,
        .repetitions = STORE_INT(f ? f->reps : 1),
        .mean = mean, .stddev = sd >= 0 ? sd : NAN, .unit = unit,
        .file_bytes = known_i64(r->file_bytes, 1), .n_params = known_i64(r->n_params, 1),
        .peak_rss_bytes = known_i64(r->peak_rss_bytes, r->memory_measured),
        .weights_bytes = known_i64(r->weights_bytes, r->memory_measured),
        .kv_bytes = known_i64(r->kv_bytes, r->memory_measured),
        .scratch_bytes = known_i64(r->scratch_bytes, r->memory_measured),
        .gpu_bytes = known_i64(r->gpu_bytes, 1),
        .threads = r->threads > 0 ? STORE_INT(r->threads) : STORE_NO_INT,
        .machine_json = mjs,
    };
}

int bench_store(const char *db_path, const bench_result *rs, int n, const bench_machine *m, char *err)
{
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    row_list l = {0};
    for (int i = 0; i < n; i++) {
        const bench_result *r = &rs[i];
        if (r->error[0]) continue;
        char name[64];
        if (r->load.mean >= 0) add_row(&l, now, r, "load", &r->load, r->load.mean, -1, "s", m, NULL);
        if (r->ttft.mean >= 0) add_row(&l, now, r, "ttft", &r->ttft, r->ttft.mean, r->ttft.sd, "s", m, NULL);
        if (r->pp.mean >= 0) {
            snprintf(name, sizeof name, "pp%d", r->pp.n_tokens);
            add_row(&l, now, r, name, &r->pp, r->pp.mean, r->pp.sd, "tokens/s", m, r->pp_samples);
        }
        if (r->tg.mean >= 0) {
            snprintf(name, sizeof name, "tg%d", r->tg.n_tokens);
            add_row(&l, now, r, name, &r->tg, r->tg.mean, r->tg.sd, "tokens/s", m, r->tg_samples);
        }
        if (r->has_acc) {
            char *test = tt_asprintf("task:%s", r->task);
            add_row(&l, now, r, test, NULL, r->acc, r->acc_stderr, r->metric, m, NULL);
            free(test);
        }
    }
    store *s;
    int rc = store_open(db_path, &s, err);
    if (rc == TT_OK) {
        rc = store_bench_put(s, l.v, l.n, err);
        store_close(s);
    }
    for (size_t i = 0; i < 2 * l.n; i++) free(l.owned[i]);
    free(l.owned);
    free(l.v);
    return rc;
}

/* ---- printing ----------------------------------------------------------------------------------- */

int bench_format_check(const char *format, char *err)
{
    if (!strcmp(format, "table") || !strcmp(format, "md") || !strcmp(format, "csv") || !strcmp(format, "json"))
        return TT_OK;
    return tt_fail(err, TT_ERR_USAGE, "unknown format '%s' (table, md, csv, json)", format);
}

static double mib(int64_t b) { return (double)b / 1048576.0; }

/* "12.3" or "-" */
static void cell_num(char *out, size_t n, double v, int known, const char *fmt)
{
    if (known) snprintf(out, n, fmt, v);
    else snprintf(out, n, "-");
}

static void cell_fig(char *out, size_t n, const bench_figure *f, double scale, int decimals)
{
    if (f->mean < 0) snprintf(out, n, "-");
    else if (f->reps > 1) snprintf(out, n, "%.*f ± %.*f", decimals, f->mean * scale, decimals, f->sd * scale);
    else snprintf(out, n, "%.*f", decimals, f->mean * scale);
}

enum { N_COLS = 15 };

static void row_cells(const bench_result *r, char cells[N_COLS][96])
{
    int mem = r->memory_measured;
    snprintf(cells[0], 96, "%.95s", r->name);
    snprintf(cells[1], 96, "%s", r->precision[0] ? r->precision : "-");
    cell_num(cells[2], 96, mib(r->file_bytes), r->file_bytes > 0, "%.2f");
    cell_num(cells[3], 96, (double)r->n_params / 1e6, r->n_params > 0, "%.2f");
    cell_num(cells[4], 96, mib(r->peak_rss_bytes), mem && r->peak_rss_bytes > 0, "%.1f");
    if (r->planned_rss_bytes > 0 && mem && r->peak_rss_bytes > 0)
        snprintf(cells[14], 96, "%.1f (%+.1f%%)", mib(r->planned_rss_bytes),
                 100.0 * ((double)r->peak_rss_bytes - (double)r->planned_rss_bytes) / (double)r->planned_rss_bytes);
    else
        cell_num(cells[14], 96, mib(r->planned_rss_bytes), r->planned_rss_bytes > 0, "%.1f");
    if (mem && r->weights_bytes >= 0)
        snprintf(cells[5], 96, "%.1f / %.1f / %.1f", mib(r->weights_bytes), mib(r->kv_bytes), mib(r->scratch_bytes));
    else
        snprintf(cells[5], 96, "-");
    cell_num(cells[6], 96, mib(r->gpu_bytes), r->gpu_bytes >= 0, "%.0f");
    cell_num(cells[7], 96, (double)r->threads, r->threads > 0, "%.0f");
    cell_fig(cells[8], 96, &r->load, 1, 3);
    cell_fig(cells[9], 96, &r->ttft, 1000, 1);
    cell_fig(cells[10], 96, &r->pp, 1, 1);
    cell_fig(cells[11], 96, &r->tg, 1, 1);
    if (r->bound_tps > 0 && r->tg.mean > 0)
        snprintf(cells[12], 96, "%.0f (%.0f%%)", r->bound_tps, 100 * r->tg.mean / r->bound_tps);
    else
        snprintf(cells[12], 96, "-");
    if (r->has_acc && r->acc_stderr >= 0) snprintf(cells[13], 96, "%.4f ± %.4f", r->acc, r->acc_stderr);
    else if (r->has_acc) snprintf(cells[13], 96, "%.4f", r->acc);
    else snprintf(cells[13], 96, "-");
    if (r->error[0])
        for (int c = 2; c < N_COLS; c++) snprintf(cells[c], 96, c == 2 ? "failed" : "-");
}

static void print_table(FILE *out, int md, const bench_result *rs, int n, const bench_machine *m)
{
    char head[N_COLS][96] = {"model", "precision", "size MiB", "params M", "peak RSS MiB", "weights/KV/scratch MiB",
                             "GPU MiB", "threads", "load s", "ttft ms", "pp t/s", "tg t/s", "tg bound t/s (achieved)",
                             "accuracy", "planned RSS MiB (measured vs)"};
    int pp_n = 0, tg_n = 0;
    const char *task = NULL, *metric = NULL;
    for (int i = 0; i < n; i++) {
        if (rs[i].pp.n_tokens > 0 && !pp_n) pp_n = rs[i].pp.n_tokens;
        if (rs[i].tg.n_tokens > 0 && !tg_n) tg_n = rs[i].tg.n_tokens;
        if (rs[i].has_acc && !task) {
            task = rs[i].task;
            metric = rs[i].metric;
        }
    }
    if (pp_n) snprintf(head[10], 96, "pp%d t/s", pp_n);
    if (tg_n) snprintf(head[11], 96, "tg%d t/s", tg_n);
    if (task) {
        const char *none = strstr(metric, ",none");
        snprintf(head[13], 96, "%.40s %.*s", task, none ? (int)(none - metric) : 50, metric);
    }
    if (m)
        fprintf(out, "%s machine: %s, %d cores; read bandwidth %.2f GB/s (%d threads, memchr over 128 MiB, best of 5)%s\n",
                md ? "<!--" : "#", m->cpu_model, m->cores, m->read_bw / 1e9, m->threads, md ? " -->" : "");
    char (*cells)[N_COLS][96] = tt_calloc((size_t)n + 1, sizeof *cells);
    memcpy(cells[0], head, sizeof head);
    for (int i = 0; i < n; i++) row_cells(&rs[i], cells[i + 1]);
    int width[N_COLS] = {0};
    for (int i = 0; i <= n; i++)
        for (int c = 0; c < N_COLS; c++) {
            int w = (int)tt_utf8_codepoints(cells[i][c], strlen(cells[i][c]));
            if (w > width[c]) width[c] = w;
        }
    for (int i = 0; i <= n; i++) {
        fputs("|", out);
        for (int c = 0; c < N_COLS; c++) {
            int w = (int)tt_utf8_codepoints(cells[i][c], strlen(cells[i][c]));
            int pad = width[c] - w;
            if (c >= 2) fprintf(out, " %*s%s |", pad, "", cells[i][c]);
            else fprintf(out, " %s%*s |", cells[i][c], pad, "");
        }
        fputs("\n", out);
        if (i == 0) {
            fputs("|", out);
            for (int c = 0; c < N_COLS; c++) {
                fputs(c >= 2 ? " " : " ", out);
                for (int k = 0; k < width[c] - (md && c >= 2 ? 1 : 0); k++) fputc('-', out);
                fputs(md && c >= 2 ? ": |" : " |", out);
            }
            fputs("\n", out);
        }
    }
    free(cells);
    for (int i = 0; i < n; i++) {
        if (rs[i].error[0])
            fprintf(out, "%s %s %s: failed: %s\n", md ? "-" : "#", rs[i].name, rs[i].precision, rs[i].error);
        else if (rs[i].note[0])
            fprintf(out, "%s %s %s: %s\n", md ? "-" : "#", rs[i].name, rs[i].precision, rs[i].note);
    }
    fprintf(out, "%s pp/tg: llama-bench style, mean ± sample stddev over the repetitions after a warm-up; "
                 "tg bound = read bandwidth / weight bytes read per token\n", md ? "-" : "#");
    /* Above 100% the weights were served from the CPU caches, not memory:
     * the main-memory bound does not apply to a model that small. */
    int over = 0;
    for (int i = 0; i < n; i++)
        if (!rs[i].error[0] && rs[i].bound_tps > 0 && rs[i].tg.mean > rs[i].bound_tps) over = 1;
    if (over)
        fprintf(out, "%s an achieved fraction above 100%% means the weights fit in the CPU caches: "
                     "main-memory bandwidth does not bound generation for that model\n", md ? "-" : "#");
}

static json_t *fig_json(const bench_figure *f, const double *samples)
{
    if (f->mean < 0) return json_null();
    json_t *o = json_pack("{s:f, s:f, s:i, s:i}", "mean", f->mean, "stddev", f->sd, "n_tokens", f->n_tokens, "repetitions",
                          f->reps);
    if (samples) {
        json_t *a = json_array();
        for (int i = 0; i < f->reps; i++) json_array_append_new(a, json_real(samples[i]));
        json_object_set_new(o, "samples", a);
    }
    return o;
}

static json_t *i64_json(int64_t v, int known) { return known && v >= 0 ? json_integer(v) : json_null(); }

static json_t *result_json(const bench_result *r)
{
    int mem = r->memory_measured;
    json_t *o = json_object();
    json_object_set_new(o, "model", json_string(r->name));
    json_object_set_new(o, "spec", json_string(r->spec));
    json_object_set_new(o, "engine", json_string(r->engine));
    json_object_set_new(o, "precision", r->precision[0] ? json_string(r->precision) : json_null());
    json_object_set_new(o, "memory_measured", json_boolean(mem));
    json_object_set_new(o, "threads", r->threads > 0 ? json_integer(r->threads) : json_null());
    json_object_set_new(o, "file_bytes", i64_json(r->file_bytes, 1));
    json_object_set_new(o, "n_params", i64_json(r->n_params, 1));
    json_object_set_new(o, "peak_rss_bytes", i64_json(r->peak_rss_bytes, mem));
    json_object_set_new(o, "planned_rss_bytes", i64_json(r->planned_rss_bytes, 1));
    json_object_set_new(o, "weights_bytes", i64_json(r->weights_bytes, mem));
    json_object_set_new(o, "kv_bytes", i64_json(r->kv_bytes, mem));
    json_object_set_new(o, "scratch_bytes", i64_json(r->scratch_bytes, mem));
    json_object_set_new(o, "gpu_bytes", i64_json(r->gpu_bytes, 1));
    json_object_set_new(o, "weight_bytes_per_token", i64_json(r->bytes_per_token, 1));
    json_object_set_new(o, "load_s", r->load.mean >= 0 ? json_real(r->load.mean) : json_null());
    json_object_set_new(o, "ttft_s", fig_json(&r->ttft, NULL));
    json_object_set_new(o, "pp", fig_json(&r->pp, r->pp_samples));
    json_object_set_new(o, "tg", fig_json(&r->tg, r->tg_samples));
    json_object_set_new(o, "tg_bound_tokens_per_s", r->bound_tps > 0 ? json_real(r->bound_tps) : json_null());
    json_object_set_new(o, "tg_fraction_of_bound",
                        r->bound_tps > 0 && r->tg.mean > 0 ? json_real(r->tg.mean / r->bound_tps) : json_null());
    if (r->has_acc)
        json_object_set_new(o, "accuracy", json_pack("{s:s, s:s, s:f, s:o}", "task", r->task, "metric", r->metric,
                                                     "value", r->acc, "stderr",
                                                     r->acc_stderr >= 0 ? json_real(r->acc_stderr) : json_null()));
    json_object_set_new(o, "note", r->note[0] ? json_string(r->note) : json_null());
    json_object_set_new(o, "error", r->error[0] ? json_string(r->error) : json_null());
    return o;
}

static void csv_i64(FILE *out, int64_t v, int known)
{
    if (known && v >= 0) fprintf(out, ",%lld", (long long)v);
    else fputs(",", out);
}

static void csv_row(FILE *out, const bench_result *r, const char *test, int n_tokens, int reps, double mean, double sd,
                    const char *unit)
{
    tt_csv_field_fput(out, r->name);
    fputc(',', out);
    tt_csv_field_fput(out, r->spec);
    fprintf(out, ",%s,", r->precision);
    tt_csv_field_fput(out, test);
    fprintf(out, ",%d,%d,%.6g,", n_tokens, reps, mean);
    if (sd >= 0) fprintf(out, "%.6g", sd);
    fputc(',', out);
    tt_csv_field_fput(out, unit);
    int mem = r->memory_measured;
    csv_i64(out, r->file_bytes, 1);
    csv_i64(out, r->n_params, 1);
    csv_i64(out, r->peak_rss_bytes, mem);
    csv_i64(out, r->weights_bytes, mem);
    csv_i64(out, r->kv_bytes, mem);
    csv_i64(out, r->scratch_bytes, mem);
    csv_i64(out, r->gpu_bytes, 1);
    fprintf(out, ",%d,", r->threads);
    if (r->bound_tps > 0 && !strncmp(test, "tg", 2)) fprintf(out, "%.6g", r->bound_tps);
    fprintf(out, ",%d\n", mem);
}

int bench_print(FILE *out, const char *format, const bench_result *rs, int n, const bench_machine *m, char *err)
{
    int rc = bench_format_check(format, err);
    if (rc) return rc;
    if (!strcmp(format, "table") || !strcmp(format, "md")) {
        print_table(out, !strcmp(format, "md"), rs, n, m);
    } else if (!strcmp(format, "json")) {
        json_t *doc = json_object();
        if (m) json_object_set_new(doc, "machine", machine_obj(m));
        json_t *a = json_array();
        for (int i = 0; i < n; i++) json_array_append_new(a, result_json(&rs[i]));
        json_object_set_new(doc, "results", a);
        char *s = json_dumps(doc, JSON_INDENT(2));
        fprintf(out, "%s\n", s);
        free(s);
        json_decref(doc);
    } else {
        fputs("model,spec,precision,test,n_tokens,repetitions,mean,stddev,unit,file_bytes,n_params,peak_rss_bytes,"
              "weights_bytes,kv_bytes,scratch_bytes,gpu_bytes,threads,tg_bound_tokens_per_s,memory_measured\n",
              out);
        for (int i = 0; i < n; i++) {
            const bench_result *r = &rs[i];
            if (r->error[0]) continue;
            char name[64];
            if (r->load.mean >= 0) csv_row(out, r, "load", 0, 1, r->load.mean, -1, "s");
            if (r->ttft.mean >= 0) csv_row(out, r, "ttft", r->ttft.n_tokens, r->ttft.reps, r->ttft.mean, r->ttft.sd, "s");
            snprintf(name, sizeof name, "pp%d", r->pp.n_tokens);
            if (r->pp.mean >= 0) csv_row(out, r, name, r->pp.n_tokens, r->pp.reps, r->pp.mean, r->pp.sd, "tokens/s");
            snprintf(name, sizeof name, "tg%d", r->tg.n_tokens);
            if (r->tg.mean >= 0) csv_row(out, r, name, r->tg.n_tokens, r->tg.reps, r->tg.mean, r->tg.sd, "tokens/s");
            if (r->has_acc) {
                char test[128];
                snprintf(test, sizeof test, "task:%s", r->task);
                csv_row(out, r, test, 0, 1, r->acc, r->acc_stderr, r->metric);
            }
        }
    }
    return TT_OK;
}
