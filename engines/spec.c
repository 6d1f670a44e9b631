/*
 * spec.c — implementation of spec.h: the model-spec grammar, checked
 * against the engine table (engine_kinds() in engine.c: the kinds and which
 * of them have precisions).
 */
#include "engines/spec.h"
#include "engines/engine.h"
#include "core/suggest.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const engine_kind *kind_row(const char *kind, size_t len)
{
    size_t n;
    const engine_kind *k = engine_kinds(&n);
    for (size_t i = 0; i < n; i++)
        if (strlen(k[i].name) == len && strncmp(k[i].name, kind, len) == 0) return &k[i];
    return NULL;
}

const char *const *engine_spec_precisions(const char *kind)
{
    const engine_kind *row = kind ? kind_row(kind, strlen(kind)) : NULL;
    return row ? row->precisions : NULL;
}

const char *engine_spec_precision(const char *kind, const char *name)
{
    const char *const *p = engine_spec_precisions(kind);
    for (; p && *p && name; p++)
        if (strcasecmp(*p, name) == 0) return *p;
    return NULL;
}

void engine_spec_precisions_list(const char *kind, char *out, size_t n)
{
    size_t used = 0;
    if (n) out[0] = 0;
    for (const char *const *p = engine_spec_precisions(kind); p && *p && used < n; p++) {
        int w = snprintf(out + used, n - used, "%s%s", used ? ", " : "", *p);
        if (w > 0) used += (size_t)w;
    }
}

void engine_spec_clear(engine_spec *sp)
{
    if (!sp) return;
    free(sp->kind);
    free(sp->arg);
    free(sp->precision);
    memset(sp, 0, sizeof *sp);
}

int engine_spec_parse(const char *s, engine_spec *out, char *err)
{
    memset(out, 0, sizeof *out);
    if (!s || !*s) return tt_fail(err, TT_ERR_USAGE, "empty model spec (expected KIND:ARG, for example glm:models/tianti-tiny.gguf@q4_0)");
    const char *colon = strchr(s, ':');
    if (!colon || colon == s)
        return tt_fail(err, TT_ERR_USAGE, "model spec '%s' is not KIND:ARG (for example glm:models/tianti-tiny.gguf@q4_0)", s);
    size_t klen = (size_t)(colon - s);
    const engine_kind *row = kind_row(s, klen);
    if (!row) {
        size_t n;
        const engine_kind *k = engine_kinds(&n);
        tt_buf known;
        tt_buf_init(&known);
        const char **names = tt_calloc(n + 1, sizeof *names);
        for (size_t i = 0; i < n; i++) {
            tt_buf_printf(&known, "%s%s", i ? ", " : "", k[i].name);
            names[i] = k[i].name;
        }
        char *kind = tt_strndup(s, klen);
        const char *near = tt_suggest(kind, names, n);
        int rc = near ? tt_fail(err, TT_ERR_USAGE, "unknown engine kind '%s' in '%s'; did you mean '%s'? (known: %s)", kind,
                                s, near, tt_buf_str(&known))
                      : tt_fail(err, TT_ERR_USAGE, "unknown engine kind '%s' in '%s' (known: %s)", kind, s,
                                tt_buf_str(&known));
        free(kind);
        free(names);
        tt_buf_free(&known);
        return rc;
    }
    const char *arg = colon + 1;
    size_t alen = strlen(arg);
    const char *prec = NULL;
    if (row->precisions) {
        const char *at = strrchr(arg, '@');
        if (at && !strchr(at + 1, '/')) {
            char list[128];
            engine_spec_precisions_list(row->name, list, sizeof list);
            if (!at[1])
                return tt_fail(err, TT_ERR_USAGE, "model spec '%s' ends in '@' without a precision (%s)", s, list);
            prec = engine_spec_precision(row->name, at + 1);
            if (!prec) return tt_fail(err, TT_ERR_USAGE, "unknown precision '%s' in '%s' (%s)", at + 1, s, list);
            alen = (size_t)(at - arg);
        }
    }
    if (alen == 0)
        return tt_fail(err, TT_ERR_USAGE, "model spec '%s' has nothing after '%s:' (%s)", s, row->name, row->summary);
    out->kind = tt_strdup(row->name);
    out->arg = tt_strndup(arg, alen);
    out->precision = prec ? tt_strdup(prec) : NULL;
    out->row = row;
    return TT_OK;
}

char *engine_spec_format(const engine_spec *sp)
{
    if (sp->precision) return tt_asprintf("%s:%s@%s", sp->kind, sp->arg, sp->precision);
    return tt_asprintf("%s:%s", sp->kind, sp->arg);
}

char *engine_spec_display_name(const engine_spec *sp, int with_precision)
{
    const char *p = sp->arg;
    size_t n = strlen(p);
    /* keep URLs (http://host:port) whole: only strip folders of file paths */
    const char *slash = strstr(p, "://") ? NULL : strrchr(p, '/');
    if (slash) {
        n -= (size_t)(slash + 1 - p);
        p = slash + 1;
    }
    const char *dot = strrchr(p, '.');
    static const char *const exts[] = {".gguf", ".jsonl", ".json", ".bin"};
    for (size_t i = 0; dot && dot > p && i < sizeof exts / sizeof exts[0]; i++)
        if (strcmp(dot, exts[i]) == 0) {
            n = (size_t)(dot - p);
            break;
        }
    if (with_precision && sp->precision) return tt_asprintf("%.*s@%s", (int)n, p, sp->precision);
    return tt_strndup(p, n);
}

const char *engine_spec_split_name(const char *s, char **name)
{
    *name = NULL;
    const char *eq = strchr(s, '=');
    const char *colon = strchr(s, ':');
    if (!eq || eq == s || (colon && colon < eq)) return s;
    *name = tt_strndup(s, (size_t)(eq - s));
    return eq + 1;
}
