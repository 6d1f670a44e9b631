/*
 * dataset.h — loads evaluation records (JSON objects) for tasks: parsers for
 * JSONL, JSON arrays, CSV with a header row and gzip-compressed JSONL, and
 * resolution of a task's file entries to local files (data folder, the task
 * file's folder, a download cache filled with libcurl and checked against
 * sha256). Called by harness/task.c; the runner only sees the records.
 *
 * A file entry in a task file is either a string (a path or glob pattern)
 * or an object:
 *   {"path": "mmlu/dev/anatomy_dev.csv",      relative path (data folder or
 *                                              the task file's folder)
 *    "sha256": "<hex of the file's bytes>",    optional; checked when given
 *    "url": "https://... | file:///...",       optional; fetched when the
 *                                              file is nowhere local
 *    "member": "dev/anatomy_dev.csv",          optional: url is a zip
 *                                              archive, take this member
 *    "url_sha256": "<hex of the archive>",     optional, with member
 *    "format": "csv|jsonl|json|jsonl.gz",      optional; else by extension
 *    "align": {"entry": ENTRY, "prefix": "zh_"}} optional: another entry
 *                                              with as many records, joined
 *                                              row by row, its fields added
 *                                              under the prefix
 * Search order for a relative path P: $data_dir/P, then base_dir/P, then
 * $cache_dir/data/P (a previous download), then the url (downloaded into
 * $cache_dir/data/P after its sha256 checks out). Absolute paths are used
 * as they are. A path with * ? or [ is a glob; its matches load in sorted
 * order. A mismatched sha256 is an error wherever the file came from.
 *
 * Records: CSV cells are JSON strings keyed by the header (a UTF-8 BOM is
 * dropped); JSON values keep their types. Every parser error names the file
 * and the line (JSONL, CSV: the line where the record starts) or the array
 * index (JSON).
 */
#ifndef TIANTI_DATASET_H
#define TIANTI_DATASET_H

#include <jansson.h>
#include <stddef.h>

typedef struct dataset_options {
    const char *data_dir;   /* --data-dir / $TIANTI_DATA; may be NULL */
    const char *cache_dir;  /* NULL: $TIANTI_CACHE or ~/.cache/tianti */
    const char *base_dir;   /* folder of the task file; NULL = "." */
    int offline;            /* nonzero: never download */
} dataset_options;

/* Fills o from the environment: data_dir = $TIANTI_DATA, cache_dir NULL. */
void dataset_options_default(dataset_options *o);

/* Parsers: append one object per record to docs (a JSON array). name is
 * used in messages (usually the file path). */
int dataset_parse_jsonl(const char *buf, size_t len, const char *name, json_t *docs, char *err);
int dataset_parse_json(const char *buf, size_t len, const char *name, json_t *docs, char *err);
int dataset_parse_csv(const char *buf, size_t len, const char *name, json_t *docs, char *err);

/* Reads a whole file; a gzip file (magic 1f 8b) is inflated. *out is
 * NUL-terminated, caller frees. */
int dataset_read_file(const char *path, char **out, size_t *len, char *err);

/* Loads the records of one local file, format by name or extension
 * (.csv, .jsonl, .json, .jsonl.gz, .json.gz; anything else: JSONL). If
 * sha_hex is non-NULL it receives the sha256 of the raw file bytes. A file
 * without records is an error naming it. */
int dataset_load_file(const char *path, const char *format, json_t *docs, char sha_hex[65],
                      char *err);

/* Resolves one file entry (string or object, see above) to local files and
 * appends their records to docs. If hashes is non-NULL, the sha256 hex of
 * each file read is appended to it (a JSON array of strings). */
int dataset_load_entry(const json_t *entry, const dataset_options *o, json_t *docs,
                       json_t *hashes, char *err);

/* Downloads url (http, https, file) to dest (parent folders made), checking
 * sha256 when given; the file appears only when complete and correct. */
int dataset_fetch(const char *url, const char *sha256, const char *dest, char *err);

/* Extracts member from the zip archive at zip_path into *out (caller frees). */
int dataset_zip_member(const char *zip_path, const char *member, char **out, size_t *len,
                       char *err);

#endif
