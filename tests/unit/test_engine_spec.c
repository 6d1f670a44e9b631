/*
 * test_engine_spec.c — the one model-spec parser (engines/spec.h): every
 * engine kind, precisions only where the kind has them (glm), precision
 * names in any case, the canonical form, display names, NAME=SPEC, and bad
 * specs with messages that say what is wrong; and that engine_open goes
 * through it (the tiny GLM model opened with "@Q8_0").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engines/engine.h"
#include "engines/glm/quant.h"
#include "engines/kinds.h"
#include "engines/spec.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static void parse_ok(const char *s, const char *kind, const char *arg, const char *precision, engine_spec *sp)
{
    char err[TT_ERR_SIZE] = "";
    int rc = engine_spec_parse(s, sp, err);
    if (rc) print_error("%s: %s\n", s, err);
    assert_int_equal(rc, TT_OK);
    assert_string_equal(sp->kind, kind);
    assert_string_equal(sp->arg, arg);
    if (precision) assert_string_equal(sp->precision, precision);
    else assert_null(sp->precision);
    assert_non_null(sp->row);
    assert_string_equal(sp->row->name, kind);
}

static void parse_bad(const char *s, const char *needle1, const char *needle2)
{
    engine_spec sp;
    char err[TT_ERR_SIZE] = "";
    assert_int_equal(engine_spec_parse(s, &sp, err), TT_ERR_USAGE);
    if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2))) print_error("'%s': %s\n", s ? s : "(null)", err);
    assert_non_null(strstr(err, needle1));
    if (needle2) assert_non_null(strstr(err, needle2));
    assert_null(sp.kind);
    assert_null(sp.arg);
    engine_spec_clear(&sp);
    assert_int_equal(engine_spec_check(s ? s : "", err), TT_ERR_USAGE);
}

static void test_every_kind(void **state)
{
    (void)state;
    engine_spec sp;
    parse_ok("replay:tests/data/run/replay.jsonl", "replay", "tests/data/run/replay.jsonl", NULL, &sp);
    engine_spec_clear(&sp);
    parse_ok("glm:models/tianti-tiny.gguf@q4_0", "glm", "models/tianti-tiny.gguf", "q4_0", &sp);
    engine_spec_clear(&sp);
    parse_ok("glm:models/tianti-tiny.gguf", "glm", "models/tianti-tiny.gguf", NULL, &sp);
    engine_spec_clear(&sp);
    parse_ok("openai:gpt-4o-mini", "openai", "gpt-4o-mini", NULL, &sp);
    engine_spec_clear(&sp);
    parse_ok("chatglm:http://127.0.0.1:8000", "chatglm", "http://127.0.0.1:8000", NULL, &sp);
    engine_spec_clear(&sp);
    parse_ok("visualglm:http://127.0.0.1:8080/", "visualglm", "http://127.0.0.1:8080/", NULL, &sp);
    engine_spec_clear(&sp);
    /* every kind of the table parses */
    size_t n;
    const engine_kind *k = engine_kinds(&n);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        char *s = tt_asprintf("%s:x", k[i].name);
        parse_ok(s, k[i].name, "x", NULL, &sp);
        engine_spec_clear(&sp);
        free(s);
    }
    engine_spec_clear(NULL);
}

static void test_precision_only_where_the_kind_has_one(void **state)
{
    (void)state;
    engine_spec sp;
    /* '@' is part of the argument for kinds without precisions */
    parse_ok("openai:gpt-4@2024", "openai", "gpt-4@2024", NULL, &sp);
    engine_spec_clear(&sp);
    parse_ok("openai:org/model@q4_0", "openai", "org/model@q4_0", NULL, &sp);
    engine_spec_clear(&sp);
    parse_ok("replay:answers@v2.jsonl", "replay", "answers@v2.jsonl", NULL, &sp);
    engine_spec_clear(&sp);
    parse_ok("chatglm:http://user@host:8000", "chatglm", "http://user@host:8000", NULL, &sp);
    engine_spec_clear(&sp);
    /* glm: the last '@'; an '@' in a folder name is part of the path */
    parse_ok("glm:/m@2/tiny.gguf", "glm", "/m@2/tiny.gguf", NULL, &sp);
    engine_spec_clear(&sp);
    parse_ok("glm:/m@2/tiny.gguf@f16", "glm", "/m@2/tiny.gguf", "f16", &sp);
    engine_spec_clear(&sp);
    assert_null(engine_spec_precisions("openai"));
    assert_null(engine_spec_precisions("nosuch"));
    assert_null(engine_spec_precision("openai", "q4_0"));
    char list[64];
    engine_spec_precisions_list("glm", list, sizeof list);
    assert_string_equal(list, "f32, f16, q8_0, q4_0");
    engine_spec_precisions_list("replay", list, sizeof list);
    assert_string_equal(list, "");
    /* the table's precisions are the GLM engine's tensor types */
    for (const char *const *p = engine_spec_precisions("glm"); *p; p++) assert_true(glm_type_from_name(*p) >= 0);
}

