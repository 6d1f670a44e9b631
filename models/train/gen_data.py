#!/usr/bin/env python3
"""Deterministic generator of the synthetic bilingual (English/Chinese) corpus
used to train tianti-tiny, and of the demo evaluation suite (tasks/demo/*.jsonl).

Called by models/train/build.sh (step 1).  Everything is derived from a fixed
seed and from the small fact table below (written for this project), so the
same files come out on every run.

Held-out rule (checked at the end by check_disjoint()):
  * arithmetic: the (op, a, b) triples of the evaluation items never occur in
    training text, in either language;
  * facts: each fact has one held-out English question phrasing and one
    held-out Chinese phrasing; training text never contains a held-out
    (fact, phrasing) question; the evaluation items ask exactly those.
    The facts themselves are taught through statements and other phrasings.
  * no evaluation prompt is a substring of any training document.

Usage: gen_data.py [--out-corpus PATH] [--tasks-dir DIR] [--docs N]
"""
import argparse
import json
import os
import random
import sys

import chat_data

SEED = 20261128

# ---------------------------------------------------------------- fact table
# relation -> list of (subject_en, subject_zh, answer_en, answer_zh)
CAPITALS = [
    ("France", "法国", "Paris", "巴黎"), ("Germany", "德国", "Berlin", "柏林"),
    ("Japan", "日本", "Tokyo", "东京"), ("China", "中国", "Beijing", "北京"),
    ("Italy", "意大利", "Rome", "罗马"), ("Spain", "西班牙", "Madrid", "马德里"),
    ("Russia", "俄罗斯", "Moscow", "莫斯科"), ("Egypt", "埃及", "Cairo", "开罗"),
    ("Canada", "加拿大", "Ottawa", "渥太华"), ("Brazil", "巴西", "Brasilia", "巴西利亚"),
    ("India", "印度", "Delhi", "新德里"), ("Kenya", "肯尼亚", "Nairobi", "内罗毕"),
    ("Peru", "秘鲁", "Lima", "利马"), ("Greece", "希腊", "Athens", "雅典"),
    ("Korea", "韩国", "Seoul", "首尔"), ("Thailand", "泰国", "Bangkok", "曼谷"),
]
CONTINENTS = [
    ("France", "法国", "Europe", "欧洲"), ("Germany", "德国", "Europe", "欧洲"),
    ("Japan", "日本", "Asia", "亚洲"), ("China", "中国", "Asia", "亚洲"),
    ("Egypt", "埃及", "Africa", "非洲"), ("Kenya", "肯尼亚", "Africa", "非洲"),
    ("Canada", "加拿大", "North America", "北美洲"), ("Mexico", "墨西哥", "North America", "北美洲"),
    ("Brazil", "巴西", "South America", "南美洲"), ("Peru", "秘鲁", "South America", "南美洲"),
    ("Australia", "澳大利亚", "Oceania", "大洋洲"), ("Fiji", "斐济", "Oceania", "大洋洲"),
    ("India", "印度", "Asia", "亚洲"), ("Greece", "希腊", "Europe", "欧洲"),
    ("Chile", "智利", "South America", "南美洲"), ("Ghana", "加纳", "Africa", "非洲"),
]
COLOURS = [
    ("the sky", "天空", "blue", "蓝色"), ("grass", "草", "green", "绿色"),
    ("snow", "雪", "white", "白色"), ("coal", "煤", "black", "黑色"),
    ("a banana", "香蕉", "yellow", "黄色"), ("blood", "血", "red", "红色"),
    ("an orange", "橙子", "orange", "橙色"), ("a lemon", "柠檬", "yellow", "黄色"),
    ("milk", "牛奶", "white", "白色"), ("a leaf", "树叶", "green", "绿色"),
    ("the sea", "大海", "blue", "蓝色"), ("a crow", "乌鸦", "black", "黑色"),
    ("a tomato", "西红柿", "red", "红色"), ("an eggplant", "茄子", "purple", "紫色"),
]
SOUNDS = [
    ("dog", "狗", "woof", "汪汪"), ("cat", "猫", "meow", "喵喵"),
    ("cow", "牛", "moo", "哞哞"), ("duck", "鸭子", "quack", "嘎嘎"),
    ("sheep", "羊", "baa", "咩咩"), ("rooster", "公鸡", "cock-a-doodle-doo", "喔喔"),
    ("frog", "青蛙", "ribbit", "呱呱"), ("mouse", "老鼠", "squeak", "吱吱"),
    ("bee", "蜜蜂", "buzz", "嗡嗡"), ("snake", "蛇", "hiss", "嘶嘶"),
]
OPPOSITES = [
    ("hot", "热", "cold", "冷"), ("big", "大", "small", "小"),
    ("up", "上", "down", "下"), ("long", "长", "short", "短"),
    ("fast", "快", "slow", "慢"), ("old", "老", "young", "年轻"),
    ("light", "轻", "heavy", "重"), ("open", "开", "closed", "关"),
    ("early", "早", "late", "晚"), ("high", "高", "low", "低"),
    ("many", "多", "few", "少"), ("left", "左", "right", "右"),
    ("inside", "里", "outside", "外"), ("black", "黑", "white", "白"),
]
HANZI = [
    ("山", "山", "mountain", "高山"), ("水", "水", "water", "河水"),
    ("火", "火", "fire", "火焰"), ("日", "日", "sun", "太阳"),
    ("月", "月", "moon", "月亮"), ("人", "人", "person", "人类"),
    ("木", "木", "tree", "树木"), ("口", "口", "mouth", "嘴巴"),
    ("手", "手", "hand", "手掌"), ("心", "心", "heart", "心脏"),
    ("雨", "雨", "rain", "下雨"), ("花", "花", "flower", "花朵"),
    ("鱼", "鱼", "fish", "鱼类"), ("鸟", "鸟", "bird", "飞鸟"),
    ("马", "马", "horse", "马匹"), ("石", "石", "stone", "石头"),
]

