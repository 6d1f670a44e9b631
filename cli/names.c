/*
 * names.c — names given on the command line that stand for files: a task
 * name where a command takes a task file (arena serve/auto --prompts,
 * bench --task), looked up the way `tianti run --task` looks it up
 * (harness/suite.h), so that every command accepts what `tianti tasks`
 * lists; a models.json name where a command takes a model spec (serve,
 * bench), resolved the way `tianti run --model` resolves it.
 */
#include "cli/cli.h"
#include "core/util.h"
#include "engines/registry.h"
#include "harness/suite.h"

#include <stdlib.h>
#include <string.h>

int cli_task_file(const char *cmd, const char *name, const char *tasks_dir, char **path)
{
    *path = NULL;
    /* a file that exists is taken as it is (prompt files need not be .json) */
    if (strchr(name, '/') || tt_file_exists(name)) {
        if (!tt_file_exists(name)) {
            cli_error("%s: no file '%s'", cmd, name);
            return 2;
        }
        *path = tt_strdup(name);
        return 0;
    }
    char err[TT_ERR_SIZE];
    int is_suite = 0;
    int rc = suite_find(tasks_dir, name, path, &is_suite, err);
    if (rc != TT_OK) {
        cli_error("%s: %s", cmd, err);
        return cli_exit_status(rc);
    }
    if (is_suite) {
        suite *s = NULL;
        tt_buf names;
        tt_buf_init(&names);
        if (suite_load(*path, tasks_dir, &s, err) == TT_OK)
            for (int i = 0; i < s->n_tasks && i < 8; i++) {
                const char *base = strrchr(s->task_paths[i], '/');
                base = base ? base + 1 : s->task_paths[i];
                tt_buf_printf(&names, "%s%.*s", i ? ", " : "", (int)(strlen(base) - 5), base);
            }
        cli_error("%s: '%s' is a suite; name one of its tasks%s%s", cmd, name, names.len ? ": " : "", tt_buf_str(&names));
        tt_buf_free(&names);
        suite_free(s);
        free(*path);
        *path = NULL;
        return 2;
    }
    return 0;
}

int cli_model(const char *cmd, const char *registry_path, const char *name, registry_model *m)
{
    char err[TT_ERR_SIZE];
    registry *reg = NULL;
    char *path = registry_default_path(registry_path);   /* ./models.json, else the shipped one */
    int rc = registry_load(path, registry_path == NULL, &reg, err);
    free(path);
    if (rc == TT_OK) rc = registry_resolve(reg, name, m, err);
    registry_free(reg);
    if (rc != TT_OK) {
        cli_error("%s: %s", cmd, err);
        return cli_exit_status(rc);
    }
    return 0;
}
