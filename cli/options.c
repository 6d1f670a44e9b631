/*
 * options.c — the one option parser every subcommand uses (see cli.h).
 * Options are data (git's parse_options idea): the same table drives
 * parsing and the generated --help text, so they cannot drift apart.
 */
#include "cli/cli.h"
#include "core/log.h"
#include "core/suggest.h"
#include "core/util.h"
#include "store/store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tianti: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The log sink of the tool: library messages become "tianti: ..." lines on
 * stderr; warnings say so. */
static void cli_log_sink(void *ud, tt_log_level level, const char *msg)
{
    (void)ud;
    if (level == TT_LOG_WARN) fprintf(stderr, "tianti: warning: %s\n", msg);
    else if (level == TT_LOG_ERROR) fprintf(stderr, "tianti: error: %s\n", msg);
    else fprintf(stderr, "tianti: %s\n", msg);
}

void cli_log_init(int verbosity)
{
    tt_log_level max = verbosity < 0 ? TT_LOG_WARN : verbosity == 0 ? TT_LOG_INFO : TT_LOG_DEBUG;
    tt_log_set_sink(cli_log_sink, NULL, max);
}

int cli_exit_status(int rc)
{
    if (rc == TT_OK) return 0;
    if (rc == TT_ERR_USAGE) return 2;
    return 1;
}

const char *cli_db_path(const char *opt_db)
{
    if (opt_db && *opt_db) return opt_db;
    const char *env = getenv("TIANTI_DB");
    if (env && *env) return env;
    return "tianti.db";
}

const char *cli_db_shown(const char *path)
{
    static char shown[1024];
    store_target_display(path, shown, sizeof shown);
    return shown;
}

void cli_list_push(cli_list *l, const char *s)
{
    l->items = tt_realloc((void *)l->items, sizeof(char *) * (size_t)(l->n + 1));
    l->items[l->n++] = tt_strdup(s);
}

void cli_list_free(cli_list *l)
{
    if (!l) return;
    for (int i = 0; i < l->n; i++) free((void *)l->items[i]);
    free((void *)l->items);
    l->items = NULL;
    l->n = 0;
}

void cli_usage(const char *const *usage, const cli_option *opts, FILE *out)
{
    /* Lines that start with "tianti" are synopses; any other line is
     * description text, printed as it is. */
    int synopses = 0;
    for (int i = 0; usage && usage[i]; i++) {
        if (strncmp(usage[i], "tianti", 6) == 0) fprintf(out, "%s %s\n", synopses++ ? "   or:" : "usage:", usage[i]);
        else fprintf(out, "%s%s\n", usage[i][0] ? "    " : "", usage[i]);
    }
    if (opts && opts[0].type != OPT_END) fputc('\n', out);
    for (const cli_option *o = opts; o && o->type != OPT_END; o++) {
        if (o->flags & CLI_HIDDEN) continue;
        char left[64];
        int n = 0;
        if (o->short_name) n = snprintf(left, sizeof left, "-%c, ", o->short_name);
        else n = snprintf(left, sizeof left, "    ");
        if (o->type == OPT_FLAG) snprintf(left + n, sizeof left - (size_t)n, "--%s", o->long_name);
        else snprintf(left + n, sizeof left - (size_t)n, "--%s %s", o->long_name, o->arg_name ? o->arg_name : "VALUE");
        fprintf(out, "    %-28s %s\n", left, o->help ? o->help : "");
    }
}

void cli_command_name(const char *const *usage, char *out, size_t n)
{
    snprintf(out, n, "tianti");
    if (!usage || !usage[0] || strncmp(usage[0], "tianti ", 7) != 0) return;
    /* "tianti arena serve --model ..." -> "tianti arena serve" */
    const char *p = usage[0] + 7;
    size_t len = 6;
    while (*p >= 'a' && *p <= 'z') {
        size_t w = strcspn(p, " ");
        p += w;
        len = (size_t)(p - usage[0]);
        while (*p == ' ') p++;
    }
    snprintf(out, n, "%.*s", (int)len, usage[0]);
}

void cli_usage_short(const char *const *usage, FILE *out)
{
    int synopses = 0;
    for (int i = 0; usage && usage[i]; i++)
        if (strncmp(usage[i], "tianti", 6) == 0) fprintf(out, "%s %s\n", synopses++ ? "   or:" : "usage:", usage[i]);
    char cmd[64];
    cli_command_name(usage, cmd, sizeof cmd);
    fprintf(out, "see '%s --help' for the options\n", cmd);
}

int cli_unknown(const char *what, const char *name, const char *const *candidates, size_t n)
{
    const char *near = tt_suggest(name, candidates, n);
    if (near) cli_error("%s '%s'; did you mean '%s'?", what, name, near);
    else cli_error("%s '%s'", what, name);
    return 2;
}

/* Long names match with '_' for '-' (lm-eval spells --num_fewshot). */
static int long_eq(const char *opt, const char *name, size_t len)
{
    if (strlen(opt) != len) return 0;
    for (size_t i = 0; i < len; i++) {
        char a = opt[i] == '_' ? '-' : opt[i], b = name[i] == '_' ? '-' : name[i];
        if (a != b) return 0;
    }
    return 1;
}

static const cli_option *find_long(const cli_option *opts, const char *name, size_t len)
{
    for (const cli_option *o = opts; o && o->type != OPT_END; o++)
        if (long_eq(o->long_name, name, len)) return o;
    return NULL;
}

