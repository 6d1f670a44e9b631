/*
 * conv.h — what the arena reads off a battle's two conversations before it
 * rates the battle: whether a message names a model (Chatbot Arena drops
 * such battles), whether an answer failed or never finished, how many
 * turns there were, the prompt's language and topic (the category
 * leaderboards), and the style counts of each side's answers (style
 * control). One definition, used by the battle-file reader
 * (arena/battles.c), the store loader, and the web arena when it stores a
 * vote (arena/web.c).
 *
 * Rules (docs/ratings.md; FastChat fastchat/serve/monitor/clean_battle_data.py
 * and add_markdown_info.py for the parts that follow it):
 *  - identity: any word of the list, whole word, ASCII case-insensitive, in
 *    any message of either side, user prompts included (FastChat looks at
 *    every message too). The list is Tianti's own (arena_words_default),
 *    or a file (arena_words_load); the battle's two model names (up to an
 *    '@' precision suffix, at least 3 bytes) always count as well;
 *  - error: an answer is missing (NULL content: the model failed) or holds
 *    one of FastChat's error banners (network error, moderation, API
 *    request error), compared case-insensitively;
 *  - unfinished: an answer still holds the streaming cursor "▌" or
 *    '<span class="cursor">', or the conversation ends on a user turn;
 *  - turns: the number of user messages of side A;
 *  - style (per side, over the assistant messages joined by "\n", fenced
 *    code blocks removed first as add_markdown_info.py does): approximate
 *    tokens (arena_tokens_approx: there is no tokenizer here), markdown
 *    headers (lines opening with 1-6 '#' and a space), list items (lines
 *    opening with "N." or one of -*+ and a space) and bold spans (**x**,
 *    __x__), the counts FastChat's regular expressions make;
 *  - categories: language of the first user message (arena_language_of),
 *    code (a ``` fence or <code> anywhere), math (arena_text_is_math on the
 *    user messages), long (at least 500 approximate tokens of user text,
 *    Chatbot Arena's "longer query"), multi-turn (2 or more turns). "hard"
 *    comes only from a judge (tianti arena tag) or the battle file.
 */
#ifndef TIANTI_ARENA_CONV_H
#define TIANTI_ARENA_CONV_H

#include <stddef.h>

/* Style counts per side, in FastChat's STYLE_CONTROL_ELEMENTS_V1 order. */
enum { ARENA_STYLE_TOKENS = 0, ARENA_STYLE_HEADERS, ARENA_STYLE_LISTS, ARENA_STYLE_BOLD, ARENA_STYLE_N };

/* Categories of a battle (bits). */
enum {
    ARENA_CAT_EN = 1u << 0,          /* English (Latin-script) prompt */
    ARENA_CAT_ZH = 1u << 1,          /* Chinese prompt */
    ARENA_CAT_OTHER_LANG = 1u << 2,  /* any other language */
    ARENA_CAT_CODE = 1u << 3,
    ARENA_CAT_MATH = 1u << 4,
    ARENA_CAT_LONG = 1u << 5,        /* long query */
    ARENA_CAT_MULTITURN = 1u << 6,
    ARENA_CAT_HARD = 1u << 7,        /* hard prompt (a judge's label) */
    ARENA_CAT_LANGS = ARENA_CAT_EN | ARENA_CAT_ZH | ARENA_CAT_OTHER_LANG
};

/* What is wrong with a battle (bits): why cleaning drops it. */
enum {
    ARENA_BAD_IDENTITY = 1u << 0,      /* a message names a model */
    ARENA_BAD_ERROR = 1u << 1,         /* an answer failed */
    ARENA_BAD_UNFINISHED = 1u << 2,    /* an answer never finished */
    ARENA_BAD_NOT_ANONYMOUS = 1u << 3, /* the voter saw the names ("anony": false) */
    ARENA_BAD_FLAGGED = 1u << 4        /* stored with another flag (judge_error, moderated, ...) */
};

/* Category names as the CLI, the web page and the JSON write them:
 * "en", "zh", "other", "code", "math", "long", "multiturn", "hard". */
