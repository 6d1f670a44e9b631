/*
 * ops.c — the GLM engine's kernels (see ops.h): thread pool, row kernels,
 * attention rows, per-type dot products (portable reference + AVX2 fast
 * path here, AVX-512 VNNI ones in ops_avx512.c, the set chosen at run time),
 * the blocked matrix product built on them, and the packed q4_0/q8_0 layout
 * with its product.
 */
#include "engines/glm/ops.h"
#include "engines/glm/ops_simd.h"
#include "engines/glm/quant.h"
#include "core/util.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GLM_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* ---- thread pool ------------------------------------------------------------ *
 * A job is n tasks (ith = 0..n-1, nth = n). Whoever is running claims the
 * next task from `ticket` = (job generation << 32 | next task), so the caller
 * never waits for a worker that has not been scheduled yet: on a busy machine
 * it simply runs the remaining tasks itself. A claim is a compare-and-swap on
 * the ticket of the generation whose fn/arg the claimer read, so a late worker
 * can never run a task of a newer job with an older job's arguments. The
 * caller returns once `done` counts all n tasks. Idle workers spin briefly,
 * then sleep on a condition variable. */

struct glm_pool {
    int n;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic(glm_job_fn) fn;
    _Atomic(void *) arg;
    _Atomic uint64_t ticket;   /* generation << 32 | next task */
    atomic_int done;           /* tasks finished in the current job */
    atomic_int sleepers;
    atomic_int stop;
};

typedef struct worker_arg { glm_pool *p; } worker_arg;

static void cpu_relax(void)
{
#ifdef GLM_X86
    _mm_pause();
#endif
}

#define SPIN_ROUNDS 4000

/* Claims and runs tasks of generation gen until none is left. */
static void run_tasks(glm_pool *p, uint32_t gen)
{
    glm_job_fn fn = atomic_load(&p->fn);
    void *arg = atomic_load(&p->arg);
    uint64_t t = atomic_load(&p->ticket);
    for (;;) {
        if ((uint32_t)(t >> 32) != gen || (int)(uint32_t)t >= p->n) return;
        if (!atomic_compare_exchange_weak(&p->ticket, &t, t + 1)) continue;   /* t reloaded */
        fn(arg, (int)(uint32_t)t, p->n);
        atomic_fetch_add(&p->done, 1);
        t = atomic_load(&p->ticket);
    }
}

static void *worker_main(void *v)
{
    worker_arg *wa = v;
    glm_pool *p = wa->p;
    free(wa);
    uint32_t seen = 0;
    for (;;) {
        int spins = 0;
        uint32_t gen;
        while ((gen = (uint32_t)(atomic_load(&p->ticket) >> 32)) == seen && !atomic_load(&p->stop)) {
            if (++spins < SPIN_ROUNDS) {
                cpu_relax();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while ((uint32_t)(atomic_load(&p->ticket) >> 32) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) break;
        seen = gen;
        run_tasks(p, gen);
    }
    return NULL;
}

glm_pool *glm_pool_new(int n_threads)
{
    if (n_threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = c > 0 ? (int)c : 1;
    }
    if (n_threads > 256) n_threads = 256;
    glm_pool *p = tt_calloc(1, sizeof *p);
    p->n = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    atomic_init(&p->fn, NULL);
    atomic_init(&p->arg, NULL);
    atomic_init(&p->ticket, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, 0);
    p->threads = tt_calloc((size_t)n_threads, sizeof *p->threads);
    for (int i = 1; i < n_threads; i++) {
        worker_arg *wa = tt_malloc(sizeof *wa);
        wa->p = p;
        if (pthread_create(&p->threads[i], NULL, worker_main, wa) != 0) {
            free(wa);
            p->n = i;   /* run with the threads we got */
            break;
        }
    }
    return p;
}

void glm_pool_free(glm_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}

int glm_pool_threads(const glm_pool *p) { return p ? p->n : 1; }

void glm_pool_run(glm_pool *p, glm_job_fn fn, void *arg)
{
    if (!p || p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    atomic_store(&p->fn, fn);
    atomic_store(&p->arg, arg);
    atomic_store(&p->done, 0);
    uint32_t gen = (uint32_t)(atomic_load(&p->ticket) >> 32) + 1;
    if (gen == 0) gen = 1;   /* 0 is the workers' initial "seen" */
    atomic_store(&p->ticket, (uint64_t)gen << 32);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    run_tasks(p, gen);
    while (atomic_load(&p->done) < p->n) cpu_relax();   /* tasks claimed by workers are running */
}

/* ---- row kernels ------------------------------------------------------------ */

void glm_rmsnorm(float *out, const float *x, const float *w, int n, float eps)
{
    float ss = 0.0f;
    for (int i = 0; i < n; i++) ss += x[i] * x[i];
    float scale = 1.0f / sqrtf(ss / (float)n + eps);
    for (int i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

static void softmax_ref(float *x, int n)
{
    float max = x[0];
    for (int i = 1; i < n; i++) if (x[i] > max) max = x[i];
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    for (int i = 0; i < n; i++) x[i] /= sum;
}

void glm_swiglu(float *out, const float *gate, const float *up, int n)
{
    for (int i = 0; i < n; i++) {
        float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

void glm_rope(float *x, int n_heads, int head_dim, int n_rot, int pos, float freq_base)
{
    for (int i = 0; i < n_rot / 2; i++) {
        float theta = (float)pos * powf(freq_base, -2.0f * (float)i / (float)n_rot);
        float c = cosf(theta), s = sinf(theta);
        for (int h = 0; h < n_heads; h++) {
            float *v = x + (size_t)h * head_dim + 2 * i;
            float x0 = v[0], x1 = v[1];
            v[0] = x0 * c - x1 * s;
            v[1] = x0 * s + x1 * c;
        }
    }
}

/* ---- attention rows: reference ------------------------------------------------ */

/* Row p of the cache span: rows[p] when a row list is given, else p. */
#define CACHE_ROW(base, p) ((base) + (size_t)(rows ? rows[p] : (p)) * stride)

static void attn_scores_ref(float *att, const float *q, const float *k, size_t stride, const int *rows, int hd, int len,
                            float scale)
{
    for (int p = 0; p < len; p++) {
        const float *kp = CACHE_ROW(k, p);
        float s = 0.0f;
        for (int d = 0; d < hd; d++) s += kp[d] * q[d];
        att[p] = s * scale;
    }
}

static void attn_values_ref(float *o, const float *att, const float *v, size_t stride, const int *rows, int hd, int len)
{
    memset(o, 0, (size_t)hd * sizeof(float));
    for (int p = 0; p < len; p++) {
        const float *vp = CACHE_ROW(v, p);
        for (int d = 0; d < hd; d++) o[d] += att[p] * vp[d];
    }
}

static void attn_scores_f16_ref(float *att, const float *q, const uint16_t *k, size_t stride, const int *rows, int hd,
                                int len, float scale)
{
    for (int p = 0; p < len; p++) {
        const uint16_t *kp = CACHE_ROW(k, p);
        float s = 0.0f;
        for (int d = 0; d < hd; d++) s += glm_fp16_to_fp32(kp[d]) * q[d];
        att[p] = s * scale;
    }
}

static void attn_values_f16_ref(float *o, const float *att, const uint16_t *v, size_t stride, const int *rows, int hd,
                                int len)
{
    memset(o, 0, (size_t)hd * sizeof(float));
    for (int p = 0; p < len; p++) {
        const uint16_t *vp = CACHE_ROW(v, p);
        for (int d = 0; d < hd; d++) o[d] += att[p] * glm_fp16_to_fp32(vp[d]);
    }
}

/* ---- dot products: reference ------------------------------------------------ */

static float dot_f32_ref(int n, const void *w, const void *x)
{
    const float *a = w, *b = x;
    float s = 0.0f;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static float dot_f16_ref(int n, const void *w, const void *x)
{
    const uint16_t *a = w, *b = x;
    float s = 0.0f;
    for (int i = 0; i < n; i++) s += glm_fp16_to_fp32(a[i]) * glm_fp16_to_fp32(b[i]);
    return s;
}

static float dot_q8_0_ref(int n, const void *w, const void *x)
{
    const glm_block_q8_0 *a = w, *b = x;
    float s = 0.0f;
    for (int k = 0; k < n / GLM_QK; k++) {
        int sumi = 0;
        for (int j = 0; j < GLM_QK; j++) sumi += a[k].qs[j] * b[k].qs[j];
        s += (float)sumi * (glm_fp16_to_fp32(a[k].d) * glm_fp16_to_fp32(b[k].d));
    }
    return s;
}

static float dot_q4_0_ref(int n, const void *w, const void *x)
{
    const glm_block_q4_0 *a = w;
    const glm_block_q8_0 *b = x;
    float s = 0.0f;
    for (int k = 0; k < n / GLM_QK; k++) {
        int sumi = 0;
        for (int j = 0; j < GLM_QK / 2; j++) {
            sumi += ((a[k].qs[j] & 0x0f) - 8) * b[k].qs[j];
            sumi += ((a[k].qs[j] >> 4) - 8) * b[k].qs[j + GLM_QK / 2];
        }
        s += (float)sumi * (glm_fp16_to_fp32(a[k].d) * glm_fp16_to_fp32(b[k].d));
    }
    return s;
}

/* ---- dot products: AVX2 ------------------------------------------------------ */
#ifdef GLM_X86
#define SIMD __attribute__((target("avx2,fma,f16c")))
/* The weight stream is prefetched GLM_PREFETCH_AHEAD bytes ahead (ops_simd.h says why). */
#define PREFETCH(p) _mm_prefetch((const char *)(p) + GLM_PREFETCH_AHEAD, _MM_HINT_T0)

SIMD static float hsum8(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

SIMD static float dot_f32_avx2(int n, const void *w, const void *x)
{
    const float *a = w, *b = x;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        PREFETCH(a + i);
        PREFETCH(a + i + 16);
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

SIMD static float dot_f16_avx2(int n, const void *w, const void *x)
{
    const uint16_t *a = w, *b = x;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        if (!(i & 31)) PREFETCH(a + i);
        __m256 a0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256 b0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + i)));
        __m256 a1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i + 8)));
        __m256 b1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + i + 8)));
        s0 = _mm256_fmadd_ps(a0, b0, s0);
        s1 = _mm256_fmadd_ps(a1, b1, s1);
    }
    float s = hsum8(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += _cvtsh_ss(a[i]) * _cvtsh_ss(b[i]);
    return s;
}

/* Integer dot of 32 signed bytes, as 8 float lanes. */
SIMD static __m256 mul_sum_i8(__m256i x, __m256i y)
{
    __m256i ax = _mm256_sign_epi8(x, x);
    __m256i sy = _mm256_sign_epi8(y, x);
    __m256i dot16 = _mm256_maddubs_epi16(ax, sy);
    __m256i dot32 = _mm256_madd_epi16(dot16, _mm256_set1_epi16(1));
    return _mm256_cvtepi32_ps(dot32);
}

SIMD static float dot_q8_0_avx2(int n, const void *w, const void *x)
{
    const glm_block_q8_0 *a = w, *b = x;
    /* two accumulators: consecutive blocks do not wait on each other's fmadd */
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int nb = n / GLM_QK, k = 0;
    for (; k + 2 <= nb; k += 2) {
        PREFETCH(a + k);
        PREFETCH((const char *)(a + k) + 64);
        __m256 d0 = _mm256_set1_ps(_cvtsh_ss(a[k].d) * _cvtsh_ss(b[k].d));
        __m256 d1 = _mm256_set1_ps(_cvtsh_ss(a[k + 1].d) * _cvtsh_ss(b[k + 1].d));
        __m256 p0 = mul_sum_i8(_mm256_loadu_si256((const __m256i *)a[k].qs), _mm256_loadu_si256((const __m256i *)b[k].qs));
        __m256 p1 = mul_sum_i8(_mm256_loadu_si256((const __m256i *)a[k + 1].qs),
                               _mm256_loadu_si256((const __m256i *)b[k + 1].qs));
        acc0 = _mm256_fmadd_ps(d0, p0, acc0);
        acc1 = _mm256_fmadd_ps(d1, p1, acc1);
    }
    for (; k < nb; k++) {
        __m256 d = _mm256_set1_ps(_cvtsh_ss(a[k].d) * _cvtsh_ss(b[k].d));
        __m256i qa = _mm256_loadu_si256((const __m256i *)a[k].qs);
        __m256i qb = _mm256_loadu_si256((const __m256i *)b[k].qs);
        acc0 = _mm256_fmadd_ps(d, mul_sum_i8(qa, qb), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1));
}

SIMD static __m256i unpack_q4_0(const uint8_t *qs)
{
    const __m128i low = _mm_set1_epi8(0x0f);
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m128i lo = _mm_and_si128(raw, low), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), low);
    return _mm256_sub_epi8(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(8));
}

