#!/usr/bin/env python3
"""Optional cross-check of the GLM maths against real llama.cpp (by hand, not
part of build.sh or the tests: it needs npm and a download).

Writes a copy of the checkpoint as GGUF with tokenizer.ggml.pre set to
"chatglm-bpe" (llama.cpp does not know "tianti"; token ids are fed directly,
so the pre-tokenizer is never used) plus NumPy next-token probabilities of two
prompts (reference.forward) into $CMP_DIR (default /tmp/tianti-llamacpp).
compare_llamacpp.mjs then runs llama.cpp through node-llama-cpp 3.21.1 and
prints the largest probability difference.  Steps:
  (cd $CMP_DIR && npm i -E node-llama-cpp@3.21.1 --ignore-scripts)
  /usr/bin/python3 models/train/compare_llamacpp.py [ckpt.pt]
  cp models/train/compare_llamacpp.mjs $CMP_DIR/ && node $CMP_DIR/compare_llamacpp.mjs
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("CMP_DIR", "/tmp/tianti-llamacpp")
sys.path.insert(0, HERE)
import export_gguf as E  # noqa: E402
from bpe import Tokenizer  # noqa: E402
from reference import forward, read_gguf  # noqa: E402

os.makedirs(OUT, exist_ok=True)
orig = E.kv


def kv(key, vtype, v, etype=None):
    if key == "tokenizer.ggml.pre":
        v = "chatglm-bpe"
    return orig(key, vtype, v, etype)


E.kv = kv
st = torch.load(sys.argv[1] if len(sys.argv) > 1 else HERE + "/work/ckpt.pt")
tok = Tokenizer.load(HERE + "/work/tokenizer.json")
E.write_gguf(OUT + "/t.gguf", st["cfg"], st["model"], tok)
meta, t = read_gguf(OUT + "/t.gguf")
prompts = ["Question: What is the capital of France?\nA. Berlin\nB. Paris\nC. Tokyo\nD. Rome\nAnswer:", "计算：12+35=47\n问题：法国的首都是哪里？"]
out = []
for p in prompts:
    ids = tok.encode(p)
    lg = forward(meta, t, ids)
    pr = np.exp(lg - lg.max(-1, keepdims=True)); pr /= pr.sum(-1, keepdims=True)
    out.append({"ids": ids, "probs": pr.tolist()})
json.dump(out, open(OUT + "/ref.json", "w"))
