/*
 * model.c — the GLM transformer (see model.h): load config and weights from
 * GGUF, move the matrices the products read onto huge pages (hugepages.h)
 * and repack the ones the kernels in use want packed (ops.h), allocate
 * the run state and the KV cache (f32, or f16 with TIANTI_GLM_KV=f16),
 * forward a batch of tokens.
 */
#include "engines/glm/model.h"
#include "engines/glm/hugepages.h"
#include "engines/glm/quant.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading: config ------------------------------------------------------- */

static int get_int(const gguf_file *f, const char *key, int required, int def, int lo, int hi, int *out, char *err)
{
    uint64_t v;
    int rc = gguf_get_uint(f, key, &v, err);
    if (rc == TT_ERR_NOTFOUND) {
        if (required) return tt_fail(err, TT_ERR_PARSE, "'%s': required key '%s' is missing", f->path, key);
        *out = def;
        return TT_OK;
    }
    if (rc) return rc;
    if (v < (uint64_t)lo || v > (uint64_t)hi)
        return tt_fail(err, TT_ERR_PARSE, "'%s': key '%s' = %llu is outside %d..%d", f->path, key, (unsigned long long)v, lo, hi);
    *out = (int)v;
    return TT_OK;
}

static int get_flt(const gguf_file *f, const char *key, float def, float *out, char *err)
{
    double v;
    int rc = gguf_get_float(f, key, &v, err);
    if (rc == TT_ERR_NOTFOUND) { *out = def; return TT_OK; }
    if (rc) return rc;
    if (!(v > 0) || !isfinite(v)) return tt_fail(err, TT_ERR_PARSE, "'%s': key '%s' = %g is not a positive number", f->path, key, v);
    *out = (float)v;
    return TT_OK;
}

int glm_config_read(const gguf_file *f, glm_config *c, char *err)
{
    size_t alen;
    const char *arch = gguf_get_str(f, "general.architecture", &alen);
    if (!arch) return tt_fail(err, TT_ERR_PARSE, "'%s': key 'general.architecture' is missing", f->path);
    if (alen != 7 || memcmp(arch, "chatglm", 7) != 0)
        return tt_fail(err, TT_ERR_UNSUPPORTED, "'%s': architecture '%.*s' is not supported (only 'chatglm')", f->path,
                       (int)(alen > 64 ? 64 : alen), arch);
    int rc;
    if ((rc = get_int(f, "chatglm.context_length", 0, 2048, 1, 1 << 24, &c->n_ctx_train, err))) return rc;
    if ((rc = get_int(f, "chatglm.embedding_length", 1, 0, 1, 1 << 16, &c->n_embd, err))) return rc;
    if ((rc = get_int(f, "chatglm.feed_forward_length", 1, 0, 1, 1 << 18, &c->n_ff, err))) return rc;
    if ((rc = get_int(f, "chatglm.block_count", 1, 0, 1, 1024, &c->n_layer, err))) return rc;
    if ((rc = get_int(f, "chatglm.attention.head_count", 1, 0, 1, 1024, &c->n_head, err))) return rc;
    if ((rc = get_int(f, "chatglm.attention.head_count_kv", 0, c->n_head, 1, 1024, &c->n_head_kv, err))) return rc;
    if (c->n_embd % c->n_head != 0)
        return tt_fail(err, TT_ERR_PARSE, "'%s': embedding_length %d is not a multiple of head_count %d", f->path, c->n_embd, c->n_head);
    if (c->n_head % c->n_head_kv != 0)
        return tt_fail(err, TT_ERR_PARSE, "'%s': head_count %d is not a multiple of head_count_kv %d", f->path, c->n_head, c->n_head_kv);
    c->head_dim = c->n_embd / c->n_head;
    if ((rc = get_int(f, "chatglm.rope.dimension_count", 0, c->head_dim / 2, 0, c->head_dim, &c->n_rot, err))) return rc;
    if (c->n_rot % 2) return tt_fail(err, TT_ERR_PARSE, "'%s': rope.dimension_count %d is odd", f->path, c->n_rot);
    if ((rc = get_flt(f, "chatglm.attention.layer_norm_rms_epsilon", 1e-5f, &c->eps, err))) return rc;
    if ((rc = get_flt(f, "chatglm.rope.freq_base", 10000.0f, &c->freq_base, err))) return rc;
    return TT_OK;
}

/* ---- loading: weights ---------------------------------------------------- */

static void *own(glm_model *m, size_t n)
{
    if (m->n_owned == m->cap_owned) {
        m->cap_owned = m->cap_owned ? 2 * m->cap_owned : 64;
        m->owned = tt_realloc(m->owned, (size_t)m->cap_owned * sizeof *m->owned);
    }
    void *p = tt_malloc(n);
    m->owned[m->n_owned++] = p;
    return p;
}

