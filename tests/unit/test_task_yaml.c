/*
 * test_task_yaml.c — lm-eval task files: harness/task_yaml.c (YAML read as
 * PyYAML reads it: YAML 1.1 scalars, anchors, merge keys, !function, errors
 * with line and column), harness/task_lmeval.c (lm-eval's keys to Tianti's),
 * harness/hooks.c (the C versions of lm-eval's functions),
 * harness/dataset_hub.c (the data convention) and harness/dataset_formats.c
 * (BBH, HellaSwag text, MMLU CSV, TruthfulQA records in the Hugging Face
 * shapes). Expected values follow PyYAML's resolver and lm-eval's Python,
 * worked out in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "harness/dataset.h"
#include "harness/dataset_formats.h"
#include "harness/dataset_hub.h"
#include "harness/hooks.h"
#include "harness/task.h"
#include "harness/task_lmeval.h"
#include "harness/task_yaml.h"

static json_t *yaml(const char *text)
{
    json_t *v = NULL;
    char err[TT_ERR_SIZE] = "";
    if (task_yaml_parse(text, strlen(text), "t.yaml", &v, err)) fail_msg("%s", err);
    return v;
}

static void yaml_error(const char *text, const char *want)
{
    json_t *v = NULL;
    char err[TT_ERR_SIZE] = "";
    assert_int_equal(task_yaml_parse(text, strlen(text), "t.yaml", &v, err), TT_ERR_PARSE);
    if (!strstr(err, want)) fail_msg("'%s' lacks '%s'", err, want);
    assert_null(v);
}

static void test_yaml_scalars_as_pyyaml(void **state)
{
    (void)state;
    json_t *v = yaml("a: 1\nb: 1.0\nc: 1e3\nd: yes\ne: Off\nf: ~\ng:\nh: '1'\ni: 0x1F\nj: 017\nk: 1_000\nl: 1:30\n"
                     "m: .5\nn: -.5\no: \"true\"\np: 09\nq: !!str 12\nr: 1.5e+3\ns: NULL\n");
    /* ints, a float needs a dot (PyYAML: "1e3" is a string), YAML 1.1 booleans, nulls */
    assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
    assert_true(json_is_real(json_object_get(v, "b")));
    assert_string_equal(json_string_value(json_object_get(v, "c")), "1e3");
    assert_true(json_is_true(json_object_get(v, "d")));
    assert_true(json_is_false(json_object_get(v, "e")));
    assert_true(json_is_null(json_object_get(v, "f")));
    assert_true(json_is_null(json_object_get(v, "g")));
    assert_string_equal(json_string_value(json_object_get(v, "h")), "1");
    assert_int_equal(json_integer_value(json_object_get(v, "i")), 31);
    assert_int_equal(json_integer_value(json_object_get(v, "j")), 15);      /* octal */
    assert_int_equal(json_integer_value(json_object_get(v, "k")), 1000);
    assert_int_equal(json_integer_value(json_object_get(v, "l")), 90);      /* base 60 */
    assert_true(json_real_value(json_object_get(v, "m")) == 0.5);
    assert_string_equal(json_string_value(json_object_get(v, "n")), "-.5"); /* PyYAML's regex: no sign before '.' */
    assert_string_equal(json_string_value(json_object_get(v, "o")), "true");
    assert_string_equal(json_string_value(json_object_get(v, "p")), "09");  /* not octal, not decimal */
    assert_string_equal(json_string_value(json_object_get(v, "q")), "12");
    assert_true(json_real_value(json_object_get(v, "r")) == 1500.0);
    assert_true(json_is_null(json_object_get(v, "s")));
    json_decref(v);
    /* block scalars, anchors, aliases and merge keys */
    v = yaml("base: &b\n  x: 1\n  y: [a, b]\nother:\n  <<: *b\n  x: 2\ntext: |\n  line 1\n  line 2\nfolded: >\n  a\n  b\n"
             "fn: !function utils.process_docs\n");
    json_t *o = json_object_get(v, "other");
    assert_int_equal(json_integer_value(json_object_get(o, "x")), 2);       /* its own key wins */
    assert_int_equal(json_array_size(json_object_get(o, "y")), 2);
    assert_string_equal(json_string_value(json_object_get(v, "text")), "line 1\nline 2\n");
    assert_string_equal(json_string_value(json_object_get(v, "folded")), "a b\n");
    assert_string_equal(task_yaml_function(json_object_get(v, "fn")), "utils.process_docs");
    assert_null(task_yaml_function(json_object_get(v, "base")));
    json_decref(v);
    yaml_error("a: [1, 2\n", "t.yaml:2:1:");
    yaml_error("a: !custom 1\n", "t.yaml:1:4: unsupported tag '!custom'");
    yaml_error("a: 1\n---\nb: 2\n", "one YAML document");
    yaml_error("a: .inf\n", "no JSON form");
    yaml_error("a: *nope\n", "unknown alias");
    assert_true(task_yaml_is_yaml("x/_template_yaml"));
    assert_true(task_yaml_is_yaml("x/a.yaml"));
    assert_false(task_yaml_is_yaml("x/a.json"));
}

