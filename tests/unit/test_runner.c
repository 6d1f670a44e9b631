/*
 * test_runner.c — the runner as a library call (harness/runner.h) on the
 * toy tasks of tests/data/run with a replay model and the tiny GLM model:
 * it prints nothing (messages reach the log sink, progress the callback),
 * resumes the same run, records Tianti's own version and commit, and
 * stores each model's kind and precision as the spec parser reads them
 * (an '@' in a replay file name is no precision; "@Q8_0" is q8_0); an
 * unknown is_greedy gives N/A with a note, and truncated requests are
 * counted and warned about. Also the letter extraction used by the
 * generative fallback (harness/score.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/log.h"
#include "core/util.h"
#include "core/version.h"
#include "harness/results.h"
#include "harness/results_table.h"
#include "harness/runner.h"
#include "harness/score.h"

#include <fcntl.h>
#include <glob.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_score_extract_choice_letters(void **state)
{
    (void)state;
    const char *ch[] = {"Paris", "London", "Berlin", "Rome"};
    assert_int_equal(score_extract_choice(" B", ch, 4), 1);
    assert_int_equal(score_extract_choice("(C) Berlin", ch, 4), 2);
    assert_int_equal(score_extract_choice("答案：D", ch, 4), 3);
    assert_int_equal(score_extract_choice("The answer is A.", ch, 4), 0);
    /* Letters inside words do not count; a letter past the choices does not either. */
    assert_int_equal(score_extract_choice("Because London", ch, 4), 1);
    assert_int_equal(score_extract_choice("E", ch, 4), -1);
    assert_int_equal(score_extract_choice("no idea", ch, 4), -1);
    assert_int_equal(score_extract_choice("", ch, 4), -1);
    assert_int_equal(score_extract_choice(NULL, ch, 4), -1);
}

/* ---- a whole run ------------------------------------------------------------------ */

typedef struct seen {
    tt_buf log;                   /* every log line */
    int calls, finished_calls;
    runner_progress last;         /* the last finished call (names not valid after it) */
    char last_model[512], last_task[64];
    int last_done;                /* done of the last unfinished call */
    int monotonic;                /* done never went down within a task */
} seen;

static void record_log(void *ud, tt_log_level level, const char *msg)
{
    seen *s = ud;
    tt_buf_printf(&s->log, "%s: %s\n", tt_log_level_name(level), msg);
}

static void record_progress(void *ud, const runner_progress *p)
{
    seen *s = ud;
    s->calls++;
    assert_non_null(p->model);
    assert_non_null(p->task);
    assert_true(p->done <= p->total);
    if (p->finished) {
        s->finished_calls++;
        s->last = *p;
        snprintf(s->last_model, sizeof s->last_model, "%s", p->model);
        snprintf(s->last_task, sizeof s->last_task, "%s", p->task);
        s->last_done = 0;
        return;
    }
    if (p->done < s->last_done) s->monotonic = 0;
    s->last_done = p->done;
}

typedef struct run_out {
    int rc;
    json_t *docs;
    int64_t run_id;
    char err[TT_ERR_SIZE];
    char *printed;                /* what reached fds 1 and 2 during the run */
} run_out;

/* Runs with stdout and stderr sent to a file, so that anything the library
 * printed is caught. */
static void run_captured(const runner_options *o, seen *s, run_out *out)
{
    memset(out, 0, sizeof *out);
    char path[] = "/tmp/tianti-runner-out-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    fflush(stderr);
    int saved1 = dup(1), saved2 = dup(2);
    dup2(fd, 1);
    dup2(fd, 2);
    tt_log_set_sink(record_log, s, TT_LOG_DEBUG);
    out->rc = runner_run(o, &out->docs, &out->run_id, out->err);
    tt_log_set_sink(NULL, NULL, TT_LOG_INFO);
    fflush(stdout);
    fflush(stderr);
    dup2(saved1, 1);
    dup2(saved2, 2);
    close(saved1);
    close(saved2);
    size_t len;
    assert_int_equal(tt_read_file(path, &out->printed, &len, NULL), TT_OK);
    close(fd);
    unlink(path);
}

