/*
 * engine.c — the table of engine kinds: engine_kinds(), engine_spec_check()
 * and engine_open(). The kind-independent part of the interface (the
 * dispatch around the vtable, response and stop-string helpers) is in
 * engine_api.c, which the engine kinds link against without this table
 * (see engine.h for the contract).
 *
 * Adding an engine kind: implement `int KIND_open(const char *arg, const
 * engine_options *, engine **, char *err)` in engines/KIND*.c, declare it in
 * engines/kinds.h, add one row to engine_table below, and add tests.
 */
#include "engines/engine.h"
#include "engines/kinds.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const engine_kind engine_table[] = {
    {"replay", "answers from recorded responses in a JSONL file", replay_open},
    {"glm", "built-in GLM (chatglm GGUF) engine: glm:FILE.gguf[@f32|f16|q8_0|q4_0]", glm_open},
    {"openai", "OpenAI API or any OpenAI-compatible server (OPENAI_BASE_URL, OPENAI_API_KEY)", openai_open},
    {"chatglm", "ChatGLM-6B api.py server: chatglm:http://HOST:PORT", chatglm_open},
    {"visualglm", "VisualGLM-6B api.py server with images: visualglm:http://HOST:PORT", visualglm_open},
};

const engine_kind *engine_kinds(size_t *count)
{
    *count = sizeof engine_table / sizeof engine_table[0];
    return engine_table;
}

int engine_spec_check(const char *spec, char *err)
{
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec)
        return tt_fail(err, TT_ERR_USAGE, "model spec '%s' is not KIND:ARG (for example glm:models/tianti-tiny.gguf@q4_0)", spec);
    size_t klen = (size_t)(colon - spec);
    for (size_t i = 0; i < sizeof engine_table / sizeof engine_table[0]; i++)
        if (strlen(engine_table[i].name) == klen && strncmp(engine_table[i].name, spec, klen) == 0) return TT_OK;
    tt_buf known;
    tt_buf_init(&known);
    for (size_t i = 0; i < sizeof engine_table / sizeof engine_table[0]; i++)
        tt_buf_printf(&known, "%s%s", i ? ", " : "", engine_table[i].name);
    int rc = tt_fail(err, TT_ERR_USAGE, "unknown engine kind '%.*s' in '%s' (known: %s)", (int)klen, spec, spec, tt_buf_str(&known));
    tt_buf_free(&known);
    return rc;
}

int engine_open(const char *spec, const engine_options *opt, engine **out, char *err)
{
    *out = NULL;
    engine_options defaults;
    if (!opt) {
        engine_options_default(&defaults);
        opt = &defaults;
    }
    int rc = engine_spec_check(spec, err);
    if (rc) return rc;
    const char *colon = strchr(spec, ':');
    size_t klen = (size_t)(colon - spec);
    for (size_t i = 0; i < sizeof engine_table / sizeof engine_table[0]; i++) {
        if (strlen(engine_table[i].name) != klen || strncmp(engine_table[i].name, spec, klen) != 0) continue;
        engine *e = NULL;
        rc = engine_table[i].open(colon + 1, opt, &e, err);
        if (rc != TT_OK) return rc;
        e->spec = tt_strdup(spec);
        e->kind = tt_strndup(spec, klen);
        *out = e;
        return TT_OK;
    }
    return tt_fail(err, TT_ERR_USAGE, "unknown engine kind in '%s'", spec);
}
