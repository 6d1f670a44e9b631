/*
 * task_yaml.h — reads the YAML of lm-evaluation-harness task files into the
 * JSON values the rest of the harness reads (harness/task.c merges and
 * parses them; harness/suite.c indexes them by their task, group and tag).
 * libyaml (Debian libyaml-dev) does the parsing; only this floor links it.
 *
 * One document per file. Values are read as PyYAML's loader reads them
 * (YAML 1.1 resolution of plain scalars, lm_eval/tasks/_yaml_loader.py):
 *   - mappings become objects (a key is its scalar's text; `<<` merges a
 *     mapping or a list of mappings in, keys already present win), sequences
 *     arrays, anchors and aliases are expanded (a copy per alias);
 *   - quoted scalars, block scalars (| and >) and plain scalars that are
 *     nothing else are strings;
 *   - plain null, ~ and the empty scalar are null; true/false/yes/no/on/off
 *     (lower, Capitalised or UPPER) are booleans; integers as YAML 1.1 writes
 *     them (12, -3, 0x1F, 0o17 is a string, 017 octal, 0b101, 1_000, 1:30
 *     base 60) are integers; floats need a dot (1.0, .5, 1.5e+3; "1e3" is a
 *     string, as in PyYAML), .inf and .nan are refused (JSON has no such
 *     numbers);
 *   - the tags !!str !!int !!float !!bool !!null !!seq !!map are honoured;
 *   - `!function MODULE.NAME` (lm-eval's Python hook) becomes the object
 *     {"!function": "MODULE.NAME"}, which harness/task_lmeval.c maps to
 *     Tianti's C implementation of that hook or refuses with a message
 *     naming the function;
 *   - any other tag is an error naming the file, line and tag.
 * Errors name the file, the line and the column: "x.yaml:3:7: found
 * character that cannot start any token".
 */
#ifndef TIANTI_TASK_YAML_H
#define TIANTI_TASK_YAML_H

#include <jansson.h>
#include <stddef.h>

/* Parses text[0..len) (one YAML document); name labels messages. *out is a
 * new reference (null for an empty document). */
int task_yaml_parse(const char *text, size_t len, const char *name, json_t **out, char *err);

/* Reads and parses a file. */
int task_yaml_load(const char *path, json_t **out, char *err);

/* Is path read as YAML? Every task file not ending in ".json" is: lm-eval's
 * *.yaml, *.yml and the extensionless templates they include
 * (_template_yaml, _default_template_yaml). */
int task_yaml_is_yaml(const char *path);

/* Is v the marker of a `!function` tag? Returns the function's name
 * ("utils.process_docs") or NULL. */
const char *task_yaml_function(const json_t *v);

#endif
