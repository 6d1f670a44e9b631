/*
 * dataset_hub.h — finds an lm-evaluation-harness data set (a Hugging Face
 * dataset_path, dataset_name and split) on disk. A task's split entry
 * {"hub": "allenai/ai2_arc", "name": "ARC-Challenge", "split": "test"}
 * (harness/task_lmeval.h makes these from lm-eval's keys) is looked up, in
 * the data folder (--data-dir, $TIANTI_DATA), then next to the task file,
 * then in the download cache ($TIANTI_CACHE/data):
 *
 *   1. by the convention, PATH with '/' written "__":
 *        ROOT/PATH/NAME/SPLIT.EXT   (NAME "default" when the task has none;
 *        ROOT/PATH/SPLIT.EXT        also when it has none)
 *      EXT one of jsonl, json (an array), csv, jsonl.gz, json.gz: the
 *      dataset's records with the fields the Hugging Face dataset has (for
 *      example `datasets.load_dataset(PATH, NAME)[SPLIT].to_json(FILE)`);
 *   2. where ../shared/datasets keeps that set (gsm8k, cais/mmlu,
 *      truthful_qa, lambada_openai, IFEval, MATH, BBH, HellaSwag,
 *      WinoGrande; docs/tasks.md lists them), read with the reader that
 *      gives its records the Hugging Face fields (harness/dataset_formats.h)
 *      and checked against its sha256.
 * Nothing found: TT_ERR_NOTFOUND with a message that names the file to
 * put where, and where the data set comes from. Called by
 * harness/dataset.c for entries with "hub".
 */
#ifndef TIANTI_DATASET_HUB_H
#define TIANTI_DATASET_HUB_H

#include <jansson.h>

#include "harness/dataset.h"

/* Loads the records of a {"hub", "name"?, "split"} entry into docs (the
 * sha256 of each file read appended to hashes when non-NULL). */
int dataset_hub_load(const json_t *entry, const dataset_options *o, json_t *docs, json_t *hashes, char *err);

/* The convention's relative file for an entry (PATH__/NAME/SPLIT.jsonl), for
 * messages and docs. Caller frees. */
char *dataset_hub_convention_path(const char *path, const char *name, const char *split);

#endif
