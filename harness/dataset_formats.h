/*
 * dataset_formats.h — record readers for the data files of benchmarks that
 * do not come as one JSON record per line, each giving the records in the
 * shape of the Hugging Face dataset lm-evaluation-harness loads, so that
 * lm-eval's task files read them unchanged. A file entry names one with
 * "format" (dataset.h); harness/dataset_hub.h picks them for the files of
 * ../shared/datasets. Called by harness/dataset.c.
 *
 *   bbh              BIG-Bench Hard's bbh/<task>.json, {"canary", "examples":
 *                    [{input, target}]}: the examples (SaylorTwift/bbh)
 *   hellaswag_text   the 6-line text form of HellaSwag's validation set
 *                    (klosax/hellaswag_text_data, llama.cpp's input; bzip2
 *                    is inflated on reading): "activity_label: context",
 *                    the gold 0-3, four endings, already preprocessed ->
 *                    {query, label ("3", a string as in Rowan/hellaswag),
 *                    choices}; lm-eval's process_docs keeps these
 *   mmlu_csv         MMLU's CSVs with a header question,choice0..choice3,
 *                    answer (an index) -> {question, subject (from the file
 *                    name), choices, answer (an integer)}, as cais/mmlu
 *   truthfulqa_mc    TruthfulQA's mc_task.json, [{question, mc1_targets:
 *                    {answer: label}, mc2_targets}] -> {question,
 *                    mc1_targets: {choices, labels}, mc2_targets}, as
 *                    truthful_qa multiple_choice
 * Sentence pairs, for embedding tasks (each SOURCE.md in ../shared/datasets
 * describes its file):
 *   stsb             STS Benchmark's sts-*.csv: tab-separated, no header,
 *                    no quoting (sentences hold '"'): genre, filename,
 *                    year, id, score (a number), sentence1, sentence2; the
 *                    two license fields of Stack Exchange rows dropped
 *   sts_tsv          tab-separated, no header: sentence1, sentence2, score
 *                    (a number: CNSD's integer score, PAWS-X's 0/1 label)
 *   sts_csv          RFC 4180 CSV, no header: sentence1, sentence2, score
 *                    (stsb-multi-mt)
 *   tsv              tab-separated with a header row naming the fields, no
 *                    quoting, CRLF or LF (SICK); values are strings
 */
#ifndef TIANTI_DATASET_FORMATS_H
#define TIANTI_DATASET_FORMATS_H

#include <jansson.h>
#include <stddef.h>

/* Parses buf as format fmt, appending records to docs. TT_ERR_NOTFOUND
 * (and no message) when fmt is none of the above. name is the file, for
 * messages and (mmlu_csv) the subject. */
int dataset_format_parse(const char *fmt, const char *buf, size_t len, const char *name, json_t *docs, char *err);

/* Inflates bzip2 data (magic "BZh") into a new NUL-terminated buffer. */
int dataset_bz2_inflate(const char *in, size_t in_len, const char *name, char **out, size_t *out_len, char *err);

#endif
