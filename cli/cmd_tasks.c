/*
 * cmd_tasks.c — `tianti tasks`: lists the task and suite files under the
 * tasks folder (name, output type, shots, file), and with --check also loads
 * each task's data and prints its document count, so a broken task file or
 * missing dataset shows up before a long run.
 */
#include "cli/cli.h"
#include "harness/dataset.h"
#include "harness/suite.h"
#include "harness/task.h"
#include "harness/util.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "tianti tasks [--tasks-dir DIR] [--check [--data-dir DIR]] [PATTERN]",
    NULL,
};

static cli_list found;

static int collect(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    size_t n = strlen(path);
    if (type == FTW_F && n > 5 && strcmp(path + n - 5, ".json") == 0) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        if (base[0] != '_') cli_list_push(&found, path);   /* _x.json: include-only bases */
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

int cmd_tasks(int argc, char **argv)
{
    const char *tasks_dir = NULL, *data_dir = NULL;
    int check = 0;
    cli_list pos = {0};
    const cli_option opts[] = {
        {OPT_STRING, 0, "tasks-dir", &tasks_dir, "DIR", "where to look (default tasks/)"},
        {OPT_FLAG, 0, "check", &check, NULL, "load each task's data and count its documents"},
        {OPT_STRING, 0, "data-dir", &data_dir, "DIR", "read datasets from DIR (default $TIANTI_DATA)"},
        CLI_OPT_END,
    };
    int prc = cli_parse(argc, argv, usage, opts, &pos);
    if (prc) {
        cli_list_free(&pos);
        return prc == 1 ? 0 : 2;
    }
    char *dir = tasks_dir ? tt_strdup(tasks_dir) : suite_tasks_dir();
    memset(&found, 0, sizeof found);
    if (nftw(dir, collect, 16, FTW_PHYS) != 0) {
        cli_error("tasks: cannot read folder '%s'", dir);
        free(dir);
        cli_list_free(&pos);
        return 1;
    }
    qsort((void *)found.items, (size_t)found.n, sizeof *found.items, cmp_str);
    int bad = 0;
    for (int i = 0; i < found.n; i++) {
        const char *path = found.items[i];
        if (pos.n > 0 && !strstr(path, pos.items[0])) continue;
        char err[TT_ERR_SIZE] = "";
        size_t n = strlen(path);
        if (n > 11 && strcmp(path + n - 11, ".suite.json") == 0) {
            suite *s;
            if (suite_load(path, dir, &s, err) != TT_OK) {
                printf("%-40s %-16s %s\n", path, "suite", err);
                bad++;
                continue;
            }
            printf("%-40s %-16s %d tasks (%s)\n", s->name, "suite", s->n_tasks, path);
            suite_free(s);
            continue;
        }
        task *t;
        if (task_load(path, &t, err) != TT_OK) {
            printf("%-40s %-16s %s\n", path, "error", err);
            bad++;
            continue;
        }
        char docs[64] = "";
        if (check) {
            dataset_options dopt;
            dataset_options_default(&dopt);
            if (data_dir) dopt.data_dir = data_dir;
            dopt.base_dir = t->dir;
            dopt.offline = 1;
            if (task_load_data(t, &dopt, err) == TT_OK) snprintf(docs, sizeof docs, "%zu docs", task_num_docs(t));
            else {
                snprintf(docs, sizeof docs, "data missing");
                fprintf(stderr, "tianti: %s\n", err);
                bad++;
            }
        }
        printf("%-40s %-16s %d-shot %s%s(%s)\n", t->name, task_output_type_name(t->output_type), t->num_fewshot, docs,
               docs[0] ? " " : "", path);
        task_free(t);
    }
    cli_list_free(&found);
    cli_list_free(&pos);
    free(dir);
    return bad ? 1 : 0;
}