static void normalize_ok(json_t *c)
{
    char key[128] = "", msg[TT_ERR_SIZE] = "";
    if (task_lmeval_normalize(c, key, sizeof key, msg)) fail_msg("'%s': %s", key, msg);
}

static void normalize_error(const char *yaml_text, const char *want_key, const char *want)
{
    json_t *c = yaml(yaml_text);
    char key[128] = "", msg[TT_ERR_SIZE] = "";
    assert_int_equal(task_lmeval_normalize(c, key, sizeof key, msg), TT_ERR_PARSE);
    assert_string_equal(key, want_key);
    if (!strstr(msg, want)) fail_msg("'%s' lacks '%s'", msg, want);
    json_decref(c);
}

static void test_lmeval_keys(void **state)
{
    (void)state;
    /* dataset_path + splits -> hub entries; nulls unset; tag and decontamination dropped */
    json_t *c = yaml("task: t\ndataset_path: allenai/ai2_arc\ndataset_name: ARC-Easy\ntraining_split: train\n"
                     "validation_split: validation\ntest_split: test\ntag: [x]\nshould_decontaminate: true\n"
                     "fewshot_split: null\nprocess_docs: !function utils.process_docs\n");
    char key[128], msg[TT_ERR_SIZE];
    /* utils.process_docs exists for several data sets; for ARC there is none */
    assert_int_equal(task_lmeval_normalize(c, key, sizeof key, msg), TT_ERR_PARSE);
    assert_string_equal(key, "process_docs");
    json_object_del(c, "process_docs");
    normalize_ok(c);
    json_t *splits = json_object_get(json_object_get(c, "dataset"), "splits");
    assert_int_equal(json_object_size(splits), 3);
    json_t *test = json_object_get(splits, "test");
    assert_string_equal(json_string_value(json_object_get(test, "hub")), "allenai/ai2_arc");
    assert_string_equal(json_string_value(json_object_get(test, "name")), "ARC-Easy");
    assert_null(json_object_get(c, "tag"));
    assert_null(json_object_get(c, "fewshot_split"));
    assert_null(json_object_get(c, "dataset_path"));
    json_decref(c);
    /* a hook chosen by the data set: hellaswag's process_docs, not gpqa's */
    c = yaml("task: h\ndataset_path: Rowan/hellaswag\nvalidation_split: validation\nprocess_docs: !function utils.process_docs\n"
             "metric_list:\n  - metric: inst_level_strict_acc\n    aggregation: !function utils.agg_inst_level_acc\n");
    normalize_ok(c);
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "process_docs"), "function")),
                        "hellaswag.process_docs");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(c, "metric_list"), 0),
                                                          "aggregation")), "flat_mean");
    json_decref(c);
    /* local files through dataset_kwargs.data_files */
    c = yaml("task: j\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: a.jsonl\n    train: [b.jsonl, c.jsonl]\n");
    normalize_ok(c);
    splits = json_object_get(json_object_get(c, "dataset"), "splits");
    assert_string_equal(json_string_value(json_object_get(splits, "test")), "a.jsonl");
    assert_int_equal(json_array_size(json_object_get(splits, "train")), 2);
    json_decref(c);
    normalize_error("group: g\ntask: [a, b]\n", "task", "this file is a group");
    normalize_error("task: t\ndataset_path: x/y\n", "dataset_path", "needs a split name");
    normalize_error("task: t\ndataset_path: x/y\ntest_split: test\nfilter_list:\n  - name: f\n    filter:\n"
                    "      - function: !function utils.my_filter\n", "filter_list", "'!function utils.my_filter' is Python");
    normalize_error("task: t\nfewshot_config:\n  samples: !function utils.list_fewshot_samples\n", "samples",
                    "write the samples in the task file");
    normalize_error("task: t\nfewshot_config:\n  fewshot_delimiter: \"###\"\n", "fewshot_delimiter", "not supported");
}

