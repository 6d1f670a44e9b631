/*
 * task.h — one evaluation task: the parsed task file (a JSON document in
 * the shape of lm-evaluation-harness's task YAML, see
 * lm_eval/config/task.py; docs/tasks.md), its loaded records, and per-document
 * prompt assembly (B2) and engine requests (B3). Called by the runner (cli
 * `run`), which sends the requests through harness/executor and hands the
 * responses with the instance's targets to harness/filter.c and metrics.c.
 * This module scores nothing.
 *
 * Task file keys (JSON object; unknown keys are an ERROR naming the file,
 * line and key, so typos never pass silently; keys starting with "_" and
 * "metadata" are free-form comments):
 *   name (or task)      string, required
 *   version             string or number (text default "0"); metadata.version
 *                       too. Kept as written for the results' "versions"
 *                       (1.0 stays a number, as lm-eval writes it)
 *   include             string or list: base files (relative to this file)
 *                       whose keys this file overrides, recursively
 *   dataset             object: {"path": ENTRY} (one file = split "test") or
 *                       {"splits": {"test": ENTRY, "dev": ENTRY, ...}} where
 *                       ENTRY is a file entry (dataset.h), or a list of them
 *                       (records are concatenated in list order)
 *   test_split, validation_split, training_split, fewshot_split  strings
 *                       (lm-eval's names): evaluated docs come from
 *                       test_split, else validation_split, else the split
 *                       named "test", else "validation"/"val"; shots from
 *                       fewshot_config.split, else fewshot_split, else
 *                       fewshot_config.samples, else training_split,
 *                       validation_split, the eval split
 *   description         template, rendered per doc, prepended once
 *   doc_to_text         template or field name (required)
 *   doc_to_target       template, field name or integer, read as lm-eval's
 *                       ConfigurableTask.doc_to_target: a field's value is
 *                       untouched (a digit string is a choice text), a
 *                       template's text of digits is an index when there are
 *                       choices, "[...]" a list (docs/tasks.md)
 *   doc_to_choice       template yielding a list (or a text that reads as a
 *                       list literal), a field name, or a list of literal
 *                       strings (an object: its values)
 *   output_type         multiple_choice | generate_until (default) |
 *                       loglikelihood | loglikelihood_rolling | embedding |
 *                       classify | transcription
 *   embedding           (output_type embedding) {"kind": "sts" |
 *                       "pair_classification" | "retrieval", "text_pair":
 *                       template of the second text (sts, pairs; the first
 *                       is doc_to_text, the gold score or 0/1 label
 *                       doc_to_target), "corpus_split", "corpus_text",
 *                       "corpus_id", "relevant" (retrieval: the corpus is
 *                       another split; each query's "relevant" field lists
 *                       the ids relevant to it, or maps id -> grade)}
 *   classify            (output_type classify) {"categories": {label field:
 *                       the classifier's category, ...}, "via": "moderation"
 *                       (default) | "chat", "threshold": number (moderation:
 *                       a score at or above it is positive; default the
 *                       classifier's own decision), "positive": the label
 *                       text that means 1 (labels are texts then: any other
 *                       is 0), "group_by": [fields: an accuracy per value of
 *                       each, of the first category]}; a document's label
 *                       field is 0/1 (or false/true, "0"/"1"); a missing one
 *                       means unknown: that document does not count for
 *                       that category. The category "flagged" is the
 *                       moderation's overall decision (score: its highest
 *                       category score)
 *   transcription       (output_type transcription) {"audio": template of
 *                       the audio file's path (relative to the task file's
 *                       folder), "language": "en" (a hint passed to the
 *                       recogniser; optional)}; doc_to_target is the
 *                       reference transcript
 *   num_fewshot         integer >= 0 (default 0)
 *   fewshot_config      {"sampler": "first_n" | "default" | "random",
 *                        "samples": [records...], "split": name,
 *                        "doc_to_text", "doc_to_target": used for the shots
 *                        instead of the task's own (lm-eval's per-shot
 *                        overrides)}
 *   fewshot_seed        integer (default 1234, lm-eval's default; the run's
 *                       --seed replaces it, harness/plan.c)
 *   fewshot_fallback_split  string: where the shots come from when the few-shot
 *                       split's data is absent (HellaSwag's and WinoGrande's
 *                       train splits are not in ../shared): a warning names
 *                       the missing data, where to get it and this fallback;
 *                       shots from the evaluated split leave the document out
 *   target_delimiter    string (default " ")
 *   fewshot_delimiter   string (default "\n\n")
 *   generation (or generation_kwargs)  {until: [..] (default
 *                       [fewshot_delimiter]), max_tokens | max_gen_toks
 *                       (default 256), temperature (0), top_p, n (or
 *                       repeats, default 1), do_sample (false), seed}
 *   repeats             integer, same as generation.n
 *   filters (or filter_list), metrics (or metric_list)  kept as JSON for
 *                       harness/filter.c and judges/metrics.c
 *   chat                bool: the description becomes a system message and
 *                       shots become user/assistant turns; requests are
 *                       CHAT (generate_until only)
 *   system_prompt       string: a system instruction placed before the
 *                       description (joined by fewshot_delimiter)
 *   doc_to_image        template yielding base64 image data (CHAT only)
 *   unsafe (or unsafe_code)  bool: scoring executes model output
 *   generative_fallback  bool (multiple_choice only): a model without
 *                       log-likelihoods may answer by generating a letter;
 *                       the runner scores that as acc under the filter name
 *                       "letter_fallback", so it is never mistaken for acc
 *   process_results     lm-eval's per-document scoring hook, by name (or
 *                       {"function": "truthfulqa.process_results_mc2"}):
 *                       "truthfulqa_mc2": the task's "acc" is the probability
 *                       mass of the choices labelled 1 by the target list;
 *                       "ifeval": the IFEval checkers (judges/ifeval.h) give
 *                       prompt_level_/inst_level_ strict/loose acc; "math":
 *                       exact_match as the leaderboard's MATH Lvl 5
 *                       (judges/math_answer.h) against the doc's "answer"
 *   process_docs        {"function": NAME}: a C version of lm-eval's
 *                       process_docs (harness/hooks.h), applied to every
 *                       split as it is loaded
 *   doc_to_text, doc_to_choice, doc_to_target may also be {"function": NAME}
 *                       (harness/hooks.h). A doc_to_text whose value is an
 *                       integer (a hook, a field holding one, or with
 *                       doc_to_choice a template rendering digits) makes a
 *                       multiple_choice task one of multiple inputs, as
 *                       lm-eval decides from the first document (WinoGrande's
 *                       partial scoring): the choices are contexts, each
 *                       scored with the one continuation target_delimiter +
 *                       doc_to_target, and the integer is the gold
 *   group               string, optional label for reports
 *
 * lm-evaluation-harness's own keys are read too, in JSON and in YAML
 * (harness/task_yaml.h, harness/task_lmeval.h): task, tag, dataset_path,
 * dataset_name, dataset_kwargs.data_files (mapped to local files, see
 * docs/tasks.md), `!function` hooks, null for unset.
 *
 * Few-shot sampling, as lm-eval's samplers (lm_eval/api/samplers.py): the
 * doc is excluded when the few-shot split's name equals test_split's (both
 * unset counting as equal), by dropping the shot records equal to it.
 * first_n takes the first n records (without those). The default sampler is
 * one CPython random.Random(fewshot_seed) per task drawing sample(records,
 * n) (n+1 when excluding, the doc dropped, the first n kept) for each eval
 * doc in order: lm-eval's shots, independent of --limit and build order.
 *
 * Requests (lm-eval's construct_requests): multiple_choice: (prompt,
 * target_delimiter + choice) per choice, and ("", target_delimiter + choice)
 * per choice after them when the metrics name acc_mutual_info;
 * loglikelihood: (prompt, target) with no delimiter; loglikelihood_rolling:
 * the target; generate_until: the prompt (or the chat turns).
 */
