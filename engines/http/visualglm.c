/*
 * visualglm.c — the `visualglm:URL` engine: THUDM VisualGLM-6B `api.py`
 * (POST / with text, image as raw base64 without a data: prefix, and
 * history as [query, answer] pairs; reply field `result`). Facts:
 * shared/reference/engines.md §2.1. History and POST handling are shared
 * with chatglm.c through glm_api.h.
 *
 * Capabilities: chat with images. The image of the last message that has
 * one is sent; a request without any image is sent without the field
 * (api.py then answers from text alone, or fails, and the failure is
 * recorded per sample).
 */
#include "engines/http/glm_api.h"
#include "engines/kinds.h"
#include "harness/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct visualglm_engine {
    engine base;
    http_client *http;
    char *url;
    pthread_mutex_t mu;
    int dead;
    char dead_msg[TT_ERR_SIZE];
} visualglm_engine;

static unsigned vg_caps(engine *e)
{
    (void)e;
    return ENGINE_CAP_CHAT | ENGINE_CAP_IMAGE;
}

static int vg_complete(engine *e, const engine_request *req, engine_response *resp, char *err)
{
    visualglm_engine *ve = (visualglm_engine *)e;
    pthread_mutex_lock(&ve->mu);
    int dead = ve->dead;
    pthread_mutex_unlock(&ve->mu);
    if (dead) return tt_fail(err, TT_ERR_ENGINE, "%s", ve->dead_msg);
    json_t *history;
    const char *query, *image = NULL;
    char *merged;
    char why[TT_ERR_SIZE];
    if (glm_api_history(req, &history, &query, &image, &merged, why)) {
        resp->error = tt_strdup(why);
        return TT_OK;
    }
    json_t *body = json_object();
    json_object_set_new(body, "text", http_json_text(query, strlen(query)));
    if (image) json_object_set_new(body, "image", http_json_text(image, strlen(image)));
    json_object_set_new(body, "history", history);
    glm_api_params(body, &req->gen);
    free(merged);
    int fatal;
    int rc = glm_api_post(ve->http, ve->url, body, "result", req, resp, &fatal, err);
    json_decref(body);
    if (fatal) {
        pthread_mutex_lock(&ve->mu);
        ve->dead = 1;
        snprintf(ve->dead_msg, sizeof ve->dead_msg, "%s", err);
        pthread_mutex_unlock(&ve->mu);
    }
    return rc;
}

static void vg_close(engine *e)
{
    visualglm_engine *ve = (visualglm_engine *)e;
    http_client_free(ve->http);
    free(ve->url);
    pthread_mutex_destroy(&ve->mu);
    free(ve);
}

static const engine_vtable visualglm_vt = {.caps = vg_caps, .complete = vg_complete, .close = vg_close};

int visualglm_open(const char *arg, const engine_options *opt, engine **out, char *err)
{
    *out = NULL;
    http_client *hc;
    char *url;
    int rc = glm_api_open_client("visualglm", arg, opt, &hc, &url, err);
    if (rc) return rc;
    visualglm_engine *ve = tt_calloc(1, sizeof *ve);
    ve->base.vt = &visualglm_vt;
    ve->http = hc;
    ve->url = url;
    pthread_mutex_init(&ve->mu, NULL);
    *out = &ve->base;
    return TT_OK;
}
