/*
 * bench.c — implementation of bench.h (`tianti bench`). Reads in the order
 * a bench runs: machine facts, expansion of models × precisions, the
 * built-in measurement (in a forked child), the external measurement
 * (launch, sample, request, stop), accuracy through the runner. Storing
 * and printing are in bench_output.c; measurement primitives in perf.h and
 * launch.h; model-level timing in engines/glm/timing.h.
 */
#include "bench/bench.h"
#include "engines/engine.h"
#include "engines/spec.h"
#include "engines/glm/glm_engine.h"
#include "engines/kinds.h"
#include "engines/glm/ops.h"
#include "engines/glm/plan.h"
#include "engines/glm/quant.h"
#include "engines/glm/quantize.h"
#include "engines/glm/timing.h"
#include "bench/launch.h"
#include "bench/perf.h"
#include "harness/runner.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/proc.h"
#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const default_precisions[] = {"f32", "f16", "q8_0", "q4_0"};

void bench_options_default(bench_options *o)
{
    memset(o, 0, sizeof *o);
    o->n_prompt = 512;
    o->n_gen = 128;
    o->reps = 5;
    o->warmup = 1;
    o->launch_timeout_s = 120;
    o->launch_grace_s = 10;
}

void bench_machine_measure(bench_machine *m, int threads)
{
    memset(m, 0, sizeof *m);
    perf_cpu_model(m->cpu_model, sizeof m->cpu_model);
    m->cores = tt_cpu_count();
    m->threads = threads > 0 ? threads : m->cores;
    m->read_bw = perf_read_bandwidth(128u << 20, m->threads, 5);
    snprintf(m->simd, sizeof m->simd, "%s", glm_ops_isa());
    m->nvidia_smi = perf_have_nvidia_smi();
}

/* ---- small helpers ---------------------------------------------------------------- */

static void figure_unset(bench_figure *f) { *f = (bench_figure){-1, -1, 0, 0}; }

static void result_init(bench_result *r, const char *spec, const char *precision)
{
    memset(r, 0, sizeof *r);
    snprintf(r->spec, sizeof r->spec, "%s", spec);
    snprintf(r->precision, sizeof r->precision, "%s", precision ? precision : "");
    engine_spec sp;
    snprintf(r->engine, sizeof r->engine, "%s", engine_spec_parse(spec, &sp, NULL) == TT_OK ? sp.kind : "");
    engine_spec_clear(&sp);
    r->threads = -1;
    r->file_bytes = r->n_params = r->peak_rss_bytes = r->weights_bytes = r->kv_bytes = r->scratch_bytes = -1;
    r->planned_rss_bytes = -1;
    r->gpu_bytes = r->bytes_per_token = -1;
    r->bound_tps = -1;
    figure_unset(&r->load);
    figure_unset(&r->ttft);
    figure_unset(&r->pp);
    figure_unset(&r->tg);
}

static void note_add(bench_result *r, const char *fmt, const char *a)
{
    size_t l = strlen(r->note);
    snprintf(r->note + l, sizeof r->note - l, "%s", l ? "; " : "");
    l = strlen(r->note);
    snprintf(r->note + l, sizeof r->note - l, fmt, a);
}

/* The built-in engine is measured in-process over its precisions; every
 * other kind through its client. */
static int is_builtin(const engine_spec *sp) { return strcmp(sp->kind, "glm") == 0; }

/* Built-in models by file name (the precision has its own column), others
 * by their spec. */
static void display_name(const engine_spec *sp, const char *spec, char *out, size_t n)
{
    if (!is_builtin(sp)) {
        snprintf(out, n, "%s", spec);
        return;
    }
    char *name = engine_spec_display_name(sp, 0);
    snprintf(out, n, "%s", name);
    free(name);
}

char *bench_expand_command(const char *command, const char *precision)
{
    tt_buf b;
    tt_buf_init(&b);
    const char *p = command;
    const char *key = "{precision}";
    for (const char *q; (q = strstr(p, key)); p = q + strlen(key)) {
        tt_buf_append(&b, p, (size_t)(q - p));
        tt_buf_puts(&b, precision ? precision : "");
    }
    tt_buf_puts(&b, p);
    return tt_buf_detach(&b);
}

