#!/usr/bin/env python3
"""make_glm4_vocab.py — writes tests/data/glm/glm4_vocab.gguf, a vocabulary-only
GGUF whose tokenizer is a "gpt2" byte-level BPE with pre-tokenizer
"chatglm-bpe" (GLM-4's), for the tokenizer-parity test: llama.cpp
(tools/llamacpp/tokenize_cases.mjs) and the GLM engine tokenize the same
strings with it and must give the same ids.

The vocabulary is tianti-tiny's (models/tianti-tiny.gguf: 256 bytes, 951
merges trained on English/Chinese text, control tokens) plus what GLM-4's
vocabulary has that tianti-tiny's lacks, so that every rule llama.cpp applies
is exercised:
  - two- and three-digit tokens with their merges ("12", "123"), as digits
    are split into groups of 1-3;
  - tokens that exist whole but that no merge produces (" xyzzy",
    "hello world"): llama.cpp applies the merges for this pre-tokenizer and
    never takes such a chunk whole;
  - a user-defined token (type 4) and GLM-4's other control tokens.
The architecture keys are tianti-tiny's; the file has no tensors (llama.cpp
loads it with vocab_only).

It also writes tests/data/glm/spm_vocab.gguf, a small SentencePiece
("llama") vocabulary with byte fallback and control tokens, for the same
comparison of the SentencePiece path (space prefix at the start and after
each special token, highest-score merges, byte fallback).

Usage: tools/llamacpp/make_glm4_vocab.py [out.gguf [spm.gguf]]   (deterministic)
"""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B", 10: "<Q", 11: "<q", 12: "<d"}
T_UINT32, T_FLOAT32, T_STRING, T_ARRAY, T_INT32, T_BOOL = 4, 6, 8, 9, 5, 7


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.p)[0]
        self.p += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = self.d[self.p:self.p + n].decode("utf-8")
        self.p += n
        return s

    def value(self, t):
        if t == T_STRING:
            return (t, self.string())
        if t == T_ARRAY:
            et, n = self.take("<I"), self.take("<Q")
            return (t, et, [self.value(et)[1] for _ in range(n)])
        return (t, self.take(SCALAR[t]))


def read_meta(path):
    with open(path, "rb") as f:
        data = f.read()
    r = Reader(data)
    assert data[:4] == b"GGUF"
    r.p = 4
    r.take("<I")
    r.take("<Q")
    nkv = r.take("<Q")
    meta = {}
    for _ in range(nkv):
        k = r.string()
        meta[k] = r.value(r.take("<I"))
    return meta


