#!/usr/bin/python3
"""make_corpus.py -- writes the seed corpus of tests/fuzz/fuzz_gguf.c into
tests/fuzz/corpus_gguf/: an empty GGUF, one with every metadata type, and a
micro chatglm model with a gpt2/tianti tokenizer (a few KB)."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_gguf")

def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b

def gguf(kvs, tensors):
    out = bytearray(struct.pack("<IIQQ", 0x46554747, 3, len(tensors), len(kvs)))
    for k, raw in kvs:
        out += s(k) + raw
    off, blobs = 0, []
    for name, dims, data in tensors:
        out += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", 0, off)
        blobs.append(data)
        off += (len(data) + 31) // 32 * 32
    out += b"\0" * ((32 - len(out) % 32) % 32)
    for d in blobs:
        out += d + b"\0" * ((32 - len(d) % 32) % 32)
    return bytes(out)

u32 = lambda v: struct.pack("<II", 4, v)
f32 = lambda v: struct.pack("<If", 6, v)
st = lambda v: struct.pack("<I", 8) + s(v)
def arr_str(items):
    return struct.pack("<IIQ", 9, 8, len(items)) + b"".join(s(i) for i in items)
def arr_i32(items):
    return struct.pack("<IIQ", 9, 5, len(items)) + b"".join(struct.pack("<i", i) for i in items)

def main():
    os.makedirs(OUT, exist_ok=True)
    open(os.path.join(OUT, "empty.gguf"), "wb").write(gguf([], []))
    kvs = [("a.u8", struct.pack("<IB", 0, 7)), ("a.i16", struct.pack("<Ih", 3, -2)), ("a.u32", u32(9)),
           ("a.f32", f32(0.5)), ("a.bool", struct.pack("<IB", 7, 1)), ("a.str", st("x")),
           ("a.u64", struct.pack("<IQ", 10, 5)), ("a.f64", struct.pack("<Id", 12, 0.25)),
           ("a.nested", struct.pack("<IIQ", 9, 9, 1) + struct.pack("<IQ", 0, 2) + b"\1\2"),
           ("general.alignment", u32(64))]
    open(os.path.join(OUT, "types.gguf"), "wb").write(gguf(kvs, [("t", [32], b"\0" * 128)]))
    D, FF, V = 32, 32, 8
    toks = ["a", "b", "c", "Ġ", "Ġa", "<|endoftext|>", "[gMASK]", "<|user|>"]
    kvs = [("general.architecture", st("chatglm")), ("chatglm.context_length", u32(16)),
           ("chatglm.embedding_length", u32(D)), ("chatglm.feed_forward_length", u32(FF)),
           ("chatglm.block_count", u32(1)), ("chatglm.attention.head_count", u32(2)),
           ("chatglm.attention.head_count_kv", u32(1)), ("chatglm.rope.dimension_count", u32(8)),
           ("chatglm.attention.layer_norm_rms_epsilon", f32(1e-5)), ("chatglm.rope.freq_base", f32(10000.0)),
           ("tokenizer.ggml.model", st("gpt2")), ("tokenizer.ggml.pre", st("tianti")),
           ("tokenizer.ggml.tokens", arr_str(toks)), ("tokenizer.ggml.token_type", arr_i32([1] * 5 + [3] * 3)),
           ("tokenizer.ggml.merges", arr_str(["Ġ a"])), ("tokenizer.ggml.eos_token_id", u32(5))]
    one = struct.pack("<f", 0.01)
    def t(name, *dims):
        n = 1
        for d in dims: n *= d
        return (name, list(dims), one * n)
    H, KVD = 2, 16
    tensors = [t("token_embd.weight", D, V), t("blk.0.attn_norm.weight", D), t("blk.0.attn_qkv.weight", D, D + 2 * KVD),
               t("blk.0.attn_qkv.bias", D + 2 * KVD), t("blk.0.attn_output.weight", D, D), t("blk.0.ffn_norm.weight", D),
               t("blk.0.ffn_up.weight", D, 2 * FF), t("blk.0.ffn_down.weight", FF, D), t("output_norm.weight", D),
               t("output.weight", D, V)]
    open(os.path.join(OUT, "micro_model.gguf"), "wb").write(gguf(kvs, tensors))

if __name__ == "__main__":
    main()
