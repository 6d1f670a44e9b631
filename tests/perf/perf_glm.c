/*
 * perf_glm.c — speed and memory of the built-in GLM engine, llama-bench
 * style: for each precision (f32, f16, q8_0, q4_0) the file size, resident
 * memory, load time, pp512 (one batch of 512 prompt tokens) and tg128 (128
 * tokens one at a time) in tokens/s as mean ± stddev over repetitions after
 * a warm-up, and tg as a fraction of the memory-bandwidth bound (weight bytes
 * read per token against a read bandwidth measured in the same run; memcpy
 * bandwidth is printed too).
 * Baselines in the same run: the bandwidth bound, and tg with the portable
 * reference kernels (SIMD off). Next to tokens/s (wall clock) it prints
 * tokens per CPU-second, the kernels' speed apart from scheduling on a
 * shared machine.
 *
 *   perf_glm [MODEL.gguf] [-r REPS] [-t THREADS] [-p PP] [-n TG] [--types f32,q8_0]
 *   perf_glm --write-random OUT.gguf     (only write the random model)
 *   perf_glm --mmlu [MODEL.gguf] [--docs N] [-r REPS] [-t THREADS] [--types ...] [--dump-requests FILE]
 *
 * --mmlu: evaluation throughput through the engine (engine_complete, as the
 * harness sends requests): MMLU-shaped 5-shot log-likelihood requests (a
 * description, five solved questions, the question, four options, choices
 * " A".." D"; synthetic text of MMLU's length, the same five shots for
 * every document, requests in the harness's order: documents in turn, a
 * document's choices together) in requests/s three ways: one by one with
 * the KV prefix reuse off and on (glm_engine_set_prefix_reuse), and in runs
 * of EXECUTOR_BATCH with reuse and batching (engine_complete_batch, as the
 * harness sends them), interleaved, REPS (default 2) of each; also tokens
 * run per request and whether the scores are identical (they must be, bit
 * for bit). Without MODEL the random model gets the
 * tokenizer of models/tianti-tiny.gguf (its vocabulary size), so that text
 * can be sent.
 *
 * Without MODEL a random chatglm model (n_embd 1024, 8 blocks, 16 heads, 2 KV
 * heads, ffn 2560, vocab 4096; about 90 M parameters, near the shape of the
 * llama.cpp figures in docs/bench.md) is written to /tmp and used. Each
 * precision other than the file's is made with glm_quantize_file into /tmp first, so load
 * time and size are those of a real file of that type.
 */
#include "engines/engine.h"
#include "engines/glm/gguf.h"
#include "engines/glm/glm_engine.h"
#include "engines/glm/model.h"
#include "engines/glm/ops.h"
#include "harness/executor.h"
#include "engines/glm/quant.h"
#include "engines/glm/quantize.h"
#include "engines/glm/timing.h"
#include "bench/perf.h"
#include "core/proc.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* tok_from: NULL, or a GGUF whose tokenizer.* keys the random model gets
 * (and its vocabulary size). */
