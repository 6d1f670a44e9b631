/*
 * test_ifeval.c — judges/ifeval.c, IFEval's instruction checkers. Each of
 * the 25 instruction types of the data set's instruction_id_list gets
 * responses that follow it and responses that do not; the expected value
 * of each is worked out in the comment beside it from the check_following
 * of its class in lm-evaluation-harness lm_eval/tasks/leaderboard/ifeval/
 * instructions.py (and instructions_util.py for words and sentences). Then
 * the strict and loose document scores of utils.py, and the building
 * blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "judges/ifeval.h"

/* Checks instruction id with kwargs (JSON text) on response: want 1/0. */
static void check(const char *id, const char *kwargs, const char *response, int want)
{
    json_error_t je;
    json_t *kw = kwargs ? json_loads(kwargs, 0, &je) : NULL;
    if (kwargs && !kw) fail_msg("bad kwargs %s", kwargs);
    char err[TT_ERR_SIZE] = "";
    int got = -1;
    int rc = ifeval_check(id, kw, "the prompt", response, &got, err);
    if (rc) fail_msg("%s: %s", id, err);
    if (got != want) fail_msg("%s %s on \"%s\": got %d, want %d", id, kwargs ? kwargs : "", response, got, want);
    json_decref(kw);
}

static void test_ifeval_keywords(void **state)
{
    (void)state;
    /* KeywordChecker: every keyword re.search'ed with IGNORECASE */
    check("keywords:existence", "{\"keywords\": [\"apple\", \"Banana\"]}", "I like apples and BANANA bread.", 1);
    check("keywords:existence", "{\"keywords\": [\"apple\", \"Banana\"]}", "Only apples.", 0);
    /* KeywordFrequencyChecker: len(re.findall(keyword, value, IGNORECASE)); no word
     * boundary, so "there" and "theme" count for "the" */
    check("keywords:frequency", "{\"keyword\": \"the\", \"frequency\": 3, \"relation\": \"at least\"}",
          "The cat and the dog in the house", 1);   /* 3 >= 3 */
    check("keywords:frequency", "{\"keyword\": \"the\", \"frequency\": 2, \"relation\": \"less than\"}",
          "the theme", 0);                           /* 2 < 2 is false */
    check("keywords:frequency", "{\"keyword\": \" the \", \"frequency\": 3, \"relation\": \"less than\"}",
          "the theme", 1);                           /* keyword.strip(): 2 < 3 */
    /* ForbiddenWords: re.search(r"\b" + word + r"\b", IGNORECASE) */
    check("keywords:forbidden_words", "{\"forbidden_words\": [\"bad\", \"evil\"]}", "This is badly done", 1);
    check("keywords:forbidden_words", "{\"forbidden_words\": [\"bad\", \"evil\"]}", "It was Bad.", 0);
    /* LetterFrequencyChecker: Counter(value.lower())[letter] */
    check("keywords:letter_frequency", "{\"letter\": \"a\", \"let_frequency\": 3, \"let_relation\": \"at least\"}",
          "Banana", 1);                              /* 3 a's */
    check("keywords:letter_frequency", "{\"letter\": \"A\", \"let_frequency\": 3, \"let_relation\": \"less than\"}",
          "AAA", 0);                                 /* letter lower()ed: 3 < 3 false */
}

