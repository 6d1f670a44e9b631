#!/usr/bin/python3
"""glm_reference.py -- an independent NumPy implementation of the GLM
(llama.cpp `chatglm`) forward pass and of the `tianti` pre-tokenizer + byte-level
BPE, used to make the reference data for tests/unit/test_glm_model.c and
test_glm_tokenizer.c.

It writes, under tests/data/glm/ (or the folder given as argv[1]):
  tiny.gguf          a tiny random chatglm model (f32) with a gpt2/tianti vocab
  ref_tokens.txt     the token ids the forward passes use
  ref_logits_<p>.bin float32 logits [n_tokens, n_vocab] for p in f32 f16 q8_0 q4_0,
                     computed as llama.cpp's CPU backend does: weights converted
                     to <p> (ggml reference quantizers), activations rounded to
                     fp16 (f16) or quantized to q8_0 blocks (q8_0, q4_0)
  ref_tokenize.txt   lines "<hex of utf-8 text>\t<ids>" from this file's tokenizer

Run with Debian's /usr/bin/python3 (numpy). Deterministic (seeded).
"""
import os
import struct
import sys

import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "glm")

# ---- model shape -------------------------------------------------------------
N_EMBD, N_HEAD, N_HEAD_KV, N_ROT, N_FF, N_LAYER, N_CTX = 64, 4, 2, 8, 96, 2, 64
HEAD_DIM = N_EMBD // N_HEAD
KVD = N_HEAD_KV * HEAD_DIM
EPS, FREQ_BASE = 1e-5, 10000.0

# ---- tokenizer ------------------------------------------------------------------

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}

B2U = bytes_to_unicode()
SPECIALS = ["<|endoftext|>", "[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>"]
MERGE_PAIRS = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("o", "n"),
               ("Ġ", "s"), ("e", "s"), ("Ġ", "w"), ("r", "e"), ("a", "t"), ("Ġ", "c"), ("in", "g"),
               ("l", "l"), ("o", "r"), ("Ġw", "or"), ("Ġ", "1"), ("ä", "¸"), ("Ġ", "Ġ"), ("ĠĠ", "ĠĠ"),
               ("!", "!"), ("Ġ", "h"), ("Ġh", "e"), ("Ġhe", "ll"), ("Ġhell", "o")]

def vocab():
    toks = [B2U[b] for b in range(256)]
    merges = []
    for a, b in MERGE_PAIRS:
        assert a in toks and b in toks, (a, b)
        merges.append(a + " " + b)
        toks.append(a + b)
    types = [1] * len(toks) + [3] * len(SPECIALS)
    toks += SPECIALS
    return toks, merges, types

def cls(ch):
    c = ord(ch)
    if 0x30 <= c <= 0x39: return "D"
    if 0x3400 <= c <= 0x4DBF or 0x4E00 <= c <= 0x9FFF or 0xF900 <= c <= 0xFAFF: return "C"
    if 0x3000 <= c <= 0x303F or 0xFF00 <= c <= 0xFFEF: return "W"
    if ch == "\n": return "N"
    if ch in " \t\r": return "S"
    if ch.isascii() and ch.isalpha() or c >= 0x80: return "L"
    return "O"

def pretokenize(text):
    out, i, n = [], 0, len(text)
    while i < n:
        k = cls(text[i])
        if k in "DCWN":
            out.append(text[i]); i += 1; continue
        if k in "LO":
            j = i
            while j < n and cls(text[j]) == k: j += 1
            out.append(text[i:j]); i = j; continue
        # spaces: a run; a final ' ' directly before a LETTER/OTHER run goes to that run
        j = i
        while j < n and cls(text[j]) == "S": j += 1
        if j < n and cls(text[j]) in "LO" and text[j - 1] == " ":
            if j - 1 > i: out.append(text[i:j - 1])
            k2 = cls(text[j]); m = j
            while m < n and cls(text[m]) == k2: m += 1
            out.append(text[j - 1:m]); i = m
        else:
            out.append(text[i:j]); i = j
    return out

def bpe(chunk, ranks):
    syms = [B2U[b] for b in chunk.encode("utf-8")]
    while len(syms) > 1:
        best, bi = None, -1
        for i in range(len(syms) - 1):
            r = ranks.get(syms[i] + " " + syms[i + 1])
            if r is not None and (best is None or r < best): best, bi = r, i
        if best is None: break
        syms = syms[:bi] + [syms[bi] + syms[bi + 1]] + syms[bi + 2:]
    return syms

def tokenize(text, toks, merges):
    ids = {t: i for i, t in enumerate(toks)}
    ranks = {m: i for i, m in enumerate(merges)}
    out, rest = [], text
    while rest:
        hits = [(rest.find(s), s) for s in SPECIALS if rest.find(s) >= 0]
        if hits:
            p, s = min(hits, key=lambda h: (h[0], -len(h[1])))
            head, rest = rest[:p], rest[p + len(s):]
        else:
            head, s, rest = rest, None, ""
        for ch in pretokenize(head):
            out += [ids[t] for t in bpe(ch, ranks)]
        if s: out.append(ids[s])
    return out

