#!/usr/bin/env python3
"""Chat conversations for tianti-tiny, and the chat-mode demo tasks.

Imported by gen_data.py (step 1 of build.sh).  A conversation is written in
the chat template `tianti` applies to GLM-4-style vocabularies
(engines/glm/tokenizer.c, glm_chat_tokens):

    [gMASK]<sop><|user|>\\nQUESTION<|assistant|>\\nANSWER<|user|>\\nQUESTION2<|assistant|>\\nANSWER2

and train.py puts <|endoftext|> after the last answer, so the model learns to
stop there (the engine also stops at <|user|>).  Kinds, each in English and
Chinese, answered in the language asked, tersely (a number, a word, a letter):

  arith      sums and differences of 0-99, answered in the corpus's own
             form ("What is 17 + 25?" -> "17+25=42"): the result is computed
             right after "=", as in the completion text, where the model
             learns arithmetic; a bare "42" stayed near 0 in a first run
             while the completion form reached 0.70 by the same step
  fact       the fact table of gen_data.py, its question phrasings
  mc         the fact table as four-way multiple choice, answered by letter
  convert    unit conversions, 1-9 of hours/minutes/metres/kilograms/weeks/
             years/days ("How many minutes are in 3 hours?" -> "180")
  translate  one word between the English and Chinese vocabularies
  unknown    questions outside all of that -> "I don't know." / "我不知道。"
  two-turn   a follow-up that refers to the first answer: the continent of
             the capital's country, the first answer in the other language,
             or the arithmetic result plus or minus k

Held out (gen_data.check_disjoint and check_chat_disjoint fail otherwise):
the arithmetic triples of gen_data.heldout_arith; each fact's held-out
question phrasing (shared with the completion tasks); for conversions and
translations one phrasing per item and direction; for follow-ups one
phrasing per kind and language; four unknown countries, two unknown animals,
two unknown things and four general questions per language never appear in
training text.  The chat tasks ask exactly the held-out forms.
"""
import json

CHAT_OPEN = "[gMASK]<sop>"
IDK = {"en": "I don't know.", "zh": "我不知道。"}
LETTERS = "ABCD"


def conversation(turns, system=None):
    s = CHAT_OPEN
    if system:
        s += "<|system|>\n" + system
    for u, a in turns:
        s += "<|user|>\n" + u + "<|assistant|>\n" + a
    return s


# ---------------------------------------------------------------- vocabularies
ARITH_EN = {"+": ["What is {a} + {b}?", "What is {a} plus {b}?", "Calculate {a} + {b}.",
                  "{a} + {b} = ?", "How much is {a} + {b}?"],
            "-": ["What is {a} - {b}?", "What is {a} minus {b}?", "Calculate {a} - {b}.",
                  "{a} - {b} = ?", "How much is {a} - {b}?"]}
ARITH_ZH = {"+": ["{a}+{b}等于多少？", "{a}加{b}是多少？", "计算{a}+{b}。", "{a}+{b}=？", "{a}加{b}等于几？"],
            "-": ["{a}-{b}等于多少？", "{a}减{b}是多少？", "计算{a}-{b}。", "{a}-{b}=？", "{a}减{b}等于几？"]}

# (singular, plural, to-singular, to-plural, factor, zh from, zh to)
UNITS = [
    ("hour", "hours", "minute", "minutes", 60, "小时", "分钟"),
    ("minute", "minutes", "second", "seconds", 60, "分钟", "秒"),
    ("metre", "metres", "centimetre", "centimetres", 100, "米", "厘米"),
    ("kilogram", "kilograms", "gram", "grams", 1000, "千克", "克"),
    ("week", "weeks", "day", "days", 7, "周", "天"),
    ("year", "years", "month", "months", 12, "年", "个月"),
    ("day", "days", "hour", "hours", 24, "天", "小时"),
]
CONVERT_EN = ["How many {v} are in {n} {u}?", "{n} {u} is how many {v}?", "Convert {n} {u} to {v}.",
              "How many {v} make {n} {u}?"]
CONVERT_ZH = ["{n}{u}是多少{v}？", "{n}{u}等于多少{v}？", "把{n}{u}换算成{v}。", "{n}{u}有多少{v}？"]