const char *arena_category_name(unsigned bit);
/* Parses one name (or "all" = 0); TT_OK or TT_ERR_USAGE with a message. */
int arena_category_parse(const char *name, unsigned *bit, char *err);
/* "code,math" for a bit set (caller frees; "" when none). */
char *arena_categories_format(unsigned cats);
/* Bits of a comma-separated list; unknown names are ignored. */
unsigned arena_categories_parse_list(const char *s);

/* A list of identity words. */
typedef struct arena_words {
    char **w;
    size_t n;
} arena_words;

/* Tianti's list of model and vendor names that give a model away: a copy
 * (arena_words_default, caller frees) or the list itself (never freed). */
void arena_words_default(arena_words *out);
const arena_words *arena_words_builtin(void);
/* One word or phrase per line; blank lines and lines starting with '#'
 * are skipped. TT_ERR_IO naming the file when unreadable. An empty file
 * turns the word filter off (the model names still count). */
int arena_words_load(const char *path, arena_words *out, char *err);
void arena_words_free(arena_words *w);   /* NULL is fine */

/* 1 when text names a word of list, or one of extra[0..n_extra) (NULL
 * entries skipped; an entry is cut at '@'); whole word, ASCII
 * case-insensitive, words shorter than 3 bytes ignored. */
int arena_words_match(const char *text, const arena_words *list, const char *const *extra, int n_extra);

/* Approximate token count of text: a run of ASCII letters and digits is
 * 1 + (length - 1) / 6 tokens, any other visible ASCII byte one token,
 * any non-ASCII character one token; whitespace is free. */
double arena_tokens_approx(const char *s, size_t n);

/* Markdown counts of text as FastChat's add_markdown_info.py makes them
 * (code blocks removed first): out[0] headers, out[1] list items, out[2]
 * bold spans. */
void arena_markdown_counts(const char *text, size_t n, double out[3]);

/* ARENA_CAT_EN, ARENA_CAT_ZH or ARENA_CAT_OTHER_LANG for a text: zh when
 * Han characters are at least 20% of its letters (and there is no kana or
 * hangul), en when at least 90% of the letters are ASCII, otherwise other;
 * a text without letters is en. A heuristic, not a language model. */
unsigned arena_language_of(const char *text, size_t n);

/* 1 when the text asks for mathematics: an arithmetic expression (a digit,
 * an operator among + - * / ^ = and a digit or variable), a LaTeX math
 * command or $...$, or a word such as solve, equation, integral,
 * derivative, probability, calculate (and their Chinese counterparts). */
int arena_text_is_math(const char *text, size_t n);

/* 1 when the text holds a code fence (```) or a <code> tag. */
int arena_text_has_code(const char *text, size_t n);

/* One message of a conversation (strings borrowed; content NULL when the
 * model failed). */
typedef struct arena_msg {
    const char *role;       /* "user", "assistant", "system" */
    const char *content;
} arena_msg;

typedef struct arena_conv_facts {
    int turns;                  /* user messages of side A */
    unsigned cats;              /* ARENA_CAT_* (never HARD) */
    unsigned bad;               /* ARENA_BAD_IDENTITY, _ERROR, _UNFINISHED */
    double style[2][ARENA_STYLE_N];   /* side A, side B */
    double user_tokens;         /* approximate tokens of the user messages (side A) */
} arena_conv_facts;

/* Reads the facts of a battle from both sides' messages. identity NULL:
 * the default list. model_a/model_b may be NULL. */
void arena_conv_analyse(const arena_msg *a, size_t na, const arena_msg *b, size_t nb, const arena_words *identity,
                        const char *model_a, const char *model_b, arena_conv_facts *out);

/* The same from two conversations as JSON text (an array of {"role",
 * "content"} objects, OpenAI style; a content that is not a string counts
 * as a failed answer). TT_OK, or TT_ERR_PARSE naming the side when a
 * conversation is not such an array. */
int arena_conv_analyse_json(const char *conv_a, const char *conv_b, const arena_words *identity,
                            const char *model_a, const char *model_b, arena_conv_facts *out, char *err);

#endif
