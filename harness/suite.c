/*
 * suite.c — suite files, and finding tasks and suites by name along the
 * task search path; see suite.h. Called by the runner when the user names
 * tasks or suites, and by `tianti tasks` to list them. Names are looked up
 * in an index of the search path's folders, built once per lookup or suite:
 * JSON files by their file names, YAML files by their task:, group: and
 * tag: keys (read with their includes, harness/task.h task_config_load).
 */
#include "harness/suite.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "core/log.h"
#include "core/share.h"
#include "core/suggest.h"
#include "core/util.h"
#include "harness/task.h"
#include "harness/task_yaml.h"

#define SUITE_MAX_DEPTH 8

/* ---- the search path ----------------------------------------------------------- */

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Appends each existing folder of the ':'-separated list to b, canonical and once. */
static void path_add_list(tt_buf *b, const char *list)
{
    if (!list) return;
    const char *p = list;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n) {
            char *one = tt_strndup(p, n);
            char *real = is_dir(one) ? realpath(one, NULL) : NULL;
            if (real) {
                /* already there? compare whole entries */
                int dup = 0;
                const char *h = tt_buf_str(b);
                size_t rl = strlen(real);
                for (const char *q = h; *q;) {
                    const char *c = strchr(q, ':');
                    size_t l = c ? (size_t)(c - q) : strlen(q);
                    if (l == rl && !strncmp(q, real, rl)) dup = 1;
                    if (!c) break;
                    q = c + 1;
                }
                if (!dup) {
                    if (b->len) tt_buf_puts(b, ":");
                    tt_buf_puts(b, real);
                }
                free(real);
            }
            free(one);
        }
        if (!colon) break;
        p = colon + 1;
    }
}

char *suite_search_path(const char *extra)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    path_add_list(&b, extra);
    path_add_list(&b, getenv("TIANTI_TASKS"));
    char **shares = tt_share_dirs();
    for (int i = 0; shares[i]; i++) {
        char *t = tt_path_join(shares[i], "tasks");
        path_add_list(&b, t);
        free(t);
    }
    tt_share_dirs_free(shares);
    return tt_buf_detach(&b);
}

char *suite_tasks_dir(void) { return suite_search_path(NULL); }

/* The folders of a search path, as an array (NULL-terminated, owned). */
static char **path_split(const char *path, int *n)
{
    char **v = tt_calloc(1, sizeof *v);
    *n = 0;
    const char *p = path;
    while (p && *p) {
        const char *c = strchr(p, ':');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l) {
            v = tt_realloc(v, sizeof *v * (size_t)(*n + 2));
            v[(*n)++] = tt_strndup(p, l);
            v[*n] = NULL;
        }
        if (!c) break;
        p = c + 1;
    }
    return v;
}

static void strv_free(char **v)
{
    if (!v) return;
    for (int i = 0; v[i]; i++) free(v[i]);
    free(v);
}

/* Folders the user named (--tasks-dir DIR:DIR...) none of which is there:
 * a mistake to point at, not a path to skip quietly (one missing folder of
 * several is skipped, as on any search path). */
static int check_named_folders(const char *list, char *err)
{
    if (!list) return TT_OK;
    int n = 0, found = 0;
    char **v = path_split(list, &n);
    for (int i = 0; i < n; i++) found += is_dir(v[i]);
    int rc = found || !n ? TT_OK
                         : tt_fail(err, TT_ERR_USAGE, "there is no tasks folder '%s' (--tasks-dir takes folders separated by ':')",
                                   list);
    strv_free(v);
    return rc;
}

/* ---- the index ----------------------------------------------------------------- */

enum { KIND_TASK = 0, KIND_SUITE = 1 };

typedef struct idx_item {
    char *name, *path;
    int kind, folder, yaml;
} idx_item;

typedef struct idx_tag {
    char *tag, *path;
    int folder;
} idx_tag;

typedef struct suite_index {
    char **folders;
    int n_folders;
    idx_item *items;
    int n_items;
    idx_tag *tags;
    int n_tags;
    int yaml_errors;
    char first_error[TT_ERR_SIZE];
} suite_index;

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int is_yaml_name(const char *base) { return ends_with(base, ".yaml") || ends_with(base, ".yml"); }

