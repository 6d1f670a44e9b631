/*
 * test_tasks_shipped.c — every task and suite file shipped under tasks/
 * parses, with metrics and filters that metrics.c and filter.c accept;
 * with the shared datasets present ($TIANTI_SHARED_DIR/datasets),
 * every task loads its data offline from there (checking each file's
 * sha256) and builds its first prompt, and the first prompts of MMLU,
 * C-Eval, CMMLU, GSM8K and TruthfulQA match text worked out independently
 * (MMLU's by Python's csv module from the same CSVs), and so do those of the
 * Open LLM Leaderboard tasks. The tasks whose data ../shared does not have
 * (ARC, MMLU-Pro, MuSR, GPQA: its README says why) must fail to load their
 * data with TT_ERR_NOTFOUND and a message that says where to put it and
 * where it comes from. Without the datasets the data checks are skipped
 * with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/dataset.h"
#include "harness/filter.h"
#include "judges/metrics.h"
#include "harness/suite.h"
#include "harness/task.h"
#include "core/util.h"

static char *tasks_dir(void)
{
    const char *src = getenv("TIANTI_SOURCE_DIR");
    return tt_path_join(src && *src ? src : ".", "tasks");
}

static char *datasets_dir(void)
{
    const char *sh = getenv("TIANTI_SHARED_DIR");
    if (!sh || !*sh) return NULL;
    char *d = tt_path_join(sh, "datasets");
    struct stat st;
    if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(d);
        return NULL;
    }
    return d;
}

/* The shipped tasks whose data ../shared/datasets does not hold. */
static int data_absent(const char *name)
{
    static const char *const prefixes[] = {"arc_", "leaderboard_mmlu_pro", "leaderboard_musr_", "leaderboard_gpqa_", NULL};
    for (int i = 0; prefixes[i]; i++)
        if (!strncmp(name, prefixes[i], strlen(prefixes[i]))) return 1;
    return 0;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static void collect(const char *dir, char ***files, int *n)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = tt_path_join(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            collect(p, files, n);
            free(p);
        } else if (ends_with(e->d_name, ".json")) {
            *files = tt_realloc(*files, (size_t)(*n + 1) * sizeof(char *));
            (*files)[(*n)++] = p;
        } else {
            free(p);
        }
    }
    closedir(d);
}

static void test_tasks_shipped_all_parse(void **state)
{
    (void)state;
    char *td = tasks_dir();
    char *dd = datasets_dir();
    char **files = NULL;
    int n = 0, n_tasks = 0, n_suites = 0, n_built = 0;
    collect(td, &files, &n);
    if (n == 0) fail_msg("no task files under %s", td);
    for (int i = 0; i < n; i++) {
        char err[TT_ERR_SIZE] = "";
        const char *base = strrchr(files[i], '/') + 1;
        if (ends_with(files[i], ".suite.json")) {
            suite *s;
            if (suite_load(files[i], td, &s, err)) fail_msg("%s", err);
            assert_true(s->n_tasks > 0);
            suite_free(s);
            n_suites++;
        } else if (base[0] != '_') {
            task *t;
            if (task_load(files[i], &t, err)) fail_msg("%s", err);
            /* a task file's name matches its "name", so lookup by name works */
            char *want = tt_asprintf("%s.json", t->name);
            assert_string_equal(base, want);
            free(want);
            /* its metrics and filters are ones metrics.c and filter.c accept
             * (an embedding, classification or transcription task's are fixed:
             * harness/embed_eval.h, classify_eval.h, transcribe_eval.h) */
            metric_spec *ms = NULL;
            int nm = 0;
            int fixed = t->output_type == TASK_EMBEDDING || t->output_type == TASK_CLASSIFY ||
                        t->output_type == TASK_TRANSCRIPTION;
            int mrc = fixed ? (nm = 1, 0)
                      : t->metrics ? metric_spec_parse(t->metrics, &ms, &nm, err)
                                   : metric_spec_defaults(task_output_type_name(t->output_type), &ms, &nm, err);
            if (mrc) fail_msg("%s: metrics: %s", files[i], err);
            assert_true(nm > 0);
            metric_specs_free(ms, fixed ? 0 : nm);
            if (t->filters) {
                filter_chain **ch = NULL;
                int nc = 0;
                if (filter_list_parse(t->filters, &ch, &nc, err)) fail_msg("%s: filters: %s", files[i], err);
                filter_chains_free(ch, nc);
            }
            if (dd && data_absent(t->name)) {
                dataset_options o = { .data_dir = dd, .offline = 1 };
                int rc = task_load_data(t, &o, err);
                if (rc != TT_ERR_NOTFOUND) fail_msg("%s: its data is not in ../shared, yet: %d %s", t->name, rc, err);
                if (!strstr(err, "is not here: put its records") || !strstr(err, "it comes from"))
                    fail_msg("%s: the message does not say where to get the data: %s", t->name, err);
            } else if (dd) {
                dataset_options o = { .data_dir = dd, .offline = 1 };
                if (task_load_data(t, &o, err)) fail_msg("%s", err);
                assert_true(task_num_docs(t) > 0);
                n_built++;
            }
            task_free(t);
            n_tasks++;
        }
        free(files[i]);
    }
    free(files);
    print_message("%d task files and %d suites parse; %d built their first prompt%s\n", n_tasks,
                  n_suites, n_built, dd ? "" : " (datasets missing: data checks skipped)");
    free(td);
    /* without the shared datasets half of this test did not run: say so */
    if (!dd) skip();
    free(dd);
}

