/*
 * test_glm_prefix_reuse.c — the glm engine's KV prefix reuse
 * (glm_engine.c) changes no score: on models/tianti-tiny.gguf at f32, q8_0
 * and q4_0, MMLU-shaped few-shot requests (every document shares the
 * few-shot block, every choice its document's question) and unshared ones
 * (other contexts, an empty context, a long continuation) get the same
 * log-likelihoods and is_greedy with reuse on as with it off, in request
 * order, in reverse order, from two threads at once, after a generation,
 * and with a context
 * short enough that requests are left-truncated and run in several
 * batches. The counters show that reuse happened (and did not when off).
 * Batching (engine_complete_batch: requests sent together share forward
 * passes, glm_forward_batch) gives the same scores too: all requests at
 * once, in runs of five, in reverse, with reuse off, and mixed with a
 * request that cannot be scored and a generation.
 *
 * Tolerance: none, the scores must be equal bit for bit. A position's keys
 * and values depend only on the tokens up to it, every kernel computes a
 * token's row alone in a fixed order, and the engine cuts batches so that
 * glm_matmul's choice between its four-token and one-token kernels (which
 * may round differently; before batches were aligned, q8_0 differed by
 * 0.03 nats on a 9-token continuation) is the same for every token with or
 * without reuse (glm_engine.c, reuse_prefix). A difference of any size is
 * therefore a bug.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engines/engine.h"
#include "engines/glm/glm_engine.h"
#include "core/util.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_DOCS 4
#define N_CHOICES 4
#define N_OTHER 4
#define N_REQ (N_DOCS * N_CHOICES + N_OTHER)

static char *contexts[N_REQ];
static const char *conts[N_REQ];

static const char *shots =
    "The following are multiple choice questions (with answers) about general knowledge.\n\n"
    "Question: What colour is the sky on a clear day?\nA. Green\nB. Blue\nC. Red\nD. Black\nAnswer: B\n\n"
    "Question: How many legs does a cat have?\nA. Two\nB. Six\nC. Four\nD. Eight\nAnswer: C\n\n"
    "Question: Which number is the largest?\nA. 12\nB. 7\nC. 3\nD. 1\nAnswer: A\n\n";

static const char *questions[N_DOCS] = {
    "Question: Where does the sun rise?\nA. North\nB. South\nC. West\nD. East\nAnswer:",
    "Question: What do bees make?\nA. Honey\nB. Milk\nC. Silk\nD. Salt\nAnswer:",
    "Question: Which of these is a fruit?\nA. Carrot\nB. Apple\nC. Potato\nD. Onion\nAnswer:",
    "Question: What is frozen water called?\nA. Steam\nB. Sand\nC. Ice\nD. Glass\nAnswer:",
};

static void make_requests(void)
{
    static const char *letters[N_CHOICES] = {" A", " B", " C", " D"};
    int k = 0;
    for (int d = 0; d < N_DOCS; d++)
        for (int c = 0; c < N_CHOICES; c++) {
            contexts[k] = tt_asprintf("%s%s", shots, questions[d]);
            conts[k++] = letters[c];
        }
    /* unshared: other contexts, an empty one, a long continuation */
    contexts[k] = tt_strdup("Once upon a time there was a little fox who");
    conts[k++] = " lived in the forest and liked to sing.";
    contexts[k] = tt_strdup("");
    conts[k++] = "Hello there, how are you?";
    contexts[k] = tt_asprintf("%s%s", shots, "Question: Name a colour.\nAnswer:");
    conts[k++] = " Blue, like the sky on a clear day";
    contexts[k] = tt_strdup("The");
    conts[k++] = " end.";
}

static engine *open_engine(const char *precision, int ctx, int reuse)
{
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *spec = tt_asprintf("glm:%s/models/tianti-tiny.gguf@%s", src ? src : ".", precision);
    engine_options opt;
    engine_options_default(&opt);
    opt.threads = 2;
    opt.context_length = ctx;
    engine *e = NULL;
    char err[TT_ERR_SIZE];
    int rc = engine_open(spec, &opt, &e, err);
    if (rc) fprintf(stderr, "%s: %s\n", spec, err);
    assert_int_equal(rc, TT_OK);
    free(spec);
    glm_engine_set_prefix_reuse(e, reuse);
    return e;
}

