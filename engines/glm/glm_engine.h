/*
 * glm_engine.h — what the built-in GLM engine (glm_engine.c) offers beyond
 * engines/engine.h: access to the loaded model and tokenizer of an opened
 * `glm:` engine, for `tianti bench` (bench/bench.c), which times prompt
 * processing and generation at the model level (engines/glm/timing.h) so
 * tokenization and sampling stay out of the figures.
 */
#ifndef TIANTI_GLM_ENGINE_H
#define TIANTI_GLM_ENGINE_H

#include "engines/engine.h"
#include "engines/glm/model.h"

/* The model behind e, or NULL when e is not a glm engine. Borrowed: valid
 * until engine_close(e). The caller must not run requests on e while it
 * uses the model directly. */
glm_model *glm_engine_model(engine *e);

#endif
