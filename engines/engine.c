/*
 * engine.c — the table of engine kinds: engine_kinds(), engine_spec_check()
 * and engine_open(). The kind-independent part of the interface (the
 * dispatch around the vtable, response and stop-string helpers) is in
 * engine_api.c, which the engine kinds link against without this table
 * (see engine.h for the contract).
 *
 * Adding an engine kind: implement `int KIND_open(const engine_spec *, const
 * engine_options *, engine **, char *err)` in engines/KIND*.c, declare it in
 * engines/kinds.h, add one row to engine_table below (with its precisions,
 * if specs of the kind carry "@PRECISION"), and add tests.
 */
#include "engines/engine.h"
#include "engines/kinds.h"
#include "core/util.h"
#include "core/share.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const glm_precisions[] = {"f32", "f16", "q8_0", "q4_0", NULL};

static const engine_kind engine_table[] = {
    {"replay", "answers from recorded responses in a JSONL file", replay_open, NULL, NULL},
    {"glm", "built-in GLM (chatglm GGUF) engine: glm:FILE.gguf[@f32|f16|q8_0|q4_0]", glm_open, glm_precisions,
     glm_file_precision},
    {"openai", "OpenAI API or any OpenAI-compatible server (OPENAI_BASE_URL, OPENAI_API_KEY)", openai_open, NULL, NULL},
    {"chatglm", "ChatGLM-6B api.py server: chatglm:http://HOST:PORT", chatglm_open, NULL, NULL},
    {"visualglm", "VisualGLM-6B api.py server with images: visualglm:http://HOST:PORT", visualglm_open, NULL, NULL},
};

const engine_kind *engine_kinds(size_t *count)
{
    *count = sizeof engine_table / sizeof engine_table[0];
    return engine_table;
}

int engine_spec_check(const char *spec, char *err)
{
    engine_spec sp;
    int rc = engine_spec_parse(spec, &sp, err);
    engine_spec_clear(&sp);
    return rc;
}

char *engine_model_identity(const char *spec)
{
    engine_spec sp;
    char err[TT_ERR_SIZE];
    if (engine_spec_parse(spec, &sp, err) != TT_OK) {
        engine_spec_clear(&sp);
        return NULL;
    }
    char *out;
    if (sp.row->file_precision) {
        char *real = realpath(sp.arg, NULL);
        const char *path = real ? real : sp.arg;
        char native[32] = "";
        if (!sp.precision && sp.row->file_precision(path, native, sizeof native, err) != TT_OK) native[0] = 0;
        const char *prec = sp.precision ? sp.precision : native[0] ? native : NULL;
        out = prec ? tt_asprintf("%s:%s@%s", sp.kind, path, prec) : tt_asprintf("%s:%s", sp.kind, path);
        free(real);
    } else {
        out = engine_spec_format(&sp);
    }
    engine_spec_clear(&sp);
    return out;
}

int engine_open(const char *spec, const engine_options *opt, engine **out, char *err)
{
    *out = NULL;
    engine_options defaults;
    if (!opt) {
        engine_options_default(&defaults);
        opt = &defaults;
    }
    engine_spec sp;
    int rc = engine_spec_parse(spec, &sp, err);
    engine *e = NULL;
    char *canonical = rc == TT_OK ? engine_spec_format(&sp) : NULL;
    /* A model file named by a relative path that is not here is looked for
     * in the share folders (core/share.h), so that glm:models/tianti-tiny.gguf
     * works from any folder; the spec keeps the path as written. */
    if (rc == TT_OK && !strcmp(sp.kind, "glm") && sp.arg[0] != '/' && !tt_file_exists(sp.arg)) {
        char *found = tt_share_find(sp.arg);
        if (found) {
            free(sp.arg);
            sp.arg = found;
        }
    }
    if (rc == TT_OK) rc = sp.row->open(&sp, opt, &e, err);
    if (rc == TT_OK) {
        e->spec = canonical;
        canonical = NULL;
        e->kind = tt_strdup(sp.kind);
        *out = e;
    }
    free(canonical);
    engine_spec_clear(&sp);
    return rc;
}