#ifndef TIANTI_TASK_H
#define TIANTI_TASK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "engines/engine.h"
#include "harness/dataset.h"

enum task_output_type {
    TASK_GENERATE_UNTIL = 0,
    TASK_MULTIPLE_CHOICE = 1,
    TASK_LOGLIKELIHOOD = 2,
    TASK_LOGLIKELIHOOD_ROLLING = 3,
    TASK_EMBEDDING = 4,        /* vectors, not text: harness/embed_eval.h */
    TASK_CLASSIFY = 5,         /* per-category labels: harness/classify_eval.h */
    TASK_TRANSCRIPTION = 6     /* speech recognition: harness/transcribe_eval.h */
};

/* output_type classify: how a text is classified and against which labels
 * (the task's "classify" object; harness/classify_eval.h). */
enum task_classify_via {
    TASK_CLASSIFY_MODERATION = 1,  /* the engine's moderation endpoint and its category scores */
    TASK_CLASSIFY_CHAT = 2         /* a chat model asked with doc_to_text; its reply names the categories */
};

typedef struct task_classify {
    enum task_classify_via via;
    char **keys;               /* label fields of the documents (owned) */
    char **names;              /* the classifier's category for each (owned) */
    int n;
    double threshold;          /* moderation: score >= threshold is positive; < 0: the classifier's own
                                  decision (its "categories" booleans) */
    char *positive;            /* labels are texts: this one is 1, any other 0 (NULL: labels are 0/1) */
    char **group_by;           /* fields whose values get an accuracy each (of the first category) */
    int n_group_by;
} task_classify;