static void add_item(suite_index *x, const char *name, const char *path, int kind, int folder, int yaml)
{
    x->items = tt_realloc(x->items, sizeof *x->items * (size_t)(x->n_items + 1));
    x->items[x->n_items++] = (idx_item){tt_strdup(name), tt_strdup(path), kind, folder, yaml};
}

static void add_tag(suite_index *x, const char *tag, const char *path, int folder)
{
    x->tags = tt_realloc(x->tags, sizeof *x->tags * (size_t)(x->n_tags + 1));
    x->tags[x->n_tags++] = (idx_tag){tt_strdup(tag), tt_strdup(path), folder};
}

/* What a YAML file defines: a task (task: NAME), a group (group: NAME with
 * task: [...]), tags; nothing for templates. */
static void index_yaml(suite_index *x, const char *path, int folder)
{
    json_t *c = NULL;
    char err[TT_ERR_SIZE];
    if (task_config_load(path, &c, err) != TT_OK) {
        if (!x->yaml_errors++) snprintf(x->first_error, sizeof x->first_error, "%s", err);
        tt_log(TT_LOG_DEBUG, "task index: %s", err);
        return;
    }
    json_t *task = json_object_get(c, "task"), *group = json_object_get(c, "group");
    if (json_is_string(group) && json_is_array(task)) {
        add_item(x, json_string_value(group), path, KIND_SUITE, folder, 1);
    } else if (json_is_string(task)) {
        add_item(x, json_string_value(task), path, KIND_TASK, folder, 1);
        json_t *tags = json_object_get(c, "tag");
        if (json_is_string(tags)) add_tag(x, json_string_value(tags), path, folder);
        size_t i;
        json_t *t;
        if (json_is_array(tags)) json_array_foreach(tags, i, t) if (json_is_string(t)) add_tag(x, json_string_value(t), path, folder);
    }
    json_decref(c);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The files under dir (recursively), sorted: JSON task and suite files
 * (not starting with '_') and YAML files. */
static void walk_files(const char *dir, char ***files, int *n, int depth)
{
    if (depth > 16) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "__pycache__")) continue;
        char *p = tt_path_join(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            walk_files(p, files, n, depth + 1);
        } else if ((e->d_name[0] != '_' && ends_with(e->d_name, ".json")) || is_yaml_name(e->d_name)) {
            *files = tt_realloc(*files, (size_t)(*n + 2) * sizeof(char *));
            (*files)[(*n)++] = p;
            (*files)[*n] = NULL;
            p = NULL;
        }
        free(p);
    }
    closedir(d);
}

static void index_folder(suite_index *x, int folder)
{
    char **files = NULL;
    int n = 0;
    walk_files(x->folders[folder], &files, &n, 0);
    if (n) qsort(files, (size_t)n, sizeof *files, cmp_str);
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
        if (ends_with(base, ".suite.json")) {
            char *name = tt_strndup(base, strlen(base) - 11);
            add_item(x, name, files[i], KIND_SUITE, folder, 0);
            free(name);
        } else if (ends_with(base, ".json")) {
            char *name = tt_strndup(base, strlen(base) - 5);
            add_item(x, name, files[i], KIND_TASK, folder, 0);
            free(name);
        } else {
            index_yaml(x, files[i], folder);
        }
        free(files[i]);
    }
    free(files);
}

static suite_index *index_build(const char *tasks_dir)
{
    suite_index *x = tt_calloc(1, sizeof *x);
    char *path = suite_search_path(tasks_dir);
    x->folders = path_split(path, &x->n_folders);
    free(path);
    for (int f = 0; f < x->n_folders; f++) index_folder(x, f);
    return x;
}

static void index_free(suite_index *x)
{
    if (!x) return;
    strv_free(x->folders);
    for (int i = 0; i < x->n_items; i++) {
        free(x->items[i].name);
        free(x->items[i].path);
    }
    free(x->items);
    for (int i = 0; i < x->n_tags; i++) {
        free(x->tags[i].tag);
        free(x->tags[i].path);
    }
    free(x->tags);
    free(x);
}