/* Frees an own()ed buffer before the model ends; 0 when p is not one (it
 * is the file's). */
static int disown(glm_model *m, const void *p)
{
    for (int i = 0; i < m->n_owned; i++)
        if (m->owned[i] == p) {
            free(m->owned[i]);
            m->owned[i] = m->owned[--m->n_owned];
            return 1;
        }
    return 0;
}

/* Done with a matrix's source bytes: an own()ed copy is freed, the file's
 * pages leave the resident set. */
static void drop_source(glm_model *m, const void *p, size_t n)
{
    if (!disown(m, p)) gguf_release(m->file, p, n);
}

typedef struct convert_job {
    const uint8_t *src;
    uint8_t *dst;
    uint32_t st, dt;
    int n_in, n_out;
} convert_job;

static void convert_rows(void *v, int ith, int nth)
{
    convert_job *j = v;
    const glm_type_traits *s = glm_type_get(j->st), *d = glm_type_get(j->dt);
    size_t sr = glm_row_size(j->st, j->n_in), dr = glm_row_size(j->dt, j->n_in);
    float *tmp = tt_malloc((size_t)j->n_in * sizeof(float));
    for (int r = ith; r < j->n_out; r += nth) {
        s->to_float(j->src + (size_t)r * sr, tmp, j->n_in);
        d->from_float_ref(tmp, j->dst + (size_t)r * dr, j->n_in);
    }
    free(tmp);
}

static const void *convert(glm_model *m, const void *src, uint32_t st, uint32_t dt, int n_in, int n_out)
{
    uint8_t *dst = own(m, glm_row_size(dt, n_in) * (size_t)n_out);
    convert_job j = {src, dst, st, dt, n_in, n_out};
    glm_pool_run(m->pool, convert_rows, &j);
    return dst;
}