def gstr(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def enc_value(t, v):
    if t == T_STRING:
        return gstr(v)
    return struct.pack(SCALAR[t], v)


def enc_kv(key, val):
    out = gstr(key) + struct.pack("<I", val[0])
    if val[0] == T_ARRAY:
        et, items = val[1], val[2]
        out += struct.pack("<IQ", et, len(items)) + b"".join(enc_value(et, x) for x in items)
    else:
        out += enc_value(val[0], val[1])
    return out


def byte_map():
    """GPT-2's byte -> printable code point map."""
    m, n = {}, 0
    for b in range(256):
        if 0x21 <= b <= 0x7E or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF:
            m[b] = chr(b)
        else:
            m[b] = chr(256 + n)
            n += 1
    return m


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests/data/glm/glm4_vocab.gguf")
    meta = read_meta(os.path.join(ROOT, "models/tianti-tiny.gguf"))
    toks = meta["tokenizer.ggml.tokens"][2]
    types = meta["tokenizer.ggml.token_type"][2]
    merges = list(meta["tokenizer.ggml.merges"][2])
    normal = [t for t, ty in zip(toks, types) if ty == 1]
    control = [t for t, ty in zip(toks, types) if ty == 3]
    have = set(normal)
    bm = byte_map()

    def add(tok, merge=None):
        if tok not in have:
            normal.append(tok)
            have.add(tok)
        if merge and merge not in merges:
            merges.append(merge)

    digits = "0123456789"
    for a in digits:
        for b in digits:
            add(a + b, a + " " + b)
    for ab in ("12", "19", "20", "00", "99", "45", "78", "31"):
        for c in digits:
            add(ab + c, ab + " " + c)
    sp = bm[ord(" ")]
    for w in ("xyzzy", "plugh"):   # whole tokens no merge produces
        add(sp + w)
    add("hello" + sp + "world")
    add("abcdefgh")
    user = ["<tool_call>"]
    control += [c for c in ("<|observation|>", "<eop>", "[MASK]", "<|begin_of_image|>") if c not in control]
    tokens = normal + user + control
    ttypes = [1] * len(normal) + [4] * len(user) + [3] * len(control)
    kvs = []
    for k, v in meta.items():
        if k.startswith("tokenizer.") or k == "general.alignment":
            continue
        kvs.append((k, v))
    kvs = [(k, v) for k, v in kvs if k != "general.name"] + [("general.name", (T_STRING, "glm4-vocab-test"))]
    kvs += [
        ("tokenizer.ggml.model", (T_STRING, "gpt2")),
        ("tokenizer.ggml.pre", (T_STRING, "chatglm-bpe")),
        ("tokenizer.ggml.tokens", (T_ARRAY, T_STRING, tokens)),
        ("tokenizer.ggml.token_type", (T_ARRAY, T_INT32, ttypes)),
        ("tokenizer.ggml.merges", (T_ARRAY, T_STRING, merges)),
        ("tokenizer.ggml.eos_token_id", (T_UINT32, tokens.index("<|endoftext|>"))),
        ("tokenizer.ggml.padding_token_id", (T_UINT32, tokens.index("<|endoftext|>"))),
    ]
    body = struct.pack("<4sIQQ", b"GGUF", 3, 0, len(kvs)) + b"".join(enc_kv(k, v) for k, v in kvs)
    with open(out, "wb") as f:
        f.write(body)
    print("%s: %d tokens, %d merges" % (out, len(tokens), len(merges)))
    spm = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests/data/glm/spm_vocab.gguf")
    write_spm(spm, meta)


def write_spm(out, meta):
    """A SentencePiece vocabulary: <unk> <s> </s>, the 256 byte tokens, then
    pieces with scores (longer pieces score lower, so merge order matters)."""
    names = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    types = [2, 3, 3] + [6] * 256
    scores = [0.0] * len(names)
    sp = "\u2581"
    words = ["hello", "world", "the", "capital", "of", "France", "Paris", "is", "12", "34", "中文", "你好", "世界"]
    pieces = {}
    for w in words:
        for text in (w, sp + w):
            for a in range(len(text)):
                for b in range(a + 1, len(text) + 1):
                    pieces.setdefault(text[a:b], -float(b - a) - 0.01 * len(pieces))
    pieces.setdefault(sp, -1.0)
    for p, sc in pieces.items():
        names.append(p)
        types.append(1)
        scores.append(sc)
    names.append("<|user|>")
    types.append(3)
    scores.append(0.0)
    kvs = [(k, v) for k, v in meta.items() if not k.startswith("tokenizer.") and k not in ("general.alignment", "general.name")]
    kvs += [
        ("general.name", (T_STRING, "spm-vocab-test")),
        ("tokenizer.ggml.model", (T_STRING, "llama")),
        ("tokenizer.ggml.tokens", (T_ARRAY, T_STRING, names)),
        ("tokenizer.ggml.scores", (T_ARRAY, T_FLOAT32, scores)),
        ("tokenizer.ggml.token_type", (T_ARRAY, T_INT32, types)),
        ("tokenizer.ggml.unknown_token_id", (T_UINT32, 0)),
        ("tokenizer.ggml.bos_token_id", (T_UINT32, 1)),
        ("tokenizer.ggml.eos_token_id", (T_UINT32, 2)),
    ]
    body = struct.pack("<4sIQQ", b"GGUF", 3, 0, len(kvs)) + b"".join(enc_kv(k, v) for k, v in kvs)
    with open(out, "wb") as f:
        f.write(body)
    print("%s: %d tokens" % (out, len(names)))


if __name__ == "__main__":
    main()
