/*
 * visualglm.c — the `visualglm:URL` engine: THUDM VisualGLM-6B `api.py`
 * (POST / with text, image as raw base64 without a data: prefix, and
 * history as [query, answer] pairs; reply field `result`). Facts:
 * VisualGLM-6B api.py (THUDM); docs/http.md. The engine itself is shared with
 * chatglm.c (glm_api.c); this file only describes the protocol.
 *
 * Capabilities: chat with images. The image of the last message that has
 * one is sent; a request without any image is sent without the field
 * (api.py then answers from text alone, or fails, and the failure is
 * recorded per sample).
 */
#include "engines/http/glm_api.h"
#include "engines/kinds.h"

static const glm_api_protocol visualglm_protocol = {
    .kind = "visualglm",
    .query_field = "text",
    .reply_field = "result",
    .images = 1,
    .caps = ENGINE_CAP_CHAT | ENGINE_CAP_IMAGE,
};

int visualglm_open(const engine_spec *spec, const engine_options *opt, engine **out, char *err)
{
    return glm_api_open(&visualglm_protocol, spec->arg, opt, out, err);
}