# ---- quantization (ggml reference definitions) -------------------------------------

def f16(x):
    return np.asarray(x, np.float32).astype(np.float16).astype(np.float32)

def q8_0(x):
    """rows of x (float32) -> (d fp16-as-f32 [rows, nb], q int [rows, nb, 32])"""
    x = np.asarray(x, np.float32).reshape(x.shape[0], -1, 32)
    amax = np.abs(x).max(axis=2)
    d = (amax / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        idv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = (x * idv[:, :, None]).astype(np.float32).astype(np.float64)
    q = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int64)
    return f16(d), q

def q4_0(x):
    x = np.asarray(x, np.float32).reshape(x.shape[0], -1, 32)
    idx = np.abs(x).argmax(axis=2)
    mx = np.take_along_axis(x, idx[:, :, None], axis=2)[:, :, 0]
    d = (mx / np.float32(-8)).astype(np.float32)
    with np.errstate(divide="ignore"):
        idv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = (x * idv[:, :, None]).astype(np.float32) + np.float32(8.5)
    q = np.minimum(15, np.trunc(v).astype(np.int64))
    return f16(d), q - 8

def prepare(w, prec):
    """weight [out, in] -> a function computing x [n, in] @ w.T like ggml's CPU path"""
    if prec == "f32":
        W = w.astype(np.float64)
        return lambda x: np.asarray(x, np.float32).astype(np.float64) @ W.T
    if prec == "f16":
        W = f16(w).astype(np.float64)
        return lambda x: f16(x).astype(np.float64) @ W.T
    dw, qw = q8_0(w) if prec == "q8_0" else q4_0(w)
    def mm(x):
        dx, qx = q8_0(np.asarray(x, np.float32))
        # integer block dots [n, out, nb], scaled by fp32 product of the two fp16 scales
        sumi = np.einsum("tbj,obj->tob", qx, qw)
        scale = (dx[:, None, :].astype(np.float32) * dw[None, :, :].astype(np.float32)).astype(np.float64)
        return (sumi * scale).sum(axis=2)
    return mm

# ---- the forward pass ---------------------------------------------------------------

def rmsnorm(x, w):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + EPS) * w

