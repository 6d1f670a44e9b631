/*
 * dataset_hub.c — lm-eval data sets (dataset_path, dataset_name, split) to
 * local files; see dataset_hub.h. Two tables: where ../shared/datasets keeps
 * the sets it has, and where the sets it lacks come from (for the message).
 */
#include "harness/dataset_hub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* Where ../shared/datasets keeps a set. name: NULL any (also none), "*"
 * any name that is then put in file ("%s"); "=" entries map names. */
typedef struct shared_set {
    const char *hubs[3];      /* dataset_path spellings */
    const char *name;         /* NULL: any or none; "*": any, substituted in file */
    const char *split;
    const char *file;         /* relative to the data folder */
    const char *format;       /* dataset.h format, NULL by extension */
    const char *sha256;       /* the file's, when the file is fixed */
} shared_set;

static const shared_set shared_sets[] = {
    {{"openai/gsm8k", "gsm8k", NULL}, NULL, "test", "gsm8k/test.jsonl", NULL,
     "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14"},
    {{"cais/mmlu", "hails/mmlu_no_train", NULL}, "*", "test", "mmlu/test/%s_test.csv", "mmlu_csv", NULL},
    {{"cais/mmlu", "hails/mmlu_no_train", NULL}, "*", "dev", "mmlu/dev/%s_dev.csv", "mmlu_csv", NULL},
    {{"truthful_qa", "truthfulqa/truthful_qa", NULL}, NULL, "validation", "truthfulqa/v0/mc_task.json", "truthfulqa_mc",
     "6eb4125d25750c0145c4be2dce00440736684ab6f74ce6bff2139571cc758954"},
    {{"EleutherAI/lambada_openai", NULL, NULL}, NULL, "test", "lambada/lambada_test.jsonl", NULL,
     "4aa8d02cd17c719165fc8a7887fddd641f43fcafa4b1c806ca8abc31fabdb226"},
    {{"google/IFEval", "wis-k/instruction-following-eval", NULL}, NULL, "train", "ifeval/input_data.jsonl", NULL,
     "67ffeee0fcb87c317c5b08a2de85557b4a7e96ada6178aa645b4954fe4b53d49"},
    {{"DigitalLearningGmbH/MATH-lighteval", "lighteval/MATH-Hard", NULL}, NULL, "test", "math/test.jsonl", NULL,
     "3371949f33dd702d04b43fddd7d53a028de0aaca0e76abb1b875a050297b3aa4"},
    {{"SaylorTwift/bbh", "lukaemon/bbh", NULL}, "*", "test", "bbh/bbh/%s.json", "bbh", NULL},
    {{"Rowan/hellaswag", "hellaswag", NULL}, NULL, "validation", "hellaswag/hellaswag_val_full.txt.bz2",
     "hellaswag_text", "50b637899e4263c2bc456c2dc726c95d2c8cd8e2a552ea5bd7719ce3cb03fe5b"},
    {{"allenai/winogrande", "winogrande", NULL}, NULL, "validation", "winogrande/winogrande.jsonl", NULL,
     "ea1592526f3bfdd0948ed3acb1b4dfa3f83d23698917118688ee1df7f8d4b8d7"},
};

/* MATH's configs (dataset_name) and the "type" of their records. */
static const char *const math_types[][2] = {
    {"algebra", "Algebra"}, {"counting_and_probability", "Counting & Probability"}, {"geometry", "Geometry"},
    {"intermediate_algebra", "Intermediate Algebra"}, {"number_theory", "Number Theory"},
    {"prealgebra", "Prealgebra"}, {"precalculus", "Precalculus"},
};