static json_t *hook_doc(const char *name, task_hook_kind kind, const char *doc_json)
{
    const task_hook *h = task_hook_find(name, kind);
    assert_non_null(h);
    json_error_t je;
    json_t *doc = json_loads(doc_json, 0, &je), *out = NULL;
    assert_non_null(doc);
    char err[TT_ERR_SIZE] = "";
    if (h->doc(doc, &out, err)) fail_msg("%s: %s", name, err);
    json_decref(doc);
    return out;
}

static void test_hooks(void **state)
{
    (void)state;
    /* hellaswag preprocess: strip, " [title]" -> ". ", "[...]" dropped, then
     * "  " -> " " once over the text (Python's replace: three spaces leave two) */
    char *pp = hook_hellaswag_preprocess("  Roof [header] removal [title] Step one  [step] done ");
    assert_string_equal(pp, "Roof removal. Step one  done");
    free(pp);
    /* process_docs: query = preprocess(label + ": " + ctx_a + " " + ctx_b.capitalize()) */
    const task_hook *h = task_hook_find("hellaswag.process_docs", HOOK_PROCESS_DOCS);
    json_error_t je;
    json_t *docs = json_loads("[{\"activity_label\": \"Baking\", \"ctx_a\": \"A man mixes flour.\", \"ctx_b\": \"he ADDS eggs\","
                              " \"endings\": [\"and stirs [title] well.\", \"x\"], \"label\": \"1\"}]", 0, &je), *out;
    char err[TT_ERR_SIZE];
    assert_int_equal(h->docs(docs, &out, err), TT_OK);
    json_t *d = json_array_get(out, 0);
    assert_string_equal(json_string_value(json_object_get(d, "query")), "Baking: A man mixes flour. He adds eggs");
    assert_string_equal(json_string_value(json_array_get(json_object_get(d, "choices"), 0)), "and stirs. well.");
    assert_int_equal(json_integer_value(json_object_get(d, "gold")), 1);
    json_decref(docs);
    json_decref(out);
    /* winogrande on the upstream record */
    const char *wg = "{\"sentence\": \"The cup broke because _ fell.\", \"option1\": \"it\", \"option2\": \"he\", \"answer\": \"2\"}";
    json_t *v = hook_doc("winogrande.doc_to_text", HOOK_DOC_TO_TEXT, wg);
    assert_int_equal(json_integer_value(v), 1);
    json_decref(v);
    v = hook_doc("winogrande.doc_to_target", HOOK_DOC_TO_TARGET, wg);
    assert_string_equal(json_string_value(v), "fell.");
    json_decref(v);
    v = hook_doc("winogrande.doc_to_choice", HOOK_DOC_TO_CHOICE, wg);
    assert_string_equal(json_string_value(json_array_get(v, 1)), "The cup broke because he");
    json_decref(v);
    /* MMLU-Pro: "question\nA. x\nB. y\nAnswer:" and letters */
    v = hook_doc("mmlu_pro.doc_to_text", HOOK_DOC_TO_TEXT, "{\"question\": \"Q?\", \"options\": [\"x\", \"y\"]}");
    assert_string_equal(json_string_value(v), "Q?\nA. x\nB. y\nAnswer:");
    json_decref(v);
    /* MuSR: choices is a Python list literal in a string */
    v = hook_doc("musr.doc_to_text", HOOK_DOC_TO_TEXT,
                 "{\"narrative\": \"N.\", \"question\": \"Who?\", \"choices\": \"['Ann', \\\"Bob's\\\"]\"}");
    assert_string_equal(json_string_value(v), "N.\n\nWho?\n\n1 - Ann\n2 - Bob's\n\nAnswer:");
    json_decref(v);
    /* MATH: Level 5 kept, the answer from the last \boxed{} */
    h = task_hook_find("math.process_docs", HOOK_PROCESS_DOCS);
    docs = json_loads("[{\"problem\": \"p\", \"level\": \"Level 4\", \"solution\": \"\\\\boxed{1}\"},"
                      " {\"problem\": \"q\", \"level\": \"Level 5\", \"solution\": \"so \\\\boxed{\\\\frac{1}{2}}.\"}]", 0, &je);
    assert_int_equal(h->docs(docs, &out, err), TT_OK);
    assert_int_equal(json_array_size(out), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "answer")), "\\frac{1}{2}");
    json_decref(docs);
    json_decref(out);
    /* GPQA: four shuffled choices, the answer letter follows the correct one */
    h = task_hook_find("gpqa.process_docs", HOOK_PROCESS_DOCS);
    docs = json_loads("[{\"Question\": \"q\", \"Incorrect Answer 1\": \"w1\", \"Incorrect Answer 2\": \"w2\","
                      " \"Incorrect Answer 3\": \"w3\", \"Correct Answer\": \" right \"}]", 0, &je);
    assert_int_equal(h->docs(docs, &out, err), TT_OK);
    d = json_array_get(out, 0);
    const char *ans = json_string_value(json_object_get(d, "answer"));
    char key[16];
    snprintf(key, sizeof key, "choice%d", ans[1] - 'A' + 1);
    assert_string_equal(json_string_value(json_object_get(d, key)), "right");
    json_decref(docs);
    json_decref(out);
    /* lm-eval names to hooks: by dataset_path, or the one hook of that name */
    assert_string_equal(task_hook_for_lmeval("utils.process_docs", HOOK_PROCESS_DOCS, "Idavidrein/gpqa", err)->name,
                        "gpqa.process_docs");
    assert_string_equal(task_hook_for_lmeval("preprocess_winogrande.doc_to_text", HOOK_DOC_TO_TEXT, "mine/wino", err)->name,
                        "winogrande.doc_to_text");
    assert_null(task_hook_for_lmeval("utils.process_docs", HOOK_PROCESS_DOCS, "mine/other", err));
    assert_non_null(strstr(err, "'!function utils.process_docs' is Python code"));
}