static int check_shape(const glm_model *m, const gguf_tensor *t, int n_in, int n_out, char *err)
{
    int ok = t->ne[0] == (uint64_t)n_in && t->ne[1] == (uint64_t)n_out && t->ne[2] == 1 && t->ne[3] == 1;
    if (!ok)
        return tt_fail(err, TT_ERR_PARSE, "'%s': tensor '%s' has shape [%llu, %llu, %llu, %llu], expected [%d, %d]",
                       m->file->path, t->name, (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
                       (unsigned long long)t->ne[2], (unsigned long long)t->ne[3], n_in, n_out);
    return TT_OK;
}

/* A matrix, converted to the model's precision if asked. found: NULL = required. */
static int get_matrix(glm_model *m, const char *name, int n_in, int n_out, glm_weight *w, int *found, char *err)
{
    const gguf_tensor *t = gguf_find_tensor(m->file, name);
    if (found) *found = t != NULL;
    if (!t) return found ? TT_OK : tt_fail(err, TT_ERR_PARSE, "'%s': tensor '%s' is missing", m->file->path, name);
    int rc = check_shape(m, t, n_in, n_out, err);
    if (rc) return rc;
    w->n_in = n_in;
    w->n_out = n_out;
    w->type = t->type;
    w->data = t->data;
    if (m->precision >= 0 && (uint32_t)m->precision != t->type) {
        const glm_type_traits *tr = glm_type_get((uint32_t)m->precision);
        if (n_in % tr->blck_size)
            return tt_fail(err, TT_ERR_UNSUPPORTED, "'%s': tensor '%s' rows of %d cannot be converted to %s (blocks of %d)",
                           m->file->path, name, n_in, tr->name, tr->blck_size);
        w->data = convert(m, t->data, t->type, (uint32_t)m->precision, n_in, n_out);
        w->type = (uint32_t)m->precision;
        /* the source is never read again: no copy of it stays resident */
        gguf_release(m->file, t->data, glm_row_size(t->type, n_in) * (size_t)n_out);
    }
    m->weights_bytes += (int64_t)(glm_row_size(w->type, n_in) * (size_t)n_out);
    m->n_params += (int64_t)n_in * n_out;
    return TT_OK;
}

/* A 1-D f32 vector (converted from f16 if needed). */
static int get_vector(glm_model *m, const char *name, int n, const float **out, int required, char *err)
{
    const gguf_tensor *t = gguf_find_tensor(m->file, name);
    *out = NULL;
    if (!t) return required ? tt_fail(err, TT_ERR_PARSE, "'%s': tensor '%s' is missing", m->file->path, name) : TT_OK;
    int rc = check_shape(m, t, n, 1, err);
    if (rc) return rc;
    /* Always a copy (n floats): a vector read from the mapping on every
     * forward would fault its neighbourhood of the file back in (the kernel
     * maps the cached pages around a fault), pages of matrices that packing
     * copied and released. */
    float *v = own(m, (size_t)n * sizeof(float));
    glm_type_get(t->type)->to_float(t->data, v, n);
    *out = v;
    m->weights_bytes += (int64_t)n * 4;
    m->n_params += n;
    return TT_OK;
}

/* Fused QKV, or separate attn_q/k/v concatenated row-wise. */
static int get_qkv(glm_model *m, int l, glm_layer *L, char *err)
{
    const glm_config *c = &m->cfg;
    int kvd = c->n_head_kv * c->head_dim, nq = c->n_embd + 2 * kvd;
    char name[96];
    int found, rc;
    snprintf(name, sizeof name, "blk.%d.attn_qkv.weight", l);
    if ((rc = get_matrix(m, name, c->n_embd, nq, &L->attn_qkv, &found, err))) return rc;
    if (found) {
        snprintf(name, sizeof name, "blk.%d.attn_qkv.bias", l);
        return get_vector(m, name, nq, &L->attn_qkv_b, 0, err);
    }
    static const char *part[3] = {"q", "k", "v"};
    glm_weight w[3];
    const float *b[3];
    int rows[3] = {c->n_embd, kvd, kvd};
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "blk.%d.attn_%s.weight", l, part[i]);
        if ((rc = get_matrix(m, name, c->n_embd, rows[i], &w[i], NULL, err))) return rc;
        snprintf(name, sizeof name, "blk.%d.attn_%s.bias", l, part[i]);
        if ((rc = get_vector(m, name, rows[i], &b[i], 0, err))) return rc;
    }
    uint32_t type = w[0].type;
    for (int i = 1; i < 3; i++)
        if (w[i].type != type) {
            const void *converted = convert(m, w[i].data, w[i].type, type, c->n_embd, rows[i]);
            drop_source(m, w[i].data, glm_row_size(w[i].type, c->n_embd) * (size_t)rows[i]);
            w[i].data = converted;
        }
    size_t rs = glm_row_size(type, c->n_embd);
    uint8_t *dst = own(m, rs * (size_t)nq);
    memcpy(dst, w[0].data, rs * (size_t)rows[0]);
    memcpy(dst + rs * (size_t)rows[0], w[1].data, rs * (size_t)rows[1]);
    memcpy(dst + rs * (size_t)(rows[0] + rows[1]), w[2].data, rs * (size_t)rows[2]);
    for (int i = 0; i < 3; i++) drop_source(m, w[i].data, rs * (size_t)rows[i]);   /* read only through dst now */
    L->attn_qkv = (glm_weight){dst, type, c->n_embd, nq, 0};
    if (b[0] || b[1] || b[2]) {
        float *bb = own(m, (size_t)nq * sizeof(float));
        int off = 0;
        for (int i = 0; i < 3; i++) {
            if (b[i]) memcpy(bb + off, b[i], (size_t)rows[i] * sizeof(float));
            else memset(bb + off, 0, (size_t)rows[i] * sizeof(float));
            off += rows[i];
        }
        L->attn_qkv_b = bb;
    }
    return TT_OK;
}

static int load_weights(glm_model *m, char *err)
{
    const glm_config *c = &m->cfg;
    glm_weights *w = &m->w;
    const gguf_tensor *te = gguf_find_tensor(m->file, "token_embd.weight");
    if (!te) return tt_fail(err, TT_ERR_PARSE, "'%s': tensor 'token_embd.weight' is missing", m->file->path);
    if (te->ne[1] > (1u << 22))
        return tt_fail(err, TT_ERR_PARSE, "'%s': vocabulary of %llu is too large", m->file->path, (unsigned long long)te->ne[1]);
    m->cfg.n_vocab = (int)te->ne[1];
    int rc;
    if ((rc = get_matrix(m, "token_embd.weight", c->n_embd, c->n_vocab, &w->token_embd, NULL, err))) return rc;
    w->layers = tt_calloc((size_t)c->n_layer, sizeof *w->layers);
    char name[96];
    for (int l = 0; l < c->n_layer; l++) {
        glm_layer *L = &w->layers[l];
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        if ((rc = get_vector(m, name, c->n_embd, &L->attn_norm, 1, err))) return rc;
        if ((rc = get_qkv(m, l, L, err))) return rc;
        snprintf(name, sizeof name, "blk.%d.attn_output.weight", l);
        if ((rc = get_matrix(m, name, c->n_embd, c->n_embd, &L->attn_output, NULL, err))) return rc;
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", l);
        if ((rc = get_vector(m, name, c->n_embd, &L->ffn_norm, 1, err))) return rc;
        snprintf(name, sizeof name, "blk.%d.ffn_up.weight", l);
        if ((rc = get_matrix(m, name, c->n_embd, 2 * c->n_ff, &L->ffn_up, NULL, err))) return rc;
        snprintf(name, sizeof name, "blk.%d.ffn_down.weight", l);
        if ((rc = get_matrix(m, name, c->n_ff, c->n_embd, &L->ffn_down, NULL, err))) return rc;
    }
    if ((rc = get_vector(m, "output_norm.weight", c->n_embd, &w->output_norm, 1, err))) return rc;
    return get_matrix(m, "output.weight", c->n_embd, c->n_vocab, &w->output, NULL, err);
}

