/*
 * copy.c — copy.h: every table of the schema, copied row by row between two
 * stores of either backend, and the row counts of `tianti store info`.
 *
 * The tables are described here once, as data (name, columns with their
 * types, which columns refer to which table's id, and the unique key an
 * append may meet), and each statement is put together from that fixed
 * description: table and column names come from this file only, every value
 * is a bound parameter. Values travel in their column's type: integers as
 * int64, reals as doubles (bound as text with 17 digits on PostgreSQL,
 * which reads back to the same double), text as text, NULL as NULL.
 *
 * Two tables are not copied: file_hashes (paths and inodes of this
 * machine's files) and run_leases (which process holds a live run here);
 * both mean nothing in another store.
 *
 * The descriptions must name every column of the other tables (schema.h,
 * schema_pg.h); the round-trip test (tests/integration/test_store_copy.sh)
 * compares every column of every table after SQLite -> PostgreSQL ->
 * SQLite, so a column left out here fails it.
 */
#include "store/copy.h"
#include "store/internal.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct col {
    const char *name;
    char type;                    /* 'i' integer, 'r' real, 't' text */
    int ref;                      /* index in tables of the table whose id this is, or -1 */
} col;

typedef struct table_desc {
    const char *name;
    int has_id;                   /* an integer id primary key (all but request_cache) */
    const char *order;            /* ORDER BY of the read */
    /* APPEND: the conflict clause, and whether a conflict still yields the
     * existing row's id (models, tasks: DO UPDATE of a key column to itself) */
    const char *on_conflict;
    col cols[24];                 /* without id; ends with name NULL */
} table_desc;

enum { T_MODELS, T_TASKS, T_RUNS };
#define NOREF -1