/* Where a set comes from, for the message when it is not here. */
static const char *const origins[][2] = {
    {"allenai/ai2_arc", "the Hugging Face dataset allenai/ai2_arc (ARC-Easy, ARC-Challenge; not in ../shared: no "
                        "faithful copy on GitHub)"},
    {"TIGER-Lab/MMLU-Pro", "the Hugging Face dataset TIGER-Lab/MMLU-Pro (splits test, validation)"},
    {"TAUR-Lab/MuSR", "the Hugging Face dataset TAUR-Lab/MuSR (splits murder_mysteries, object_placements, "
                      "team_allocation), or Zayne-sprague/MuSR's datasets/*.json"},
    {"Idavidrein/gpqa", "the gated Hugging Face dataset Idavidrein/gpqa (accept its terms first; configs gpqa_main, "
                        "gpqa_diamond, gpqa_extended, split train)"},
    {"Rowan/hellaswag", "the Hugging Face dataset Rowan/hellaswag, or rowanz/hellaswag's data/hellaswag_*.jsonl"},
    {"allenai/winogrande", "the Hugging Face dataset allenai/winogrande (config winogrande_xl), or AI2's "
                           "winogrande_1.1.zip"},
    {"openai/gsm8k", "the Hugging Face dataset openai/gsm8k (config main), or openai/grade-school-math's "
                     "grade_school_math/data/*.jsonl"},
};

char *dataset_hub_convention_path(const char *path, const char *name, const char *split)
{
    tt_buf b;
    tt_buf_init(&b);
    for (const char *p = path; *p; p++) {
        if (*p == '/') tt_buf_puts(&b, "__");
        else tt_buf_append(&b, p, 1);
    }
    tt_buf_printf(&b, "/%s/%s.jsonl", name ? name : "default", split);
    return tt_buf_detach(&b);
}

/* A name or path part must not climb out of the data folder. */
static int safe_part(const char *s) { return s && *s && !strstr(s, "..") && !strchr(s, '/') && s[0] != '.'; }

static int lists(const char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n && v[i]; i++)
        if (!strcmp(v[i], s)) return 1;
    return 0;
}

/* Loads file (format fmt) through dataset_load_entry, which checks sha256. */
static int load_file(const char *file, const char *fmt, const char *sha, const dataset_options *o, json_t *docs,
                     json_t *hashes, char *err)
{
    json_t *e = json_pack("{s:s}", "path", file);
    if (fmt) json_object_set_new(e, "format", json_string(fmt));
    if (sha) json_object_set_new(e, "sha256", json_string(sha));
    int rc = dataset_load_entry(e, o, docs, hashes, err);
    json_decref(e);
    return rc;
}

/* The roots a relative file is looked for in (as dataset_load_entry does). */
static int exists_in_roots(const dataset_options *o, const char *rel)
{
    const char *roots[2] = {o->data_dir, o->base_dir ? o->base_dir : "."};
    for (int i = 0; i < 2; i++) {
        if (!roots[i]) continue;
        char *p = tt_path_join(roots[i], rel);
        int ok = tt_file_exists(p);
        free(p);
        if (ok) return 1;
    }
    return 0;
}

/* 1. the convention */
static int by_convention(const char *path, const char *name, const char *split, const dataset_options *o, json_t *docs,
                         json_t *hashes, int *found, char *err)
{
    static const char *const exts[] = {"jsonl", "json", "csv", "jsonl.gz", "json.gz", NULL};
    char *dir = dataset_hub_convention_path(path, name, split);
    *strrchr(dir, '/') = 0;   /* PATH__/NAME */
    char *flat = tt_strdup(dir);
    if (!name) *strrchr(flat, '/') = 0;   /* PATH__ */
    int rc = TT_OK;
    *found = 0;
    for (int pass = 0; pass < (name ? 1 : 2) && !*found; pass++) {
        for (int i = 0; exts[i] && !*found; i++) {
            char *rel = tt_asprintf("%s/%s.%s", pass ? flat : dir, split, exts[i]);
            if (exists_in_roots(o, rel)) {
                *found = 1;
                rc = load_file(rel, NULL, NULL, o, docs, hashes, err);
            }
            free(rel);
        }
    }
    free(dir);
    free(flat);
    return rc;
}

