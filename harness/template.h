/*
 * template.h — a small Jinja-like template language for task prompt fields
 * (doc_to_text, doc_to_target, doc_to_choice, description), rendered against
 * one dataset record (a jansson object). Called by harness/task.c; knows
 * nothing about tasks.
 *
 * Supported subset, Jinja2's semantics as lm-evaluation-harness runs it
 * (Environment(undefined=StrictUndefined, keep_trailing_newline=True), plus
 * its regex_replace filter); everything else is a parse error naming the
 * template and the byte offset, counted from 0:
 *   text {{ expr }} text    expressions are substituted; {# ... #} is a
 *                           comment; {% if %} {% elif %} {% else %}
 *                           {% endif %}, {% for x in xs %} (also
 *                           `for k, v in d.items()`, loop.index, index0,
 *                           first, last, length, revindex, revindex0, and
 *                           {% else %} for an empty list) {% endfor %},
 *                           {% set x = expr %}; a '-' inside a delimiter
 *                           ({%- -%} {{- -}} {#- -#}) strips the white space
 *                           of the text on that side
 *   expr  := a 'if' cond 'else' b (only the branch taken is evaluated)
 *          | or-expressions: 'or', 'and', 'not' (Python's short-circuit
 *            values), comparisons == != < <= > >= in 'not in', '~' (text
 *            join), '+' (numbers, strings, lists), '-' '*' '/' '//' '%'
 *            (numbers as Python; str * int repeats), unary '-'
 *   term  := primary postfix* ('|' filter ['(' args ')'])* ['is' ['not'] test]
 *   primary := name | 'str' | "str" | integer | 1.5 | [expr, ...] | (expr)
 *            | True False None (or true false none)
 *            | letter(i)        "A" + i  (letter(0) = "A")
 *            | len(x)
 *   postfix := .field | [index] | [a:b:c] (Python slices) | .method(args)
 *   methods (Python semantics): strip lstrip rstrip ([chars]), split([sep[,
 *            maxsplit]]), lower, upper, capitalize, title, replace(a, b[, n]),
 *            startswith(s), endswith(s), count(s), find(s), index(s), join(list);
 *            list.index(x); dict keys, values, items, get(k[, default])
 *   filters: trim lower upper capitalize title length count string int
 *            float abs join(sep) replace(a, b[, n]) regex_replace(pattern,
 *            repl[, count]) (Python re.sub, core/pytext.h) default(v[,
 *            boolean]) / d first last list reverse
 *   tests:   defined undefined none string number integer sequence mapping
 *            true false odd even
 * Indexing: list[i] and string[i] (code points) accept negative i; a string
 * of decimal digits used as an index counts as that integer (CSV fields are
 * strings); object[key] looks the key up. A missing field or key is an
 * error (StrictUndefined) except under `is defined` / `is undefined` and
 * the default filter; an index out of range is an error.
 * Rendering is Python's str(), as Jinja prints values: strings as is,
 * integers in decimal, reals as Python prints them (repr: "18.0",
 * "1234567.5", "1e+16"; core/pytext.h), booleans "True"/"False", null
 * "None", lists and objects with their items in repr() form
 * ("['a', 1, 2.5]", "{'k': None}"). Case changes and white space follow
 * Python's Unicode str methods (core/pytext.h).
 */
#ifndef TIANTI_TEMPLATE_H
#define TIANTI_TEMPLATE_H

#include <jansson.h>

/* Renders tmpl against doc into *out (caller frees). name labels errors,
 * e.g. "doc_to_text"; err gets "template 'NAME' at offset N: ...". */
int template_render(const char *name, const char *tmpl, const json_t *doc, char **out,
                    char *err);

/* Like template_render, but when the whole template is one {{ expr }}
 * (surrounding whitespace allowed) returns the expression's JSON value
 * itself (a list stays a list, an int an int); otherwise a JSON string of
 * the rendered text. *out is a new reference: caller json_decref()s it. */
int template_eval(const char *name, const char *tmpl, const json_t *doc, json_t **out,
                  char *err);

/* Python's str() of a value, as a template renders it (see above). Caller
 * frees. */
char *template_value_text(const json_t *v);

/* Does tmpl contain template syntax ("{{" or "{#")? */
int template_has_syntax(const char *tmpl);

#endif
