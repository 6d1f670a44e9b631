#!/usr/bin/python3
"""Independent reference values for tests/unit/test_metrics.c.

Writes tests/unit/data/scoring_ref.jsonl: random strings scored with Python's
own `re`, str.split/str.lower and plain arithmetic, following the published
definitions that lm-evaluation-harness relies on:
  - sacrebleu 2.x "13a" tokeniser and corpus BLEU (exp smoothing, closest
    reference length, 0.0 when nothing matches), written out from the
    mteval-v13a rules;
  - SQuAD v2 token F1 (normalize_answer: lower, drop string.punctuation,
    drop \\b(a|an|the)\\b, whitespace split);
  - rouge_score ROUGE-L F-measure with its default tokeniser;
  - HF `exact_match` with ignore_case / ignore_punctuation / ignore_numbers /
    regexes_to_ignore;
  - word counts of re.split(r"\\s+", text).
Run: /usr/bin/python3 tests/unit/ref/scoring_ref.py  (deterministic: seed 20261128)
"""
import json
import math
import os
import random
import re
import string
from collections import Counter

RNG = random.Random(20261128)

VOCAB = ["the", "The", "a", "an", "cat", "Cat", "sat", "on", "mat", "dog", "1990", "3.14",
         "1,000", "$5", "-", "--", ".", ",", "!", "?", "'s", "don't", "well-known", "(x)",
         "&amp;", "&quot;", "<skipped>", "北京", "上海", "，", "。", "e.g.", "U.S.", "42",
         "x-", "-y", "7-", "A/B", "#", "@home", "[1]", "{k}", "~", "`", "^", "_", "|"]
SPACES = [" ", " ", " ", "  ", "\n", "\t", "-\n", "\u3000", "\u00a0", ""]


def rand_text(max_words=12):
    n = RNG.randint(0, max_words)
    out = []
    for _ in range(n):
        out.append(RNG.choice(VOCAB))
        out.append(RNG.choice(SPACES))
    if RNG.random() < 0.3:
        out.insert(0, RNG.choice(SPACES))
    return "".join(out)


def tok13a(line):
    line = line.rstrip()
    line = line.replace("<skipped>", "")
    line = line.replace("-\n", "")
    line = line.replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"')
        line = line.replace("&amp;", "&")
        line = line.replace("&lt;", "<")
        line = line.replace("&gt;", ">")
    line = f" {line} "
    line = re.sub(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])", r" \1 ", line)
    line = re.sub(r"([^0-9])([\.,])", r"\1 \2 ", line)
    line = re.sub(r"([\.,])([^0-9])", r" \1 \2", line)
    line = re.sub(r"([0-9])(-)", r"\1 \2 ", line)
    return " ".join(line.split())


def ngrams(toks, n):
    return Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


def corpus_bleu(hyps, refs_per_hyp):
    sys_len = ref_len = 0
    correct = [0] * 4
    total = [0] * 4
    for hyp, refs in zip(hyps, refs_per_hyp):
        h = tok13a(hyp).split()
        rs = [tok13a(r).split() for r in refs]
        sys_len += len(h)
        closest_diff, closest_len = -1, -1
        for r in rs:
            diff = abs(len(h) - len(r))
            if closest_diff == -1 or diff < closest_diff:
                closest_diff, closest_len = diff, len(r)
            elif diff == closest_diff and len(r) < closest_len:
                closest_len = len(r)
        ref_len += closest_len
        for n in range(1, 5):
            hc = ngrams(h, n)
            rmax = Counter()
            for r in rs:
                for g, c in ngrams(r, n).items():
                    rmax[g] = max(rmax[g], c)
            total[n - 1] += sum(hc.values())
            correct[n - 1] += sum(min(c, rmax[g]) for g, c in hc.items())
    precisions = [0.0] * 4
    bp = 1.0
    if sys_len < ref_len:
        bp = math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0
    # sacrebleu >= 2.0 compute_bleu: no match at all scores 0.0 (issue #141)
    if not any(correct):
        return 0.0
    smooth = 1.0
    for n in range(4):
        if total[n] == 0:
            break
        if correct[n] == 0:
            smooth *= 2
            precisions[n] = 100.0 / (smooth * total[n])
        else:
            precisions[n] = 100.0 * correct[n] / total[n]
    return bp * math.exp(sum(math.log(p) if p > 0 else -9999999999 for p in precisions) / 4)