/* The search path as one line for messages. */
static char *folders_text(const suite_index *x)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    for (int f = 0; f < x->n_folders; f++) tt_buf_printf(&b, "%s'%s'", f ? ", " : "", x->folders[f]);
    if (!x->n_folders) tt_buf_puts(&b, "no tasks folder (none shipped here; pass --tasks-dir)");
    return tt_buf_detach(&b);
}

static int index_find(const suite_index *x, const char *name, char **path_out, int *is_suite, char *err)
{
    for (int f = 0; f < x->n_folders; f++) {
        /* in one folder: a task before a suite, JSON before YAML (the old
         * order: NAME.json, then NAME.suite.json) */
        const idx_item *best = NULL, *second = NULL;
        for (int i = 0; i < x->n_items; i++) {
            const idx_item *it = &x->items[i];
            if (it->folder != f || strcmp(it->name, name)) continue;
            if (!best || it->kind < best->kind || (it->kind == best->kind && it->yaml < best->yaml)) {
                second = best && best->kind == it->kind && best->yaml == it->yaml ? best : NULL;
                best = it;
            } else if (it->kind == best->kind && it->yaml == best->yaml) {
                second = it;
            }
        }
        if (best && second)
            return tt_fail(err, TT_ERR_USAGE, "'%s' is ambiguous: %s and %s", name, second->path, best->path);
        if (best) {
            *path_out = tt_strdup(best->path);
            *is_suite = best->kind == KIND_SUITE;
            return TT_OK;
        }
        for (int i = 0; i < x->n_tags; i++)
            if (x->tags[i].folder == f && !strcmp(x->tags[i].tag, name)) {
                *path_out = tt_asprintf("tag:%s", name);
                *is_suite = 1;
                return TT_OK;
            }
    }
    /* a name typed on the command line (or in a suite): usage, with the
     * nearest known name when there is one (core/suggest.h) */
    char *where = folders_text(x);
    const char **names = tt_calloc((size_t)(x->n_items + x->n_tags) + 1, sizeof *names);
    for (int i = 0; i < x->n_items; i++) names[i] = x->items[i].name;
    for (int i = 0; i < x->n_tags; i++) names[x->n_items + i] = x->tags[i].tag;
    const char *near = tt_suggest(name, names, (size_t)(x->n_items + x->n_tags));
    char hint[160];
    if (near) snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
    else snprintf(hint, sizeof hint, " ('tianti tasks' lists them)");
    int rc;
    if (x->yaml_errors)
        rc = tt_fail(err, TT_ERR_USAGE, "no task or suite '%s' in %s%s (%d YAML file%s could not be read, the first: %s)",
                     name, where, hint, x->yaml_errors, x->yaml_errors == 1 ? "" : "s", x->first_error);
    else
        rc = tt_fail(err, TT_ERR_USAGE, "no task or suite '%s' in %s%s", name, where, hint);
    free(names);
    free(where);
    return rc;
}

int suite_find(const char *tasks_dir, const char *name, char **path_out, int *is_suite, char *err)
{
    *path_out = NULL;
    *is_suite = 0;
    if ((ends_with(name, ".json") || is_yaml_name(name)) && tt_file_exists(name)) {
        *path_out = tt_strdup(name);
        if (ends_with(name, ".json")) {
            *is_suite = ends_with(name, ".suite.json");
        } else {
            json_t *c = NULL;
            if (task_config_load(name, &c, err) != TT_OK) return TT_ERR_PARSE;
            *is_suite = json_is_array(json_object_get(c, "task")) && json_is_string(json_object_get(c, "group"));
            json_decref(c);
        }
        return TT_OK;
    }
    if (!*name || strchr(name, '/') || ends_with(name, ".json") || is_yaml_name(name))
        return tt_fail(err, TT_ERR_USAGE, "no task or suite file '%s'", name);
    int rc = check_named_folders(tasks_dir, err);
    if (rc != TT_OK) return rc;
    suite_index *x = index_build(tasks_dir);
    rc = index_find(x, name, path_out, is_suite, err);
    index_free(x);
    return rc;
}

/* ---- listing ------------------------------------------------------------------------- */

