/*
 * template.h — a small Jinja-like template language for task prompt fields
 * (doc_to_text, doc_to_target, doc_to_choice, description), rendered against
 * one dataset record (a jansson object). Called by harness/task.c; knows
 * nothing about tasks.
 *
 * Supported subset (everything else is a parse error naming the template and
 * the byte offset, counted from 0):
 *   text {{ expr }} text         expressions are substituted; {# ... #} is a
 *                                comment; {% ... %} blocks are NOT supported
 *   expr    := term (('+' | '~') term)*     '+' adds numbers or joins strings
 *                                           and lists, '~' always joins text
 *   term    := primary postfix* ('|' filter)*
 *   primary := name | 'str' | "str" | integer | [expr, ...] | (expr)
 *            | letter(i)        "A" + i  (letter(0) = "A")
 *            | len(x)
 *   postfix := .field | [index] | .method(args)
 *   methods (Python semantics): strip lstrip rstrip ([chars]), split([sep[,
 *            maxsplit]]), lower, upper, replace(a, b), join(list), index(x),
 *            keys, values, startswith(s), endswith(s)
 *   filters: trim lower upper length string int
 * Indexing: list[i] and string[i] (code points) accept negative i; a string
 * of decimal digits used as an index counts as that integer (CSV fields are
 * strings); object[key] looks the key up. A missing field or an index out of
 * range is an error, not an empty string (Jinja would print nothing; here a
 * typo in a task file should fail loudly).
 * Rendering is Python's str(), as Jinja prints values: strings as is,
 * integers in decimal, reals as Python prints them (repr: "18.0",
 * "1234567.5", "1e+16"; core/pytext.h), booleans "True"/"False", null
 * "None", lists and objects with their items in repr() form
 * ("['a', 1, 2.5]", "{'k': None}").
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