/* Loads tasks/<rel> with data from the shared datasets and builds doc i. */
static task *load_real(const char *rel, const char *dd)
{
    char *td = tasks_dir();
    char *p = tt_path_join(td, rel);
    task *t;
    char err[TT_ERR_SIZE] = "";
    if (task_load(p, &t, err)) fail_msg("%s", err);
    dataset_options o = { .data_dir = dd, .offline = 1 };
    if (task_load_data(t, &o, err)) fail_msg("%s", err);
    free(p);
    free(td);
    return t;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static const char *MMLU_AA_0 =
    "The following are multiple choice questions (with answers) about abstract algebra.\n\n"
    "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n"
    "Statement 1 | If aH is an element of a factor group, then |aH| divides |a|. Statement 2 | If H "
    "and K are subgroups of G then HK is a subgroup of G.\nA. True, True\nB. False, False\nC. True, "
    "False\nD. False, True\nAnswer: B\n\n"
    "Statement 1 | Every element of a group generates a cyclic subgroup of the group. Statement 2 | "
    "The symmetric group S_10 has 10 elements.\nA. True, True\nB. False, False\nC. True, False\nD. "
    "False, True\nAnswer: C\n\n"
    "Statement 1| Every function from a finite set onto itself must be one to one. Statement 2 | "
    "Every subgroup of an abelian group is abelian.\nA. True, True\nB. False, False\nC. True, "
    "False\nD. False, True\nAnswer: A\n\n"
    "Find the characteristic of the ring 2Z.\nA. 0\nB. 3\nC. 12\nD. 30\nAnswer: A\n\n"
    "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. "
    "4\nC. 2\nD. 6\nAnswer:";

static void test_tasks_shipped_real_first_prompts(void **state)
{
    (void)state;
    char *dd = datasets_dir();
    if (!dd) {
        print_message("skipped: $TIANTI_SHARED_DIR/datasets not found\n");
        skip();
    }
    char err[TT_ERR_SIZE] = "";
    task_instance in;

    task *t = load_real("mmlu/mmlu_abstract_algebra.json", dd);
    assert_int_equal(task_num_docs(t), 100);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_string_equal(in.prompt, MMLU_AA_0);
    assert_int_equal(in.n_requests, 4);
    assert_string_equal(in.requests[0].continuation, " A");
    assert_string_equal(in.requests[3].continuation, " D");
    assert_int_equal(in.gold, 1);
    task_instance_free(&in);
    task_free(t);

    t = load_real("ceval/ceval-valid_computer_network.json", dd);
    assert_int_equal(task_num_docs(t), 19);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    const char *ce_head = "以下是中国关于计算机网络的单项选择题，请选出其中的正确答案。\n\n"
                          "下列设备属于资源子网的是____。\nA. 计算机软件\nB. 网桥\nC. 交换机\nD. 路由器\n答案： A\n\n";
    assert_memory_equal(in.prompt, ce_head, strlen(ce_head));
    assert_true(ends_with(in.prompt, "\n答案："));
    assert_int_equal(count(in.prompt, "答案："), 6);
    assert_int_equal(in.n_choices, 4);
    assert_true(in.gold >= 0 && in.gold < 4);
    task_instance_free(&in);
    task_free(t);

    t = load_real("cmmlu/cmmlu_agronomy.json", dd);
    assert_int_equal(task_num_docs(t), 169);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    const char *cm_head = "以下是关于农学的单项选择题，请直接给出正确答案的选项。\n\n"
                          "肉牛屠宰后，胴体的哪个部位肉质较好\nA. 胸\nB. 腹\nC. 大腿\nD. 小腿\n答案： C\n\n";
    const char *cm_tail = "\n\n在农业生产中被当作极其重要的劳动对象发挥作用，最主要的不可替代的基本生产资料是\n"
                          "A. 农业生产工具\nB. 土地\nC. 劳动力\nD. 资金\n答案：";
    assert_memory_equal(in.prompt, cm_head, strlen(cm_head));
    assert_true(ends_with(in.prompt, cm_tail));
    assert_int_equal(in.gold, 1);
    task_instance_free(&in);
    task_free(t);

    t = load_real("gsm8k/gsm8k.json", dd);
    assert_int_equal(task_num_docs(t), 1319);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(count(in.prompt, "Question: "), 6);
    assert_int_equal(count(in.prompt, "Janet"), 1); /* the doc is never its own shot */
    assert_true(ends_with(in.prompt, "at the farmers' market?\nAnswer:"));
    assert_int_equal(in.requests[0].kind, ENGINE_REQ_GENERATE);
    assert_int_equal(in.requests[0].gen.n_until, 3);
    assert_string_equal(in.requests[0].gen.until[0], "Question:");
    assert_true(ends_with(in.target_text, "#### 18"));
    assert_non_null(t->filters);
    assert_int_equal(json_array_size(t->filters), 2);
    task_instance_free(&in);
    task_free(t);

    t = load_real("gsm8k/gsm8k_cot.json", dd);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_memory_equal(in.prompt, "Q: There are 15 trees in the grove.", 35);
    assert_int_equal(count(in.prompt, "The answer is"), 8);
    assert_non_null(strstr(in.prompt, "The answer is 8.\n\nQ: Janet"));
    assert_string_equal(in.target_text, "18");
    task_instance_free(&in);
    task_free(t);

    t = load_real("truthfulqa/truthfulqa_mc1.json", dd);
    assert_int_equal(task_num_docs(t), 817);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_true(ends_with(in.prompt, "A: The 1992 Olympics were held in Barcelona, Spain.\n\nQ: What is the "
                                     "smallest country in the world that is at least one square mile in area?\nA:"));
    assert_memory_equal(in.prompt, "Q: What is human life expectancy", 32);
    assert_int_equal(in.n_choices, 4);
    assert_int_equal(in.gold, 0);
    task_instance_free(&in);
    task_free(t);

    t = load_real("truthfulqa/truthfulqa_mc2.json", dd);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.gold, -1);
    assert_true(json_is_array(in.target));
    assert_int_equal(json_array_size(in.target), (size_t)in.n_choices);
    assert_int_equal(json_integer_value(json_array_get(in.target, 0)), 1);
    task_instance_free(&in);
    task_free(t);
    free(dd);
}