static int write_random_model(const char *path, const char *tok_from, char *err)
{
    const int D = 1024, H = 16, HKV = 2, FF = 2560, L = 8, hd = D / H, kvd = HKV * hd;
    int V = 4096;
    gguf_file *tf = NULL;
    if (tok_from) {
        if (gguf_open(tok_from, &tf, err)) return 1;
        const gguf_kv *toks = gguf_find(tf, "tokenizer.ggml.tokens");
        if (!toks) {
            gguf_close(tf);
            snprintf(err, TT_ERR_SIZE, "'%s' has no tokenizer.ggml.tokens", tok_from);
            return 1;
        }
        V = (int)toks->arr_n;
    }
    gguf_writer *w = gguf_writer_new();
    for (uint64_t i = 0; tf && i < tf->n_kv; i++)
        if (!strncmp(tf->kv[i].key, "tokenizer.", 10)) gguf_writer_copy_kv(w, &tf->kv[i], tf);
    gguf_writer_add_str(w, "general.architecture", "chatglm");
    gguf_writer_add_str(w, "general.name", "bench-random");
    gguf_writer_add_u32(w, "chatglm.context_length", 2048);
    gguf_writer_add_u32(w, "chatglm.embedding_length", D);
    gguf_writer_add_u32(w, "chatglm.feed_forward_length", FF);
    gguf_writer_add_u32(w, "chatglm.block_count", L);
    gguf_writer_add_u32(w, "chatglm.attention.head_count", H);
    gguf_writer_add_u32(w, "chatglm.attention.head_count_kv", HKV);
    gguf_writer_add_f32(w, "chatglm.attention.layer_norm_rms_epsilon", 1e-5f);
    gguf_writer_add_u32(w, "chatglm.rope.dimension_count", hd / 2);
    gguf_writer_add_f32(w, "chatglm.rope.freq_base", 10000.0f);
    tt_rng r;
    tt_rng_seed(&r, 1);
    size_t maxn = (size_t)D * (V > 2 * FF ? V : 2 * FF);
    float *buf = tt_malloc(maxn * sizeof(float));
#define ADD(name, n_in, n_out, scale, one)                                                   \
    do {                                                                                     \
        size_t n = (size_t)(n_in) * (n_out);                                                 \
        for (size_t i = 0; i < n; i++) buf[i] = (one) + (float)((tt_rng_uniform(&r) - 0.5) * (scale)); \
        uint64_t dims[2] = {(uint64_t)(n_in), (uint64_t)(n_out)};                            \
        gguf_writer_add_tensor(w, name, GLM_TYPE_F32, (n_out) > 1 ? 2 : 1, dims, buf, n * 4); \
    } while (0)
    ADD("token_embd.weight", D, V, 2.0, 0);
    char name[64];
    for (int l = 0; l < L; l++) {
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l); ADD(name, D, 1, 0.1, 1);
        snprintf(name, sizeof name, "blk.%d.attn_qkv.weight", l); ADD(name, D, D + 2 * kvd, 0.1, 0);
        snprintf(name, sizeof name, "blk.%d.attn_qkv.bias", l); ADD(name, D + 2 * kvd, 1, 0.1, 0);
        snprintf(name, sizeof name, "blk.%d.attn_output.weight", l); ADD(name, D, D, 0.1, 0);
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", l); ADD(name, D, 1, 0.1, 1);
        snprintf(name, sizeof name, "blk.%d.ffn_up.weight", l); ADD(name, D, 2 * FF, 0.1, 0);
        snprintf(name, sizeof name, "blk.%d.ffn_down.weight", l); ADD(name, FF, D, 0.1, 0);
    }
    ADD("output_norm.weight", D, 1, 0.1, 1);
    ADD("output.weight", D, V, 0.1, 0);
#undef ADD
    free(buf);
    int rc = gguf_writer_write(w, path, err);
    gguf_writer_free(w);
    gguf_close(tf);
    return rc;
}

/* Read bandwidth in bytes/s: the SIMD f32 dot kernel over 256 MiB (each
 * byte read once), best of 5; the bound for generation, which streams the
 * weights. */
static volatile float sink;
static double read_bandwidth(void)
{
    size_t n = (256u << 20) / sizeof(float), chunk = 1u << 20;
    float *a = tt_malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) a[i] = (float)(i & 7);
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = tt_now_s();
        float s = 0;
        for (size_t i = 0; i < n; i += chunk) s += glm_vec_dot(GLM_TYPE_F32, (int)chunk, a + i, a + i);
        double dt = tt_now_s() - t0;
        sink = s;
        if ((double)n * sizeof(float) / dt > best) best = (double)n * sizeof(float) / dt;
    }
    free(a);
    return best;
}

/* Process CPU seconds: on a shared machine tokens per CPU-second shows the
 * kernels' speed apart from the time the scheduler gives us. */
static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double last_cpu_tps;

/* tokens/s of one pp or tg run (engines/glm/timing.h); 1 after an error */
static int run_pp(glm_model *m, const int *toks, int n, double *tps)
{
    double c0 = cpu_s(), dt;
    char err[TT_ERR_SIZE];
    if (glm_time_pp(m, toks, n, &dt, err)) { fprintf(stderr, "%s\n", err); return 1; }
    *tps = n / dt;
    last_cpu_tps = n / (cpu_s() - c0);
    return 0;
}

static int run_tg(glm_model *m, const int *toks, int n, double *tps)
{
    double c0 = cpu_s(), dt;
    char err[TT_ERR_SIZE];
    if (glm_time_tg(m, toks, n, &dt, err)) { fprintf(stderr, "%s\n", err); return 1; }
    *tps = n / dt;
    last_cpu_tps = n / (cpu_s() - c0);
    return 0;
}

/* ---- --mmlu: 5-shot log-likelihood requests/s, prefix reuse off and on ---- */

