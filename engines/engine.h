/*
 * engine.h — the one interface every model engine implements.
 *
 * A model is named by a spec string "KIND:ARG[@PRECISION]" (the grammar and
 * its one parser: engines/spec.h):
 *   replay:FILE.jsonl              recorded answers (engines/replay.c)
 *   glm:FILE.gguf@q4_0             the built-in GLM engine (engines/glm/)
 *   openai:gpt-4o-mini             OpenAI API / compatible servers (engines/http/)
 *   chatglm:http://127.0.0.1:8000  ChatGLM-6B api.py protocol
 *   visualglm:http://127.0.0.1:8080 VisualGLM-6B api.py protocol
 * engine_open() parses the spec (engine_spec_parse), looks KIND up in the
 * table in engine.c and calls that engine's open function with the parts. A registry (models.json) may map a short name to a
 * spec plus parameters; see engines/registry.h.
 *
 * Requests (design note, docs/DESIGN.md "requests"):
 *   pending --(engine_complete)--> answered | failed
 * An engine fills engine_response. A request that the model answered badly
 * or that failed after retries is NOT a library error: the response carries
 * `error` text and the runner records it with the sample. engine_complete()
 * returns nonzero only when the engine cannot go on at all (for example a
 * 401 from an API, or a capability it lacks), with a message in err.
 *
 * Thread safety: engine_complete() may be called from several runner threads
 * at once on the same engine. An engine that cannot serve requests in
 * parallel serialises them internally.
 */
#ifndef TIANTI_ENGINE_H
#define TIANTI_ENGINE_H

#include "engines/spec.h"

#include <stddef.h>
#include <stdint.h>

typedef struct engine engine;

/* Capabilities (bit set). */
enum engine_cap {
    ENGINE_CAP_GENERATE = 1 << 0,          /* continue a raw prompt */
    ENGINE_CAP_CHAT = 1 << 1,              /* answer a list of messages */
    ENGINE_CAP_LOGLIKELIHOOD = 1 << 2,     /* logprob of continuation given context */
    ENGINE_CAP_LOGLIKELIHOOD_ROLLING = 1 << 3, /* logprob of a whole text */
    ENGINE_CAP_IMAGE = 1 << 4,             /* messages may carry images */
    ENGINE_CAP_EMBED = 1 << 5,             /* engine_embed(): one vector per text (the built-in
                                              engine: its final normed hidden states,
                                              mean-pooled and L2-normalised) */
    ENGINE_CAP_MODERATE = 1 << 6,          /* engine_moderate() */
    ENGINE_CAP_STREAM = 1 << 7,            /* calls on_token while generating */
    ENGINE_CAP_TRANSCRIBE = 1 << 8,        /* engine_transcribe(): speech to text */
    ENGINE_CAP_TOKEN_IDS = 1 << 9          /* takes a prompt as token ids (engine_request.prompt_ids) */
};

/* The scoring rule log-likelihoods follow (docs/scoring.md: lm-eval's
 * context/continuation split, prefix and BOS as the GGUF says, tri-state
 * is_greedy, left truncation). The request cache keys log-likelihood
 * answers with it, so answers made under another rule are not reused. */
#define ENGINE_SCORING_RULE "scoring-rule-2"

enum engine_request_kind {
    ENGINE_REQ_GENERATE = 0,       /* context -> text */
    ENGINE_REQ_CHAT = 1,           /* messages -> text */
    ENGINE_REQ_LOGLIKELIHOOD = 2,  /* context + continuation -> logprob, is_greedy (split and
                                      prefix by the one rule of docs/scoring.md) */
    ENGINE_REQ_LOGLIKELIHOOD_ROLLING = 3 /* context (whole text) -> logprob */
};

typedef struct engine_message {
    const char *role;       /* "system", "user", "assistant" */
    const char *content;    /* UTF-8 text */
    const char *image_b64;  /* optional: raw base64 of a PNG/JPEG, no data: prefix */
} engine_message;

#define ENGINE_MAX_STOP 16
#define ENGINE_MAX_TOP 20    /* most alternatives per position (OpenAI's top_logprobs limit) */

typedef struct engine_gen_params {
    const char *until[ENGINE_MAX_STOP]; /* stop strings; output is cut before the first */
    int n_until;
    int max_tokens;        /* <= 0: engine default (256) */
    double temperature;    /* 0 = greedy */
    double top_p;          /* 0 or 1 = off */
    int top_k;             /* 0 = off */
    uint64_t seed;
    int n;                 /* number of samples wanted; 0 or 1 = one */
    int logprobs;          /* return per-token logprobs of the output (top_logprobs count; 0 = none);
                              also read by echo scoring: that many alternatives per position */
} engine_gen_params;