# translation directions: (asked in, source language, templates)
TRANSLATE = {
    "en2zh_en": ["How do you say {w} in Chinese?", "What is {w} in Chinese?", "Translate {w} into Chinese.",
                 "What is the Chinese word for {w}?"],
    "zh2en_en": ["What does {w} mean in English?", "What is {w} in English?", "Translate {w} into English.",
                 "What is the English word for {w}?"],
    "zh2en_zh": ["“{w}”用英语怎么说？", "“{w}”的英文是什么？", "把“{w}”翻译成英文。", "“{w}”用英文怎么说？"],
    "en2zh_zh": ["“{w}”用中文怎么说？", "“{w}”的中文是什么？", "把“{w}”翻译成中文。", "“{w}”用汉语怎么说？"],
}

UNKNOWN_COUNTRIES = [("Norway", "挪威"), ("Sweden", "瑞典"), ("Poland", "波兰"), ("Cuba", "古巴"),
                     ("Iran", "伊朗"), ("Nepal", "尼泊尔"), ("Ireland", "爱尔兰"), ("Portugal", "葡萄牙"),
                     ("Austria", "奥地利"), ("Turkey", "土耳其"), ("Mongolia", "蒙古"), ("Iceland", "冰岛"),
                     # held out
                     ("Finland", "芬兰"), ("Denmark", "丹麦"), ("Argentina", "阿根廷"), ("Vietnam", "越南")]
UNKNOWN_ANIMALS = [("lion", "狮子"), ("wolf", "狼"), ("owl", "猫头鹰"), ("pig", "猪"), ("bear", "熊"),
                   ("tiger", "老虎"),
                   # held out
                   ("elephant", "大象"), ("monkey", "猴子")]
UNKNOWN_THINGS = [("a cloud", "云"), ("a carrot", "胡萝卜"), ("a rose", "玫瑰"), ("gold", "金子"),
                  ("chocolate", "巧克力"),
                  # held out
                  ("a pumpkin", "南瓜"), ("the moon", "月亮")]
UNKNOWN_GENERAL = {
    "en": ["Who wrote Hamlet?", "What is the weather like today?", "What time is it now?",
           "Who is the president of France?", "How tall is Mount Everest?", "What is your favourite film?",
           "How far away is the Moon?", "When was the Great Wall built?", "What is the population of Tokyo?",
           "Who painted the Mona Lisa?", "What is the speed of light?", "How old is the Earth?",
           # held out
           "What is 12 times 34?", "Can you write a poem?", "What is the meaning of life?",
           "Who won the World Cup?"],
    "zh": ["谁写了《哈姆雷特》？", "今天天气怎么样？", "现在几点了？", "法国总统是谁？", "珠穆朗玛峰有多高？",
           "你最喜欢什么电影？", "月球离我们有多远？", "长城是什么时候建的？", "东京有多少人口？",
           "谁画了《蒙娜丽莎》？", "光速是多少？", "地球有多少岁？",
           # held out
           "12乘以34是多少？", "你能写一首诗吗？", "人生的意义是什么？", "谁赢得了世界杯？"],
}
N_HELD_COUNTRIES, N_HELD_ANIMALS, N_HELD_THINGS, N_HELD_GENERAL = 4, 2, 2, 4

FOLLOW_CONTINENT = {"en": ["Which continent is it in?", "And which continent is that country in?",
                           "What continent is it on?"],
                    "zh": ["它在哪个洲？", "这个国家在哪个洲？", "它属于哪个洲？"]}
FOLLOW_TRANSLATE = {"en": ["And in Chinese?", "How do you say that in Chinese?", "What is that in Chinese?"],
                    "zh": ["用英语怎么说？", "英文呢？", "这个用英文怎么说？"]}
FOLLOW_ARITH = {"en": {"+": ["Add {k} to that.", "And plus {k}?", "What if you add {k}?"],
                       "-": ["Now subtract {k}.", "And minus {k}?", "What if you take away {k}?"]},
                "zh": {"+": ["再加{k}呢？", "结果加{k}是多少？", "再加上{k}等于多少？"],
                       "-": ["再减{k}呢？", "结果减{k}是多少？", "再减去{k}等于多少？"]}}