static void test_ifeval_language(void **state)
{
    (void)state;
    /* ResponseLanguageChecker: langdetect.detect(value) == language; no
     * letters at all: langdetect raises and the instruction counts as followed */
    check("language:response_language", "{\"language\": \"ko\"}", "안녕하세요, 만나서 반갑습니다.", 1);
    check("language:response_language", "{\"language\": \"en\"}", "안녕하세요, 만나서 반갑습니다.", 0);
    check("language:response_language", "{\"language\": \"en\"}", "12345 678", 1);
    check("language:response_language", "{\"language\": \"hi\"}", "यह एक किताब है और मुझे यह पसंद है।", 1);
    check("language:response_language", "{\"language\": \"mr\"}", "हे पुस्तक आहे आणि ते चांगले आहे.", 1);
    check("language:response_language", "{\"language\": \"ne\"}", "यो किताब हो र मलाई यो मन पर्छ।", 1);
    check("language:response_language", "{\"language\": \"ru\"}", "Это книга, и она мне очень нравится.", 1);
    check("language:response_language", "{\"language\": \"bg\"}", "Това е книга и тя е на масата, която са купили.", 1);
    check("language:response_language", "{\"language\": \"fa\"}", "این یک کتاب است و من آن را دوست دارم.", 1);
    check("language:response_language", "{\"language\": \"ur\"}", "یہ ایک کتاب ہے اور میں اسے پسند کرتا ہوں۔", 1);
    check("language:response_language", "{\"language\": \"ar\"}", "هذا كتاب في المكتبة التي على الطاولة.", 1);
    check("language:response_language", "{\"language\": \"de\"}", "Das ist ein Haus und der Garten ist sehr schön.", 1);
    check("language:response_language", "{\"language\": \"vi\"}", "Tôi không biết điều này là gì và tại sao.", 1);
    check("language:response_language", "{\"language\": \"sw\"}", "Mimi ni mwanafunzi na ninapenda kusoma vitabu kwa sababu ni muhimu.", 1);
    check("language:response_language", "{\"language\": \"th\"}", "สวัสดีครับ ยินดีที่ได้รู้จัก", 1);
    check("language:response_language", "{\"language\": \"ta\"}", "வணக்கம், எப்படி இருக்கிறீர்கள்?", 1);
    check("language:response_language", "{\"language\": \"pt\"}", "Eu não sei o que é isso, mas é muito bom para você.", 1);
    check("language:response_language", "{\"language\": \"it\"}", "Questo è il libro che non ho letto, ma è della biblioteca.", 1);
    check("language:response_language", "{\"language\": \"fi\"}", "Minä en tiedä mitä se on, mutta se on kuin ennen.", 1);
}

static void test_ifeval_length(void **state)
{
    (void)state;
    /* NumberOfSentences: count_sentences (punkt); "Dr." does not end one */
    check("length_constraints:number_sentences", "{\"num_sentences\": 2, \"relation\": \"less than\"}",
          "One sentence here.", 1);
    check("length_constraints:number_sentences", "{\"num_sentences\": 2, \"relation\": \"less than\"}",
          "Dr. Smith came. He left!", 0);            /* 2 sentences */
    check("length_constraints:number_sentences", "{\"num_sentences\": 2, \"relation\": \"at least\"}",
          "Dr. Smith came. He left!", 1);
    /* ParagraphChecker: re.split(r"\s?\*\*\*\s?"); empty pieces only at the ends */
    check("length_constraints:number_paragraphs", "{\"num_paragraphs\": 2}", "First para\n***\nSecond para", 1);
    check("length_constraints:number_paragraphs", "{\"num_paragraphs\": 2}", "A\n***\n\n***\nB", 0);   /* "" inside */
    check("length_constraints:number_paragraphs", "{\"num_paragraphs\": 2}", "***\nA\n***\nB", 1);     /* "" first */
    check("length_constraints:number_paragraphs", "{\"num_paragraphs\": 3}", "A\n***\nB", 0);
    /* NumberOfWords: \w+ tokens: one two three four five */
    check("length_constraints:number_words", "{\"num_words\": 5, \"relation\": \"at least\"}",
          "one two, three-four five", 1);
    check("length_constraints:number_words", "{\"num_words\": 5, \"relation\": \"less than\"}",
          "one two, three-four five", 0);
    /* ParagraphFirstWordCheck: split on "\n\n"; first word without quotes,
     * up to punctuation, lower case */
    check("length_constraints:nth_paragraph_first_word",
          "{\"num_paragraphs\": 2, \"nth_paragraph\": 2, \"first_word\": \"Second\"}",
          "First para.\n\n\"Second, para\"", 1);
    check("length_constraints:nth_paragraph_first_word",
          "{\"num_paragraphs\": 2, \"nth_paragraph\": 2, \"first_word\": \"second\"}",
          "First.\n\nSecond.\n\nThird.", 0);        /* 3 paragraphs */
    check("length_constraints:nth_paragraph_first_word",
          "{\"num_paragraphs\": 2, \"nth_paragraph\": 2, \"first_word\": \"second\"}",
          "First.\n\nOther words.", 0);
}