SIMD static float dot_q4_0_avx2(int n, const void *w, const void *x)
{
    const glm_block_q4_0 *a = w;
    const glm_block_q8_0 *b = x;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int nb = n / GLM_QK, k = 0;
    for (; k + 2 <= nb; k += 2) {
        PREFETCH(a + k);
        __m256 d0 = _mm256_set1_ps(_cvtsh_ss(a[k].d) * _cvtsh_ss(b[k].d));
        __m256 d1 = _mm256_set1_ps(_cvtsh_ss(a[k + 1].d) * _cvtsh_ss(b[k + 1].d));
        __m256 p0 = mul_sum_i8(unpack_q4_0(a[k].qs), _mm256_loadu_si256((const __m256i *)b[k].qs));
        __m256 p1 = mul_sum_i8(unpack_q4_0(a[k + 1].qs), _mm256_loadu_si256((const __m256i *)b[k + 1].qs));
        acc0 = _mm256_fmadd_ps(d0, p0, acc0);
        acc1 = _mm256_fmadd_ps(d1, p1, acc1);
    }
    for (; k < nb; k++) {
        __m256 d = _mm256_set1_ps(_cvtsh_ss(a[k].d) * _cvtsh_ss(b[k].d));
        acc0 = _mm256_fmadd_ps(d, mul_sum_i8(unpack_q4_0(a[k].qs), _mm256_loadu_si256((const __m256i *)b[k].qs)), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1));
}

/* Activations -> q8_0 blocks, bit for bit as glm_quantize_row_q8_0_ref:
 * amax, d = amax/127, id = 1/d, q = roundf(x*id) (half away from zero,
 * done exactly as trunc plus a step when the remainder is >= 0.5). */
SIMD static void quantize_row_q8_0_avx2(const float *x, void *out, int n)
{
    glm_block_q8_0 *y = out;
    const __m256 sign_mask = _mm256_set1_ps(-0.0f), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    for (int b = 0; b < n / GLM_QK; b++) {
        const float *xb = x + b * GLM_QK;
        __m256 v[4];
        __m256 m = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(xb + 8 * k);
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign_mask, v[k]));
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float amax = _mm_cvtss_f32(m4);
        float d = amax / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = glm_fp32_to_fp16(d);
        __m256 vid = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; k++) {
            __m256 s = _mm256_mul_ps(v[k], vid);
            __m256 t = _mm256_round_ps(s, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            __m256 rem = _mm256_andnot_ps(sign_mask, _mm256_sub_ps(s, t));
            __m256 step = _mm256_or_ps(_mm256_and_ps(s, sign_mask), one);   /* +-1 with the sign of s */
            t = _mm256_add_ps(t, _mm256_and_ps(_mm256_cmp_ps(rem, half, _CMP_GE_OQ), step));
            q[k] = _mm256_cvttps_epi32(t);
        }
        /* 32 int32 -> 32 int8 in order */
        __m256i p01 = _mm256_packs_epi32(q[0], q[1]), p23 = _mm256_packs_epi32(q[2], q[3]);
        __m256i p = _mm256_packs_epi16(p01, p23);
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)y[b].qs, p);
    }
}

SIMD static void fp32_to_fp16_row_f16c(const float *x, void *out, int n)
{
    uint16_t *y = out;
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = glm_fp32_to_fp16(x[i]);
}

/* One weight row against four activation rows: the weight block is loaded
 * and unpacked once for all four (prompt processing). */
