/*
 * timing.h — llama-bench style timing of the GLM forward pass: prompt
 * processing (pp: n tokens in batches of n_batch from position 0) and text
 * generation (tg: n tokens one at a time from position 0), with no
 * tokenization and no sampling. Used by bench/bench.c (`tianti bench`)
 * and tests/perf/perf_glm.c.
 */
#ifndef TIANTI_GLM_TIMING_H
#define TIANTI_GLM_TIMING_H

#include "engines/glm/model.h"

#include <stdint.h>

/* n token ids drawn uniformly below the model's vocabulary (seeded).
 * Caller frees. */
int *glm_timing_tokens(const glm_model *m, int n, uint64_t seed);

/* Runs tokens[0..n) as a prompt (batches of m->n_batch) and stores the
 * elapsed seconds. n must fit the context. */
int glm_time_pp(glm_model *m, const int *tokens, int n, double *seconds, char *err);
/* Runs tokens[0..n) one forward call each, as generation does. */
int glm_time_tg(glm_model *m, const int *tokens, int n, double *seconds, char *err);

#endif