static void test_precision_names_any_case(void **state)
{
    (void)state;
    engine_spec sp;
    parse_ok("glm:m.gguf@Q8_0", "glm", "m.gguf", "q8_0", &sp);
    char *canon = engine_spec_format(&sp);
    assert_string_equal(canon, "glm:m.gguf@q8_0");
    free(canon);
    engine_spec_clear(&sp);
    parse_ok("glm:m.gguf@F16", "glm", "m.gguf", "f16", &sp);
    engine_spec_clear(&sp);
    assert_string_equal(engine_spec_precision("glm", "Q4_0"), "q4_0");
    assert_null(engine_spec_precision("glm", "q5_k"));
    /* the canonical form of a canonical spec is the spec itself */
    const char *specs[] = {"replay:a/b.jsonl", "glm:x.gguf", "glm:x.gguf@q4_0", "openai:gpt-4@2024", "chatglm:http://h:1/"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char err[TT_ERR_SIZE];
        assert_int_equal(engine_spec_parse(specs[i], &sp, err), TT_OK);
        canon = engine_spec_format(&sp);
        assert_string_equal(canon, specs[i]);
        free(canon);
        engine_spec_clear(&sp);
    }
}

static void test_bad_specs(void **state)
{
    (void)state;
    parse_bad(NULL, "empty model spec", NULL);
    parse_bad("", "empty model spec", NULL);
    parse_bad("models/tiny.gguf", "'models/tiny.gguf' is not KIND:ARG", NULL);
    parse_bad(":x", "is not KIND:ARG", NULL);
    parse_bad("nosuch:x", "unknown engine kind 'nosuch'", "known: replay, glm, openai, chatglm, visualglm");
    parse_bad("GLM:x.gguf", "unknown engine kind 'GLM'", NULL);
    parse_bad("glm:", "nothing after 'glm:'", NULL);
    parse_bad("openai:", "nothing after 'openai:'", NULL);
    parse_bad("glm:@q4_0", "nothing after 'glm:'", NULL);
    parse_bad("glm:x.gguf@q5_k", "unknown precision 'q5_k' in 'glm:x.gguf@q5_k'", "(f32, f16, q8_0, q4_0)");
    parse_bad("glm:x.gguf@", "ends in '@' without a precision", "f32, f16, q8_0, q4_0");
}