/* n words of plausible English-like text from r (deterministic). */
static void words(tt_buf *b, tt_rng *r, int n)
{
    static const char *w[] = {"the", "of", "a", "which", "following", "is", "most", "likely", "to", "in", "cell",
                              "energy", "law", "market", "patient", "theory", "function", "value", "state", "court",
                              "water", "reaction", "country", "increase", "process", "model", "system", "during",
                              "between", "because", "number", "result", "first", "when", "an", "by", "with", "that",
                              "population", "temperature", "contract", "equation", "protein", "economy", "argument"};
    for (int i = 0; i < n; i++)
        tt_buf_printf(b, "%s%s", i ? " " : "", w[tt_rng_below(r, sizeof w / sizeof *w)]);
}

/* One MMLU item: question, four options, "Answer:" (and the letter when
 * solved). Sized in tokens, not words: with tianti-tiny's small vocabulary
 * (about 1.4 characters a token) a 5-shot prompt comes to about 700
 * tokens, the size of MMLU's 5-shot prompts under a usual 32k-64k
 * vocabulary. */
static void item(tt_buf *b, tt_rng *r, int solved)
{
    words(b, r, 10 + (int)tt_rng_below(r, 8));
    tt_buf_printf(b, "?\n");
    for (int k = 0; k < 4; k++) {
        tt_buf_printf(b, "%c. ", "ABCD"[k]);
        words(b, r, 1 + (int)tt_rng_below(r, 3));
        tt_buf_printf(b, "\n");
    }
    if (solved) tt_buf_printf(b, "Answer: %c\n\n", "ABCD"[tt_rng_below(r, 4)]);
    else tt_buf_printf(b, "Answer:");
}

/* Sends every (context, choice) in order, one by one (engine_complete) or
 * in runs of EXECUTOR_BATCH (engine_complete_batch, as the harness does);
 * seconds taken, scores into lp. */
static int run_requests(engine *e, char **ctx, int n_docs, int batched, double *lp, int64_t *prompt_tokens,
                        double *secs)
{
    static const char *choice[4] = {" A", " B", " C", " D"};
    char err[TT_ERR_SIZE];
    int n = n_docs * 4, status = 0;
    engine_request *reqs = tt_calloc((size_t)n, sizeof *reqs);
    engine_response *resps = tt_calloc((size_t)n, sizeof *resps);
    for (int k = 0; k < n; k++) {
        reqs[k].kind = ENGINE_REQ_LOGLIKELIHOOD;
        reqs[k].context = ctx[k / 4];
        reqs[k].continuation = choice[k % 4];
    }
    *prompt_tokens = 0;
    double t0 = tt_now_s();
    for (int k = 0; k < n && !status;) {
        int m = batched ? (n - k < EXECUTOR_BATCH ? n - k : EXECUTOR_BATCH) : 1;
        status = batched ? engine_complete_batch(e, reqs + k, m, resps + k, err) : engine_complete(e, &reqs[k], &resps[k], err);
        if (status) fprintf(stderr, "perf_glm: %s\n", err);
        k += m;
    }
    *secs = tt_now_s() - t0;
    for (int k = 0; k < n && !status; k++) {
        engine_response *r = &resps[k];
        if (r->error) {
            fprintf(stderr, "perf_glm: %s\n", r->error);
            status = 1;
        }
        if (r->truncated) fprintf(stderr, "perf_glm: a request was truncated (%d tokens)\n", r->truncated);
        lp[k] = r->logprob;
        *prompt_tokens += r->prompt_tokens;
    }
    for (int k = 0; k < n; k++) engine_response_free(&resps[k]);
    free(reqs);
    free(resps);
    return status;
}

/* Writes the requests as the engine tokenizes them, one JSON line per
 * (document, choice): {"context": [ids], "continuation": [ids]}, for
 * tools/llamacpp/bench.mjs --requests to send the same ids to llama.cpp. */
