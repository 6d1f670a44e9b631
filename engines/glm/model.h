/*
 * model.h — the GLM (llama.cpp `chatglm` architecture) transformer:
 * config from GGUF metadata, weights from GGUF tensors, run state with the
 * KV cache, and forward().
 *
 * Read in execution order: glm_model_load() fills glm_config from the
 * chatglm.* keys, maps (or converts) the weights, moves the matrices onto
 * huge pages and packs them (hugepages.h, ops.h), allocates glm_state;
 * glm_forward() runs a batch of tokens at consecutive positions and returns
 * logits. Kernels live in ops.c; this file only knows the architecture:
 *   x = token_embd[tok]
 *   per layer: h = rmsnorm(x)·attn_norm; qkv = h·Wqkv + b; rope(q, k);
 *              x += attn(q, K, V)·Wo;  h = rmsnorm(x)·ffn_norm;
 *              x += (silu(h·Wup[:ff]) * h·Wup[ff:])·Wdown
 *   logits = (rmsnorm(x)·output_norm)·Wout
 *
 * Precision: weight matrices (token_embd included) are converted at load to
 * the requested type when the file's differs; norms and biases are always
 * f32. Who calls it: glm_engine.c, tests/perf/perf_glm.c, tests.
 */
#ifndef TIANTI_GLM_MODEL_H
#define TIANTI_GLM_MODEL_H

#include "engines/glm/gguf.h"
#include "engines/glm/ops.h"

#include <stddef.h>
#include <stdint.h>

typedef struct glm_config {
    int n_ctx_train;   /* chatglm.context_length */
    int n_embd;        /* chatglm.embedding_length */
    int n_ff;          /* chatglm.feed_forward_length (unfused) */
    int n_layer;       /* chatglm.block_count */
    int n_head;        /* chatglm.attention.head_count */
    int n_head_kv;     /* chatglm.attention.head_count_kv */
    int head_dim;      /* n_embd / n_head */
    int n_rot;         /* chatglm.rope.dimension_count */
    float eps;         /* chatglm.attention.layer_norm_rms_epsilon */
    float freq_base;   /* chatglm.rope.freq_base */
    int n_vocab;       /* rows of token_embd */
} glm_config;

/* A weight matrix of n_out rows, each n_in elements of `type`, row-major. */
typedef struct glm_weight {
    const void *data;
    uint32_t type;
    int n_in, n_out;
    int packed;                 /* rows repacked for the kernels in use (ops.h, glm_pack_rows) */
} glm_weight;

typedef struct glm_layer {
    const float *attn_norm;     /* (n_embd) */
    glm_weight attn_qkv;        /* (n_embd + 2*n_embd_kv rows, n_embd): Q | K | V */
    const float *attn_qkv_b;    /* (n_embd + 2*n_embd_kv), NULL = none */
    glm_weight attn_output;     /* (n_embd rows, n_embd) */
    const float *ffn_norm;      /* (n_embd) */
    glm_weight ffn_up;          /* (2*n_ff rows, n_embd): gate | up */
    glm_weight ffn_down;        /* (n_embd rows, n_ff) */
} glm_layer;

typedef struct glm_weights {
    glm_weight token_embd;      /* (n_vocab rows, n_embd) */
    glm_layer *layers;          /* [n_layer] */
    const float *output_norm;   /* (n_embd) */
    glm_weight output;          /* (n_vocab rows, n_embd) */
} glm_weights;

typedef struct glm_state {
    float *x;          /* (n_batch, n_embd) residual stream */
    float *xb;         /* (n_batch, n_embd) normed input of a block */
    float *qkv;        /* (n_batch, n_embd + 2*n_embd_kv) */
    float *att_out;    /* (n_batch, n_embd) attention output before Wo */
    float *proj;       /* (n_batch, n_embd) output of Wo / Wdown */
    float *ffh;        /* (n_batch, 2*n_ff) gate | up */
    float *ffa;        /* (n_batch, n_ff) swiglu */
    float *att;        /* (n_threads, n_ctx) attention scores */
    int *rows;         /* (n_threads, n_ctx) a token's path through the cache (glm_forward_batch) */
    float *logits;     /* (n_batch, n_vocab) */
    void *mm_scratch;  /* converted activations for matmul */
    void *k_cache;     /* (n_layer, n_ctx, n_embd_kv), f32 or f16 (kv_f16) */
    void *v_cache;     /* (n_layer, n_ctx, n_embd_kv) */
} glm_state;

