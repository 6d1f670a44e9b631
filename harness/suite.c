/*
 * suite.c — suite files and task lookup by name; see suite.h. Called by the
 * runner when the user names tasks or suites.
 */
#include "harness/suite.h"

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "core/suggest.h"
#include "core/util.h"

#define SUITE_MAX_DEPTH 8

char *suite_tasks_dir(void)
{
    const char *t = getenv("TIANTI_TASKS");
    if (t && *t) return tt_strdup(t);
    const char *s = getenv("TIANTI_SOURCE_DIR");
    if (s && *s) return tt_path_join(s, "tasks");
    return tt_strdup("tasks");
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Depth-first search for file name `want` under dir; collects matches. */
static void walk(const char *dir, const char *want, char **found, int *n, int depth)
{
    if (depth > 16) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char *p = tt_path_join(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                walk(p, want, found, n, depth + 1);
            } else if (!strcmp(e->d_name, want) && *n < 2) {
                found[(*n)++] = p;
                p = NULL;
            }
        }
        free(p);
    }
    closedir(d);
}

/* The task or suite name under dir nearest to name (core/suggest.h), or
 * NULL; caller frees. */
static char *suite_nearest(const char *dir, const char *name)
{
    char **paths = NULL;
    int n = 0;
    if (suite_list(dir, &paths, &n, NULL) != TT_OK) return NULL;
    const char **names = tt_calloc((size_t)n + 1, sizeof *names);
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(paths[i], '/');
        base = base ? base + 1 : paths[i];
        size_t len = strlen(base);
        len -= ends_with(base, ".suite.json") ? 11 : 5;
        paths[i][base - paths[i] + (ptrdiff_t)len] = 0;   /* the name, in place */
        names[i] = base;
    }
    char *near = tt_strdup(tt_suggest(name, names, (size_t)n));
    free(names);
    suite_list_free(paths);
    return near;
}

int suite_find(const char *tasks_dir, const char *name, char **path_out, int *is_suite, char *err)
{
    *path_out = NULL;
    *is_suite = 0;
    if ((ends_with(name, ".json")) && tt_file_exists(name)) {
        *path_out = tt_strdup(name);
        *is_suite = ends_with(name, ".suite.json");
        return TT_OK;
    }
    if (!*name || strchr(name, '/') || ends_with(name, ".json"))
        return tt_fail(err, TT_ERR_USAGE, "no task or suite file '%s'", name);
    char *dir = tasks_dir ? tt_strdup(tasks_dir) : suite_tasks_dir();
    struct stat dst;
    if (stat(dir, &dst) != 0 || !S_ISDIR(dst.st_mode)) {
        int rc = tt_fail(err, TT_ERR_USAGE,
                         "no task or suite '%s': there is no tasks folder '%s' here (run from the repository, "
                         "or give --tasks-dir DIR or set TIANTI_TASKS)", name, dir);
        free(dir);
        return rc;
    }
    for (int pass = 0; pass < 2; pass++) {
        char *want = tt_asprintf("%s%s", name, pass == 0 ? ".json" : ".suite.json");
        char *found[2] = { NULL, NULL };
        int n = 0;
        walk(dir, want, found, &n, 0);
        free(want);
        if (n > 1) {
            int rc = tt_fail(err, TT_ERR_USAGE, "'%s' is ambiguous: %s and %s", name, found[0], found[1]);
            free(found[0]);
            free(found[1]);
            free(dir);
            return rc;
        }
        if (n == 1) {
            *path_out = found[0];
            *is_suite = pass == 1;
            free(dir);
            return TT_OK;
        }
    }
    char *near = suite_nearest(dir, name);
    int rc = near ? tt_fail(err, TT_ERR_USAGE, "no task or suite '%s' in '%s'; did you mean '%s'?", name, dir, near)
                  : tt_fail(err, TT_ERR_USAGE, "no task or suite '%s' in '%s' ('tianti tasks' lists them)", name, dir);
    free(near);
    free(dir);
    return rc;
}