static int dump_requests(engine *e, char **ctx, int n_docs, const char *path)
{
    static const char *choice[4] = {" A", " B", " C", " D"};
    char err[TT_ERR_SIZE];
    FILE *f = fopen(path, "w");
    if (!f) { fprintf(stderr, "perf_glm: cannot write '%s'\n", path); return 1; }
    int status = 0;
    for (int d = 0; d < n_docs && !status; d++)
        for (int c = 0; c < 4 && !status; c++) {
            int *ci = NULL, *ki = NULL, nc = 0, nk = 0;
            if (engine_tokenize(e, ctx[d], 1, &ci, &nc, err) || engine_tokenize(e, choice[c], 0, &ki, &nk, err)) {
                fprintf(stderr, "perf_glm: %s\n", err);
                status = 1;
            } else {
                fprintf(f, "{\"context\": [");
                for (int i = 0; i < nc; i++) fprintf(f, "%s%d", i ? ", " : "", ci[i]);
                fprintf(f, "], \"continuation\": [");
                for (int i = 0; i < nk; i++) fprintf(f, "%s%d", i ? ", " : "", ki[i]);
                fprintf(f, "]}\n");
            }
            free(ci);
            free(ki);
        }
    if (fclose(f) != 0) status = 1;
    return status;
}

static int mmlu_main(const char *model, const char *types, int n_docs, int reps, int threads, const char *dump)
{
    char err[TT_ERR_SIZE], tmp_model[64];
    const char *src = getenv("TIANTI_SOURCE_DIR");
    if (!model) {
        char *tok = tt_asprintf("%s/models/tianti-tiny.gguf", src && *src ? src : ".");
        snprintf(tmp_model, sizeof tmp_model, "/tmp/bench_glm_mmlu_%d.gguf", (int)getpid());
        fprintf(stderr, "writing a random model with the tokenizer of %s to %s\n", tok, tmp_model);
        int rc = write_random_model(tmp_model, tok, err);
        free(tok);
        if (rc) { fprintf(stderr, "%s\n", err); return 1; }
    }
    const char *path0 = model ? model : tmp_model;
    /* the documents: one description and five shots, then each question */
    tt_rng r;
    tt_rng_seed(&r, 5);
    tt_buf shots;
    tt_buf_init(&shots);
    tt_buf_printf(&shots, "The following are multiple choice questions (with answers) about high school biology.\n\n");
    for (int i = 0; i < 5; i++) item(&shots, &r, 1);
    char **ctx = tt_calloc((size_t)n_docs, sizeof *ctx);
    for (int d = 0; d < n_docs; d++) {
        tt_buf b;
        tt_buf_init(&b);
        tt_buf_printf(&b, "%s", tt_buf_str(&shots));
        item(&b, &r, 0);
        ctx[d] = tt_buf_detach(&b);
    }
    /* three ways: one by one from position 0; one by one with the prefix
     * reuse; in runs with reuse and batching (the harness's default) */
    static const char *const mode_reuse[3] = {"off", "on", "on"}, *const mode_batch[3] = {"no", "no", "yes"};
    double *lp[3];
    for (int mo = 0; mo < 3; mo++) lp[mo] = tt_malloc((size_t)n_docs * 4 * sizeof(double));
    printf("# MMLU-shaped 5-shot log-likelihood: %d documents x 4 choices, %zu-character few-shot block, "
           "requests in the harness's order, one by one or in runs of %d; %d repetitions of each, interleaved\n",
           n_docs, shots.len, EXECUTOR_BATCH, reps);
    printf("| precision | threads | prefix reuse | batched | requests/s | tokens run / request | prompt tokens / request | "
           "speed-up | scores identical |\n|---|---|---|---|---|---|---|---|---|\n");
    char *list = tt_strdup(types);
    int status = 0;
    for (char *tn = strtok(list, ","); tn && !status; tn = strtok(NULL, ",")) {
        int type = glm_type_from_name(tn);
        if (type < 0) { fprintf(stderr, "unknown type '%s'\n", tn); continue; }
        char path[96];
        snprintf(path, sizeof path, "/tmp/bench_glm_mmlu_%d_%s.gguf", (int)getpid(), tn);
        if (glm_quantize_file(path0, path, (uint32_t)type, err)) { fprintf(stderr, "%s\n", err); status = 1; break; }
        char *spec = tt_asprintf("glm:%s", path);
        engine_options opt;
        engine_options_default(&opt);
        opt.threads = threads;
        opt.context_length = 2048;
        engine *e = NULL;
        if (engine_open(spec, &opt, &e, err)) { fprintf(stderr, "%s\n", err); free(spec); status = 1; break; }
        free(spec);
        if (dump && dump_requests(e, ctx, n_docs, dump)) {
            engine_close(e);
            status = 1;
            break;
        }
        double x[3][64], run_per_req[3] = {0, 0, 0};
        int64_t prompt = 0;
        int R = reps > 64 ? 64 : reps, same = 1;
        for (int i = 0; i < R && !status; i++)
            for (int mo = 0; mo < 3 && !status; mo++) {
                int64_t reused0, run0, reused1, run1;
                glm_engine_set_prefix_reuse(e, mo > 0);
                glm_engine_set_batching(e, mo == 2);
                glm_engine_prefix_stats(e, &reused0, &run0);
                status = run_requests(e, ctx, n_docs, mo == 2, lp[mo], &prompt, &x[mo][i]);
                glm_engine_prefix_stats(e, &reused1, &run1);
                x[mo][i] = n_docs * 4 / x[mo][i];
                run_per_req[mo] = (double)(run1 - run0) / (n_docs * 4);
            }
        for (int k = 0; k < n_docs * 4; k++)
            if (lp[1][k] != lp[0][k] || lp[2][k] != lp[0][k]) same = 0;
        if (!status) {
            double m[3], sd[3];
            for (int mo = 0; mo < 3; mo++) perf_mean_sd(x[mo], R, &m[mo], &sd[mo]);
            for (int mo = 0; mo < 3; mo++) {
                char up[32] = "1";
                if (mo) snprintf(up, sizeof up, "%.1fx", m[mo] / m[0]);
                printf("| %s | %d | %s | %s | %.2f ± %.2f | %.0f | %.0f | %s | %s |\n", tn,
                       threads > 0 ? threads : (int)sysconf(_SC_NPROCESSORS_ONLN), mode_reuse[mo], mode_batch[mo],
                       m[mo], sd[mo], run_per_req[mo], (double)prompt / (n_docs * 4), up,
                       mo ? (same ? "yes" : "NO") : "");
            }
            printf("# %s: the first request's score %.6f\n", tn, lp[2][0]);
            fflush(stdout);
        }
        if (!same) status = 1;
        engine_close(e);
        unlink(path);
    }
    free(list);
    for (int d = 0; d < n_docs; d++) free(ctx[d]);
    free(ctx);
    for (int mo = 0; mo < 3; mo++) free(lp[mo]);
    tt_buf_free(&shots);
    if (!model) unlink(tmp_model);
    return status;
}