typedef struct glm_model {
    glm_config cfg;
    glm_weights w;
    glm_state s;
    gguf_file *file;          /* kept open: weights may point into its map */
    glm_pool *pool;
    int n_ctx, n_batch;
    int precision;            /* weight type in use, -1 = mixed as in the file */
    void **owned;             /* converted weight buffers */
    int n_owned, cap_owned;
    void *placed;             /* the matrices the products read, on huge pages (hugepages.h); NULL = not moved */
    size_t placed_bytes;
    int64_t weights_bytes, kv_bytes, scratch_bytes, file_bytes, n_params;
    int kv_f16;        /* keys and values held as fp16 (glm_kv_f16 at load) */
} glm_model;

/* 1 when TIANTI_GLM_KV=f16 asks for an fp16 KV cache (half the memory;
 * llama.cpp's default type), 0 for f32 (the default here: the engine's
 * numbers stay those of the f32 reference). Read at load and by the
 * memory planner. */
int glm_kv_f16(void);

typedef struct glm_load_params {
    int precision;     /* GLM_TYPE_*, or -1 = keep the file's types */
    int n_ctx;         /* <= 0: the model's context_length (capped at 4096) */
    int n_batch;       /* <= 0: 512 */
    int n_threads;     /* <= 0: all cores */
} glm_load_params;

/* The chatglm.* hyperparameters of f (n_vocab stays 0: it is token_embd's
 * row count, read with the weights). */
int glm_config_read(const gguf_file *f, glm_config *c, char *err);
/* Loads path. *out is owned by the caller; free with glm_model_free(). */
int glm_model_load(const char *path, const glm_load_params *lp, glm_model **out, char *err);
/* Same from an already parsed file; f passes to the model, also on failure. */
int glm_model_from_gguf(gguf_file *f, const glm_load_params *lp, glm_model **out, char *err);
void glm_model_free(glm_model *m);

/* Runs n (1..n_batch) tokens at positions pos..pos+n-1, using and filling
 * the KV cache. *logits points into the state: n rows of n_vocab when
 * want_all, else the last token's row. Valid until the next call. */
int glm_forward(glm_model *m, const int *tokens, int n, int pos, int want_all, const float **logits, char *err);
/* A batch of tokens from several sequences at once (independent requests,
 * or the branches of a shared prefix, glm_engine.c): token t sits at
 * position pos[t] of its sequence and stores its keys and values in cache
 * row cell[t]; the token before it is batch token parent[t] (< t, at
 * pos[t] - 1), or with parent[t] = -1 cache rows 0..pos[t]-1 hold its
 * sequence's earlier tokens. Tokens 0..n_grouped go through the matrix
 * kernels for groups of four, the rest one at a time (glm_matmul_grouped).
 * A token's numbers are those it gets in glm_forward run on its sequence
 * alone, when it meets the same kernel there: every kernel computes a
 * token's row by itself, and attention walks the token's path through the
 * cache in position order. */
typedef struct glm_batch {
    const int *tokens, *pos, *cell, *parent;
    int n, n_grouped;
} glm_batch;
/* Runs b (1..n_batch tokens, distinct cells); *logits: a row of n_vocab per
 * token, valid until the next call. */
int glm_forward_batch(glm_model *m, const glm_batch *b, const float **logits, char *err);
/* The final normed hidden states (output_norm applied, before the output
 * matrix) of the last glm_forward: n rows of n_embd floats with want_all,
 * else the last token's row; valid until the next forward. */
const float *glm_model_hidden(const glm_model *m);

/* Weight bytes read per generated token (all matrices; one embedding row). */
int64_t glm_model_bytes_per_token(const glm_model *m);

#endif