static void test_display_names(void **state)
{
    (void)state;
    static const struct { const char *spec, *with, *without; } cases[] = {
        {"glm:models/tianti-tiny.gguf@q4_0", "tianti-tiny@q4_0", "tianti-tiny"},
        {"glm:models/tianti-tiny.gguf@Q4_0", "tianti-tiny@q4_0", "tianti-tiny"},
        {"glm:tiny.gguf", "tiny", "tiny"},
        {"replay:a/b.jsonl", "b", "b"},
        {"replay:a/b.json", "b", "b"},
        {"replay:dir/answers@v2.jsonl", "answers@v2", "answers@v2"},
        {"replay:.jsonl", ".jsonl", ".jsonl"},
        {"openai:gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini"},
        {"openai:gpt-4@2024", "gpt-4@2024", "gpt-4@2024"},
        {"openai:meta/llama-3.1", "llama-3.1", "llama-3.1"},
        {"chatglm:http://127.0.0.1:8000", "http://127.0.0.1:8000", "http://127.0.0.1:8000"},
        {"visualglm:http://host:8080/api", "http://host:8080/api", "http://host:8080/api"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        engine_spec sp;
        char err[TT_ERR_SIZE];
        assert_int_equal(engine_spec_parse(cases[i].spec, &sp, err), TT_OK);
        char *a = engine_spec_display_name(&sp, 1), *b = engine_spec_display_name(&sp, 0);
        if (strcmp(a, cases[i].with) || strcmp(b, cases[i].without))
            print_error("%s: '%s' / '%s'\n", cases[i].spec, a, b);
        assert_string_equal(a, cases[i].with);
        assert_string_equal(b, cases[i].without);
        free(a);
        free(b);
        engine_spec_clear(&sp);
    }
}

static void test_named_specs(void **state)
{
    (void)state;
    char *name;
    const char *rest = engine_spec_split_name("mine=replay:a/b.jsonl", &name);
    assert_string_equal(name, "mine");
    assert_string_equal(rest, "replay:a/b.jsonl");
    free(name);
    /* the '=' must come before the kind's ':' */
    const char *s = "openai:model=x";
    assert_ptr_equal(engine_spec_split_name(s, &name), s);
    assert_null(name);
    s = "=replay:x";
    assert_ptr_equal(engine_spec_split_name(s, &name), s);
    assert_null(name);
    /* a registry name after NAME= is fine: the rest is not checked */
    rest = engine_spec_split_name("fast=tiny-q4", &name);
    assert_string_equal(name, "fast");
    assert_string_equal(rest, "tiny-q4");
    free(name);
    s = "tiny-q4";
    assert_ptr_equal(engine_spec_split_name(s, &name), s);
    assert_null(name);
}

/* engine_open parses through engine_spec_parse: any-case precision opens,
 * and the engine's spec is the canonical one. */
static void test_engine_open_uses_the_parser(void **state)
{
    (void)state;
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *spec = tt_asprintf("glm:%s/tests/data/glm/tiny.gguf@Q8_0", src ? src : ".");
    engine_options opt;
    engine_options_default(&opt);
    opt.threads = 1;
    engine *e = NULL;
    char err[TT_ERR_SIZE] = "";
    int rc = engine_open(spec, &opt, &e, err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, TT_OK);
    engine_stats st;
    assert_int_equal(engine_get_stats(e, &st), TT_OK);
    assert_string_equal(st.precision, "q8_0");
    char *canon = tt_asprintf("glm:%s/tests/data/glm/tiny.gguf@q8_0", src ? src : ".");
    assert_string_equal(engine_get_spec(e), canon);
    free(canon);
    engine_close(e);
    free(spec);
    /* a bad precision fails before any file is read */
    assert_int_equal(engine_open("glm:/nonexistent/x.gguf@q5_k", &opt, &e, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "unknown precision 'q5_k'"));
    assert_null(e);
    /* an unknown kind is refused whatever follows */
    assert_int_equal(engine_open("nosuch:x@q4_0", &opt, &e, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "unknown engine kind 'nosuch'"));
}

/* Which model a spec names: a glm file by its real path and its precision
 * (the spec's or, without one, the file's own, f32 for the shipped model);
 * other kinds by their canonical spec. */
static void test_model_identity(void **state)
{
    (void)state;
    const char *src = getenv("TIANTI_SOURCE_DIR");
    if (!src) src = ".";
    char *real = realpath(src, NULL);
    assert_non_null(real);
    char *want = tt_asprintf("glm:%s/models/tianti-tiny.gguf@f32", real);
    const char *forms[] = {"glm:%s/models/tianti-tiny.gguf", "glm:%s/models/../models/tianti-tiny.gguf@F32",
                           "glm:%s/./models//tianti-tiny.gguf@f32"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char *spec = tt_asprintf(forms[i], src);
        char *id = engine_model_identity(spec);
        assert_non_null(id);
        assert_string_equal(id, want);
        free(id);
        free(spec);
    }
    /* another precision of the same file is another model */
    char *spec = tt_asprintf("glm:%s/models/tianti-tiny.gguf@q8_0", src), *id = engine_model_identity(spec);
    assert_non_null(strstr(id, "tianti-tiny.gguf@q8_0"));
    assert_string_not_equal(id, want);
    free(id);
    free(spec);
    /* a file that is not there keeps its path and the spec's precision */
    id = engine_model_identity("glm:no/such.gguf@Q4_0");
    assert_string_equal(id, "glm:no/such.gguf@q4_0");
    free(id);
    id = engine_model_identity("glm:no/such.gguf");
    assert_string_equal(id, "glm:no/such.gguf");
    free(id);
    id = engine_model_identity("openai:gpt-4@2024");
    assert_string_equal(id, "openai:gpt-4@2024");
    free(id);
    assert_null(engine_model_identity("tiny-f32"));   /* a registry name is no spec */
    free(want);
    free(real);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_precision_only_where_the_kind_has_one),
        cmocka_unit_test(test_precision_names_any_case),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_display_names),
        cmocka_unit_test(test_named_specs),
        cmocka_unit_test(test_engine_open_uses_the_parser),
        cmocka_unit_test(test_model_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
