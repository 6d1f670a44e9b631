/*
 * glm_engine.c — the built-in GLM engine behind the spec
 * `glm:FILE.gguf[@f32|f16|q8_0|q4_0]` (engines/engine.h contract).
 *
 * It glues model.c (forward), tokenizer.c and sampler.c into the four
 * request kinds:
 *   generate / chat        prefill the prompt in batches, then one token at a
 *                          time; stop at an end-of-generation token, a stop
 *                          string or max_tokens; stream through on_token;
 *   loglikelihood          the one scoring rule (glm_encode_pair in
 *                          tokenizer.c, docs/scoring.md): context and
 *                          continuation tokenized together and split at the
 *                          context's end, left-truncated to the context
 *                          length as lm-eval does; the sum of the
 *                          continuation's token logprobs and whether each was
 *                          the argmax;
 *   loglikelihood_rolling  the whole text in windows of the context length
 *                          (lm-eval's rolling windows, prefix token = bos, else
 *                          eos), every token scored once; with
 *                          engine_request.echo instead the prompt as a server
 *                          echoes it (run_echo), which `tianti serve` uses.
 * Every request says how many tokens were cut from the left (`truncated`).
 * A generate or echo request may give its prompt as token ids
 * (engine_request.prompt_ids), used exactly as given; token logprobs come
 * with the gen.logprobs most likely alternatives per position (top_logprobs).
 * One request at a time (a mutex); the kernels use all threads.
 *
 * Prefix reuse: the engine remembers which tokens its KV cache holds; a
 * request whose tokens start the same way (the choices of a multiple-choice
 * question, a second sample of a prompt) runs only from the first position
 * that differs (at a multiple of GLM_MATMUL_GROUP). A position's keys and
 * values depend only on the tokens up to it, and batches are cut so that
 * every kernel sees each token as it would without reuse, so this changes
 * nothing but the time taken: the scores are bit for bit the same
 * (reuse_prefix says how). The harness sends a document's choices and a
 * task's documents in order (harness/executor.c), so the few-shot block
 * and the question are run once, not once per choice. It is on by default;
 * TIANTI_GLM_PREFIX_REUSE=0 in the environment, or
 * glm_engine_set_prefix_reuse(e, 0), turns it off (the benchmark
 * tests/perf/perf_glm.c compares both; tests check they agree).
 *
 * Batching: loglikelihood requests handed over together
 * (engine_complete_batch; the executor sends a task's requests in runs)
 * share one forward pass, their common tokens computed once (see "in
 * batches" below), with the same scores. TIANTI_GLM_BATCH=0 or
 * glm_engine_set_batching(e, 0) turns it off.
 */
#include "engines/engine.h"
#include "engines/glm/glm_engine.h"
#include "engines/glm/model.h"
#include "engines/glm/plan.h"
#include "engines/glm/quant.h"
#include "engines/glm/sampler.h"
#include "engines/glm/tokenizer.h"
#include "engines/kinds.h"
#include "core/proc.h"
#include "core/utf8.h"
#include "core/util.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_TOKENS 256

typedef struct glm_engine {
    engine base;
    glm_model *m;
    glm_tokenizer *tk;
    pthread_mutex_t mu;
    double load_s;
    char precision[16];
    int verbose;
    int *cached;        /* (n_ctx) the tokens whose keys/values the KV cache holds */
    int n_cached;
    int reuse;          /* prefix reuse on (default); off: every request from position 0 */
    int batch;          /* loglikelihood requests batched (default); off: one at a time */
    int n_exact;        /* leading cached positions computed as any request computes them */
    int64_t n_reused;   /* prompt tokens taken from the KV cache instead of run */
    int64_t n_run;      /* tokens run through the model */
    int64_t n_batched;  /* requests answered in batches of two or more */
} glm_engine;

/* ---- small helpers --------------------------------------------------------- */

static void ids_push(int **ids, int *n, int *cap, int id)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *ids = tt_realloc(*ids, (size_t)*cap * sizeof **ids);
    }
    (*ids)[(*n)++] = id;
}

/* Tokens per forward batch: n_batch rounded down to a multiple of
 * GLM_MATMUL_GROUP, so that batches start at multiples of it both with and
 * without reuse (see n_exact). */
static int batch_size(const glm_engine *g)
{
    int b = g->m->n_batch;
    return b >= GLM_MATMUL_GROUP ? b - b % GLM_MATMUL_GROUP : b;
}

/* The first position of ids[0..n) to run (at most limit): the end of the
 * part of the cached prefix that may be reused (below), which is added to
 * the counters.
 *
 * Same numbers as without reuse: a position's keys and values depend only
 * on the tokens up to it, and every kernel computes a token's row alone,
 * except that glm_matmul picks its four-token or one-token kernel by the
 * token's place in the batch (ops.h, GLM_MATMUL_GROUP). Batches therefore
 * always start at a multiple of GLM_MATMUL_GROUP (so a token is in a full
 * group unless it is among the last n % GROUP inputs of its request, with
 * or without reuse), and only positions in such full groups are reused
 * (n_exact: not the tail of an earlier request, not a token generated one
 * at a time). The scores are then bit for bit those of a fresh engine
 * (tests/unit/test_glm_prefix_reuse.c). */
static int reusable_prefix(const glm_engine *g, const int *ids, int n, int limit)
{
    if (!g->reuse) return 0;
    int p = 0;
    while (p < n && p < g->n_cached && g->cached[p] == ids[p]) p++;
    if (p > limit) p = limit;
    if (p > g->n_exact) p = g->n_exact;
    return p - p % GLM_MATMUL_GROUP;
}

static int reuse_prefix(glm_engine *g, const int *ids, int n, int limit)
{
    int p = reusable_prefix(g, ids, n, limit);
    g->n_reused += p;
    return p;
}