static void test_ifeval_content_and_format(void **state)
{
    (void)state;
    /* PlaceholderChecker: len(re.findall(r"\[.*?\]")) >= n */
    check("detectable_content:number_placeholders", "{\"num_placeholders\": 2}", "[name] lives at [address]", 1);
    check("detectable_content:number_placeholders", "{\"num_placeholders\": 2}", "[a] only", 0);
    /* PostscriptChecker: on value.lower(), r"\s*p\.\s?s\..*$" (MULTILINE) */
    check("detectable_content:postscript", "{\"postscript_marker\": \"P.S.\"}", "Hello\nP.S. see you", 1);
    check("detectable_content:postscript", "{\"postscript_marker\": \"P.S.\"}", "Hello\nPS see you", 0);
    check("detectable_content:postscript", "{\"postscript_marker\": \"P.P.S\"}", "Hi\np. p. s note", 1);
    /* BulletListChecker: r"^\s*\*[^\*].*$" plus r"^\s*-.*$" (MULTILINE) == n */
    check("detectable_format:number_bullet_lists", "{\"num_bullets\": 2}", "* one\n* two\ntext", 1);
    check("detectable_format:number_bullet_lists", "{\"num_bullets\": 2}", "* one\n- two\n- three", 0);   /* 3 */
    check("detectable_format:number_bullet_lists", "{\"num_bullets\": 1}", "**bold** line\n* item", 1);  /* ** is no bullet */
    /* ConstrainedResponseChecker: one of the three answers inside value.strip() */
    check("detectable_format:constrained_response", NULL, "I think My answer is yes.", 1);
    check("detectable_format:constrained_response", NULL, "Yes.", 0);
    /* HighlightSectionChecker: *x* with x.strip("*").strip() non-empty, plus **x** */
    check("detectable_format:number_highlighted_sections", "{\"num_highlights\": 2}", "*one* and **two**", 1);
    check("detectable_format:number_highlighted_sections", "{\"num_highlights\": 1}", "* * and **  **", 0);
    /* SectionChecker: len(re.split(r"\s?" + spliter + r"\s?\d+\s?")) - 1 >= n */
    check("detectable_format:multiple_sections", "{\"section_spliter\": \"Section\", \"num_sections\": 2}",
          "Section 1\nfoo\nSection 2\nbar", 1);
    check("detectable_format:multiple_sections", "{\"section_spliter\": \"Section\", \"num_sections\": 1}",
          "SECTION 1 only", 0);                      /* case matters */
    /* JsonFormat: json.loads after stripping ``` fences */
    check("detectable_format:json_format", NULL, "```json\n{\"a\": 1}\n```", 1);
    check("detectable_format:json_format", NULL, "{a: 1}", 0);
    check("detectable_format:json_format", NULL, "  \"just a string\" ", 1);
    /* TitleChecker: <<[^\n]+>> with a non-blank inside */
    check("detectable_format:title", NULL, "<<My Title>>\nbody", 1);
    check("detectable_format:title", NULL, "<<  >> body", 0);
    check("detectable_format:title", NULL, "<<\n>> body", 0);
}

static void test_ifeval_combination_startend_case(void **state)
{
    (void)state;
    /* TwoResponsesChecker: value.split("******"), two different non-blank parts */
    check("combination:two_responses", NULL, "A\n******\nB", 1);
    check("combination:two_responses", NULL, "A\n******\nA ", 0);            /* the same after strip() */
    check("combination:two_responses", NULL, "A\n******\n\n******\nB", 0);  /* blank inside */
    /* RepeatPromptThenAnswer: value.strip().lower().startswith(prompt.strip().lower()) */
    check("combination:repeat_prompt", "{\"prompt_to_repeat\": \"Write a poem.\"}", "  write a POEM. Here it is", 1);
    check("combination:repeat_prompt", "{\"prompt_to_repeat\": \"Write a poem.\"}", "Sure! Write a poem.", 0);
    /* EndChecker: value.strip().strip('"').lower().endswith(phrase.strip().lower()) */
    check("startend:end_checker", "{\"end_phrase\": \"Is there anything else I can help with?\"}",
          "Text. is there anything else I can help with?\"\n", 1);
    check("startend:end_checker", "{\"end_phrase\": \"Is there anything else I can help with?\"}",
          "Is there anything else I can help with? Thanks", 0);
    /* QuotationChecker: value.strip(), len > 1, wrapped in double quotes */
    check("startend:quotation", NULL, " \"hello\" ", 1);
    check("startend:quotation", NULL, "\"", 0);
    check("startend:quotation", NULL, "hello", 0);
    /* CapitalWordFrequencyChecker: word_tokenize, count word.isupper() */
    check("change_case:capital_word_frequency", "{\"capital_frequency\": 2, \"capital_relation\": \"at least\"}",
          "I LOVE NYC and you", 1);                  /* I, LOVE, NYC */
    check("change_case:capital_word_frequency", "{\"capital_frequency\": 3, \"capital_relation\": \"less than\"}",
          "I LOVE NYC and you", 0);
    check("change_case:capital_word_frequency", "{\"capital_frequency\": 2, \"capital_relation\": \"at least\"}",
          "DON'T stop", 1);                          /* DO, N'T */
    /* CapitalLettersEnglishChecker: value.isupper() and detect == "en" */
    check("change_case:english_capital", NULL, "THIS IS AN ENGLISH SENTENCE WITH MANY OF THE WORDS.", 1);
    check("change_case:english_capital", NULL, "This is an English sentence.", 0);
    check("change_case:english_capital", NULL, "ESTO ES UNA FRASE EN ESPAÑOL Y NO ES PARA EL INGLÉS", 0);
    /* LowercaseLettersEnglishChecker: value.islower() and detect == "en" */
    check("change_case:english_lowercase", NULL, "this is an english sentence with the words.", 1);
    check("change_case:english_lowercase", NULL, "this is English", 0);
    /* CommaChecker */
    check("punctuation:no_comma", NULL, "no commas here", 1);
    check("punctuation:no_comma", NULL, "a, b", 0);
    /* an empty response follows nothing (utils.py: response.strip() and ...) */
    check("punctuation:no_comma", NULL, "   \n", 0);
}