/* Called from engine_complete for each new piece of output text when the
 * engine streams; return nonzero to stop generation early (client gone). */
typedef int (*engine_token_cb)(void *user, const char *piece, size_t len);

typedef struct engine_request {
    enum engine_request_kind kind;
    const char *context;          /* GENERATE, LOGLIKELIHOOD, *_ROLLING */
    const char *continuation;     /* LOGLIKELIHOOD */
    const engine_message *messages; /* CHAT */
    int n_messages;
    engine_gen_params gen;        /* GENERATE, CHAT */
    engine_token_cb on_token;     /* optional */
    void *on_token_user;
    /* LOGLIKELIHOOD_ROLLING only, for servers (engines/serve): score the
     * text the way a completions server echoes a prompt instead of as a
     * rolling log-likelihood: bos first if the model adds one, no prefix
     * token, so the first token has no logprob; a text longer than the
     * context keeps its last tokens (the others have no logprob and count
     * in `truncated`). token_logprobs then cover every token of the text,
     * their pieces spelling it exactly. Engines without the distinction
     * ignore it. Never cached (the runner does not set it). */
    int echo;
    /* GENERATE and echo scoring, engines with ENGINE_CAP_TOKEN_IDS: the
     * prompt as token ids, used exactly as given (no BOS added, nothing
     * tokenized; context is ignored); a bad id is a recorded error. NULL:
     * the prompt is context. */
    const int *prompt_ids;
    int n_prompt_ids;
} engine_request;

/* One of the most likely tokens at a position (top_logprobs). */
typedef struct engine_top_logprob {
    char *token;          /* owned: the token's bytes */
    double logprob;
} engine_top_logprob;

typedef struct engine_token_logprob {
    char *token;          /* owned */
    double logprob;       /* NAN: the token was not scored (first of a text, cut off) */
} engine_token_logprob;

typedef struct engine_response {
    char *text;              /* GENERATE/CHAT: first sample's output (owned) */
    char **texts;            /* all n samples when gen.n > 1 (owned), else NULL */
    int n_texts;
    double logprob;          /* LOGLIKELIHOOD*: sum of token logprobs */
    int is_greedy;           /* LOGLIKELIHOOD: 1 every continuation token was the argmax, 0 one was
                                not, -1 unknown (a server that gives no alternatives): never a guess */
    int n_tokens;            /* LOGLIKELIHOOD*: tokens scored */
    int truncated;           /* tokens cut from the left of a prompt or context longer than the
                                model's context (lm-eval's left truncation); 0: none */
    engine_token_logprob *token_logprobs; /* optional, owned */
    int n_token_logprobs;
    /* optional, owned (NULL: none): the top_k most likely tokens at each
     * position of token_logprobs, most likely first, flat
     * [n_token_logprobs * top_k]; an entry whose token is NULL is absent
     * (an unscored position). Engines that can fill gen.logprobs of them. */
    engine_top_logprob *top_logprobs;
    int top_k;
    int prompt_tokens;       /* usage, when known (else -1) */
    int completion_tokens;   /* includes reasoning_tokens (OpenAI bills them as output) */
    int reasoning_tokens;    /* of completion_tokens, those a reasoning model spent thinking
                                (usage.completion_tokens_details.reasoning_tokens); 0: none or unknown */
    double latency_s;        /* whole request */
    double first_token_s;    /* time to first output token, < 0 if unknown */
    char *finish_reason;     /* "stop", "length", ... (owned, may be NULL) */
    char *error;             /* non-NULL: this request failed; text is recorded (owned) */
} engine_response;

/* Memory and size facts, for bench and reports. Unknown values are -1. */
typedef struct engine_stats {
    int64_t weights_bytes;
    int64_t kv_cache_bytes;
    int64_t scratch_bytes;
    int64_t file_bytes;
    int64_t n_params;
    double load_s;
    char precision[16];      /* "f32", "q4_0", "" if not applicable */
} engine_stats;