/* glm_forward at pos (<= n_cached), keeping the record of cached tokens. */
static int forward_at(glm_engine *g, const int *ids, int n, int pos, int want_all, const float **logits, char *err)
{
    if (pos > g->n_cached) pos = g->n_cached;   /* never leave a hole (callers do not) */
    g->n_cached = pos;
    if (g->n_exact > pos) g->n_exact = pos;
    int rc = glm_forward(g->m, ids, n, pos, want_all, logits, err);
    if (rc) return rc;
    g->n_run += n;
    memcpy(g->cached + pos, ids, (size_t)n * sizeof *ids);
    g->n_cached = pos + n;
    /* a batch from an aligned start that continues the exact prefix: its
     * full groups are exact; its tail (and any unaligned batch) is not */
    if (pos % GLM_MATMUL_GROUP == 0 && g->n_exact == pos) g->n_exact = (pos + n) - (pos + n) % GLM_MATMUL_GROUP;
    return TT_OK;
}

/* Runs ids[0..n) (n >= 1), reusing the cached prefix; returns the logits
 * of the last token. */
static int prefill(glm_engine *g, const int *ids, int n, const float **logits, char *err)
{
    int B = batch_size(g);
    for (int i = reuse_prefix(g, ids, n, n - 1); i < n; i += B) {
        int k = n - i < B ? n - i : B;
        int rc = forward_at(g, ids + i, k, i, 0, logits, err);
        if (rc) return rc;
    }
    return TT_OK;
}

/* Earliest stop string in text; returns its offset or -1. */
static long find_stop(const char *text, const engine_gen_params *gp)
{
    long best = -1;
    for (int i = 0; i < gp->n_until && i < ENGINE_MAX_STOP; i++) {
        if (!gp->until[i] || !gp->until[i][0]) continue;
        const char *p = strstr(text, gp->until[i]);
        if (p && (best < 0 || p - text < best)) best = p - text;
    }
    return best;
}

/* The k most likely tokens of a logits row, most likely first (ties: lower
 * id), with their log-softmax values, into out[0..k). */
static void top_alternatives(const glm_tokenizer *tk, const float *row, int V, int k, engine_top_logprob *out)
{
    int best[ENGINE_MAX_TOP] = {0};
    if (k > ENGINE_MAX_TOP) k = ENGINE_MAX_TOP;
    if (k > V) k = V;
    if (k <= 0) return;
    int n = 0;
    for (int i = 0; i < V; i++) {   /* insertion into a sorted list of at most k */
        if (n == k && row[i] <= row[best[n - 1]]) continue;
        int j = n < k ? n++ : n - 1;
        while (j > 0 && row[best[j - 1]] < row[i]) { best[j] = best[j - 1]; j--; }
        best[j] = i;
    }
    double lse = (double)row[best[0]] - glm_logprob(row, V, best[0]);
    for (int j = 0; j < n; j++) {
        tt_buf piece;
        tt_buf_init(&piece);
        glm_token_piece(tk, best[j], 1, &piece);
        out[j].token = piece.data ? tt_buf_detach(&piece) : tt_strdup("");
        out[j].logprob = (double)row[best[j]] - lse;
    }
}

/* Checks ids given by a client against the vocabulary; 0 or -1 with why. */
static int check_ids(const glm_engine *g, const int *ids, int n, engine_response *resp)
{
    int V = g->m->cfg.n_vocab;
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V) {
            resp->error = tt_asprintf("prompt token %d is id %d, outside the vocabulary [0, %d)", i, ids[i], V);
            return -1;
        }
    if (n == 0) {
        resp->error = tt_strdup("the prompt has no token ids");
        return -1;
    }
    return 0;
}

/* ---- generation -------------------------------------------------------------- */

typedef struct gen_out {
    char *text;
    const char *finish;
    int n_gen;
    engine_token_logprob *lp;
    int n_lp;
    engine_top_logprob *top;   /* [n_lp * top_k] */
    int top_k;
    double first_token_s;
    int stopped_by_client;
} gen_out;

static int generate_one(glm_engine *g, const int *prompt, int n_prompt, const engine_request *req, uint64_t seed,
                        int stream, double t0, gen_out *o, char *err)
{
    const engine_gen_params *gp = &req->gen;
    glm_model *m = g->m;
    int max_tokens = gp->max_tokens > 0 ? gp->max_tokens : DEFAULT_MAX_TOKENS;
    memset(o, 0, sizeof *o);
    o->first_token_s = -1;
    const float *logits;
    int rc = prefill(g, prompt, n_prompt, &logits, err);
    if (rc) return rc;
    glm_sampler s;
    glm_sampler_init(&s, m->cfg.n_vocab, gp->temperature, gp->top_p, gp->top_k, seed);
    size_t hold = 0;
    for (int i = 0; i < gp->n_until && i < ENGINE_MAX_STOP; i++)
        if (gp->until[i] && strlen(gp->until[i]) > hold) hold = strlen(gp->until[i]);
    hold = hold ? hold - 1 : 0;
    tt_buf text;
    tt_buf_init(&text);
    size_t emitted = 0;
    int pos = n_prompt, lp_cap = 0;
    o->finish = "length";
    while (o->n_gen < max_tokens) {
        int tok = glm_sample(&s, logits);
        if (o->first_token_s < 0) o->first_token_s = tt_now_s() - t0;
        if (glm_token_is_eog(g->tk, tok)) {
            o->finish = "stop";
            break;
        }
        o->n_gen++;
        if (gp->logprobs > 0) {
            if (o->n_lp == lp_cap) {
                lp_cap = lp_cap ? 2 * lp_cap : 32;
                o->lp = tt_realloc(o->lp, (size_t)lp_cap * sizeof *o->lp);
            }
            tt_buf piece;
            tt_buf_init(&piece);
            glm_token_piece(g->tk, tok, 0, &piece);
            o->lp[o->n_lp].token = piece.data ? tt_buf_detach(&piece) : tt_strdup("");
            o->lp[o->n_lp].logprob = glm_logprob(logits, m->cfg.n_vocab, tok);
            o->top_k = gp->logprobs < ENGINE_MAX_TOP ? gp->logprobs : ENGINE_MAX_TOP;
            o->top = tt_realloc(o->top, (size_t)lp_cap * (size_t)o->top_k * sizeof *o->top);
            top_alternatives(g->tk, logits, m->cfg.n_vocab, o->top_k, o->top + (size_t)o->n_lp * (size_t)o->top_k);
            o->n_lp++;
        }
        glm_token_piece(g->tk, tok, 0, &text);
        long cut = find_stop(tt_buf_str(&text), gp);
        if (cut >= 0) {
            text.len = (size_t)cut;
            text.data[cut] = 0;
            o->finish = "stop";
            break;
        }
        if (stream && req->on_token && text.len > hold + emitted) {
            size_t upto = tt_utf8_complete_prefix(text.data, text.len - hold);
            if (upto > emitted) {
                if (req->on_token(req->on_token_user, text.data + emitted, upto - emitted)) {
                    emitted = upto;
                    o->finish = "stop";
                    o->stopped_by_client = 1;
                    break;
                }
                emitted = upto;
            }
        }
        if (pos >= m->n_ctx) break;   /* context full: "length" */
        rc = forward_at(g, &tok, 1, pos++, 0, &logits, err);
        if (rc) {
            glm_sampler_free(&s);
            tt_buf_free(&text);
            return rc;
        }
    }
    if (stream && req->on_token && text.len > emitted && !o->stopped_by_client)
        req->on_token(req->on_token_user, text.data + emitted, text.len - emitted);
    glm_sampler_free(&s);
    o->text = text.data ? tt_buf_detach(&text) : tt_strdup("");
    return TT_OK;
}