static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = tt_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static void test_run_prints_nothing_and_records_versions(void **state)
{
    (void)state;
    const char *src = getenv("TIANTI_SOURCE_DIR");
    if (!src) src = ".";
    char dir[] = "/tmp/tianti-runner-XXXXXX";
    assert_non_null(mkdtemp(dir));
    /* a replay of log-likelihoods only, in a file whose name has an '@' */
    char *replay_src = tt_asprintf("%s/tests/data/run/replay.jsonl", src);
    char *text;
    size_t len;
    assert_int_equal(tt_read_file(replay_src, &text, &len, NULL), TT_OK);
    char *replay = tt_asprintf("%s/answers@v2.jsonl", dir);
    FILE *f = fopen(replay, "w");
    assert_non_null(f);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, "\"loglikelihood\"")) fprintf(f, "%s\n", line);
    fclose(f);
    free(text);

    char *mc = tt_asprintf("%s/tests/data/run/mc.json", src), *gen = tt_asprintf("%s/tests/data/run/gen.json", src);
    char *replay_spec = tt_asprintf("replay:%s", replay);
    char *glm_spec = tt_asprintf("glm:%s/tests/data/glm/tiny.gguf@Q8_0", src);
    char *db = tt_asprintf("%s/r.db", dir);
    const char *tasks[] = {mc, gen};
    const char *models[] = {replay_spec, glm_spec};
    runner_options o;
    runner_options_default(&o);
    o.tasks = tasks;
    o.n_tasks = 2;
    o.models = models;
    o.n_models = 2;
    o.db_path = db;
    o.registry_path = NULL;
    o.tasks_dir = dir;
    o.threads = 1;
    o.jobs = 2;
    o.output_dir = dir;
    seen s = {.monotonic = 1};
    tt_buf_init(&s.log);
    o.progress = record_progress;
    o.progress_ud = &s;

    run_out r;
    run_captured(&o, &s, &r);
    if (r.rc) print_error("%s\n", r.err);
    assert_int_equal(r.rc, TT_OK);
    assert_string_equal(r.printed, "");       /* the library printed nothing */
    free(r.printed);
    const char *log = tt_buf_str(&s.log);
    /* the replay cannot generate: skipped, said through the log */
    assert_non_null(strstr(log, "info: model 'replay:"));
    assert_non_null(strstr(log, "cannot run task 'toy_gen': it needs generate, the model offers loglikelihood; skipped\n"));
    /* request counts are debug lines */
    assert_non_null(strstr(log, "debug: replay:"));
    assert_non_null(strstr(log, " / toy_mc: 4 requests, 4 unique, 0 from cache, 4 sent, 0 failed, "));
    assert_null(strstr(log, "resuming run"));
    /* progress: three tasks answered (replay toy_mc, glm toy_mc and toy_gen) */
    assert_int_equal(s.finished_calls, 3);
    assert_true(s.calls >= 3 + 4 + 4 + 2);
    assert_true(s.monotonic);
    assert_string_equal(s.last_task, "toy_gen");
    assert_string_equal(s.last_model, glm_spec);
    assert_int_equal(s.last.done, 2);
    assert_int_equal(s.last.total, 2);
    assert_int_equal(s.last.cached, 0);
    assert_int_equal(s.last.sent, 2);

    /* the results documents record Tianti's version and commit */
    assert_int_equal(json_array_size(r.docs), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *doc = json_array_get(r.docs, i);
        assert_string_equal(json_string_value(json_object_get(doc, "tianti_version")), tt_version());
        assert_string_equal(json_string_value(json_object_get(doc, "tianti_commit")), tt_source_commit());
    }
    json_t *glm_doc = json_array_get(r.docs, 1);
    assert_true(json_is_number(json_object_get(json_object_get(json_object_get(glm_doc, "results"), "toy_gen"), "exact_match,strip")));
    /* --output: per model, lm-eval's EvaluationTracker layout:
     * DIR/<sanitize_model_name(name)>/results_<date id>.json holding that
     * model's document, and samples_<task>_<date id>.jsonl beside it.
     * sanitize_model_name is re.sub(r"[\"<>:/|\\?*\[\]]+", "__", name), so
     * "glm:/x/tiny.gguf@q8_0" becomes "glm__x__tiny.gguf@q8_0". */
    char *sane = results_sanitize_name("glm:/x/tiny.gguf@q8_0");
    assert_string_equal(sane, "glm__x__tiny.gguf@q8_0");
    free(sane);
    for (size_t i = 0; i < 2; i++) {
        json_t *doc = json_array_get(r.docs, i);
        const char *model_dir = json_string_value(json_object_get(doc, "model_name_sanitized"));
        assert_non_null(model_dir);
        assert_null(strchr(model_dir, '/'));
        char *pat = tt_asprintf("%s/%s/results_*.json", dir, model_dir);
        glob_t g;
        assert_int_equal(glob(pat, 0, NULL, &g), 0);
        assert_int_equal(g.gl_pathc, 1);
        json_t *file = json_load_file(g.gl_pathv[0], 0, NULL);
        assert_non_null(file);
        assert_true(json_is_object(json_object_get(json_object_get(file, "results"), "toy_mc")));
        assert_string_equal(json_string_value(json_object_get(file, "model_name")),
                            json_string_value(json_object_get(doc, "model_name")));
        json_decref(file);
        globfree(&g);
        free(pat);
        pat = tt_asprintf("%s/%s/samples_toy_mc_*.jsonl", dir, model_dir);
        assert_int_equal(glob(pat, 0, NULL, &g), 0);
        assert_int_equal(g.gl_pathc, 1);
        globfree(&g);
        free(pat);
    }
    json_decref(r.docs);

    /* the store: the run's commit, each model's kind and precision */
    sqlite3 *sdb;
    assert_int_equal(sqlite3_open(db, &sdb), SQLITE_OK);
    char *rev = query_text(sdb, "SELECT git_rev FROM runs WHERE id = 1");
    assert_string_equal(rev, tt_source_commit());
    free(rev);
    char *sql = sqlite3_mprintf("SELECT coalesce(precision, 'NULL') || ' ' || engine FROM models WHERE spec = %Q", replay_spec);
    char *v = query_text(sdb, sql);
    assert_string_equal(v, "NULL replay");     /* "@v2.jsonl" is part of the file name */
    free(v);
    sqlite3_free(sql);
    char *canon = tt_asprintf("glm:%s/tests/data/glm/tiny.gguf@q8_0", src);
    sql = sqlite3_mprintf("SELECT precision || ' ' || engine FROM models WHERE spec = %Q", canon);
    v = query_text(sdb, sql);
    assert_non_null(v);                         /* stored under the canonical spec */
    assert_string_equal(v, "q8_0 glm");
    free(v);
    sqlite3_free(sql);
    free(canon);
    /* as if killed before it finished */
    assert_int_equal(sqlite3_exec(sdb, "UPDATE runs SET status = 'running'", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(sdb);

    /* the same run again: resumed, every answer from the cache */
    tt_buf_reset(&s.log);
    s.calls = s.finished_calls = 0;
    run_captured(&o, &s, &r);
    assert_int_equal(r.rc, TT_OK);
    assert_string_equal(r.printed, "");
    free(r.printed);
    json_decref(r.docs);
    assert_int_equal(r.run_id, 1);
    log = tt_buf_str(&s.log);
    assert_non_null(strstr(log, "info: resuming run 1 (same tasks, models and settings)\n"));
    assert_non_null(strstr(log, " / toy_mc: 4 requests, 4 unique, 4 from cache, 0 sent, 0 failed, "));
    assert_int_equal(s.finished_calls, 3);
    assert_int_equal(s.calls, 3);               /* nothing asked: only the end of each task */
    assert_int_equal(s.last.cached, 2);
    assert_int_equal(s.last.done, 2);
    assert_int_equal(s.last.sent, 0);

    tt_buf_free(&s.log);
    char *rm = tt_asprintf("rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
    free(rm);
    free(replay_src);
    free(replay);
    free(mc);
    free(gen);
    free(replay_spec);
    free(glm_spec);
    free(db);
}

/* A loglikelihood task, two ways to not know something:
 *  - a replay that recorded no is_greedy (a server without top_logprobs):
 *    acc is N/A with a note saying why, never a score; perplexity stands;
 *  - the tiny GLM model (64-token context) on a document whose context is
 *    longer than that: the request is left-truncated, counted per task in
 *    the results document and the printed table, and warned about. */
static void test_run_unknown_greedy_na_and_truncation_counted(void **state)
{
    (void)state;
    const char *src = getenv("TIANTI_SOURCE_DIR");
    if (!src) src = ".";
    char dir[] = "/tmp/tianti-runner-ll-XXXXXX";
    assert_non_null(mkdtemp(dir));
    tt_buf longctx;
    tt_buf_init(&longctx);
    for (int i = 0; i < 12; i++) tt_buf_puts(&longctx, "the cat sat there and the dog sat here ");
    tt_buf_puts(&longctx, "Q: 1+1?\\nA:");
    char *task = tt_asprintf("%s/ll.json", dir), *docs = tt_asprintf("%s/ll_docs.jsonl", dir);
    char *replay = tt_asprintf("%s/ll_replay.jsonl", dir);
    const char *task_json = "{\"name\":\"toy_ll\",\"version\":\"1\",\"dataset\":{\"path\":\"ll_docs.jsonl\"},"
                            "\"doc_to_text\":\"{{ctx}}\",\"doc_to_target\":\"{{cont}}\",\"output_type\":\"loglikelihood\"}\n";
    assert_int_equal(tt_write_file(task, task_json, strlen(task_json), NULL), TT_OK);
    char *docs_text = tt_asprintf("{\"ctx\":\"Q: 2+2?\\nA:\",\"cont\":\"4\"}\n{\"ctx\":\"%s\",\"cont\":\"2\"}\n",
                                  tt_buf_str(&longctx));
    assert_int_equal(tt_write_file(docs, docs_text, strlen(docs_text), NULL), TT_OK);
    char *replay_text = tt_asprintf(
        "{\"kind\":\"loglikelihood\",\"context\":\"Q: 2+2?\\nA:\",\"continuation\":\"4\",\"logprob\":-1}\n"
        "{\"kind\":\"loglikelihood\",\"context\":\"%s\",\"continuation\":\"2\",\"logprob\":-2}\n", tt_buf_str(&longctx));
    assert_int_equal(tt_write_file(replay, replay_text, strlen(replay_text), NULL), TT_OK);
    char *replay_spec = tt_asprintf("replay:%s", replay);
    char *glm_spec = tt_asprintf("glm:%s/tests/data/glm/tiny.gguf", src);
    char *db = tt_asprintf("%s/r.db", dir);
    const char *tasks[] = {task};
    const char *models[] = {replay_spec, glm_spec};
    runner_options o;
    runner_options_default(&o);
    o.tasks = tasks;
    o.n_tasks = 1;
    o.models = models;
    o.n_models = 2;
    o.db_path = db;
    o.registry_path = NULL;
    o.tasks_dir = dir;
    o.threads = 1;
    seen s = {.monotonic = 1};
    tt_buf_init(&s.log);
    run_out r;
    run_captured(&o, &s, &r);
    if (r.rc) print_error("%s\n", r.err);
    assert_int_equal(r.rc, TT_OK);
    free(r.printed);

    json_t *rdoc = json_array_get(r.docs, 0), *gdoc = json_array_get(r.docs, 1);
    json_t *rres = json_object_get(json_object_get(rdoc, "results"), "toy_ll");
    assert_string_equal(json_string_value(json_object_get(rres, "acc,none")), "N/A");
    assert_true(json_is_number(json_object_get(rres, "perplexity,none")));
    json_t *notes = json_object_get(rdoc, "notes");
    assert_int_equal(json_array_size(notes), 1);
    const char *note = json_string_value(json_array_get(notes, 0));
    assert_non_null(strstr(note, "toy_ll: acc,none is N/A: unknown for 2 of 2 documents: is_greedy is unknown"));
    json_t *rtr = json_object_get(json_object_get(rdoc, "truncated"), "toy_ll");
    assert_int_equal(json_integer_value(json_object_get(rtr, "requests")), 2);
    assert_int_equal(json_integer_value(json_object_get(rtr, "truncated")), 0);

    json_t *gres = json_object_get(json_object_get(gdoc, "results"), "toy_ll");
    assert_true(json_is_number(json_object_get(gres, "acc,none")));   /* the engine knows its argmax */
    json_t *gtr = json_object_get(json_object_get(gdoc, "truncated"), "toy_ll");
    assert_int_equal(json_integer_value(json_object_get(gtr, "requests")), 2);
    assert_int_equal(json_integer_value(json_object_get(gtr, "truncated")), 1);
    assert_null(json_object_get(gdoc, "notes"));
    const char *log = tt_buf_str(&s.log);
    char *warn = tt_asprintf("warning: %s / toy_ll: 1 of 2 requests were longer than the model's context and were "
                             "left-truncated\n", glm_spec);
    assert_non_null(strstr(log, warn));
    free(warn);

    /* the table `tianti run` prints says both */
    char *tp = tt_asprintf("%s/table.txt", dir);
    FILE *f = fopen(tp, "w");
    assert_non_null(f);
    results_table_print(rdoc, f);
    results_table_print(gdoc, f);
    fclose(f);
    char *table;
    size_t len;
    assert_int_equal(tt_read_file(tp, &table, &len, NULL), TT_OK);
    assert_non_null(strstr(table, "|     N/A|±|     N/A|"));
    assert_non_null(strstr(table, "note: toy_ll: acc,none is N/A: unknown for 2 of 2 documents: is_greedy is unknown"));
    assert_non_null(strstr(table, "truncated toy_ll: 1 of 2 requests (longer than the model's context; left-truncated)\n"));
    free(table);
    free(tp);
    json_decref(r.docs);

    tt_buf_free(&s.log);
    tt_buf_free(&longctx);
    char *rm = tt_asprintf("rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
    free(rm);
    free(task);
    free(docs);
    free(replay);
    free(docs_text);
    free(replay_text);
    free(replay_spec);
    free(glm_spec);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_extract_choice_letters),
        cmocka_unit_test(test_run_prints_nothing_and_records_versions),
        cmocka_unit_test(test_run_unknown_greedy_na_and_truncation_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
