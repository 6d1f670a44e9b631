#!/usr/bin/env python3
"""Independent NumPy reader and forward pass of a `chatglm` GGUF file (F32).

Called by models/train/build.sh (step 5) and imported by eval_demo.py.  It
reads models/tianti-tiny.gguf with its own parser (no torch), runs the GLM
forward pass in float64, checks the logits against the torch model of the
checkpoint (argv[1], default work/ckpt.pt; max abs difference < 1e-4), and writes tests/data/glm/tiny_ref.json
for the C engine's tests:
  prompt, prompt_ids, n_vocab, argmax (per position), logits_first64 (per
  position, first 64 vocabulary entries), logits_last (all entries at the
  last position), greedy_ids (8 greedily generated ids), gguf_sha256.
"""
import hashlib
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B",
           10: "<Q", 11: "<q", 12: "<d"}


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
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.take("<I"), self.take("<Q")
            return [self.value(et) for _ in range(n)]
        if t not in _SCALAR:
            raise ValueError("bad metadata type %d at byte %d" % (t, self.p))
        v = self.take(_SCALAR[t])
        return bool(v) if t == 7 else v


def read_gguf(path):
    """Returns (metadata dict, {name: float32 array in torch layout})."""
    with open(path, "rb") as fp:
        data = fp.read()
    r = Reader(data)
    if data[:4] != b"GGUF":
        raise ValueError("%s: not a GGUF file" % path)
    r.p = 4
    ver, nt, nkv = r.take("<I"), r.take("<Q"), r.take("<Q")
    if ver != 3:
        raise ValueError("%s: GGUF version %d" % (path, ver))
    meta = {}
    for _ in range(nkv):
        k = r.string()
        meta[k] = r.value(r.take("<I"))
    infos = []
    for _ in range(nt):
        name = r.string()
        nd = r.take("<I")
        dims = [r.take("<Q") for _ in range(nd)]
        typ, off = r.take("<I"), r.take("<Q")
        if typ != 0:
            raise ValueError("%s: tensor %s has type %d, only F32 supported" % (path, name, typ))
        infos.append((name, dims, off))
    align = meta.get("general.alignment", 32)
    base = r.p + (align - r.p % align) % align
    tensors = {}
    for name, dims, off in infos:
        n = int(np.prod(dims))
        a = np.frombuffer(data, dtype="<f4", count=n, offset=base + off)
        tensors[name] = a.reshape(list(reversed(dims)))
    return meta, tensors


def rms(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def forward(meta, t, ids):
    """Logits [T, vocab] (float64) for token ids, positions 0..T-1."""
    a = "chatglm."
    D = meta[a + "embedding_length"]
    H = meta[a + "attention.head_count"]
    KV = meta[a + "attention.head_count_kv"]
    L = meta[a + "block_count"]
    F = meta[a + "feed_forward_length"]
    eps = meta[a + "attention.layer_norm_rms_epsilon"]
    rd = meta[a + "rope.dimension_count"]
    base = meta[a + "rope.freq_base"]
    hd = D // H
    T = len(ids)
    g = {k: v.astype(np.float64) for k, v in t.items()}
    x = g["token_embd.weight"][ids]
    pos = np.arange(T, dtype=np.float64)
    theta = pos[:, None] * base ** (-np.arange(0, rd, 2, dtype=np.float64) / rd)[None, :]
    cos, sin = np.cos(theta), np.sin(theta)

    def rope(v):  # v [T, n, hd]; GPT-J pairs (2i, 2i+1), i < rd/2
        v = v.copy()
        x0, x1 = v[:, :, 0:rd:2].copy(), v[:, :, 1:rd:2].copy()
        c, s = cos[:, None, :], sin[:, None, :]
        v[:, :, 0:rd:2] = x0 * c - x1 * s
        v[:, :, 1:rd:2] = x0 * s + x1 * c
        return v

    mask = np.triu(np.ones((T, T), dtype=bool), 1)
    for i in range(L):
        p = "blk.%d." % i
        h = rms(x, g[p + "attn_norm.weight"], eps)
        qkv = h @ g[p + "attn_qkv.weight"].T + g[p + "attn_qkv.bias"]
        q = rope(qkv[:, :D].reshape(T, H, hd))
        k = rope(qkv[:, D:D + KV * hd].reshape(T, KV, hd))
        v = qkv[:, D + KV * hd:].reshape(T, KV, hd)
        o = np.empty((T, H, hd))
        for hh in range(H):
            kh = hh // (H // KV)
            s = q[:, hh, :] @ k[:, kh, :].T / np.sqrt(hd)
            s[mask] = -np.inf
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            o[:, hh, :] = s @ v[:, kh, :]
        x = x + o.reshape(T, D) @ g[p + "attn_output.weight"].T
        h = rms(x, g[p + "ffn_norm.weight"], eps)
        u = h @ g[p + "ffn_up.weight"].T
        gate, up = u[:, :F], u[:, F:]
        x = x + (gate / (1 + np.exp(-gate)) * up) @ g[p + "ffn_down.weight"].T
    return rms(x, g["output_norm.weight"], eps) @ g["output.weight"].T


PROMPT = "Question: What is the capital of France?\nAnswer:"


def main():
    sys.path.insert(0, HERE)
    from bpe import Tokenizer
    path = os.path.join(ROOT, "models", "tianti-tiny.gguf")
    meta, t = read_gguf(path)
    tok = Tokenizer(meta["tokenizer.ggml.tokens"], [m.split(" ") for m in meta["tokenizer.ggml.merges"]])
    ids = tok.encode(PROMPT)
    logits = forward(meta, t, ids)
    # torch cross-check on the checkpoint the file was exported from
    import torch
    from model import GLM
    st = torch.load(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "work", "ckpt.pt"))
    m = GLM(st["cfg"])
    m.load_state_dict(st["model"])
    m.eval()
    with torch.no_grad():
        tl = m(torch.tensor([ids]))[0].double().numpy()
    diff = float(np.abs(tl - logits).max())
    assert diff < 1e-4, "numpy and torch logits differ by %g" % diff
    gen = list(ids)
    for _ in range(8):
        gen.append(int(forward(meta, t, gen)[-1].argmax()))
    with open(path, "rb") as fp:
        sha = hashlib.sha256(fp.read()).hexdigest()
    out = {
        "prompt": PROMPT, "prompt_ids": ids, "n_vocab": int(logits.shape[1]),
        "argmax": [int(v) for v in logits.argmax(-1)],
        "logits_first64": [[round(float(v), 6) for v in row[:64]] for row in logits],
        "logits_last": [round(float(v), 6) for v in logits[-1]],
        "greedy_ids": gen[len(ids):], "greedy_text": tok.decode(gen[len(ids):]),
        "gguf_sha256": sha,
    }
    with open(os.path.join(ROOT, "tests", "data", "glm", "tiny_ref.json"), "w", encoding="utf-8") as fp:
        json.dump(out, fp, ensure_ascii=False)
    print("reference: %d prompt tokens, max |numpy - torch| = %.2e, greedy %r" % (
        len(ids), diff, out["greedy_text"]), file=sys.stderr)


if __name__ == "__main__":
    main()
