/*
 * cmd_tasks.c — `tianti tasks`: lists the task and suite files under the
 * tasks folder (name, output type, shots, file; with --check also each
 * task's document count, so a broken task file or a missing dataset shows
 * up before a long run), shows the assembled prompt, targets and engine
 * requests of one document (what a model would be sent), and checks named
 * tasks or suites. Read-only; scores nothing.
 */
#include "cli/cli.h"
#include "harness/suite.h"
#include "harness/task.h"
#include "core/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "tianti tasks [list] [PATTERN] [--tasks-dir DIR] [--check [--data-dir DIR]] [--format text|json]",
    "tianti tasks show NAME|FILE [--doc N] [--data-dir DIR] [--offline] [--format text|json]",
    "tianti tasks check NAME|FILE... [--data-dir DIR] [--offline]",
    NULL,
};

static const char *kind_name(enum engine_request_kind k)
{
    switch (k) {
    case ENGINE_REQ_GENERATE: return "generate";
    case ENGINE_REQ_CHAT: return "chat";
    case ENGINE_REQ_LOGLIKELIHOOD: return "loglikelihood";
    case ENGINE_REQ_LOGLIKELIHOOD_ROLLING: return "loglikelihood_rolling";
    }
    return "?";
}

/* One listed task or suite: a line of text, or an object of the JSON list. */
static void list_entry(json_t *out, const char *name, const char *kind, const char *type, int shots, long docs,
                       int n_tasks, const char *file, int check)
{
    if (!out) {
        int suite = !strcmp(kind, "suite");
        char docs_s[32] = "", type_s[32], shots_s[16] = "";
        if (check && docs >= 0) snprintf(docs_s, sizeof docs_s, "%-7ld ", docs);
        else if (check) snprintf(docs_s, sizeof docs_s, "%-7s ", suite ? "" : "missing");
        if (suite) snprintf(type_s, sizeof type_s, "suite(%d)", n_tasks);
        else snprintf(type_s, sizeof type_s, "%s", type);
        if (shots >= 0) snprintf(shots_s, sizeof shots_s, "%d", shots);
        printf("%-44s %-16s %5s  %s%s\n", name, type_s, shots_s, docs_s, file);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "kind", json_string(kind));
    if (!strcmp(kind, "suite")) json_object_set_new(o, "tasks", json_integer(n_tasks));
    else {
        json_object_set_new(o, "output_type", json_string(type));
        json_object_set_new(o, "num_fewshot", json_integer(shots));
        if (check) json_object_set_new(o, "docs", docs >= 0 ? json_integer(docs) : json_null());
    }
    json_object_set_new(o, "file", json_string(file));
    json_array_append_new(out, o);
}

/* Lists the tasks and suites along the search path (tdir in front) whose
 * name or file (below its folder) contains pattern (NULL: all), as text or
 * (json) a JSON array. With check, each task's data is loaded (offline)
 * and its document count printed. */
