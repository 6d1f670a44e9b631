/*
 * plan.c — the memory planner (see plan.h). Each figure mirrors an
 * allocation in model.c, glm_engine.c or tokenizer.c; when those change,
 * tests/unit/test_glm_plan.c (planned == the loaded model's counters) says
 * so.
 */
#include "engines/glm/plan.h"
#include "engines/glm/ops.h"
#include "engines/glm/quant.h"
#include "core/proc.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes of a weight matrix as model.c's get_matrix keeps it: converted to
 * the precision asked, else as stored. 0 when the tensor is absent. */
static int64_t matrix_bytes(const gguf_file *f, const char *name, int precision, int n_in, uint32_t *type)
{
    const gguf_tensor *t = gguf_find_tensor(f, name);
    if (!t) return 0;
    uint32_t ty = precision >= 0 ? (uint32_t)precision : t->type;
    if (type) *type = ty;
    return (int64_t)(glm_row_size(ty, n_in) * (size_t)t->ne[1]);
}

static int64_t vector_bytes(const gguf_file *f, const char *name)
{
    const gguf_tensor *t = gguf_find_tensor(f, name);
    return t ? (int64_t)t->ne[0] * 4 : 0;
}

/* Allocation size glibc gives a malloc(n) (16-byte steps, 8 bytes of
 * header, 32 at least). */
static int64_t chunk(int64_t n)
{
    int64_t c = (n + 8 + 15) & ~(int64_t)15;
    return c < 32 ? 32 : c;
}

/* tokenizer.c's tables: a copy of every token and merge string, per-token
 * arrays, two open-addressing maps; the GGUF keeps an index of each string
 * array, and the header pages holding the strings are read. */
static int64_t tokenizer_bytes(const gguf_file *f)
{
    int64_t total = (int64_t)f->data_offset;   /* header pages, read while loading */
    static const char *const arrays[2] = {"tokenizer.ggml.tokens", "tokenizer.ggml.merges"};
    for (int a = 0; a < 2; a++) {
        const gguf_kv *kv = gguf_find(f, arrays[a]);
        if (!kv || kv->type != GGUF_ARRAY || kv->arr_type != GGUF_STRING) continue;
        int64_t n = (int64_t)kv->arr_n;
        for (uint64_t i = 0; i < kv->arr_n; i++) {
            size_t l;
            gguf_arr_str(kv, i, &l);
            total += chunk((int64_t)l + 1);
        }
        total += n * 8;                          /* gguf's arr_items index */
        int64_t cap = 16;
        while (cap < 2 * n + 16) cap <<= 1;
        total += cap * 4 + (n + 1) * 16;         /* map slots; keys, lengths, values */
        total += a == 0 ? n * (8 + 4 + 4 + 4 + 4) : n * 8;   /* text, len, score, type, special | merge keys */
    }
    return total;
}

int glm_plan_memory(const gguf_file *f, const glm_load_params *lp, glm_plan *out, char *err)
{
    memset(out, 0, sizeof *out);
    glm_config c;
    memset(&c, 0, sizeof c);
    int rc = glm_config_read(f, &c, err);
    if (rc) return rc;
    const gguf_tensor *te = gguf_find_tensor(f, "token_embd.weight");
    if (!te) return tt_fail(err, TT_ERR_PARSE, "'%s': tensor 'token_embd.weight' is missing", f->path);
    int64_t n_vocab = (int64_t)te->ne[1];
    int prec = lp ? lp->precision : -1;
    out->precision = prec;
    int64_t w = 0;
    uint32_t ty;
    char name[96];
    w += matrix_bytes(f, "token_embd.weight", prec, c.n_embd, NULL);
    int kvd = c.n_head_kv * c.head_dim;
    uint32_t types[5] = {0};   /* qkv, out, up, down, output: the matmul types */
    for (int l = 0; l < c.n_layer; l++) {
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        w += vector_bytes(f, name);
        snprintf(name, sizeof name, "blk.%d.attn_qkv.weight", l);
        int64_t q = matrix_bytes(f, name, prec, c.n_embd, &types[0]);
        if (q) {
            w += q;
            snprintf(name, sizeof name, "blk.%d.attn_qkv.bias", l);
            w += vector_bytes(f, name);
        } else {   /* separate q, k, v: kept, then concatenated (a second copy) */
            static const char *part[3] = {"q", "k", "v"};
            for (int i = 0; i < 3; i++) {
                snprintf(name, sizeof name, "blk.%d.attn_%s.weight", l, part[i]);
                q += matrix_bytes(f, name, prec, c.n_embd, &types[0]);
                snprintf(name, sizeof name, "blk.%d.attn_%s.bias", l, part[i]);
                w += 2 * vector_bytes(f, name);
            }
            w += 2 * q;
        }
        snprintf(name, sizeof name, "blk.%d.attn_output.weight", l);
        w += matrix_bytes(f, name, prec, c.n_embd, &types[1]);
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", l);
        w += vector_bytes(f, name);
        snprintf(name, sizeof name, "blk.%d.ffn_up.weight", l);
        w += matrix_bytes(f, name, prec, c.n_embd, &types[2]);
        snprintf(name, sizeof name, "blk.%d.ffn_down.weight", l);
        w += matrix_bytes(f, name, prec, c.n_ff, &types[3]);
    }
    w += vector_bytes(f, "output_norm.weight");
    w += matrix_bytes(f, "output.weight", prec, c.n_embd, &types[4]);
    (void)ty;
    out->weights_bytes = w;

    int n_ctx = lp && lp->n_ctx > 0 ? lp->n_ctx : (c.n_ctx_train < 4096 ? c.n_ctx_train : 4096);
    int n_batch = lp && lp->n_batch > 0 ? lp->n_batch : 512;
    if (n_batch > n_ctx) n_batch = n_ctx;
    int n_threads = lp && lp->n_threads > 0 ? lp->n_threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n_threads <= 0) n_threads = 1;
    if (n_threads > 256) n_threads = 256;
    out->n_ctx = n_ctx;
    out->n_batch = n_batch;
    out->n_threads = n_threads;
    out->kv_bytes = 2 * (int64_t)c.n_layer * n_ctx * kvd * (glm_kv_f16() ? 2 : 4);

    /* model.c alloc_state */
    int64_t B = n_batch, s = 0;
    s += B * c.n_embd * 4 * 4;                 /* x, xb, att_out, proj */
    s += B * (c.n_embd + 2 * kvd) * 4;         /* qkv */
    s += B * 2 * c.n_ff * 4 + B * c.n_ff * 4;  /* ffh, ffa */
    s += (int64_t)n_threads * n_ctx * 4 * 2;   /* att, rows */
    s += B * n_vocab * 4;                      /* logits */
    size_t mm = 0;
    int n_in[5] = {c.n_embd, c.n_embd, c.n_embd, c.n_ff, c.n_embd};
    for (int i = 0; i < 5; i++) {
        size_t need = glm_matmul_scratch(types[i], n_in[i], n_batch);
        if (need > mm) mm = need;
    }
    s += (int64_t)mm;
    out->scratch_bytes = s;
    out->tokenizer_bytes = tokenizer_bytes(f);
    out->other_bytes = (int64_t)n_ctx * 4;     /* glm_engine.c: cached */
    out->total_bytes = out->weights_bytes + out->kv_bytes + out->scratch_bytes + out->tokenizer_bytes + out->other_bytes;
    return TT_OK;
}