static const table_desc tables[] = {
    {"models", 1, "id", "ON CONFLICT (spec) DO UPDATE SET spec = excluded.spec",
     {{"spec", 't', NOREF}, {"name", 't', NOREF}, {"engine", 't', NOREF}, {"precision", 't', NOREF},
      {"params_json", 't', NOREF}, {NULL, 0, 0}}},
    {"tasks", 1, "id", "ON CONFLICT (name, version, content_hash) DO UPDATE SET name = excluded.name",
     {{"name", 't', NOREF}, {"version", 't', NOREF}, {"content_hash", 't', NOREF}, {"config_json", 't', NOREF},
      {NULL, 0, 0}}},
    {"runs", 1, "id", NULL,
     {{"config_hash", 't', NOREF}, {"config_json", 't', NOREF}, {"seed", 'i', NOREF}, {"tool_version", 't', NOREF},
      {"git_rev", 't', NOREF}, {"started_at", 't', NOREF}, {"finished_at", 't', NOREF}, {"status", 't', NOREF},
      {NULL, 0, 0}}},
    {"samples", 1, "id", "ON CONFLICT (run_id, model_id, task_id, doc_id) DO NOTHING",
     {{"run_id", 'i', T_RUNS}, {"model_id", 'i', T_MODELS}, {"task_id", 'i', T_TASKS}, {"doc_id", 'i', NOREF},
      {"prompt", 't', NOREF}, {"target", 't', NOREF}, {"responses_json", 't', NOREF},
      {"filtered_json", 't', NOREF}, {"scores_json", 't', NOREF}, {"error", 't', NOREF},
      {"latency_s", 'r', NOREF}, {"prompt_tokens", 'i', NOREF}, {"completion_tokens", 'i', NOREF},
      {"items_json", 't', NOREF}, {"reasoning_tokens", 'i', NOREF}, {NULL, 0, 0}}},
    {"metrics", 1, "id", "ON CONFLICT (run_id, model_id, task_name, filter, metric) DO NOTHING",
     {{"run_id", 'i', T_RUNS}, {"model_id", 'i', T_MODELS}, {"task_name", 't', NOREF}, {"is_group", 'i', NOREF},
      {"filter", 't', NOREF}, {"metric", 't', NOREF}, {"value", 'r', NOREF}, {"stderr", 'r', NOREF},
      {"n", 'i', NOREF}, {"n_shot", 'i', NOREF}, {"higher_is_better", 'i', NOREF}, {NULL, 0, 0}}},
    {"request_cache", 0, "key", "ON CONFLICT (key) DO NOTHING",
     {{"key", 't', NOREF}, {"model_spec", 't', NOREF}, {"kind", 't', NOREF}, {"request_json", 't', NOREF},
      {"response_json", 't', NOREF}, {"created_at", 't', NOREF}, {NULL, 0, 0}}},
    {"battles", 1, "id", "ON CONFLICT (session_token) DO NOTHING",
     {{"model_a", 't', NOREF}, {"model_b", 't', NOREF}, {"winner", 't', NOREF}, {"tstamp", 'r', NOREF},
      {"source", 't', NOREF}, {"judge", 't', NOREF}, {"prompt", 't', NOREF}, {"conversation_a", 't', NOREF},
      {"conversation_b", 't', NOREF}, {"voter_id", 't', NOREF}, {"session_token", 't', NOREF},
      {"flags", 't', NOREF}, {"extra_json", 't', NOREF}, {"turns", 'i', NOREF}, {"language", 't', NOREF},
      {"categories", 't', NOREF}, {"style_json", 't', NOREF}, {NULL, 0, 0}}},
    {"pending_battles", 0, "id", "ON CONFLICT (id) DO NOTHING",
     {{"id", 't', NOREF}, {"token_hash", 't', NOREF}, {"model_a", 't', NOREF}, {"model_b", 't', NOREF},
      {"spec_a", 't', NOREF}, {"spec_b", 't', NOREF}, {"prompt", 't', NOREF}, {"answer_a", 't', NOREF},
      {"answer_b", 't', NOREF}, {"latency_a", 'r', NOREF}, {"latency_b", 'r', NOREF}, {"voter_id", 't', NOREF},
      {"tstamp", 'r', NOREF}, {"conversation_a", 't', NOREF}, {"conversation_b", 't', NOREF},
      {"turns", 'i', NOREF}, {NULL, 0, 0}}},
    {"ratings", 1, "id", NULL,
     {{"computed_at", 't', NOREF}, {"method", 't', NOREF}, {"source", 't', NOREF}, {"model", 't', NOREF},
      {"rating", 'r', NOREF}, {"lower", 'r', NOREF}, {"upper", 'r', NOREF}, {"rank", 'i', NOREF},
      {"battles", 'i', NOREF}, {"bootstrap_rounds", 'i', NOREF}, {"seed", 'i', NOREF}, {NULL, 0, 0}}},
    {"bench_results", 1, "id", NULL,
     {{"created_at", 't', NOREF}, {"model_spec", 't', NOREF}, {"model_name", 't', NOREF}, {"precision", 't', NOREF},
      {"test", 't', NOREF}, {"n_tokens", 'i', NOREF}, {"repetitions", 'i', NOREF}, {"mean", 'r', NOREF},
      {"stddev", 'r', NOREF}, {"unit", 't', NOREF}, {"file_bytes", 'i', NOREF}, {"n_params", 'i', NOREF},
      {"peak_rss_bytes", 'i', NOREF}, {"weights_bytes", 'i', NOREF}, {"kv_bytes", 'i', NOREF},
      {"scratch_bytes", 'i', NOREF}, {"gpu_bytes", 'i', NOREF}, {"threads", 'i', NOREF},
      {"machine_json", 't', NOREF}, {NULL, 0, 0}}},
    {"moderated_prompts", 1, "id", NULL,
     {{"tstamp", 'r', NOREF}, {"voter_id", 't', NOREF}, {"battle_id", 't', NOREF}, {"turn", 'i', NOREF},
      {"prompt", 't', NOREF}, {"moderator", 't', NOREF}, {"categories_json", 't', NOREF}, {NULL, 0, 0}}},
    {"judged_answers", 1, "id", "ON CONFLICT (bench, model, question_id, turn) DO NOTHING",
     {{"bench", 't', NOREF}, {"model", 't', NOREF}, {"model_spec", 't', NOREF}, {"question_id", 't', NOREF},
      {"category", 't', NOREF}, {"turn", 'i', NOREF}, {"answer", 't', NOREF}, {"error", 't', NOREF},
      {"tokens", 'i', NOREF}, {"latency_s", 'r', NOREF}, {"created_at", 't', NOREF}, {NULL, 0, 0}}},
    {"judgments", 1, "id", "ON CONFLICT (bench, judge, mode, question_id, turn, model, model_b) DO NOTHING",
     {{"bench", 't', NOREF}, {"judge", 't', NOREF}, {"mode", 't', NOREF}, {"prompt_name", 't', NOREF},
      {"question_id", 't', NOREF}, {"category", 't', NOREF}, {"turn", 'i', NOREF}, {"model", 't', NOREF},
      {"model_b", 't', NOREF}, {"score", 'r', NOREF}, {"g1", 't', NOREF}, {"g2", 't', NOREF},
      {"winner", 't', NOREF}, {"output_json", 't', NOREF}, {"created_at", 't', NOREF}, {NULL, 0, 0}}},
};