static void list_walk(const char *dir, char ***paths, int *n, int depth)
{
    if (depth > 16) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char *p = tt_path_join(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            list_walk(p, paths, n, depth + 1);
        } else if (e->d_name[0] != '_' && ends_with(e->d_name, ".json")) {
            *paths = tt_realloc(*paths, (size_t)(*n + 2) * sizeof(char *));
            (*paths)[(*n)++] = p;
            (*paths)[*n] = NULL;
            p = NULL;
        }
        free(p);
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int suite_list(const char *tasks_dir, char ***paths, int *n, char *err)
{
    *paths = tt_calloc(1, sizeof(char *));
    *n = 0;
    struct stat st;
    if (stat(tasks_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(*paths);
        *paths = NULL;
        return tt_fail(err, TT_ERR_NOTFOUND, "no tasks folder '%s'", tasks_dir);
    }
    list_walk(tasks_dir, paths, n, 0);
    qsort(*paths, (size_t)*n, sizeof(char *), cmp_str);
    return TT_OK;
}

void suite_list_free(char **paths)
{
    if (!paths) return;
    for (int i = 0; paths[i]; i++) free(paths[i]);
    free(paths);
}

static void add_task(suite *s, const char *p)
{
    for (int i = 0; i < s->n_tasks; i++)
        if (!strcmp(s->task_paths[i], p)) return;
    s->task_paths = tt_realloc(s->task_paths, (size_t)(s->n_tasks + 1) * sizeof(char *));
    s->task_paths[s->n_tasks++] = tt_strdup(p);
}

static int load_into(suite *s, const char *path, const char *tasks_dir, int depth, int top, char *err)
{
    if (depth > SUITE_MAX_DEPTH) return tt_fail(err, TT_ERR_PARSE, "%s: suites nested too deeply", path);
    if (!tt_file_exists(path)) return tt_fail(err, TT_ERR_NOTFOUND, "cannot open suite '%s'", path);
    /* a suite is a few KiB: a regular file of at most 16 MiB */
    char *text = NULL;
    size_t len = 0;
    int trc = tt_read_file_max(path, (size_t)16 << 20, &text, &len, err);
    if (trc) return trc;
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!j) return tt_fail(err, TT_ERR_PARSE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    int rc = TT_OK;
    const char *k;
    json_t *v;
    if (!json_is_object(j)) {
        rc = tt_fail(err, TT_ERR_PARSE, "%s:1: a suite file must be a JSON object", path);
        goto out;
    }
    json_object_foreach(j, k, v) {
        if (strcmp(k, "name") && strcmp(k, "tasks") && strcmp(k, "aggregate") && strcmp(k, "description") &&
            strcmp(k, "version") && k[0] != '_') {
            rc = tt_fail(err, TT_ERR_PARSE, "%s: '%s' is not a suite key (name, tasks, aggregate, description, version)",
                         path, k);
            goto out;
        }
    }
    json_t *name = json_object_get(j, "name"), *tasks = json_object_get(j, "tasks");
    json_t *agg = json_object_get(j, "aggregate");
    if (!json_is_string(name)) {
        rc = tt_fail(err, TT_ERR_PARSE, "%s: 'name' must be a string", path);
        goto out;
    }
    if (!json_is_array(tasks) || json_array_size(tasks) == 0) {
        rc = tt_fail(err, TT_ERR_PARSE, "%s: 'tasks' must be a non-empty list", path);
        goto out;
    }
    json_t *version = json_object_get(j, "version");
    if (version && !json_is_string(version) && !json_is_number(version)) {
        rc = tt_fail(err, TT_ERR_PARSE, "%s: 'version' must be a string or a number", path);
        goto out;
    }
    if (top) {
        s->name = tt_strdup(json_string_value(name));
        s->version = version ? json_incref(version) : NULL;
        s->aggregate = SUITE_SIZE_WEIGHTED;
        if (agg) {
            const char *a = json_string_value(agg);
            if (a && !strcmp(a, "mean")) s->aggregate = SUITE_MEAN;
            else if (a && !strcmp(a, "size_weighted")) s->aggregate = SUITE_SIZE_WEIGHTED;
            else {
                rc = tt_fail(err, TT_ERR_PARSE, "%s: 'aggregate' must be \"size_weighted\" or \"mean\"", path);
                goto out;
            }
        }
    }
    char *dir = tt_dirname(path);
    size_t i;
    json_t *it;
    json_array_foreach(tasks, i, it) {
        if (!json_is_string(it)) {
            rc = tt_fail(err, TT_ERR_PARSE, "%s: tasks[%zu] must be a string", path, i);
            break;
        }
        const char *e = json_string_value(it);
        char *p = NULL;
        int is_suite = 0;
        if (ends_with(e, ".json")) {
            p = tt_path_join(dir, e);
            is_suite = ends_with(e, ".suite.json");
            if (!tt_file_exists(p)) {
                rc = tt_fail(err, TT_ERR_NOTFOUND, "%s: tasks[%zu]: no file '%s'", path, i, p);
                free(p);
                break;
            }
        } else {
            char inner[TT_ERR_SIZE];
            if ((rc = suite_find(tasks_dir, e, &p, &is_suite, inner)) != TT_OK) {
                /* a mistake in the suite file, not on the command line */
                if (rc == TT_ERR_USAGE) rc = TT_ERR_PARSE;
                tt_fail(err, rc, "%s: tasks[%zu]: %s", path, i, inner);
                break;
            }
        }
        if (is_suite) rc = load_into(s, p, tasks_dir, depth + 1, 0, err);
        else add_task(s, p);
        free(p);
        if (rc) break;
    }
    free(dir);
out:
    json_decref(j);
    return rc;
}

int suite_load(const char *path, const char *tasks_dir, suite **out, char *err)
{
    *out = NULL;
    suite *s = tt_calloc(1, sizeof *s);
    s->path = tt_strdup(path);
    char *td = tasks_dir ? tt_strdup(tasks_dir) : suite_tasks_dir();
    int rc = load_into(s, path, td, 0, 1, err);
    free(td);
    if (rc) {
        suite_free(s);
        return rc;
    }
    *out = s;
    return TT_OK;
}

void suite_free(suite *s)
{
    if (!s) return;
    free(s->path);
    free(s->name);
    json_decref(s->version);
    for (int i = 0; i < s->n_tasks; i++) free(s->task_paths[i]);
    free(s->task_paths);
    free(s);
}
