/*
 * synth.h — random-weight GGUF models with the exact shapes of ChatGLM2-6B,
 * ChatGLM3-6B and GLM-4-9B (`tianti synth`), so that memory and speed at the
 * sizes users ask about are measured without downloading anything.
 *
 * The file is a llama.cpp `chatglm` GGUF (fused QKV with bias, fused
 * gate|up), loadable by llama.cpp as well as by the GLM engine, written
 * streaming (a 6B model needs no more memory than a 16 MB chunk). Weights
 * are random at the target type (quantized blocks drawn directly, values of
 * standard deviation about 0.02), norms 1. The vocabulary has the model's
 * size and its control tokens but synthetic text tokens (the 256 byte
 * tokens, then letter strings built by merges), tokenizer "gpt2" with
 * pre-tokenizer "chatglm-bpe": the shapes are real, the tokens are not.
 *
 * Who calls it: cli/cmd_synth.c, tests/unit/test_glm_synth.c.
 */
#ifndef TIANTI_GLM_SYNTH_H
#define TIANTI_GLM_SYNTH_H

#include <stddef.h>
#include <stdint.h>

typedef struct glm_synth_shape {
    const char *name;     /* "chatglm3-6b" */
    const char *about;    /* where the numbers come from */
    int n_embd, n_ff, n_layer, n_head, n_head_kv, n_vocab, n_ctx_train, n_rot;
    float freq_base;
    int glm4;             /* GLM-4's control tokens ([gMASK]<sop>), else ChatGLM3's ([gMASK]sop) */
} glm_synth_shape;

/* The named shapes; *n set to their count. */
const glm_synth_shape *glm_synth_shapes(size_t *n);
/* A shape by name, NULL when unknown. */
const glm_synth_shape *glm_synth_shape_find(const char *name);
/* Writes path: shape at weight type (GLM_TYPE_F32/F16/Q8_0/Q4_0), random
 * values from seed. */
int glm_synth_write(const glm_synth_shape *shape, uint32_t type, uint64_t seed, const char *path, char *err);

#endif