/* output_type embedding: what the vectors are scored on (the task's
 * "embedding" object; harness/embed_eval.h, judges/embed_metrics.h). */
enum task_embed_kind {
    TASK_EMBED_STS = 1,        /* pairs, gold similarity score: Spearman / Pearson of cosine */
    TASK_EMBED_PAIR = 2,       /* pairs, 0/1 label: best-threshold accuracy / F1, AP */
    TASK_EMBED_RETRIEVAL = 3   /* queries against a corpus split: nDCG@10, recall@k, MRR@10 */
};

typedef struct task_embedding {
    enum task_embed_kind kind;
    char *text_pair;           /* sts, pair: template of the second text (the first is doc_to_text) */
    char *corpus_split;        /* retrieval: the split holding the corpus */
    char *corpus_text;         /* retrieval: template of a corpus record's text */
    char *corpus_id;           /* retrieval: field holding a corpus record's id */
    char *relevant;            /* retrieval: field of a query listing the ids relevant to it (a list, or an
                                  object id -> grade) */
} task_embedding;

enum task_sampler { TASK_SAMPLER_DEFAULT = 0, TASK_SAMPLER_FIRST_N = 1 };

/* process_results: lm-eval's per-document hook, by name (a task file cannot
 * name Python code; these are the ones Tianti implements). */
enum task_process_results {
    TASK_PROCESS_DEFAULT = 0,
    /* lm_eval/tasks/truthfulqa/utils.py process_results_mc2: the "acc" of a
     * document is the normalised probability mass of the choices whose
     * label (the target list) is 1 */
    TASK_PROCESS_TRUTHFULQA_MC2 = 1,
    /* lm_eval/tasks/leaderboard/ifeval/utils.py process_results: the four
     * IFEval metrics from judges/ifeval.h */
    TASK_PROCESS_IFEVAL = 2,
    /* lm_eval/tasks/leaderboard/math/utils.py process_results (its
     * process_result_v1 answer check): exact_match from judges/math_answer.h */
    TASK_PROCESS_MATH = 3
};

struct task_hook;

/* lm-eval's marker for a gold that is no choice (process_results: -100). */
#define TASK_GOLD_INVALID (-100)

typedef struct task_generation {
    char **until;          /* owned strings */
    int n_until;
    int max_tokens;        /* default 256 */
    double temperature;    /* default 0 */
    double top_p;          /* 0 = off */
    int n;                 /* samples per doc (repeats), default 1 */
    int do_sample;
    uint64_t seed;
} task_generation;