static int run_generate(glm_engine *g, const engine_request *req, engine_response *resp, double t0, char *err)
{
    int *ids = NULL, n = 0, cap = 0;
    if (req->kind == ENGINE_REQ_CHAT) {
        const char **roles = tt_calloc((size_t)(req->n_messages + 1), sizeof *roles);
        const char **contents = tt_calloc((size_t)(req->n_messages + 1), sizeof *contents);
        for (int i = 0; i < req->n_messages; i++) {
            roles[i] = req->messages[i].role ? req->messages[i].role : "user";
            contents[i] = req->messages[i].content ? req->messages[i].content : "";
        }
        glm_chat_tokens(g->tk, roles, contents, req->n_messages, &ids, &n);
        free(roles);
        free(contents);
    } else if (req->prompt_ids) {   /* token ids, exactly as given */
        if (check_ids(g, req->prompt_ids, req->n_prompt_ids, resp)) return TT_OK;
        for (int i = 0; i < req->n_prompt_ids; i++) ids_push(&ids, &n, &cap, req->prompt_ids[i]);
    } else {
        const char *ctx = req->context ? req->context : "";
        if (glm_token_add_bos(g->tk) && ctx[0]) ids_push(&ids, &n, &cap, glm_token_bos(g->tk));
        glm_tokenize(g->tk, ctx, strlen(ctx), 1, &ids, &n, &cap);
    }
    /* lm-eval's generate_until: the prompt keeps its last n_ctx - max_tokens
     * tokens. Where lm-eval refuses (max_tokens leaves less than half the
     * context) the prompt keeps half the context and generation stops when
     * the context is full (finish_reason "length"). */
    int max_tokens = req->gen.max_tokens > 0 ? req->gen.max_tokens : DEFAULT_MAX_TOKENS;
    int keep = g->m->n_ctx - max_tokens;
    if (keep < g->m->n_ctx / 2) keep = g->m->n_ctx / 2;
    if (keep < 1) keep = 1;
    int off = n > keep ? n - keep : 0;   /* left-truncate a prompt that does not fit; counted */
    if (n == 0) {   /* an empty prompt: start from the prefix token */
        int p = glm_token_prefix(g->tk);
        ids_push(&ids, &n, &cap, p >= 0 ? p : 0);
    }
    resp->prompt_tokens = n - off;
    resp->truncated = off;
    int n_samples = req->gen.n > 1 ? req->gen.n : 1;
    if (n_samples > 1) {
        resp->texts = tt_calloc((size_t)n_samples, sizeof *resp->texts);
        resp->n_texts = n_samples;
    }
    resp->completion_tokens = 0;
    int rc = TT_OK;
    for (int k = 0; k < n_samples && rc == TT_OK; k++) {
        gen_out o;
        rc = generate_one(g, ids + off, n - off, req, req->gen.seed + (uint64_t)k, k == 0, t0, &o, err);
        if (rc) break;
        char *text = o.text;
        if (req->kind == ENGINE_REQ_CHAT && text[0] == '\n') memmove(text, text + 1, strlen(text));
        resp->completion_tokens += o.n_gen;
        if (k == 0) {
            resp->text = tt_strdup(text);
            resp->finish_reason = tt_strdup(o.finish);
            resp->first_token_s = o.first_token_s;
            resp->token_logprobs = o.lp;
            resp->n_token_logprobs = o.n_lp;
            resp->top_logprobs = o.top;
            resp->top_k = o.top_k;
        } else {
            for (int i = 0; i < o.n_lp; i++) free(o.lp[i].token);
            for (int i = 0; i < o.n_lp * o.top_k; i++) free(o.top[i].token);
            free(o.lp);
            free(o.top);
        }
        if (n_samples > 1) resp->texts[k] = text;
        else free(text);
    }
    free(ids);
    return rc;
}

/* ---- scoring ------------------------------------------------------------------- */

/* Per-token logprobs collected while scoring: pieces of the scored text and
 * their logprobs (NAN for a token that was not scored). */
typedef struct token_lps {
    engine_token_logprob *v;
    int n, cap;
} token_lps;

static void token_lps_push(token_lps *t, const char *piece, size_t len, double lp)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->v = tt_realloc(t->v, sizeof *t->v * (size_t)t->cap);
    }
    t->v[t->n].token = tt_strndup(piece, len);
    t->v[t->n].logprob = lp;
    t->n++;
}