SIMD static void dot4_q8_0_avx2(int n, const void *w, const void *const *x, float *out)
{
    const glm_block_q8_0 *a = w;
    const glm_block_q8_0 *b0 = x[0], *b1 = x[1], *b2 = x[2], *b3 = x[3];
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1);
    for (int k = 0; k < n / GLM_QK; k++) {
        float da = _cvtsh_ss(a[k].d);
        __m256i qa = _mm256_loadu_si256((const __m256i *)a[k].qs);
        __m256i ax = _mm256_sign_epi8(qa, qa);
#define STEP(B, ACC)                                                                                    \
        {                                                                                               \
            __m256i sy = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)B[k].qs), qa);            \
            __m256 p = _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), ones));       \
            ACC = _mm256_fmadd_ps(_mm256_set1_ps(da * _cvtsh_ss(B[k].d)), p, ACC);                      \
        }
        STEP(b0, acc0) STEP(b1, acc1) STEP(b2, acc2) STEP(b3, acc3)
    }
    out[0] = hsum8(acc0); out[1] = hsum8(acc1); out[2] = hsum8(acc2); out[3] = hsum8(acc3);
}

SIMD static void dot4_q4_0_avx2(int n, const void *w, const void *const *x, float *out)
{
    const glm_block_q4_0 *a = w;
    const glm_block_q8_0 *b0 = x[0], *b1 = x[1], *b2 = x[2], *b3 = x[3];
    const __m128i low = _mm_set1_epi8(0x0f);
    const __m256i eight = _mm256_set1_epi8(8);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    for (int k = 0; k < n / GLM_QK; k++) {
        float da = _cvtsh_ss(a[k].d);
        __m128i raw = _mm_loadu_si128((const __m128i *)a[k].qs);
        __m128i lo = _mm_and_si128(raw, low), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), low);
        __m256i qa = _mm256_sub_epi8(_mm256_set_m128i(hi, lo), eight);
        __m256i ax = _mm256_sign_epi8(qa, qa);
        STEP(b0, acc0) STEP(b1, acc1) STEP(b2, acc2) STEP(b3, acc3)
#undef STEP
    }
    out[0] = hsum8(acc0); out[1] = hsum8(acc1); out[2] = hsum8(acc2); out[3] = hsum8(acc3);
}

SIMD static void dot4_f32_avx2(int n, const void *w, const void *const *x, float *out)
{
    const float *a = w, *b0 = x[0], *b1 = x[1], *b2 = x[2], *b3 = x[3];
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 va = _mm256_loadu_ps(a + i);
        s0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(b0 + i), s0);
        s1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(b1 + i), s1);
        s2 = _mm256_fmadd_ps(va, _mm256_loadu_ps(b2 + i), s2);
        s3 = _mm256_fmadd_ps(va, _mm256_loadu_ps(b3 + i), s3);
    }
    out[0] = hsum8(s0); out[1] = hsum8(s1); out[2] = hsum8(s2); out[3] = hsum8(s3);
    for (; i < n; i++) {
        out[0] += a[i] * b0[i]; out[1] += a[i] * b1[i]; out[2] += a[i] * b2[i]; out[3] += a[i] * b3[i];
    }
}

SIMD static void dot4_f16_avx2(int n, const void *w, const void *const *x, float *out)
{
    const uint16_t *a = w, *b0 = x[0], *b1 = x[1], *b2 = x[2], *b3 = x[3];
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int i = 0;
#define LD(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((p) + i)))
    for (; i + 8 <= n; i += 8) {
        __m256 va = LD(a);
        s0 = _mm256_fmadd_ps(va, LD(b0), s0);
        s1 = _mm256_fmadd_ps(va, LD(b1), s1);
        s2 = _mm256_fmadd_ps(va, LD(b2), s2);
        s3 = _mm256_fmadd_ps(va, LD(b3), s3);
    }
#undef LD
    out[0] = hsum8(s0); out[1] = hsum8(s1); out[2] = hsum8(s2); out[3] = hsum8(s3);
    for (; i < n; i++) {
        float av = _cvtsh_ss(a[i]);
        out[0] += av * _cvtsh_ss(b0[i]); out[1] += av * _cvtsh_ss(b1[i]);
        out[2] += av * _cvtsh_ss(b2[i]); out[3] += av * _cvtsh_ss(b3[i]);
    }
}
/* Attention over the cache, 8 lanes at a time (hd a multiple of 8).
 * Scores: eight keys per step, each with its own accumulator (eight
 * independent FMA chains keep both FMA ports busy), reduced together by one
 * tree of horizontal adds instead of a horizontal sum per key. Values: the
 * weighted sum with the output kept in registers, 64 elements (one head of
 * 64) per pass over the positions. */
SIMD static __m256 sum8x8(__m256 a0, __m256 a1, __m256 a2, __m256 a3, __m256 a4, __m256 a5, __m256 a6, __m256 a7)
{
    __m256 t0 = _mm256_hadd_ps(a0, a1), t1 = _mm256_hadd_ps(a2, a3);
    __m256 t2 = _mm256_hadd_ps(a4, a5), t3 = _mm256_hadd_ps(a6, a7);
    __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);   /* [0..3 low | 0..3 high], [4..7 ...] */
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

#define ATTN_SCORES_BODY(LOADK)                                                                    \
    __m256 vs = _mm256_set1_ps(scale);                                                             \
    int p = 0;                                                                                     \
    for (; p + 8 <= len; p += 8) {                                                                 \
        const KT *k0 = CACHE_ROW(k, p), *k1 = CACHE_ROW(k, p + 1), *k2 = CACHE_ROW(k, p + 2);       \
        const KT *k3 = CACHE_ROW(k, p + 3), *k4 = CACHE_ROW(k, p + 4), *k5 = CACHE_ROW(k, p + 5);   \
        const KT *k6 = CACHE_ROW(k, p + 6), *k7 = CACHE_ROW(k, p + 7);                             \
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0; \
        for (int d = 0; d < hd; d += 8) {                                                          \
            __m256 qv = _mm256_loadu_ps(q + d);                                                    \
            a0 = _mm256_fmadd_ps(LOADK(k0 + d), qv, a0);                                           \
            a1 = _mm256_fmadd_ps(LOADK(k1 + d), qv, a1);                                           \
            a2 = _mm256_fmadd_ps(LOADK(k2 + d), qv, a2);                                           \
            a3 = _mm256_fmadd_ps(LOADK(k3 + d), qv, a3);                                           \
            a4 = _mm256_fmadd_ps(LOADK(k4 + d), qv, a4);                                           \
            a5 = _mm256_fmadd_ps(LOADK(k5 + d), qv, a5);                                           \
            a6 = _mm256_fmadd_ps(LOADK(k6 + d), qv, a6);                                           \
            a7 = _mm256_fmadd_ps(LOADK(k7 + d), qv, a7);                                           \
        }                                                                                          \
        _mm256_storeu_ps(att + p, _mm256_mul_ps(sum8x8(a0, a1, a2, a3, a4, a5, a6, a7), vs));      \
    }                                                                                              \
    for (; p < len; p++) {                                                                         \
        const KT *kp = CACHE_ROW(k, p);                                                            \
        __m256 a0 = _mm256_setzero_ps();                                                           \
        for (int d = 0; d < hd; d += 8) a0 = _mm256_fmadd_ps(LOADK(kp + d), _mm256_loadu_ps(q + d), a0); \
        att[p] = hsum8(a0) * scale;                                                                \
    }

#define ATTN_VALUES_BODY(LOADV)                                                                    \
    int d = 0;                                                                                     \
    for (; d + 64 <= hd; d += 64) {                                                                \
        __m256 o0 = _mm256_setzero_ps(), o1 = o0, o2 = o0, o3 = o0, o4 = o0, o5 = o0, o6 = o0, o7 = o0; \
        for (int p = 0; p < len; p++) {                                                            \
            const VT *vp = CACHE_ROW(v, p) + d;                                                    \
            __m256 a = _mm256_set1_ps(att[p]);                                                     \
            o0 = _mm256_fmadd_ps(a, LOADV(vp), o0);                                                \
            o1 = _mm256_fmadd_ps(a, LOADV(vp + 8), o1);                                            \
            o2 = _mm256_fmadd_ps(a, LOADV(vp + 16), o2);                                           \
            o3 = _mm256_fmadd_ps(a, LOADV(vp + 24), o3);                                           \
            o4 = _mm256_fmadd_ps(a, LOADV(vp + 32), o4);                                           \
            o5 = _mm256_fmadd_ps(a, LOADV(vp + 40), o5);                                           \
            o6 = _mm256_fmadd_ps(a, LOADV(vp + 48), o6);                                           \
            o7 = _mm256_fmadd_ps(a, LOADV(vp + 56), o7);                                           \
        }                                                                                          \
        _mm256_storeu_ps(o + d, o0);                                                               \
        _mm256_storeu_ps(o + d + 8, o1);                                                           \
        _mm256_storeu_ps(o + d + 16, o2);                                                          \
        _mm256_storeu_ps(o + d + 24, o3);                                                          \
        _mm256_storeu_ps(o + d + 32, o4);                                                          \
        _mm256_storeu_ps(o + d + 40, o5);                                                          \
        _mm256_storeu_ps(o + d + 48, o6);                                                          \
        _mm256_storeu_ps(o + d + 56, o7);                                                          \
    }                                                                                              \
    for (; d < hd; d += 8) {                                                                       \
        __m256 o0 = _mm256_setzero_ps();                                                           \
        for (int p = 0; p < len; p++)                                                              \
            o0 = _mm256_fmadd_ps(_mm256_set1_ps(att[p]), LOADV(CACHE_ROW(v, p) + d), o0);          \
        _mm256_storeu_ps(o + d, o0);                                                               \
    }