int glm_plan_file(const char *path, const glm_load_params *lp, glm_plan *out, char *err)
{
    gguf_file *f;
    int rc = gguf_open(path, &f, err);
    if (rc) return rc;
    rc = glm_plan_memory(f, lp, out, err);
    gguf_close(f);
    return rc;
}

/* "3.51 GB", or "117.4 MB" below a gigabyte (the tiny model's plan is
 * not all zeros). Decimal units, as TIANTI_MEM_LIMIT's K/M/G. */
typedef struct size_text { char s[32]; } size_text;
static size_text sz(int64_t b)
{
    size_text t;
    if (b >= 1000000000) snprintf(t.s, sizeof t.s, "%.2f GB", (double)b / 1e9);
    else snprintf(t.s, sizeof t.s, "%.1f MB", (double)b / 1e6);
    return t;
}

void glm_plan_format(const glm_plan *p, char *out, size_t n)
{
    snprintf(out, n, "weights %s + KV %s (context %d) + scratch %s + tokenizer %s = %s", sz(p->weights_bytes).s,
             sz(p->kv_bytes).s, p->n_ctx, sz(p->scratch_bytes).s, sz(p->tokenizer_bytes + p->other_bytes).s,
             sz(p->total_bytes).s);
}

/* The refusal: what needs how much, against a limit said by `against`
 * ("this machine has X available", "TIANTI_MEM_LIMIT allows X"). */
static int refuse(const glm_plan *p, const char *what, const char *against, const char *hint, char *err)
{
    char line[256];
    glm_plan_format(p, line, sizeof line);
    return tt_fail(err, TT_ERR_NOMEM, "%s needs %s (%s) but %s: choose a smaller precision or context (--ctx-size)%s",
                   what, sz(p->total_bytes).s, line, against, hint);
}

int glm_plan_check(const glm_plan *p, int64_t avail_bytes, const char *what, char *err)
{
    if (avail_bytes < 0 || p->total_bytes <= avail_bytes) return TT_OK;
    char against[64];
    snprintf(against, sizeof against, "this machine has %s available", sz(avail_bytes).s);
    return refuse(p, what, against, "", err);
}

int glm_plan_check_machine(const glm_plan *p, const char *what, char *err)
{
    int64_t limit = tt_mem_limit_bytes();
    if (limit == -2)
        return tt_fail(err, TT_ERR_USAGE, "TIANTI_MEM_LIMIT='%.80s' is not a size (e.g. 8G, 512M, 1073741824)",
                       getenv("TIANTI_MEM_LIMIT"));
    int64_t avail = tt_mem_available_bytes();
    if (limit < 0 || (avail >= 0 && avail <= limit)) return glm_plan_check(p, avail, what, err);
    if (p->total_bytes <= limit) return TT_OK;
    char against[64];
    snprintf(against, sizeof against, "TIANTI_MEM_LIMIT allows %s", sz(limit).s);
    return refuse(p, what, against, ", or raise the limit", err);
}
