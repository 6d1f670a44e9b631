/*
 * code_judge.c — HumanEval-style execution judging (see code_judge.h):
 * stop-sequence truncation, program assembly, the harness around the
 * program, and sandboxed runs.
 */
#include "judges/code_judge.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_default_stops[] = {
    "\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", NULL
};

const char *const *code_judge_default_stops(void)
{
    return k_default_stops;
}

void code_judge_config_init(code_judge_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    sandbox_config_init(&cfg->sandbox);
    cfg->sandbox.proof = 1;
    cfg->stop = NULL;
    cfg->truncate = 1;
}

char *code_judge_truncate(const char *completion, const char *const *stops)
{
    if (!completion) completion = "";
    size_t cut = strlen(completion);
    for (size_t i = 0; stops && stops[i]; i++) {
        if (!stops[i][0]) continue;
        const char *hit = strstr(completion, stops[i]);
        if (hit && (size_t)(hit - completion) < cut) cut = (size_t)(hit - completion);
    }
    return tt_strndup(completion, cut);
}

static int is_identifier(const char *s)
{
    if (!s || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_')) return 0;
    return 1;
}

int code_judge_build_program(const code_problem *p, const char *completion, char **out,
                             char err[TT_ERR_SIZE])
{
    *out = NULL;
    const char *id = p && p->task_id ? p->task_id : "?";
    if (!p || !p->prompt || !p->test || !p->entry_point)
        return tt_fail(err, TT_ERR_PARSE, "problem '%s' lacks prompt, test or entry_point", id);
    if (!is_identifier(p->entry_point))
        return tt_fail(err, TT_ERR_PARSE, "problem '%s': entry_point '%.64s' is not an identifier",
                       id, p->entry_point);
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, p->prompt);
    tt_buf_puts(&b, completion ? completion : "");
    tt_buf_puts(&b, "\n");
    tt_buf_puts(&b, p->test);
    tt_buf_puts(&b, "\n");
    tt_buf_printf(&b, "check(%s)\n", p->entry_point);
    *out = tt_buf_detach(&b);
    return TT_OK;
}

/* The harness, in Python. It runs before any of the program's code: it
 * takes the nonce from fd 3 and the proof pipe from fd 4 (moving it to a
 * random number and closing both), then executes the check program (given
 * as hex, so that no text of it needs escaping) as openai/human-eval's
 * harness does, and writes the nonce to the proof pipe only when that
 * returned: sys.exit(0), os._exit(0) or SystemExit before check() ends the
 * process first, and a program that closes or overwrites fds, or prints a
 * made-up nonce, cannot produce the right bytes on the right pipe. */
static const char k_harness_head[] =
    "def _tianti_harness():\n"
    "    import os, fcntl, linecache\n"
    "    nonce = os.read(3, 64)\n"
    "    os.close(3)\n"
    "    proof = fcntl.fcntl(4, fcntl.F_DUPFD_CLOEXEC, 5 + int.from_bytes(os.urandom(2), 'little') % 40)\n"
    "    os.close(4)\n"
    "    write = os.write\n"
    "    src = bytes.fromhex(\n        '";
static const char k_harness_tail[] =
    "').decode('utf-8')\n"
    "    linecache.cache['program.py'] = (len(src), None, src.splitlines(True), 'program.py')\n"
    "    code = compile(src, 'program.py', 'exec')\n"
    "    del src\n"
    "    exec(code, {'__name__': '__main__', '__builtins__': __builtins__})\n"
    "    write(proof, nonce)\n"
    "_tianti_harness()\n";

char *code_judge_harness_program(const char *check_program)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(check_program);
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, k_harness_head);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)check_program[i];
        char two[2] = { hex[ch >> 4], hex[ch & 15] };
        tt_buf_append(&b, two, 2);
        if (i % 2048 == 2047) tt_buf_puts(&b, "'\n        '");   /* adjacent literals join */
    }
    tt_buf_puts(&b, k_harness_tail);
    return tt_buf_detach(&b);
}

/* A run that exited 0 without the harness's proof did not pass: the
 * program ended (or broke the channel) before check() returned. */
