/*
 * glm_engine.h — what the built-in GLM engine (glm_engine.c) offers beyond
 * engines/engine.h: access to the loaded model and tokenizer of an opened
 * `glm:` engine, for `tianti bench` (bench/bench.c), which times prompt
 * processing and generation at the model level (engines/glm/timing.h) so
 * tokenization and sampling stay out of the figures; and the switch and
 * counters of the KV prefix reuse (tests, tests/perf/perf_glm.c).
 */
#ifndef TIANTI_GLM_ENGINE_H
#define TIANTI_GLM_ENGINE_H

#include "engines/engine.h"
#include "engines/glm/model.h"

/* The model behind e, or NULL when e is not a glm engine. Borrowed: valid
 * until engine_close(e). The caller must not run requests on e while it
 * uses the model directly. */
glm_model *glm_engine_model(engine *e);

/* Prefix reuse (glm_engine.c): on, a request runs only from the first
 * token that differs from what the KV cache holds; off, every request runs
 * from position 0 (the baseline the benchmark compares against). Default
 * on, or off when TIANTI_GLM_PREFIX_REUSE=0 at open. No effect on an
 * engine of another kind. Safe while other threads send requests. */
void glm_engine_set_prefix_reuse(engine *e, int on);
/* Batching of loglikelihood requests sent together (engine_complete_batch):
 * on, they share forward passes (same scores); off, one at a time. Default
 * on, or off when TIANTI_GLM_BATCH=0 at open. As the switch above. */
void glm_engine_set_batching(engine *e, int on);
/* Requests answered in batches of two or more since open (0 for an engine
 * of another kind). */
int64_t glm_engine_batched_requests(engine *e);
/* Input tokens not run because the KV cache or another request of the
 * same batch had them (*reused), and tokens run through the model (*run),
 * since open; both 0 for an engine of another kind. */
void glm_engine_prefix_stats(engine *e, int64_t *reused, int64_t *run);

#endif