static int do_list(const char *tdir, const char *pattern, int check, int json, const dataset_options *dopt)
{
    suite_entry *entries;
    int n;
    char err[TT_ERR_SIZE];
    int rc = suite_list_entries(tdir, &entries, &n, err);
    if (rc) {
        cli_error("tasks: %s", err);
        return cli_exit_status(rc);
    }
    int bad = 0, shown = 0;
    json_t *out = json ? json_array() : NULL;
    for (int i = 0; i < n; i++) {
        const suite_entry *e = &entries[i];
        /* the pattern matches the name or the path below the search folder */
        const char *rel = e->path;
        size_t fl = strlen(e->folder);
        if (!strncmp(rel, e->folder, fl) && rel[fl] == '/') rel += fl + 1;
        if (pattern && !strstr(rel, pattern) && !strstr(e->name, pattern)) continue;
        if (shown++ == 0 && !json)
            printf("%-44s %-16s %5s  %s%s\n", "name", "type", "shots", check ? "docs    " : "", "file");
        if (e->is_suite) {
            suite *s;
            if (suite_load(e->path, tdir, &s, err)) {
                cli_error("tasks: %s", err);
                bad = 1;
                continue;
            }
            list_entry(out, s->name, "suite", NULL, -1, -1, s->n_tasks, e->path, check);
            suite_free(s);
        } else {
            task *t;
            if (task_load(e->path, &t, err)) {
                cli_error("tasks: %s", err);
                bad = 1;
                continue;
            }
            long docs = -1;
            if (check) {
                dataset_options o = *dopt;
                o.offline = 1;
                if (task_load_data(t, &o, err) == TT_OK) {
                    docs = (long)task_num_docs(t);
                } else {
                    cli_error("tasks: %s", err);
                    bad = 1;
                }
            }
            list_entry(out, t->name, "task", task_output_type_name(t->output_type), t->num_fewshot, docs, 0, e->path,
                       check);
            task_free(t);
        }
    }
    suite_entries_free(entries, n);
    if (out) {
        json_dumpf(out, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        fputc('\n', stdout);
        json_decref(out);
    }
    if (!shown) {
        char *path = suite_search_path(tdir);
        cli_error("tasks: no task or suite files%s%s%s under '%s'", pattern ? " match '" : "",
                  pattern ? pattern : "", pattern ? "'" : "", *path ? path : "(no tasks folder: pass --tasks-dir)");
        free(path);
        return 1;
    }
    return bad;
}

/* Resolves NAME (or a file path) to a task file; suites are refused. */
static int find_task(const char *tdir, const char *name, char **path, char *err)
{
    int is_suite;
    int rc = suite_find(tdir, name, path, &is_suite, err);
    if (rc) return rc;
    if (is_suite) {
        free(*path);
        *path = NULL;
        return tt_fail(err, TT_ERR_USAGE, "'%s' is a suite; name one of its tasks", name);
    }
    return TT_OK;
}

static json_t *instance_json(const task *t, const task_instance *in)
{
    json_t *o = json_object();
    json_object_set_new(o, "task", json_string(t->name));
    json_object_set_new(o, "version", json_string(t->version));
    json_object_set_new(o, "content_hash", json_string(t->content_hash));
    json_object_set_new(o, "doc", json_integer((json_int_t)in->doc_index));
    json_object_set_new(o, "prompt", json_string(in->prompt));
    json_t *msgs = json_array();
    for (int i = 0; i < in->n_messages; i++)
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", in->messages[i].role, "content",
                                              in->messages[i].content));
    json_object_set_new(o, "messages", msgs);
    json_t *ch = json_array();
    for (int i = 0; i < in->n_choices; i++) json_array_append_new(ch, json_string(in->choices[i]));
    json_object_set_new(o, "choices", ch);
    json_object_set(o, "target", in->target ? in->target : json_null());
    json_object_set_new(o, "gold", json_integer(in->gold));
    json_object_set_new(o, "target_text", json_string(in->target_text ? in->target_text : ""));
    json_t *reqs = json_array();
    for (int i = 0; i < in->n_requests; i++) {
        const engine_request *r = &in->requests[i];
        json_t *q = json_pack("{s:s}", "kind", kind_name(r->kind));
        if (r->continuation) json_object_set_new(q, "continuation", json_string(r->continuation));
        if (r->kind == ENGINE_REQ_GENERATE || r->kind == ENGINE_REQ_CHAT) {
            json_t *u = json_array();
            for (int k = 0; k < r->gen.n_until; k++) json_array_append_new(u, json_string(r->gen.until[k]));
            json_object_set_new(q, "until", u);
            json_object_set_new(q, "max_tokens", json_integer(r->gen.max_tokens));
            json_object_set_new(q, "temperature", json_real(r->gen.temperature));
            json_object_set_new(q, "n", json_integer(r->gen.n));
        }
        json_array_append_new(reqs, q);
    }
    json_object_set_new(o, "requests", reqs);
    return o;
}