# relation -> (rows, statements_en, statements_zh, questions_en, questions_zh)
# Statement templates teach the fact; question phrasings are used in Q/A and
# multiple-choice items.  {s} subject, {a} answer.
RELATIONS = {
    "capital": (CAPITALS,
        ["The capital of {s} is {a}.", "{a} is the capital of {s}.",
         "{s} has its capital in {a}."],
        ["{s}的首都是{a}。", "{a}是{s}的首都。"],
        ["What is the capital of {s}?", "Which city is the capital of {s}?",
         "Name the capital of {s}.", "What city is the capital of {s}?"],
        ["{s}的首都是哪里？", "{s}的首都是哪座城市？", "哪座城市是{s}的首都？",
         "请说出{s}的首都。"]),
    "continent": (CONTINENTS,
        ["{s} is in {a}.", "{s} is a country in {a}.", "You can find {s} in {a}."],
        ["{s}位于{a}。", "{s}是{a}的国家。"],
        ["Which continent is {s} in?", "On which continent is {s}?",
         "{s} is on which continent?", "What continent is {s} part of?"],
        ["{s}在哪个洲？", "{s}位于哪个洲？", "{s}属于哪个大洲？", "{s}是哪个洲的国家？"]),
    "colour": (COLOURS,
        ["The colour of {s} is {a}.", "{S} is {a}.", "Most of the time {s} is {a}."],
        ["{s}是{a}的。", "{s}的颜色是{a}。"],
        ["What colour is {s}?", "What is the colour of {s}?",
         "Which colour is {s}?", "What colour do we see on {s}?"],
        ["{s}是什么颜色的？", "{s}的颜色是什么？", "{s}通常是什么颜色？", "请说出{s}的颜色。"]),
    "sound": (SOUNDS,
        ["A {s} says {a}.", "The sound a {s} makes is {a}.", "We hear {a} from a {s}."],
        ["{s}的叫声是{a}。", "{s}会发出{a}的声音。"],
        ["What does a {s} say?", "What sound does a {s} make?",
         "Which sound comes from a {s}?", "How does a {s} sound?"],
        ["{s}怎么叫？", "{s}的叫声是什么？", "{s}发出什么声音？", "{s}是怎么叫的？"]),
    "opposite": (OPPOSITES,
        ["The opposite of {s} is {a}.", "{S} and {a} are opposites.",
         "{S} is the opposite of {a}."],
        ["“{s}”的反义词是“{a}”。", "“{s}”和“{a}”意思相反。"],
        ["What is the opposite of {s}?", "Which word is the opposite of {s}?",
         "Give the opposite of {s}.", "What word means the opposite of {s}?"],
        ["“{s}”的反义词是什么？", "哪个词是“{s}”的反义词？", "“{s}”的反义词是哪个？",
         "请说出“{s}”的反义词。"]),
    "hanzi": (HANZI,
        ["The Chinese character {s} means {a}.", "{s} means {a}.",
         "In Chinese, {s} stands for {a}."],
        ["汉字“{s}”的意思是{a}。", "“{s}”这个字表示{a}。"],
        ["What does the Chinese character {s} mean?", "What is the meaning of {s}?",
         "What does {s} mean?", "Which word does the character {s} stand for?"],
        ["汉字“{s}”是什么意思？", "“{s}”这个字是什么意思？", "“{s}”的意思是什么？",
         "请解释汉字“{s}”。"]),
}