int suite_list_entries(const char *tasks_dir, suite_entry **out, int *n, char *err)
{
    (void)err;
    suite_index *x = index_build(tasks_dir);
    *out = tt_calloc((size_t)x->n_items + (size_t)x->n_tags + 1, sizeof **out);
    *n = 0;
    for (int f = 0; f < x->n_folders; f++) {
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < (pass ? x->n_tags : x->n_items); i++) {
                const char *name = pass ? x->tags[i].tag : x->items[i].name;
                if ((pass ? x->tags[i].folder : x->items[i].folder) != f) continue;
                int seen = 0;
                for (int k = 0; k < *n && !seen; k++) seen = !strcmp((*out)[k].name, name);
                if (seen) continue;   /* shadowed by an earlier folder (or listed) */
                suite_entry *e = &(*out)[(*n)++];
                e->name = tt_strdup(name);
                e->path = pass ? tt_asprintf("tag:%s", name) : tt_strdup(x->items[i].path);
                e->folder = tt_strdup(x->folders[f]);
                e->is_suite = pass ? 1 : x->items[i].kind == KIND_SUITE;
            }
        }
    }
    index_free(x);
    return TT_OK;
}

void suite_entries_free(suite_entry *e, int n)
{
    for (int i = 0; e && i < n; i++) {
        free(e[i].name);
        free(e[i].path);
        free(e[i].folder);
    }
    free(e);
}

int suite_list(const char *tasks_dir, char ***paths, int *n, char *err)
{
    *paths = NULL;
    *n = 0;
    int nf = 0, any = 0;
    char **folders = path_split(tasks_dir, &nf);
    for (int f = 0; f < nf; f++) {
        if (!is_dir(folders[f])) continue;
        any = 1;
        walk_files(folders[f], paths, n, 0);
    }
    strv_free(folders);
    if (!any) return tt_fail(err, TT_ERR_NOTFOUND, "no tasks folder '%s'", tasks_dir);
    if (!*paths) *paths = tt_calloc(1, sizeof(char *));
    qsort(*paths, (size_t)*n, sizeof(char *), cmp_str);
    return TT_OK;
}

void suite_list_free(char **paths) { strv_free(paths); }

/* ---- loading suites ---------------------------------------------------------------- */

static void add_task(suite *s, const char *p)
{
    for (int i = 0; i < s->n_tasks; i++)
        if (!strcmp(s->task_paths[i], p)) return;
    s->task_paths = tt_realloc(s->task_paths, (size_t)(s->n_tasks + 1) * sizeof(char *));
    s->task_paths[s->n_tasks++] = tt_strdup(p);
}

static int load_any(suite *s, const char *path, const suite_index *x, int depth, char *err);

/* One entry of a suite's task list: a path relative to the suite file or a
 * name along the search path; a suite is loaded as a sub-suite and its
 * tasks spliced in. */
static int add_entry(suite *s, const char *suite_path, const char *dir, size_t i, const char *e,
                     const suite_index *x, int depth, char *err)
{
    char *p = NULL;
    int is_suite = 0, rc = TT_OK;
    if (ends_with(e, ".json") || is_yaml_name(e)) {
        p = tt_path_join(dir, e);
        if (!tt_file_exists(p)) {
            rc = tt_fail(err, TT_ERR_NOTFOUND, "%s: tasks[%zu]: no file '%s'", suite_path, i, p);
            free(p);
            return rc;
        }
        if (ends_with(e, ".suite.json")) is_suite = 1;
        else if (is_yaml_name(e)) {
            json_t *c = NULL;
            rc = task_config_load(p, &c, err);
            is_suite = json_is_array(json_object_get(c, "task")) && json_is_string(json_object_get(c, "group"));
            json_decref(c);
        }
    } else {
        char inner[TT_ERR_SIZE];
        if ((rc = index_find(x, e, &p, &is_suite, inner)) != TT_OK) {
            /* a mistake in the suite file, not on the command line */
            if (rc == TT_ERR_USAGE) rc = TT_ERR_PARSE;
            return tt_fail(err, rc, "%s: tasks[%zu]: %s", suite_path, i, inner);
        }
    }
    if (rc == TT_OK && is_suite) {
        suite *sub = tt_calloc(1, sizeof *sub);
        sub->path = tt_strdup(p);
        rc = load_any(sub, p, x, depth + 1, err);
        if (rc == TT_OK) {
            for (int k = 0; k < sub->n_tasks; k++) add_task(s, sub->task_paths[k]);
            s->subsuites = tt_realloc(s->subsuites, sizeof *s->subsuites * (size_t)(s->n_subsuites + 1));
            s->subsuites[s->n_subsuites++] = sub;
        } else {
            suite_free(sub);
        }
    } else if (rc == TT_OK) {
        add_task(s, p);
    }
    free(p);
    return rc;
}