static void score(engine *e, int i, double *lp, int *greedy)
{
    engine_request req = {0};
    req.kind = ENGINE_REQ_LOGLIKELIHOOD;
    req.context = contexts[i];
    req.continuation = conts[i];
    engine_response r;
    char err[TT_ERR_SIZE];
    assert_int_equal(engine_complete(e, &req, &r, err), TT_OK);
    if (r.error) fprintf(stderr, "request %d: %s\n", i, r.error);
    assert_null(r.error);
    assert_true(isfinite(r.logprob) && r.logprob < 0);
    *lp = r.logprob;
    *greedy = r.is_greedy;
    engine_response_free(&r);
}

static void assert_same(const char *what, int i, double off, int goff, double on, int gon)
{
    if (on != off || goff != gon)
        fprintf(stderr, "%s: request %d: off %.17g (greedy %d), on %.17g (greedy %d), diff %.3g\n", what, i, off, goff,
                on, gon, on - off);
    assert_true(on == off);
    assert_int_equal(goff, gon);
}

/* Scores requests idx[0..n) with one engine_complete_batch call and checks
 * each against ref; an index of -1 is a request that cannot be scored (an
 * empty continuation), -2 a generation: answered in their places. */
static void check_batch(const char *what, engine *e, const int *idx, int n, const double *ref, const int *gref)
{
    engine_request *reqs = calloc((size_t)n, sizeof *reqs);
    engine_response *resps = calloc((size_t)n, sizeof *resps);
    for (int j = 0; j < n; j++) {
        int i = idx[j];
        reqs[j].kind = i == -2 ? ENGINE_REQ_GENERATE : ENGINE_REQ_LOGLIKELIHOOD;
        reqs[j].context = i >= 0 ? contexts[i] : "The";
        reqs[j].continuation = i >= 0 ? conts[i] : "";
        reqs[j].gen.max_tokens = 3;
    }
    char err[TT_ERR_SIZE];
    assert_int_equal(engine_complete_batch(e, reqs, n, resps, err), TT_OK);
    for (int j = 0; j < n; j++) {
        int i = idx[j];
        if (i == -1) {
            assert_non_null(resps[j].error);
            assert_non_null(strstr(resps[j].error, "continuation is empty"));
        } else if (i == -2) {
            assert_null(resps[j].error);
            assert_non_null(resps[j].text);
        } else {
            if (resps[j].error) fprintf(stderr, "%s: batched request %d: %s\n", what, i, resps[j].error);
            assert_null(resps[j].error);
            assert_same(what, i, ref[i], gref[i], resps[j].logprob, resps[j].is_greedy);
        }
        engine_response_free(&resps[j]);
    }
    free(reqs);
    free(resps);
}

static void check_batching(const char *what, engine *on, const double *ref, const int *gref)
{
    int idx[N_REQ + 2];
    int64_t before = glm_engine_batched_requests(on);
    for (int i = 0; i < N_REQ; i++) idx[i] = i;
    check_batch(what, on, idx, N_REQ, ref, gref);   /* all at once, request order */
    assert_true(glm_engine_batched_requests(on) > before);
    for (int i = 0; i < N_REQ; i += 5) check_batch(what, on, idx + i, N_REQ - i < 5 ? N_REQ - i : 5, ref, gref);
    for (int i = 0; i < N_REQ; i++) idx[i] = N_REQ - 1 - i;
    check_batch(what, on, idx, N_REQ, ref, gref);   /* reverse */
    /* a request that cannot be scored and a generation among them */
    int mixed[8] = {0, 1, -1, 2, 3, -2, 17, 18};
    check_batch(what, on, mixed, 8, ref, gref);
    glm_engine_set_prefix_reuse(on, 0);   /* nothing from the cache: the batch's own sharing only */
    for (int i = 0; i < N_REQ; i++) idx[i] = i;
    check_batch(what, on, idx, N_REQ, ref, gref);
    glm_engine_set_prefix_reuse(on, 1);
    /* batching off: one at a time, no batched requests */
    glm_engine_set_batching(on, 0);
    before = glm_engine_batched_requests(on);
    check_batch(what, on, idx, 6, ref, gref);
    assert_int_equal(glm_engine_batched_requests(on), before);
    glm_engine_set_batching(on, 1);
}

typedef struct half {
    engine *e;
    int parity;
    double lp[N_REQ];
    int greedy[N_REQ];
} half;