int bench_ready_url(const char *spec, const char *base_url, const char *ready_url, char *out, size_t n, char *err)
{
    if (ready_url && *ready_url) {
        snprintf(out, n, "%s", ready_url);
        return TT_OK;
    }
    const char *base = base_url && *base_url ? base_url : NULL;
    engine_spec sp;
    int parsed = engine_spec_parse(spec, &sp, NULL) == TT_OK;
    if (!base && parsed && !strcmp(sp.kind, "openai")) base = getenv("OPENAI_BASE_URL");
    if (!base && parsed && (!strcmp(sp.kind, "chatglm") || !strcmp(sp.kind, "visualglm"))) base = sp.arg;
    int rc = TT_OK;
    if (!base || (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))) {
        rc = tt_fail(err, TT_ERR_USAGE, "cannot tell where '%s' listens: give --base-url or --ready-url", spec);
    } else {
        const char *host = strstr(base, "://") + 3;
        const char *slash = strchr(host, '/');
        int origin = slash ? (int)(slash - base) : (int)strlen(base);
        snprintf(out, n, "%.*s/health", origin, base);
    }
    engine_spec_clear(&sp);
    return rc;
}

/* A prompt of `words` words: a fixed English sentence repeated, starting at
 * a word that depends on variant, so consecutive requests differ from their
 * first token on and no engine or server can answer one from the prompt
 * (prefix) cache the previous one left. */
static char *prompt_text(int words, int variant)
{
    static const char *const w[] = {"the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "and",
                                    "then", "runs", "far", "away", "into", "a", "green", "forest"};
    tt_buf b;
    tt_buf_init(&b);
    const int nw = (int)(sizeof w / sizeof w[0]);
    int start = (variant % nw) * 7 % nw;
    if (variant % nw == 0 && variant) start = 1;
    for (int i = 0; i < words; i++) {
        if (i) tt_buf_puts(&b, " ");
        tt_buf_puts(&b, w[(start + i) % nw]);
    }
    return tt_buf_detach(&b);
}

typedef struct stream_clock {
    double t0, first, last;
    int pieces;
} stream_clock;

static int on_piece(void *user, const char *piece, size_t len)
{
    (void)piece;
    (void)len;
    stream_clock *c = user;
    double now = tt_now_s() - c->t0;
    if (c->first < 0) c->first = now;
    c->last = now;
    c->pieces++;
    return 0;
}

/* One streamed request: words of prompt, up to max_tokens. Fills *resp
 * (caller frees) and the client-side clock. */
static int timed_request(engine *e, int words, int max_tokens, engine_response *resp, stream_clock *clk, char *err)
{
    static int variant;   /* each request starts differently (see prompt_text) */
    char *text = prompt_text(words, variant++);
    engine_message msg = {"user", text, NULL};
    engine_request req;
    memset(&req, 0, sizeof req);
    int gen = (engine_caps(e) & ENGINE_CAP_GENERATE) != 0;
    req.kind = gen ? ENGINE_REQ_GENERATE : ENGINE_REQ_CHAT;
    req.context = gen ? text : NULL;
    req.messages = gen ? NULL : &msg;
    req.n_messages = gen ? 0 : 1;
    req.gen.max_tokens = max_tokens;
    req.gen.temperature = 0;
    req.gen.seed = 1;
    *clk = (stream_clock){tt_now_s(), -1, -1, 0};
    if (engine_caps(e) & ENGINE_CAP_STREAM) {
        req.on_token = on_piece;
        req.on_token_user = clk;
    }
    int rc = engine_complete(e, &req, resp, err);
    free(text);
    if (rc) return rc;
    if (resp->error) return tt_fail(err, TT_ERR_ENGINE, "request failed: %s", resp->error);
    return TT_OK;
}