/* A parsed task. Everything is owned by the task; free with task_free(). */
typedef struct task {
    char *path;               /* task file as given */
    char *dir;                /* its folder: relative data paths start here */
    char *name;
    char *version;            /* as text: the string, or Python's str() of the number */
    json_t *version_value;    /* the version as the file gives it (a number stays a
                                 number, as lm-eval writes it), or NULL: none given */
    char *group;              /* may be NULL */
    json_t *config;           /* merged task JSON (after include) */
    json_t *dataset;          /* the "dataset" object */
    char *description;        /* template or NULL */
    char *system_prompt;      /* or NULL */
    char *doc_to_text;        /* template or field name */
    json_t *doc_to_target;    /* string or integer, may be NULL */
    json_t *doc_to_choice;    /* string or list, may be NULL */
    char *doc_to_image;       /* template or NULL */
    enum task_output_type output_type;
    int num_fewshot;
    enum task_sampler sampler;
    uint64_t fewshot_seed;
    json_t *fewshot_samples;  /* fixed shot records, or NULL */
    char *cfg_test_split;     /* test_split as written, or NULL */
    char *cfg_fewshot_split;  /* fewshot_config.split, else fewshot_split, as written, or NULL */
    char *shot_doc_to_text;   /* fewshot_config.doc_to_text override, or NULL */
    json_t *shot_doc_to_target; /* fewshot_config.doc_to_target override, or NULL */
    char *eval_split;         /* NULL: pick after loading */
    char *fewshot_split;      /* NULL: pick after loading */
    char *fewshot_fallback_split; /* fewshot_fallback_split: the shots' split when the
                                 few-shot split's data is not here (a warning says so) */
    char *target_delimiter;
    char *fewshot_delimiter;
    task_generation gen;
    json_t *filters;          /* list or NULL (filter.c reads it) */
    json_t *metrics;          /* list or NULL (metrics.c reads it) */
    int mutual_info;          /* multiple_choice with acc_mutual_info among the metrics:
                                 each choice is also scored after an empty context */
    enum task_process_results process_results;
    const struct task_hook *hook_docs;   /* process_docs, or NULL (harness/hooks.h) */
    const struct task_hook *hook_text;   /* doc_to_text as a C function, or NULL */
    const struct task_hook *hook_choice; /* doc_to_choice as a C function, or NULL */
    const struct task_hook *hook_target; /* doc_to_target as a C function, or NULL */
    int multiple_input;       /* doc_to_text gives the gold index and the choices are
                                 contexts (set by task_load_data from the first doc) */
    int until_given;          /* generation.until was written (an empty list: no stop) */
    int chat;
    int unsafe;
    int generative_fallback;  /* multiple_choice: letter extraction allowed */
    task_embedding embed;     /* output_type embedding */
    task_classify classify;   /* output_type classify */
    char *audio;              /* output_type transcription: template of the audio file's path
                                 (relative: to the task file's folder) */
    char *language;           /* output_type transcription: ISO 639-1 hint for the recogniser, or NULL */
    /* file bytes that went into the hash (task file plus includes) */
    char file_hash[65];

    /* filled by task_load_data() */
    json_t *splits;           /* object: split name -> array of records */
    json_t *eval_docs;        /* borrowed from splits */
    json_t *shot_docs;        /* borrowed from splits or fewshot_samples */
    int exclude_eval_doc;     /* lm-eval passes the eval doc to its sampler (the
                                 fewshot split's name equals test_split's, both
                                 unset included): draw n+1, drop records equal
                                 to the doc, keep n */
    uint32_t *shot_draws;     /* default sampler: per eval doc, the shot_draw_k
                                 indices random.Random(fewshot_seed).sample drew
                                 for it, doc after doc */
    size_t shot_draw_docs;    /* eval docs covered by shot_draws */
    int shot_draw_k;          /* draws per doc: num_fewshot (+1 when exclude_eval_doc) */
    char content_hash[65];    /* sha256(task file bytes, each data file's sha256) */
} task;