static int set_version(suite *s, const char *path, json_t *version, char *err)
{
    if (!version || json_is_null(version)) return TT_OK;
    if (!json_is_string(version) && !json_is_number(version))
        return tt_fail(err, TT_ERR_PARSE, "%s: 'version' must be a string or a number", path);
    json_decref(s->version);
    s->version = json_incref(version);
    return TT_OK;
}

static void add_metric(suite *s, const char *m)
{
    s->metrics = tt_realloc(s->metrics, sizeof *s->metrics * (size_t)(s->n_metrics + 2));
    s->metrics[s->n_metrics++] = tt_strdup(m);
    s->metrics[s->n_metrics] = NULL;
}

static int load_json_suite(suite *s, const char *path, const suite_index *x, int depth, char *err)
{
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
            strcmp(k, "version") && strcmp(k, "metrics") && k[0] != '_') {
            rc = tt_fail(err, TT_ERR_PARSE,
                         "%s: '%s' is not a suite key (name, tasks, aggregate, metrics, description, version)", path, k);
            goto out;
        }
    }
    json_t *name = json_object_get(j, "name"), *tasks = json_object_get(j, "tasks");
    json_t *agg = json_object_get(j, "aggregate"), *metrics = json_object_get(j, "metrics");
    if (!json_is_string(name)) {
        rc = tt_fail(err, TT_ERR_PARSE, "%s: 'name' must be a string", path);
        goto out;
    }
    if (!json_is_array(tasks) || json_array_size(tasks) == 0) {
        rc = tt_fail(err, TT_ERR_PARSE, "%s: 'tasks' must be a non-empty list", path);
        goto out;
    }
    if ((rc = set_version(s, path, json_object_get(j, "version"), err))) goto out;
    s->name = tt_strdup(json_string_value(name));
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
    if (metrics) {
        size_t i;
        json_t *m;
        if (!json_is_array(metrics)) rc = tt_fail(err, TT_ERR_PARSE, "%s: 'metrics' must be a list of metric names", path);
        json_array_foreach(metrics, i, m) {
            if (rc) break;
            if (!json_is_string(m)) rc = tt_fail(err, TT_ERR_PARSE, "%s: metrics[%zu] must be a metric name", path, i);
            else add_metric(s, json_string_value(m));
        }
        s->has_metric_list = 1;
        if (rc) goto out;
    }
    char *dir = tt_dirname(path);
    size_t i;
    json_t *it;
    json_array_foreach(tasks, i, it) {
        if (!json_is_string(it)) {
            rc = tt_fail(err, TT_ERR_PARSE, "%s: tasks[%zu] must be a string", path, i);
            break;
        }
        if ((rc = add_entry(s, path, dir, i, json_string_value(it), x, depth, err))) break;
    }
    free(dir);
out:
    json_decref(j);
    return rc;
}

/* An lm-eval group file: group, task (names or {task: NAME}),
 * aggregate_metric_list, metadata.version. */
