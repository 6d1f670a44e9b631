/*
 * test_registry.c — engines/registry.c: models.json names and settings;
 * a mistyped name gets the nearest registry name, an lm-eval model type a
 * pointer to what Tianti does instead, a mistyped setting the nearest
 * setting; --model_args (registry_model_apply) with lm-eval's names for
 * the same settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "engines/registry.h"

static char *write_registry(const char *text)
{
    char *path = strdup("/tmp/tianti-registry-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_names_settings_and_near_misses(void **state)
{
    (void)state;
    char *path = write_registry("{\"models\": {\"tiny-f32\": {\"spec\": \"glm:m.gguf@f32\", \"threads\": 2,"
                                " \"max_retries\": 1, \"base_url\": \"http://h/v1\"},"
                                " \"typo\": {\"spec\": \"openai:x\", \"max_retires\": 1}}}");
    registry *r;
    char err[TT_ERR_SIZE];
    assert_int_equal(registry_load(path, 0, &r, err), TT_OK);
    registry_model m;
    assert_int_equal(registry_resolve(r, "tiny-f32", &m, err), TT_OK);
    assert_string_equal(m.spec, "glm:m.gguf@f32");
    assert_int_equal(m.options.threads, 2);
    assert_int_equal(m.options.max_retries, 1);
    assert_string_equal(m.options.base_url, "http://h/v1");
    registry_model_clear(&m);
    /* a spec is its own name */
    assert_int_equal(registry_resolve(r, "replay:x.jsonl", &m, err), TT_OK);
    assert_string_equal(m.spec, "replay:x.jsonl");
    registry_model_clear(&m);
    /* a mistyped name: a usage error naming the nearest */
    assert_int_equal(registry_resolve(r, "tiny-f3", &m, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "did you mean 'tiny-f32'?"));
    /* lm-eval's model types say what to use instead */
    assert_int_equal(registry_resolve(r, "hf", &m, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "lm-evaluation-harness model type"));
    /* a mistyped setting in the file: an error naming the file and the fix */
    assert_int_equal(registry_resolve(r, "typo", &m, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "did you mean 'max_retries'?"));
    registry_free(r);
    unlink(path);
    free(path);
}

static void test_model_args_over_registry(void **state)
{
    (void)state;
    registry_model m;
    char err[TT_ERR_SIZE];
    assert_int_equal(registry_resolve(NULL, "openai:x", &m, err), TT_OK);
    json_t *args = json_pack("{s:s, s:i, s:f, s:i}", "base_url", "http://127.0.0.1:9/v1", "num_concurrent", 4,
                             "timeout", 2.5, "max_retries", 0);
    assert_int_equal(registry_model_apply(&m, args, "--model_args", err), TT_OK);
    assert_string_equal(m.options.base_url, "http://127.0.0.1:9/v1");
    assert_int_equal(m.options.max_concurrency, 4);   /* lm-eval's num_concurrent */
    assert_true(m.options.timeout_s == 2.5);          /* lm-eval's timeout */
    assert_int_equal(m.options.max_retries, 0);
    /* recorded with the model, under Tianti's names */
    assert_non_null(strstr(m.params_json, "\"max_concurrency\":4"));
    json_decref(args);
    /* wrong types and unknown keys are usage errors */
    args = json_pack("{s:s}", "threads", "many");
    assert_int_equal(registry_model_apply(&m, args, "--model_args", err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "--model_args: 'threads' must be a number"));
    json_decref(args);
    args = json_pack("{s:s}", "api_key", "sk-secret");
    assert_int_equal(registry_model_apply(&m, args, "--model_args", err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "did you mean 'api_key_env'?"));
    assert_null(strstr(err, "sk-secret"));   /* a key never reaches a message */
    json_decref(args);
    registry_model_clear(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_settings_and_near_misses),
        cmocka_unit_test(test_model_args_over_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