/* Prompt tokens of a request of `words` words (max_tokens 1). */
static int probe_tokens(engine *e, int words, int *tokens, char *err)
{
    engine_response resp;
    stream_clock clk;
    int rc = timed_request(e, words, 1, &resp, &clk, err);
    *tokens = resp.prompt_tokens;
    engine_response_free(&resp);
    return rc;
}

/* Words that make about n_prompt prompt tokens: two small probes give
 * tokens = a + b * words (the template adds a fixed part). When the engine
 * reports no usage, one word per token is assumed. */
static int calibrate_words(engine *e, int n_prompt, int *words, char *err)
{
    int w1 = n_prompt / 4 > 0 ? n_prompt / 4 : 1, w2 = w1 * 2, t1, t2;
    if (w1 > 64) w1 = 64, w2 = 128;
    int rc = probe_tokens(e, w1, &t1, err);
    if (rc == TT_OK) rc = probe_tokens(e, w2, &t2, err);
    if (rc) return rc;
    *words = n_prompt;
    if (t1 > 0 && t2 > t1) {
        double b = (double)(t2 - t1) / (w2 - w1), a = t1 - b * w1;
        *words = (int)((n_prompt - a) / b + 0.5);
    }
    if (*words < 1) *words = 1;
    return TT_OK;
}

/* Time to first token over reps (after a warm-up); words from calibration. */
static int measure_ttft(engine *e, const bench_options *o, bench_result *r, char *err)
{
    int words;
    int rc = calibrate_words(e, o->n_prompt, &words, err);
    if (rc) return rc;
    double x[BENCH_MAX_REPS];
    int ntok = 0;
    for (int i = -(o->warmup ? 1 : 0); i < o->reps; i++) {
        engine_response resp;
        stream_clock clk;
        rc = timed_request(e, words, 1, &resp, &clk, err);
        double t = resp.first_token_s >= 0 ? resp.first_token_s : clk.first >= 0 ? clk.first : resp.latency_s;
        ntok = resp.prompt_tokens;
        engine_response_free(&resp);
        if (rc) return rc;
        if (i >= 0) x[i] = t;
    }
    perf_mean_sd(x, o->reps, &r->ttft.mean, &r->ttft.sd);
    r->ttft.reps = o->reps;
    r->ttft.n_tokens = ntok;
    return TT_OK;
}

/* ---- built-in engine, in a child process --------------------------------------------- */

/* Runs fn(arg, out) in a forked child and copies its `size` bytes of out
 * back. A child that dies before reporting gives nonzero and its wait status
 * in *status. The parent stays small, so the child's resident memory is its
 * own work plus little else. */
static int in_child(void (*fn)(void *arg, void *out), void *arg, void *out, size_t size, int *status)
{
    int fds[2];
    *status = 0;
    if (pipe(fds)) return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        fn(arg, out);
        size_t off = 0;
        while (off < size) {
            ssize_t k = write(fds[1], (const char *)out + off, size - off);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) break;
            off += (size_t)k;
        }
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    char *buf = tt_malloc(size);
    size_t got = 0;
    while (got < size) {
        ssize_t k = read(fds[0], buf + got, size - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fds[0]);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {}
    if (got == size) memcpy(out, buf, size);
    free(buf);
    return got == size ? 0 : 1;
}

typedef struct builtin_job {
    const bench_options *o;
    const char *file;      /* the model as given */
    const char *tmp;       /* the converted copy */
    int type;
} builtin_job;

/* The context a measurement loads the model with: the longest of prompt
 * and generation plus a margin, or --ctx-size when larger. */
static int measured_context(const bench_options *o)
{
    int n = (o->n_prompt > o->n_gen ? o->n_prompt : o->n_gen) + 16;
    return o->n_ctx > n ? o->n_ctx : n;
}

/* Child 1: converts the model into a file of the wanted type. */
static void convert_child(void *arg, void *out)
{
    builtin_job *j = arg;
    char *err = out;
    err[0] = 0;
    glm_quantize_file(j->file, j->tmp, (uint32_t)j->type, err);
}

