/*
 * ifeval_lang.c — ifeval_detect_language (ifeval.h): a small language
 * identifier standing in for langdetect in IFEval's checkers. The script
 * of most letters decides where a script belongs to one language of
 * langdetect's profiles (Hangul ko, Thai th, Bengali bn, ...); inside
 * Latin, Cyrillic, Arabic and Devanagari script, common function words
 * (and a few letters only one language uses) tell the languages apart.
 * It answers with langdetect's codes for the languages IFEval asks for;
 * on short or mixed text it may differ from langdetect.
 */
#include "judges/ifeval.h"

#include <stdlib.h>
#include <string.h>

#include "core/pytext.h"
#include "core/utf8.h"
#include "core/util.h"

enum script {
    SC_LATIN, SC_CYRILLIC, SC_ARABIC, SC_DEVANAGARI, SC_BENGALI, SC_GURMUKHI, SC_GUJARATI, SC_TAMIL, SC_TELUGU,
    SC_KANNADA, SC_MALAYALAM, SC_THAI, SC_HANGUL, SC_KANA, SC_HAN, SC_HEBREW, SC_GREEK, SC_COUNT
};

static int script_of(uint32_t cp)
{
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
        (cp >= 0x1E00 && cp <= 0x1EFF))
        return SC_LATIN;
    if (cp >= 0x400 && cp <= 0x52F) return SC_CYRILLIC;
    if ((cp >= 0x600 && cp <= 0x6FF && !(cp >= 0x660 && cp <= 0x669) && !(cp >= 0x6F0 && cp <= 0x6F9)) ||
        (cp >= 0x750 && cp <= 0x77F) || (cp >= 0xFB50 && cp <= 0xFEFF))
        return SC_ARABIC;
    if (cp >= 0x900 && cp <= 0x97F) return SC_DEVANAGARI;
    if (cp >= 0x980 && cp <= 0x9FF) return SC_BENGALI;
    if (cp >= 0xA00 && cp <= 0xA7F) return SC_GURMUKHI;
    if (cp >= 0xA80 && cp <= 0xAFF) return SC_GUJARATI;
    if (cp >= 0xB80 && cp <= 0xBFF) return SC_TAMIL;
    if (cp >= 0xC00 && cp <= 0xC7F) return SC_TELUGU;
    if (cp >= 0xC80 && cp <= 0xCFF) return SC_KANNADA;
    if (cp >= 0xD00 && cp <= 0xD7F) return SC_MALAYALAM;
    if (cp >= 0xE00 && cp <= 0xE7F) return SC_THAI;
    if ((cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F)) return SC_HANGUL;
    if (cp >= 0x3040 && cp <= 0x30FF) return SC_KANA;
    if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)) return SC_HAN;
    if (cp >= 0x590 && cp <= 0x5FF) return SC_HEBREW;
    if (cp >= 0x370 && cp <= 0x3FF) return SC_GREEK;
    return -1;
}

/* Function words per language: a space-separated list, lower case. */
typedef struct lang_words {
    const char *code;
    const char *words;
} lang_words;

