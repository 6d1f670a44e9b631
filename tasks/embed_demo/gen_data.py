#!/usr/bin/python3
"""gen_data.py — writes the data of the embedding demo tasks (embed_demo_*.json
beside this script) from the sentences below, deterministically: the
project's own bilingual sentences, no download. Run it again after changing
them: `python3 tasks/embed_demo/gen_data.py` (tests/integration/
test_openai_family.sh checks that the files are what it writes).

Each topic has an English sentence, a paraphrase of it, its Chinese
translation, a Chinese paraphrase, and a sentence on the same subject that
says something else. The gold similarity (0-5, as STS Benchmark) is set by
construction:
  same meaning (paraphrase, translation, or both)  5
  same subject, different statement                2
  different topics                                 0
so pairs also cross languages (English-Chinese, as the aligned STS-B
translation allows). Pair classification labels a pair 1 when it has the
same meaning, 0 otherwise. Retrieval: the corpus is every topic's English
and Chinese sentence (ids "en-N", "zh-N"); each topic's two paraphrases are
queries whose relevant documents are the topic's two corpus sentences.
"""
import json
import os

TOPICS = [
    ("The cat is sleeping on the sofa.", "A cat naps on the couch.",
     "猫在沙发上睡觉。", "一只猫正在沙发上打盹。", "The cat knocked a cup off the table."),
    ("It is raining heavily in the city today.", "Today there is a downpour in town.",
     "今天城里下着大雨。", "今天城市里雨下得很大。", "The city built a new train station."),
    ("She plays the piano every evening.", "Every night she practises piano.",
     "她每天晚上弹钢琴。", "她每晚都练习钢琴。", "She sold her old piano last year."),
    ("The train to Beijing leaves at eight.", "At eight o'clock the Beijing train departs.",
     "去北京的火车八点出发。", "开往北京的列车八点发车。", "Train tickets to Beijing are expensive."),
    ("Drinking water is good for your health.", "Water keeps the body healthy.",
     "喝水对健康有好处。", "多喝水有益身体健康。", "The water in this lake is very cold."),
    ("The children are playing football in the park.", "Kids play soccer in the park.",
     "孩子们在公园里踢足球。", "小朋友们在公园踢球。", "The park closes at six in the evening."),
    ("He is reading a book about history.", "He reads a history book.",
     "他在读一本关于历史的书。", "他正在看一本历史书。", "History was his worst subject at school."),
    ("The restaurant serves excellent noodles.", "This restaurant makes very good noodles.",
     "这家餐馆的面条非常好吃。", "这家饭店的面做得很好。", "The restaurant was closed for repairs."),
    ("My phone battery is almost empty.", "The battery of my phone is nearly dead.",
     "我的手机快没电了。", "我手机的电池几乎没电了。", "I bought a new phone case yesterday."),
    ("The mountain is covered with snow.", "Snow covers the mountain.",
     "山上覆盖着积雪。", "这座山被雪覆盖了。", "They climbed the mountain in summer."),
    ("The doctor told him to rest for a week.", "He was advised by the doctor to rest for seven days.",
     "医生让他休息一周。", "医生建议他休息七天。", "The doctor works at the city hospital."),
    ("Prices in the market rose this month.", "This month market prices went up.",
     "这个月市场价格上涨了。", "本月市场上的物价上升了。", "The market opens early on weekends."),
]


def pairs():
    """(text a, text b, gold score, label) for every pair of the STS and pair tasks."""
    out = []
    n = len(TOPICS)
    for i, (en, en2, zh, zh2, other) in enumerate(TOPICS):
        out += [(en, en2, 5.0, 1), (en, zh, 5.0, 1), (zh, zh2, 5.0, 1), (en2, zh2, 5.0, 1),
                (en, other, 2.0, 0), (zh, other, 2.0, 0)]
        nxt = TOPICS[(i + 1) % n]
        far = TOPICS[(i + n // 2) % n]
        out += [(en, nxt[0], 0.0, 0), (zh, far[2], 0.0, 0), (en2, far[3], 0.0, 0)]
    return out


def write(path, records):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(here, exist_ok=True)
    write(os.path.join(here, "sts.jsonl"),
          [{"sentence1": a, "sentence2": b, "score": s} for a, b, s, _ in pairs()])
    write(os.path.join(here, "pairs.jsonl"),
          [{"sentence1": a, "sentence2": b, "label": l} for a, b, _, l in pairs()])
    corpus = []
    for i, t in enumerate(TOPICS):
        corpus.append({"id": "en-%d" % i, "text": t[0]})
        corpus.append({"id": "zh-%d" % i, "text": t[2]})
    write(os.path.join(here, "corpus.jsonl"), corpus)
    queries = []
    for i, t in enumerate(TOPICS):
        for q in (t[1], t[3]):
            queries.append({"query": q, "relevant": ["en-%d" % i, "zh-%d" % i]})
    write(os.path.join(here, "queries.jsonl"), queries)


if __name__ == "__main__":
    main()