/* Child 2: loads the converted file and measures. */
static void measure_child(void *arg, void *out)
{
    builtin_job *j = arg;
    const bench_options *o = j->o;
    bench_result *r = out;
    char err[TT_ERR_SIZE];
    engine *e = NULL;
    int *toks = NULL;
    struct stat st;
    if (stat(j->tmp, &st) == 0) r->file_bytes = (int64_t)st.st_size;
    if (perf_reset_peak_rss() != TT_OK) note_add(r, "%s", "peak memory counts the parent process too (no clear_refs)");
    engine_options eo;
    engine_options_default(&eo);
    eo.threads = o->threads;
    eo.context_length = measured_context(o);
    {   /* the planner's prediction, before anything is loaded; what cannot
         * fit is refused here with its numbers (the tokenizer-less fallback
         * below must not load it anyway) */
        glm_load_params plp = {-1, eo.context_length, 0, o->threads};
        glm_plan plan;
        int64_t base = tt_proc_rss_bytes(0);
        if (glm_plan_file(j->tmp, &plp, &plan, err) == TT_OK) {
            if (base > 0) r->planned_rss_bytes = base + plan.total_bytes;
            char what[600];
            snprintf(what, sizeof what, "glm:%.400s@%s", j->file, r->precision);
            if (glm_plan_check_machine(&plan, what, err) != TT_OK) {
                snprintf(r->error, sizeof r->error, "%s", err);
                return;   /* nothing loaded yet */
            }
        }
    }
    char *spec = tt_asprintf("glm:%s", j->tmp);
    int rc = engine_open(spec, &eo, &e, err);
    free(spec);
    glm_model *m = NULL, *bare = NULL;
    engine_stats es;
    if (rc == TT_OK) {
        m = glm_engine_model(e);
        engine_get_stats(e, &es);
        r->load = (bench_figure){es.load_s, 0, 0, 1};
    } else {
        /* weights without a usable tokenizer (e.g. perf_glm --write-random):
         * pp and tg still make sense, time to first token does not */
        char err2[TT_ERR_SIZE];
        glm_load_params lp = {-1, eo.context_length, 0, o->threads};
        double t0 = tt_now_s();
        if (glm_model_load(j->tmp, &lp, &bare, err2) != TT_OK) {
            snprintf(r->error, sizeof r->error, "%s", err);
            goto done;
        }
        r->load = (bench_figure){tt_now_s() - t0, 0, 0, 1};
        m = bare;
        note_add(r, "no time to first token: %.300s", err);
    }
    int n = o->n_prompt > o->n_gen ? o->n_prompt : o->n_gen;
    toks = glm_timing_tokens(m, n, 2);
    double dt;
    for (int i = -(o->warmup ? 1 : 0); i < o->reps; i++) {
        if (glm_time_pp(m, toks, o->n_prompt, &dt, err)) {
            snprintf(r->error, sizeof r->error, "%s", err);
            goto done;
        }
        if (i >= 0) r->pp_samples[i] = o->n_prompt / dt;
    }
    for (int i = -(o->warmup ? 1 : 0); i < o->reps; i++) {
        if (glm_time_tg(m, toks, o->n_gen, &dt, err)) {
            snprintf(r->error, sizeof r->error, "%s", err);
            goto done;
        }
        if (i >= 0) r->tg_samples[i] = o->n_gen / dt;
    }
    perf_mean_sd(r->pp_samples, o->reps, &r->pp.mean, &r->pp.sd);
    perf_mean_sd(r->tg_samples, o->reps, &r->tg.mean, &r->tg.sd);
    r->pp.n_tokens = o->n_prompt;
    r->tg.n_tokens = o->n_gen;
    r->pp.reps = r->tg.reps = o->reps;
    if (e && measure_ttft(e, o, r, err)) {
        snprintf(r->error, sizeof r->error, "time to first token: %.480s", err);
        goto done;
    }
    r->weights_bytes = m->weights_bytes;
    r->kv_bytes = m->kv_bytes;
    r->scratch_bytes = m->scratch_bytes;
    r->n_params = m->n_params;
    r->bytes_per_token = glm_model_bytes_per_token(m);
    r->threads = glm_pool_threads(m->pool);
    r->peak_rss_bytes = tt_proc_peak_rss_bytes(0);
    r->memory_measured = r->peak_rss_bytes > 0;
done:
    free(toks);
    engine_close(e);
    glm_model_free(bare);
}