def cap(s):
    return s[0].upper() + s[1:]


def fill(tpl, s, a):
    return tpl.replace("{S}", cap(s)).replace("{s}", s).replace("{a}", a)


class Fact:
    def __init__(self, rel, idx, row, hold_en, hold_zh):
        self.rel, self.idx = rel, idx
        self.s_en, self.s_zh, self.a_en, self.a_zh = row
        self.hold_en, self.hold_zh = hold_en, hold_zh  # held-out phrasing index

    def key(self):
        return (self.rel, self.idx)


def build_facts(rng):
    facts = []
    for rel, (rows, _, _, qen, qzh) in RELATIONS.items():
        for i, row in enumerate(rows):
            facts.append(Fact(rel, i, row, rng.randrange(len(qen)), rng.randrange(len(qzh))))
    return facts


def answers_of(rel, lang):
    rows = RELATIONS[rel][0]
    vals = []
    for r in rows:
        v = r[2] if lang == "en" else r[3]
        if v not in vals:
            vals.append(v)
    return vals


def question(f, lang, k):
    _, _, _, qen, qzh = RELATIONS[f.rel]
    if lang == "en":
        return fill(qen[k], f.s_en, f.a_en)
    return fill(qzh[k], f.s_zh, f.a_zh)


def answer(f, lang):
    return f.a_en if lang == "en" else f.a_zh


LETTERS = "ABCD"


def mc_item(rng, f, lang, k, n=4):
    """An n-way multiple-choice doc: gold answer plus n-1 distractors of the same relation."""
    gold = answer(f, lang)
    pool = [v for v in answers_of(f.rel, lang) if v != gold]
    choices = rng.sample(pool, n - 1) + [gold]
    rng.shuffle(choices)
    return {"question": question(f, lang, k), "choices": choices,
            "answer": choices.index(gold)}


def mc_text(doc, lang, with_answer):
    """Prompt exactly as tasks/demo/demo_facts_mc_{en,zh}.json render it
    (those have 4 choices; focus items may have 2 or 3)."""
    opts = "".join("\n%s. %s" % (LETTERS[i], c) for i, c in enumerate(doc["choices"]))
    if lang == "en":
        t = "Question: %s%s\nAnswer:" % (doc["question"], opts)
        return t + (" " + LETTERS[doc["answer"]] if with_answer else "")
    t = "问题：%s%s\n答案：" % (doc["question"], opts)
    return t + (LETTERS[doc["answer"]] if with_answer else "")


def qa_prompt(q, lang):
    return ("Question: %s\nAnswer:" % q) if lang == "en" else ("问题：%s\n答案：" % q)


def qa_text(q, a, lang):
    return qa_prompt(q, lang) + (" " + a if lang == "en" else a)


