/*
 * arena_test_util.h — helpers shared by the tests/unit/test_arena_*.c
 * programs: building battle lists, loading the committed synthetic data
 * and its NumPy reference (tests/tools/arena_reference.py).
 */
#ifndef TIANTI_ARENA_TEST_UTIL_H
#define TIANTI_ARENA_TEST_UTIL_H

#include "arena/battles.h"
#include "core/util.h"

#include <jansson.h>
#include <stdlib.h>

/* Adds `count` copies of one battle with consecutive timestamps. */
static inline void add_n(arena_battles *l, const char *a, const char *b, judge_winner w, int count)
{
    for (int i = 0; i < count; i++) arena_battles_add(l, a, b, w, (double)l->n, NULL, NULL);
}

static inline char *source_path(const char *rel)
{
    const char *dir = getenv("TIANTI_SOURCE_DIR");
    return tt_path_join(dir ? dir : ".", rel);
}

/* Loads tests/data/arena/synthetic.jsonl into l; fails the test on error. */
static inline void load_synthetic(arena_battles *l)
{
    char err[TT_ERR_SIZE];
    char *p = source_path("tests/data/arena/synthetic.jsonl");
    int rc = arena_battles_read_file(l, p, err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, TT_OK);
    free(p);
}

/* The reference JSON object; caller json_decref()s. */
static inline json_t *load_reference(void)
{
    char *p = source_path("tests/data/arena/synthetic_reference.json");
    json_error_t je;
    json_t *ref = json_load_file(p, 0, &je);
    if (!ref) fprintf(stderr, "%s: %s\n", p, je.text);
    assert_non_null(ref);
    free(p);
    return ref;
}

static inline double ref_num(json_t *ref, const char *key, size_t i)
{
    json_t *v = json_array_get(json_object_get(ref, key), i);
    assert_non_null(v);
    return json_number_value(v);
}

static inline const char *ref_model(json_t *ref, size_t i)
{
    return json_string_value(json_array_get(json_object_get(ref, "models"), i));
}

#endif
