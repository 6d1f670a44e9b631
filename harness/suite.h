/*
 * suite.h — a named list of tasks scored together, and finding tasks and
 * suites by name along the task search path.
 *
 * A suite file is JSON:
 *   {"name": "mmlu", "tasks": ["mmlu_anatomy.json", "cmmlu", ...],
 *    "aggregate": "size_weighted" | "mean",
 *    "version": 2}            optional, a string or number: the group's version
 *                             in the results' "versions" (lm-eval's group
 *                             metadata.version; null when absent)
 * or an lm-evaluation-harness group file in YAML (harness/task_yaml.h):
 *   group: leaderboard_bbh
 *   task: [leaderboard_bbh_snarks, ...]       names (or {task: NAME} entries)
 *   aggregate_metric_list:                     the metrics the group reports,
 *     - metric: acc_norm                       each over the members that
 *       weight_by_size: true                   have it; none: no group score
 *   metadata: {version: 1.0}
 * A task entry ending in ".json" (or ".yaml") is a path relative to the
 * suite file; any other entry is a NAME looked up along the search path. A
 * nested suite's tasks are spliced in, and it is kept as a sub-suite so that
 * it is scored as a group of its own too. Called by the runner to expand
 * `tianti run --suite X`; the aggregate rule is applied by judges/stats.c.
 *
 * The search path (lm-eval's --include_path, but in front): the folders
 * named by --tasks-dir (tasks_dir arguments below) and $TIANTI_TASKS (each
 * may list several, separated by ':'), then the shipped tasks, the tasks/
 * folder of each share folder (core/share.h: the source tree of a tianti
 * run from its build folder, PREFIX/share/tianti/tasks when installed).
 * Along it a NAME is, in each folder in turn (the first folder that has it
 * wins, so a folder in front overrides a shipped task of the same name):
 *   NAME.json (a task file), NAME.suite.json (a suite file), a YAML file
 *   whose `task:` is NAME, a YAML group file whose `group:` is NAME, or an
 *   lm-eval tag: every YAML task of the folder with NAME in its `tag:` (a
 *   list of tasks with no group score).
 * Within one folder two different files for one name are an error.
 */
#ifndef TIANTI_SUITE_H
#define TIANTI_SUITE_H

#include <jansson.h>

enum suite_aggregate { SUITE_SIZE_WEIGHTED = 0, SUITE_MEAN = 1 };

typedef struct suite suite;
struct suite {
    char *path;
    char *name;
    char **task_paths;      /* resolved task file paths, in order, duplicates dropped */
    int n_tasks;
    enum suite_aggregate aggregate;   /* default size_weighted (lm-eval weight_by_size) */
    json_t *version;        /* "version" as given, or NULL */
    char **metrics;         /* an lm-eval group's aggregate_metric_list names, or NULL: */
    int n_metrics;          /* every metric all members report (JSON suites) */
    int has_metric_list;    /* metrics given (0 of them: no group score, a tag) */
    suite **subsuites;      /* the nested suites, each complete (their tasks are */
    int n_subsuites;        /* also in task_paths) */
};

/* Loads a suite file (JSON or YAML group), or "tag:NAME" as suite_find
 * returns it for a tag. tasks_dir: folders searched in front of the default
 * path (NULL: none). Caller frees *out with suite_free(). */
int suite_load(const char *path, const char *tasks_dir, suite **out, char *err);
void suite_free(suite *s);

/* Finds NAME along the search path with tasks_dir in front. A name that is
 * itself an existing .json or .yaml path is returned as it is. *path_out is
 * owned by the caller; *is_suite says whether it is a suite (a tag gives
 * "tag:NAME" and is_suite 1). */
int suite_find(const char *tasks_dir, const char *name, char **path_out, int *is_suite, char *err);

/* One task or suite along the path, as `tianti tasks` lists them. */
typedef struct suite_entry {
    char *name;             /* the task's or suite's name */
    char *path;             /* its file ("tag:NAME" for a tag) */
    char *folder;           /* the search-path folder it was found in */
    int is_suite;           /* 1 for suites, groups and tags */
} suite_entry;

/* Every task and suite along the path with tasks_dir in front, a name
 * shadowed by an earlier folder left out; in path order, then by file.
 * Files that cannot be read are skipped (YAML files without task:). */
int suite_list_entries(const char *tasks_dir, suite_entry **out, int *n, char *err);
void suite_entries_free(suite_entry *e, int n);

/* Lists every task file (NAME.json, not starting with "_"), suite file
 * (NAME.suite.json) and YAML file under the folders of tasks_dir (one, or
 * several separated by ':', as suite_tasks_dir() gives them) alone, sorted
 * by path. *paths is a NULL-terminated array the caller frees with
 * suite_list_free(). */
int suite_list(const char *tasks_dir, char ***paths, int *n, char *err);
void suite_list_free(char **paths);

/* The search path with extra in front (NULL: none): existing folders only,
 * canonical, duplicates dropped, joined by ':'. Caller frees. */
char *suite_search_path(const char *extra);

/* The default search path: suite_search_path(NULL). Caller frees. */
char *suite_tasks_dir(void);

#endif
