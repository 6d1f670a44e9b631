/*
 * chatglm.c — the `chatglm:URL` engine: THUDM ChatGLM-6B / ChatGLM2-6B
 * `api.py` (POST / with prompt, history as [query, answer] pairs,
 * max_length, top_p, temperature; reply response, history, status, time).
 * Protocol: ChatGLM-6B api.py (THUDM); docs/http.md. The engine itself is shared with
 * visualglm.c (glm_api.c); this file only describes the protocol.
 *
 * The protocol has no token counts, logprobs or streaming, so the engine
 * offers generate (prompt, empty history) and chat.
 */
#include "engines/http/glm_api.h"
#include "engines/kinds.h"

static const glm_api_protocol chatglm_protocol = {
    .kind = "chatglm",
    .query_field = "prompt",
    .reply_field = "response",
    .images = 0,
    .caps = ENGINE_CAP_GENERATE | ENGINE_CAP_CHAT,
};

int chatglm_open(const engine_spec *spec, const engine_options *opt, engine **out, char *err)
{
    return glm_api_open(&chatglm_protocol, spec->arg, opt, out, err);
}
