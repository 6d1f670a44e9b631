#!/usr/bin/env python3
"""Byte-level BPE tokenizer for tianti-tiny: trainer, encoder, decoder.

Called by models/train/build.sh (step 2: train on the generated corpus and
write models/train/work/tokenizer.json plus tests/data/tokenizer_cases.jsonl),
and imported by train.py, export_gguf.py, reference.py and eval_demo.py.

The pre-tokenizer is the one the GGUF names "tianti" (tokenizer.ggml.pre); the
C tokenizer re-implements it from the same specification:
  classes: DIGIT '0'-'9'; CJK U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF;
  PUNCT_WIDE U+3000-303F, U+FF00-FFEF; NEWLINE '\\n'; SPACE ' ', '\\t', '\\r';
  LETTER ASCII letters and every other code point >= 0x80; OTHER the rest.
  chunks: each DIGIT, CJK, PUNCT_WIDE, NEWLINE alone; a maximal LETTER run or
  a maximal OTHER run, each taking one immediately preceding ' ' if present;
  remaining SPACE runs form one chunk.
Then BPE inside each chunk over GPT-2 byte-unicode symbols, repeatedly merging
every occurrence (left to right) of the adjacent pair with the lowest rank.
Special tokens are matched as exact strings before pre-tokenisation.

Vocabulary layout: ids 0..255 are the bytes (token text = GPT-2 byte-unicode
char of that byte), then one id per new merged string in merge order, then
the special tokens.  Every CJK character seen in training is a single token.
"""
import collections
import json
import os
import re
import sys

SPECIALS = ["<|endoftext|>", "[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>"]

DIGIT, CJK, PUNCT_WIDE, NEWLINE, SPACE, LETTER, OTHER = range(7)


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode char mapping."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_ENC = bytes_to_unicode()
BYTE_DEC = {c: b for b, c in BYTE_ENC.items()}


def char_class(ch):
    cp = ord(ch)
    if 0x30 <= cp <= 0x39:
        return DIGIT
    if 0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF:
        return CJK
    if 0x3000 <= cp <= 0x303F or 0xFF00 <= cp <= 0xFFEF:
        return PUNCT_WIDE
    if ch == "\n":
        return NEWLINE
    if ch in " \t\r":
        return SPACE
    if (0x41 <= cp <= 0x5A) or (0x61 <= cp <= 0x7A) or cp >= 0x80:
        return LETTER
    return OTHER


def pretokenize(text):
    """Split text into chunks following the "tianti" pre-tokenizer rules."""
    out = []
    n = len(text)
    i = 0
    while i < n:
        c = char_class(text[i])
        if c in (LETTER, OTHER):
            j = i + 1
            while j < n and char_class(text[j]) == c:
                j += 1
            out.append(text[i:j])
            i = j
        elif c == SPACE:
            j = i + 1
            while j < n and char_class(text[j]) == SPACE:
                j += 1
            if j < n and text[j - 1] == " " and char_class(text[j]) in (LETTER, OTHER):
                if j - 1 > i:
                    out.append(text[i:j - 1])
                cl = char_class(text[j])
                k = j + 1
                while k < n and char_class(text[k]) == cl:
                    k += 1
                out.append(text[j - 1:k])
                i = k
            else:
                out.append(text[i:j])
                i = j
        else:
            out.append(text[i])
            i += 1
    return out


def to_symbols(chunk):
    return tuple(BYTE_ENC[b] for b in chunk.encode("utf-8"))


def merge_word(word, a, b, ab):
    out = []
    i = 0
    n = len(word)
    while i < n:
        if i + 1 < n and word[i] == a and word[i + 1] == b:
            out.append(ab)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def train(texts, vocab_size):
    """Learn merges.  Returns (tokens, merges) with tokens the full vocabulary."""
    counts = collections.Counter()
    for t in texts:
        for part in split_specials(t):
            if part not in SPECIALS:
                counts.update(pretokenize(part))
    words = {to_symbols(w): c for w, c in counts.items()}
    tokens = [BYTE_ENC[b] for b in range(256)]
    known = set(tokens)
    merges = []
    n_target = vocab_size - len(SPECIALS)

    def pair_stats(only_cjk):
        st = collections.Counter()
        for w, c in words.items():
            if only_cjk and not is_cjk_word(w):
                continue
            for i in range(len(w) - 1):
                st[(w[i], w[i + 1])] += c
        return st

    def do_merge(a, b):
        nonlocal words
        ab = a + b
        merges.append((a, b))
        if ab not in known:
            known.add(ab)
            tokens.append(ab)
        nw = collections.Counter()
        for w, c in words.items():
            if len(w) > 1:
                w = merge_word(w, a, b, ab)
            nw[w] += c
        words = dict(nw)

    # phase 1: every CJK character becomes one token
    while True:
        st = pair_stats(True)
        if not st:
            break
        (a, b), _ = max(st.items(), key=lambda kv: (kv[1], kv[0]))
        do_merge(a, b)
    # phase 2: ordinary BPE until the vocabulary is full
    while len(tokens) < n_target:
        st = pair_stats(False)
        if not st:
            break
        (a, b), cnt = max(st.items(), key=lambda kv: (kv[1], kv[0]))
        if cnt < 2:
            break
        do_merge(a, b)
    return tokens + SPECIALS, merges


