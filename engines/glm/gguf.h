/*
 * gguf.h — GGUF (v2, v3) reader and writer.
 *
 * The reader maps the file read-only and checks every count, length, type
 * and offset against the file before it is used, so a malformed, truncated
 * or hostile file is refused with a message naming the file and field,
 * never read out of bounds. Metadata values of every type are parsed,
 * nested arrays included; the engine reads them with the typed accessors
 * below. Tensor infos get their byte size and a pointer into the map.
 *
 * The writer builds a file in memory order (header, metadata, tensor infos,
 * aligned data) and is used by `tianti quantize` and by tests to make tiny
 * models and broken files.
 *
 * Who calls it: model.c, tokenizer.c, glm_engine.c, cli/cmd_quantize.c,
 * tests/perf/perf_glm.c, tests/unit/test_gguf.c, tests/fuzz/fuzz_gguf.c.
 */
#ifndef TIANTI_GLM_GGUF_H
#define TIANTI_GLM_GGUF_H

#include <stddef.h>
#include <stdint.h>

enum gguf_vtype {
    GGUF_UINT8 = 0, GGUF_INT8 = 1, GGUF_UINT16 = 2, GGUF_INT16 = 3,
    GGUF_UINT32 = 4, GGUF_INT32 = 5, GGUF_FLOAT32 = 6, GGUF_BOOL = 7,
    GGUF_STRING = 8, GGUF_ARRAY = 9, GGUF_UINT64 = 10, GGUF_INT64 = 11,
    GGUF_FLOAT64 = 12
};

#define GGUF_MAGIC 0x46554747u        /* "GGUF" read as a little-endian u32 */
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_DIMS 4
#define GGUF_MAX_NAME 64

typedef struct gguf_kv {
    char *key;                 /* NUL-terminated copy (owned by the file) */
    uint32_t type;             /* enum gguf_vtype */
    const uint8_t *value;      /* the value's bytes in the map */
    size_t value_size;         /* bytes of the value (array header included) */
    /* arrays (type == GGUF_ARRAY) */
    uint32_t arr_type;         /* element type */
    uint64_t arr_n;            /* element count */
    const uint8_t *arr_data;   /* first element */
    const uint8_t **arr_items; /* string arrays: each element's start (owned); else NULL */
} gguf_kv;

typedef struct gguf_tensor {
    char name[GGUF_MAX_NAME + 1];
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS];  /* ggml order: ne[0] is the row length; unused dims are 1 */
    uint32_t type;               /* ggml_type id (F32, F16, Q4_0, Q8_0 are accepted) */
    uint64_t offset;             /* relative to the data section */
    uint64_t nbytes;
    const void *data;            /* into the map */
} gguf_tensor;

typedef struct gguf_file {
    char *path;                /* owned */
    const uint8_t *base;       /* the bytes (mapped, or lent to gguf_parse) */
    size_t size;
    int mapped;
    uint32_t version;
    uint64_t alignment;
    uint64_t n_kv;
    gguf_kv *kv;               /* [n_kv] */
    uint64_t n_tensors;
    gguf_tensor *tensors;      /* [n_tensors] */
    uint64_t data_offset;      /* start of the tensor data section */
} gguf_file;

/* Maps and parses path. On success *out is owned by the caller; free with
 * gguf_close(). Errors: TT_ERR_IO, TT_ERR_PARSE, TT_ERR_UNSUPPORTED. */
int gguf_open(const char *path, gguf_file **out, char *err);
/* Parses bytes the caller keeps alive until gguf_close() (name is used in
 * messages). */
int gguf_parse(const void *data, size_t size, const char *name, gguf_file **out, char *err);
void gguf_close(gguf_file *f);   /* NULL is fine */
/* Drops the pages wholly inside [p, p + n) of a mapped file from this
 * process's resident set (they are read again from the file if touched):
 * for tensor data that was converted and is never read again, so that
 * loading q4_0 from an f32 file keeps no f32 copy resident. No-op when the
 * file is not mapped or p is outside it. */
