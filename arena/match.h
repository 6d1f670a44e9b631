/*
 * match.h — what the web arena (arena/web.c) and automatic battles
 * (arena/auto.c) share about setting up and recording one battle: model
 * display names, pair sampling weighted toward pairs that met less, the
 * identity-leak filter, and writing the finished battle to the store.
 *
 * Pair sampling: every unordered pair {i, j} is drawn with probability
 * proportional to 1 / (1 + battles so far between i and j), so new pairs
 * catch up; then a fair coin decides which model is A (Chatbot Arena's
 * coin flip, FastChat gradio_block_arena_anony.py).
 *
 * Identity leak (as FastChat's elo_analysis.py drops them): a battle is flagged 'identity_leak' (kept,
 * not rated) when either answer names a model: one of this arena's model
 * names, or a well-known model or vendor name (a fixed list of ours),
 * matched case-insensitively as a whole word.
 */
#ifndef TIANTI_ARENA_MATCH_H
#define TIANTI_ARENA_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "engines/engine.h"
#include "engines/registry.h"
#include "core/util.h"
#include "store/store.h"

/* Display name of an engine spec: "NAME=SPEC" gives NAME; otherwise
 * engine_spec_display_name() with the precision (engines/spec.h: the file
 * or model part without folder and extension,
 * "glm:models/tianti-tiny.gguf@q4_0" -> "tianti-tiny@q4_0",
 * "openai:gpt-4o-mini" -> "gpt-4o-mini"), or arg itself when it is not a
 * spec (a registry name). *spec_out points into arg (the spec after
 * "NAME=", or arg). Caller frees the name. */
char *arena_match_model_name(const char *arg, const char **spec_out);

/* A model in an arena: its display name, how to open it, the engine. */
typedef struct arena_model {
    char *name;            /* display name, unique in the arena (owned) */
    registry_model rm;     /* spec and engine options (owned) */
    engine *e;             /* open engine (owned) */
} arena_model;

/* Resolves each argument: "NAME=X" names the model NAME, otherwise the name
 * is the registry key or arena_match_model_name() of the spec; X (or the
 * whole argument) is a name from the registry at registry_path (NULL:
 * models.json when present, as `tianti run` does) or an engine spec. Names
 * must differ. Opens every engine with its registry options and checks it
 * can chat. On success *out holds n models (caller frees with
 * arena_match_models_close); on failure nothing stays open. */
int arena_match_models_open(const char *const *args, int n, const char *registry_path, arena_model **out,
                            char *err);
void arena_match_models_close(arena_model *m, int n);   /* NULL is fine */

/* Draws a pair. counts is n*n (symmetric; counts[i*n+j] battles between i
 * and j); n >= 2. Sets *a != *b. */
void arena_match_pick_pair(const long *counts, int n, tt_rng *rng, int *a, int *b);
/* Draws a pair of one model and the baseline (index baseline, 0 <= baseline
 * < n): the other model weighted toward those that met the baseline less,
 * a coin flip for which is A (Arena-Hard and AlpacaEval judge every model
 * against one baseline). n >= 2. */
void arena_match_pick_against(const long *counts, int n, int baseline, tt_rng *rng, int *a, int *b);

/* Loads battle counts between the named models from the store (every
 * battle with a winner, whatever its source) into counts (n*n, zeroed
 * first). TT_OK or TT_ERR_STORE. */
int arena_match_load_counts(store *s, const char *const *names, int n, long *counts, char *err);

/* 1 when text names any of names[0..n) or a well-known model or vendor
 * (whole word, ASCII case-insensitive; names shorter than 3 bytes are
 * ignored). */
int arena_match_identity_leak(const char *text, const char *const *names, int n);

/* A finished battle, ready to store. Strings borrowed; NULL stored as NULL.
 * One turn: prompt, answer_a, answer_b. Several: n_turns > 0 and the
 * arrays (prompt is then the first prompt). */
typedef struct arena_match_record {
    const char *model_a, *model_b;
    const char *winner;           /* "model_a", ..., or NULL (not decided) */
    double tstamp;                /* wall seconds */
    const char *source;           /* 'human', 'judge:<spec>' */
    const char *judge;
    const char *prompt;
    const char *answer_a, *answer_b;  /* the assistant replies (NULL = failed) */
    const char *voter_id;
    const char *session_token;    /* stored as given (callers hash secrets) */
    const char *flags;            /* NULL when rated */
    const char *extra_json;
    int n_turns;                  /* 0: one turn (prompt, answer_a, answer_b) */
    const char *const *prompts;   /* [n_turns] */
    const char *const *answers_a; /* [n_turns]; NULL entries: that turn failed */
    const char *const *answers_b;
} arena_match_record;

/* Builds an OpenAI-style conversation [{"role":"user",...},{"role":
 * "assistant",...}] (assistant omitted when answer is NULL). Caller frees. */
char *arena_match_conversation_json(const char *prompt, const char *answer);
/* The same for n turns: user and assistant messages in turn order; a NULL
 * answer is {"role":"assistant","content":null} (a failed turn). */
char *arena_match_conversation_turns_json(const char *const *prompts, const char *const *answers, int n);

/* Stores the battle as one row of `battles` (store_battle_put: one atomic
 * statement), with the conversations built from the turns, and the facts
 * of arena/conv.h (turns, language, categories, style counts) in their
 * columns. TT_OK; TT_ERR_USAGE when session_token is already stored (a
 * second vote: nothing written); TT_ERR_STORE otherwise. Callers serialise
 * calls on one store. */
int arena_match_store(store *s, const arena_match_record *r, int64_t *row_id, char *err);

#endif
