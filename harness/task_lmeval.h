/*
 * task_lmeval.h — reads lm-evaluation-harness's task keys (lm_eval/config/
 * task.py TaskConfig) into Tianti's (harness/task.h), so that an lm-eval
 * task file, YAML or JSON, loads as it is. harness/task.c calls it on every
 * task file's merged keys (after include) before checking them:
 *
 *   - a key set to null (YAML ~ or null) is unset, as in lm-eval;
 *   - dataset_path, dataset_name and the split names (test_split,
 *     validation_split, training_split, fewshot_split, fewshot_config.split)
 *     become a "dataset" whose splits are {"hub": PATH, "name": NAME,
 *     "split": SPLIT} entries, found on disk by harness/dataset_hub.h's
 *     convention; dataset_path json/csv with dataset_kwargs.data_files
 *     names the files themselves;
 *   - `!function MODULE.NAME` (task_yaml.h's marker) on process_docs,
 *     doc_to_text, doc_to_choice, doc_to_target, process_results and a
 *     metric's aggregation becomes the C version of that function for the
 *     task's dataset_path (harness/hooks.h); any other Python function is
 *     an error naming it;
 *   - keys with no effect here are dropped: tag (harness/suite.c indexes
 *     it), should_decontaminate, doc_to_decontamination_query,
 *     dataset_kwargs (but data_files), group given as a list (lm-eval's old
 *     group membership), and fewshot_config's target_delimiter and
 *     fewshot_delimiter when they equal the task's;
 *   - a file whose task: is a list is a group (harness/suite.h), not a task.
 */
#ifndef TIANTI_TASK_LMEVAL_H
#define TIANTI_TASK_LMEVAL_H

#include <jansson.h>
#include <stddef.h>

/* Rewrites config (an object) in place. On failure returns TT_ERR_PARSE,
 * names the key at fault in bad_key and says what is wrong in msg (without
 * a location: the caller adds file and line). */
int task_lmeval_normalize(json_t *config, char *bad_key, size_t bad_key_n, char *msg);

#endif
