/*
 * cmd_ratings.c — `tianti ratings`: rates the arena's models from the
 * battles in the store (or a battle file) with Bradley–Terry or online Elo,
 * bootstrap intervals and ranks, and prints them as a table, JSON or CSV;
 * `--matrix` prints the pairwise win-fraction matrix instead. With a store
 * the ratings are also appended to its `ratings` table. All the work is in
 * arena/leaderboard.h and arena/matrix.h.
 */
#include "arena/battles.h"
#include "arena/clean.h"
#include "arena/leaderboard.h"
#include "arena/matrix.h"
#include "cli/cli.h"
#include "store/store.h"
#include "core/escape.h"
#include "core/util.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "tianti ratings [--db FILE | --battles FILE] [--method bt|elo] [--bootstrap N] [--seed S]\n"
    "              [--exclude-ties] [--anchor MODEL=RATING] [--source all|human|judge]\n"
    "              [--format table|json|csv] [--matrix] [--category C] [--min-battles N]\n"
    "              [--style-control] [--identity-words FILE] [--daily-cap N] [--outlier-test]",
    NULL,
};

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* The cleaning counts as a JSON object. */
static json_t *clean_json(const arena_clean_report *c, const char *category)
{
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "category", category, "read",
                     (json_int_t)c->read, "not_anonymous", (json_int_t)c->not_anonymous, "identity",
                     (json_int_t)c->identity, "error", (json_int_t)c->error, "unfinished", (json_int_t)c->unfinished,
                     "flagged", (json_int_t)c->flagged, "category_excluded", (json_int_t)c->category, "daily_cap",
                     (json_int_t)c->daily_cap, "outlier", (json_int_t)c->outlier, "outlier_voters",
                     (json_int_t)c->outlier_voters, "kept", (json_int_t)c->kept);
}

/* One line: how many battles each cleaning rule removed. */
static void print_cleaning(FILE *f, const arena_clean_report *c, const char *category)
{
    fprintf(f, "cleaning: %zu battles read", c->read);
    const struct { size_t n; const char *what; } rules[] = {
        {c->not_anonymous, "not anonymous"}, {c->identity, "naming a model"}, {c->error, "with a failed answer"},
        {c->unfinished, "unfinished"}, {c->flagged, "flagged otherwise"}, {c->category, "outside the category"},
        {c->daily_cap, "over the daily cap"}, {c->outlier, "from outlier voters"},
    };
    int any = 0;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (!rules[i].n) continue;
        fprintf(f, "%s %zu %s", any ? "," : "; dropped", rules[i].n, rules[i].what);
        any = 1;
    }
    if (c->outlier_voters) fprintf(f, " (%zu voters)", c->outlier_voters);
    fprintf(f, "; %zu kept%s%s\n", c->kept, strcmp(category, "all") ? " in category " : "",
            strcmp(category, "all") ? category : "");
}

static json_t *style_json(const arena_leaderboard *lb)
{
    json_t *arr = json_array();
    for (int k = 0; k < ARENA_STYLE_K; k++)
        json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "feature", arena_style_feature_name(k),
                                             "coef", num_or_null(lb->coef[k]), "lower", num_or_null(lb->coef_lower[k]),
                                             "upper", num_or_null(lb->coef_upper[k]), "mean",
                                             num_or_null(lb->feat_mean[k]), "sd", num_or_null(lb->feat_sd[k])));
    return json_pack("{s:o,s:i}", "coefficients", arr, "newton_steps", lb->style_iterations);
}

