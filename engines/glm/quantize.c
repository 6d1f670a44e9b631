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
 * The output is written as it is produced, a few rows at a time: memory
 * stays bounded whatever the model's size.
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

/* What the writer's fill needs: the source file and, per output tensor,
 * its source tensor and target type. */
typedef struct convert_ctx {
    const gguf_file *f;
    uint32_t *target;     /* per tensor */
    float *row;           /* one source row as f32 */
    size_t row_cap;
} convert_ctx;

/* Produces bytes [offset, offset + n) of output tensor i: whole rows of
 * the target type (the writer asks in multiples of the granule, a row). */
static int fill_converted(void *user, size_t i, size_t offset, void *buf, size_t n, char *err)
{
    (void)err;
    convert_ctx *c = user;
    const gguf_tensor *t = &c->f->tensors[i];
    uint32_t target = c->target[i];
    if (target == t->type) {   /* kept as it is */
        memcpy(buf, (const uint8_t *)t->data + offset, n);
        return TT_OK;
    }
    int64_t row = (int64_t)t->ne[0];
    size_t sr = glm_row_size(t->type, row), dr = glm_row_size(target, row);
    if ((size_t)row > c->row_cap) {
        free(c->row);
        c->row = tt_malloc((size_t)row * sizeof(float));
        c->row_cap = (size_t)row;
    }
    const glm_type_traits *st = glm_type_get(t->type), *dt = glm_type_get(target);
    for (size_t r = offset / dr, k = 0; k < n / dr; r++, k++) {
        st->to_float((const uint8_t *)t->data + r * sr, c->row, row);
        dt->from_float_ref(c->row, (uint8_t *)buf + k * dr, row);
    }
    return TT_OK;
}

/* Streams the converted tensors row by row (gguf_writer_stream), so that
 * memory stays bounded whatever the sizes: converting ChatGLM-6B's shape
 * to f32 writes 25 GB on a 24 GB machine. */
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
    convert_ctx c = {f, tt_malloc((size_t)(f->n_tensors ? f->n_tensors : 1) * sizeof(uint32_t)), NULL, 0};
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        int64_t row = (int64_t)t->ne[0];
        uint64_t nrows = t->ne[1] * t->ne[2] * t->ne[3];
        uint32_t target = t->n_dims >= 2 && row % dt->blck_size == 0 ? type : GLM_TYPE_F32;
        c.target[i] = target;
        if (target == t->type) {
            gguf_writer_add_tensor_streamed(w, t->name, t->type, t->n_dims, t->ne, (size_t)t->nbytes, 1);
        } else {
            size_t dr = glm_row_size(target, row);
            gguf_writer_add_tensor_streamed(w, t->name, target, t->n_dims, t->ne, dr * (size_t)nrows, dr);
        }
    }
    rc = gguf_writer_stream(w, out, fill_converted, &c, err);
    free(c.row);
    free(c.target);
    gguf_writer_free(w);
    gguf_close(f);
    return rc;
}