/* ---- loading: the matrices in their final place and layout ---------------------- */

typedef struct place_job {
    const uint8_t *src;
    uint8_t *dst;       /* src itself: packed in place */
    uint32_t type;
    int n_in, n_out;
    int pack;           /* repack for the kernels in use (glm_pack_rows), else copy */
    int rows;           /* per slice: a multiple of GLM_PACK_ROWS */
} place_job;

/* Slices of about PLACE_SLICE_BYTES go round the threads; a moved slice's
 * source pages are released as soon as it is copied, so the resident size
 * grows by a slice per thread at most, never by a second copy of a matrix.
 * Packing works on groups of GLM_PACK_ROWS rows, which a slice never
 * splits. */
#define PLACE_SLICE_BYTES ((size_t)512 << 10)

static void place_part(void *v, int ith, int nth)
{
    place_job *j = v;
    size_t rs = glm_row_size(j->type, j->n_in);
    int slices = (j->n_out + j->rows - 1) / j->rows;
    for (int k = ith; k < slices; k += nth) {
        int r0 = k * j->rows, n = j->n_out - r0 < j->rows ? j->n_out - r0 : j->rows;
        const uint8_t *src = j->src + (size_t)r0 * rs;
        uint8_t *dst = j->dst + (size_t)r0 * rs;
        if (j->pack) glm_pack_rows(j->type, src, dst, j->n_in, n);
        else memcpy(dst, src, (size_t)n * rs);
        if (j->dst != j->src) tt_release_pages(src, (size_t)n * rs);
    }
}

static size_t weight_bytes(const glm_weight *w) { return glm_row_size(w->type, w->n_in) * (size_t)w->n_out; }
static size_t aligned64(size_t n) { return (n + 63) & ~(size_t)63; }

/* Packs w for the kernels in use when they want it (ops.h) and, when to is
 * not NULL, moves it there on the way: its source (a converted copy, or
 * the file's pages) is dropped. Unmoved, it is packed in place: the bytes
 * are the model's own (converted at load) or the file's mapping, which
 * gguf.c maps writable and private, so the packed pages become the
 * process's copies of those file pages, with no second copy even for a
 * moment. */
static void place_weight(glm_model *m, glm_weight *w, uint8_t *to)
{
    int pack = glm_pack_wanted(w->type, w->n_in, w->n_out);
    if (!pack && !to) return;
    size_t rs = glm_row_size(w->type, w->n_in);
    int rows = (int)(PLACE_SLICE_BYTES / rs) / GLM_PACK_ROWS * GLM_PACK_ROWS;
    const uint8_t *src = w->data;
    place_job j = {src, to ? to : (uint8_t *)(uintptr_t)src, w->type, w->n_in, w->n_out, pack,
                   rows > GLM_PACK_ROWS ? rows : GLM_PACK_ROWS};
    glm_pool_run(m->pool, place_part, &j);
    if (to) {
        drop_source(m, src, weight_bytes(w));   /* also the pages slices shared */
        w->data = to;
    }
    w->packed = pack;
}

/* Every matrix the products read (all but the embedding table, read a row
 * per token), moved into one region on huge pages (hugepages.h) when they
 * are wanted, and packed. The bytes are the same wherever they live, so no
 * number changes. When the region cannot be had the matrices stay where
 * they are. */
static int place_weights(glm_model *m, char *err)
{
    int n = 4 * m->cfg.n_layer + 1;
    glm_weight **ws = tt_malloc((size_t)n * sizeof *ws);
    for (int l = 0; l < m->cfg.n_layer; l++) {
        glm_layer *L = &m->w.layers[l];
        ws[4 * l] = &L->attn_qkv;
        ws[4 * l + 1] = &L->attn_output;
        ws[4 * l + 2] = &L->ffn_up;
        ws[4 * l + 3] = &L->ffn_down;
    }
    ws[n - 1] = &m->w.output;
    size_t total = 0;
    for (int i = 0; i < n; i++) total += aligned64(weight_bytes(ws[i]));
    int wanted, rc = glm_hugepages_wanted(total, &wanted, err);
    if (rc) {
        free(ws);
        return rc;
    }
    uint8_t *region = wanted ? glm_hugepages_alloc(total) : NULL;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t bytes = weight_bytes(ws[i]);
        place_weight(m, ws[i], region ? region + off : NULL);
        off += aligned64(bytes);
    }
    m->placed = region;
    m->placed_bytes = region ? total : 0;
    free(ws);
    return TT_OK;
}