static char tmpdir[64];

static void put(const char *rel, const char *text, size_t len)
{
    char *p = tt_path_join(tmpdir, rel), *d = tt_dirname(p);
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_mkdir_p(d, err), TT_OK);
    assert_int_equal(tt_write_file(p, text, len, err), TT_OK);
    free(d);
    free(p);
}

static void test_hub_convention_and_formats(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tt_hub_XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    const char *rec = "{\"q\": 1}\n{\"q\": 2}\n";
    put("data/org__set/cfg/test.jsonl", rec, strlen(rec));
    put("data/org__flat/train.json", "[{\"q\": 3}]", 10);
    char *data = tt_path_join(tmpdir, "data");
    dataset_options o = {.data_dir = data, .base_dir = tmpdir, .offline = 1};
    char err[TT_ERR_SIZE] = "";
    json_t *docs = json_array(), *hashes = json_array();
    json_t *e = json_pack("{s:s, s:s, s:s}", "hub", "org/set", "name", "cfg", "split", "test");
    assert_int_equal(dataset_load_entry(e, &o, docs, hashes, err), TT_OK);
    assert_int_equal(json_array_size(docs), 2);
    assert_int_equal(json_array_size(hashes), 1);
    json_decref(e);
    /* no name: PATH__/SPLIT.EXT also */
    e = json_pack("{s:s, s:s}", "hub", "org/flat", "split", "train");
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_OK);
    assert_int_equal(json_array_size(docs), 3);
    json_decref(e);
    /* missing: the message names the file to write and where the set comes from */
    e = json_pack("{s:s, s:s, s:s}", "hub", "allenai/ai2_arc", "name", "ARC-Challenge", "split", "test");
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_NOTFOUND);
    assert_non_null(strstr(err, "allenai__ai2_arc/ARC-Challenge/test.jsonl"));
    assert_non_null(strstr(err, "allenai/ai2_arc (ARC-Easy, ARC-Challenge"));
    json_decref(e);
    e = json_pack("{s:s, s:s, s:s}", "hub", "../x", "name", "n", "split", "test");
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_PARSE);
    json_decref(e);
    char *conv = dataset_hub_convention_path("a/b", NULL, "validation");
    assert_string_equal(conv, "a__b/default/validation.jsonl");
    free(conv);
    json_decref(docs);
    json_decref(hashes);
    /* the readers of ../shared's files */
    docs = json_array();
    const char *bbh = "{\"canary\": \"c\", \"examples\": [{\"input\": \"i\", \"target\": \"(A)\"}]}";
    assert_int_equal(dataset_format_parse("bbh", bbh, strlen(bbh), "x.json", docs, err), TT_OK);
    assert_string_equal(json_string_value(json_object_get(json_array_get(docs, 0), "target")), "(A)");
    const char *hs = "Label: ctx\n2\ne0\ne1\ne2\ne3\n";
    assert_int_equal(dataset_format_parse("hellaswag_text", hs, strlen(hs), "h.txt", docs, err), TT_OK);
    json_t *h = json_array_get(docs, 1);
    assert_string_equal(json_string_value(json_object_get(h, "query")), "Label: ctx");
    assert_string_equal(json_string_value(json_object_get(h, "label")), "2");
    assert_int_equal(json_array_size(json_object_get(h, "choices")), 4);
    assert_int_equal(dataset_format_parse("hellaswag_text", "a\n9\nb\n", 6, "h.txt", docs, err), TT_ERR_PARSE);
    const char *csv = "question,choice0,choice1,choice2,choice3,answer\nQ,a,b,c,d,2\n";
    assert_int_equal(dataset_format_parse("mmlu_csv", csv, strlen(csv), "mmlu/test/anatomy_test.csv", docs, err), TT_OK);
    json_t *m = json_array_get(docs, 2);
    assert_string_equal(json_string_value(json_object_get(m, "subject")), "anatomy");
    assert_int_equal(json_integer_value(json_object_get(m, "answer")), 2);
    const char *tq = "[{\"question\": \"Q\", \"mc1_targets\": {\"yes\": 1, \"no\": 0}, \"mc2_targets\": {\"a\": 1}}]";
    assert_int_equal(dataset_format_parse("truthfulqa_mc", tq, strlen(tq), "mc.json", docs, err), TT_OK);
    json_t *t = json_object_get(json_array_get(docs, 3), "mc1_targets");
    assert_string_equal(json_string_value(json_array_get(json_object_get(t, "choices"), 1)), "no");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(t, "labels"), 0)), 1);
    assert_int_equal(dataset_format_parse("nope", "", 0, "x", docs, err), TT_ERR_NOTFOUND);
    json_decref(docs);
    /* bzip2 (HellaSwag's file): "BZh" streams inflate, garbage is an error */
    char *out;
    size_t n;
    assert_int_equal(dataset_bz2_inflate("BZh9garbage", 11, "g.bz2", &out, &n, err), TT_ERR_PARSE);
    free(data);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
}

