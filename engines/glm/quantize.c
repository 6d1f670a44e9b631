/*
 * quantize.c — converts a GGUF model file to another weight type (the work
 * behind `tianti quantize`, cli/cmd_quantize.c).
 *
 * Every metadata key is copied verbatim except general.file_type and
 * general.quantization_version, which are rewritten. Every tensor with two
 * or more dimensions whose rows fit the target's block size is converted
 * (dequantize to f32, then the reference quantizer of quant.c); 1-D tensors
 * (norms, biases) are written as f32. Same rule as model.c's load-time
 * conversion, so `glm:F@q4_0` and a file made by this agree bit for bit.
 */
#include "engines/glm/quantize.h"
#include "engines/glm/gguf.h"
#include "engines/glm/quant.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static uint32_t file_type_for(uint32_t t)
{
    switch (t) {
    case GLM_TYPE_F16: return 1;
    case GLM_TYPE_Q4_0: return 2;
    case GLM_TYPE_Q8_0: return 7;
    default: return 0;
    }
}

int glm_quantize_file(const char *in, const char *out, uint32_t type, char *err)
{
    const glm_type_traits *dt = glm_type_get(type);
    if (!dt) return tt_fail(err, TT_ERR_USAGE, "unknown target type %u", type);
    gguf_file *f;
    int rc = gguf_open(in, &f, err);
    if (rc) return rc;
    gguf_writer *w = gguf_writer_new();
    for (uint64_t i = 0; i < f->n_kv; i++) {
        const char *k = f->kv[i].key;
        if (strcmp(k, "general.file_type") == 0 || strcmp(k, "general.quantization_version") == 0) continue;
        gguf_writer_copy_kv(w, &f->kv[i], f);
    }
    gguf_writer_add_u32(w, "general.file_type", file_type_for(type));
    if (dt->blck_size > 1) gguf_writer_add_u32(w, "general.quantization_version", 2);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        const glm_type_traits *st = glm_type_get(t->type);
        int64_t row = (int64_t)t->ne[0];
        uint64_t nrows = t->ne[1] * t->ne[2] * t->ne[3];
        uint32_t target = t->n_dims >= 2 && row % dt->blck_size == 0 ? type : GLM_TYPE_F32;
        if (target == t->type) {
            gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data, (size_t)t->nbytes);
            continue;
        }
        size_t sr = glm_row_size(t->type, row), dr = glm_row_size(target, row);
        uint8_t *buf = tt_malloc(dr * (size_t)nrows);
        float *tmp = tt_malloc((size_t)row * sizeof(float));
        for (uint64_t r = 0; r < nrows; r++) {
            st->to_float((const uint8_t *)t->data + r * sr, tmp, row);
            glm_type_get(target)->from_float_ref(tmp, buf + r * dr, row);
        }
        gguf_writer_add_tensor(w, t->name, target, t->n_dims, t->ne, buf, dr * (size_t)nrows);
        free(tmp);
        free(buf);
    }
    rc = gguf_writer_write(w, out, err);
    gguf_writer_free(w);
    gguf_close(f);
    return rc;
}
