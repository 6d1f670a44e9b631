/*
 * suite.h — a named list of tasks scored together. A suite file is JSON:
 *   {"name": "mmlu", "tasks": ["mmlu_anatomy.json", "cmmlu", ...],
 *    "aggregate": "size_weighted" | "mean",
 *    "version": 2}            optional, a string or number: the group's version
 *                             in the results' "versions" (lm-eval's group
 *                             metadata.version; null when absent)
 * A task entry ending in ".json" is a path relative to the suite file; any
 * other entry is a NAME looked up in the project's tasks folder
 * (tasks/ ** /NAME.json, or NAME.suite.json for a nested suite, whose tasks
 * are spliced in). Called by the runner to expand `tianti run --tasks X`;
 * the aggregate rule is applied by judges/metrics.c.
 */
#ifndef TIANTI_SUITE_H
#define TIANTI_SUITE_H

#include <jansson.h>

enum suite_aggregate { SUITE_SIZE_WEIGHTED = 0, SUITE_MEAN = 1 };

typedef struct suite {
    char *path;
    char *name;
    char **task_paths;      /* resolved task file paths, in order, duplicates dropped */
    int n_tasks;
    enum suite_aggregate aggregate;   /* default size_weighted (lm-eval weight_by_size) */
    json_t *version;        /* "version" as given, or NULL */
} suite;

/* Loads a suite file. tasks_dir is searched for bare names (NULL:
 * suite_tasks_dir()). Caller frees *out with suite_free(). */
int suite_load(const char *path, const char *tasks_dir, suite **out, char *err);
void suite_free(suite *s);

/* Finds NAME under tasks_dir: NAME.json (a task) or NAME.suite.json (a
 * suite), searching subfolders. A name that is itself an existing path is
 * returned as it is. *path_out is owned by the caller; *is_suite says which.
 * Two different files with the same name are an error. */
int suite_find(const char *tasks_dir, const char *name, char **path_out, int *is_suite, char *err);

/* Lists every task file (NAME.json, not starting with "_") and suite file
 * (NAME.suite.json) under tasks_dir, sorted by path. *paths is a
 * NULL-terminated array the caller frees with suite_list_free(). */
int suite_list(const char *tasks_dir, char ***paths, int *n, char *err);
void suite_list_free(char **paths);

/* The project's tasks folder: $TIANTI_TASKS, else "$TIANTI_SOURCE_DIR/tasks",
 * else "tasks". Caller frees. */
char *suite_tasks_dir(void);

#endif