static void token_lps_free(token_lps *t)
{
    for (int i = 0; i < t->n; i++) free(t->v[i].token);
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* Scores tokens[first..n) given tokens[0..first) (first >= 1), n <= n_ctx + 1:
 * adds each token's logprob to *lp and clears *greedy when one is not the
 * argmax; when lps is given, also stores logprob j - first into lps[j], and
 * when tops is given the top_k alternatives at j - first into
 * tops[(j - first) * top_k ..]. */
static int score_window_top(glm_engine *g, const int *tokens, int n, int first, double *lp, int *greedy, double *lps,
                            int top_k, engine_top_logprob *tops, char *err)
{
    glm_model *m = g->m;
    int V = m->cfg.n_vocab;
    int n_in = n - 1;   /* inputs: tokens[0..n-1) predict tokens[1..n) */
    int B = batch_size(g);
    for (int i = reuse_prefix(g, tokens, n_in, first - 1); i < n_in; i += B) {
        int k = n_in - i < B ? n_in - i : B;
        int scored = i + k > first - 1;   /* this chunk predicts a scored token */
        const float *logits;
        int rc = forward_at(g, tokens + i, k, i, scored, &logits, err);
        if (rc) return rc;
        if (!scored) continue;
        for (int j = 0; j < k; j++) {
            int target = i + j + 1;
            if (target < first) continue;
            const float *row = logits + (size_t)j * V;
            double tlp = glm_logprob(row, V, tokens[target]);
            *lp += tlp;
            if (lps) lps[target - first] = tlp;
            if (tops && top_k > 0)
                top_alternatives(g->tk, row, V, top_k, tops + (size_t)(target - first) * (size_t)top_k);
            if (glm_argmax(row, V) != tokens[target]) *greedy = 0;
        }
    }
    return TT_OK;
}

static int score_window(glm_engine *g, const int *tokens, int n, int first, double *lp, int *greedy, double *lps,
                        char *err)
{
    return score_window_top(g, tokens, n, first, lp, greedy, lps, 0, NULL, err);
}

/* A loglikelihood request tokenized: tokens[0..n) after lm-eval's left
 * truncation, the continuation from tokens[first]. */
typedef struct ll_item {
    int *ids;   /* the whole encoding (owned); tokens = ids + off */
    int n, first, n_cont, off;
} ll_item;

/* loglikelihood: the one scoring rule (glm_encode_pair, docs/scoring.md),
 * then lm-eval's left truncation: at most n_ctx inputs, i.e. the last
 * n_ctx + 1 tokens, the continuation whole. Returns 0 with *it filled, or
 * 1 with resp->error set (a request that cannot be scored). */
static int ll_encode(glm_engine *g, const engine_request *req, ll_item *it, engine_response *resp)
{
    int *ids, n, n_context;
    int n_cont = glm_encode_pair(g->tk, req->context ? req->context : "", req->continuation ? req->continuation : "",
                                 &ids, &n, &n_context);
    if (n_cont == 0) {
        free(ids);
        resp->error = tt_strdup("continuation is empty after tokenization");
        return 1;
    }
    if (n_cont > g->m->n_ctx) {
        free(ids);
        resp->error = tt_asprintf("continuation of %d tokens exceeds the context of %d", n_cont, g->m->n_ctx);
        return 1;
    }
    int max = g->m->n_ctx + 1, off = n > max ? n - max : 0;
    *it = (ll_item){ids, n - off, n - off - n_cont, n_cont, off};
    return 0;
}

static void ll_answer(const ll_item *it, double lp, int greedy, engine_response *resp)
{
    resp->logprob = lp;
    resp->is_greedy = greedy;
    resp->n_tokens = it->n_cont;
    resp->truncated = it->off;
    resp->prompt_tokens = it->n;
    resp->completion_tokens = 0;
}

static int run_loglikelihood(glm_engine *g, const engine_request *req, engine_response *resp, char *err)
{
    ll_item it;
    if (ll_encode(g, req, &it, resp)) return TT_OK;
    double lp = 0;
    int greedy = 1;
    int rc = score_window(g, it.ids + it.off, it.n, it.first, &lp, &greedy, NULL, err);
    free(it.ids);
    if (rc) return rc;
    ll_answer(&it, lp, greedy, resp);
    return TT_OK;
}

/* ---- loglikelihood requests in batches ---------------------------------------- *
 * Several requests run as one glm_forward_batch: the positions the KV
 * cache already holds for all of them (the few-shot block) are taken from
 * it, and the rest of their tokens form a tree (a document's question once
 * for its choices, the choices each once) whose nodes are the batch. Each
 * node is a (token, position) of one or more requests with the same
 * tokens before it, and the same matrix kernel: a request run alone puts
 * its inputs at positions below n_in - n_in % 4 in the kernels for groups
 * of four and the last ones in the one-token kernel (GLM_MATMUL_GROUP), so
 * a node is shared only by requests that agree on its kernel, and the
 * batch puts the group-kernel nodes first (n_grouped). Attention follows
 * each node's own path. The scores are then bit for bit those of the
 * requests run one at a time (tests/unit/test_glm_prefix_reuse.c). The
 * first request's path is laid at the cache rows of its positions, so the
 * cache afterwards holds it as if it had run alone: the next batch reuses
 * the shared prefix as before. */

typedef struct ll_node {
    int token, pos, parent;   /* parent: node index, -1 = the cached prefix */
    int grouped;              /* through the kernels for groups of four */
    int child, sibling;       /* first child, next sibling: -1 = none */
} ll_node;

typedef struct ll_tree {
    ll_node *nodes;
    int n, cap, n_roots, root;   /* root: first child of the cached prefix */
    int prefix;                  /* positions 0..prefix come from the cache */
} ll_tree;

static int ll_child(ll_tree *tr, int parent, int token, int pos, int grouped)
{
    int c = parent < 0 ? tr->root : tr->nodes[parent].child;
    for (; c >= 0; c = tr->nodes[c].sibling)
        if (tr->nodes[c].token == token && tr->nodes[c].grouped == grouped) return c;
    if (tr->n == tr->cap) {
        tr->cap = tr->cap ? 2 * tr->cap : 256;
        tr->nodes = tt_realloc(tr->nodes, (size_t)tr->cap * sizeof *tr->nodes);
    }
    c = tr->n++;
    int *head = parent < 0 ? &tr->root : &tr->nodes[parent].child;
    tr->nodes[c] = (ll_node){token, pos, parent, grouped, -1, *head};
    *head = c;
    return c;
}

/* Adds request it's inputs from the tree's prefix on; node_of (when given)
 * gets the node of each input position from the prefix. */
static void ll_tree_add(ll_tree *tr, const ll_item *it, int *node_of)
{
    const int *tok = it->ids + it->off;
    int n_in = it->n - 1, body = n_in - n_in % GLM_MATMUL_GROUP, at = -1;
    for (int q = tr->prefix; q < n_in; q++) {
        at = ll_child(tr, at, tok[q], q, q < body);
        if (node_of) node_of[q - tr->prefix] = at;
    }
}

static void ll_tree_build(ll_tree *tr, const ll_item *items, int n_items, int prefix)
{
    tr->n = 0;
    tr->root = -1;
    tr->prefix = prefix;
    for (int i = 0; i < n_items; i++) ll_tree_add(tr, &items[i], NULL);
}

/* Scores items[0..k) (k >= 2) as one batch whose tree tr (built from them,
 * in order) fits; item i's answer goes to resps[idx[i]]. */
static int ll_run_batch(glm_engine *g, ll_tree *tr, const ll_item *items, int k, engine_response *resps, const int *idx,
                        char *err)
{
    glm_model *m = g->m;
    int N = tr->n, P = tr->prefix, V = m->cfg.n_vocab;
    int *order = tt_malloc((size_t)N * sizeof *order), *at = tt_malloc((size_t)N * sizeof *at);
    int *tokens = tt_malloc((size_t)N * sizeof *tokens), *pos = tt_malloc((size_t)N * sizeof *pos);
    int *cell = tt_malloc((size_t)N * sizeof *cell), *parent = tt_malloc((size_t)N * sizeof *parent);
    int n_grouped = 0, b = 0;
    for (int pass = 1; pass >= 0; pass--)   /* group-kernel nodes first, each in creation order */
        for (int i = 0; i < N; i++)
            if (tr->nodes[i].grouped == pass) {
                order[b] = i;
                at[i] = b++;
                n_grouped += pass;
            }
    for (int t = 0; t < N; t++) {
        const ll_node *nd = &tr->nodes[order[t]];
        tokens[t] = nd->token;
        pos[t] = nd->pos;
        cell[t] = P + order[t];   /* the first request's nodes come first: its path at its own positions */
        parent[t] = nd->parent < 0 ? -1 : at[nd->parent];
    }
    /* the cache rows from P on are about to change */
    g->n_cached = P;
    if (g->n_exact > P) g->n_exact = P;
    glm_batch batch = {tokens, pos, cell, parent, N, n_grouped};
    const float *logits;
    int rc = glm_forward_batch(m, &batch, &logits, err);
    int *node_of = tt_malloc((size_t)m->n_ctx * sizeof *node_of);
    for (int i = 0; rc == TT_OK && i < k; i++) {
        const ll_item *it = &items[i];
        const int *tok = it->ids + it->off;
        ll_tree_add(tr, it, node_of);   /* finds its nodes: adds none */
        double lp = 0;
        int greedy = 1;
        for (int target = it->first; target < it->n; target++) {
            const float *row = logits + (size_t)at[node_of[target - 1 - P]] * V;
            lp += glm_logprob(row, V, tok[target]);
            if (glm_argmax(row, V) != tok[target]) greedy = 0;
        }
        ll_answer(it, lp, greedy, &resps[idx[i]]);
        g->n_reused += it->n - 1;
    }
    if (rc == TT_OK) {
        const ll_item *it = &items[0];
        int n_in = it->n - 1;
        memcpy(g->cached + P, it->ids + it->off + P, (size_t)(n_in - P) * sizeof *g->cached);
        g->n_cached = n_in;
        if (P % GLM_MATMUL_GROUP == 0 && g->n_exact == P) g->n_exact = n_in - n_in % GLM_MATMUL_GROUP;
        g->n_run += N;
        g->n_reused -= N;
        g->n_batched += k;
    }
    free(node_of); free(order); free(at); free(tokens); free(pos); free(cell); free(parent);
    return rc;
}

/* Answers n loglikelihood requests: consecutive ones as batches of as many
 * as fit in one forward (n_batch nodes, the context's rows), the others
 * (a request too long for a batch, or batching off) one at a time. */
static int run_loglikelihood_batch(glm_engine *g, const engine_request *reqs, int n, engine_response *resps, char *err)
{
    ll_item *items = tt_calloc((size_t)n + 1, sizeof *items);
    int *idx = tt_malloc(((size_t)n + 1) * sizeof *idx), n_items = 0;
    for (int i = 0; i < n; i++)
        if (!ll_encode(g, &reqs[i], &items[n_items], &resps[i])) idx[n_items++] = i;
    ll_tree tr = {0};
    int rc = TT_OK;
    for (int i = 0; i < n_items && rc == TT_OK;) {
        /* grow the batch from items[i] while its tree fits */
        int k = 0, prefix = g->m->n_ctx;
        if (g->batch)
            for (; i + k < n_items; k++) {
                const ll_item *it = &items[i + k];
                int p = reusable_prefix(g, it->ids + it->off, it->n - 1, it->first - 1);
                if (p < prefix) ll_tree_build(&tr, &items[i], k + 1, p);   /* a shorter prefix: all again */
                else ll_tree_add(&tr, it, NULL);
                if (tr.n > g->m->n_batch || tr.prefix + tr.n > g->m->n_ctx) break;
                prefix = tr.prefix;
            }
        if (k >= 2) {
            ll_tree_build(&tr, &items[i], k, prefix);
            rc = ll_run_batch(g, &tr, &items[i], k, resps, &idx[i], err);
            i += k;
            continue;
        }
        const ll_item *it = &items[i];
        double lp = 0;
        int greedy = 1;
        rc = score_window(g, it->ids + it->off, it->n, it->first, &lp, &greedy, NULL, err);
        if (rc == TT_OK) ll_answer(it, lp, greedy, &resps[idx[i]]);
        i++;
    }
    for (int i = 0; i < n_items; i++) free(items[i].ids);
    free(items);
    free(idx);
    free(tr.nodes);
    return rc;
}

/* The tokens of text (no bos) with the piece of text each one covers. */
static void text_tokens(glm_engine *g, const char *text, int **tok, int *n, size_t **ends)
{
    int cap = 0;
    *tok = NULL;
    *n = 0;
    glm_tokenize(g->tk, text, strlen(text), 1, tok, n, &cap);
    *ends = tt_malloc(((size_t)*n + 1) * sizeof **ends);
    glm_token_ends(g->tk, *tok, *n, strlen(text), *ends);
}

/* loglikelihood_rolling: lm-eval's rolling windows (prefix token first,
 * every token scored once, each with up to n_ctx tokens before it). */
static int run_rolling(glm_engine *g, const engine_request *req, engine_response *resp, char *err)
{
    const char *text = req->context ? req->context : "";
    int *tok, n;
    size_t *ends;
    text_tokens(g, text, &tok, &n, &ends);
    int L = g->m->n_ctx;
    double lp = 0;
    int greedy = 1, rc = TT_OK;
    int *win = tt_malloc((size_t)(L + 1) * sizeof *win);
    double *lps = tt_malloc(((size_t)n + 1) * sizeof *lps);
    int predicted = 0;
    while (predicted < n && rc == TT_OK) {
        /* window: predict tok[predicted .. end) with up to L inputs before each */
        int pred = n - predicted < L ? n - predicted : L;
        int end = predicted + pred;
        int start = end - L - 1;   /* first context token (may be before 0 -> prefix) */
        int w = 0;
        if (start < 0) {
            int p = glm_token_prefix(g->tk);
            win[w++] = p >= 0 ? p : 0;
            start = 0;
        }
        for (int i = start; i < end; i++) win[w++] = tok[i];
        rc = score_window(g, win, w, w - pred, &lp, &greedy, lps + predicted, err);
        predicted = end;
    }
    token_lps per_token = {0};
    for (int i = 0; i < n && rc == TT_OK; i++) {
        size_t a = i ? ends[i - 1] : 0;
        token_lps_push(&per_token, text + a, ends[i] - a, lps[i]);
    }
    free(win);
    free(lps);
    free(tok);
    free(ends);
    if (rc) {
        token_lps_free(&per_token);
        return rc;
    }
    resp->token_logprobs = per_token.v;
    resp->n_token_logprobs = per_token.n;
    resp->logprob = lp;
    resp->is_greedy = greedy;
    resp->n_tokens = n;
    resp->prompt_tokens = n;
    resp->completion_tokens = 0;
    return TT_OK;
}

/* Echo scoring for servers (engine_request.echo): bos if the model adds
 * one, then the text's tokens, or the prompt's token ids exactly as given;
 * one window of the last n_ctx + 1 tokens, its first token unscored. With
 * the same rule as run_loglikelihood, the tokens of a continuation echoed
 * after its context get exactly the logprobs run_loglikelihood gives them.
 * gen.logprobs alternatives per scored position. */
static int run_echo(glm_engine *g, const engine_request *req, engine_response *resp, char *err)
{
    const char *text = req->context ? req->context : "";
    int *tok = NULL, n = 0;
    size_t *ends = NULL;
    int bos = 0;
    if (req->prompt_ids) {
        if (check_ids(g, req->prompt_ids, req->n_prompt_ids, resp)) return TT_OK;
        n = req->n_prompt_ids;
        tok = tt_malloc((size_t)n * sizeof *tok);
        memcpy(tok, req->prompt_ids, (size_t)n * sizeof *tok);
    } else {
        text_tokens(g, text, &tok, &n, &ends);
        bos = glm_token_add_bos(g->tk);
    }
    int total = n + bos;
    int *ids = tt_malloc(((size_t)total + 1) * sizeof *ids);
    if (bos) ids[0] = glm_token_bos(g->tk);
    memcpy(ids + bos, tok, (size_t)n * sizeof *ids);
    int max = g->m->n_ctx + 1, off = total > max ? total - max : 0;
    double *lps = tt_malloc(((size_t)total + 1) * sizeof *lps);
    for (int i = 0; i < total; i++) lps[i] = NAN;
    int top_k = req->gen.logprobs > 0 ? (req->gen.logprobs < ENGINE_MAX_TOP ? req->gen.logprobs : ENGINE_MAX_TOP) : 0;
    engine_top_logprob *tops = top_k ? tt_calloc((size_t)total * (size_t)top_k, sizeof *tops) : NULL;
    double lp = 0;
    int greedy = 1, rc = TT_OK;
    if (total - off >= 2)
        rc = score_window_top(g, ids + off, total - off, 1, &lp, &greedy, lps + off + 1, top_k,
                              tops ? tops + (size_t)(off + 1) * (size_t)top_k : NULL, err);
    token_lps per_token = {0};
    if (bos) token_lps_push(&per_token, "", 0, lps[0]);   /* not in the text */
    for (int i = 0; i < n; i++) {
        if (ends) {
            size_t a = i ? ends[i - 1] : 0;
            token_lps_push(&per_token, text + a, ends[i] - a, lps[i + bos]);
        } else {
            tt_buf piece;
            tt_buf_init(&piece);
            glm_token_piece(g->tk, tok[i], 1, &piece);
            token_lps_push(&per_token, piece.data ? piece.data : "", piece.len, lps[i]);
            tt_buf_free(&piece);
        }
    }
    free(ids);
    free(lps);
    free(tok);
    free(ends);
    if (rc) {
        token_lps_free(&per_token);
        for (int i = 0; tops && i < total * top_k; i++) free(tops[i].token);
        free(tops);
        return rc;
    }
    resp->token_logprobs = per_token.v;
    resp->n_token_logprobs = per_token.n;
    resp->top_logprobs = tops;
    resp->top_k = top_k;
    resp->logprob = lp;
    resp->is_greedy = greedy;
    resp->n_tokens = total - off > 1 ? total - off - 1 : 0;
    resp->truncated = off;
    resp->prompt_tokens = total;
    resp->completion_tokens = 0;
    return TT_OK;
}

/* ---- the vtable -------------------------------------------------------------- */

static unsigned glm_caps(engine *e)
{
    (void)e;
    return ENGINE_CAP_GENERATE | ENGINE_CAP_CHAT | ENGINE_CAP_LOGLIKELIHOOD | ENGINE_CAP_LOGLIKELIHOOD_ROLLING |
           ENGINE_CAP_STREAM | ENGINE_CAP_EMBED | ENGINE_CAP_TOKEN_IDS;
}

static int glm_complete(engine *e, const engine_request *req, engine_response *resp, char *err)
{
    glm_engine *g = (glm_engine *)e;
    double t0 = tt_now_s();
    pthread_mutex_lock(&g->mu);
    int rc;
    switch (req->kind) {
    case ENGINE_REQ_GENERATE:
    case ENGINE_REQ_CHAT: rc = run_generate(g, req, resp, t0, err); break;
    case ENGINE_REQ_LOGLIKELIHOOD: rc = run_loglikelihood(g, req, resp, err); break;
    case ENGINE_REQ_LOGLIKELIHOOD_ROLLING: rc = req->echo ? run_echo(g, req, resp, err) : run_rolling(g, req, resp, err); break;
    default: rc = tt_fail(err, TT_ERR_UNSUPPORTED, "unknown request kind %d", (int)req->kind); break;
    }
    pthread_mutex_unlock(&g->mu);
    resp->latency_s = tt_now_s() - t0;
    if (rc != TT_OK && rc != TT_ERR_UNSUPPORTED) {   /* a failed request, recorded with the sample */
        resp->error = tt_strdup(err);
        return TT_OK;
    }
    return rc;
}

static int glm_loglikelihood_batch(engine *e, const engine_request *reqs, int n, engine_response *resps, char *err)
{
    glm_engine *g = (glm_engine *)e;
    double t0 = tt_now_s();
    pthread_mutex_lock(&g->mu);
    int rc = run_loglikelihood_batch(g, reqs, n, resps, err);
    pthread_mutex_unlock(&g->mu);
    double took = tt_now_s() - t0;
    for (int i = 0; i < n; i++) {
        resps[i].latency_s = took;   /* each waited for the whole batch */
        /* a failed forward is recorded with each sample, as glm_complete does */
        if (rc != TT_OK && rc != TT_ERR_UNSUPPORTED && !resps[i].error) resps[i].error = tt_strdup(err);
    }
    return rc == TT_ERR_UNSUPPORTED ? rc : TT_OK;
}

static int glm_stats(engine *e, engine_stats *out)
{
    glm_engine *g = (glm_engine *)e;
    out->weights_bytes = g->m->weights_bytes;
    out->kv_cache_bytes = g->m->kv_bytes;
    out->scratch_bytes = g->m->scratch_bytes;
    out->file_bytes = g->m->file_bytes;
    out->n_params = g->m->n_params;
    out->load_s = g->load_s;
    snprintf(out->precision, sizeof out->precision, "%s", g->precision);
    return TT_OK;
}

static void glm_close(engine *e)
{
    glm_engine *g = (glm_engine *)e;
    glm_model_free(g->m);
    glm_tokenizer_free(g->tk);
    free(g->cached);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

/* An embedding: the final normed hidden states of every token of text
 * (output_norm applied; no BOS added, as prompts are run), mean-pooled,
 * then L2-normalised (llama.cpp's mean pooling and its default
 * normalisation of /v1/embeddings). The whole text must fit the context. */
static int glm_embed(engine *e, const char *text, float **vec, int *dim, char *err)
{
    glm_engine *g = (glm_engine *)e;
    *vec = NULL;
    *dim = 0;
    int *ids = NULL, n = 0, cap = 0;
    glm_tokenize(g->tk, text, strlen(text), 1, &ids, &n, &cap);
    if (n == 0) {
        free(ids);
        return tt_fail(err, TT_ERR_USAGE, "an empty text has no embedding");
    }
    if (n > g->m->n_ctx) {
        free(ids);
        return tt_fail(err, TT_ERR_USAGE, "%d tokens do not fit the context of %d", n, g->m->n_ctx);
    }
    int D = g->m->cfg.n_embd, rc = TT_OK;
    double *acc = tt_calloc((size_t)D, sizeof *acc);
    pthread_mutex_lock(&g->mu);
    int B = batch_size(g);
    for (int i = 0; i < n && rc == TT_OK; i += B) {
        int k = n - i < B ? n - i : B;
        const float *logits;
        rc = forward_at(g, ids + i, k, i, 1, &logits, err);
        const float *h = glm_model_hidden(g->m);
        for (int t = 0; rc == TT_OK && t < k; t++)
            for (int d = 0; d < D; d++) acc[d] += h[(size_t)t * D + d];
    }
    pthread_mutex_unlock(&g->mu);
    free(ids);
    if (rc) {
        free(acc);
        return rc;
    }
    double norm = 0;
    for (int d = 0; d < D; d++) {
        acc[d] /= n;
        norm += acc[d] * acc[d];
    }
    norm = sqrt(norm);
    float *v = tt_malloc((size_t)D * sizeof *v);
    for (int d = 0; d < D; d++) v[d] = (float)(norm > 0 ? acc[d] / norm : 0.0);
    free(acc);
    *vec = v;
    *dim = D;
    return TT_OK;
}

static int glm_tokenize_text(engine *e, const char *text, int add_special, int **ids, int *n, char *err)
{
    (void)err;
    glm_engine *g = (glm_engine *)e;
    int cap = 0;
    *ids = NULL;
    *n = 0;
    if (add_special && glm_token_bos(g->tk) >= 0) ids_push(ids, n, &cap, glm_token_bos(g->tk));
    glm_tokenize(g->tk, text, strlen(text), 1, ids, n, &cap);
    return TT_OK;
}

static int glm_detokenize_ids(engine *e, const int *ids, int n, int render_special, char **text, char *err)
{
    glm_engine *g = (glm_engine *)e;
    int nv = glm_tokenizer_n_vocab(g->tk);
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= nv) return tt_fail(err, TT_ERR_USAGE, "token id %d is outside the vocabulary of %d", ids[i], nv);
    *text = glm_detokenize(g->tk, ids, n, render_special);
    return TT_OK;
}

static const engine_vtable glm_vtable = {glm_caps,  glm_complete, glm_embed,         NULL,
                                         glm_stats, glm_close,    glm_tokenize_text, glm_detokenize_ids};

/* The type of the first block's up projection, as glm_open reports a
 * model's precision when the spec names none. */
int glm_file_precision(const char *path, char *out, size_t n, char *err)
{
    gguf_file *f;
    int rc = gguf_open(path, &f, err);
    if (rc) return rc;
    const gguf_tensor *t = gguf_find_tensor(f, "blk.0.ffn_up.weight");
    const glm_type_traits *tr = t ? glm_type_get(t->type) : NULL;
    if (tr) snprintf(out, n, "%s", tr->name);
    else rc = tt_fail(err, TT_ERR_PARSE, "'%s': no blk.0.ffn_up.weight of a known type", path);
    gguf_close(f);
    return rc;
}

int glm_open(const engine_spec *spec, const engine_options *opt, engine **out, char *err)
{
    *out = NULL;
    /* spec->precision is one of glm_precisions (engine.c), all quant.c types. */
    int precision = spec->precision ? glm_type_from_name(spec->precision) : -1;
    if (spec->precision && precision < 0)
        return tt_fail(err, TT_ERR_USAGE, "precision '%s' is not a GLM tensor type", spec->precision);
    double t0 = tt_now_s();
    glm_load_params lp = {precision, opt ? opt->context_length : 0, 0, opt ? opt->threads : 0};
    /* the memory planner first: what cannot fit is refused with the numbers */
    gguf_file *f;
    int rc = gguf_open(spec->arg, &f, err);
    if (rc) return rc;
    glm_plan plan;
    rc = glm_plan_memory(f, &lp, &plan, err);
    if (rc == TT_OK) {
        char what[600];
        snprintf(what, sizeof what, "glm:%s%s%s", spec->arg, spec->precision ? "@" : "", spec->precision ? spec->precision : "");
        rc = glm_plan_check_machine(&plan, what, err);
    }
    if (rc) {
        gguf_close(f);
        return rc;
    }
    glm_model *m;
    rc = glm_model_from_gguf(f, &lp, &m, err);
    if (rc) return rc;
    glm_tokenizer *tk;
    rc = glm_tokenizer_load(m->file, &tk, err);
    if (rc) {
        glm_model_free(m);
        return rc;
    }
    glm_engine *g = tt_calloc(1, sizeof *g);
    g->base.vt = &glm_vtable;
    g->m = m;
    g->tk = tk;
    g->cached = tt_malloc((size_t)m->n_ctx * sizeof *g->cached);
    const char *rv = getenv("TIANTI_GLM_PREFIX_REUSE");
    g->reuse = !(rv && strcmp(rv, "0") == 0);
    const char *bv = getenv("TIANTI_GLM_BATCH");
    g->batch = !(bv && strcmp(bv, "0") == 0);
    g->base.loglikelihood_batch = glm_loglikelihood_batch;
    pthread_mutex_init(&g->mu, NULL);
    g->load_s = tt_now_s() - t0;
    g->verbose = opt ? opt->verbose : 0;
    if (precision >= 0) {
        snprintf(g->precision, sizeof g->precision, "%s", glm_type_get((uint32_t)precision)->name);
    } else {
        uint32_t t = m->w.layers[0].ffn_up.type;
        snprintf(g->precision, sizeof g->precision, "%s", glm_type_get(t)->name);
    }
    *out = &g->base;
    return TT_OK;
}

glm_model *glm_engine_model(engine *e)
{
    if (!e || e->vt != &glm_vtable) return NULL;
    return ((glm_engine *)e)->m;
}

/* Sets one of the engine's switches under its lock (requests may be in
 * flight on other threads); nothing for an engine of another kind. */
static void set_switch(engine *e, size_t field, int on)
{
    if (!e || e->vt != &glm_vtable) return;
    glm_engine *g = (glm_engine *)e;
    pthread_mutex_lock(&g->mu);
    *(int *)((char *)g + field) = on != 0;
    pthread_mutex_unlock(&g->mu);
}

void glm_engine_set_prefix_reuse(engine *e, int on) { set_switch(e, offsetof(glm_engine, reuse), on); }
void glm_engine_set_batching(engine *e, int on) { set_switch(e, offsetof(glm_engine, batch), on); }

int64_t glm_engine_batched_requests(engine *e)
{
    if (!e || e->vt != &glm_vtable) return 0;
    glm_engine *g = (glm_engine *)e;
    pthread_mutex_lock(&g->mu);
    int64_t n = g->n_batched;
    pthread_mutex_unlock(&g->mu);
    return n;
}

void glm_engine_prefix_stats(engine *e, int64_t *reused, int64_t *run)
{
    *reused = *run = 0;
    if (!e || e->vt != &glm_vtable) return;
    glm_engine *g = (glm_engine *)e;
    pthread_mutex_lock(&g->mu);
    *reused = g->n_reused;
    *run = g->n_run;
    pthread_mutex_unlock(&g->mu);
}