static void test_ifeval_score_strict_and_loose(void **state)
{
    (void)state;
    /* utils.py: strict checks the response; loose also the response without
     * its first line, without its last line, without both, and each of those
     * without '*' */
    json_error_t je;
    json_t *doc = json_loads("{\"key\": 1, \"prompt\": \"p\", \"instruction_id_list\": [\"punctuation:no_comma\", "
                             "\"startend:quotation\", \"detectable_format:title\"], \"kwargs\": [{}, {}, {}]}",
                             0, &je);
    assert_non_null(doc);
    int *strict, *loose, n;
    char err[TT_ERR_SIZE];
    /* the first line has the comma; without it the rest is quoted; no title anywhere */
    assert_int_equal(ifeval_score(doc, "Sure, here it is:\n\"all quoted\"", &strict, &loose, &n, err), TT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(strict[0], 0);
    assert_int_equal(strict[1], 0);
    assert_int_equal(strict[2], 0);
    assert_int_equal(loose[0], 1);
    assert_int_equal(loose[1], 1);
    assert_int_equal(loose[2], 0);
    free(strict);
    free(loose);
    json_decref(doc);
    /* unknown instruction: an error, not a silent pass */
    doc = json_loads("{\"prompt\": \"p\", \"instruction_id_list\": [\"x:y\"], \"kwargs\": [{}]}", 0, &je);
    assert_int_equal(ifeval_score(doc, "r", &strict, &loose, &n, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "unknown IFEval instruction 'x:y'"));
    json_decref(doc);
    for (const char *const *id = (const char *const[]){"keywords:existence", "punctuation:no_comma", NULL}; *id; id++)
        assert_true(ifeval_known(*id));
}

static void test_ifeval_building_blocks(void **state)
{
    (void)state;
    assert_int_equal(ifeval_count_words("Hello, world! It's 2024."), 5);   /* Hello world It s 2024 */
    assert_int_equal(ifeval_count_words("中文 字"), 2);
    assert_int_equal(ifeval_count_sentences("Hello there. How are you? Fine!"), 3);
    assert_int_equal(ifeval_count_sentences("Mr. Smith met Dr. Jones in the U.S. yesterday."), 1);
    assert_int_equal(ifeval_count_sentences("No final stop"), 1);
    assert_int_equal(ifeval_count_sentences("Line one\nline two."), 1);   /* a line break alone ends nothing */
    assert_int_equal(ifeval_count_sentences(""), 0);
    char **tok;
    size_t n = ifeval_word_tokens("\"Don't go,\" she said.", &tok);
    const char *want[] = {"\"", "Do", "n't", "go", ",", "\"", "she", "said", "."};
    assert_int_equal(n, 9);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(tok[i], want[i]);
        free(tok[i]);
    }
    free(tok);
    assert_true(ifeval_isupper("ABC 1"));
    assert_false(ifeval_isupper("ABc"));
    assert_false(ifeval_isupper("123"));
    assert_true(ifeval_islower("straße"));
    assert_null(ifeval_detect_language("1234 !!"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ifeval_keywords),
        cmocka_unit_test(test_ifeval_language),
        cmocka_unit_test(test_ifeval_length),
        cmocka_unit_test(test_ifeval_content_and_format),
        cmocka_unit_test(test_ifeval_combination_startend_case),
        cmocka_unit_test(test_ifeval_score_strict_and_loose),
        cmocka_unit_test(test_ifeval_building_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