static void measure_builtin(const bench_options *o, const char *file, bench_result *r)
{
    builtin_job j = {o, file, NULL, glm_type_from_name(r->precision)};
    if (j.type < 0) {
        snprintf(r->error, sizeof r->error, "unknown precision '%s' (f32, f16, q8_0, q4_0)", r->precision);
        return;
    }
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    char *tmp = tt_asprintf("%s/tianti-bench-%ld-%s.gguf", dir, (long)getpid(), r->precision);
    j.tmp = tmp;
    char cerr[TT_ERR_SIZE];
    int status;
    char how[64];
    char own[16];
    int as_is = glm_file_precision(file, own, sizeof own, cerr) == TT_OK && !strcmp(own, r->precision);
    if (as_is) {   /* already of that type: measured as it is (a 6B file is not copied) */
        j.tmp = file;
        cerr[0] = 0;
    }
    if (!as_is) {
        /* What cannot fit is refused with the planner's numbers before a
         * converted copy is written (f32 ChatGLM-6B is 25 GB: converting it
         * would fill the disk and then be killed at load). */
        glm_load_params lp = {j.type, measured_context(o), 0, o->threads};
        glm_plan plan;
        char what[600];
        snprintf(what, sizeof what, "glm:%.400s@%s", file, r->precision);
        if (glm_plan_file(file, &lp, &plan, cerr) != TT_OK ||
            glm_plan_check_machine(&plan, what, cerr) != TT_OK) {
            snprintf(r->error, sizeof r->error, "%s", cerr);
            free(tmp);
            return;
        }
    }
    if (!as_is && in_child(convert_child, &j, cerr, sizeof cerr, &status)) {
        launch_describe_status(status, how, sizeof how);
        snprintf(r->error, sizeof r->error, "converting '%.400s' ended with %.40s", file, how);
    } else if (cerr[0]) {
        snprintf(r->error, sizeof r->error, "%s", cerr);
    } else if (in_child(measure_child, &j, r, sizeof *r, &status)) {
        launch_describe_status(status, how, sizeof how);
        snprintf(r->error, sizeof r->error, "the measuring process for '%.400s' ended with %.40s before reporting", r->spec,
                 how);
    }
    if (!as_is) unlink(tmp);
    free(tmp);
}

/* ---- external engines ------------------------------------------------------------------ */

