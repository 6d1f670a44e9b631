#!/usr/bin/env python3
"""Writes the trained tianti-tiny checkpoint as a GGUF v3 file (all tensors F32).

Called by models/train/build.sh (step 4) after train.py.  Reads
models/train/work/{ckpt.pt,tokenizer.json}; writes models/tianti-tiny.gguf,
the default model of `tianti run`, loaded by the C engine (engines/glm*).

Layout (little-endian): magic "GGUF", version 3, tensor count (u64), metadata
count (u64), metadata key/values, tensor infos (name, n_dims, dims in ggml
order with ne[0] the contiguous dim, type, offset relative to the data
section), zero padding to general.alignment (32), tensor data with each
tensor starting at a multiple of 32.  A torch Linear weight [out, in] is
written row-major as is and listed with dims [in, out].
"""
import argparse
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bpe import Tokenizer  # noqa: E402
from model import rope_dim  # noqa: E402

T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, \
    T_ARRAY, T_UINT64, T_INT64, T_FLOAT64 = range(13)
ALIGN = 32
# GLM-4's layout, which tianti applies from the vocabulary's control tokens
# (engines/glm/tokenizer.c, glm_chat_tokens) and train.py's conversations use
CHAT_TEMPLATE = ("[gMASK]<sop>{% for message in messages %}<|{{ message['role'] }}|>\n"
                 "{{ message['content'] }}{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


def gstr(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv_value(vtype, v):
    if vtype == T_STRING:
        return gstr(v)
    if vtype == T_UINT32:
        return struct.pack("<I", v)
    if vtype == T_INT32:
        return struct.pack("<i", v)
    if vtype == T_FLOAT32:
        return struct.pack("<f", v)
    if vtype == T_BOOL:
        return struct.pack("<B", 1 if v else 0)
    raise ValueError("unsupported metadata type %d" % vtype)


def kv(key, vtype, v, etype=None):
    out = gstr(key) + struct.pack("<I", vtype)
    if vtype == T_ARRAY:
        out += struct.pack("<IQ", etype, len(v))
        out += b"".join(kv_value(etype, x) for x in v)
    else:
        out += kv_value(vtype, v)
    return out


def gguf_tensors(state, n_layers):
    """(gguf name, float32 array in torch layout) in file order."""
    out = [("token_embd.weight", state["token_embd.weight"])]
    for i in range(n_layers):
        p = "blk.%d." % i
        for n in ("attn_norm.weight", "attn_qkv.weight", "attn_qkv.bias", "attn_output.weight",
                  "ffn_norm.weight", "ffn_up.weight", "ffn_down.weight"):
            out.append((p + n, state[p + n]))
    out.append(("output_norm.weight", state["output_norm.weight"]))
    out.append(("output.weight", state["output.weight"]))
    return [(n, t.detach().cpu().float().numpy()) for n, t in out]


def write_gguf(path, cfg, state, tok):
    eot = tok.eot
    meta = [
        kv("general.architecture", T_STRING, "chatglm"),
        kv("general.name", T_STRING, "tianti-tiny"),
        kv("general.file_type", T_UINT32, 0),
        kv("general.alignment", T_UINT32, ALIGN),
        kv("chatglm.context_length", T_UINT32, cfg["context_length"]),
        kv("chatglm.embedding_length", T_UINT32, cfg["dim"]),
        kv("chatglm.feed_forward_length", T_UINT32, cfg["ffn_dim"]),
        kv("chatglm.block_count", T_UINT32, cfg["n_layers"]),
        kv("chatglm.attention.head_count", T_UINT32, cfg["n_heads"]),
        kv("chatglm.attention.head_count_kv", T_UINT32, cfg["n_kv_heads"]),
        kv("chatglm.attention.layer_norm_rms_epsilon", T_FLOAT32, cfg["norm_eps"]),
        kv("chatglm.rope.dimension_count", T_UINT32, rope_dim(cfg)),
        kv("chatglm.rope.freq_base", T_FLOAT32, cfg["rope_base"]),
        kv("tokenizer.ggml.model", T_STRING, "gpt2"),
        kv("tokenizer.ggml.pre", T_STRING, "tianti"),
        kv("tokenizer.ggml.tokens", T_ARRAY, tok.tokens, T_STRING),
        kv("tokenizer.ggml.token_type", T_ARRAY, [tok.token_type(i) for i in range(len(tok.tokens))],
           T_INT32),
        kv("tokenizer.ggml.merges", T_ARRAY, ["%s %s" % m for m in tok.merges], T_STRING),
        kv("tokenizer.ggml.bos_token_id", T_UINT32, eot),
        kv("tokenizer.ggml.eos_token_id", T_UINT32, eot),
        kv("tokenizer.ggml.padding_token_id", T_UINT32, eot),
        kv("tokenizer.ggml.unknown_token_id", T_UINT32, eot),
        kv("tokenizer.ggml.add_bos_token", T_BOOL, False),
        kv("tokenizer.chat_template", T_STRING, CHAT_TEMPLATE),
    ]
    tensors = gguf_tensors(state, cfg["n_layers"])
    infos, blobs, off = [], [], 0
    for name, arr in tensors:
        dims = list(reversed(arr.shape))  # ggml order: ne[0] = last (contiguous) torch dim
        infos.append(gstr(name) + struct.pack("<I", len(dims)) +
                     b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", 0, off))
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        pad = (ALIGN - len(b) % ALIGN) % ALIGN
        blobs.append(b + b"\0" * pad)
        off += len(b) + pad
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta)) + b"".join(meta) + b"".join(infos)
    head += b"\0" * ((ALIGN - len(head) % ALIGN) % ALIGN)
    tmp = path + ".tmp"
    with open(tmp, "wb") as fp:
        fp.write(head)
        for b in blobs:
            fp.write(b)
    os.replace(tmp, path)
    return len(head) + off


def main():
    root = os.path.dirname(os.path.dirname(HERE))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "work", "ckpt.pt"))
    ap.add_argument("--out", default=os.path.join(root, "models", "tianti-tiny.gguf"))
    args = ap.parse_args()
    st = torch.load(args.ckpt)
    tok = Tokenizer.load(os.path.join(HERE, "work", "tokenizer.json"))
    n = write_gguf(args.out, st["cfg"], st["model"], tok)
    print("export_gguf: wrote %s (%d bytes, step %d)" % (args.out, n, st["step"]), file=sys.stderr)


if __name__ == "__main__":
    main()