/* A whole lm-eval YAML task, with an include and a template: parsed,
 * data found by the convention, prompts as lm-eval builds them. */
static void test_yaml_task_end_to_end(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tt_yt_XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    const char *tmpl = "dataset_path: me/qa\noutput_type: multiple_choice\ntest_split: test\n"
                       "doc_to_text: \"{{q}}{% if hint is defined %} ({{hint}}){% endif %}\\nA:\"\n"
                       "doc_to_choice: \"{{opts}}\"\ndoc_to_target: \"{{opts.index(ans)}}\"\nmetadata:\n  version: 2.0\n";
    put("tasks/_t_yaml", tmpl, strlen(tmpl));
    const char *task_text = "include: _t_yaml\ntask: qa\ntarget_delimiter: \"\"\n";
    put("tasks/qa.yaml", task_text, strlen(task_text));
    const char *rec = "{\"q\": \"2+2?\", \"opts\": [\"3\", \"4\"], \"ans\": \"4\", \"hint\": \"even\"}\n"
                      "{\"q\": \"1+1?\", \"opts\": [\"2\", \"5\"], \"ans\": \"2\"}\n";
    put("data/me__qa/default/test.jsonl", rec, strlen(rec));
    char *path = tt_path_join(tmpdir, "tasks/qa.yaml"), *data = tt_path_join(tmpdir, "data");
    task *t;
    char err[TT_ERR_SIZE] = "";
    if (task_load(path, &t, err)) fail_msg("%s", err);
    assert_string_equal(t->name, "qa");
    assert_true(json_is_real(t->version_value));
    dataset_options o = {.data_dir = data, .offline = 1};
    if (task_load_data(t, &o, err)) fail_msg("%s", err);
    task_instance in;
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_string_equal(in.prompt, "2+2? (even)\nA:");
    assert_int_equal(in.gold, 1);
    assert_string_equal(in.requests[1].continuation, "4");   /* target_delimiter "" */
    task_instance_free(&in);
    assert_int_equal(task_build(t, 1, &in, err), TT_OK);
    assert_string_equal(in.prompt, "1+1?\nA:");
    task_instance_free(&in);
    task_free(t);
    free(path);
    free(data);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_scalars_as_pyyaml),
        cmocka_unit_test(test_lmeval_keys),
        cmocka_unit_test(test_hooks),
        cmocka_unit_test(test_hub_convention_and_formats),
        cmocka_unit_test(test_yaml_task_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