def arith_prompt(op, a, b, lang):
    e = "%d%s%d=" % (a, op, b)
    return e if lang == "en" else "计算：" + e


def arith_value(op, a, b):
    return a + b if op == "+" else a - b


# ---------------------------------------------------------------- held-out sets
def heldout_arith(rng):
    """Evaluation (op, a, b) triples: two-digit operands, subtraction non-negative."""
    out = []
    seen = set()
    while len(out) < 120:
        op = "+" if len(out) % 2 == 0 else "-"
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        if op == "-" and b > a:
            a, b = b, a
        if (op, a, b) in seen:
            continue
        seen.add((op, a, b))
        out.append((op, a, b))
    return out


def random_arith(rng, held):
    while True:
        op = rng.choice("+-")
        r = rng.random()
        if r < 0.15:
            a, b = rng.randint(0, 9), rng.randint(0, 99)
        elif r < 0.25:
            a, b = rng.randint(0, 99), rng.randint(0, 9)
        else:
            a, b = rng.randint(10, 99), rng.randint(10, 99)
        if op == "-" and b > a:
            a, b = b, a
        if (op, a, b) not in held:
            return op, a, b


# ---------------------------------------------------------------- training docs
def train_k(rng, f, lang):
    """A question phrasing index for training: never the held-out one of this fact."""
    n = len(RELATIONS[f.rel][3 if lang == "en" else 4])
    hold = f.hold_en if lang == "en" else f.hold_zh
    k = rng.randrange(n - 1)
    return k + 1 if k >= hold else k


def doc_arith(rng, held):
    lang = rng.choice(["en", "en", "zh"])
    n = rng.randint(1, 8)
    lines = []
    for _ in range(n):
        op, a, b = random_arith(rng, held)
        lines.append(arith_prompt(op, a, b, lang) + str(arith_value(op, a, b)))
    return "\n".join(lines)


def doc_statements(rng, facts):
    lang = rng.choice(["en", "zh"])
    n = rng.randint(2, 6)
    out = []
    for f in rng.sample(facts, n):
        tpls = RELATIONS[f.rel][1 if lang == "en" else 2]
        t = rng.choice(tpls)
        out.append(fill(t, f.s_en, f.a_en) if lang == "en" else fill(t, f.s_zh, f.a_zh))
    return (" " if lang == "en" else "").join(out)


def doc_qa(rng, facts):
    lang = rng.choice(["en", "zh"])
    n = rng.randint(1, 4)
    out = []
    for f in rng.sample(facts, n):
        out.append(qa_text(question(f, lang, train_k(rng, f, lang)), answer(f, lang), lang))
    return "\n\n".join(out)


def doc_mc(rng, facts):
    lang = rng.choice(["en", "zh"])
    n = rng.randint(1, 3)
    out = []
    for f in rng.sample(facts, n):
        out.append(mc_text(mc_item(rng, f, lang, train_k(rng, f, lang)), lang, True))
    return "\n\n".join(out)


LOOKUP_EN = ["Which option is {a}?", "Which choice says {a}?", "Find {a}."]
LOOKUP_ZH = ["哪个是{a}？", "请找出{a}。"]


def doc_lookup(rng, facts):
    """Multiple-choice items whose question names the answer: they teach the
    step from an answer to its letter, which the fact questions then reuse."""
    lang = rng.choice(["en", "zh"])
    n = rng.randint(1, 3)
    out = []
    for f in rng.sample(facts, n):
        d = mc_item(rng, f, lang, 0)
        tpl = rng.choice(LOOKUP_EN if lang == "en" else LOOKUP_ZH)
        d["question"] = tpl.replace("{a}", answer(f, lang))
        out.append(mc_text(d, lang, True))
    return "\n\n".join(out)