static void require_proof(const code_judge_config *cfg, sandbox_result *r)
{
    if (!cfg->sandbox.proof || r->outcome != SANDBOX_PASSED || r->proof_ok) return;
    r->outcome = SANDBOX_FAILED;
    snprintf(r->detail, sizeof r->detail,
             "exited with status 0 before check() returned (sys.exit, os._exit or SystemExit in the "
             "program, or the harness's channel was closed): not a pass");
}

/* Truncated, assembled program for one item, inside the harness when the
 * sandbox gives the proof channel; on a malformed problem, *program is NULL
 * and msg says why. */
static char *prepare(const code_judge_config *cfg, const code_problem *p, const char *completion,
                     char *msg)
{
    const char *const *stops = cfg->stop ? cfg->stop : k_default_stops;
    char *cut = cfg->truncate ? code_judge_truncate(completion, stops)
                              : tt_strdup(completion ? completion : "");
    char *prog = NULL;
    if (code_judge_build_program(p, cut, &prog, msg) != TT_OK) prog = NULL;
    free(cut);
    if (prog && cfg->sandbox.proof) {
        char *wrapped = code_judge_harness_program(prog);
        free(prog);
        prog = wrapped;
    }
    return prog;
}

int code_judge_run(const code_judge_config *cfg_in, const code_problem *p, const char *completion,
                   sandbox_result *res, char err[TT_ERR_SIZE])
{
    code_judge_config def;
    if (!cfg_in) {
        code_judge_config_init(&def);
        cfg_in = &def;
    }
    char msg[TT_ERR_SIZE];
    char *prog = prepare(cfg_in, p, completion, msg);
    if (!prog) {
        memset(res, 0, sizeof *res);
        res->outcome = SANDBOX_REFUSED;
        res->exit_code = -1;
        snprintf(res->detail, sizeof res->detail, "%s", msg);
        res->out = tt_strdup("");
        res->errout = tt_strdup("");
        return tt_fail(err, TT_ERR_PARSE, "%s", msg);
    }
    int rc = sandbox_run(&cfg_in->sandbox, prog, strlen(prog), res, err);
    free(prog);
    if (rc == TT_OK) require_proof(cfg_in, res);
    return rc;
}

int code_judge_run_many(const code_judge_config *cfg_in, const code_judge_item *items, size_t n,
                        int jobs, sandbox_result *results, char err[TT_ERR_SIZE])
{
    code_judge_config def;
    if (!cfg_in) {
        code_judge_config_init(&def);
        cfg_in = &def;
    }
    if (n == 0) return TT_OK;
    char **progs = tt_calloc(n, sizeof *progs);
    size_t *lens = tt_calloc(n, sizeof *lens);
    const char **run = tt_calloc(n, sizeof *run);
    size_t *map = tt_calloc(n, sizeof *map);
    size_t nrun = 0;
    char msg[TT_ERR_SIZE];
    for (size_t i = 0; i < n; i++) {
        progs[i] = prepare(cfg_in, items[i].problem, items[i].completion, msg);
        if (!progs[i]) {
            memset(&results[i], 0, sizeof results[i]);
            results[i].outcome = SANDBOX_REFUSED;
            results[i].exit_code = -1;
            snprintf(results[i].detail, sizeof results[i].detail, "%s", msg);
            results[i].out = tt_strdup("");
            results[i].errout = tt_strdup("");
            continue;
        }
        run[nrun] = progs[i];
        lens[nrun] = strlen(progs[i]);
        map[nrun] = i;
        nrun++;
    }
    int rc = TT_OK;
    if (nrun > 0) {
        sandbox_result *tmp = tt_calloc(nrun, sizeof *tmp);
        rc = sandbox_run_many(&cfg_in->sandbox, run, lens, nrun, jobs, tmp, err);
        for (size_t j = 0; j < nrun; j++) {
            require_proof(cfg_in, &tmp[j]);
            results[map[j]] = tmp[j];
        }
        free(tmp);
    }
    for (size_t i = 0; i < n; i++) free(progs[i]);
    free(progs);
    free(lens);
    free(run);
    free(map);
    return rc;
}