static void print_style(const arena_leaderboard *lb)
{
    printf("\nstyle coefficients (log-odds per standard deviation of the normalised difference):\n");
    printf("%-8s  %9s  %-21s  %s\n", "feature", "coef", lb->rounds ? "95% CI" : "", "sd of (a-b)/(a+b+1)");
    for (int k = 0; k < ARENA_STYLE_K; k++) {
        char ci[48] = "";
        if (lb->rounds) snprintf(ci, sizeof ci, "[%.4f, %.4f]", lb->coef_lower[k], lb->coef_upper[k]);
        printf("%-8s  %9.4f  %-21s  %.4f%s\n", arena_style_feature_name(k), lb->coef[k], ci, lb->feat_sd[k],
               lb->feat_sd[k] > 0 ? "" : " (constant: left out)");
    }
}

static void print_ratings(const arena_leaderboard *lb, const arena_lb_opts *o, const char *source,
                          const char *format, size_t n_battles, const arena_clean_report *clean,
                          const char *category)
{
    if (!strcmp(format, "json")) {
        json_t *root = json_object(), *arr = json_array();
        json_object_set_new(root, "method", json_string(arena_method_name(o->method)));
        json_object_set_new(root, "source", json_string(source));
        json_object_set_new(root, "battles", json_integer((json_int_t)n_battles));
        json_object_set_new(root, "bootstrap_rounds", json_integer(lb->rounds));
        json_object_set_new(root, "seed", json_integer((json_int_t)o->seed));
        json_object_set_new(root, "exclude_ties", json_boolean(o->exclude_ties));
        if (o->anchor_model) {
            json_object_set_new(root, "anchor_model", json_string(o->anchor_model));
            json_object_set_new(root, "anchor_rating", json_real(o->anchor_rating));
        }
        for (int i = 0; i < lb->n; i++) {
            const arena_lb_row *r = &lb->rows[i];
            json_t *e = json_object();
            json_object_set_new(e, "rank", json_integer(r->rank));
            json_object_set_new(e, "model", json_string(r->model));
            json_object_set_new(e, "rating", num_or_null(r->rating));
            json_object_set_new(e, "lower", num_or_null(r->lower));
            json_object_set_new(e, "upper", num_or_null(r->upper));
            json_object_set_new(e, "median", num_or_null(r->median));
            json_object_set_new(e, "battles", json_integer(r->battles));
            json_array_append_new(arr, e);
        }
        json_object_set_new(root, "ratings", arr);
        if (lb->n_hidden) json_object_set_new(root, "hidden_models", json_integer(lb->n_hidden));
        json_object_set_new(root, "min_battles", json_integer((json_int_t)o->min_battles));
        json_object_set_new(root, "cleaning", clean_json(clean, category));
        if (lb->style) json_object_set_new(root, "style_control", style_json(lb));
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
        json_decref(root);
        return;
    }
    if (!strcmp(format, "csv")) {
        printf("rank,model,rating,lower,upper,battles\n");
        for (int i = 0; i < lb->n; i++) {
            const arena_lb_row *r = &lb->rows[i];
            printf("%d,", r->rank);
            tt_csv_field_fput(stdout, r->model);
            printf(",%.4f,", r->rating);
            if (isfinite(r->lower)) printf("%.4f,%.4f", r->lower, r->upper); else printf(",");
            printf(",%ld\n", r->battles);
        }
        return;
    }
    int w = 5;
    for (int i = 0; i < lb->n; i++)
        if ((int)strlen(lb->rows[i].model) > w) w = (int)strlen(lb->rows[i].model);
    printf("%4s  %-*s  %8s  %-13s  %8s\n", "rank", w, "model", "rating", lb->rounds ? "95% CI" : "", "battles");
    for (int i = 0; i < lb->n; i++) {
        const arena_lb_row *r = &lb->rows[i];
        char ci[40] = "";
        if (lb->rounds) snprintf(ci, sizeof ci, "+%.1f/-%.1f", r->upper - r->rating, r->rating - r->lower);
        printf("%4d  %-*s  %8.1f  %-13s  %8ld\n", r->rank, w, r->model, r->rating, ci, r->battles);
    }
    printf("\n%s over %zu battles%s", lb->style ? "style-controlled bradley-terry"
                                      : o->method == ARENA_METHOD_BT ? "bradley-terry" : "online elo",
           n_battles, o->exclude_ties ? " (ties excluded)" : "");
    if (lb->rounds)
        printf("; 95%% intervals from %d bootstrap rounds, seed %llu%s\n", lb->rounds,
               (unsigned long long)o->seed, o->method == ARENA_METHOD_ELO ? " (rating = bootstrap median)" : "");
    else
        printf("; no bootstrap\n");
    if (lb->n_hidden)
        printf("%d model%s with fewer than %ld battles not shown\n", lb->n_hidden, lb->n_hidden == 1 ? "" : "s",
               o->min_battles);
    print_cleaning(stdout, clean, category);
    if (lb->style) print_style(lb);
}