static const lang_words latin[] = {
    {"en", "the and of to a in is it that for you was with on as are be this have not but they at by from or "
           "his her an we can will your my which their there what all would one if do has been he she i"},
    {"de", "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden "
           "aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur oder "
           "aber vor zur bis mehr durch man sein wurde ich du wir ihr mein dein"},
    {"fr", "le la les de des du et en un une est que qui dans pour pas sur au avec il elle ce se ne sont par plus "
           "vous nous je mais ou son sa ses leur été être aux cette"},
    {"es", "el la los las de del y en un una es que por con no para se su al lo como más pero sus le ya o este "
           "sí porque esta entre cuando muy sin sobre también me hasta hay donde"},
    {"it", "il lo la gli le di del della e è in un una che per non con si da al sono come anche più ma ci ha "
           "questo questa nel nella dei delle io tu noi essere"},
    {"pt", "o a os as de do da dos das e em um uma que para com não por se na no mais como mas ao ele ela seu sua "
           "é são foi está você muito também já eu"},
    {"nl", "de het een en van in is dat op te zijn voor met die niet aan er ook als maar om hij zij ik je wij "
           "worden door bij nog wel"},
    {"fi", "ja on ei se että oli hän mutta kun tai ovat myös kuin mitä niin minä sinä me he tämä joka ole olla "
           "voi jos sen kanssa"},
    {"sw", "na ya wa kwa ni katika za la cha kuwa hii yake hiyo lakini pia au sana kama wao sisi mimi wewe hapa "
           "huo ambayo ili hata baada kwamba watu"},
    {"vi", "và của là có không được trong các những một cho người này với đã để khi từ như thì cũng ra về "
           "đến theo nhiều"},
    {"id", "dan yang di ke dari untuk dengan ini itu tidak ada akan pada juga saya kami kita mereka atau oleh "
           "dalam adalah"},
    {"pl", "i w na z że do się nie to jest o jak ale co od po są tak dla jego przez czy może być"},
    {"tr", "ve bir bu da de için ile olarak çok daha gibi ama en ne var mı değil o ben sen biz"},
    {"sv", "och att det som en på är av för med till den har inte om ett jag de var men så"},
};

static const lang_words cyrillic[] = {
    {"ru", "и в не на что с как это по но он она они я мы вы из за то все так его ее же для от был были быть "
           "только уже или есть"},
    {"bg", "и на се е да за от че са не в с по като това той тя те аз ние ще бъде беше има към"},
    {"uk", "і в на що не з як це до та але він вона вони я ми ви за від для є був була"},
};

static const lang_words arabic[] = {
    {"ar", "في من على إلى أن عن هذا هذه التي الذي كان مع هو هي لا ما و"},
    {"fa", "و در به از که این را با است برای آن یک می هم تا شد بود ما او"},
    {"ur", "کے میں کی ہے اور سے کو یہ کہ ہیں پر نے ایک بھی تھا تھی"},
};

static const lang_words devanagari[] = {
    {"hi", "है हैं और के की का में से को यह था थे नहीं लिए पर भी एक हम आप वह कि"},
    {"mr", "आहे आणि च्या ला चा ची हे नाही आहेत होते मध्ये या तो ती व करण्यात आम्ही तुम्ही"},
    {"ne", "छ छन् र को का मा ले लाई हो गर्न गरेको पनि भएको यो थियो हुन्छ तर"},
};

/* Does word (lower case) appear in the space-separated list? */
static int in_list(const char *list, const char *w, size_t wl)
{
    for (const char *p = list; *p;) {
        const char *sp = strchr(p, ' ');
        size_t l = sp ? (size_t)(sp - p) : strlen(p);
        if (l == wl && !memcmp(p, w, l)) return 1;
        if (!sp) break;
        p = sp + 1;
    }
    return 0;
}

/* The code of the table row whose words occur most often in text (its
 * words: maximal runs of letters of one script); the first row on a tie
 * and when none occurs. */
static const char *best_by_words(const char *low, const lang_words *t, int n, const int *bonus)
{
    int score[16] = {0};
    size_t len = strlen(low);
    for (size_t i = 0; i < len;) {
        size_t cl;
        uint32_t cp = tt_utf8_decode(low + i, len - i, &cl);
        int word_char = script_of(cp) >= 0 || (cp >= 0x900 && cp <= 0xDFF) || cp == 0x200C || cp == 0x200D;
        if (!word_char) {
            i += cl;
            continue;
        }
        size_t st = i;
        while (i < len) {
            cp = tt_utf8_decode(low + i, len - i, &cl);
            if (!(script_of(cp) >= 0 || cp == 0x200C || cp == 0x200D || cp == '\'')) break;
            i += cl;
        }
        for (int k = 0; k < n; k++)
            if (in_list(t[k].words, low + st, i - st)) score[k]++;
    }
    int best = 0;
    for (int k = 0; k < n; k++) {
        if (bonus) score[k] += bonus[k];
        if (score[k] > score[best]) best = k;
    }
    return t[best].code;
}