def is_cjk_word(w):
    s = bytes(BYTE_DEC[ch] for sym in w for ch in sym).decode("utf-8", "replace")
    return len(s) == 1 and char_class(s) == CJK and len(w) > 1


_SPECIAL_RE = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")


def split_specials(text):
    return [p for p in _SPECIAL_RE.split(text) if p]


class Tokenizer:
    def __init__(self, tokens, merges):
        self.tokens = list(tokens)
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.ids = {}
        for i, t in enumerate(self.tokens):
            self.ids.setdefault(t, i)
        self.special_ids = {s: self.ids[s] for s in SPECIALS}
        self.eot = self.special_ids["<|endoftext|>"]
        self.cache = {}

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as fp:
            d = json.load(fp)
        return cls(d["tokens"], d["merges"])

    def save(self, path):
        with open(path, "w", encoding="utf-8") as fp:
            json.dump({"pre": "tianti", "tokens": self.tokens,
                       "merges": [list(m) for m in self.merges]}, fp, ensure_ascii=False)

    def token_type(self, i):
        return 3 if self.tokens[i] in self.special_ids else 1

    def bpe(self, chunk):
        if chunk in self.cache:
            return self.cache[chunk]
        word = list(to_symbols(chunk))
        while len(word) > 1:
            best = None
            for i in range(len(word) - 1):
                r = self.ranks.get((word[i], word[i + 1]))
                if r is not None and (best is None or r < best):
                    best = r
            if best is None:
                break
            a, b = self.merges[best]
            word = list(merge_word(tuple(word), a, b, a + b))
        ids = [self.ids[s] for s in word]
        self.cache[chunk] = ids
        return ids

    def encode(self, text, allow_special=True):
        ids = []
        parts = split_specials(text) if allow_special else [text]
        for p in parts:
            if allow_special and p in self.special_ids:
                ids.append(self.special_ids[p])
                continue
            for ch in pretokenize(p):
                ids.extend(self.bpe(ch))
        return ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            t = self.tokens[i]
            if t in self.special_ids:
                out += t.encode("utf-8")
            else:
                out += bytes(BYTE_DEC[c] for c in t)
        return out.decode("utf-8", "replace")


CASES = [
    "Hello world", "The capital of France is Paris.", "  two leading spaces",
    "trailing spaces   ", "tab\tand\r\nCRLF", "line one\nline two\n\n",
    "12+35=47", "计算：12+35=", "12 + 35 = 47", "100-99=1", "3.14159, 2.71828!",
    "法国的首都是巴黎。", "问题：法国的首都是哪里？\nA. 柏林\nB. 巴黎\nC. 东京\nD. 罗马\n答案：B",
    "Question: What is the capital of France?\nA. Berlin\nB. Paris\nC. Tokyo\nD. Rome\nAnswer: B",
    "“山”的反义词", "café naïve résumé", "mixed中文English混合", "emoji 😀 ok",
    "<|endoftext|>", "[gMASK]<sop><|user|>\nhi<|assistant|>", "a<|endoftext|>b",
    "(x) {y} [z] <w>", "   ", " ", "", "don't stop", "A. B. C. D.", "Ω≈ç√∫",
    "＃全角：ＡＢＣ１２３", "繁體字與简体字", "rare char 龘 and 𠀋", "x\n\n\ny", " 42 apples",
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    corpus = os.path.join(here, "work", "corpus.jsonl")
    vocab = int(sys.argv[1]) if len(sys.argv) > 1 else 1280
    texts = []
    with open(corpus, encoding="utf-8") as fp:
        for line in fp:
            texts.append(json.loads(line)["text"])
    tokens, merges = train(texts, vocab)
    tok = Tokenizer(tokens, merges)
    tok.save(os.path.join(here, "work", "tokenizer.json"))
    with open(os.path.join(root, "tests", "data", "tokenizer_cases.jsonl"), "w", encoding="utf-8") as fp:
        for t in CASES:
            ids = tok.encode(t)
            assert tok.decode(ids) == t, t
            fp.write(json.dumps({"text": t, "ids": ids}, ensure_ascii=False) + "\n")
    print("bpe: vocab %d (%d merges), tokens/char on corpus sample %.3f" % (
        len(tokens), len(merges),
        sum(len(tok.encode(t)) for t in texts[:2000]) / sum(len(t) for t in texts[:2000])),
        file=sys.stderr)


if __name__ == "__main__":
    main()