static void print_matrix(const arena_index *idx, const char *format)
{
    arena_matrix m;
    arena_matrix_build(idx, &m);
    int n = m.n;
    int *order = tt_malloc((size_t)(n ? n : 1) * sizeof *order);
    arena_matrix_order(&m, order);
    if (!strcmp(format, "json")) {
        json_t *root = json_object(), *models = json_array(), *frac = json_array(), *cnt = json_array(),
               *avg = json_array();
        for (int i = 0; i < n; i++) {
            int a = order[i];
            json_array_append_new(models, json_string(idx->models[a]));
            json_array_append_new(avg, num_or_null(m.avg_win[a]));
            json_t *fr = json_array(), *cr = json_array();
            for (int j = 0; j < n; j++) {
                json_array_append_new(fr, num_or_null(m.frac[(size_t)a * n + order[j]]));
                json_array_append_new(cr, json_integer(m.count[(size_t)a * n + order[j]]));
            }
            json_array_append_new(frac, fr);
            json_array_append_new(cnt, cr);
        }
        json_object_set_new(root, "models", models);
        json_object_set_new(root, "win_fraction", frac);
        json_object_set_new(root, "battle_count", cnt);
        json_object_set_new(root, "average_win_rate", avg);
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
        json_decref(root);
    } else if (!strcmp(format, "csv")) {
        printf("model");
        for (int j = 0; j < n; j++) { fputc(',', stdout); tt_csv_field_fput(stdout, idx->models[order[j]]); }
        printf(",average_win_rate\n");
        for (int i = 0; i < n; i++) {
            int a = order[i];
            tt_csv_field_fput(stdout, idx->models[a]);
            for (int j = 0; j < n; j++) {
                double v = m.frac[(size_t)a * n + order[j]];
                if (isfinite(v)) printf(",%.6f", v); else printf(",");
            }
            if (isfinite(m.avg_win[a])) printf(",%.6f\n", m.avg_win[a]); else printf(",\n");
        }
    } else {
        int w = 5;
        for (int i = 0; i < n; i++)
            if ((int)strlen(idx->models[i]) > w) w = (int)strlen(idx->models[i]);
        printf("win fraction of the row model against the column model (ties excluded; '-' never met)\n\n");
        printf("%3s %-*s", "", w, "model");
        for (int j = 0; j < n; j++) printf(" %5d", j + 1);
        printf("   avg\n");
        for (int i = 0; i < n; i++) {
            int a = order[i];
            printf("%3d %-*s", i + 1, w, idx->models[a]);
            for (int j = 0; j < n; j++) {
                double v = m.frac[(size_t)a * n + order[j]];
                if (isfinite(v)) printf(" %5.2f", v); else printf(" %5s", "-");
            }
            if (isfinite(m.avg_win[a])) printf(" %5.2f\n", m.avg_win[a]); else printf(" %5s\n", "-");
        }
    }
    free(order);
    arena_matrix_free(&m);
}

