/*
 * test_registry.c — engines/registry.c: models.json names and settings;
 * a mistyped name gets the nearest registry name, an lm-eval model type a
 * pointer to what Tianti does instead, a mistyped setting the nearest
 * setting; --model_args (registry_model_apply) with lm-eval's names for
 * the same settings. The whole file is checked when loaded: an unknown key
 * anywhere, a wrong type or an out-of-range value is an error naming the
 * file, the model and the key; a FIFO or a device is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    char *path = write_registry("{\"_comment\": \"ours\", \"models\": {\"tiny-f32\": {\"spec\": \"glm:m.gguf@f32\", \"threads\": 2,"
                                " \"max_retries\": 1, \"base_url\": \"http://h/v1\", \"_note\": \"a comment\"}}}");
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
    registry_free(r);
    unlink(path);
    free(path);
}

/* Each mistake, in an entry nobody asks for: the load fails, naming the
 * file, the model and the key. */
static void test_registry_checked_whole_and_strictly(void **state)
{
    (void)state;
    static const struct { const char *entry, *want; } cases[] = {
        {"\"max_retires\": 1", "did you mean 'max_retries'?"},
        {"\"rpm\": -5", "'rpm' is -5; it must be at least 0"},
        {"\"timeout_s\": \"10\"", "'timeout_s' must be a number"},
        {"\"timeout_s\": 0", "'timeout_s' is 0; it must be above 0"},
        {"\"threads\": 2.5", "'threads' must be a whole number"},
        {"\"max_concurrency\": 0", "'max_concurrency' is 0; it must be between 1 and 4096"},
        {"\"max_retries\": 1e9", "'max_retries' is 1e+09; it must be between 0 and 100"},
        {"\"price\": {\"input_per_mtok\": 1, \"output\": 2}", "'price.output' is not a price"},
        {"\"price\": {\"input_per_mtok\": -1}", "'price.input_per_mtok' is -1"},
        {"\"price\": 3", "'price' must be an object"},
        {"\"base_url\": \"ftp://h\"", "not an http:// or https:// URL"},
        {"\"api_key_env\": \"sk-abc def\"", "must name an environment variable"},
        {"\"description\": 7", "'description' must be a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = tt_asprintf("{\"models\": {\"ok\": {\"spec\": \"openai:a\"}, \"bad\": {\"spec\": \"openai:b\", %s}}}",
                                 cases[i].entry);
        char *path = write_registry(text);
        registry *r = NULL;
        char err[TT_ERR_SIZE] = "";
        assert_int_equal(registry_load(path, 0, &r, err), TT_ERR_PARSE);
        assert_null(r);
        printf("# %s -> %s\n", cases[i].entry, err);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "model 'bad'"));
        assert_non_null(strstr(err, cases[i].want));
        assert_null(strstr(err, "sk-abc"));
        unlink(path);
        free(path);
        free(text);
    }
    /* an unknown top-level key, a bad spec */
    char *path = write_registry("{\"models\": {}, \"model\": {}}");
    registry *r = NULL;
    char err[TT_ERR_SIZE];
    assert_int_equal(registry_load(path, 0, &r, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "unknown top-level key 'model'"));
    unlink(path);
    free(path);
    path = write_registry("{\"models\": {\"x\": {\"spec\": \"nosuch:thing\"}}}");
    assert_int_equal(registry_load(path, 0, &r, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "'spec'"));
    unlink(path);
    free(path);
    /* not a regular file: refused at once (a FIFO would wait forever) */
    assert_int_equal(registry_load("/dev/zero", 0, &r, err), TT_ERR_IO);
    assert_non_null(strstr(err, "character device"));
    char fifo[] = "/tmp/tianti-registry-fifo-XXXXXX";
    assert_non_null(mkdtemp(fifo));
    char *fp = tt_asprintf("%s/models.json", fifo);
    assert_int_equal(mkfifo(fp, 0600), 0);
    assert_int_equal(registry_load(fp, 0, &r, err), TT_ERR_IO);
    assert_non_null(strstr(err, "FIFO"));
    unlink(fp);
    rmdir(fifo);
    free(fp);
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
    assert_non_null(strstr(err, "--model_args: 'threads' must be a whole number"));
    json_decref(args);
    args = json_pack("{s:s}", "api_key", "sk-secret");
    assert_int_equal(registry_model_apply(&m, args, "--model_args", err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "did you mean 'api_key_env'?"));
    assert_null(strstr(err, "sk-secret"));   /* a key never reaches a message */
    json_decref(args);
    registry_model_clear(&m);
}

/* Reasoning-model settings reach the engine options; prices read back from
 * the stored settings give the cost: 1000 prompt tokens at $1.10 and 500
 * completion tokens at $4.40 per million = 0.0011 + 0.0022 = 0.0033. */
static void test_reasoning_settings_and_cost(void **state)
{
    (void)state;
    registry_model m;
    char err[TT_ERR_SIZE];
    assert_int_equal(registry_resolve(NULL, "openai:o3-mini", &m, err), TT_OK);
    json_t *args = json_pack("{s:s, s:b, s:s, s:{s:f, s:f}}", "max_tokens_param", "max_completion_tokens",
                             "omit_sampling", 1, "reasoning_effort", "low", "price", "input_per_mtok", 1.10,
                             "output_per_mtok", 4.40);
    assert_int_equal(registry_model_apply(&m, args, "--model_args", err), TT_OK);
    json_decref(args);
    assert_string_equal(m.options.max_tokens_param, "max_completion_tokens");
    assert_int_equal(m.options.omit_sampling, 1);
    assert_string_equal(m.options.reasoning_effort, "low");
    double in, out;
    registry_price_from_params(m.params_json, &in, &out);
    assert_true(in == 1.10 && out == 4.40);
    assert_true(fabs(registry_cost_usd(in, out, 1000, 500) - 0.0033) < 1e-12);
    assert_true(isnan(registry_cost_usd(-1, out, 1000, 500)));   /* no input price: unknown */
    registry_price_from_params(NULL, &in, &out);
    assert_true(in < 0 && out < 0);
    args = json_pack("{s:s}", "max_tokens_param", "max_output_tokens");
    assert_int_equal(registry_model_apply(&m, args, "--model_args", err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "'max_tokens_param' must be"));
    json_decref(args);
    args = json_pack("{s:s}", "omit_sampling", "yes");
    assert_int_equal(registry_model_apply(&m, args, "--model_args", err), TT_ERR_USAGE);
    json_decref(args);
    registry_model_clear(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_settings_and_near_misses),
        cmocka_unit_test(test_model_args_over_registry),
        cmocka_unit_test(test_registry_checked_whole_and_strictly),
        cmocka_unit_test(test_reasoning_settings_and_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