/* ---- loading: run state ------------------------------------------------------ */

/* The run state and the KV cache are committed at load (written, not just
 * reserved), so that what the memory planner (plan.c) predicts is what is
 * resident from the start, and a machine without that memory fails at load,
 * not in the middle of a request. */
static void *committed(size_t n)
{
    void *p = tt_malloc(n ? n : 1);
    memset(p, 0, n);
    return p;
}

static float *state_alloc(glm_model *m, size_t n)
{
    m->scratch_bytes += (int64_t)(n * sizeof(float));
    return committed(n * sizeof(float));
}

static void alloc_state(glm_model *m)
{
    const glm_config *c = &m->cfg;
    glm_state *s = &m->s;
    size_t B = (size_t)m->n_batch, kvd = (size_t)c->n_head_kv * c->head_dim;
    s->x = state_alloc(m, B * c->n_embd);
    s->xb = state_alloc(m, B * c->n_embd);
    s->qkv = state_alloc(m, B * (c->n_embd + 2 * kvd));
    s->att_out = state_alloc(m, B * c->n_embd);
    s->proj = state_alloc(m, B * c->n_embd);
    s->ffh = state_alloc(m, B * 2 * c->n_ff);
    s->ffa = state_alloc(m, B * c->n_ff);
    s->att = state_alloc(m, (size_t)glm_pool_threads(m->pool) * m->n_ctx);
    s->rows = (int *)state_alloc(m, (size_t)glm_pool_threads(m->pool) * m->n_ctx);   /* ints, float-sized */
    s->logits = state_alloc(m, B * c->n_vocab);
    size_t mm = 0;
    const glm_weight *ws[] = {&m->w.output};
    (void)ws;
    for (int l = 0; l < c->n_layer; l++) {
        const glm_layer *L = &m->w.layers[l];
        const glm_weight *all[4] = {&L->attn_qkv, &L->attn_output, &L->ffn_up, &L->ffn_down};
        for (int i = 0; i < 4; i++) {
            size_t need = glm_matmul_scratch(all[i]->type, all[i]->n_in, m->n_batch);
            if (need > mm) mm = need;
        }
    }
    size_t need = glm_matmul_scratch(m->w.output.type, c->n_embd, m->n_batch);
    if (need > mm) mm = need;
    s->mm_scratch = committed(mm);
    m->scratch_bytes += (int64_t)mm;
    size_t kv = (size_t)c->n_layer * m->n_ctx * kvd, elem = m->kv_f16 ? sizeof(uint16_t) : sizeof(float);
    s->k_cache = committed(kv * elem);
    s->v_cache = committed(kv * elem);
    m->kv_bytes = (int64_t)(2 * kv * elem);
}

int glm_kv_f16(void)
{
    const char *v = getenv("TIANTI_GLM_KV");
    return v && strcmp(v, "f16") == 0;
}

int glm_model_from_gguf(gguf_file *f, const glm_load_params *lp, glm_model **out, char *err)
{
    *out = NULL;
    glm_model *m = tt_calloc(1, sizeof *m);
    m->file = f;
    m->file_bytes = (int64_t)f->size;
    m->precision = lp ? lp->precision : -1;
    if (m->precision >= 0 && !glm_type_get((uint32_t)m->precision)) {
        glm_model_free(m);
        return tt_fail(err, TT_ERR_USAGE, "unknown precision %d", lp->precision);
    }
    int rc = glm_config_read(f, &m->cfg, err);
    if (rc) { glm_model_free(m); return rc; }
    m->pool = glm_pool_new(lp ? lp->n_threads : 0);
    rc = load_weights(m, err);
    if (rc) { glm_model_free(m); return rc; }
    rc = place_weights(m, err);
    if (rc) { glm_model_free(m); return rc; }
    m->n_ctx = lp && lp->n_ctx > 0 ? lp->n_ctx : (m->cfg.n_ctx_train < 4096 ? m->cfg.n_ctx_train : 4096);
    m->n_batch = lp && lp->n_batch > 0 ? lp->n_batch : 512;
    if (m->n_batch > m->n_ctx) m->n_batch = m->n_ctx;
    m->kv_f16 = glm_kv_f16();
    alloc_state(m);
    *out = m;
    return TT_OK;
}

