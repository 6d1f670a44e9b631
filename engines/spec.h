/*
 * spec.h — the one parser of model specs. Every place that needs the kind,
 * the argument or the precision of a model (engine_open, the runner's model
 * rows, arena display names, bench's expansion over precisions) asks this
 * parser; nobody splits a spec at ':' or '@' by hand.
 *
 * Grammar:
 *
 *     SPEC  = KIND ":" ARG [ "@" PRECISION ]
 *     NAMED = NAME "=" SPEC             (only where a caller allows names)
 *
 * KIND is a row of the engine table (engines/engine.c: replay, glm, openai,
 * chatglm, visualglm). The "@PRECISION" suffix exists only for kinds that
 * have precisions — today only glm (f32, f16, q8_0, q4_0) — so for every
 * other kind an '@' is part of ARG ("openai:gpt-4@2024" is the model
 * "gpt-4@2024"). For a kind with precisions, the text after the last '@' is
 * the precision unless it contains a '/' (then the '@' belongs to a folder
 * name of the path). Precision names are case-insensitive and come back in
 * the table's spelling ("Q8_0" -> "q8_0").
 *
 * Errors are TT_ERR_USAGE with a message that names the spec and says what
 * is wrong (no ':', unknown kind with the known ones listed, empty ARG,
 * unknown precision with the kind's precisions listed).
 */
#ifndef TIANTI_ENGINES_SPEC_H
#define TIANTI_ENGINES_SPEC_H

#include <stddef.h>

typedef struct engine_kind engine_kind;

typedef struct engine_spec {
    char *kind;              /* "glm" (owned) */
    char *arg;               /* "models/tianti-tiny.gguf": ARG without the precision (owned) */
    char *precision;         /* "q4_0" in the table's spelling, NULL when none (owned) */
    const engine_kind *row;  /* the kind's row of the engine table */
} engine_spec;

/* Parses s into *out (zeroed first; free with engine_spec_clear, also after
 * a failure). Returns TT_OK or TT_ERR_USAGE with err set. */
int engine_spec_parse(const char *s, engine_spec *out, char *err);
void engine_spec_clear(engine_spec *sp);

/* The canonical spec "KIND:ARG[@precision]" (owned): the same text as the
 * input except that the precision is spelled as in the table. */
char *engine_spec_format(const engine_spec *sp);

/* A short display name (owned): for file and model arguments, ARG without
 * folders and without a .gguf/.jsonl/.json/.bin extension; URLs stay whole.
 * With with_precision, "@precision" is appended when there is one.
 *   glm:models/tianti-tiny.gguf@q4_0  -> "tianti-tiny@q4_0" (or "tianti-tiny")
 *   openai:gpt-4o-mini                -> "gpt-4o-mini"
 *   chatglm:http://127.0.0.1:8000     -> "http://127.0.0.1:8000" */
char *engine_spec_display_name(const engine_spec *sp, int with_precision);

/* NAME=SPEC: when s starts with a non-empty NAME followed by '=' before any
 * ':', sets *name to NAME (owned) and returns the text after '='; otherwise
 * sets *name to NULL and returns s. What follows is not checked: it may be
 * a spec or a registry name. */
const char *engine_spec_split_name(const char *s, char **name);

/* The precisions of a kind (NULL-terminated, table spelling), or NULL when
 * the kind has none or is unknown. */
const char *const *engine_spec_precisions(const char *kind);
/* The table spelling of precision name (any case) for kind, or NULL when
 * the kind has no such precision. */
const char *engine_spec_precision(const char *kind, const char *name);
/* "f32, f16, q8_0, q4_0": a kind's precisions for messages ("" when none). */
void engine_spec_precisions_list(const char *kind, char *out, size_t n);

#endif