static int measure_client(engine *e, const bench_options *o, bench_result *r, char *err)
{
    int words;
    int rc = calibrate_words(e, o->n_prompt, &words, err);
    if (rc) return rc;
    double ttft[BENCH_MAX_REPS];
    int ok_tg = 0, ntok_p = 0, sum_ct = 0, sum_all = 0;
    for (int i = -(o->warmup ? 1 : 0); i < o->reps; i++) {
        engine_response resp;
        stream_clock clk;
        rc = timed_request(e, words, o->n_gen, &resp, &clk, err);
        if (rc) {
            engine_response_free(&resp);
            return rc;
        }
        double first = resp.first_token_s >= 0 ? resp.first_token_s : clk.first >= 0 ? clk.first : resp.latency_s;
        int ct = resp.completion_tokens > 0 ? resp.completion_tokens : clk.pieces;
        /* the end of the whole request, not the last piece: pieces can arrive
         * in bursts (several events in one read) */
        double end = resp.latency_s > 0 ? resp.latency_s : clk.last;
        if (i >= 0) {
            ttft[i] = first;
            r->pp_samples[i] = resp.prompt_tokens > 0 && first > 0 ? resp.prompt_tokens / first : 0;
            /* a reply of a few tokens says little about generation speed */
            double tps = ct >= 8 && end > first ? (ct - 1) / (end - first) : 0;
            if (tps > 0) {
                r->tg_samples[ok_tg++] = tps;
                sum_ct += ct;
            }
            sum_all += ct;
            ntok_p = resp.prompt_tokens;
        }
        engine_response_free(&resp);
    }
    perf_mean_sd(ttft, o->reps, &r->ttft.mean, &r->ttft.sd);
    r->ttft.reps = r->pp.reps = o->reps;
    r->ttft.n_tokens = r->pp.n_tokens = ntok_p;
    if (ntok_p > 0) perf_mean_sd(r->pp_samples, o->reps, &r->pp.mean, &r->pp.sd);
    /* mean tokens of the replies timed (of all when none was) */
    r->tg.n_tokens = ok_tg ? (sum_ct + ok_tg / 2) / ok_tg : (sum_all + o->reps / 2) / o->reps;
    r->tg.reps = ok_tg;
    if (ok_tg > 0) perf_mean_sd(r->tg_samples, ok_tg, &r->tg.mean, &r->tg.sd);
    if (ok_tg < o->reps) {
        char what[96];
        snprintf(what, sizeof what, "%d of %d replies had under 8 tokens and are not in tg", o->reps - ok_tg, o->reps);
        note_add(r, "%s", what);
    }
    return TT_OK;
}

static void run_task_isolated(const bench_options *o, bench_result *r);

static void measure_external(const bench_options *o, const char *spec, const char *precision, bench_result *r)
{
    char err[TT_ERR_SIZE];
    launch_proc *lp = NULL;
    perf_sampler *smp = NULL;
    engine *e = NULL;
    if (o->launch) {
        char url[1024];
        if (bench_ready_url(spec, o->base_url, o->ready_url, url, sizeof url, err)) {
            snprintf(r->error, sizeof r->error, "%s", err);
            return;
        }
        char *cmd = bench_expand_command(o->launch, precision);
        if (o->progress) tt_log(TT_LOG_INFO, "bench: launching '%s', waiting for %s", cmd, url);
        double t0 = tt_now_s();
        int rc = launch_start(cmd, NULL, &lp, err);
        free(cmd);
        if (rc == TT_OK) rc = perf_sampler_start(launch_pid(lp), 0.05, 0.5, &smp, err);
        if (rc == TT_OK) rc = launch_wait_ready(lp, url, o->launch_timeout_s, 0.1, err);
        if (rc) {
            snprintf(r->error, sizeof r->error, "%s", err);
            goto done;
        }
        r->load = (bench_figure){tt_now_s() - t0, 0, 0, 1};
        note_add(r, "%s", "load = launch until the server answered");
    }
    engine_options eo;
    engine_options_default(&eo);
    eo.base_url = o->base_url;
    eo.threads = o->threads;
    if (engine_open(spec, &eo, &e, err) || measure_client(e, o, r, err)) {
        snprintf(r->error, sizeof r->error, "%s", err);
        goto done;
    }
    engine_stats es;
    if (engine_get_stats(e, &es) == TT_OK) {
        if (es.file_bytes > 0) r->file_bytes = es.file_bytes;
        if (es.n_params > 0) r->n_params = es.n_params;
        if (!r->precision[0] && es.precision[0]) snprintf(r->precision, sizeof r->precision, "%s", es.precision);
    }
    engine_close(e);
    e = NULL;
    if (o->task) run_task_isolated(o, r);
done:
    engine_close(e);
    if (smp) {
        perf_sample_summary sum;
        perf_sampler_stop(smp, &sum);
        if (sum.peak_rss_bytes > 0 && !r->error[0]) {
            /* the processes' own peaks catch what falls between samples */
            r->peak_rss_bytes = sum.peak_hwm_sum_bytes > sum.peak_rss_bytes ? sum.peak_hwm_sum_bytes : sum.peak_rss_bytes;
            r->memory_measured = 1;
            char what[160];
            snprintf(what, sizeof what,
                     "memory: peak of the launched process tree (%d samples of VmRSS, and VmHWM)", sum.n_samples);
            note_add(r, "%s", what);
        }
        if (sum.gpu_measured) r->gpu_bytes = sum.peak_gpu_bytes;
    }
    if (lp) {
        int killed = 0;
        launch_stop(lp, o->launch_grace_s, &killed);
        if (killed) note_add(r, "%s", "the server ignored SIGTERM and was killed");
        launch_free(lp);
    }
    if (!o->launch) note_add(r, "%s", "memory not measured: client-side figures only (no --launch)");
}