static void *run_half(void *v)
{
    half *h = v;
    for (int i = h->parity; i < N_REQ; i += 2) score(h->e, i, &h->lp[i], &h->greedy[i]);
    return NULL;
}

static void check_precision(const char *precision, int ctx)
{
    char what[64];
    snprintf(what, sizeof what, "%s ctx %d", precision, ctx);
    double ref[N_REQ], lp;
    int gref[N_REQ], g;
    int64_t reused, run, run_off;

    engine *off = open_engine(precision, ctx, 0);
    for (int i = 0; i < N_REQ; i++) score(off, i, &ref[i], &gref[i]);
    glm_engine_prefix_stats(off, &reused, &run_off);
    assert_int_equal(reused, 0);
    engine_close(off);

    engine *on = open_engine(precision, ctx, 1);
    for (int i = 0; i < N_REQ; i++) {   /* request order: choices and documents adjacent */
        score(on, i, &lp, &g);
        assert_same(what, i, ref[i], gref[i], lp, g);
    }
    glm_engine_prefix_stats(on, &reused, &run);
    assert_true(reused > 0);
    assert_true(run < run_off);
    for (int i = N_REQ - 1; i >= 0; i--) {   /* reverse: other cache states */
        score(on, i, &lp, &g);
        assert_same(what, i, ref[i], gref[i], lp, g);
    }
    /* two threads interleaving requests (the engine's mutex serialises them) */
    half h[2] = {{.e = on, .parity = 0}, {.e = on, .parity = 1}};
    pthread_t th[2];
    for (int t = 0; t < 2; t++) pthread_create(&th[t], NULL, run_half, &h[t]);
    for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
    for (int i = 0; i < N_REQ; i++) assert_same(what, i, ref[i], gref[i], h[i % 2].lp[i], h[i % 2].greedy[i]);
    /* after generation (tokens run one at a time are never reused) */
    engine_request greq = {0};
    greq.kind = ENGINE_REQ_GENERATE;
    greq.context = contexts[5];
    greq.gen.max_tokens = 6;
    engine_response gr;
    char err[TT_ERR_SIZE];
    assert_int_equal(engine_complete(on, &greq, &gr, err), TT_OK);
    assert_null(gr.error);
    engine_response_free(&gr);
    for (int i = 0; i < N_REQ; i++) {
        score(on, i, &lp, &g);
        assert_same(what, i, ref[i], gref[i], lp, g);
    }
    check_batching(what, on, ref, gref);
    /* switched off on an engine with a warm cache: the same again */
    glm_engine_set_prefix_reuse(on, 0);
    int64_t reused_before = 0, r2;
    glm_engine_prefix_stats(on, &reused_before, &r2);
    for (int i = 0; i < N_CHOICES; i++) {   /* one document: full prompts are slow under TSan */
        score(on, i, &lp, &g);
        assert_same(what, i, ref[i], gref[i], lp, g);
    }
    glm_engine_prefix_stats(on, &reused, &r2);
    assert_int_equal(reused, reused_before);
    engine_close(on);
}

static void test_reuse_f32(void **state)
{
    (void)state;
    check_precision("f32", 0);
}

static void test_reuse_q8_0(void **state)
{
    (void)state;
    check_precision("q8_0", 0);
}

static void test_reuse_q4_0(void **state)
{
    (void)state;
    check_precision("q4_0", 0);
}

/* A context of 64 tokens: the few-shot requests are left-truncated (their
 * positions shift, so little is reusable) and run in batches of 64. */
static void test_reuse_short_context(void **state)
{
    (void)state;
    check_precision("q8_0", 64);
}

/* Any other engine: the switch and counters do nothing. */
static void test_other_engine_ignored(void **state)
{
    (void)state;
    int64_t a = 1, b = 1;
    glm_engine_set_prefix_reuse(NULL, 0);
    glm_engine_prefix_stats(NULL, &a, &b);
    assert_int_equal(a, 0);
    assert_int_equal(b, 0);
}

int main(void)
{
    make_requests();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse_f32),
        cmocka_unit_test(test_reuse_q8_0),
        cmocka_unit_test(test_reuse_q4_0),
        cmocka_unit_test(test_reuse_short_context),
        cmocka_unit_test(test_other_engine_ignored),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (int i = 0; i < N_REQ; i++) free(contexts[i]);
    return rc;
}
