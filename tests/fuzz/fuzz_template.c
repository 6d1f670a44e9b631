/*
 * fuzz_template.c — libFuzzer target for the task templates (Jinja subset,
 * harness/template.h): the input is a template, optionally followed by a
 * NUL and a JSON document to render it against (else a fixed one). Both
 * template_render and template_eval run; errors are fine, reads out of
 * bounds, unbounded recursion or loops are not.
 *
 * Built as fuzz_template_replay in every build (ctest
 * fuzz/template_corpus on tests/fuzz/corpus_template/) and as
 * fuzz_template with libFuzzer.
 */
#include "harness/template.h"
#include "core/util.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 14)) return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t tl = nul ? (size_t)(nul - data) : size;
    char *tmpl = tt_strndup((const char *)data, tl);
    json_t *doc = NULL;
    if (nul) doc = json_loadb((const char *)nul + 1, size - tl - 1, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = json_pack("{s:s,s:i,s:[s,s],s:{s:f},s:n}", "q", "What is 2+2?", "n", 3, "choices", "yes", "no", "m", "x",
                        1.5, "none");
    }
    char err[TT_ERR_SIZE];
    char *out = NULL;
    if (template_render("fuzz", tmpl, doc, &out, err) == TT_OK) free(out);
    json_t *v = NULL;
    if (template_eval("fuzz", tmpl, doc, &v, err) == TT_OK) json_decref(v);
    json_decref(doc);
    free(tmpl);
    return 0;
}
