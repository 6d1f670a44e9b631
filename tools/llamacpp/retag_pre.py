#!/usr/bin/env python3
"""retag_pre.py — copies a GGUF with tokenizer.ggml.pre replaced, so that
llama.cpp loads a model whose pre-tokenizer it does not know (Tianti's own
"tianti"): logprobs_cases.mjs feeds token ids, so the pre-tokenizer is never
used. Tensor data is copied unchanged, realigned after the new header.

Usage: retag_pre.py IN.gguf OUT.gguf [PRE]   (PRE defaults to chatglm-bpe)
"""
import struct
import sys

from make_glm4_vocab import Reader, enc_kv, T_STRING


def main():
    src, dst = sys.argv[1], sys.argv[2]
    pre = sys.argv[3] if len(sys.argv) > 3 else "chatglm-bpe"
    data = open(src, "rb").read()
    r = Reader(data)
    assert data[:4] == b"GGUF"
    r.p = 4
    ver, nt, nkv = r.take("<I"), r.take("<Q"), r.take("<Q")
    kvs = []
    for _ in range(nkv):
        k = r.string()
        kvs.append((k, r.value(r.take("<I"))))
    info_start = r.p
    for _ in range(nt):
        r.string()
        nd = r.take("<I")
        for _ in range(nd):
            r.take("<Q")
        r.take("<I")
        r.take("<Q")
    infos = data[info_start:r.p]
    align = dict(kvs).get("general.alignment", (4, 32))[1]
    old_base = r.p + (align - r.p % align) % align
    kvs = [(k, (T_STRING, pre) if k == "tokenizer.ggml.pre" else v) for k, v in kvs]
    head = struct.pack("<4sIQQ", b"GGUF", ver, nt, len(kvs)) + b"".join(enc_kv(k, v) for k, v in kvs) + infos
    head += b"\0" * ((align - len(head) % align) % align)
    with open(dst, "wb") as f:
        f.write(head + data[old_base:])


if __name__ == "__main__":
    main()
