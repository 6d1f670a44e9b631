/*
 * quantize.h — whole-file GGUF type conversion (see quantize.c). Called by
 * cli/cmd_quantize.c and tests.
 */
#ifndef TIANTI_GLM_QUANTIZE_H
#define TIANTI_GLM_QUANTIZE_H

#include <stdint.h>

/* Writes `out`: `in` with its weight matrices converted to type (GLM_TYPE_*). */
int glm_quantize_file(const char *in, const char *out, uint32_t type, char *err);

#endif