/* Options shared by all engines; fields a kind does not use are ignored. */
typedef struct engine_options {
    const char *base_url;      /* HTTP engines; NULL: engine default / environment */
    const char *api_key_env;   /* name of the environment variable holding the key */
    int threads;               /* built-in engine; 0 = all cores */
    int max_concurrency;       /* per-model request concurrency; 0 = default */
    double rpm_limit;          /* requests per minute; 0 = unlimited */
    double tpm_limit;          /* tokens per minute; 0 = unlimited */
    double timeout_s;          /* per-request timeout; 0 = default */
    int max_retries;           /* < 0 = default */
    int context_length;        /* built-in engine: KV cache size; 0 = model's */
    int verbose;
    /* OpenAI-compatible engines, for reasoning models (o-series), which
     * refuse max_tokens, temperature and top_p (models.json, registry.h): */
    const char *max_tokens_param;  /* the name the output-token limit is sent under:
                                      NULL = "max_tokens", or "max_completion_tokens" */
    int omit_sampling;             /* 1: send neither temperature nor top_p */
    const char *reasoning_effort;  /* sent as reasoning_effort when non-NULL ("low", ...) */
} engine_options;

/* The table entry an engine kind provides (engine.c holds the table). */
struct engine_kind {
    const char *name;   /* "replay", "glm", ... */
    const char *summary;
    /* spec is the parsed spec: spec->arg without the precision suffix,
     * spec->precision NULL or one of precisions. */
    int (*open)(const engine_spec *spec, const engine_options *opt, engine **out, char *err);
    /* NULL-terminated precision names (the "@PRECISION" a spec of this kind
     * may carry), or NULL: the kind has none and '@' belongs to ARG. */
    const char *const *precisions;
    /* Kinds whose ARG is a weights file (glm): writes the file's own
     * precision (what a spec without "@PRECISION" runs at) into out and
     * returns TT_OK, or an error when the file cannot be read. NULL for
     * other kinds. */
    int (*file_precision)(const char *path, char *out, size_t n, char *err);
};

/* Every engine struct begins with this header (first member). */
typedef struct engine_vtable {
    unsigned (*caps)(engine *e);
    int (*complete)(engine *e, const engine_request *req, engine_response *resp, char *err);
    int (*embed)(engine *e, const char *text, float **vec, int *dim, char *err); /* may be NULL */
    int (*moderate)(engine *e, const char *text, int *flagged, char **categories_json, char *err); /* may be NULL */
    int (*stats)(engine *e, engine_stats *out);   /* may be NULL */
    void (*close)(engine *e);
    /* may be NULL: the model's token ids of text (add_special: its BOS first,
     * when it has one; special tokens in the text are parsed) */
    int (*tokenize)(engine *e, const char *text, int add_special, int **ids, int *n, char *err);
    /* may be NULL: the text of token ids (bytes as the model has them: not
     * always valid UTF-8); special tokens rendered when render_special */
    int (*detokenize)(engine *e, const int *ids, int n, int render_special, char **text, char *err);
} engine_vtable;

struct engine {
    const engine_vtable *vt;
    char *spec;          /* the spec it was opened with, canonical (engine_spec_format; owned by engine.c) */
    char *kind;          /* "glm" */
    /* NULL, or why caps() could not find the capabilities out (set by the
     * engine inside caps(), once, with tt_strdup; freed by engine_close) */
    char *caps_error;
    /* NULL, or why capabilities the kind can have are missing, when the
     * engine was told (the prompt-scoring probe's answer); for messages.
     * Set and freed as caps_error. */
    char *caps_note;
    /* NULL, or the resolved address that answers: an HTTP kind's base URL
     * after models.json, --model_args and the environment (part of the
     * request cache's identity, harness/executor.h). Set by the kind's open
     * with tt_strdup; freed by engine_close. */
    char *endpoint;
    /* NULL, or the kind's way to embed many texts per request (set by its
     * open; engine_embed_batch otherwise calls vt->embed per text): as
     * engine_embed_batch says. */
    int (*embed_batch)(engine *e, const char *const *texts, int n, float **vecs, int *dim, long *prompt_tokens,
                       char *err);
    /* NULL, or the kind's moderation with scores (set by its open): as
     * engine_moderation_scores says. */
    int (*moderation_scores)(engine *e, const char *text, char **result_json, char *err);
    /* NULL, or the kind's way to answer many loglikelihood requests at once
     * (set by its open; engine_complete_batch otherwise answers them one by
     * one): resps[i] answers reqs[i], all zeroed and initialised as
     * engine_complete does; nonzero only when the engine cannot continue. */
    int (*loglikelihood_batch)(engine *e, const engine_request *reqs, int n, engine_response *resps, char *err);
    /* NULL, or the kind's speech recognition (set by its open): as
     * engine_transcribe says. */
    int (*transcribe)(engine *e, const char *audio_path, const char *language, engine_response *resp, char *err);
};

void engine_options_default(engine_options *opt);

/* Opens the engine named by spec. On success *out is owned by the caller and
 * freed with engine_close(). Errors: TT_ERR_USAGE for an unknown kind or a
 * malformed spec, others as the engine reports. */
