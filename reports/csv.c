/*
 * csv.c — one tidy CSV per table (report.h lists them): a header row,
 * RFC 4180 quoting (tt_csv_field), numbers unrounded (tt_num_roundtrip,
 * shortest text that reads back to the same double), empty field for a
 * missing value, CRLF-free "\n" line ends. Called by render.c.
 */
#include "core/escape.h"
#include "reports/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[REPORT_CSV_COUNT] = {
    "leaderboard.csv", "accuracy.csv", "ratings.csv", "bench.csv", "pairs.csv", "elo_history.csv", "runs.csv",
};

const char *report_csv_name(report_csv_kind k)
{
    return k >= 0 && k < REPORT_CSV_COUNT ? names[k] : "unknown.csv";
}

/* Field writers: each prepends the separator unless first. */
static void f_str(tt_buf *b, const char *s, int first)
{
    if (!first) tt_buf_puts(b, ",");
    tt_csv_field(b, s);
}

static void f_num(tt_buf *b, double v)
{
    tt_buf_puts(b, ",");
    tt_num_roundtrip(b, v);
}

static void f_int(tt_buf *b, long long v, int present)
{
    tt_buf_puts(b, ",");
    if (present) tt_buf_printf(b, "%lld", v);
}

static void leaderboard(const report_table *t, tt_buf *b)
{
    tt_buf_puts(b, "model,precision,spec,engine,group,rank,bt_rating,bt_lower,bt_upper,elo,elo_source,battles,"
                   "mean_task_score,tasks_in_mean,peak_rss_bytes,gpu_bytes,file_bytes,pp_tokens_per_s,"
                   "tg_tokens_per_s,ttft_s,load_s,tg_stddev,tg_within_noise,names\n");
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        f_str(b, r->name, 1);
        f_str(b, r->precision, 0);
        f_str(b, r->spec, 0);
        f_str(b, r->engine, 0);
        f_int(b, r->group, 1);
        f_int(b, r->rank, r->rank > 0);
        f_num(b, r->has_bt ? r->bt : NAN);
        f_num(b, r->has_bt ? r->bt_lower : NAN);
        f_num(b, r->has_bt ? r->bt_upper : NAN);
        f_num(b, r->has_elo ? r->elo : NAN);
        f_str(b, r->has_elo ? (r->elo_online ? "online" : "ratings") : NULL, 0);
        f_int(b, r->battles, 1);
        f_num(b, r->mean_acc);
        f_int(b, r->n_acc, 1);
        f_num(b, r->peak_rss_bytes);
        f_num(b, r->gpu_bytes);
        f_num(b, r->file_bytes);
        f_num(b, r->pp_tps);
        f_num(b, r->tg_tps);
        f_num(b, r->ttft_s);
        f_num(b, r->load_s);
        f_num(b, r->tg_sd);
        f_int(b, r->tg_within_noise, !isnan(r->tg_tps));
        tt_buf names;
        tt_buf_init(&names);
        for (int k = 0; k < r->n_names; k++) tt_buf_printf(&names, "%s%s", k ? "\n" : "", r->names[k]);
        f_str(b, tt_buf_str(&names), 0);
        tt_buf_free(&names);
        tt_buf_puts(b, "\n");
    }
}

static void accuracy(const report_table *t, tt_buf *b)
{
    tt_buf_puts(b, "run_id,model,precision,spec,task,is_group,filter,metric,value,stderr,n,n_shot,"
                   "higher_is_better,in_leaderboard\n");
    for (int i = 0; i < t->n_metrics; i++) {
        const report_metric *m = &t->metrics[i];
        const report_row *r = &t->rows[m->row];
        int shown = 0;
        for (int k = 0; k < t->n_tasks && !shown; k++) {
            const report_task *tk = &t->tasks[k];
            shown = tk->is_group == m->is_group && !strcmp(tk->name, m->task) && !strcmp(tk->metric, m->metric) &&
                    !strcmp(tk->filter, m->filter) && r->cells[k].has && r->cells[k].run_id == m->run_id;
        }
        tt_buf_printf(b, "%lld", (long long)m->run_id);
        f_str(b, r->name, 0);
        f_str(b, r->precision, 0);
        f_str(b, r->spec, 0);
        f_str(b, m->task, 0);
        f_int(b, m->is_group, 1);
        f_str(b, m->filter, 0);
        f_str(b, m->metric, 0);
        f_num(b, m->value);
        f_num(b, m->se);
        f_int(b, m->n, 1);
        f_int(b, m->n_shot, m->n_shot >= 0);
        f_int(b, m->higher_is_better, m->higher_is_better >= 0);
        f_int(b, shown, 1);
        tt_buf_puts(b, "\n");
    }
}