/* ---- accuracy ------------------------------------------------------------------------------ */

static void run_task(const bench_options *o, bench_result *r)
{
    runner_options ro;
    runner_options_default(&ro);
    const char *tasks[1] = {o->task};
    const char *models[1] = {r->spec};
    ro.tasks = tasks;
    ro.n_tasks = 1;
    ro.models = models;
    ro.n_models = 1;
    if (o->db_path) ro.db_path = o->db_path;
    ro.registry_path = o->registry_path;
    ro.data_dir = o->data_dir;
    ro.tasks_dir = o->tasks_dir;
    ro.limit = o->limit;
    ro.threads = o->threads;
    if (o->progress) tt_log(TT_LOG_INFO, "bench: task '%s' on '%s'", o->task, r->spec);
    json_t *res = NULL;
    int64_t run_id;
    char err[TT_ERR_SIZE];
    if (runner_run(&ro, &res, &run_id, err) != TT_OK) {
        json_t *e = json_array_get(json_object_get(json_array_get(res, 0), "errors"), 0);
        note_add(r, "task failed: %s", e ? json_string_value(json_object_get(e, "cause")) : err);
        r->task_failed = 1;
        json_decref(res);   /* set when nothing was scored */
        return;
    }
    json_t *doc = json_array_get(res, 0);
    json_t *e = json_array_get(json_object_get(doc, "errors"), 0);
    if (e) {
        /* some documents could not be scored: the score would mislead */
        note_add(r, "documents not scored: %s", json_string_value(json_object_get(e, "cause")));
        r->task_failed = 1;
    }
    json_t *tasks_obj = json_object_get(doc, "results");
    const char *tname;
    json_t *tres;
    json_object_foreach(tasks_obj, tname, tres) {
        const char *key;
        json_t *v;
        json_object_foreach(tres, key, v) {
            if (!json_is_number(v) || strstr(key, "_stderr,") || !strchr(key, ',')) continue;
            const char *comma = strchr(key, ',');
            snprintf(r->task, sizeof r->task, "%s", tname);
            snprintf(r->metric, sizeof r->metric, "%s", key);
            r->acc = json_number_value(v);
            char *se_key = tt_asprintf("%.*s_stderr%s", (int)(comma - key), key, comma);
            json_t *se = json_object_get(tres, se_key);
            free(se_key);
            r->acc_stderr = json_is_number(se) ? json_number_value(se) : -1;
            r->has_acc = 1;
            break;
        }
        if (r->has_acc) break;
    }
    if (!r->has_acc) note_add(r, "task '%s' gave no score", o->task);
    json_decref(res);
}

static void task_child(void *arg, void *out) { run_task(arg, out); }

/* The task runs in a child process too, so the memory it leaves behind in
 * this process cannot show up in the next measurement (a forked child's
 * resident set includes the parent's pages). */
static void run_task_isolated(const bench_options *o, bench_result *r)
{
    int status;
    if (in_child(task_child, (void *)o, r, sizeof *r, &status)) {
        char how[64];
        launch_describe_status(status, how, sizeof how);
        note_add(r, "the task process ended with %s", how);
    }
}

/* ---- the run --------------------------------------------------------------------------------- */

static void add_bound(bench_result *r, const bench_machine *mach)
{
    if (r->bytes_per_token > 0 && mach && mach->read_bw > 0) r->bound_tps = mach->read_bw / (double)r->bytes_per_token;
}