int glm_model_load(const char *path, const glm_load_params *lp, glm_model **out, char *err)
{
    gguf_file *f;
    int rc = gguf_open(path, &f, err);
    if (rc) return rc;
    return glm_model_from_gguf(f, lp, out, err);
}

void glm_model_free(glm_model *m)
{
    if (!m) return;
    glm_state *s = &m->s;
    free(s->x); free(s->xb); free(s->qkv); free(s->att_out); free(s->proj); free(s->ffh); free(s->ffa);
    free(s->att); free(s->rows); free(s->logits); free(s->mm_scratch); free(s->k_cache); free(s->v_cache);
    free(m->w.layers);
    for (int i = 0; i < m->n_owned; i++) free(m->owned[i]);
    free(m->owned);
    glm_hugepages_free(m->placed, m->placed_bytes);
    glm_pool_free(m->pool);
    gguf_close(m->file);
    free(m);
}

/* ---- forward ------------------------------------------------------------------ */

typedef struct attn_job {
    glm_model *m;
    int l, n, pos;
    const glm_batch *b;   /* NULL: tokens at pos, pos+1, ... of one sequence */
} attn_job;

/* Cache rows of token t's path in b (positions 0..pos[t]) into rows. */
static void batch_path(const glm_batch *b, int t, int *rows)
{
    int p = b->pos[t], u = t;
    for (; u >= 0; u = b->parent[u]) rows[p--] = b->cell[u];
    for (; p >= 0; p--) rows[p] = p;
}

/* One (token, head) pair per step: causal attention over the cache. */
static void attention(void *v, int ith, int nth)
{
    attn_job *j = v;
    glm_model *m = j->m;
    const glm_config *c = &m->cfg;
    int hd = c->head_dim, kvd = c->n_head_kv * hd, nqkv = c->n_embd + 2 * kvd;
    int group = c->n_head / c->n_head_kv;
    float scale = 1.0f / sqrtf((float)hd);
    float *att = m->s.att + (size_t)ith * m->n_ctx;
    int *rows = m->s.rows + (size_t)ith * m->n_ctx, rows_of = -1;
    size_t layer = (size_t)j->l * m->n_ctx * kvd;
    for (int i = ith; i < j->n * c->n_head; i += nth) {
        int t = i / c->n_head, h = i % c->n_head, kvh = h / group;
        const float *q = m->s.qkv + (size_t)t * nqkv + (size_t)h * hd;
        int len = j->b ? j->b->pos[t] + 1 : j->pos + t + 1;
        const int *path = NULL;   /* rows 0..len-1 */
        if (j->b) {
            if (rows_of != t) batch_path(j->b, t, rows);
            rows_of = t;
            path = rows;
        }
        float *o = m->s.att_out + (size_t)t * c->n_embd + (size_t)h * hd;
        size_t at = layer + (size_t)kvh * hd;
        if (m->kv_f16) {
            glm_attn_scores_f16(att, q, (const uint16_t *)m->s.k_cache + at, (size_t)kvd, path, hd, len, scale);
            glm_softmax(att, len);
            glm_attn_values_f16(o, att, (const uint16_t *)m->s.v_cache + at, (size_t)kvd, path, hd, len);
        } else {
            glm_attn_scores(att, q, (const float *)m->s.k_cache + at, (size_t)kvd, path, hd, len, scale);
            glm_softmax(att, len);
            glm_attn_values(o, att, (const float *)m->s.v_cache + at, (size_t)kvd, path, hd, len);
        }
    }
}

/* The per-token steps between the matrix products: norms, bias and RoPE
 * with the KV store, residual adds, SwiGLU. Each token's row is computed
 * by the same code whichever thread takes it, so splitting a batch across
 * the pool (contiguous runs of tokens) changes no number; a single token
 * (generation) runs on the calling thread. */
enum token_step { STEP_ATTN_NORM, STEP_QKV_ROPE_KV, STEP_ATTN_RESIDUAL_FFN_NORM, STEP_SWIGLU, STEP_FFN_RESIDUAL };

typedef struct token_job {
    glm_model *m;
    const glm_layer *L;
    int l, n, pos;
    enum token_step step;
    const glm_batch *b;   /* as in attn_job */
} token_job;

