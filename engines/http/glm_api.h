/*
 * glm_api.h — pieces shared by the two THUDM api.py protocol engines,
 * chatglm.c (`chatglm:URL`, reply field `response`) and visualglm.c
 * (`visualglm:URL`, reply field `result`): turning engine messages into
 * the [query, answer] history pairs, the sampling fields, and one POST
 * through the shared HTTP client. Implemented in chatglm.c.
 */
#ifndef TIANTI_GLM_API_H
#define TIANTI_GLM_API_H

#include <jansson.h>

#include "engines/engine.h"
#include "engines/http/http_client.h"

/* Splits a CHAT request into history pairs plus the final user query (a
 * GENERATE request becomes its context with empty history). A leading
 * system message is prepended to the first user turn, as ChatGLM2's
 * openai_api.py does. If image is non-NULL it receives the last image
 * found in the messages. *history is a new reference; *merged_query (may
 * be NULL) backs *query and the caller frees it. Returns -1 with why set
 * when the messages cannot be expressed (no messages, last not user). */
int glm_api_history(const engine_request *req, json_t **history, const char **query, const char **image,
                    char **merged_query, char *why);
/* Adds temperature/top_p (never falsy) and max_length when needed. */
void glm_api_params(json_t *body, const engine_gen_params *g);
/* Validates URL (arg, else opt->base_url) and makes the client. */
int glm_api_open_client(const char *kind, const char *arg, const engine_options *opt, http_client **hc,
                        char **url, char *err);
/* Posts body and reads the string `field` from the reply into resp. A
 * recorded failure sets resp->error and returns TT_OK; *fatal and
 * TT_ERR_ENGINE when the server refuses the model outright. */
int glm_api_post(http_client *hc, const char *url, json_t *body, const char *field, const engine_request *req,
                 engine_response *resp, int *fatal, char *err);

#endif