/* The leaderboard tasks on the shared data: document counts of the
 * README (BBH 250/187/146/178 per task, MATH Level 5 1324 in all, IFEval
 * 541, HellaSwag 10042, WinoGrande 1267, LAMBADA 5153) and prompts built as
 * lm-eval builds them (the strings below from the data files by hand). */
static void test_tasks_shipped_leaderboard_prompts(void **state)
{
    (void)state;
    char *dd = datasets_dir();
    if (!dd) {
        print_message("skipped: $TIANTI_SHARED_DIR/datasets not found\n");
        skip();
    }
    char err[TT_ERR_SIZE] = "";
    task_instance in;

    /* BBH snarks: description glued to the first shot (lm-eval's Message
     * rendering), three shots with their answers, "Q: ...\nA:" */
    task *t = load_real("leaderboard/bbh/leaderboard_bbh_snarks.json", dd);
    assert_int_equal(task_num_docs(t), 178);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_non_null(strstr(in.prompt, "ambivalent or witty remarks.Q: Which statement is sarcastic?\nOptions:\n(A) Yes, because"));
    assert_int_equal(count(in.prompt, "\nA: ("), 3);
    assert_true(ends_with(in.prompt, "help kids in need\nA:"));
    assert_int_equal(in.n_choices, 2);
    assert_string_equal(in.requests[1].continuation, " (B)");
    assert_int_equal(in.gold, 1);                   /* snarks.json examples[0].target is "(B)" */
    task_instance_free(&in);
    task_free(t);

    /* MATH Lvl 5: the Level 5 algebra problems; the answer is the last \boxed{} */
    size_t total = 0;
    static const char *const subjects[] = {"algebra", "counting_and_prob", "geometry", "intermediate_algebra",
                                           "num_theory", "prealgebra", "precalculus", NULL};
    for (int i = 0; subjects[i]; i++) {
        char *rel = tt_asprintf("leaderboard/math/leaderboard_math_%s_hard.json", subjects[i]);
        t = load_real(rel, dd);
        total += task_num_docs(t);
        if (i == 0) {
            assert_int_equal(task_num_docs(t), 307);
            assert_int_equal(task_build(t, 0, &in, err), TT_OK);
            assert_memory_equal(in.prompt, "Problem:\nFind the domain of the expression", 42);
            assert_int_equal(count(in.prompt, "Problem:\n"), 5);
            assert_true(ends_with(in.prompt, "\n\nSolution:"));
            assert_string_equal(in.requests[0].gen.until[0], "Problem:");
            assert_int_equal(in.requests[0].gen.max_tokens, 1024);
            assert_non_null(json_object_get(in.doc, "answer"));
            task_instance_free(&in);
        }
        task_free(t);
        free(rel);
    }
    assert_int_equal(total, 1324);

    /* IFEval: the prompt alone, no stop string, 1280 tokens */
    t = load_real("leaderboard/ifeval/leaderboard_ifeval.json", dd);
    assert_int_equal(task_num_docs(t), 541);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_memory_equal(in.prompt, "Write a 300+ word summary of the wikipedia page", 47);
    assert_int_equal(in.requests[0].gen.n_until, 0);
    assert_int_equal(in.requests[0].gen.max_tokens, 1280);
    task_instance_free(&in);
    task_free(t);

    /* WinoGrande: one context per option, one continuation, the gold from
     * doc_to_text; 5 shots from validation (train is not there) */
    t = load_real("leaderboard/winogrande.json", dd);
    assert_int_equal(task_num_docs(t), 1267);
    assert_true(t->multiple_input);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.n_requests, 2);
    assert_true(ends_with(in.requests[0].context, "\n\nSarah was a much better surgeon than Maria so Sarah"));
    assert_true(ends_with(in.requests[1].context, "\n\nSarah was a much better surgeon than Maria so Maria"));
    assert_string_equal(in.requests[0].continuation, " always got the easier cases.");
    assert_int_equal(in.gold, 1);
    assert_int_equal(count(in.prompt, "\n\n"), 5);
    task_instance_free(&in);
    task_free(t);

    /* HellaSwag: the derived records; 10 shots from validation */
    t = load_real("leaderboard/hellaswag.json", dd);
    assert_int_equal(task_num_docs(t), 10042);
    assert_int_equal(task_build(t, 1, &in, err), TT_OK);
    assert_true(ends_with(in.prompt, "\n\nClean and jerk: A lady walks to a barbell. She bends down and grabs the pole. the lady"));
    assert_int_equal(in.n_choices, 4);
    assert_int_equal(in.gold, 3);
    assert_string_equal(in.requests[3].continuation, " stands and lifts the weight over her head.");
    task_instance_free(&in);
    task_free(t);

    /* LAMBADA: every word but the last; the last with its space, no delimiter */
    t = load_real("leaderboard/lambada_openai.json", dd);
    assert_int_equal(task_num_docs(t), 5153);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_memory_equal(in.prompt, "In my palm is a clear stone", 27);
    assert_int_equal(in.requests[0].continuation[0], ' ');
    assert_null(strchr(in.requests[0].continuation + 1, ' '));
    task_instance_free(&in);
    task_free(t);
    free(dd);
}