void gguf_release(const gguf_file *f, const void *p, size_t n);

/* ---- metadata access --------------------------------------------------- */
const gguf_kv *gguf_find(const gguf_file *f, const char *key);   /* NULL if absent */
const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name);
const char *gguf_type_name(uint32_t vtype);
const char *gguf_ggml_type_name(uint32_t ggml_type);   /* "q4_k", "?" when unknown */

/* Scalars. Each returns TT_OK, TT_ERR_NOTFOUND when the key is absent, or
 * TT_ERR_PARSE (with a message) when the value has an unusable type. Any
 * integer type is accepted for _uint (negative refused); float32/float64 and
 * integers for _float. */
int gguf_get_uint(const gguf_file *f, const char *key, uint64_t *v, char *err);
int gguf_get_float(const gguf_file *f, const char *key, double *v, char *err);
int gguf_get_bool(const gguf_file *f, const char *key, int *v, char *err);
/* String value (not NUL-terminated) or NULL when absent / not a string. */
const char *gguf_get_str(const gguf_file *f, const char *key, size_t *len);

/* Array elements (kv->type == GGUF_ARRAY, i < arr_n). */
const char *gguf_arr_str(const gguf_kv *kv, uint64_t i, size_t *len);   /* NULL if not strings */
/* Numeric element as double; 0 when the element type is not numeric. */
double gguf_arr_num(const gguf_kv *kv, uint64_t i);

/* ---- writer -------------------------------------------------------------- */
typedef struct gguf_writer gguf_writer;

gguf_writer *gguf_writer_new(void);          /* caller frees with gguf_writer_free */
void gguf_writer_free(gguf_writer *w);
void gguf_writer_set_alignment(gguf_writer *w, uint32_t alignment); /* also writes general.alignment */
void gguf_writer_add_u32(gguf_writer *w, const char *key, uint32_t v);
void gguf_writer_add_u64(gguf_writer *w, const char *key, uint64_t v);
void gguf_writer_add_i32(gguf_writer *w, const char *key, int32_t v);
void gguf_writer_add_f32(gguf_writer *w, const char *key, float v);
void gguf_writer_add_bool(gguf_writer *w, const char *key, int v);
void gguf_writer_add_str(gguf_writer *w, const char *key, const char *v);
void gguf_writer_add_arr_str(gguf_writer *w, const char *key, const char *const *v, uint64_t n);
void gguf_writer_add_arr_f32(gguf_writer *w, const char *key, const float *v, uint64_t n);
void gguf_writer_add_arr_i32(gguf_writer *w, const char *key, const int32_t *v, uint64_t n);
/* Copies a key/value from a parsed file verbatim (any type). */
void gguf_writer_copy_kv(gguf_writer *w, const gguf_kv *kv, const gguf_file *from);
/* Adds a tensor; data (nbytes) is copied. dims in ggml order. */
void gguf_writer_add_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                            const uint64_t *dims, const void *data, size_t nbytes);
/* Adds a tensor of nbytes whose data is produced while writing, by
 * gguf_writer_stream's fill, in chunks that are multiples of granule (a row,
 * say) — for files larger than memory (`tianti synth`). */
void gguf_writer_add_tensor_streamed(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                                     const uint64_t *dims, size_t nbytes, size_t granule);
/* Fills buf with bytes [offset, offset + n) of streamed tensor `tensor`
 * (its index in the order added); TT_OK or an error with err set. */
typedef int (*gguf_fill_fn)(void *user, size_t tensor, size_t offset, void *buf, size_t n, char *err);
/* Writes to path with bounded memory: the header, then each tensor's data,
 * copied or produced by fill. A failed write removes the file. */
int gguf_writer_stream(gguf_writer *w, const char *path, gguf_fill_fn fill, void *user, char *err);
/* Serialises to memory (caller frees *out) or to a file. */
void gguf_writer_to_memory(gguf_writer *w, uint8_t **out, size_t *len);
int gguf_writer_write(gguf_writer *w, const char *path, char *err);

#endif