static void ratings(const report_table *t, tt_buf *b)
{
    tt_buf_puts(b, "model,precision,rank,bt_rating,bt_lower,bt_upper,bt_computed_at,elo,elo_source,battles,"
                   "bootstrap_rounds,seed\n");
    for (int i = 0; i < t->n_rows; i++) {
        const report_row *r = &t->rows[i];
        if (!r->has_bt && !r->has_elo) continue;
        f_str(b, r->name, 1);
        f_str(b, r->precision, 0);
        f_int(b, r->rank, r->rank > 0);
        f_num(b, r->has_bt ? r->bt : NAN);
        f_num(b, r->has_bt ? r->bt_lower : NAN);
        f_num(b, r->has_bt ? r->bt_upper : NAN);
        f_str(b, r->has_bt ? t->bt_info.computed_at : NULL, 0);
        f_num(b, r->has_elo ? r->elo : NAN);
        f_str(b, r->has_elo ? (r->elo_online ? "online" : "ratings") : NULL, 0);
        f_int(b, r->battles, 1);
        f_int(b, t->bt_info.bootstrap_rounds, r->has_bt && t->bt_info.bootstrap_rounds > 0);
        f_int(b, t->bt_info.seed, r->has_bt && t->bt_info.has_seed);
        tt_buf_puts(b, "\n");
    }
}

static void bench(const report_table *t, tt_buf *b)
{
    tt_buf_puts(b, "created_at,model_spec,model_name,precision,test,unit,mean,stddev,n_tokens,repetitions,"
                   "file_bytes,n_params,peak_rss_bytes,weights_bytes,kv_bytes,scratch_bytes,gpu_bytes,threads\n");
    for (int i = 0; i < t->n_bench; i++) {
        const report_bench *r = &t->bench[i];
        f_str(b, r->created_at, 1);
        f_str(b, r->model_spec, 0);
        f_str(b, r->model_name, 0);
        f_str(b, r->precision, 0);
        f_str(b, r->test, 0);
        f_str(b, r->unit, 0);
        const double v[] = {r->mean, r->stddev, r->n_tokens, r->repetitions, r->file_bytes, r->n_params,
                            r->peak_rss_bytes, r->weights_bytes, r->kv_bytes, r->scratch_bytes, r->gpu_bytes,
                            r->threads};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) f_num(b, v[k]);
        tt_buf_puts(b, "\n");
    }
}

static void pairs(const report_table *t, tt_buf *b)
{
    const report_arena *a = &t->arena;
    tt_buf_puts(b, "model,opponent,wins,losses,ties,decisive_battles,win_fraction\n");
    for (int i = 0; i < a->n_models; i++)
        for (int j = 0; j < a->n_models; j++) {
            if (i == j) continue;
            int n = a->n_models, dec = report_arena_count(a, i, j), ties = a->ties[i * n + j];
            if (dec == 0 && ties == 0) continue;
            f_str(b, a->models[i], 1);
            f_str(b, a->models[j], 0);
            tt_buf_printf(b, ",%d,%d,%d,%d", a->wins[i * n + j], a->wins[j * n + i], ties, dec);
            f_num(b, report_arena_winfrac(a, i, j));
            tt_buf_puts(b, "\n");
        }
}

static void elo_history(const report_table *t, tt_buf *b)
{
    const report_arena *a = &t->arena;
    tt_buf_puts(b, "battles_rated,tstamp,model,elo\n");
    for (int p = 0; p < a->n_points; p++)
        for (int i = 0; i < a->n_models; i++) {
            double v = a->elo[(size_t)p * (size_t)a->n_models + (size_t)i];
            if (isnan(v)) continue;
            tt_buf_printf(b, "%lld", a->step[p]);
            f_num(b, a->tstamp[p]);
            f_str(b, a->models[i], 0);
            f_num(b, v);
            tt_buf_puts(b, "\n");
        }
}

static void runs(const report_table *t, tt_buf *b)
{
    tt_buf_puts(b, "run_id,started_at,finished_at,status,tool_version,git_rev,seed,samples,metric_rows,config_json\n");
    for (int i = 0; i < t->n_runs; i++) {
        const report_run *r = &t->runs[i];
        tt_buf_printf(b, "%lld", (long long)r->id);
        f_str(b, r->started_at, 0);
        f_str(b, r->finished_at, 0);
        f_str(b, r->status, 0);
        f_str(b, r->tool_version, 0);
        f_str(b, r->git_rev, 0);
        tt_buf_printf(b, ",%llu,%lld,%lld", (unsigned long long)r->seed, (long long)r->samples,
                      (long long)r->metric_rows);
        f_str(b, r->config_json, 0);
        tt_buf_puts(b, "\n");
    }
}

void report_csv_render(const report_table *t, report_csv_kind k, tt_buf *out)
{
    switch (k) {
    case REPORT_CSV_LEADERBOARD: leaderboard(t, out); break;
    case REPORT_CSV_ACCURACY: accuracy(t, out); break;
    case REPORT_CSV_RATINGS: ratings(t, out); break;
    case REPORT_CSV_BENCH: bench(t, out); break;
    case REPORT_CSV_PAIRS: pairs(t, out); break;
    case REPORT_CSV_ELO_HISTORY: elo_history(t, out); break;
    case REPORT_CSV_RUNS: runs(t, out); break;
    default: break;
    }
}

int report_write_csv(const report_table *t, const char *dir, char *err)
{
    int rc = TT_OK;
    tt_buf b;
    tt_buf_init(&b);
    for (int k = 0; k < REPORT_CSV_COUNT && !rc; k++) {
        tt_buf_reset(&b);
        report_csv_render(t, (report_csv_kind)k, &b);
        char *path = tt_path_join(dir, names[k]);
        rc = tt_write_file(path, tt_buf_str(&b), b.len, err);
        free(path);
    }
    tt_buf_free(&b);
    return rc;
}