def rope(v, pos):
    # v [n_heads, head_dim]; GPT-J adjacent pairs over the first N_ROT dims
    v = v.copy()
    for i in range(N_ROT // 2):
        th = pos * FREQ_BASE ** (-2.0 * i / N_ROT)
        c, s = np.cos(th), np.sin(th)
        a, b = v[:, 2 * i].copy(), v[:, 2 * i + 1].copy()
        v[:, 2 * i], v[:, 2 * i + 1] = a * c - b * s, a * s + b * c
    return v

def forward(W, tokens, prec):
    mats = {k: prepare(v, prec) for k, v in W.items() if v.ndim == 2}
    emb = W["token_embd.weight"]
    if prec == "f16": emb = f16(emb)
    elif prec == "q8_0":
        d, q = q8_0(emb); emb = (q * d[:, :, None]).reshape(emb.shape)
    elif prec == "q4_0":
        d, q = q4_0(emb); emb = (q * d[:, :, None]).reshape(emb.shape)
    n = len(tokens)
    x = emb[tokens].astype(np.float64)
    for l in range(N_LAYER):
        p = "blk.%d." % l
        h = rmsnorm(x, W[p + "attn_norm.weight"])
        qkv = mats[p + "attn_qkv.weight"](h) + W[p + "attn_qkv.bias"]
        q = qkv[:, :N_EMBD].reshape(n, N_HEAD, HEAD_DIM)
        k = qkv[:, N_EMBD:N_EMBD + KVD].reshape(n, N_HEAD_KV, HEAD_DIM)
        v = qkv[:, N_EMBD + KVD:].reshape(n, N_HEAD_KV, HEAD_DIM)
        q = np.stack([rope(q[t], t) for t in range(n)])
        k = np.stack([rope(k[t], t) for t in range(n)])
        att = np.zeros((n, N_HEAD, HEAD_DIM))
        g = N_HEAD // N_HEAD_KV
        for t in range(n):
            for hh in range(N_HEAD):
                sc = k[: t + 1, hh // g] @ q[t, hh] / np.sqrt(HEAD_DIM)
                sc = np.exp(sc - sc.max()); sc /= sc.sum()
                att[t, hh] = sc @ v[: t + 1, hh // g]
        x = x + mats[p + "attn_output.weight"](att.reshape(n, N_EMBD))
        h = rmsnorm(x, W[p + "ffn_norm.weight"])
        u = mats[p + "ffn_up.weight"](h)
        gate, up = u[:, :N_FF], u[:, N_FF:]
        x = x + mats[p + "ffn_down.weight"](gate / (1 + np.exp(-gate)) * up)
    return mats["output.weight"](rmsnorm(x, W["output_norm.weight"]))

# ---- GGUF writer -------------------------------------------------------------------

def gstr(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b

def write_gguf(path, kvs, tensors):
    out = bytearray(struct.pack("<IIQQ", 0x46554747, 3, len(tensors), len(kvs)))
    for key, typ, val in kvs:
        out += gstr(key) + struct.pack("<I", typ)
        if typ == 4: out += struct.pack("<I", val)
        elif typ == 6: out += struct.pack("<f", val)
        elif typ == 7: out += struct.pack("<B", val)
        elif typ == 8: out += gstr(val)
        elif typ == 9:
            et, items = val
            out += struct.pack("<IQ", et, len(items))
            for it in items:
                out += gstr(it) if et == 8 else struct.pack("<f" if et == 6 else "<i", it)
    off = 0
    blobs = []
    for name, arr in tensors:
        out += gstr(name) + struct.pack("<I", arr.ndim)
        for d in reversed(arr.shape): out += struct.pack("<Q", d)
        out += struct.pack("<IQ", 0, off)
        blob = arr.astype("<f4").tobytes()
        blobs.append(blob)
        off += (len(blob) + 31) // 32 * 32
    out += b"\0" * ((32 - len(out) % 32) % 32)
    for blob in blobs:
        out += blob + b"\0" * ((32 - len(blob) % 32) % 32)
    with open(path, "wb") as f: f.write(out)

def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261128)
    toks, merges, types = vocab()
    nv = len(toks)
    W = {}
    r = lambda *s: (rng.standard_normal(s) * 0.2).astype(np.float32)
    W["token_embd.weight"] = r(nv, N_EMBD) * 5
    for l in range(N_LAYER):
        p = "blk.%d." % l
        W[p + "attn_norm.weight"] = (1 + r(N_EMBD)).astype(np.float32)
        W[p + "attn_qkv.weight"] = r(N_EMBD + 2 * KVD, N_EMBD)
        W[p + "attn_qkv.bias"] = r(N_EMBD + 2 * KVD)
        W[p + "attn_output.weight"] = r(N_EMBD, N_EMBD)
        W[p + "ffn_norm.weight"] = (1 + r(N_EMBD)).astype(np.float32)
        W[p + "ffn_up.weight"] = r(2 * N_FF, N_EMBD)
        W[p + "ffn_down.weight"] = r(N_EMBD, N_FF)
    W["output_norm.weight"] = (1 + r(N_EMBD)).astype(np.float32)
    W["output.weight"] = r(nv, N_EMBD)
    kvs = [("general.architecture", 8, "chatglm"), ("general.name", 8, "glm-reference-tiny"),
           ("general.file_type", 4, 0),
           ("chatglm.context_length", 4, N_CTX), ("chatglm.embedding_length", 4, N_EMBD),
           ("chatglm.feed_forward_length", 4, N_FF), ("chatglm.block_count", 4, N_LAYER),
           ("chatglm.attention.head_count", 4, N_HEAD), ("chatglm.attention.head_count_kv", 4, N_HEAD_KV),
           ("chatglm.attention.layer_norm_rms_epsilon", 6, EPS), ("chatglm.rope.dimension_count", 4, N_ROT),
           ("chatglm.rope.freq_base", 6, FREQ_BASE),
           ("tokenizer.ggml.model", 8, "gpt2"), ("tokenizer.ggml.pre", 8, "tianti"),
           ("tokenizer.ggml.tokens", 9, (8, toks)), ("tokenizer.ggml.token_type", 9, (5, types)),
           ("tokenizer.ggml.merges", 9, (8, merges)),
           ("tokenizer.ggml.eos_token_id", 4, toks.index("<|endoftext|>")),
           ("tokenizer.ggml.padding_token_id", 4, toks.index("<|endoftext|>")),
           ("tokenizer.ggml.add_bos_token", 7, 0)]
    write_gguf(os.path.join(OUT, "tiny.gguf"), kvs, list(W.items()))
    tokens = [int(t) for t in rng.integers(0, nv, 12)]
    with open(os.path.join(OUT, "ref_tokens.txt"), "w") as f:
        f.write(" ".join(map(str, tokens)) + "\n")
    for prec in ["f32", "f16", "q8_0", "q4_0"]:
        lg = forward(W, tokens, prec).astype("<f4")
        lg.tofile(os.path.join(OUT, "ref_logits_%s.bin" % prec))
    texts = ["hello world", "the cat  sat\n\nthere!!", "  leading spaces", "x=1234+56;",
             "中文，标点。ok", "<|user|>\nhi<|assistant|>\n", "tabs\tand\r\nCRLF", "é café ü",
             "a  b   c    ", "[gMASK]<sop>q", "emoji 😀 ok", "   \n  x"]
    with open(os.path.join(OUT, "ref_tokenize.txt"), "w") as f:
        for t in texts:
            f.write(t.encode("utf-8").hex() + "\t" + " ".join(map(str, tokenize(t, toks, merges))) + "\n")

if __name__ == "__main__":
    main()
