/*
 * results_table.h — the table `tianti run` prints: lm-evaluation-harness's
 * markdown results table of one results document (results.h), tasks first,
 * then suites when any has a score, then the skipped tasks with their
 * reasons. A writer handed its FILE* by the caller (cli/cmd_run.c passes
 * stdout); the library itself prints nothing.
 */
#ifndef TIANTI_RESULTS_TABLE_H
#define TIANTI_RESULTS_TABLE_H

#include <jansson.h>
#include <stdio.h>

/* Prints the table of one results document to out. */
void results_table_print(const json_t *doc, FILE *out);

#endif
