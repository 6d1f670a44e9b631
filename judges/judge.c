/*
 * judge.c — opens a judge by spec ("reference[:METRIC]", "llm:ENGINE_SPEC",
 * "grade:ENGINE_SPEC") and dispatches to the kind's functions; also the
 * shared chat helper and engine_judge opener/closer the model-backed
 * judges use. See judges/judge.h.
 */
#include "judges/judge_impl.h"
#include "core/util.h"
#include "core/utf8.h"
#include "engines/request_json.h"

#include <stdlib.h>
#include <string.h>

int judge_open(const char *spec, const engine_options *opt, judge **out, char *err)
{
    *out = NULL;
    if (!spec || !*spec) return tt_fail(err, TT_ERR_USAGE, "empty judge spec");
    const char *colon = strchr(spec, ':');
    size_t klen = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *arg = colon ? colon + 1 : NULL;
    engine_options dflt;
    if (!opt) {
        engine_options_default(&dflt);
        opt = &dflt;
    }
    int rc;
    if (klen == 9 && !strncmp(spec, "reference", 9)) rc = judge_reference_open(arg, out, err);
    else if (klen == 3 && !strncmp(spec, "llm", 3)) rc = judge_llm_open(arg, opt, out, err);
    else if (klen == 5 && !strncmp(spec, "grade", 5)) rc = judge_grade_open(arg, opt, out, err);
    else
        return tt_fail(err, TT_ERR_USAGE,
                       "unknown judge '%s' (expected reference[:METRIC], llm:ENGINE_SPEC or grade:ENGINE_SPEC)",
                       spec);
    if (rc == TT_OK) (*out)->spec = tt_strdup(spec);
    return rc;
}

void judge_close(judge *j)
{
    if (!j) return;
    char *spec = j->spec;
    j->vt->close(j);
    free(spec);
}

const char *judge_spec(const judge *j) { return j ? j->spec : NULL; }

int judge_compare(judge *j, const judge_item *item, judge_result *res, char *err)
{
    memset(res, 0, sizeof *res);
    return j->vt->compare(j, item, res, err);
}

int judge_check_answer(judge *j, const char *answer, const char *reference, int *right, char *err)
{
    *right = 0;
    if (!j->vt->check)
        return tt_fail(err, TT_ERR_UNSUPPORTED, "judge '%s' compares two answers; it cannot check one against a reference",
                       j->spec ? j->spec : "?");
    return j->vt->check(j, answer, reference, right, err);
}

void judge_result_free(judge_result *r)
{
    if (!r) return;
    free(r->error);
    free(r->detail_json);
    memset(r, 0, sizeof *r);
}

int judge_engine_open(const char *kind, const char *arg, const engine_options *opt, const judge_vtable *vt,
                      judge **out, char *err)
{
    if (!arg || !*arg)
        return tt_fail(err, TT_ERR_USAGE, "judge '%s' needs an engine spec: %s:KIND:ARG", kind, kind);
    engine *e = NULL;
    int rc = engine_open(arg, opt, &e, err);
    if (rc != TT_OK) return rc;
    if (!(engine_caps(e) & ENGINE_CAP_CHAT)) {
        engine_close(e);
        return tt_fail(err, TT_ERR_UNSUPPORTED, "judge engine '%s' cannot answer chat requests", arg);
    }
    engine_judge *ej = tt_calloc(1, sizeof *ej);
    ej->base.vt = vt;
    ej->e = e;
    *out = &ej->base;
    return TT_OK;
}

void judge_engine_close(judge *j)
{
    engine_judge *ej = (engine_judge *)j;
    engine_close(ej->e);
    free(ej);
}

int judge_ask(engine *e, const engine_message *msgs, int n, char **text, char **failure, char *err)
{
    *text = NULL;
    *failure = NULL;
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = msgs, .n_messages = n};
    req.gen.temperature = 0;
    req.gen.max_tokens = 1024;   /* judge_append_request writes the same */
    engine_response resp;
    int rc = engine_complete(e, &req, &resp, err);
    if (rc != TT_OK) return rc;
    /* cleaned: judge outputs are kept in JSON (extra_json) */
    if (resp.error) *failure = tt_utf8_clean(resp.error, strlen(resp.error));
    else *text = tt_utf8_clean(resp.text, resp.text ? strlen(resp.text) : 0);
    engine_response_free(&resp);
    return TT_OK;
}

void judge_append_request(tt_buf *out, const engine_message *msgs, int n)
{
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = msgs, .n_messages = n};
    req.gen.temperature = 0;
    req.gen.max_tokens = 1024;
    char *js = engine_request_to_json(&req);
    tt_buf_printf(out, "{\"request\": %s}\n", js);
    free(js);
}

char *judge_requests_jsonl(judge *j, const judge_item *item)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    if (j->vt->requests) j->vt->requests(j, item, &b);
    return tt_buf_detach(&b);
}
