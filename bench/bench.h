/*
 * bench.h — `tianti bench` as a library call: memory and speed of models per
 * precision, for the built-in engine and for external servers, with
 * optional accuracy on a task, printed and stored in bench_results.
 *
 * Built-in engine (glm:FILE[@PREC]): a spec without @PREC is expanded to
 * each requested precision. Each precision is measured in fresh child
 * processes (fork), so peak resident memory (VmHWM) does not mix between
 * precisions: one child converts FILE into a temporary file of that type
 * (so file size and load time are those of a real file); the next resets
 * its peak, opens the engine, and measures the way llama-bench does
 * (llama.cpp tools/llama-bench): pp = one prompt of n_prompt random tokens, tg = n_gen
 * tokens one forward call at a time, tokens/s as mean ± sample stddev over
 * `reps` repetitions after a warm-up, tokenization and sampling excluded
 * (engines/glm/timing.h). Time to first token goes through the full request
 * path (engine_complete with a prompt of about n_prompt tokens, max_tokens 1).
 * Next to the measured peak the memory planner's prediction is printed
 * (engines/glm/plan.h, made before loading, plus the resident set the
 * measuring process had before it loaded anything). A file already of the
 * wanted type is measured as it is, without a converted copy.
 * The bandwidth bound on generation is read bandwidth / weight bytes read
 * per token; the achieved fraction is tg / bound. A --task runs through the
 * runner in a child of its own as well (the parent stays small, since a
 * forked child's resident set includes the parent's pages). A file without
 * a tokenizer is still timed (pp, tg), without time to first token.
 *
 * External engines (openai:, chatglm:, ...): with `launch` the command (in
 * which "{precision}" is replaced by each precision) is started, polled until
 * it answers, the resident memory of its process tree (and GPU memory via
 * nvidia-smi when present) is sampled during the whole measurement, and it is
 * stopped (SIGTERM, then SIGKILL). Without `launch` the server is measured
 * from the client side only and the result says memory was not measured.
 * Client-side figures: time to first token, latency, prompt tokens/s
 * (prompt tokens / time to first token, network and HTTP included) and
 * generation tokens/s ((completion tokens - 1) / time after the first token).
 */
#ifndef TIANTI_BENCH_H
#define TIANTI_BENCH_H

#include <stdint.h>
#include <stdio.h>

#define BENCH_MAX_REPS 100

typedef struct bench_options {
    const char *const *models;       /* engine specs */
    int n_models;
    const char *const *precisions;   /* NULL: f32, f16, q8_0, q4_0 */
    int n_precisions;
    int n_prompt;                    /* -p (default 512) */
    int n_gen;                       /* -n (default 128) */
    int reps;                        /* -r (default 5, at most BENCH_MAX_REPS) */
    int threads;                     /* built-in engine threads; 0 = all cores */
    int n_ctx;                       /* built-in engine context (KV cache size); 0 = n_prompt or n_gen + 16 */
    int warmup;                      /* 1: one untimed run first (default) */
    const char *launch;              /* external server command, or NULL */
    const char *ready_url;           /* NULL: origin of the base URL + "/health" */
    const char *base_url;            /* HTTP engines' base URL (engine_options) */
    double launch_timeout_s;         /* default 120 */
    double launch_grace_s;           /* SIGTERM -> SIGKILL (default 10) */
    const char *task;                /* accuracy task, or NULL */
    double limit;                    /* documents of the task (<= 0: all) */
    const char *db_path;             /* runner's database (task results) */
    const char *registry_path, *data_dir, *tasks_dir;   /* passed to the runner */
    int progress;                    /* one TT_LOG_INFO line per step (core/log.h) */
} bench_options;

void bench_options_default(bench_options *o);

typedef struct bench_figure {
    double mean, sd;   /* < 0: not measured */
    int n_tokens;      /* pp/tg/ttft: tokens per run */
    int reps;
} bench_figure;

typedef struct bench_result {
    char spec[512];          /* as measured, e.g. glm:models/x.gguf@q4_0 */
    char name[128];          /* display name */
    char engine[32];         /* engine kind */
    char precision[16];      /* "" when unknown */
    int builtin;             /* measured in-process by the built-in engine */
    int memory_measured;     /* peak_rss_bytes (and the breakdown) are real */
    int threads;             /* -1 unknown */
    int64_t file_bytes, n_params;                           /* -1 unknown */
    int64_t peak_rss_bytes, weights_bytes, kv_bytes, scratch_bytes;
    int64_t planned_rss_bytes; /* built-in engine: the memory planner's prediction (engines/glm/plan.h)
                                  plus the process's resident set before loading; -1 unknown */
    int64_t gpu_bytes;       /* -1 not measured */
    int64_t bytes_per_token; /* weight bytes read per generated token */
    bench_figure load;       /* seconds (external: launch until ready) */
    bench_figure ttft;       /* seconds */
    bench_figure pp, tg;     /* tokens/s */
    double pp_samples[BENCH_MAX_REPS], tg_samples[BENCH_MAX_REPS];
    double bound_tps;        /* bandwidth bound on tg, < 0 unknown */
    int has_acc;
    char task[96], metric[96];
    double acc, acc_stderr;
    char note[512];          /* e.g. "memory not measured (no --launch)" */
    char error[512];         /* non-empty: this measurement failed */
    int task_failed;         /* --task could not be (wholly) scored; why is in note */
} bench_result;

typedef struct bench_machine {
    char cpu_model[128];
    int cores;
    int threads;             /* threads the bandwidth was measured with */
    double read_bw;          /* bytes/s */
    char simd[16];
    int nvidia_smi;
} bench_machine;

/* Measures the machine (CPU, cores, read bandwidth with `threads`). */
void bench_machine_measure(bench_machine *m, int threads);

/* Checks o without measuring anything: TT_ERR_USAGE with a message for no
 * model, repetitions outside 1..BENCH_MAX_REPS, -p < 1 or -n < 2, an unknown
 * engine kind or an unknown precision of a glm: spec. */
int bench_options_check(const bench_options *o, char *err);

/* Runs every model and precision (bench_options_check first). *results (caller frees) has one entry per
 * (model, precision), failed ones with error set; the call fails only on
 * bad options (TT_ERR_USAGE) or when nothing could be measured. */
int bench_run(const bench_options *o, const bench_machine *mach, bench_result **results, int *n_results, char *err);

/* Writes the results into bench_results of db_path, one row per (model,
 * precision, test): load, ttft, ppN, tgN and task:NAME, in one transaction. */
int bench_store(const char *db_path, const bench_result *r, int n, const bench_machine *m, char *err);

/* format: table, md, csv or json. TT_ERR_USAGE for another. */
int bench_print(FILE *out, const char *format, const bench_result *r, int n, const bench_machine *m, char *err);
int bench_format_check(const char *format, char *err);

/* Replaces every "{precision}" in command with precision (caller frees). */
char *bench_expand_command(const char *command, const char *precision);
/* URL to poll for readiness: ready_url if set, else the origin of the base
 * URL (base_url, $OPENAI_BASE_URL for openai:, the spec's URL for chatglm:
 * and visualglm:) followed by /health. TT_ERR_USAGE when none is known. */
int bench_ready_url(const char *spec, const char *base_url, const char *ready_url, char *out, size_t n, char *err);

#endif