static void print_text(const task *t, const task_instance *in)
{
    printf("task: %s (version %s, %s, %d-shot, %zu docs)\ncontent hash: %s\n", t->name, t->version,
           task_output_type_name(t->output_type), t->num_fewshot, task_num_docs(t), t->content_hash);
    printf("--- prompt (doc %zu) ---\n%s\n--- end of prompt ---\n", in->doc_index, in->prompt);
    if (t->chat)
        for (int i = 0; i < in->n_messages; i++)
            printf("[%s] %s\n", in->messages[i].role, in->messages[i].content);
    for (int i = 0; i < in->n_choices; i++)
        printf("choice %d%s: %s\n", i, i == in->gold ? " (gold)" : "", in->choices[i]);
    if (in->gold < 0) {
        char *tj = in->target ? json_dumps(in->target, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        printf("target: %s\n", tj ? tj : "(none)");
        free(tj);
    }
    printf("requests: %d x %s\n", in->n_requests, in->n_requests ? kind_name(in->requests[0].kind) : "-");
}

int cmd_tasks(int argc, char **argv)
{
    const char *tdir_opt = NULL, *data_dir = NULL, *format = "text";
    int doc = 0, offline = 0, check = 0;
    const cli_option opts[] = {
        {OPT_STRING, 0, "tasks-dir", &tdir_opt, "DIR", "task folders (DIR:DIR...) searched before $TIANTI_TASKS and the shipped tasks", 0},
        {OPT_STRING, 0, "data-dir", &data_dir, "DIR", "data folder (default $TIANTI_DATA)", 0},
        {OPT_INT, 0, "doc", &doc, "N", "show: which evaluated doc (default 0)", 0},
        {OPT_FLAG, 0, "offline", &offline, NULL, "never download data", 0},
        {OPT_FLAG, 0, "check", &check, NULL, "list: load each task's data (offline) and count its documents", 0},
        {OPT_STRING, 'f', "format", &format, "FMT", "text (default) or json", 0},
        CLI_OPT_END,
    };
    cli_list pos = {0};
    int prc = cli_parse(argc, argv, usage, opts, &pos);
    if (prc) {
        cli_list_free(&pos);
        return prc == 1 ? 0 : 2;
    }
    const char *tdir = tdir_opt;   /* NULL: the default search path (suite.h) */
    /* the first word is an action, or else a pattern for list */
    const char *action = "list", *pattern = NULL;
    if (pos.n > 0 && (!strcmp(pos.items[0], "list") || !strcmp(pos.items[0], "show") ||
                      !strcmp(pos.items[0], "check")))
        action = pos.items[0];
    else if (pos.n > 0)
        pattern = pos.items[0];
    int status = 0;
    dataset_options o;
    dataset_options_default(&o);
    if (data_dir) o.data_dir = data_dir;
    o.offline = offline;
    char err[TT_ERR_SIZE];
    int json = !strcmp(format, "json");
    if (!json && strcmp(format, "text") && strcmp(format, "table")) {
        const char *formats[] = {"text", "json"};
        status = cli_unknown("tasks: unknown format", format, formats, 2);
        action = "";
    }
    if (!strcmp(action, "list")) {
        if (!pattern && pos.n > 1) pattern = pos.items[1];
        if (pos.n > (pattern && pattern == pos.items[0] ? 1 : 2)) {
            cli_usage_short(usage, stderr);
            status = 2;
        } else {
            status = do_list(tdir, pattern, check, json, &o);
        }
    } else if (!strcmp(action, "show")) {
        if (pos.n != 2 || doc < 0) {
            cli_usage_short(usage, stderr);
            status = 2;
        } else {
            char *path = NULL;
            task *t = NULL;
            task_instance in;
            int rc = find_task(tdir, pos.items[1], &path, err);
            if (!rc) rc = task_load(path, &t, err);
            if (!rc) rc = task_load_data(t, &o, err);
            if (!rc) rc = task_build(t, (size_t)doc, &in, err);
            if (rc) {
                cli_error("tasks: %s", err);
                status = cli_exit_status(rc);
            } else {
                if (json) {
                    json_t *j = instance_json(t, &in);
                    char *s = json_dumps(j, JSON_INDENT(2));
                    printf("%s\n", s);
                    free(s);
                    json_decref(j);
                } else {
                    print_text(t, &in);
                }
                task_instance_free(&in);
            }
            task_free(t);
            free(path);
        }
    } else if (!strcmp(action, "check")) {
        if (pos.n < 2) {
            cli_usage_short(usage, stderr);
            status = 2;
        }
        for (int i = 1; i < pos.n && status != 2; i++) {
            char *path = NULL;
            int is_suite = 0;
            int rc = suite_find(tdir, pos.items[i], &path, &is_suite, err);
            char **list = NULL;
            int n = 0;
            suite *s = NULL;
            if (!rc && is_suite) {
                rc = suite_load(path, tdir, &s, err);
                if (!rc) {
                    list = s->task_paths;
                    n = s->n_tasks;
                }
            } else if (!rc) {
                list = &path;
                n = 1;
            }
            if (rc) {
                cli_error("tasks: %s", err);
                status = cli_exit_status(rc) == 2 ? 2 : 1;
            }
            for (int k = 0; k < n; k++) {
                task *t = NULL;
                int r2 = task_load(list[k], &t, err);
                if (!r2) r2 = task_load_data(t, &o, err);
                if (r2) {
                    cli_error("tasks: %s", err);
                    status = 1;
                } else {
                    printf("ok %-44s %6zu docs  %s\n", t->name, task_num_docs(t), t->content_hash);
                }
                task_free(t);
            }
            suite_free(s);
            free(path);
        }
    }
    cli_list_free(&pos);
    return status;
}
