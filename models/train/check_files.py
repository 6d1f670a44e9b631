#!/usr/bin/env python3
"""Consistency checks of the committed tiny-model files, run by
tests/integration/tiny_model_files.sh (and usable by hand):
  1. the tokenizer rebuilt from the GGUF's metadata encodes every string of
     tests/data/tokenizer_cases.jsonl to the committed ids, and decodes back;
  2. the NumPy forward pass of models/tianti-tiny.gguf reproduces
     tests/data/glm/tiny_ref.json (argmax per position, logits within 1e-4).
Exits 0 when all hold, 1 with a message naming the first mismatch.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from bpe import Tokenizer  # noqa: E402
from reference import forward, read_gguf  # noqa: E402


def main():
    meta, t = read_gguf(os.path.join(ROOT, "models", "tianti-tiny.gguf"))
    tok = Tokenizer(meta["tokenizer.ggml.tokens"], [m.split(" ") for m in meta["tokenizer.ggml.merges"]])
    n = 0
    with open(os.path.join(ROOT, "tests", "data", "tokenizer_cases.jsonl"), encoding="utf-8") as fp:
        for ln, line in enumerate(fp, 1):
            c = json.loads(line)
            ids = tok.encode(c["text"])
            if ids != c["ids"]:
                sys.exit("check_files: tokenizer_cases.jsonl line %d: got %r want %r" % (ln, ids, c["ids"]))
            if tok.decode(ids) != c["text"]:
                sys.exit("check_files: tokenizer_cases.jsonl line %d: decode differs" % ln)
            n += 1
    with open(os.path.join(ROOT, "tests", "data", "glm", "tiny_ref.json"), encoding="utf-8") as fp:
        ref = json.load(fp)
    if tok.encode(ref["prompt"]) != ref["prompt_ids"]:
        sys.exit("check_files: tiny_ref.json prompt_ids differ from the tokenizer's")
    lg = forward(meta, t, ref["prompt_ids"])
    if [int(v) for v in lg.argmax(-1)] != ref["argmax"]:
        sys.exit("check_files: tiny_ref.json argmax differs")
    d1 = np.abs(lg[:, :64] - np.array(ref["logits_first64"])).max()
    d2 = np.abs(lg[-1] - np.array(ref["logits_last"])).max()
    if max(d1, d2) > 1e-4:
        sys.exit("check_files: tiny_ref.json logits differ by %g" % max(d1, d2))
    print("check_files: %d tokenizer cases and %d reference positions agree (max diff %.1e)" % (
        n, len(ref["prompt_ids"]), max(d1, d2)))


if __name__ == "__main__":
    main()