def doc_focus(rng, facts):
    """Focus stream (train.py --focus-from): lookup items with 2-4 options and
    ordinary 4-way items, one to four per document; three in five in Chinese,
    whose letter answers a base run learned last (0.27 at 3300 steps)."""
    lang = "zh" if rng.random() < 0.6 else "en"
    out = []
    for f in rng.sample(facts, rng.randint(1, 4)):
        if rng.random() < 0.5:
            d = mc_item(rng, f, lang, 0, rng.choice([2, 3, 4]))
            tpl = rng.choice(LOOKUP_EN if lang == "en" else LOOKUP_ZH)
            d["question"] = tpl.replace("{a}", answer(f, lang))
        else:
            d = mc_item(rng, f, lang, train_k(rng, f, lang))
        out.append(mc_text(d, lang, True))
    return "\n\n".join(out)


def doc_mixed(rng, facts, held):
    """A statement followed by its question (helps the model link the two)."""
    f = rng.choice(facts)
    lang = rng.choice(["en", "zh"])
    tpls = RELATIONS[f.rel][1 if lang == "en" else 2]
    st = fill(rng.choice(tpls), f.s_en, f.a_en) if lang == "en" else fill(rng.choice(tpls), f.s_zh, f.a_zh)
    k = train_k(rng, f, lang)
    if rng.random() < 0.5:
        return st + "\n" + qa_text(question(f, lang, k), answer(f, lang), lang)
    return st + "\n" + mc_text(mc_item(rng, f, lang, k), lang, True)


def gen_corpus(rng, facts, held, ndocs):
    docs = []
    for _ in range(ndocs):
        r = rng.random()
        if r < 0.25:
            docs.append(doc_arith(rng, held))
        elif r < 0.37:
            docs.append(doc_statements(rng, facts))
        elif r < 0.52:
            docs.append(doc_qa(rng, facts))
        elif r < 0.80:
            docs.append(doc_mc(rng, facts))
        elif r < 0.92:
            docs.append(doc_lookup(rng, facts))
        else:
            docs.append(doc_mixed(rng, facts, held))
    return docs


# ---------------------------------------------------------------- demo suite
def gen_tasks(rng, facts, held):
    t = {}
    # arithmetic: 100 test items (held-out triples), 1/4 in Chinese
    test = []
    for i, (op, a, b) in enumerate(held[:100]):
        lang = "zh" if i % 4 == 3 else "en"
        test.append({"question": arith_prompt(op, a, b, lang), "answer": str(arith_value(op, a, b))})
    train = []
    for i in range(40):
        op, a, b = random_arith(rng, set(held))
        lang = "zh" if i % 4 == 3 else "en"
        train.append({"question": arith_prompt(op, a, b, lang), "answer": str(arith_value(op, a, b))})
    t["arith"] = (train, test)
    for lang in ("en", "zh"):
        test = [mc_item(rng, f, lang, f.hold_en if lang == "en" else f.hold_zh) for f in facts]
        train = [mc_item(rng, f, lang, train_k(rng, f, lang)) for f in rng.sample(facts, 20)]
        t["facts_mc_" + lang] = (train, test)
    test, train = [], []
    for f in facts:
        lang = "en" if (f.idx % 2 == 0) else "zh"
        k = f.hold_en if lang == "en" else f.hold_zh
        test.append({"prompt": qa_prompt(question(f, lang, k), lang), "answer": answer(f, lang), "lang": lang})
    for f in rng.sample(facts, 20):
        lang = rng.choice(["en", "zh"])
        train.append({"prompt": qa_prompt(question(f, lang, train_k(rng, f, lang)), lang),
                      "answer": answer(f, lang), "lang": lang})
    t["facts_gen"] = (train, test)
    return t


