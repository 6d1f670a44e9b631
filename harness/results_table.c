/*
 * results_table.c — implementation of results_table.h: lm-eval's markdown
 * results table, one row per (task, filter, metric), then the suites;
 * below them the skipped tasks, the tasks with truncated requests, and the
 * notes (such as why a value is N/A).
 */
#include "harness/results_table.h"
#include "core/pytext.h"

#include <stdio.h>
#include <string.h>

/* A version as Python prints it: 1.0 as "1.0", a string as it is. */
static void version_text(const json_t *v, char *out, size_t n)
{
    char num[PYTEXT_FLOAT_REPR_MAX];
    if (json_is_string(v)) snprintf(out, n, "%s", json_string_value(v));
    else if (json_is_integer(v)) snprintf(out, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) {
        pytext_float_repr(json_real_value(v), num);
        snprintf(out, n, "%s", num);
    } else snprintf(out, n, "%s", v ? "N/A" : "");
}

static void print_rows(FILE *out, const json_t *doc, const char *name, const json_t *res)
{
    const json_t *versions = json_object_get(doc, "versions");
    const json_t *shots = json_object_get(doc, "n-shot");
    const json_t *hibs = json_object_get(json_object_get(doc, "higher_is_better"), name);
    const char *key;
    json_t *v;
    int first = 1;
    json_object_foreach((json_t *)res, key, v) {
        if (strcmp(key, "alias") == 0 || strstr(key, "_stderr,")) continue;
        const char *comma = strchr(key, ',');
        if (!comma) continue;
        char metric[96];
        snprintf(metric, sizeof metric, "%.*s", (int)(comma - key), key);
        char se_key[192];
        snprintf(se_key, sizeof se_key, "%s_stderr%s", metric, comma);
        const json_t *se = json_object_get(res, se_key);
        const json_t *ver = json_object_get(versions, name);
        const json_t *shot = json_object_get(shots, name);
        char val[32] = "N/A", ses[32] = "N/A", shot_s[16] = "", ver_s[64];
        version_text(ver, ver_s, sizeof ver_s);
        if (json_is_number(v)) snprintf(val, sizeof val, "%.4f", json_number_value(v));
        if (json_is_number(se)) snprintf(ses, sizeof ses, "%.4f", json_number_value(se));
        if (json_is_integer(shot)) snprintf(shot_s, sizeof shot_s, "%lld", (long long)json_integer_value(shot));
        int hib = json_is_true(json_object_get(hibs, metric));
        fprintf(out, "|%-24s|%7s|%-16s|%6s|%-14s|%s|%8s|±|%8s|\n", first ? name : "", first ? ver_s : "",
                comma + 1, first ? shot_s : "", metric, hib ? "↑" : "↓", val, ses);
        first = 0;
    }
}

void results_table_print(const json_t *doc, FILE *out)
{
    const json_t *cfg = json_object_get(doc, "config");
    const json_t *limit = json_object_get(cfg, "limit");
    char lim[32] = "none";
    if (json_is_number(limit)) snprintf(lim, sizeof lim, "%g", json_number_value(limit));
    fprintf(out, "%s (%s), limit: %s, seed: %lld\n", json_string_value(json_object_get(cfg, "model_name")),
            json_string_value(json_object_get(cfg, "model")), lim,
            (long long)json_integer_value(json_object_get(cfg, "random_seed")));
    const char *hdr = "|%-24s|%7s|%-16s|%6s|%-14s|%s|%8s|%s|%8s|\n";
    fprintf(out, hdr, "Tasks", "Version", "Filter", "n-shot", "Metric", " ", "Value", " ", "Stderr");
    fprintf(out, "|------------------------|-------|----------------|------|--------------|-|--------|-|--------|\n");
    const char *name;
    json_t *res;
    /* "results" holds the suites too (as lm-eval's); they get their own table */
    const json_t *groups = json_object_get(doc, "groups");
    json_object_foreach(json_object_get(doc, "results"), name, res)
        if (!json_object_get(groups, name)) print_rows(out, doc, name, res);
    int group_rows = 0;
    json_object_foreach(json_object_get(doc, "groups"), name, res) {
        const char *key;
        json_t *v;
        json_object_foreach(res, key, v) group_rows += strchr(key, ',') != NULL;
    }
    if (group_rows > 0) {
        fprintf(out, "\n");
        fprintf(out, hdr, "Groups", "Version", "Filter", "n-shot", "Metric", " ", "Value", " ", "Stderr");
        fprintf(out, "|------------------------|-------|----------------|------|--------------|-|--------|-|--------|\n");
        json_object_foreach(json_object_get(doc, "groups"), name, res) print_rows(out, doc, name, res);
    }
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(doc, "skipped"), i, s)
        fprintf(out, "skipped %s: %s\n", json_string_value(json_object_get(s, "task")), json_string_value(json_object_get(s, "reason")));
    json_object_foreach(json_object_get(doc, "truncated"), name, res) {
        json_int_t k = json_integer_value(json_object_get(res, "truncated"));
        if (k > 0)
            fprintf(out, "truncated %s: %lld of %lld requests (longer than the model's context; left-truncated)\n", name,
                    (long long)k, (long long)json_integer_value(json_object_get(res, "requests")));
    }
    json_array_foreach(json_object_get(doc, "notes"), i, s) fprintf(out, "note: %s\n", json_string_value(s));
    fprintf(out, "\n");
}