#define LDF(p) _mm256_loadu_ps(p)
#define LDH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define KT float
#define VT float
SIMD static void attn_scores_avx2(float *att, const float *q, const float *k, size_t stride, const int *rows, int hd,
                                  int len, float scale)
{
    ATTN_SCORES_BODY(LDF)
}

SIMD static void attn_values_avx2(float *o, const float *att, const float *v, size_t stride, const int *rows, int hd,
                                  int len)
{
    ATTN_VALUES_BODY(LDF)
}
#undef KT
#undef VT
#define KT uint16_t
#define VT uint16_t
SIMD static void attn_scores_f16_avx2(float *att, const float *q, const uint16_t *k, size_t stride, const int *rows,
                                      int hd, int len, float scale)
{
    ATTN_SCORES_BODY(LDH)
}

SIMD static void attn_values_f16_avx2(float *o, const float *att, const uint16_t *v, size_t stride, const int *rows,
                                      int hd, int len)
{
    ATTN_VALUES_BODY(LDH)
}
#undef KT
#undef VT
#undef LDF
#undef ATTN_SCORES_BODY
#undef ATTN_VALUES_BODY

/* e^x for x <= 0 (softmax's x - max), 8 lanes: x = n ln2 + r with |r| <=
 * ln2/2 (ln2 split in two for an exact product, Cody and Waite), e^r by its
 * Taylor series to r^6 (relative error below 1.3e-7, about an ulp), times
 * 2^n put into the exponent bits. Below -87.3 the result is 0 (e^x would be
 * a subnormal there; the reference's expf gives one, a difference below
 * 1.2e-38 next to the maximum's 1). */
SIMD static __m256 exp_nonpositive_avx2(__m256 x)
{
    const __m256 lo = _mm256_set1_ps(-87.33654f);
    __m256 keep = _mm256_cmp_ps(x, lo, _CMP_GE_OQ);
    x = _mm256_max_ps(x, lo);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), keep);
}