int cmd_ratings(int argc, char **argv)
{
    const char *db = NULL, *battles_file = NULL, *method = "bt", *anchor = NULL, *source = "all",
               *format = "table";
    int rounds = 1000, seed = 0, exclude_ties = 0, matrix = 0, threads = 0;
    double k = 4.0;
    const char *category = "all", *identity_words = NULL;
    int min_battles = 0, style_control = 0, daily_cap = 0, outlier_test = 0;
    const cli_option opts[] = {
        {OPT_STRING, 0, "db", &db, "FILE", "read battles from this store and save the ratings there "
                                           "(default tianti.db or $TIANTI_DB)", 0},
        {OPT_STRING, 0, "battles", &battles_file, "FILE", "read battles from a JSON Lines or JSON array file", 0},
        {OPT_STRING, 0, "method", &method, "METHOD", "bt (Bradley-Terry, default) or elo (online)", 0},
        {OPT_INT, 'b', "bootstrap", &rounds, "N", "bootstrap rounds for 95% intervals (default 1000, 0 = none)", 0},
        {OPT_INT, 0, "seed", &seed, "S", "bootstrap seed (default 0)", 0},
        {OPT_INT, 0, "threads", &threads, "N", "bootstrap threads (default: all CPUs)", 0},
        {OPT_FLAG, 0, "exclude-ties", &exclude_ties, NULL, "drop ties (both kinds) before rating", 0},
        {OPT_STRING, 0, "anchor", &anchor, "MODEL=RATING", "shift ratings so that MODEL has RATING", 0},
        {OPT_STRING, 0, "source", &source, "SRC", "all (default), human or judge battles", 0},
        {OPT_DOUBLE, 0, "k", &k, "K", "elo K factor (default 4)", 0},
        {OPT_STRING, 'f', "format", &format, "FMT", "table (default), json or csv", 0},
        {OPT_FLAG, 0, "matrix", &matrix, NULL, "print the pairwise win-fraction matrix instead", 0},
        {OPT_STRING, 0, "category", &category, "C",
         "rate only battles of a category: en, zh, other, code, math, long, multiturn, hard (default all)", 0},
        {OPT_INT, 0, "min-battles", &min_battles, "N", "hide models with fewer battles (default 0: show all)", 0},
        {OPT_FLAG, 0, "style-control", &style_control, NULL,
         "bradley-terry with style covariates (length, headers, lists, bold); prints their coefficients", 0},
        {OPT_STRING, 0, "identity-words", &identity_words, "FILE",
         "words that name a model, one a line (default: Tianti's list); battles naming one are dropped", 0},
        {OPT_INT, 0, "daily-cap", &daily_cap, "N", "keep each voter's first N votes per UTC day (default: no cap)", 0},
        {OPT_FLAG, 0, "outlier-test", &outlier_test, NULL, "drop voters Chatbot Arena's sequential test flags", 0},
        CLI_OPT_END,
    };
    int prc = cli_parse(argc, argv, usage, opts, NULL);
    if (prc) return prc == 1 ? 0 : 2;
    char err[TT_ERR_SIZE];
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    arena_source src;
    if (arena_method_parse(method, &o.method, err) || arena_source_parse(source, &src, err)) {
        cli_error("ratings: %s", err);
        return 2;
    }
    if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "csv")) {
        cli_error("ratings: unknown format '%s' (table, json or csv)", format);
        return 2;
    }
    if (db && battles_file) {
        cli_error("ratings: give either --db or --battles, not both");
        return 2;
    }
    if (rounds < 0 || seed < 0 || threads < 0 || !(k > 0)) {
        cli_error("ratings: --bootstrap, --seed and --threads must not be negative, --k must be positive");
        return 2;
    }
    arena_clean_opts co;
    arena_clean_opts_default(&co);
    if (arena_category_parse(category, &co.category, err) != TT_OK) {
        cli_error("ratings: %s", err);
        return 2;
    }
    if (min_battles < 0 || daily_cap < 0) {
        cli_error("ratings: --min-battles and --daily-cap must not be negative");
        return 2;
    }
    if (style_control && o.method != ARENA_METHOD_BT) {
        cli_error("ratings: --style-control works with --method bt only");
        return 2;
    }
    co.daily_cap = daily_cap;
    co.outlier = outlier_test;
    o.min_battles = min_battles;
    o.style_control = style_control;
    char *anchor_name = NULL;
    if (anchor) {
        const char *eq = strrchr(anchor, '=');
        char *end = NULL;
        if (eq) o.anchor_rating = strtod(eq + 1, &end);
        if (!eq || eq == anchor || !end || end == eq + 1 || *end || !isfinite(o.anchor_rating)) {
            cli_error("ratings: --anchor wants MODEL=RATING, not '%s'", anchor);
            return 2;
        }
        anchor_name = tt_strndup(anchor, (size_t)(eq - anchor));
        o.anchor_model = anchor_name;
    }
    o.rounds = rounds;
    o.seed = (uint64_t)seed;
    o.threads = threads;
    o.exclude_ties = exclude_ties;
    o.elo.k = k;

    arena_battles l;
    arena_battles_init(&l);
    store *s = NULL;
    arena_words words = {NULL, 0};
    int rc = TT_OK;
    if (identity_words) rc = arena_words_load(identity_words, &words, err);
    arena_read_opts ro = {.identity = identity_words ? &words : NULL, .threads = threads};
    arena_load_opts lo = {.with_flagged = 1, .analyse = 1, .identity = ro.identity};
    arena_clean_report clean;
    memset(&clean, 0, sizeof clean);
    if (rc != TT_OK) {
        /* reported below */
    } else if (battles_file) {
        rc = arena_battles_read_file_opts(&l, battles_file, &ro, err);
        if (rc == TT_OK) arena_battles_filter_source(&l, src);
    } else {
        const char *path = cli_db_path(db);
        if (!store_target_exists(path)) {
            cli_error("ratings: no database '%s' (import battles with 'tianti arena import', or give --battles)",
                      path);
            free(anchor_name);
            return 1;
        }
        rc = store_open(path, &s, err);
        if (rc == TT_OK) rc = arena_battles_load_db_opts(s, src, &lo, &l, err);
    }
    if (rc == TT_OK) rc = arena_clean(&l, &co, &clean, err);
    if (rc != TT_OK) {
        cli_error("ratings: %s", err);
        goto out;
    }
    if (matrix) {
        arena_index idx;
        rc = arena_index_build(&l, 1, &idx, err);
        if (rc == TT_OK) print_matrix(&idx, format);
        else cli_error("ratings: %s", err);
        arena_index_free(&idx);
        goto out;
    }
    arena_leaderboard lb;
    rc = arena_leaderboard_compute(&l, &o, &lb, err);
    if (rc != TT_OK) {
        cli_error("ratings: %s", err);
    } else {
        if (lb.n == 0)
            fprintf(stderr, "tianti: ratings: no rated battles%s\n", src == ARENA_SOURCE_ALL ? "" : " from this source");
        if (o.method == ARENA_METHOD_BT && lb.bt_info.degenerate)
            fprintf(stderr, "tianti: warning: model '%s' never lost, never won, or never met the others, so "
                    "the maximum-likelihood ratings do not exist; these use a ridge of %g (see arena/bt.h)\n",
                    lb.idx.models[lb.bt_info.stray_model], o.bt.ridge);
        print_ratings(&lb, &o, source, format, lb.idx.n, &clean, category);
        if (s && lb.n > 0) {
            rc = arena_leaderboard_store_category(s, &lb, &o, source, co.category, err);
            if (rc != TT_OK) cli_error("ratings: %s", err);
        }
    }
    arena_leaderboard_free(&lb);
out:
    arena_battles_free(&l);
    arena_words_free(&words);
    store_close(s);
    free(anchor_name);
    return cli_exit_status(rc);
}
