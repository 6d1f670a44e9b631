/*
 * perf_sandbox.c — executions per second of the HumanEval canonical
 * solutions through judges/code_judge.c at 1 and 2 jobs, with a baseline
 * in the same run: the same programs started bare (posix_spawn of the
 * interpreter on a file, no sandbox), one at a time. Prints the rates, the
 * 2-job/1-job ratio and the sandbox overhead per execution.
 *
 * Usage: perf_sandbox [HumanEval.jsonl.gz] [--rounds N] [--jobs-max J]
 *                      [--no-namespaces]   (the rlimits/uid-only path)
 * Data default: $TIANTI_SHARED_DIR/datasets/humaneval/HumanEval.jsonl.gz,
 * else ../shared/datasets/humaneval/HumanEval.jsonl.gz. Interpreter:
 * $TIANTI_PYTHON or /usr/bin/python3. Not a test: run by hand.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "judges/code_judge.h"

extern char **environ;

static double run_sandboxed(const code_judge_config *cfg, code_judge_item *items, size_t n,
                            int jobs, size_t *passed)
{
    sandbox_result *res = tt_calloc(n, sizeof *res);
    char err[TT_ERR_SIZE];
    double t0 = tt_now_s();
    if (code_judge_run_many(cfg, items, n, jobs, res, err) != TT_OK)
        fprintf(stderr, "perf_sandbox: %s\n", err);
    double dt = tt_now_s() - t0;
    *passed = 0;
    for (size_t i = 0; i < n; i++) {
        if (res[i].outcome == SANDBOX_PASSED) (*passed)++;
        sandbox_result_free(&res[i]);
    }
    free(res);
    return dt;
}

/* Baseline: each program written to a file and run bare, one at a time. */
static double run_bare(const char *python, const code_problem *p, size_t n, size_t *passed)
{
    char dir[] = "/tmp/tianti-bench-XXXXXX";
    if (!mkdtemp(dir)) return -1;
    char *file = tt_asprintf("%s/main.py", dir);
    char err[TT_ERR_SIZE];
    *passed = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        char *prog = NULL;
        if (code_judge_build_program(&p[i], p[i].canonical_solution, &prog, err) != TT_OK) continue;
        tt_write_file(file, prog, strlen(prog), err);
        free(prog);
        char *argv[] = { (char *)python, "-I", "-B", file, NULL };
        double t0 = tt_now_s();
        pid_t pid;
        if (posix_spawn(&pid, python, NULL, NULL, argv, environ) == 0) {
            int st = 0;
            waitpid(pid, &st, 0);
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0) (*passed)++;
        }
        total += tt_now_s() - t0;
    }
    unlink(file);
    rmdir(dir);
    free(file);
    return total;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int rounds = 1, jobs_max = 2, no_ns = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--jobs-max") && i + 1 < argc) jobs_max = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-namespaces")) no_ns = 1;
        else path = argv[i];
    }
    if (rounds < 1) rounds = 1;
    if (jobs_max < 2) jobs_max = 2;
    char *owned = NULL;
    if (!path) {
        const char *shared = getenv("TIANTI_SHARED_DIR");
        owned = shared && *shared
                    ? tt_asprintf("%s/datasets/humaneval/HumanEval.jsonl.gz", shared)
                    : tt_strdup("../shared/datasets/humaneval/HumanEval.jsonl.gz");
        path = owned;
    }
    const char *python = getenv("TIANTI_PYTHON");
    if (!python || !*python) python = "/usr/bin/python3";

    code_problem *p = NULL;
    size_t n = 0;
    char err[TT_ERR_SIZE];
    if (code_problems_load(path, &p, &n, err) != TT_OK) {
        fprintf(stderr, "perf_sandbox: %s\n", err);
        free(owned);
        return 1;
    }
    code_judge_item *items = tt_calloc(n, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        items[i].problem = &p[i];
        items[i].completion = p[i].canonical_solution;
    }
    code_judge_config cfg;
    code_judge_config_init(&cfg);
    cfg.sandbox.interpreter = python;
    if (no_ns) cfg.sandbox.ns_mode = SANDBOX_NS_NONE;

    /* one warm-up run so that the page cache holds the interpreter */
    size_t passed = 0;
    run_sandboxed(&cfg, items, n < 8 ? n : 8, 1, &passed);

    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    printf("perf_sandbox: %zu HumanEval canonical solutions, %d round(s), %ld CPUs, %s%s\n", n,
           rounds, ncpu, python, no_ns ? ", no namespaces" : "");
    double bare = 0;
    size_t bare_passed = 0;
    for (int r = 0; r < rounds; r++) bare += run_bare(python, p, n, &bare_passed);
    double bare_rate = (double)n * rounds / bare;
    printf("  %-26s %8.1f exec/s  (%zu/%zu passed)\n", "baseline: bare, 1 job", bare_rate,
           bare_passed, n);

    double rate1 = 0;
    for (int j = 1; j <= jobs_max; j++) {
        double t = 0;
        for (int r = 0; r < rounds; r++) t += run_sandboxed(&cfg, items, n, j, &passed);
        double rate = (double)n * rounds / t;
        if (j == 1) rate1 = rate;
        char label[64];
        snprintf(label, sizeof label, "sandbox, %d job%s", j, j > 1 ? "s" : "");
        printf("  %-26s %8.1f exec/s  (%zu/%zu passed)  x%.2f vs 1 job\n", label, rate, passed,
               n, rate / rate1);
    }
    printf("  sandbox overhead per execution at 1 job: %.1f ms (%.1f ms bare, %.1f ms sandboxed)\n",
           1000.0 / rate1 - 1000.0 / bare_rate, 1000.0 / bare_rate, 1000.0 / rate1);
    free(items);
    code_problems_free(p, n);
    free(owned);
    return 0;
}