def squad_norm(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def token_f1(pred, gold):
    p, g = squad_norm(pred).split(), squad_norm(gold).split()
    if not p or not g:
        return float(p == g)
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0.0
    pr, rc = same / len(p), same / len(g)
    return 2 * pr * rc / (pr + rc)


def rouge_tokens(t):
    t = re.sub(r"[^a-z0-9]+", " ", t.lower())
    return [x for x in re.split(r"\s+", t) if re.match(r"^[a-z0-9]+$", x)]


def rouge_l(pred, target):
    p, t = rouge_tokens(pred), rouge_tokens(target)
    if not p or not t:
        return 0.0
    table = [[0] * (len(p) + 1) for _ in range(len(t) + 1)]
    for i in range(1, len(t) + 1):
        for j in range(1, len(p) + 1):
            table[i][j] = table[i - 1][j - 1] + 1 if t[i - 1] == p[j - 1] else max(table[i - 1][j], table[i][j - 1])
    lcs = table[-1][-1]
    if lcs == 0:
        return 0.0
    pr, rc = lcs / len(p), lcs / len(t)
    return 2 * pr * rc / (pr + rc)


def exact_match(pred, ref, opts):
    for r in opts.get("regexes_to_ignore", []):
        pred, ref = re.sub(r, "", pred), re.sub(r, "", ref)
    if opts.get("ignore_case"):
        pred, ref = pred.lower(), ref.lower()
    if opts.get("ignore_punctuation"):
        tbl = str.maketrans("", "", string.punctuation)
        pred, ref = pred.translate(tbl), ref.translate(tbl)
    if opts.get("ignore_numbers"):
        tbl = str.maketrans("", "", string.digits)
        pred, ref = pred.translate(tbl), ref.translate(tbl)
    return float(pred == ref)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "data", "scoring_ref.jsonl")
    rows = []
    for _ in range(150):
        s = rand_text()
        rows.append({"fn": "tok13a", "in": s, "out": tok13a(s)})
    for _ in range(40):
        n = RNG.randint(1, 6)
        k = RNG.choice([1, 2])
        hyps = [rand_text() for _ in range(n)]
        refs = [[rand_text() for _ in range(k)] for _ in range(n)]
        # make some overlap likely
        for i in range(n):
            if RNG.random() < 0.6:
                refs[i][0] = hyps[i] + RNG.choice(["", " the cat", " .", ""]) 
        rows.append({"fn": "bleu", "hyps": hyps, "refs": refs, "score": corpus_bleu(hyps, refs)})
    for _ in range(120):
        a, b = rand_text(6), rand_text(6)
        if RNG.random() < 0.4:
            b = a + " " + rand_text(2)
        rows.append({"fn": "token_f1", "pred": a, "ref": b, "score": token_f1(a, b)})
        rows.append({"fn": "rouge_l", "pred": a, "ref": b, "score": rouge_l(a, b)})
    option_sets = [{}, {"ignore_case": True}, {"ignore_punctuation": True}, {"ignore_numbers": True},
                   {"ignore_case": True, "ignore_punctuation": True},
                   {"regexes_to_ignore": [",", "\\$", "(?s).*#### ", "\\.$"]}]
    for _ in range(120):
        a = rand_text(4)
        b = a if RNG.random() < 0.3 else rand_text(4)
        if RNG.random() < 0.3:
            b = b.upper()
        if RNG.random() < 0.3:
            b = b + RNG.choice([".", "!", "1", ",", " "])
        o = RNG.choice(option_sets)
        rows.append({"fn": "exact_match", "opts": o, "pred": a, "ref": b, "score": exact_match(a, b, o)})
    for _ in range(40):
        s = rand_text()
        rows.append({"fn": "words", "in": s, "score": len(re.split(r"\s+", s))})
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
