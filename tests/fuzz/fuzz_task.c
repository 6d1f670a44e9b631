/*
 * fuzz_task.c — libFuzzer target for task files: task_parse() on arbitrary
 * bytes (JSON or not); a task it accepts is built for a fixed document
 * (prompt, targets, requests: its templates, choices and filters run), and
 * freed. Anything accepted must be safe to use; anything else refused with
 * an error.
 *
 * Built as fuzz_task_replay in every build (ctest fuzz/task_corpus on
 * tests/fuzz/corpus_task/) and as fuzz_task with libFuzzer.
 */
#include "harness/task.h"
#include "core/util.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16)) return 0;
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    memcpy(text, data, size);
    char err[TT_ERR_SIZE];
    task *t = NULL;
    if (task_parse(text, size, "/nonexistent/fuzz.json", &t, err) == TT_OK) {
        json_t *doc = json_pack("{s:s,s:s,s:i,s:[s,s,s],s:s,s:{s:s}}", "question", "2+2?", "answer", "4", "label", 1,
                                "choices", "3", "4", "5", "text", "a b c", "nested", "k", "v");
        task_instance in;
        if (task_build_doc(t, doc, 0, &in, err) == TT_OK) task_instance_free(&in);
        char *s = NULL;
        if (task_doc_text(t, doc, &s, err) == TT_OK) free(s);
        json_decref(doc);
        task_free(t);
    }
    free(text);
    return 0;
}