def check_disjoint(docs, tasks, facts, held):
    """Fail loudly if any evaluation item leaks into training text or shots."""
    heldset = set(held)
    held_q = set()
    for f in facts:
        held_q.add(question(f, "en", f.hold_en))
        held_q.add(question(f, "zh", f.hold_zh))
    blob = "\n\x00\n".join(docs)
    heads = set(d[:d.index("=") + 1] for d in docs if "=" in d[:8])
    for q in held_q:
        if q in blob:
            raise SystemExit("gen_data: held-out question %r occurs in training text" % q)
    # arithmetic: each held-out expression, delimited, must not occur
    for op, a, b in heldset:
        e = "%d%s%d=" % (a, op, b)
        for pre in ("\n", "：", "\x00"):
            if pre + e in blob:
                raise SystemExit("gen_data: held-out sum %r occurs in training text" % e)
        if e in heads:
            raise SystemExit("gen_data: held-out sum %r starts a training document" % e)
    for name, (train, test) in tasks.items():
        tq = set(json.dumps(d, ensure_ascii=False, sort_keys=True) for d in train)
        for d in test:
            if json.dumps(d, ensure_ascii=False, sort_keys=True) in tq:
                raise SystemExit("gen_data: %s test item also in train split" % name)
            p = d.get("question") or d.get("prompt")
            if name == "arith":
                continue  # covered above by the triple check
            for q in held_q:
                if q in p:
                    break
            else:
                raise SystemExit("gen_data: %s test item %r is not a held-out question" % (name, p))
        for d in train:
            p = d.get("question") or d.get("prompt")
            if any(q in p for q in held_q):
                raise SystemExit("gen_data: %s train split has a held-out question" % name)
            if name == "arith" and p.replace("计算：", "") in ["%d%s%d=" % (a, op, b) for op, a, b in heldset]:
                raise SystemExit("gen_data: arith train split has a held-out sum")
    return len(held_q)


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as fp:
        for r in rows:
            fp.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap.add_argument("--out-corpus", default=os.path.join(here, "work", "corpus.jsonl"))
    ap.add_argument("--tasks-dir", default=os.path.join(root, "tasks", "demo"))
    ap.add_argument("--docs", type=int, default=80000)
    ap.add_argument("--chat-docs", type=int, default=60000)
    args = ap.parse_args()
    rng = random.Random(SEED)
    facts = build_facts(rng)
    held = heldout_arith(rng)
    tasks = gen_tasks(random.Random(SEED + 1), facts, held)
    docs = gen_corpus(random.Random(SEED + 2), facts, set(held), args.docs)
    focus = [doc_focus(random.Random(SEED + 3 + i), facts) for i in range(20000)]
    chat = chat_data.Chat(sys.modules[__name__], facts, held, random.Random(SEED + 4))
    crng = random.Random(SEED + 5)
    chats = [chat.train_doc(crng) for _ in range(args.chat_docs)]
    trng = random.Random(SEED + 6)
    chat_tasks = chat.tasks(trng)
    two_turn = chat.two_turn_questions(trng)
    nq = check_disjoint(docs + focus + chats, tasks, facts, held)
    chat_data.check_chat_disjoint(chats, chat_tasks, two_turn)
    os.makedirs(os.path.dirname(args.out_corpus), exist_ok=True)
    write_jsonl(args.out_corpus, [{"text": d} for d in docs])
    write_jsonl(os.path.join(os.path.dirname(args.out_corpus), "focus.jsonl"), [{"text": d} for d in focus])
    write_jsonl(os.path.join(os.path.dirname(args.out_corpus), "chat.jsonl"), [{"text": d} for d in chats])
    ddir = os.path.join(args.tasks_dir, "data")
    os.makedirs(ddir, exist_ok=True)
    for name, (train, test) in list(tasks.items()) + list(chat_tasks.items()):
        write_jsonl(os.path.join(ddir, name + "_train.jsonl"), train)
        write_jsonl(os.path.join(ddir, name + "_test.jsonl"), test)
    write_jsonl(os.path.join(ddir, "chat_two_turn.jsonl"), two_turn)
    write_jsonl(os.path.join(ddir, "chat_arena.jsonl"), chat_data.arena_prompts(chat, chat_tasks))
    nchar = sum(len(d) for d in docs)
    print("gen_data: %d facts, %d docs (%d chars), %d conversations, %d held-out questions, %d held-out sums; "
          "disjointness checked" % (len(facts), len(docs), nchar, len(chats), nq, len(held)), file=sys.stderr)


if __name__ == "__main__":
    main()