static void token_step_one(const token_job *j, int t)
{
    glm_model *m = j->m;
    const glm_config *c = &m->cfg;
    glm_state *s = &m->s;
    const glm_layer *L = j->L;
    int D = c->n_embd, hd = c->head_dim, kvd = c->n_head_kv * hd, nqkv = D + 2 * kvd, ff = c->n_ff;
    float *x = s->x + (size_t)t * D, *xb = s->xb + (size_t)t * D, *proj = s->proj + (size_t)t * D;
    switch (j->step) {
    case STEP_ATTN_NORM:
        glm_rmsnorm(xb, x, L->attn_norm, D, c->eps);
        break;
    case STEP_QKV_ROPE_KV: {
        float *qkv = s->qkv + (size_t)t * nqkv;
        if (L->attn_qkv_b)
            for (int i = 0; i < nqkv; i++) qkv[i] += L->attn_qkv_b[i];
        int pos = j->b ? j->b->pos[t] : j->pos + t, cell = j->b ? j->b->cell[t] : pos;
        glm_rope(qkv, c->n_head, hd, c->n_rot, pos, c->freq_base);
        glm_rope(qkv + D, c->n_head_kv, hd, c->n_rot, pos, c->freq_base);
        size_t at = ((size_t)j->l * m->n_ctx + (size_t)cell) * kvd;
        if (m->kv_f16) {   /* rounded as llama.cpp's f16 cache rounds (to nearest) */
            glm_convert_activations(GLM_TYPE_F16, qkv + D, (uint16_t *)s->k_cache + at, kvd);
            glm_convert_activations(GLM_TYPE_F16, qkv + D + kvd, (uint16_t *)s->v_cache + at, kvd);
        } else {
            memcpy((float *)s->k_cache + at, qkv + D, (size_t)kvd * sizeof(float));
            memcpy((float *)s->v_cache + at, qkv + D + kvd, (size_t)kvd * sizeof(float));
        }
        break;
    }
    case STEP_ATTN_RESIDUAL_FFN_NORM:
        for (int i = 0; i < D; i++) x[i] += proj[i];
        glm_rmsnorm(xb, x, L->ffn_norm, D, c->eps);
        break;
    case STEP_SWIGLU:
        glm_swiglu(s->ffa + (size_t)t * ff, s->ffh + (size_t)t * 2 * ff, s->ffh + (size_t)t * 2 * ff + ff, ff);
        break;
    case STEP_FFN_RESIDUAL:
        for (int i = 0; i < D; i++) x[i] += proj[i];
        break;
    }
}

static void token_steps(void *v, int ith, int nth)
{
    const token_job *j = v;
    int t0 = (int)((long)j->n * ith / nth), t1 = (int)((long)j->n * (ith + 1) / nth);
    for (int t = t0; t < t1; t++) token_step_one(j, t);
}

/* A step over a few short rows costs less than waking the pool (a few
 * microseconds), so small batches stay on the calling thread; the bound is
 * the one attention uses, in floats touched. */
static void run_token_step(glm_model *m, token_job *j, enum token_step step)
{
    j->step = step;
    if ((double)j->n * m->cfg.n_embd < 32768.0) token_steps(j, 0, 1);
    else glm_pool_run(m->pool, token_steps, j);
}

static void matmul(glm_model *m, float *y, const float *x, int n, int n_grouped, const glm_weight *w)
{
    if (w->packed)
        glm_matmul_packed_grouped(m->pool, y, x, n, n_grouped, w->data, w->type, w->n_in, w->n_out, m->s.mm_scratch);
    else glm_matmul_grouped(m->pool, y, x, n, n_grouped, w->data, w->type, w->n_in, w->n_out, m->s.mm_scratch);
}

/* The layers and the output for n tokens: at pos, pos+1, ... of one
 * sequence (b NULL), or as b says. Logits of the last token, or of all
 * with want_all. */
