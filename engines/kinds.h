/*
 * kinds.h — the open functions of every engine kind, for the table in
 * engine.c. Each is implemented in its own folder or file under engines/.
 */
#ifndef TIANTI_ENGINE_KINDS_H
#define TIANTI_ENGINE_KINDS_H

#include "engines/engine.h"

int replay_open(const engine_spec *spec, const engine_options *opt, engine **out, char *err);
/* engines/glm/glm_engine.c: glm:FILE.gguf[@f32|f16|q8_0|q4_0]; the names are
 * glm_precisions (engine.c), which must be types of engines/glm/quant.c. */
int glm_open(const engine_spec *spec, const engine_options *opt, engine **out, char *err);
/* The precision of a GGUF file's weights as a glm precision name ("f32"). */
int glm_file_precision(const char *path, char *out, size_t n, char *err);
/* engines/http/ */
int openai_open(const engine_spec *spec, const engine_options *opt, engine **out, char *err);
int chatglm_open(const engine_spec *spec, const engine_options *opt, engine **out, char *err);
int visualglm_open(const engine_spec *spec, const engine_options *opt, engine **out, char *err);

extern const char *const glm_precisions[];

#endif
