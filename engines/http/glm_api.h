/*
 * glm_api.h — the engine shared by the two THUDM api.py protocol engines,
 * chatglm.c (`chatglm:URL`, query field `prompt`, reply field `response`)
 * and visualglm.c (`visualglm:URL`, query field `text`, reply field
 * `result`, images). Each protocol file describes what differs in a
 * glm_api_protocol and opens the engine through glm_api_open; the history
 * pairs, sampling fields, POST and engine object live in glm_api.c.
 */
#ifndef TIANTI_GLM_API_H
#define TIANTI_GLM_API_H

#include "engines/engine.h"

/* What one api.py protocol variant sends and reads. Static storage: the
 * engine keeps the pointer for its lifetime. */
typedef struct glm_api_protocol {
    const char *kind;        /* engine kind, used in messages and the client name */
    const char *query_field; /* request field carrying the final user query */
    const char *reply_field; /* reply field carrying the answer text */
    int images;              /* send the last message image as raw base64 `image` */
    unsigned caps;           /* ENGINE_CAP_* offered */
} glm_api_protocol;

/* Opens an engine speaking proto against arg (a URL, else opt->base_url).
 * On success *out is set; caller closes it with engine_close. */
int glm_api_open(const glm_api_protocol *proto, const char *arg, const engine_options *opt, engine **out, char *err);

#endif
