/*
 * judge_impl.h — what judge.c (the dispatcher) shares with the judge kinds
 * (reference_judge.c, llm_judge.c, grade_judge.c). Not a public header:
 * callers use judges/judge.h.
 */
#ifndef TIANTI_JUDGE_IMPL_H
#define TIANTI_JUDGE_IMPL_H

#include "judges/judge.h"
#include "core/util.h"

typedef struct judge_vtable {
    int (*compare)(judge *j, const judge_item *item, judge_result *res, char *err);
    void (*close)(judge *j);   /* frees the kind's part; judge.c frees spec */
    /* Appends the requests compare() would send, as JSON lines; may be NULL. */
    void (*requests)(judge *j, const judge_item *item, tt_buf *out);
    /* Right or wrong against a reference; NULL for judges that cannot. */
    int (*check)(judge *j, const char *answer, const char *reference, int *right, char *err);
} judge_vtable;

/* Every judge struct begins with this header. */
struct judge {
    const judge_vtable *vt;
    char *spec;                /* owned by judge.c */
};

/* Openers: arg is the spec after "KIND:" (NULL when there was no colon). */
int judge_reference_open(const char *arg, judge **out, char *err);
int judge_llm_open(const char *arg, const engine_options *opt, judge **out, char *err);
int judge_grade_open(const char *arg, const engine_options *opt, judge **out, char *err);

/* The judge kinds that ask one chat engine (llm_judge.c, grade_judge.c) share
 * this struct and its opener/closer. */
typedef struct engine_judge {
    judge base;
    engine *e;                 /* owned; closed by judge_engine_close */
} engine_judge;

/* Opens the engine named by arg (the spec after "KIND:"), checks it can
 * chat and makes an engine_judge with vtable vt; kind names the judge in
 * messages. On success *out is set (closed through vt->close, which should
 * be judge_engine_close). */
int judge_engine_open(const char *kind, const char *arg, const engine_options *opt, const judge_vtable *vt,
                      judge **out, char *err);
/* Closes the engine and frees an engine_judge. */
void judge_engine_close(judge *j);

/* Runs one chat request (system + user) on e at temperature 0 and returns
 * the text (caller frees) or NULL with *failure set (caller frees) when the
 * engine recorded an error. Nonzero only when the engine cannot go on. */
int judge_ask(engine *e, const engine_message *msgs, int n, char **text, char **failure, char *err);

/* Appends {"request": <engine request JSON>} and a newline for msgs. */
void judge_append_request(tt_buf *out, const engine_message *msgs, int n);

#endif