SIMD static void softmax_avx2(float *x, int n)
{
    int i = 0;
    __m256 vmax = _mm256_set1_ps(x[0]);
    for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    float max = _mm_cvtss_f32(m4);
    for (; i < n; i++) if (x[i] > max) max = x[i];
    __m256 vm = _mm256_set1_ps(max), vsum = _mm256_setzero_ps();
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 e = exp_nonpositive_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
        _mm256_storeu_ps(x + i, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = hsum8(vsum);
    if (i < n) {   /* the tail through the same exp, one masked vector */
        float tail[8];
        for (int t = 0; t < 8; t++) tail[t] = i + t < n ? x[i + t] - max : -INFINITY;
        __m256 e = exp_nonpositive_avx2(_mm256_loadu_ps(tail));
        _mm256_storeu_ps(tail, e);
        for (int t = 0; i + t < n; t++) {
            x[i + t] = tail[t];
            sum += tail[t];
        }
    }
    __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    for (; i < n; i++) x[i] *= 1.0f / sum;
}
#undef LDH
#endif

/* ---- the per-type table -------------------------------------------------------- */

typedef float (*dot_fn)(int n, const void *w, const void *x);
typedef void (*dot4_fn)(int n, const void *w, const void *const *x, float *out);
typedef void (*rows4_fn)(int n, const void *const *w, const void *x, float *out);

typedef struct dot_traits {
    uint32_t vec_dot_type;
    dot_fn ref, fast;
    dot4_fn fast4;     /* NULL: four calls of fast */
    rows4_fn rows4;    /* four rows, one token, each row bit for bit fast; NULL: fast row by row */
    int gemm;          /* grouped tokens through the panel GEMM (f32, f16 at AVX-512) */
} dot_traits;

#ifdef GLM_X86
/* CPUID: AVX and its OS support (XGETBV), FMA, F16C, AVX2. */
static int cpu_has_avx2_fma_f16c(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!(fma && osxsave && avx && f16c)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    if ((lo & 6) != 6) return 0;   /* XMM and YMM state enabled */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;
}
#endif

/* The kernel sets, best last. TIANTI_GLM_ISA (or glm_ops_select_isa) picks
 * a lower one than the CPU has: to compare them, and to test each on a
 * machine that has the best. */
enum { ISA_NONE, ISA_AVX2, ISA_AVX512, ISA_AMX };
static const char *const isa_names[] = {"none", "avx2", "avx512-vnni", "avx512-amx"};

static dot_traits dot_table[GLM_TYPE_Q8_0 + 1];
static pthread_once_t dot_once = PTHREAD_ONCE_INIT;
static int force_ref, isa_best, isa_used;
static void (*quantize_act_fast)(const float *x, void *y, int n);
static void (*f16_act_fast)(const float *x, void *y, int n);
static void (*attn_scores_fast)(float *att, const float *q, const float *k, size_t stride, const int *rows, int hd, int len,
                                float scale);
static void (*attn_values_fast)(float *o, const float *att, const float *v, size_t stride, const int *rows, int hd,
                                int len);
static void (*attn_scores_f16_fast)(float *att, const float *q, const uint16_t *k, size_t stride, const int *rows, int hd,
                                    int len, float scale);
static void (*attn_values_f16_fast)(float *o, const float *att, const uint16_t *v, size_t stride, const int *rows, int hd,
                                    int len);
static void (*softmax_fast)(float *x, int n);

static void dot_fill(int isa)
{
    dot_table[GLM_TYPE_F32] = (dot_traits){GLM_TYPE_F32, dot_f32_ref, dot_f32_ref, NULL, NULL, 0};
    dot_table[GLM_TYPE_F16] = (dot_traits){GLM_TYPE_F16, dot_f16_ref, dot_f16_ref, NULL, NULL, 0};
    dot_table[GLM_TYPE_Q8_0] = (dot_traits){GLM_TYPE_Q8_0, dot_q8_0_ref, dot_q8_0_ref, NULL, NULL, 0};
    dot_table[GLM_TYPE_Q4_0] = (dot_traits){GLM_TYPE_Q8_0, dot_q4_0_ref, dot_q4_0_ref, NULL, NULL, 0};
    quantize_act_fast = NULL;
    f16_act_fast = NULL;
    attn_scores_fast = NULL;
    attn_values_fast = NULL;
    attn_scores_f16_fast = NULL;
    attn_values_f16_fast = NULL;
    softmax_fast = NULL;
#ifdef GLM_X86
    if (isa >= ISA_AVX2) {
        dot_table[GLM_TYPE_F32].fast = dot_f32_avx2;
        dot_table[GLM_TYPE_F16].fast = dot_f16_avx2;
        dot_table[GLM_TYPE_Q8_0].fast = dot_q8_0_avx2;
        dot_table[GLM_TYPE_Q4_0].fast = dot_q4_0_avx2;
        quantize_act_fast = quantize_row_q8_0_avx2;
        f16_act_fast = fp32_to_fp16_row_f16c;
        attn_scores_fast = attn_scores_avx2;
        attn_values_fast = attn_values_avx2;
        attn_scores_f16_fast = attn_scores_f16_avx2;
        attn_values_f16_fast = attn_values_f16_avx2;
        softmax_fast = softmax_avx2;
        dot_table[GLM_TYPE_F32].fast4 = dot4_f32_avx2;
        dot_table[GLM_TYPE_F16].fast4 = dot4_f16_avx2;
        dot_table[GLM_TYPE_Q8_0].fast4 = dot4_q8_0_avx2;
        dot_table[GLM_TYPE_Q4_0].fast4 = dot4_q4_0_avx2;
    }
    if (isa >= ISA_AVX512) {
        dot_table[GLM_TYPE_F32].fast = glm_dot_f32_avx512;
        dot_table[GLM_TYPE_F16].fast = glm_dot_f16_avx512;
        dot_table[GLM_TYPE_Q8_0].fast = glm_dot_q8_0_avx512;
        dot_table[GLM_TYPE_Q4_0].fast = glm_dot_q4_0_avx512;
        dot_table[GLM_TYPE_Q8_0].fast4 = glm_dot4_q8_0_avx512;
        dot_table[GLM_TYPE_Q4_0].fast4 = glm_dot4_q4_0_avx512;
        dot_table[GLM_TYPE_F32].rows4 = glm_dot_rows4_f32_avx512;
        dot_table[GLM_TYPE_F32].gemm = 1;
        dot_table[GLM_TYPE_F16].rows4 = glm_dot_rows4_f16_avx512;
        dot_table[GLM_TYPE_F16].gemm = 1;
    }
#else
    (void)isa;
#endif
    isa_used = isa;
}

static int isa_from_name(const char *name)
{
    for (int i = 0; i < (int)(sizeof isa_names / sizeof *isa_names); i++)
        if (strcmp(name, isa_names[i]) == 0) return i;
    if (strcmp(name, "avx512") == 0) return ISA_AVX512;
    if (strcmp(name, "ref") == 0) return ISA_NONE;
    return -1;
}

static void dot_init(void)
{
#ifdef GLM_X86
    isa_best = glm_cpu_has_amx_int8()     ? ISA_AMX
               : glm_cpu_has_avx512vnni() ? ISA_AVX512
               : cpu_has_avx2_fma_f16c()  ? ISA_AVX2
                                          : ISA_NONE;
#endif
    int isa = isa_best;
    const char *env = getenv("TIANTI_GLM_ISA");
    if (env && *env) {
        int want = isa_from_name(env);
        if (want >= 0 && want < isa) isa = want;   /* never above what the CPU has; unknown names: the best */
    }
    dot_fill(isa);
}

static const dot_traits *dot_get(uint32_t wtype)
{
    pthread_once(&dot_once, dot_init);
    return &dot_table[wtype <= GLM_TYPE_Q8_0 ? wtype : 0];
}

void glm_ops_force_ref(int on) { force_ref = on; }
int glm_ops_have_simd(void) { pthread_once(&dot_once, dot_init); return isa_used > ISA_NONE; }
const char *glm_ops_isa(void) { pthread_once(&dot_once, dot_init); return isa_names[isa_used]; }

int glm_ops_select_isa(const char *name)
{
    pthread_once(&dot_once, dot_init);
    int want = isa_from_name(name);
    if (want < 0 || want > isa_best) return -1;
    dot_fill(want);
    return 0;
}

uint32_t glm_vec_dot_type(uint32_t wtype) { return dot_get(wtype)->vec_dot_type; }

void glm_convert_activations(uint32_t wtype, const float *x, void *out, int n)
{
    switch (glm_vec_dot_type(wtype)) {
    case GLM_TYPE_F16:
        if (f16_act_fast && !force_ref) f16_act_fast(x, out, n);
        else glm_fp32_to_fp16_row(x, out, n);
        break;
    case GLM_TYPE_Q8_0:
        if (quantize_act_fast && !force_ref) quantize_act_fast(x, out, n);
        else glm_quantize_row_q8_0_ref(x, out, n);
        break;
    default: memcpy(out, x, (size_t)n * sizeof(float)); break;
    }
}

float glm_vec_dot(uint32_t wtype, int n, const void *w, const void *x)
{
    const dot_traits *t = dot_get(wtype);
    return force_ref ? t->ref(n, w, x) : t->fast(n, w, x);
}

float glm_vec_dot_ref(uint32_t wtype, int n, const void *w, const void *x)
{
    return dot_get(wtype)->ref(n, w, x);
}

void glm_softmax(float *x, int n)
{
    pthread_once(&dot_once, dot_init);
    if (softmax_fast && !force_ref) softmax_fast(x, n);
    else softmax_ref(x, n);
}

void glm_attn_scores(float *att, const float *q, const float *k, size_t stride, const int *rows, int hd, int len,
                     float scale)
{
    pthread_once(&dot_once, dot_init);
    if (attn_scores_fast && !force_ref && hd % 8 == 0) attn_scores_fast(att, q, k, stride, rows, hd, len, scale);
    else attn_scores_ref(att, q, k, stride, rows, hd, len, scale);
}

void glm_attn_values(float *o, const float *att, const float *v, size_t stride, const int *rows, int hd, int len)
{
    pthread_once(&dot_once, dot_init);
    if (attn_values_fast && !force_ref && hd % 8 == 0) attn_values_fast(o, att, v, stride, rows, hd, len);
    else attn_values_ref(o, att, v, stride, rows, hd, len);
}

void glm_attn_scores_f16(float *att, const float *q, const uint16_t *k, size_t stride, const int *rows, int hd, int len,
                         float scale)
{
    pthread_once(&dot_once, dot_init);
    if (attn_scores_f16_fast && !force_ref && hd % 8 == 0) attn_scores_f16_fast(att, q, k, stride, rows, hd, len, scale);
    else attn_scores_f16_ref(att, q, k, stride, rows, hd, len, scale);
}

void glm_attn_values_f16(float *o, const float *att, const uint16_t *v, size_t stride, const int *rows, int hd, int len)
{
    pthread_once(&dot_once, dot_init);
    if (attn_values_f16_fast && !force_ref && hd % 8 == 0) attn_values_f16_fast(o, att, v, stride, rows, hd, len);
    else attn_values_f16_ref(o, att, v, stride, rows, hd, len);
}

/* ---- matmul ---------------------------------------------------------------- */

#define ROW_TILE 16   /* a multiple of four: groups of four rows start at multiples of four */
/* Four rows a call (rows4) serve one token only for rows this long: they
 * keep four weight streams in flight, which lifts generation at ChatGLM3-6B's
 * sizes (f32: 2.6 to 3.3 tokens/s at one thread, rows of 16 KiB and more),
 * but cost a quarter at f16 on the 90 M bench shape (rows of 2 KiB), where
 * one sequential stream over consecutive rows prefetches better. */
#define ROWS4_MIN_BYTES 4096
#define TOK_TILE 96   /* a multiple of GEMM_TOK_GROUP and of GLM_MATMUL_GROUP */
_Static_assert(TOK_TILE % GLM_MATMUL_GROUP == 0 && GLM_MATMUL_GROUP == 4,
               "groups of four tokens (dot4) start at multiples of GLM_MATMUL_GROUP from the batch start");

/* ---- the panel GEMM (f32 and f16 weights, grouped tokens) ---------------------- *
 * A prompt's product reads each weight row once per TOK_TILE tokens; the
 * cost is in feeding the FMAs, not in memory. Four rows against four
 * tokens over whole rows (the kernel before this one) streamed both from
 * L2 at a byte per flop, and for the FFN's down projection (13696 inputs)
 * the tokens no longer fitted in L2. Here both are copied into panels as
 * f32 (ops_simd.h; f16 to f32 is exact): the tokens' panel once a product,
 * by convert_job beside the converted rows, and each thread's weight rows
 * a slice of GEMM_KC inputs at a time, so that a slice of GEMM_ROWS rows
 * stays in L1 while every token of the tile passes over it, six at a time
 * through the 4 x 6 register tile. Each (row, token) keeps its sixteen
 * lane sums in acc between slices: its arithmetic does not depend on the
 * slices, the tile or the other tokens, so a token's numbers stay those of
 * any batch it comes in (and are those of the 4 x 4 tile this replaced).
 * Inputs after the last multiple of sixteen are added in scalar after the
 * lane sum. One core, 512 tokens: 4096 x 4096 f32 76 -> 120 G flop/s, f16
 * 103 -> 135; 13696 inputs x 4096 f32 53 -> 100, f16 98 -> 115. */

#define GEMM_ROWS 32
#define GEMM_KC 256
#define GEMM_ROW_GROUP 4
#define GEMM_TOK_GROUP 6
_Static_assert(TOK_TILE % GEMM_TOK_GROUP == 0 && GEMM_ROWS % GEMM_ROW_GROUP == 0 && GEMM_KC % 16 == 0,
               "panels hold whole groups");

/* Floats of the tokens' panel: every whole sixteen inputs of the groups of
 * six that cover n_tok tokens. */
static size_t tokens_panel_floats(int n_in, int n_tok)
{
    size_t groups = ((size_t)n_tok + GEMM_TOK_GROUP - 1) / GEMM_TOK_GROUP;
    return groups * GEMM_TOK_GROUP * (size_t)(n_in / 16 * 16);
}

size_t glm_matmul_scratch(uint32_t wtype, int n_in, int n_tok)
{
    size_t rows = glm_row_size(glm_vec_dot_type(wtype), n_in) * (size_t)n_tok;
    /* packed weights also take each activation block's scale and sum, after
     * the rows at the next multiple of 64 bytes (rows of 34-byte blocks
     * leave the end unaligned) */
    size_t extra = glm_vec_dot_type(wtype) == GLM_TYPE_Q8_0 ? 64 + (size_t)n_tok * (size_t)(n_in / GLM_QK) * 8 : 0;
    /* f32/f16 weights: the tokens' panel for the GEMM, from the next 64 bytes */
    if (wtype == GLM_TYPE_F32 || wtype == GLM_TYPE_F16) extra = 64 + tokens_panel_floats(n_in, n_tok) * sizeof(float);
    return rows + extra;
}

typedef struct matmul_job {
    float *y;
    const float *x;
    int n_tok, n_in, n_out;
    const uint8_t *w;
    uint32_t wtype;
    size_t w_row, x_row;
    uint8_t *xq;
    dot_fn dot;
    dot4_fn dot4;
    rows4_fn dot_rows4;
    int gemm;
    float *panel;    /* the tokens' panel (gemm) */
    int row_begin;   /* rows before this are done elsewhere (packed groups) */
    int n_grouped;   /* tokens before this go through the kernels for groups of four */
} matmul_job;

static void convert_token(const matmul_job *j, int t)
{
    glm_convert_activations(j->wtype, j->x + (size_t)t * j->n_in, j->xq + (size_t)t * j->x_row, j->n_in);
}

/* Each group of six of the GEMM's tokens is converted and written to the
 * panel by one thread, the panel from the converted rows (an f16 token
 * enters it as its f16 values); the other tokens are converted alone. */
static void convert_job(void *v, int ith, int nth)
{
    matmul_job *j = v;
    int grouped = j->gemm ? j->n_grouped : 0, groups = (grouped + GEMM_TOK_GROUP - 1) / GEMM_TOK_GROUP;
    int n16 = j->n_in / 16;
    for (int g = ith; g < groups; g += nth) {
        const void *xs[GEMM_TOK_GROUP];
        int t0 = g * GEMM_TOK_GROUP, n = grouped - t0 < GEMM_TOK_GROUP ? grouped - t0 : GEMM_TOK_GROUP;
        for (int i = 0; i < n; i++) {
            convert_token(j, t0 + i);
            xs[i] = j->xq + (size_t)(t0 + i) * j->x_row;
        }
        glm_gemm_pack_avx512(j->panel + (size_t)g * n16 * GEMM_TOK_GROUP * 16, xs, n, GEMM_TOK_GROUP, 0, n16,
                             j->wtype == GLM_TYPE_F16);
    }
    for (int t = grouped + ith; t < j->n_tok; t += nth) convert_token(j, t);
}

static float weight_at(const matmul_job *j, const uint8_t *row, int e)
{
    return j->wtype == GLM_TYPE_F16 ? glm_fp16_to_fp32(((const uint16_t *)row)[e]) : ((const float *)row)[e];
}

/* Rows rt .. re (a multiple of four apart, at most GEMM_ROWS) against tokens
 * t0 .. t1 (at most TOK_TILE). */
static void gemm_rows(const matmul_job *j, int rt, int re, int t0, int t1)
{
    _Alignas(64) float wpanel[GEMM_ROWS * GEMM_KC];
    _Alignas(64) float acc[GEMM_ROWS * TOK_TILE * 16];
    const void *ws[GEMM_ROWS], *xs[TOK_TILE];
    int n_rows = re - rt, n_toks = t1 - t0, f16 = j->wtype == GLM_TYPE_F16, elem = f16 ? 2 : 4;
    int row_groups = n_rows / GEMM_ROW_GROUP, tok_groups = (n_toks + GEMM_TOK_GROUP - 1) / GEMM_TOK_GROUP;
    int tile = GEMM_ROW_GROUP * GEMM_TOK_GROUP * 16;   /* floats of one tile's sums */
    for (int r = 0; r < n_rows; r++) ws[r] = j->w + (size_t)(rt + r) * j->w_row;
    for (int t = 0; t < n_toks; t++) xs[t] = j->xq + (size_t)(t0 + t) * j->x_row;
    int n_vec = j->n_in / 16 * 16;
    size_t group_floats = (size_t)n_vec * GEMM_TOK_GROUP;   /* one group's panel */
    const float *xpanel = j->panel + (size_t)(t0 / GEMM_TOK_GROUP) * group_floats;
    if (n_vec == 0) memset(acc, 0, sizeof acc);
    for (int k0 = 0; k0 < n_vec; k0 += GEMM_KC) {
        int n16 = (n_vec - k0 < GEMM_KC ? n_vec - k0 : GEMM_KC) / 16;
        glm_gemm_pack_avx512(wpanel, ws, n_rows, GEMM_ROW_GROUP, k0, n16, f16);
        /* The rows' next slice comes from memory, a short stream per row
         * that the hardware prefetchers do not pick up in time: ask for it
         * while this slice is worked, a share after each group of tokens
         * (asked all at once, the requests would queue behind each other).
         * One core, 512 tokens, 13696 inputs x 4096: f32 107 -> 112 G flop/s,
         * f16 123 -> 129; at 4096 inputs no change. */
        int k1 = k0 + GEMM_KC, next_bytes = (n_vec - k1 < GEMM_KC ? n_vec - k1 : GEMM_KC) * elem;
        int per_row = (next_bytes + 63) / 64, lines = k1 < n_vec ? n_rows * per_row : 0, asked = 0;
        for (int g = 0; g < tok_groups; g++) {
            for (int want = lines * (g + 1) / tok_groups; asked < want; asked++) {
                __builtin_prefetch((const uint8_t *)ws[asked / per_row] + (size_t)k1 * elem + 64 * (asked % per_row), 0, 2);
            }
            for (int rg = 0; rg < row_groups; rg++)
                glm_gemm4x6_avx512(n16, wpanel + (size_t)rg * n16 * GEMM_ROW_GROUP * 16,
                                   xpanel + g * group_floats + (size_t)k0 * GEMM_TOK_GROUP,
                                   acc + (size_t)(g * row_groups + rg) * tile, k0 == 0);
        }
    }
    for (int g = 0; g < tok_groups; g++)
        for (int rg = 0; rg < row_groups; rg++) {
            float out[GEMM_ROW_GROUP * GEMM_TOK_GROUP];
            glm_gemm_reduce_avx512(acc + (size_t)(g * row_groups + rg) * tile, GEMM_ROW_GROUP * GEMM_TOK_GROUP, out);
            for (int ri = 0; ri < GEMM_ROW_GROUP; ri++)
                for (int ti = 0; ti < GEMM_TOK_GROUP; ti++) {
                    int r = rg * GEMM_ROW_GROUP + ri, t = g * GEMM_TOK_GROUP + ti;
                    if (t >= n_toks) break;
                    float s = out[ri * GEMM_TOK_GROUP + ti];
                    for (int e = n_vec; e < j->n_in; e++) s += weight_at(j, ws[r], e) * weight_at(j, xs[t], e);
                    j->y[(size_t)(t0 + t) * j->n_out + rt + r] = s;
                }
        }
}

static void matmul_rows_job(void *v, int ith, int nth)
{
    matmul_job *j = v;
    /* Shares start at multiples of four rows, so that which kernel computes a
     * row (the panel GEMM for rows in a full group of four, else the
     * one-row kernels) depends on the row alone, not on the thread count or
     * on whether this product was too small to share: a token's numbers
     * stay the same whatever batch it comes in (prefix reuse). */
    int rows = j->n_out - j->row_begin;
    int per = ((rows + nth - 1) / nth + 3) / 4 * 4;
    int r0 = j->row_begin + (ith * per < rows ? ith * per : rows);
    int r1 = r0 + per < j->n_out ? r0 + per : j->n_out;
    int full = j->n_out / 4 * 4;   /* rows below this are in full groups of four */
    for (int t0 = 0; t0 < j->n_tok; t0 += TOK_TILE) {
        int t1 = t0 + TOK_TILE < j->n_tok ? t0 + TOK_TILE : j->n_tok;
        int tg = j->n_grouped < t0 ? t0 : j->n_grouped < t1 ? j->n_grouped : t1;   /* t0..tg in groups */
        int rest = r0;   /* rows from here take the one-row kernels */
        if (j->gemm && tg > t0) {
            int re = r1 < full ? r1 : full;
            for (int rt = r0; rt < re; rt += GEMM_ROWS) {
                int rte = rt + GEMM_ROWS < re ? rt + GEMM_ROWS : re;
                gemm_rows(j, rt, rte, t0, tg);
                for (int r = rt; r < rte; r++)
                    for (int t = tg; t < t1; t++)
                        j->y[(size_t)t * j->n_out + r] =
                            j->dot(j->n_in, j->w + (size_t)r * j->w_row, j->xq + (size_t)t * j->x_row);
            }
            if (re > rest) rest = re;
        }
        for (int rt = rest; rt < r1; rt += ROW_TILE) {
            int rte = rt + ROW_TILE < r1 ? rt + ROW_TILE : r1;
            int r = rt;
            if (j->dot_rows4 && tg == t0)   /* no grouped tokens here: four rows at a time */
                for (; r + 4 <= rte; r += 4) {
                    const void *ws[4];
                    float out[4];
                    for (int i = 0; i < 4; i++) ws[i] = j->w + (size_t)(r + i) * j->w_row;
                    for (int t = t0; t < t1; t++) {
                        j->dot_rows4(j->n_in, ws, j->xq + (size_t)t * j->x_row, out);
                        for (int i = 0; i < 4; i++) j->y[(size_t)t * j->n_out + r + i] = out[i];
                    }
                }
            for (; r < rte; r++) {
                const uint8_t *wr = j->w + (size_t)r * j->w_row;
                int t = t0;
                if (j->dot4) {
                    for (; t < tg; t += 4) {
                        const void *xs[4];
                        float out[4];
                        int c = tg - t < 4 ? tg - t : 4;   /* a last group of fewer repeats its last token */
                        for (int i = 0; i < 4; i++) xs[i] = j->xq + (size_t)(t + (i < c ? i : c - 1)) * j->x_row;
                        j->dot4(j->n_in, wr, xs, out);
                        for (int i = 0; i < c; i++) j->y[(size_t)(t + i) * j->n_out + r] = out[i];
                    }
                    t = tg;
                }
                for (; t < t1; t++)
                    j->y[(size_t)t * j->n_out + r] = j->dot(j->n_in, wr, j->xq + (size_t)t * j->x_row);
            }
        }
    }
}

void glm_matmul_grouped(glm_pool *p, float *y, const float *x, int n_tok, int n_grouped, const void *w, uint32_t wtype,
                        int n_in, int n_out, void *scratch)
{
    const dot_traits *t = dot_get(wtype);
    matmul_job j = {y, x, n_tok, n_in, n_out, w, wtype, glm_row_size(wtype, n_in),
                    glm_row_size(t->vec_dot_type, n_in), scratch, force_ref ? t->ref : t->fast,
                    force_ref ? NULL : t->fast4,
                    force_ref || glm_row_size(wtype, n_in) < ROWS4_MIN_BYTES ? NULL : t->rows4,
                    !force_ref && n_grouped > 0 && t->gemm, NULL, 0, n_grouped};
    if (j.gemm) {
        uintptr_t end = (uintptr_t)scratch + j.x_row * (size_t)n_tok;   /* see glm_matmul_scratch */
        j.panel = (float *)((end + 63) / 64 * 64);
    }
    /* small products are not worth waking the pool */
    int small = (double)n_in * n_out * n_tok < 65536.0;
    if (n_tok == 1 || small) convert_job(&j, 0, 1);
    else glm_pool_run(p, convert_job, &j);
    if (small) matmul_rows_job(&j, 0, 1);
    else glm_pool_run(p, matmul_rows_job, &j);
}

void glm_matmul(glm_pool *p, float *y, const float *x, int n_tok, const void *w, uint32_t wtype, int n_in, int n_out,
                void *scratch)
{
    glm_matmul_grouped(p, y, x, n_tok, n_tok - n_tok % GLM_MATMUL_GROUP, w, wtype, n_in, n_out, scratch);
}

/* ---- packed q4_0 / q8_0 ------------------------------------------------------ *
 * Layout of a group of GLM_PACK_ROWS (16) rows, block by block (each block
 * takes exactly the bytes of the sixteen rows' blocks, so a packed matrix has
 * the file's size and rows after the last full group stay as they were):
 *   16 fp16 scales (32 bytes), then for e = 0..3 (q4_0) or 0..7 (q8_0) the
 *   four quant bytes qs[4e..4e+3] of row 0, row 1, ... row 15 (64 bytes);
 *   q8_0 quants are stored + 128 (as unsigned bytes). */

static size_t packed_block_bytes(uint32_t wtype) { return wtype == GLM_TYPE_Q4_0 ? 32 + 4 * 64 : 32 + 8 * 64; }

int glm_pack_wanted(uint32_t wtype, int n_in, int n_out)
{
    pthread_once(&dot_once, dot_init);
    const char *env = getenv("TIANTI_GLM_REPACK");
    if (env && strcmp(env, "0") == 0) return 0;
    return isa_used >= ISA_AVX512 && (wtype == GLM_TYPE_Q4_0 || wtype == GLM_TYPE_Q8_0) && n_in % GLM_QK == 0 &&
           n_out >= GLM_PACK_ROWS;
}

void glm_pack_rows(uint32_t wtype, const void *src, void *dst, int n_in, int n_out)
{
    size_t rs = glm_row_size(wtype, n_in), bb = packed_block_bytes(wtype);
    int nb = n_in / GLM_QK, full = n_out / GLM_PACK_ROWS * GLM_PACK_ROWS;
    uint8_t *tmp = tt_malloc(rs * GLM_PACK_ROWS);
    for (int r0 = 0; r0 < full; r0 += GLM_PACK_ROWS) {
        memcpy(tmp, (const uint8_t *)src + (size_t)r0 * rs, rs * GLM_PACK_ROWS);   /* dst may be src */
        uint8_t *g = (uint8_t *)dst + (size_t)r0 * rs;
        for (int k = 0; k < nb; k++) {
            uint8_t *b = g + (size_t)k * bb;
            for (int r = 0; r < GLM_PACK_ROWS; r++) {
                const uint8_t *row = tmp + (size_t)r * rs;
                if (wtype == GLM_TYPE_Q4_0) {
                    const glm_block_q4_0 *blk = (const glm_block_q4_0 *)row + k;
                    memcpy(b + 2 * r, &blk->d, 2);
                    for (int e = 0; e < 4; e++) memcpy(b + 32 + 64 * e + 4 * r, blk->qs + 4 * e, 4);
                } else {
                    const glm_block_q8_0 *blk = (const glm_block_q8_0 *)row + k;
                    memcpy(b + 2 * r, &blk->d, 2);
                    for (int e = 0; e < 8; e++)
                        for (int i = 0; i < 4; i++) b[32 + 64 * e + 4 * r + i] = (uint8_t)((uint8_t)blk->qs[4 * e + i] ^ 0x80);
                }
            }
        }
    }
    free(tmp);
    if (dst != src)
        memcpy((uint8_t *)dst + (size_t)full * rs, (const uint8_t *)src + (size_t)full * rs, (size_t)(n_out - full) * rs);
}

/* The portable kernel for packed rows: the specification of the fast one,
 * and what runs when a lower kernel set is selected after packing. */
static void packed_ref(uint32_t wtype, int nb, const void *group, int n_tok, const glm_block_q8_0 *const *x,
                       const float *const *xd, const int32_t *const *xs, float *const *y)
{
    const uint8_t *g = group;
    size_t bb = packed_block_bytes(wtype);
    (void)xs;
    for (int t = 0; t < n_tok; t++)
        for (int r = 0; r < GLM_PACK_ROWS; r++) {
            float s = 0.0f;
            for (int k = 0; k < nb; k++) {
                const uint8_t *b = g + (size_t)k * bb;
                uint16_t d;
                memcpy(&d, b + 2 * r, 2);
                int sumi = 0;
                for (int j = 0; j < GLM_QK; j++) {
                    int e = (j % 16) / 4, i = j % 4, q;
                    if (wtype == GLM_TYPE_Q4_0) {
                        uint8_t byte = b[32 + 64 * e + 4 * r + i];
                        q = (j < 16 ? byte & 0x0f : byte >> 4) - 8;
                    } else {
                        e = j / 4;
                        q = (int)b[32 + 64 * e + 4 * r + i] - 128;
                    }
                    sumi += q * x[t][k].qs[j];
                }
                s += (float)sumi * (glm_fp16_to_fp32(d) * xd[t][k]);
            }
            y[t][r] = s;
        }
}

typedef struct packed_job {
    matmul_job mm;     /* the activations and the rows after the last group */
    const float *xd;   /* [n_tok][nb] activation block scales */
    const int32_t *xs; /* [n_tok][nb] activation block sums */
    int nb, groups;
    int isa;           /* the kernel set for the packed rows (ISA_NONE: packed_ref) */
} packed_job;

static void packed_convert_job(void *v, int ith, int nth)
{
    packed_job *pj = v;
    matmul_job *j = &pj->mm;
    for (int t = ith; t < j->n_tok; t += nth) {
        glm_block_q8_0 *xb = (glm_block_q8_0 *)(j->xq + (size_t)t * j->x_row);
        glm_convert_activations(j->wtype, j->x + (size_t)t * j->n_in, xb, j->n_in);
        float *xd = (float *)pj->xd + (size_t)t * pj->nb;
        int32_t *xs = (int32_t *)pj->xs + (size_t)t * pj->nb;
        for (int k = 0; k < pj->nb; k++) {
            int sum = 0;
            for (int i = 0; i < GLM_QK; i++) sum += xb[k].qs[i];
            xd[k] = glm_fp16_to_fp32(xb[k].d);
            xs[k] = sum;
        }
    }
}

/* Tokens per kernel call: the group's weights stay in L1 across them. */
#define PACKED_TOKENS 32
/* Tokens per chunk of the batch on AMX (below). */
#define PACKED_TOKENS_MAX GLM_PACKED_TOKENS_MAX

/* One kernel call: n_groups (AMX: 1 or 2; else 1) groups from gi against
 * tokens t0..t0+n-1. */
static void packed_rows_call(const packed_job *pj, int gi, int n_groups, int t0, int n)
{
    const matmul_job *j = &pj->mm;
    size_t group_bytes = j->w_row * GLM_PACK_ROWS;
    const uint8_t *g = j->w + (size_t)gi * group_bytes;
    const glm_block_q8_0 *x[PACKED_TOKENS_MAX];
    const float *xd[PACKED_TOKENS_MAX];
    const int32_t *xs[PACKED_TOKENS_MAX];
    float *y[PACKED_TOKENS_MAX];
    for (int t = 0; t < n; t++) {
        x[t] = (const glm_block_q8_0 *)(j->xq + (size_t)(t0 + t) * j->x_row);
        xd[t] = pj->xd + (size_t)(t0 + t) * pj->nb;
        xs[t] = pj->xs + (size_t)(t0 + t) * pj->nb;
        y[t] = j->y + (size_t)(t0 + t) * j->n_out + (size_t)gi * GLM_PACK_ROWS;
    }
#ifdef GLM_X86
    if (pj->isa >= ISA_AMX) {
        if (j->wtype == GLM_TYPE_Q4_0) glm_packed_q4_0_amx(pj->nb, g, group_bytes, n_groups, n, x, xd, xs, y);
        else glm_packed_q8_0_amx(pj->nb, g, group_bytes, n_groups, n, x, xd, xs, y);
        return;
    }
    if (pj->isa >= ISA_AVX512 && n == 1 && n_groups == 2) {   /* generation: two weight streams */
        if (j->wtype == GLM_TYPE_Q4_0) glm_packed_q4_0_avx512_pair(pj->nb, g, group_bytes, x[0], xd[0], xs[0], y[0]);
        else glm_packed_q8_0_avx512_pair(pj->nb, g, group_bytes, x[0], xd[0], xs[0], y[0]);
        return;
    }
    if (pj->isa >= ISA_AVX512) {
        if (j->wtype == GLM_TYPE_Q4_0) glm_packed_q4_0_avx512(pj->nb, g, n, x, xd, xs, y);
        else glm_packed_q8_0_avx512(pj->nb, g, n, x, xd, xs, y);
        return;
    }
#endif
    (void)n_groups;
    packed_ref(j->wtype, pj->nb, g, n, x, xd, xs, y);
}

/* Each thread takes a run of groups. With AMX the products are so fast
 * that reading the activations again for every group (all the batch's
 * tokens, 2.2 MB at 512 tokens of 4096) is what limits them, so the batch
 * is cut into chunks of PACKED_TOKENS_MAX tokens that stay in L2 while the
 * thread's groups pass over them; the other kernels are slow enough that
 * the plain order (each group over all tokens, its weights read once)
 * is best for them. */
static void packed_rows_job(void *v, int ith, int nth)
{
    packed_job *pj = v;
    matmul_job *j = &pj->mm;
    int per = (pj->groups + nth - 1) / nth;
    int g0 = ith * per, g1 = g0 + per < pj->groups ? g0 + per : pj->groups;
    if (pj->isa >= ISA_AMX) {
        for (int t0 = 0; t0 < j->n_tok; t0 += PACKED_TOKENS_MAX) {
            int n = j->n_tok - t0 < PACKED_TOKENS_MAX ? j->n_tok - t0 : PACKED_TOKENS_MAX;
            for (int gi = g0; gi < g1; gi += 2) packed_rows_call(pj, gi, gi + 1 < g1 ? 2 : 1, t0, n);
        }
    } else if (j->n_tok == 1 && pj->isa >= ISA_AVX512) {
        /* one token: two groups a call (glm_packed_q*_avx512_pair), whose
         * two weight streams read 1.1-1.6x faster than one on a core */
        for (int gi = g0; gi < g1; gi += 2) packed_rows_call(pj, gi, gi + 1 < g1 ? 2 : 1, 0, 1);
    } else {
        for (int gi = g0; gi < g1; gi++)
            for (int t0 = 0; t0 < j->n_tok; t0 += PACKED_TOKENS) {
                int n = j->n_tok - t0 < PACKED_TOKENS ? j->n_tok - t0 : PACKED_TOKENS;
                packed_rows_call(pj, gi, 1, t0, n);
            }
    }
    /* the rows after the last group, in the file's layout: the last thread */
    if (ith == nth - 1 && pj->groups * GLM_PACK_ROWS < j->n_out) matmul_rows_job(j, 0, 1);
}

void glm_matmul_packed_grouped(glm_pool *p, float *y, const float *x, int n_tok, int n_grouped, const void *w,
                               uint32_t wtype, int n_in, int n_out, void *scratch)
{
    const dot_traits *t = dot_get(wtype);
    int nb = n_in / GLM_QK, groups = n_out / GLM_PACK_ROWS;
    size_t x_row = glm_row_size(t->vec_dot_type, n_in);
    uint8_t *extra = (uint8_t *)scratch + (x_row * (size_t)n_tok + 63) / 64 * 64;   /* see glm_matmul_scratch */
    packed_job pj = {{y, x, n_tok, n_in, n_out, w, wtype, glm_row_size(wtype, n_in), x_row, scratch,
                      force_ref ? t->ref : t->fast, force_ref ? NULL : t->fast4, NULL, 0, NULL, groups * GLM_PACK_ROWS, n_grouped},
                     (const float *)extra, (const int32_t *)(extra + (size_t)n_tok * nb * 4), nb, groups,
                     force_ref ? 0 : isa_used};
    if (n_tok == 1) packed_convert_job(&pj, 0, 1);
    else glm_pool_run(p, packed_convert_job, &pj);
    glm_pool_run(p, packed_rows_job, &pj);
}

void glm_matmul_packed(glm_pool *p, float *y, const float *x, int n_tok, const void *w, uint32_t wtype, int n_in,
                       int n_out, void *scratch)
{
    glm_matmul_packed_grouped(p, y, x, n_tok, n_tok - n_tok % GLM_MATMUL_GROUP, w, wtype, n_in, n_out, scratch);
}