static int forward(glm_model *m, const int *tokens, int n, int pos, const glm_batch *b, int n_grouped, int want_all,
                   const float **logits, char *err)
{
    const glm_config *c = &m->cfg;
    glm_state *s = &m->s;
    int D = c->n_embd, hd = c->head_dim;
    const glm_type_traits *et = glm_type_get(m->w.token_embd.type);
    size_t erow = glm_row_size(m->w.token_embd.type, D);
    for (int t = 0; t < n; t++) {
        if (tokens[t] < 0 || tokens[t] >= c->n_vocab)
            return tt_fail(err, TT_ERR_USAGE, "token id %d is outside the vocabulary of %d", tokens[t], c->n_vocab);
        et->to_float((const uint8_t *)m->w.token_embd.data + (size_t)tokens[t] * erow, s->x + (size_t)t * D, D);
    }
    /* attention work: the longest path of the batch for every token */
    int span = pos + n;
    for (int t = 0; b && t < n; t++) span = b->pos[t] + 1 > span ? b->pos[t] + 1 : span;
    for (int l = 0; l < c->n_layer; l++) {
        const glm_layer *L = &m->w.layers[l];
        token_job tj = {m, L, l, n, pos, STEP_ATTN_NORM, b};
        /* attention */
        run_token_step(m, &tj, STEP_ATTN_NORM);
        matmul(m, s->qkv, s->xb, n, n_grouped, &L->attn_qkv);
        run_token_step(m, &tj, STEP_QKV_ROPE_KV);
        attn_job aj = {m, l, n, pos, b};
        if ((double)n * c->n_head * span * hd < 32768.0) attention(&aj, 0, 1);   /* too small to share */
        else glm_pool_run(m->pool, attention, &aj);
        matmul(m, s->proj, s->att_out, n, n_grouped, &L->attn_output);
        /* feed-forward */
        run_token_step(m, &tj, STEP_ATTN_RESIDUAL_FFN_NORM);
        matmul(m, s->ffh, s->xb, n, n_grouped, &L->ffn_up);
        run_token_step(m, &tj, STEP_SWIGLU);
        matmul(m, s->proj, s->ffa, n, n_grouped, &L->ffn_down);
        run_token_step(m, &tj, STEP_FFN_RESIDUAL);
    }
    int first = want_all ? 0 : n - 1, rows = n - first;
    for (int t = 0; t < rows; t++)
        glm_rmsnorm(s->xb + (size_t)t * D, s->x + (size_t)(first + t) * D, m->w.output_norm, D, c->eps);
    matmul(m, s->logits, s->xb, rows, want_all ? n_grouped : 0, &m->w.output);
    *logits = s->logits;
    return TT_OK;
}

int glm_forward(glm_model *m, const int *tokens, int n, int pos, int want_all, const float **logits, char *err)
{
    if (n < 1 || n > m->n_batch)
        return tt_fail(err, TT_ERR_USAGE, "batch of %d tokens (1..%d allowed)", n, m->n_batch);
    if (pos < 0 || pos + n > m->n_ctx)
        return tt_fail(err, TT_ERR_ENGINE, "positions %d..%d exceed the context of %d tokens", pos, pos + n - 1, m->n_ctx);
    return forward(m, tokens, n, pos, NULL, n - n % GLM_MATMUL_GROUP, want_all, logits, err);
}

int glm_forward_batch(glm_model *m, const glm_batch *b, const float **logits, char *err)
{
    if (b->n < 1 || b->n > m->n_batch)
        return tt_fail(err, TT_ERR_USAGE, "batch of %d tokens (1..%d allowed)", b->n, m->n_batch);
    if (b->n_grouped < 0 || b->n_grouped > b->n)
        return tt_fail(err, TT_ERR_USAGE, "%d grouped tokens in a batch of %d", b->n_grouped, b->n);
    unsigned char *used = tt_calloc((size_t)m->n_ctx, 1);
    int rc = TT_OK;
    for (int t = 0; t < b->n && rc == TT_OK; t++) {
        int p = b->pos[t], cell = b->cell[t], up = b->parent[t];
        if (p < 0 || p >= m->n_ctx || cell < 0 || cell >= m->n_ctx)
            rc = tt_fail(err, TT_ERR_ENGINE, "batch token %d: position %d or cache row %d outside the context of %d", t, p,
                         cell, m->n_ctx);
        else if (up >= t || (up >= 0 && b->pos[up] != p - 1))
            rc = tt_fail(err, TT_ERR_USAGE, "batch token %d: parent %d is not the token before it", t, up);
        else if (used[cell]++)
            rc = tt_fail(err, TT_ERR_USAGE, "batch token %d: cache row %d is written twice", t, cell);
    }
    free(used);
    if (rc) return rc;
    return forward(m, b->tokens, b->n, 0, b, b->n_grouped, 1, logits, err);
}

const float *glm_model_hidden(const glm_model *m) { return m->s.xb; }

/* ---- accounting ---------------------------------------------------------------- */

int64_t glm_model_bytes_per_token(const glm_model *m)
{
    int64_t b = (int64_t)glm_row_size(m->w.token_embd.type, m->cfg.n_embd);
    for (int l = 0; l < m->cfg.n_layer; l++) {
        const glm_layer *L = &m->w.layers[l];
        const glm_weight *all[4] = {&L->attn_qkv, &L->attn_output, &L->ffn_up, &L->ffn_down};
        for (int i = 0; i < 4; i++) b += (int64_t)(glm_row_size(all[i]->type, all[i]->n_in) * (size_t)all[i]->n_out);
        b += (int64_t)(2 * m->cfg.n_embd) * 4;
    }
    b += (int64_t)(glm_row_size(m->w.output.type, m->cfg.n_embd) * (size_t)m->w.output.n_out);
    return b;
}
