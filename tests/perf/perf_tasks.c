/*
 * perf_tasks.c — cost of loading task data and assembling prompts, on the
 * real MMLU suite (57 tasks, 14042 test docs, 5-shot first_n from dev).
 * Prints, in one run:
 *   baseline  — reading and sha256-hashing the same CSV files (the I/O floor);
 *   load      — task_load + task_load_data for every task (parse, hash, CSV);
 *   build     — task_build for every doc (description + 5 shots + question,
 *               4 loglikelihood requests), with docs/s and µs per doc.
 *
 * usage: perf_tasks [DATASETS_DIR] [TASKS_DIR]
 *        (default $TIANTI_SHARED_DIR/datasets or ../shared/datasets, ./tasks)
 */
#include "harness/dataset.h"
#include "harness/suite.h"
#include "harness/task.h"
#include "core/util.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *sh = getenv("TIANTI_SHARED_DIR");
    char *data = argc > 1 ? tt_strdup(argv[1])
                          : tt_asprintf("%s/datasets", sh && *sh ? sh : "../shared");
    const char *tdir = argc > 2 ? argv[2] : "tasks";
    char err[TT_ERR_SIZE];

    /* baseline: read + hash every MMLU CSV */
    double t0 = tt_now_s();
    char *pat = tt_asprintf("%s/mmlu/*/*.csv", data);
    glob_t g;
    size_t bytes = 0;
    if (glob(pat, 0, NULL, &g) != 0) {
        fprintf(stderr, "perf_tasks: no MMLU data under %s\n", data);
        return 1;
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char *buf, hex[65];
        size_t len;
        if (tt_read_file(g.gl_pathv[i], &buf, &len, err)) return 1;
        tt_sha256_hex(buf, len, hex);
        bytes += len;
        free(buf);
    }
    globfree(&g);
    free(pat);
    double t_base = tt_now_s() - t0;

    char *spath = tt_path_join(tdir, "mmlu/mmlu.suite.json");
    suite *s;
    if (suite_load(spath, tdir, &s, err)) {
        fprintf(stderr, "perf_tasks: %s\n", err);
        return 1;
    }
    task **tasks = tt_calloc((size_t)s->n_tasks, sizeof *tasks);
    dataset_options o = { .data_dir = data, .offline = 1 };
    t0 = tt_now_s();
    for (int i = 0; i < s->n_tasks; i++) {
        if (task_load(s->task_paths[i], &tasks[i], err) || task_load_data(tasks[i], &o, err)) {
            fprintf(stderr, "perf_tasks: %s\n", err);
            return 1;
        }
    }
    double t_load = tt_now_s() - t0;

    size_t docs = 0, prompt_bytes = 0;
    t0 = tt_now_s();
    for (int i = 0; i < s->n_tasks; i++) {
        for (size_t d = 0; d < task_num_docs(tasks[i]); d++) {
            task_instance in;
            if (task_build(tasks[i], d, &in, err)) {
                fprintf(stderr, "perf_tasks: %s\n", err);
                return 1;
            }
            prompt_bytes += strlen(in.prompt);
            docs++;
            task_instance_free(&in);
        }
    }
    double t_build = tt_now_s() - t0;

    printf("MMLU: %d tasks, %zu docs, %.1f MB of CSV, %.1f MB of prompts\n", s->n_tasks, docs,
           (double)bytes / 1e6, (double)prompt_bytes / 1e6);
    printf("baseline read+sha256 of the CSVs: %8.3f s\n", t_base);
    printf("load (parse tasks, hash, CSV):    %8.3f s  (%.2fx baseline)\n", t_load, t_load / t_base);
    printf("build all prompts and requests:   %8.3f s  %10.0f docs/s  %7.1f us/doc\n", t_build,
           (double)docs / t_build, 1e6 * t_build / (double)docs);
    for (int i = 0; i < s->n_tasks; i++) task_free(tasks[i]);
    free(tasks);
    suite_free(s);
    free(spath);
    free(data);
    return 0;
}