static int load_yaml_group(suite *s, const char *path, const suite_index *x, int depth, char *err)
{
    json_t *c = NULL;
    int rc = task_config_load(path, &c, err);
    if (rc) return rc;
    json_t *group = json_object_get(c, "group"), *tasks = json_object_get(c, "task");
    if (!json_is_string(group) || !json_is_array(tasks) || json_array_size(tasks) == 0) {
        json_decref(c);
        return tt_fail(err, TT_ERR_PARSE, "%s: a group file needs 'group: NAME' and a non-empty 'task:' list", path);
    }
    s->name = tt_strdup(json_string_value(group));
    s->aggregate = SUITE_MEAN;  /* lm-eval's AggMetricConfig: weight_by_size false by default */
    json_t *meta = json_object_get(c, "metadata");
    if (json_is_object(meta)) rc = set_version(s, path, json_object_get(meta, "version"), err);
    json_t *aml = json_object_get(c, "aggregate_metric_list");
    s->has_metric_list = 1;   /* none given: lm-eval reports no group score */
    if (rc == TT_OK && aml && !json_is_null(aml)) {
        json_t *list = json_is_object(aml) ? json_pack("[O]", aml) : json_incref(aml);
        size_t i;
        json_t *m;
        if (!json_is_array(list)) rc = tt_fail(err, TT_ERR_PARSE, "%s: 'aggregate_metric_list' must be a list", path);
        json_array_foreach(list, i, m) {
            if (rc) break;
            const char *name = json_string_value(json_object_get(m, "metric"));
            json_t *agg = json_object_get(m, "aggregation"), *w = json_object_get(m, "weight_by_size");
            if (!name) rc = tt_fail(err, TT_ERR_PARSE, "%s: aggregate_metric_list[%zu] needs 'metric'", path, i);
            else if (agg && !(json_is_string(agg) && !strcmp(json_string_value(agg), "mean")))
                rc = tt_fail(err, TT_ERR_PARSE, "%s: aggregate_metric_list[%zu]: only 'aggregation: mean' is supported", path, i);
            else {
                add_metric(s, name);
                if (json_is_true(w)) s->aggregate = SUITE_SIZE_WEIGHTED;
            }
        }
        json_decref(list);
    }
    char *dir = tt_dirname(path);
    size_t i;
    json_t *it;
    json_array_foreach(tasks, i, it) {
        if (rc) break;
        const char *name = json_string_value(it);
        if (json_is_object(it) && json_is_string(json_object_get(it, "task")) && json_object_size(it) == 1)
            name = json_string_value(json_object_get(it, "task"));
        if (!name) {
            rc = tt_fail(err, TT_ERR_PARSE,
                         "%s: task[%zu]: only task names (or {task: NAME}) are supported in a group's list; define "
                         "an inline task or group in a file of its own",
                         path, i);
            break;
        }
        rc = add_entry(s, path, dir, i, name, x, depth, err);
    }
    free(dir);
    json_decref(c);
    return rc;
}

/* A tag: the tasks of the first folder that has it; no group score. */
static int load_tag(suite *s, const char *name, const suite_index *x, char *err)
{
    s->name = tt_strdup(name);
    s->aggregate = SUITE_MEAN;
    s->has_metric_list = 1;
    for (int f = 0; f < x->n_folders && s->n_tasks == 0; f++)
        for (int i = 0; i < x->n_tags; i++)
            if (x->tags[i].folder == f && !strcmp(x->tags[i].tag, name)) add_task(s, x->tags[i].path);
    if (s->n_tasks == 0) return tt_fail(err, TT_ERR_NOTFOUND, "no task has the tag '%s'", name);
    return TT_OK;
}

static int load_any(suite *s, const char *path, const suite_index *x, int depth, char *err)
{
    if (depth > SUITE_MAX_DEPTH) return tt_fail(err, TT_ERR_PARSE, "%s: suites nested too deeply", path);
    if (!strncmp(path, "tag:", 4)) return load_tag(s, path + 4, x, err);
    if (ends_with(path, ".json")) return load_json_suite(s, path, x, depth, err);
    return load_yaml_group(s, path, x, depth, err);
}

int suite_load(const char *path, const char *tasks_dir, suite **out, char *err)
{
    *out = NULL;
    suite *s = tt_calloc(1, sizeof *s);
    s->path = tt_strdup(path);
    suite_index *x = index_build(tasks_dir);
    int rc = load_any(s, path, x, 0, err);
    index_free(x);
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
    for (int i = 0; i < s->n_metrics; i++) free(s->metrics[i]);
    free(s->metrics);
    for (int i = 0; i < s->n_subsuites; i++) suite_free(s->subsuites[i]);
    free(s->subsuites);
    free(s);
}