/* The C-Eval entries name the upstream zip; fetching it (here from the
 * shared copy through a file:// URL) must give the member the sha256 in the
 * task file promises. */
static void test_tasks_shipped_ceval_zip_member_matches(void **state)
{
    (void)state;
    char *dd = datasets_dir();
    if (!dd) {
        print_message("skipped: $TIANTI_SHARED_DIR/datasets not found\n");
        skip();
    }
    char *td = tasks_dir();
    char *p = tt_path_join(td, "ceval/ceval-valid_computer_network.json");
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    assert_non_null(j);
    json_t *e = json_deep_copy(json_object_get(json_object_get(json_object_get(j, "dataset"), "splits"), "val"));
    char *url = tt_asprintf("file://%s/ceval/ceval-exam.zip", dd);
    if (url[7] != '/') { /* relative shared dir: make it absolute */
        char *cwd = getcwd(NULL, 0);
        free(url);
        url = tt_asprintf("file://%s/%s/ceval/ceval-exam.zip", cwd, dd);
        free(cwd);
    }
    json_object_set_new(e, "url", json_string(url));
    char cache[] = "/tmp/tt_shipped_XXXXXX";
    assert_non_null(mkdtemp(cache));
    dataset_options o = { .cache_dir = cache, .base_dir = "/nonexistent" };
    json_t *docs = json_array();
    char err[TT_ERR_SIZE] = "";
    if (dataset_load_entry(e, &o, docs, NULL, err)) fail_msg("%s", err);
    assert_int_equal(json_array_size(docs), 19);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache);
    assert_int_equal(system(cmd), 0);
    json_decref(docs);
    json_decref(e);
    json_decref(j);
    free(url);
    free(p);
    free(td);
    free(dd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tasks_shipped_all_parse),
        cmocka_unit_test(test_tasks_shipped_real_first_prompts),
        cmocka_unit_test(test_tasks_shipped_leaderboard_prompts),
        cmocka_unit_test(test_tasks_shipped_ceval_zip_member_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