/* Per-document result of task_build(). Everything is owned by the instance
 * (free with task_instance_free()); requests point into its own strings and
 * (gen.until) into the task's, so they stay valid until the instance is
 * freed, provided the task lives at least as long. */
typedef struct task_instance {
    size_t doc_index;
    json_t *doc;              /* the record (a reference held) */
    char *prompt;             /* plain context: description + shots + doc text */
    engine_message *messages; /* the same as turns: system?, (user, assistant)*, user */
    int n_messages;           /* message contents/roles owned (free'd with the instance) */
    char **choices;           /* multiple_choice: the choice texts */
    int n_choices;
    json_t *target;           /* doc_to_target value: integer index, string, or list */
    int gold;                 /* multiple_choice: index of the right choice, -1 if none
                                 (a list target, e.g. TruthfulQA mc2 labels, or a
                                 gold that is not a choice) */
    int *golds;               /* multiple_choice: lm-eval's gold, one entry per gold
                                 (a list target gives several); TASK_GOLD_INVALID
                                 (lm-eval's -100) for an index out of range or a
                                 string that is no choice */
    int n_golds;
    int gold_error;           /* some gold is TASK_GOLD_INVALID: lm-eval warns and
                                 scores the doc 0 */
    char *target_text;        /* target as text (choices[gold] when gold >= 0) */
    engine_request *requests;
    int n_requests;
    char **continuations;     /* owned storage behind requests[].continuation */
    char **contexts;          /* multiple inputs: the owned context of each choice
                                 (prompt + choice), behind requests[].context */
} task_instance;

/* Parses a task file. On success *out is owned by the caller (task_free).
 * Errors name the file, line and field: "tasks/x.json:7: 'num_fewshot' must
 * be a non-negative integer". */
int task_load(const char *path, task **out, char *err);

/* Reads a task file (JSON or YAML) with its includes merged, as JSON,
 * before any checking (harness/suite.c indexes YAML files by it). */
int task_config_load(const char *path, json_t **out, char *err);

/* Parses task JSON from memory; path is used for messages and to resolve
 * relative data paths (may be NULL: ".") */
int task_parse(const char *text, size_t len, const char *path, task **out, char *err);

/* Loads the splits the task needs, picks the eval and shot splits, and
 * computes content_hash. opt may be NULL (environment defaults). */
int task_load_data(task *t, const dataset_options *opt, char *err);

void task_free(task *t);

/* Sets generation settings over the task's own, keys as in the task file's
 * "generation" (lm-eval's --gen_kwargs: until, max_gen_toks, temperature,
 * top_p, do_sample, seed, ...). origin names them in messages. */
int task_set_generation(task *t, const json_t *gen, const char *origin, char *err);

/* Number of evaluated docs (after task_load_data). */
size_t task_num_docs(const task *t);

/* How many docs --limit L evaluates: L >= 1 takes min(N, floor L);
 * 0 < L < 1 takes ceil(N * L); L <= 0 means all (lm-eval B7). */
size_t task_limit_count(size_t n_docs, double limit);

/* Builds the prompt, targets and engine requests for eval doc i. */
int task_build(const task *t, size_t i, task_instance *out, char *err);

/* Builds the instance for any record (not necessarily from the eval
 * split); doc_index says which draw of the default sampler its shots are
 * (an eval doc's own; past the eval docs the generator is replayed). */
int task_build_doc(const task *t, const json_t *doc, size_t doc_index, task_instance *out,
                   char *err);

void task_instance_free(task_instance *in);

/* Name of an output type ("multiple_choice", ...). */
const char *task_output_type_name(enum task_output_type t);

/* Renders one prompt field for a doc the way task_build does (exposed for
 * tests and `tianti task show`): doc_to_text, or the target text. Caller
 * frees *out. */
int task_doc_text(const task *t, const json_t *doc, char **out, char *err);

#endif