static const cli_option *find_short(const cli_option *opts, char c)
{
    for (const cli_option *o = opts; o && o->type != OPT_END; o++)
        if (o->short_name == c) return o;
    return NULL;
}

/* "CMD: unknown option '--x'; did you mean '--y'?" and the short usage. */
static int unknown_option(const char *cmd, const char *const *usage, const cli_option *opts, const char *arg)
{
    const char *near = NULL;
    if (arg[1] == '-') {
        size_t n = 0;
        for (const cli_option *o = opts; o && o->type != OPT_END; o++) n++;
        const char **names = tt_calloc(n + 1, sizeof *names);
        n = 0;
        for (const cli_option *o = opts; o && o->type != OPT_END; o++)
            if (!(o->flags & CLI_HIDDEN)) names[n++] = o->long_name;
        const char *eq = strchr(arg, '=');
        char *word = tt_strndup(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
        near = tt_suggest(word, names, n);
        free(word);
        free(names);
    }
    if (near) cli_error("%s: unknown option '%s'; did you mean '--%s'?", cmd, arg, near);
    else cli_error("%s: unknown option '%s'", cmd, arg);
    cli_usage_short(usage, stderr);
    return 2;
}

static int set_value(const cli_option *o, const char *val, const char *cmd)
{
    char *end;
    switch (o->type) {
    case OPT_STRING:
        *(const char **)o->value = val;
        return 0;
    case OPT_INT: {
        errno = 0;
        long v = strtol(val, &end, 10);
        if (errno || *end || end == val || v < -2147483647L || v > 2147483647L) {
            cli_error("%s: option '--%s' needs an integer, not '%s'", cmd, o->long_name, val);
            return 2;
        }
        *(int *)o->value = (int)v;
        return 0;
    }
    case OPT_DOUBLE: {
        errno = 0;
        double v = strtod(val, &end);
        if (errno || *end || end == val) {
            cli_error("%s: option '--%s' needs a number, not '%s'", cmd, o->long_name, val);
            return 2;
        }
        *(double *)o->value = v;
        return 0;
    }
    case OPT_LIST: {
        cli_list *l = o->value;
        if (o->flags & CLI_NOSPLIT) {
            cli_list_push(l, val);
            return 0;
        }
        const char *p = val;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (n) {
                char *item = tt_strndup(p, n);
                cli_list_push(l, item);
                free(item);
            }
            if (!comma) break;
            p = comma + 1;
        }
        return 0;
    }
    default:
        return 0;
    }
}

int cli_parse(int argc, char **argv, const char *const *usage,
              const cli_option *opts, cli_list *positional)
{
    char cmd_buf[64];
    cli_command_name(usage, cmd_buf, sizeof cmd_buf);
    const char *cmd = strncmp(cmd_buf, "tianti ", 7) == 0 ? cmd_buf + 7 : argv[0];
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const cli_option *o = NULL;
        const char *val = NULL;
        if (only_positional || a[0] != '-' || a[1] == 0) {
            if (!positional) {
                cli_error("%s: unexpected argument '%s'", cmd, a);
                cli_usage_short(usage, stderr);
                return 2;
            }
            cli_list_push(positional, a);
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_usage(usage, opts, stdout);
            return 1;
        }
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            o = find_long(opts, name, eq ? (size_t)(eq - name) : strlen(name));
            if (eq) val = eq + 1;
        } else {
            o = find_short(opts, a[1]);
            if (o && a[2]) val = a + 2;
        }
        if (!o) return unknown_option(cmd, usage, opts, a);
        if (o->type == OPT_FLAG) {
            if (val) {
                cli_error("%s: option '--%s' takes no value", cmd, o->long_name);
                return 2;
            }
            *(int *)o->value = 1;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                cli_error("%s: option '--%s' needs a value", cmd, o->long_name);
                return 2;
            }
            val = argv[++i];
        }
        int rc = set_value(o, val, cmd);
        if (rc) return rc;
        /* lm-eval's nargs="+": "--tasks a b" takes b too */
        while (o->type == OPT_LIST && (o->flags & CLI_GREEDY) && i + 1 < argc && argv[i + 1][0] != '-' &&
               (rc = set_value(o, argv[++i], cmd)) == 0) {
        }
        if (rc) return rc;
    }
    return 0;
}

const char **cli_allow_hosts(const cli_list *l)
{
    if (!l || l->n == 0) return NULL;
    const char **v = tt_calloc((size_t)l->n + 1, sizeof *v);
    for (int i = 0; i < l->n; i++) v[i] = l->items[i];
    return v;
}

const char *cli_judged_step(const char *cmd, int argc, char **argv, const char *const *usage,
                            const char *const helps[4], int *status)
{
    static const char *const steps[4] = {"gen", "judge", "show", "run"};
    for (int i = 0; argc >= 2 && i < 4; i++)
        if (!strcmp(argv[1], steps[i])) return argv[1];
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
        cli_usage(usage, NULL, stdout);
        printf("\nsubcommands:\n");
        for (int i = 0; i < 4; i++) printf("    %-8s %s\n", steps[i], helps[i]);
        *status = 0;
        return NULL;
    }
    if (argc >= 2) cli_error("%s: '%s' is not a subcommand (gen, judge, show or run)", cmd, argv[1]);
    cli_usage(usage, NULL, stderr);
    *status = 2;
    return NULL;
}