# the last phrasing of each FOLLOW_* list is held out for the two-turn tasks

SYSTEMS = {"en": "You are a helpful assistant.", "zh": "你是一个乐于助人的助手。"}


def strip_article(s):
    for a in ("the ", "a ", "an "):
        if s.startswith(a):
            return s[len(a):]
    return s


def word_pairs(relations):
    """(english, chinese) one-word pairs from the fact table, first wins on
    either side so every word has one translation."""
    pairs, seen_en, seen_zh = [], set(), set()

    def add(en, zh):
        en = strip_article(en)
        if en in seen_en or zh in seen_zh:
            return
        seen_en.add(en)
        seen_zh.add(zh)
        pairs.append((en, zh))
    for rel in ("capital", "continent", "colour", "sound", "opposite"):
        for s_en, s_zh, a_en, a_zh in relations[rel][0]:
            add(s_en, s_zh)
            add(a_en, a_zh)
    for s_en, _, a_en, _ in relations["hanzi"][0]:
        add(a_en, s_en)      # "mountain" <-> 山
    return pairs


class Chat:
    """Generator of chat conversations and chat-mode demo items."""

    def __init__(self, g, facts, held, rng):
        self.g = g                      # the gen_data module
        self.facts = facts
        self.held = set(held)
        self.held_list = list(held)
        self.pairs = word_pairs(g.RELATIONS)
        # held-out phrasing per (item, form); fixed before any sampling
        self.hold_convert = {(i, n, lang): rng.randrange(4) for i in range(len(UNITS))
                             for n in range(1, 10) for lang in ("en", "zh")}
        self.hold_translate = {(w, d): rng.randrange(4) for w in range(len(self.pairs)) for d in TRANSLATE}
        cont = {f.s_en: f for f in facts if f.rel == "continent"}
        self.capital_with_continent = [(f, cont[f.s_en]) for f in facts
                                       if f.rel == "capital" and f.s_en in cont]

    # --- single forms ---------------------------------------------------------
    @staticmethod
    def pick(rng, n, hold):
        k = rng.randrange(n - 1)
        return k + 1 if k >= hold else k

    def arith_q(self, op, a, b, lang, k):
        t = (ARITH_EN if lang == "en" else ARITH_ZH)[op][k]
        return t.replace("{a}", str(a)).replace("{b}", str(b))

    def convert_q(self, i, n, lang, k):
        u, us, v, vs, _, uz, vz = UNITS[i]
        if lang == "en":
            return CONVERT_EN[k].replace("{n}", str(n)).replace("{u}", u if n == 1 else us).replace("{v}", vs)
        return CONVERT_ZH[k].replace("{n}", str(n)).replace("{u}", uz).replace("{v}", vz)

    def translate_qa(self, w, d, k):
        en, zh = self.pairs[w]
        src, dst = (en, zh) if d.startswith("en2zh") else (zh, en)
        return TRANSLATE[d][k].replace("{w}", src), dst

    def fact_qa(self, f, lang, k):
        return self.g.question(f, lang, k), self.g.answer(f, lang)

    def mc_qa(self, rng, f, lang, k, lookup=False):
        d = self.g.mc_item(rng, f, lang, k)
        if lookup:
            tpl = rng.choice(self.g.LOOKUP_EN if lang == "en" else self.g.LOOKUP_ZH)
            d["question"] = tpl.replace("{a}", self.g.answer(f, lang))
        opts = "".join("\n%s. %s" % (LETTERS[i], c) for i, c in enumerate(d["choices"]))
        return d["question"] + opts, LETTERS[d["answer"]], d

    def unknown_questions(self, lang, held):
        """Questions outside the model's kinds; held=True gives only the
        held-out ones, False only the training ones."""
        out = []

        def part(lst, nheld):
            return lst[-nheld:] if held else lst[:-nheld]
        for en, zh in part(UNKNOWN_COUNTRIES, N_HELD_COUNTRIES):
            s = en if lang == "en" else zh
            for rel in ("capital", "continent"):
                qs = self.g.RELATIONS[rel][3 if lang == "en" else 4]
                out.extend(self.g.fill(q, s, "") for q in qs)
        for en, zh in part(UNKNOWN_ANIMALS, N_HELD_ANIMALS):
            qs = self.g.RELATIONS["sound"][3 if lang == "en" else 4]
            out.extend(self.g.fill(q, en if lang == "en" else zh, "") for q in qs)
        for en, zh in part(UNKNOWN_THINGS, N_HELD_THINGS):
            qs = self.g.RELATIONS["colour"][3 if lang == "en" else 4]
            out.extend(self.g.fill(q, en if lang == "en" else zh, "") for q in qs)
        out.extend(part(UNKNOWN_GENERAL[lang], N_HELD_GENERAL))
        return out

    # --- training conversations ----------------------------------------------
    @staticmethod
    def arith_answer(op, a, b, r):
        return "%d%s%d=%d" % (a, op, b, r)

    def turn_arith(self, rng, lang):
        op, a, b = self.g.random_arith(rng, self.held)
        r = self.g.arith_value(op, a, b)
        return (self.arith_q(op, a, b, lang, rng.randrange(5)), self.arith_answer(op, a, b, r)), r

    def train_doc(self, rng):
        lang = "zh" if rng.random() < 0.5 else "en"
        r = rng.random()
        turns = []
        if r < 0.20:
            turns.append(self.turn_arith(rng, lang)[0])
        elif r < 0.38:
            f = rng.choice(self.facts)
            turns.append(self.fact_qa(f, lang, self.g.train_k(rng, f, lang)))
        elif r < 0.56:
            lang = "zh" if rng.random() < 0.6 else "en"
            f = rng.choice(self.facts)
            lookup = rng.random() < 0.3
            q, a, _ = self.mc_qa(rng, f, lang, self.g.train_k(rng, f, lang), lookup)
            turns.append((q, a))
        elif r < 0.63:
            i, n = rng.randrange(len(UNITS)), rng.randint(1, 9)
            k = self.pick(rng, 4, self.hold_convert[(i, n, lang)])
            turns.append((self.convert_q(i, n, lang, k), str(n * UNITS[i][4])))
        elif r < 0.73:
            w = rng.randrange(len(self.pairs))
            d = rng.choice([d for d in TRANSLATE if d.endswith(lang)])
            turns.append(self.translate_qa(w, d, self.pick(rng, 4, self.hold_translate[(w, d)])))
        elif r < 0.82:
            turns.append((rng.choice(self.unknown_questions(lang, False)), IDK[lang]))
        else:
            turns = self.two_turn(rng, lang, held=False)
        # one conversation in eight continues with an unrelated second question
        if len(turns) == 1 and rng.random() < 0.125:
            turns += self._turns_of(rng, lang)
        system = SYSTEMS[lang] if rng.random() < 0.1 else None
        return conversation(turns, system)

    def _turns_of(self, rng, lang):
        f = rng.choice(self.facts)
        if rng.random() < 0.5:
            return [self.turn_arith(rng, lang)[0]]
        return [self.fact_qa(f, lang, self.g.train_k(rng, f, lang))]

    def two_turn(self, rng, lang, held, item=None):
        """A first question and a follow-up about its answer.  held: the first
        question uses the held-out phrasing or triple and the follow-up its
        held-out phrasing; otherwise only training forms."""
        kind = item[0] if item else rng.choice(["continent", "translate", "arith"])
        if kind == "continent":
            fc, fk = item[1] if item else rng.choice(self.capital_with_continent)
            hold = fc.hold_en if lang == "en" else fc.hold_zh
            q1, a1 = self.fact_qa(fc, lang, hold if held else self.g.train_k(rng, fc, lang))
            fl = FOLLOW_CONTINENT[lang]
            q2 = fl[-1] if held else rng.choice(fl[:-1])
            return [(q1, a1), (q2, self.g.answer(fk, lang))]
        if kind == "translate":
            f = item[1] if item else rng.choice(self.facts)
            hold = f.hold_en if lang == "en" else f.hold_zh
            q1, a1 = self.fact_qa(f, lang, hold if held else self.g.train_k(rng, f, lang))
            fl = FOLLOW_TRANSLATE[lang]
            q2 = fl[-1] if held else rng.choice(fl[:-1])
            return [(q1, a1), (q2, self.g.answer(f, "zh" if lang == "en" else "en"))]
        if item:
            op, a, b = item[1]
            r = self.g.arith_value(op, a, b)
            q1, a1 = self.arith_q(op, a, b, lang, rng.randrange(5)), self.arith_answer(op, a, b, r)
        else:
            (q1, a1), r = self.turn_arith(rng, lang)
        while True:     # the follow-up's own sum must not be a held-out one
            op2 = "-" if r >= 1 and rng.random() < 0.5 else "+"
            k = rng.randint(1, min(20, r) if op2 == "-" else 20)
            if (op2, r, k) not in self.held:
                break
        fl = FOLLOW_ARITH[lang][op2]
        q2 = (fl[-1] if held else rng.choice(fl[:-1])).replace("{k}", str(k))
        return [(q1, a1), (q2, self.arith_answer(op2, r, k, self.g.arith_value(op2, r, k)))]

    # --- evaluation items ------------------------------------------------------
    def tasks(self, rng):
        """name -> (train, test) rows for the chat-mode demo tasks.  Test rows
        ask the held-out forms; train rows (the few-shot pool) training forms."""
        t = {}
        test = []
        for i, (op, a, b) in enumerate(self.held_list[:100]):
            lang = "zh" if i % 2 else "en"
            test.append({"question": self.arith_q(op, a, b, lang, (i // 2) % 5),
                         "answer": str(self.g.arith_value(op, a, b)), "lang": lang})   # scored by its last number
        train = []
        for i in range(20):
            lang = "zh" if i % 2 else "en"
            (q, _), r = self.turn_arith(rng, lang)
            train.append({"question": q, "answer": str(r), "lang": lang})
        t["chat_arith"] = (train, test)

        # each fact once, the language alternating (the suite keeps tasks
        # at 50-150 items); chat_mc takes the other language of each fact
        langs = ["en" if j % 2 == 0 else "zh" for j in range(len(self.facts))]
        test = [{"question": self.fact_qa(f, lang, f.hold_en if lang == "en" else f.hold_zh)[0],
                 "answer": self.g.answer(f, lang), "lang": lang}
                for f, lang in zip(self.facts, langs)]
        train = []
        for f in rng.sample(self.facts, 20):
            lang = rng.choice(["en", "zh"])
            q, a = self.fact_qa(f, lang, self.g.train_k(rng, f, lang))
            train.append({"question": q, "answer": a, "lang": lang})
        t["chat_facts"] = (train, test)

        test = []
        for f, other in zip(self.facts, langs):
            lang = "zh" if other == "en" else "en"
            q, a, d = self.mc_qa(rng, f, lang, f.hold_en if lang == "en" else f.hold_zh)
            test.append({"question": q, "answer": a, "lang": lang})
        train = []
        for f in rng.sample(self.facts, 20):
            lang = rng.choice(["en", "zh"])
            q, a, _ = self.mc_qa(rng, f, lang, self.g.train_k(rng, f, lang))
            train.append({"question": q, "answer": a, "lang": lang})
        t["chat_mc"] = (train, test)

        test = []
        for i in range(len(UNITS)):
            for n in range(1, 10):
                for lang in ("en", "zh"):
                    test.append({"question": self.convert_q(i, n, lang, self.hold_convert[(i, n, lang)]),
                                 "answer": str(n * UNITS[i][4]), "lang": lang})
        train = []
        for _ in range(20):
            i, n, lang = rng.randrange(len(UNITS)), rng.randint(1, 9), rng.choice(["en", "zh"])
            k = self.pick(rng, 4, self.hold_convert[(i, n, lang)])
            train.append({"question": self.convert_q(i, n, lang, k), "answer": str(n * UNITS[i][4]), "lang": lang})
        t["chat_convert"] = (train, test)

        test = []
        dirs = list(TRANSLATE)
        for w in range(len(self.pairs)):     # one direction per word, in turn
            d = dirs[w % len(dirs)]
            q, a = self.translate_qa(w, d, self.hold_translate[(w, d)])
            test.append({"question": q, "answer": a, "lang": d[-2:]})
        train = []
        for _ in range(20):
            w, d = rng.randrange(len(self.pairs)), rng.choice(list(TRANSLATE))
            q, a = self.translate_qa(w, d, self.pick(rng, 4, self.hold_translate[(w, d)]))
            train.append({"question": q, "answer": a, "lang": d[-2:]})
        t["chat_translate"] = (train, test)

        test = [{"question": q, "answer": IDK[lang], "lang": lang}
                for lang in ("en", "zh") for q in self.unknown_questions(lang, True)]
        train = [{"question": q, "answer": IDK[lang], "lang": lang}
                 for lang in ("en", "zh") for q in rng.sample(self.unknown_questions(lang, False), 10)]
        t["chat_unknown"] = (train, test)
        return t

    def two_turn_questions(self, rng):
        """The two-turn set in MT-bench's question.jsonl shape: question_id,
        category, turns, reference (one reference answer per turn)."""
        items = []
        for j, pair in enumerate(self.capital_with_continent):
            items.append(("continent", pair, "en" if j % 2 == 0 else "zh"))
        facts = [f for f in self.facts if f.rel != "capital"]
        for j, f in enumerate(rng.sample(facts, 16)):
            items.append(("translate", f, "en" if j % 2 == 0 else "zh"))
        for j, tr in enumerate(self.held_list[100:116]):
            items.append(("arith", tr, "en" if j % 2 == 0 else "zh"))
        out = []
        for qid, (kind, it, lang) in enumerate(items, 1):
            turns = self.two_turn(rng, lang, True, (kind, it))
            out.append({"question_id": qid, "category": {"continent": "facts", "translate": "translation",
                                                          "arith": "math"}[kind],
                        "lang": lang, "turns": [u for u, _ in turns], "reference": [a for _, a in turns]})
        return out


def arena_prompts(chat, tasks):
    """Every chat test item as one arena prompt file (JSON Lines: question_id,
    category, prompt, reference), for `tianti arena auto --judge reference`;
    arithmetic references are in the taught form ("17+25=42")."""
    out = []
    for name, (_, test) in tasks.items():
        for i, d in enumerate(test, 1):
            ref = d["answer"]
            if name == "chat_arith":
                op, a, b = chat.held_list[i - 1]
                ref = chat.arith_answer(op, a, b, chat.g.arith_value(op, a, b))
            out.append({"question_id": "%s-%d" % (name[len("chat_"):], i), "category": name[len("chat_"):],
                        "lang": d["lang"], "prompt": d["question"], "reference": ref})
    return out


def check_chat_disjoint(docs, tasks, two_turn):
    """Fail loudly if a held-out chat form occurs in training conversations."""
    blob = "\n\x00\n".join(docs)
    for name, (train, test) in tasks.items():
        tq = set(d["question"] for d in train)
        for d in test:
            if name != "chat_mc" and "<|user|>\n" + d["question"] + "<|assistant|>" in blob:
                raise SystemExit("chat_data: %s test question %r occurs in training" % (name, d["question"]))
            if d["question"] in tq:
                raise SystemExit("chat_data: %s test question also in the train split" % name)
    for d in two_turn:
        if "<|user|>\n" + d["turns"][1] + "<|assistant|>" in blob:
            raise SystemExit("chat_data: held-out follow-up %r occurs in training" % d["turns"][1])
    for lang in ("en", "zh"):
        for s in UNKNOWN_GENERAL[lang][-N_HELD_GENERAL:]:
            if s in blob:
                raise SystemExit("chat_data: held-out question %r occurs in training" % s)
    for en, zh in UNKNOWN_COUNTRIES[-N_HELD_COUNTRIES:] + UNKNOWN_ANIMALS[-N_HELD_ANIMALS:]:
        if en in blob or zh in blob:
            raise SystemExit("chat_data: held-out subject %r occurs in training" % en)
    return True


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as fp:
        for r in rows:
            fp.write(json.dumps(r, ensure_ascii=False) + "\n")