int bench_options_check(const bench_options *o, char *err)
{
    if (o->n_models < 1) return tt_fail(err, TT_ERR_USAGE, "bench needs at least one --model");
    if (o->reps < 1 || o->reps > BENCH_MAX_REPS)
        return tt_fail(err, TT_ERR_USAGE, "repetitions must be 1..%d, not %d", BENCH_MAX_REPS, o->reps);
    if (o->n_prompt < 1 || o->n_gen < 2)
        return tt_fail(err, TT_ERR_USAGE, "need -p >= 1 and -n >= 2 tokens (got %d and %d)", o->n_prompt, o->n_gen);
    const char *const *precs = o->n_precisions > 0 ? o->precisions : default_precisions;
    int n_precs = o->n_precisions > 0 ? o->n_precisions : 4;
    for (int i = 0; i < o->n_models; i++) {
        engine_spec sp;
        int rc = engine_spec_parse(o->models[i], &sp, err);
        /* a spec's own precision was checked by the parser; the list is
         * expanded only for built-in models without one */
        for (int k = 0; rc == TT_OK && is_builtin(&sp) && !sp.precision && k < n_precs; k++)
            if (!engine_spec_precision(sp.kind, precs[k])) {
                char list[128];
                engine_spec_precisions_list(sp.kind, list, sizeof list);
                rc = tt_fail(err, TT_ERR_USAGE, "unknown precision '%s' for '%s' (%s)", precs[k], o->models[i], list);
            }
        engine_spec_clear(&sp);
        if (rc) return rc;
    }
    return TT_OK;
}

int bench_run(const bench_options *o, const bench_machine *mach, bench_result **results, int *n_results, char *err)
{
    *results = NULL;
    *n_results = 0;
    int rc = bench_options_check(o, err);
    if (rc) return rc;
    const char *const *precs = o->n_precisions > 0 ? o->precisions : default_precisions;
    int n_precs = o->n_precisions > 0 ? o->n_precisions : 4;
    bench_result *out = NULL;
    int n = 0, measured = 0;
    for (int i = 0; i < o->n_models; i++) {
        const char *spec = o->models[i];
        engine_spec sp;
        engine_spec_parse(spec, &sp, NULL);  /* checked by bench_options_check */
        int builtin = is_builtin(&sp);
        int expand = builtin ? !sp.precision : (o->launch && strstr(o->launch, "{precision}"));
        int k_max = expand ? n_precs : 1;
        for (int k = 0; k < k_max; k++) {
            const char *prec = !expand ? (builtin ? sp.precision : NULL)
                               : builtin ? engine_spec_precision(sp.kind, precs[k]) : precs[k];
            out = tt_realloc(out, (size_t)(n + 1) * sizeof *out);
            bench_result *r = &out[n++];
            engine_spec at = {.kind = sp.kind, .arg = sp.arg, .precision = (char *)prec, .row = sp.row};
            char *run_spec = builtin ? engine_spec_format(&at) : tt_strdup(spec);
            result_init(r, run_spec, expand || builtin ? prec : NULL);
            free(run_spec);
            display_name(&sp, spec, r->name, sizeof r->name);
            r->builtin = builtin;
            if (o->progress)
                tt_log(TT_LOG_INFO, "bench: %s%s%s", r->spec, !builtin && r->precision[0] ? " @" : "",
                       !builtin ? r->precision : "");
            if (builtin) {
                measure_builtin(o, sp.arg, r);
                if (!r->error[0] && o->task) run_task_isolated(o, r);
            } else {
                measure_external(o, spec, r->precision, r);
            }
            add_bound(r, mach);
            if (r->error[0]) tt_log(TT_LOG_INFO, "bench: '%s': %s", r->spec, r->error);
            else measured++;
        }
        engine_spec_clear(&sp);
    }
    *results = out;
    *n_results = n;
    if (!measured) return tt_fail(err, TT_ERR_ENGINE, "no model could be measured");
    return TT_OK;
}