int main(int argc, char **argv)
{
    const char *model = NULL, *types = "f32,f16,q8_0,q4_0", *dump = NULL;
    int reps = 5, threads = 0, pp = 512, tg = 128, mmlu = 0, docs = 8;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mmlu")) { mmlu = 1; continue; }
        if (!strcmp(argv[i], "--docs") && i + 1 < argc) { docs = atoi(argv[++i]); continue; }
        if (!strcmp(argv[i], "--dump-requests") && i + 1 < argc) { dump = argv[++i]; continue; }
        if (!strcmp(argv[i], "-r") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-p") && i + 1 < argc) pp = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) tg = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--types") && i + 1 < argc) types = argv[++i];
        else if (!strcmp(argv[i], "--write-random") && i + 1 < argc) {
            char e[TT_ERR_SIZE];
            if (write_random_model(argv[++i], NULL, e)) { fprintf(stderr, "%s\n", e); return 1; }
            return 0;
        }
        else if (argv[i][0] != '-') model = argv[i];
        else {
            fprintf(stderr, "usage: perf_glm [MODEL.gguf] [-r REPS] [-t THREADS] [-p PP] [-n TG] [--types LIST]\n"
                            "       perf_glm --mmlu [MODEL.gguf] [--docs N] [-r REPS] [-t THREADS] [--types LIST]\n"
                            "                [--dump-requests FILE]\n"
                            "       perf_glm --write-random OUT.gguf\n");
            return 2;
        }
    }
    if (mmlu) {
        int explicit_reps = 0;
        for (int i = 1; i < argc; i++)
            if (!strcmp(argv[i], "-r")) explicit_reps = 1;
        return mmlu_main(model, types, docs > 0 ? docs : 1, explicit_reps && reps > 0 ? reps : 2, threads, dump);
    }
    if (reps < 1) reps = 1;
    char err[TT_ERR_SIZE];
    char tmp_model[64];
    if (!model) {
        snprintf(tmp_model, sizeof tmp_model, "/tmp/bench_glm_random_%d.gguf", (int)getpid());
        fprintf(stderr, "writing a random model to %s\n", tmp_model);
        if (write_random_model(tmp_model, NULL, err)) { fprintf(stderr, "%s\n", err); return 1; }
        model = tmp_model;
    }
    double cbw = perf_memcpy_bandwidth(128u << 20, 5), bw = read_bandwidth();
    printf("# model %s, %d repetitions, simd %s; memcpy %.2f GB/s (read+write), read %.2f GB/s;\n"
           "# bw bound = read bandwidth / weight bytes read per token\n", model, reps,
           glm_ops_isa(), cbw / 1e9, bw / 1e9);
    printf("| precision | file MiB | params M | weights MiB | KV MiB | RSS MiB | load s | threads | test | t/s | t/CPU-s | of bw bound |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    char *list = tt_strdup(types);
    for (char *tn = strtok(list, ","); tn; tn = strtok(NULL, ",")) {
        int type = glm_type_from_name(tn);
        if (type < 0) { fprintf(stderr, "unknown type '%s'\n", tn); continue; }
        char path[96];
        snprintf(path, sizeof path, "/tmp/bench_glm_%d_%s.gguf", (int)getpid(), tn);
        if (glm_quantize_file(model, path, (uint32_t)type, err)) { fprintf(stderr, "%s\n", err); return 1; }
        struct stat st;
        stat(path, &st);
        double t0 = tt_now_s();
        glm_model *m;
        glm_load_params lp = {-1, pp + tg > 1024 ? pp + tg : 1024, 512, threads};
        if (glm_model_load(path, &lp, &m, err)) { fprintf(stderr, "%s\n", err); return 1; }
        double load_s = tt_now_s() - t0;
        int n = pp > tg ? pp : tg;
        int *toks = glm_timing_tokens(m, n, 2);
        double x[64], mean, sd, tps = 0;
        int R = reps > 64 ? 64 : reps;
        /* touch every weight page once so RSS counts the mapped file */
        run_tg(m, toks, 1, &tps);
        double rss = (double)tt_proc_rss_bytes(0) / (1 << 20);
        const char *fmt = "| %s | %.1f | %.1f | %.1f | %.1f | %.0f | %.2f | %d | %s | %.2f ± %.2f | %.0f | %s |\n";
        double cx[64];
        run_pp(m, toks, pp, &tps);   /* warm-up */
        for (int i = 0; i < R; i++) { run_pp(m, toks, pp, &x[i]); cx[i] = last_cpu_tps; }
        perf_mean_sd(x, R, &mean, &sd);
        double cmean, csd;
        perf_mean_sd(cx, R, &cmean, &csd);
        char name[32];
        snprintf(name, sizeof name, "pp%d", pp);
        printf(fmt, tn, st.st_size / 1048576.0, m->n_params / 1e6, m->weights_bytes / 1048576.0, m->kv_bytes / 1048576.0,
               rss, load_s, glm_pool_threads(m->pool), name, mean, sd, cmean, "");
        run_tg(m, toks, tg, &tps);
        for (int i = 0; i < R; i++) { run_tg(m, toks, tg, &x[i]); cx[i] = last_cpu_tps; }
        perf_mean_sd(x, R, &mean, &sd);
        perf_mean_sd(cx, R, &cmean, &csd);
        double bound = bw / (double)glm_model_bytes_per_token(m);
        char ratio[32];
        snprintf(ratio, sizeof ratio, "%.0f%% of %.0f", 100 * mean / bound, bound);
        snprintf(name, sizeof name, "tg%d", tg);
        printf(fmt, tn, st.st_size / 1048576.0, m->n_params / 1e6, m->weights_bytes / 1048576.0, m->kv_bytes / 1048576.0,
               rss, load_s, glm_pool_threads(m->pool), name, mean, sd, cmean, ratio);
        /* baseline: portable kernels, a shorter run */
        glm_ops_force_ref(1);
        int tgb = tg < 32 ? tg : 32;
        run_tg(m, toks, tgb, &tps);
        glm_ops_force_ref(0);
        snprintf(name, sizeof name, "tg%d ref", tgb);
        printf(fmt, tn, st.st_size / 1048576.0, m->n_params / 1e6, m->weights_bytes / 1048576.0, m->kv_bytes / 1048576.0,
               rss, load_s, glm_pool_threads(m->pool), name, tps, 0.0, last_cpu_tps, "baseline");
        fflush(stdout);
        free(toks);
        glm_model_free(m);
        unlink(path);
    }
    free(list);
    if (model == tmp_model) unlink(tmp_model);
    printf("# peak RSS (VmHWM) %.0f MiB\n", tt_proc_peak_rss_bytes(0) / 1048576.0);
    return 0;
}