#define N_TABLES ((int)(sizeof tables / sizeof tables[0]))

const char *const store_tables[] = {"models", "tasks", "runs", "samples", "metrics", "request_cache",
                                    "battles", "pending_battles", "ratings", "bench_results",
                                    "moderated_prompts", "judged_answers", "judgments", NULL};
const int store_n_tables = N_TABLES;

/* ---- id maps (APPEND) --------------------------------------------------------- */

/* Old id -> new id of one table. Rows are read in id order, so the old ids
 * arrive ascending and a binary search finds them. */
typedef struct id_map {
    int64_t *old_id, *new_id;
    size_t n, cap;
} id_map;

static void map_add(id_map *m, int64_t o, int64_t n)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->old_id = tt_realloc(m->old_id, m->cap * sizeof *m->old_id);
        m->new_id = tt_realloc(m->new_id, m->cap * sizeof *m->new_id);
    }
    m->old_id[m->n] = o;
    m->new_id[m->n++] = n;
}

static int map_get(const id_map *m, int64_t o, int64_t *n)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->old_id[mid] < o) lo = mid + 1;
        else hi = mid;
    }
    if (lo < m->n && m->old_id[lo] == o) {
        *n = m->new_id[lo];
        return 1;
    }
    return 0;
}

/* ---- statements from the descriptions ------------------------------------------- */

static int n_cols(const table_desc *t)
{
    int n = 0;
    while (t->cols[n].name) n++;
    return n;
}

/* SELECT [id,] cols FROM t ORDER BY order */
static char *select_sql(const table_desc *t)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "SELECT ");
    if (t->has_id) tt_buf_puts(&b, "id, ");
    for (int i = 0; t->cols[i].name; i++) {
        if (i) tt_buf_puts(&b, ", ");
        tt_buf_puts(&b, t->cols[i].name);
    }
    tt_buf_puts(&b, " FROM ");
    tt_buf_puts(&b, t->name);
    tt_buf_puts(&b, " ORDER BY ");
    tt_buf_puts(&b, t->order);
    char *s = tt_strdup(tt_buf_str(&b));
    tt_buf_free(&b);
    return s;
}

/* INSERT INTO t ([id,] cols) VALUES (?, ...) [conflict clause] [RETURNING id] */
static char *insert_sql(const table_desc *t, store_copy_mode mode)
{
    int with_id = t->has_id && mode == STORE_COPY_EXACT;
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "INSERT INTO ");
    tt_buf_puts(&b, t->name);
    tt_buf_puts(&b, " (");
    if (with_id) tt_buf_puts(&b, "id, ");
    int n = n_cols(t);
    for (int i = 0; i < n; i++) {
        if (i) tt_buf_puts(&b, ", ");
        tt_buf_puts(&b, t->cols[i].name);
    }
    tt_buf_puts(&b, ") VALUES (");
    for (int i = 0; i < n + with_id; i++) tt_buf_puts(&b, i ? ", ?" : "?");
    tt_buf_puts(&b, ")");
    if (mode == STORE_COPY_APPEND) {
        if (t->on_conflict) {
            tt_buf_puts(&b, " ");
            tt_buf_puts(&b, t->on_conflict);
        }
        if (t->has_id) tt_buf_puts(&b, " RETURNING id");
    }
    char *s = tt_strdup(tt_buf_str(&b));
    tt_buf_free(&b);
    return s;
}

/* ---- the copy ------------------------------------------------------------------------ */

typedef struct copy_ctx {
    store *from;
    store_copy_mode mode;
    int64_t *rows;
    id_map maps[3];               /* models, tasks, runs */
} copy_ctx;

/* Binds column c of the source row to the insert, remapping references. */
static int bind_col(copy_ctx *x, const table_desc *t, int c, store_q *src, int src_i, store_q *dst, char *err)
{
    const col *k = &t->cols[c];
    if (k->type == 't') {
        store_q_text(dst, store_q_col_text(src, src_i));
    } else if (k->type == 'r') {
        store_q_real(dst, store_q_col_real(src, src_i));
    } else {
        store_opt_int v = store_q_col_opt_int(src, src_i);
        if (v.has && k->ref >= 0 && x->mode == STORE_COPY_APPEND) {
            int64_t n;
            if (!map_get(&x->maps[k->ref], v.v, &n))
                return tt_fail(err, TT_ERR_STORE, "%s.%s = %lld refers to no row of %s in '%s'", t->name, k->name,
                               (long long)v.v, tables[k->ref].name, x->from->path);
            v.v = n;
        }
        store_q_opt_int(dst, v);
    }
    return TT_OK;
}