/* Keeps the records whose "type" is MATH's type for name. */
static int math_filter(const char *name, json_t *docs, char *err)
{
    if (!name || !strcmp(name, "default")) return TT_OK;
    const char *type = NULL;
    for (size_t i = 0; i < sizeof math_types / sizeof math_types[0]; i++)
        if (!strcmp(math_types[i][0], name)) type = math_types[i][1];
    if (!type) return tt_fail(err, TT_ERR_NOTFOUND, "MATH has no config '%s'", name);
    json_t *keep = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d) {
        const char *t = json_string_value(json_object_get(d, "type"));
        if (t && !strcmp(t, type)) json_array_append(keep, d);
    }
    json_array_clear(docs);
    json_array_extend(docs, keep);
    json_decref(keep);
    return TT_OK;
}

/* 2. where ../shared/datasets keeps it */
static int by_shared(const char *path, const char *name, const char *split, const dataset_options *o, json_t *docs,
                     json_t *hashes, int *found, char *err)
{
    *found = 0;
    for (size_t i = 0; i < sizeof shared_sets / sizeof shared_sets[0]; i++) {
        const shared_set *s = &shared_sets[i];
        if (!lists(s->hubs, 3, path) || strcmp(s->split, split)) continue;
        if (s->name && !name) continue;
        char *file = s->name ? tt_asprintf(s->file, name) : tt_strdup(s->file);
        if (!exists_in_roots(o, file)) {
            free(file);
            continue;
        }
        *found = 1;
        json_t *tmp = json_array();
        int rc = load_file(file, s->format, s->sha256, o, tmp, hashes, err);
        free(file);
        if (rc == TT_OK && strstr(s->file, "math/")) rc = math_filter(name, tmp, err);
        if (rc == TT_OK) json_array_extend(docs, tmp);
        json_decref(tmp);
        return rc;
    }
    return TT_OK;
}

int dataset_hub_load(const json_t *entry, const dataset_options *o, json_t *docs, json_t *hashes, char *err)
{
    const char *path = json_string_value(json_object_get(entry, "hub"));
    const char *name = json_string_value(json_object_get(entry, "name"));
    const char *split = json_string_value(json_object_get(entry, "split"));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)entry, k, v) {
        if (strcmp(k, "hub") && strcmp(k, "name") && strcmp(k, "split"))
            return tt_fail(err, TT_ERR_PARSE, "data set entry: unknown key '%s' (hub, name, split)", k);
    }
    if (!path || !split) return tt_fail(err, TT_ERR_PARSE, "data set entry needs strings 'hub' and 'split'");
    if (json_object_get(entry, "name") && !json_is_string(json_object_get(entry, "name")))
        return tt_fail(err, TT_ERR_PARSE, "data set entry: 'name' must be a string");
    /* every part becomes a file name: no climbing out */
    int safe = !strstr(path, "..") && path[0] != '/' && path[0] != '.' && safe_part(split) && (!name || safe_part(name));
    if (!safe) return tt_fail(err, TT_ERR_PARSE, "data set '%s' (%s, %s): a name that cannot be a file name", path,
                              name ? name : "-", split);
    int found = 0;
    int rc = by_convention(path, name, split, o, docs, hashes, &found, err);
    if (rc || found) return rc;
    rc = by_shared(path, name, split, o, docs, hashes, &found, err);
    if (rc || found) return rc;
    char *want = dataset_hub_convention_path(path, name, split);
    const char *origin = NULL;
    for (size_t i = 0; i < sizeof origins / sizeof origins[0]; i++)
        if (!strcmp(origins[i][0], path)) origin = origins[i][1];
    rc = tt_fail(err, TT_ERR_NOTFOUND,
                 "data set '%s'%s%s%s, split '%s', is not here: put its records, one JSON object per line with the "
                 "Hugging Face dataset's fields, in %s/%s (or .json, .csv) and pass --data-dir %s; it comes from %s",
                 path, name ? " (" : "", name ? name : "", name ? ")" : "", split,
                 o->data_dir ? o->data_dir : "DATA", want, o->data_dir ? o->data_dir : "DATA",
                 origin ? origin : "the Hugging Face hub (datasets.load_dataset(PATH, NAME)[SPLIT].to_json(FILE))");
    free(want);
    return rc;
}
