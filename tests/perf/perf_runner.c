/*
 * perf_runner.c — the runner's overhead per request with the replay
 * engine (which answers in microseconds, so what is measured is Tianti's own
 * work: prompt building, request hashing, the cache, scoring, the store).
 *
 * It generates a multiple-choice task of N documents (4 choices each) and a
 * replay file answering all of them, then times, in one process:
 *   baseline  — engine_complete() on every request in a loop (no harness);
 *   cold run  — `run` into a fresh database (every answer written to cache);
 *   warm run  — the same run again (every answer a cache hit);
 * and prints seconds, requests/s and microseconds of overhead per request.
 *
 * usage: perf_runner [N_DOCS] (default 5000)
 */
#include "engines/engine.h"
#include "harness/runner.h"
#include "core/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_fixture(const char *dir, int n)
{
    char *path = tt_asprintf("%s/docs.jsonl", dir);
    FILE *docs = fopen(path, "w");
    free(path);
    path = tt_asprintf("%s/replay.jsonl", dir);
    FILE *rep = fopen(path, "w");
    free(path);
    for (int i = 0; i < n; i++) {
        fprintf(docs, "{\"q\":\"What is %d plus %d?\",\"choices\":[\"%d\",\"%d\",\"%d\",\"%d\"],\"answer\":%d}\n", i, i % 7,
                i + i % 7, i + 1, i + 2, i + 3, 0);
        for (int c = 0; c < 4; c++) {
            int value = c == 0 ? i + i % 7 : i + c;
            fprintf(rep, "{\"kind\":\"loglikelihood\",\"context\":\"Q: What is %d plus %d?\\nA:\",\"continuation\":\" %d\",\"logprob\":%.3f}\n",
                    i, i % 7, value, -1.0 - ((i + c) % 4) * 0.5);
        }
    }
    fclose(docs);
    fclose(rep);
    path = tt_asprintf("%s/bench.json", dir);
    FILE *t = fopen(path, "w");
    fprintf(t, "{\"name\":\"bench_mc\",\"version\":\"1\",\"dataset\":{\"path\":\"docs.jsonl\"},"
               "\"doc_to_text\":\"Q: {{q}}\\nA:\",\"doc_to_choice\":\"{{choices}}\",\"doc_to_target\":\"{{answer}}\","
               "\"output_type\":\"multiple_choice\",\"metrics\":[{\"metric\":\"acc\"},{\"metric\":\"acc_norm\"}]}\n");
    fclose(t);
    free(path);
}

static double timed_run(const char *task_path, const char *spec, const char *db)
{
    runner_options o;
    runner_options_default(&o);
    const char *tasks[] = {task_path};
    const char *models[] = {spec};
    o.tasks = tasks;
    o.n_tasks = 1;
    o.models = models;
    o.n_models = 1;
    o.db_path = db;
    o.jobs = 1;
    char err[TT_ERR_SIZE];
    json_t *res = NULL;
    int64_t run_id;
    double t0 = tt_now_s();
    if (runner_run(&o, &res, &run_id, err) != TT_OK) {
        fprintf(stderr, "perf_runner: %s\n", err);
        exit(1);
    }
    double dt = tt_now_s() - t0;
    json_decref(res);
    return dt;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    if (n <= 0) n = 5000;
    char dir[] = "/tmp/tianti-bench-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    write_fixture(dir, n);
    char *spec = tt_asprintf("replay:%s/replay.jsonl", dir);
    char *task_path = tt_asprintf("%s/bench.json", dir);
    char *db = tt_asprintf("%s/bench.db", dir);
    int n_req = 4 * n;

    /* Baseline: the engine alone. */
    char err[TT_ERR_SIZE];
    engine *e;
    if (engine_open(spec, NULL, &e, err) != TT_OK) {
        fprintf(stderr, "perf_runner: %s\n", err);
        return 1;
    }
    double t0 = tt_now_s();
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 4; c++) {
            char ctx[96], cont[32];
            snprintf(ctx, sizeof ctx, "Q: What is %d plus %d?\nA:", i, i % 7);
            snprintf(cont, sizeof cont, " %d", c == 0 ? i + i % 7 : i + c);
            engine_request rq = {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = ctx, .continuation = cont};
            engine_response rs;
            engine_complete(e, &rq, &rs, err);
            engine_response_free(&rs);
        }
    double base = tt_now_s() - t0;
    engine_close(e);

    double cold = timed_run(task_path, spec, db);
    double warm = timed_run(task_path, spec, db);

    printf("runner overhead, replay engine, %d documents x 4 choices = %d requests\n", n, n_req);
    printf("%-34s %9s %12s %16s %8s\n", "", "seconds", "requests/s", "us/request", "ratio");
    printf("%-34s %9.3f %12.0f %16.1f %8.2f\n", "baseline: engine_complete loop", base, n_req / base, 1e6 * base / n_req, 1.0);
    printf("%-34s %9.3f %12.0f %16.1f %8.2f\n", "run, cold (answers cached)", cold, n_req / cold, 1e6 * cold / n_req, cold / base);
    printf("%-34s %9.3f %12.0f %16.1f %8.2f\n", "run, warm (all cache hits)", warm, n_req / warm, 1e6 * warm / n_req, warm / base);
    printf("harness overhead per request: %.1f us cold, %.1f us warm\n", 1e6 * (cold - base) / n_req, 1e6 * (warm - base) / n_req);

    char *cmd = tt_asprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "perf_runner: could not remove %s\n", dir);
    free(cmd);
    free(spec);
    free(task_path);
    free(db);
    return 0;
}