static int copy_table(store *to, copy_ctx *x, int ti, char *err)
{
    const table_desc *t = &tables[ti];
    char *sel = select_sql(t), *ins = insert_sql(t, x->mode);
    store_q src, dst;
    memset(&dst, 0, sizeof dst);
    int rc = store_q_prepare(x->from, &src, sel, "read the source store", err);
    if (rc == TT_OK) rc = store_q_prepare(to, &dst, ins, "write the target store", err);
    int n = n_cols(t), step = STORE_DONE;
    int64_t count = 0;
    while (rc == TT_OK && (step = store_q_step(&src)) == STORE_ROW) {
        store_q_rewind(&dst);
        int64_t old_id = t->has_id ? store_q_col_int(&src, 0) : 0;
        if (t->has_id && x->mode == STORE_COPY_EXACT) store_q_int(&dst, old_id);
        for (int c = 0; c < n && rc == TT_OK; c++) rc = bind_col(x, t, c, &src, c + t->has_id, &dst, err);
        if (rc) break;
        int st = store_q_step(&dst);
        if (st == STORE_ROW) {
            if (ti <= T_RUNS) map_add(&x->maps[ti], old_id, store_q_col_int(&dst, 0));
            st = store_q_step(&dst);
        }
        if (st != STORE_DONE) rc = store_fail(to, err, "cannot copy row %lld of %s", (long long)count + 1, t->name);
        count++;
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(x->from, err, "cannot read %s", t->name);
    if (rc == TT_OK && x->rows) x->rows[ti] = count;
    if (rc == TT_OK && t->has_id && x->mode == STORE_COPY_EXACT && to->drv->sync_ids &&
        to->drv->sync_ids(to->conn, t->name) != TT_OK)
        rc = store_fail(to, err, "cannot move the ids of %s past the copied rows", t->name);
    store_q_finish(&src);
    store_q_finish(&dst);
    free(sel);
    free(ins);
    return rc;
}

static int copy_tx(store *to, void *ctx, char *err)
{
    copy_ctx *x = ctx;
    int rc = TT_OK;
    for (int i = 0; i < 3; i++) x->maps[i].n = 0;   /* a replayed transaction starts over */
    if (x->mode == STORE_COPY_EXACT)
        for (int i = 0; i < N_TABLES && rc == TT_OK; i++) {
            int64_t n = 0;
            rc = store_debug_count(to, tables[i].name, &n, err);
            if (rc == TT_OK && n > 0)
                rc = tt_fail(err, TT_ERR_USAGE, "the target store '%s' is not empty (%lld rows in %s): copy into a new "
                             "database, or append", to->path, (long long)n, tables[i].name);
        }
    for (int i = 0; i < N_TABLES && rc == TT_OK; i++) rc = copy_table(to, x, i, err);
    return rc;
}

int store_copy(store *from, store *to, store_copy_mode mode, int64_t *rows, char *err)
{
    if (from->drv == to->drv && !strcmp(from->path, to->path))
        return tt_fail(err, TT_ERR_USAGE, "cannot copy '%s' into itself", from->path);
    copy_ctx x = {.from = from, .mode = mode, .rows = rows};
    /* one snapshot of the source, whoever writes to it meanwhile: a read
     * transaction (driver.h begin()) */
    int rc = from->drv->begin(from->conn) == TT_OK ? TT_OK : store_fail(from, err, "cannot begin to read");
    if (rc == TT_OK) rc = store_with_transaction(to, copy_tx, &x, "copy the store", err);
    from->drv->rollback(from->conn);
    for (int i = 0; i < 3; i++) {
        free(x.maps[i].old_id);
        free(x.maps[i].new_id);
    }
    return rc;
}

int store_info_get(store *s, store_info *out, char *err)
{
    memset(out, 0, sizeof *out);
    out->backend = s->drv->name;
    out->schema_version = store_schema_version(s);
    if (out->schema_version < 0) return store_fail(s, err, "cannot read the schema version");
    int rc = TT_OK;
    for (int i = 0; i < N_TABLES && rc == TT_OK; i++) rc = store_debug_count(s, tables[i].name, &out->rows[i], err);
    return rc;
}