int engine_open(const char *spec, const engine_options *opt, engine **out, char *err);
void engine_close(engine *e);                   /* NULL is fine */
/* Checks that spec parses (engine_spec_parse: a known kind, an ARG, a known
 * precision), without opening anything. */
int engine_spec_check(const char *spec, char *err);

/* Which model a spec names, for telling whether two specs are the same
 * model (the report merges rows by it). For a kind whose ARG is a weights
 * file: "KIND:REALPATH@PRECISION", the file's resolved path and the spec's
 * precision or else the file's own ("glm:m.gguf" and "glm:./m.gguf@f32"
 * are one model when m.gguf is stored as f32). A file that cannot be read
 * keeps its path as written and the spec's precision, if any. For other
 * kinds: the canonical spec. NULL when spec does not parse. Caller frees. */
char *engine_model_identity(const char *spec);

unsigned engine_caps(engine *e);
/* Whether the capabilities engine_caps() reported could be found out:
 * TT_OK, or TT_ERR_IO with the reason in err when the engine could not ask
 * (a server that cannot be reached: its capabilities are unknown, and a
 * task is not "skipped for a missing capability"). Calls engine_caps()
 * first if needed. */
int engine_caps_check(engine *e, char *err);
const char *engine_get_spec(const engine *e);   /* the canonical spec it was opened with */
const char *engine_get_endpoint(const engine *e); /* e->endpoint, or NULL */
/* Human-readable list of caps, e.g. "generate,chat,loglikelihood". */
void engine_caps_string(unsigned caps, char *out, size_t n);
/* Capability a request kind needs. */
unsigned engine_cap_for_request(enum engine_request_kind kind);

/* Runs one request. resp is zeroed first; free it with
 * engine_response_free(). Returns TT_OK also when resp->error is set
 * (a recorded failure); nonzero only when the engine cannot continue. */
int engine_complete(engine *e, const engine_request *req, engine_response *resp, char *err);
/* Runs n requests, resps[i] answering reqs[i], as engine_complete does one:
 * runs of loglikelihood requests go to the kind's batch path when it has
 * one (the built-in engine shares forward passes between them; the scores
 * are those of one at a time), the rest one by one. Nonzero only when the
 * engine cannot continue; then no response is left allocated. */
int engine_complete_batch(engine *e, const engine_request *reqs, int n, engine_response *resps, char *err);
int engine_embed(engine *e, const char *text, float **vec, int *dim, char *err);
/* Vectors of n texts: vecs[i] (caller frees each) has *dim floats, the same
 * for every text. *prompt_tokens (may be NULL) gets the tokens the server
 * reported using, or -1 when unknown. An HTTP engine sends them in as few
 * requests as the API allows (openai: at most 256 inputs and about 64k
 * tokens per /embeddings request); other engines embed text by text. On
 * failure no vector is left allocated. */
int engine_embed_batch(engine *e, const char *const *texts, int n, float **vecs, int *dim, long *prompt_tokens,
                       char *err);
/* Tokenizer access (`tianti serve` /tokenize, /detokenize): TT_ERR_UNSUPPORTED
 * for engines without one. *ids / *text are owned by the caller. */
int engine_tokenize(engine *e, const char *text, int add_special, int **ids, int *n, char *err);
int engine_detokenize(engine *e, const int *ids, int n, int render_special, char **text, char *err);
int engine_moderate(engine *e, const char *text, int *flagged, char **categories_json, char *err);
/* The moderation of text with the classifier's scores, as OpenAI's
 * /moderations gives results[0]: {"flagged": bool, "categories": {name:
 * bool}, "category_scores": {name: number}} (*result_json owned by the
 * caller). TT_ERR_UNSUPPORTED for engines without one. */
int engine_moderation_scores(engine *e, const char *text, char **result_json, char *err);
/* Speech recognition of the audio file at audio_path (language: an ISO
 * 639-1 hint such as "en", or NULL): resp->text the transcript, with usage
 * and latency when known; a failed request is resp->error (TT_OK
 * returned), as engine_complete. TT_ERR_UNSUPPORTED for engines without
 * one. Free resp with engine_response_free. */
int engine_transcribe(engine *e, const char *audio_path, const char *language, engine_response *resp, char *err);
int engine_get_stats(engine *e, engine_stats *out);

void engine_response_free(engine_response *r);

/* Table access, for `tianti --help` and tests. */
const engine_kind *engine_kinds(size_t *count);

/* Cuts text at the first occurrence of any stop string (in place).
 * Returns 1 if something was cut. Shared by all engines. */
int engine_apply_stop(char *text, const char *const *until, int n_until);

#endif
