/*
 * plan.h — the GLM engine's memory planner: what loading a GGUF at a
 * precision and context will hold resident, predicted from the file's
 * header before anything is loaded, so that a model that cannot fit is
 * refused with the numbers instead of being killed half-way (f32 ChatGLM-6B
 * is 25 GB; this machine has 24).
 *
 * The prediction follows model.c's allocations exactly (weights converted
 * or mapped, the KV cache and the run state, both committed at load), plus
 * the tokenizer's tables and the engine's token record. `tianti bench` prints
 * it next to the measured peak (bench/bench.c), tests/unit/test_glm_plan.c
 * checks it against a loaded model's counters.
 *
 * Who calls it: glm_engine.c (glm_open refuses what does not fit), bench.
 */
#ifndef TIANTI_GLM_PLAN_H
#define TIANTI_GLM_PLAN_H

#include "engines/glm/gguf.h"
#include "engines/glm/model.h"

#include <stdint.h>

typedef struct glm_plan {
    int n_ctx, n_batch, n_threads;
    int precision;              /* GLM_TYPE_* of the weight matrices, -1 = as in the file */
    int64_t weights_bytes;      /* matrices at their type, norms and biases f32 */
    int64_t kv_bytes;           /* K and V, f32 (f16 with TIANTI_GLM_KV=f16), n_layer x n_ctx x n_embd_kv each */
    int64_t scratch_bytes;      /* activations of a batch, logits, attention scores, matmul scratch */
    int64_t tokenizer_bytes;    /* vocabulary and merge tables, the GGUF header pages */
    int64_t other_bytes;        /* the engine's record of cached tokens */
    int64_t total_bytes;        /* the sum */
} glm_plan;

/* Predicts loading f with lp (as glm_model_from_gguf would use it). */
int glm_plan_memory(const gguf_file *f, const glm_load_params *lp, glm_plan *out, char *err);
/* Same from a path (opens the header only; tensor data is not read). */
int glm_plan_file(const char *path, const glm_load_params *lp, glm_plan *out, char *err);
/* TT_OK when plan fits in avail_bytes; else TT_ERR_NOMEM (or the closest
 * code) with the numbers in err. what names the model in the message. */
int glm_plan_check(const glm_plan *p, int64_t avail_bytes, const char *what, char *err);
/* glm_plan_check against this machine: MemAvailable, or TIANTI_MEM_LIMIT
 * when that is set and lower (core/proc.h). A TIANTI_MEM_LIMIT that is no
 * size is a usage error. */
int glm_plan_check_machine(const glm_plan *p, const char *what, char *err);
/* One line: "weights 3.52 GB + KV 0.23 GB + scratch 0.05 GB + tokenizer
 * 0.01 GB = 3.81 GB". */
void glm_plan_format(const glm_plan *p, char *out, size_t n);

#endif
