#!/usr/bin/env python3
"""PyTorch definition of the tianti-tiny GLM model (llama.cpp's `chatglm` arch).

Imported by train.py (training), export_gguf.py (writing the GGUF) and
reference.py (the torch side of the NumPy cross-check).  The block is the
ChatGLM2/3 block: RMSNorm -> fused QKV with bias -> RoPE (GPT-J style, adjacent
pairs) on the first rope_dim dims of each head -> grouped-query causal attention
(scale 1/sqrt(head_dim)) -> output projection without bias -> residual;
RMSNorm -> fused [gate | up] -> silu(gate) * up -> down projection -> residual.
Final RMSNorm and an untied output head.  Parameter names map one to one onto
GGUF tensor names (see export_gguf.py).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_CONFIG = {
    "vocab_size": 1213,  # replaced by the tokenizer's size in train.py
    "dim": 192,
    "n_layers": 4,
    "n_heads": 6,
    "n_kv_heads": 2,
    "ffn_dim": 512,
    "context_length": 256,
    "rope_base": 10000.0,
    "norm_eps": 1e-5,
}


def rope_dim(cfg):
    return (cfg["dim"] // cfg["n_heads"]) // 2


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, n_pos):
    rd = rope_dim(cfg)
    inv = cfg["rope_base"] ** (-torch.arange(0, rd, 2, dtype=torch.float64) / rd)
    ang = torch.arange(n_pos, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin, rd):
    """x: [B, H, T, hd]; rotate adjacent pairs (2i, 2i+1) for i < rd/2."""
    xr, xp = x[..., :rd], x[..., rd:]
    x0, x1 = xr[..., 0::2], xr[..., 1::2]
    c, s = cos[: x.shape[2]], sin[: x.shape[2]]
    y0 = x0 * c - x1 * s
    y1 = x0 * s + x1 * c
    yr = torch.stack([y0, y1], dim=-1).flatten(-2)
    return torch.cat([yr, xp], dim=-1)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, h, kv = cfg["dim"], cfg["n_heads"], cfg["n_kv_heads"]
        self.h, self.kv, self.hd = h, kv, d // h
        self.rd = rope_dim(cfg)
        self.attn_norm = RMSNorm(d, cfg["norm_eps"])
        self.attn_qkv = nn.Linear(d, d + 2 * kv * self.hd, bias=True)
        self.attn_output = nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg["norm_eps"])
        self.ffn_up = nn.Linear(d, 2 * cfg["ffn_dim"], bias=False)
        self.ffn_down = nn.Linear(cfg["ffn_dim"], d, bias=False)

    def forward(self, x, cos, sin):
        B, T, D = x.shape
        hd, h, kv = self.hd, self.h, self.kv
        qkv = self.attn_qkv(self.attn_norm(x))
        q = qkv[..., :D].view(B, T, h, hd).transpose(1, 2)
        k = qkv[..., D:D + kv * hd].view(B, T, kv, hd).transpose(1, 2)
        v = qkv[..., D + kv * hd:].view(B, T, kv, hd).transpose(1, 2)
        q = apply_rope(q, cos, sin, self.rd)
        k = apply_rope(k, cos, sin, self.rd)
        rep = h // kv  # query head i uses kv head i // rep
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.attn_output(o)
        g, u = self.ffn_up(self.ffn_norm(x)).chunk(2, dim=-1)
        return x + self.ffn_down(F.silu(g) * u)


class GLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        self.token_embd = nn.Embedding(cfg["vocab_size"], cfg["dim"])
        self.blk = nn.ModuleList([Block(cfg) for _ in range(cfg["n_layers"])])
        self.output_norm = RMSNorm(cfg["dim"], cfg["norm_eps"])
        self.output = nn.Linear(cfg["dim"], cfg["vocab_size"], bias=False)
        cos, sin = rope_tables(cfg, cfg["context_length"])
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02
                if name.endswith("attn_output.weight") or name.endswith("ffn_down.weight"):
                    std = 0.02 / math.sqrt(2 * cfg["n_layers"])
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx):
        x = self.token_embd(idx)
        for b in self.blk:
            x = b(x, self.cos, self.sin)
        return self.output(self.output_norm(x))

    def n_params(self):
        return sum(p.numel() for p in self.parameters())