static int has_any(const char *s, const char *const *chars)
{
    for (int i = 0; chars[i]; i++)
        if (strstr(s, chars[i])) return 1;
    return 0;
}

const char *ifeval_detect_language(const char *s)
{
    size_t n = strlen(s);
    int count[SC_COUNT] = {0}, total = 0;
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t cp = tt_utf8_decode(s + i, n - i, &l);
        int sc = script_of(cp);
        if (sc >= 0) count[sc]++, total++;
        i += l;
    }
    if (total == 0) return NULL;
    int top = 0;
    for (int k = 1; k < SC_COUNT; k++)
        if (count[k] > count[top]) top = k;
    /* Japanese text mixes kana with kanji: any kana weight makes it ja */
    if ((top == SC_HAN || top == SC_KANA) && count[SC_KANA] * 10 >= count[SC_HAN]) return "ja";
    static const char *const unique[SC_COUNT] = {
        [SC_BENGALI] = "bn", [SC_GURMUKHI] = "pa", [SC_GUJARATI] = "gu", [SC_TAMIL] = "ta", [SC_TELUGU] = "te",
        [SC_KANNADA] = "kn", [SC_MALAYALAM] = "ml", [SC_THAI] = "th", [SC_HANGUL] = "ko", [SC_HAN] = "zh-cn",
        [SC_HEBREW] = "he", [SC_GREEK] = "el"};
    if (unique[top]) return unique[top];
    char *low = pytext_lower(s, n);
    const char *code = NULL;
    if (top == SC_LATIN) {
        static const char *const vi_marks[] = {"ạ", "ả", "ấ", "ầ", "ẩ", "ậ", "ắ", "ằ", "ặ", "ẹ", "ẻ", "ẽ", "ế", "ề", "ể",
                                               "ễ", "ệ", "ỉ", "ị", "ọ", "ỏ", "ố", "ồ", "ổ", "ộ", "ớ", "ờ", "ở", "ợ", "ụ",
                                               "ủ", "ứ", "ừ", "ử", "ữ", "ự", "ỳ", "ỹ", "đ", "ơ", "ư", NULL};
        int bonus[16] = {0};
        if (has_any(low, vi_marks)) bonus[9] += 3;
        code = best_by_words(low, latin, (int)(sizeof latin / sizeof latin[0]), bonus);
    } else if (top == SC_CYRILLIC) {
        static const char *const ru_only[] = {"ы", "э", "ё", NULL}, *const uk_only[] = {"ї", "є", "ґ", "і", NULL};
        int bonus[16] = {0};
        if (has_any(low, ru_only)) bonus[0] += 3;
        if (has_any(low, uk_only)) bonus[2] += 3;
        code = best_by_words(low, cyrillic, 3, bonus);
    } else if (top == SC_ARABIC) {
        /* letters of Urdu (ٹ ڈ ڑ ں ے ھ) and of Persian and Urdu (پ چ ژ گ ی ک) */
        static const char *const ur_only[] = {"ٹ", "ڈ", "ڑ", "ں", "ے", "ھ", NULL};
        static const char *const fa_ur[] = {"پ", "چ", "ژ", "گ", "ی", "ک", NULL};
        int bonus[16] = {0};
        if (has_any(low, ur_only)) bonus[2] += 3;
        else if (has_any(low, fa_ur)) bonus[1] += 2;
        code = best_by_words(low, arabic, 3, bonus);
    } else if (top == SC_DEVANAGARI) {
        code = best_by_words(low, devanagari, 3, NULL);
    } else {
        code = "en";
    }
    free(low);
    return code;
}
