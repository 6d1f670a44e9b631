#!/usr/bin/env python3
"""Trains tianti-tiny on the generated corpus (CPU, a few threads).

Called by models/train/build.sh (step 3) after gen_data.py and bpe.py.  Reads
models/train/work/{corpus.jsonl,tokenizer.json}; writes
models/train/work/ckpt.pt (model + optimiser + step; training resumes from it
when it exists) and models/train/work/train_log.tsv (step, lr, train loss,
held-out loss, seconds).  The train loss is weighted (see loss_weights); the
held-out loss is the plain mean cross-entropy per token.  The held-out loss is measured on the last 2% of
corpus documents, which training never sees.

Usage: train.py [--steps N] [--batch B] [--seq T] [--lr LR] [--threads K]
                [--late-from S --late-letter-weight W] [--focus-from F --focus-prob P]
                [--chat-prob C] [--bench]
--bench times 5 steps and exits.  From step S on (default 600) the answer
letters weigh W (default 20) instead of 5: in two runs the model had learned
the facts by step 600 but still answered every multiple-choice item with the
same letter.  From step F (--focus-from, default 900) a share
(--focus-prob, default 0.5) of the windows comes from work/focus.jsonl:
multiple-choice items only, including 2- and 3-option lookup items.  A share
C (--chat-prob, build.sh: 0.3) of the windows comes from work/chat.jsonl from
step 0: conversations in the chat template (chat_data.py), weighted by
chat_weights.  build.sh's recipe: a 5000-step cosine; chat 0.3 throughout;
focus 0.35 from step 200, 0.5 from step 2500 (a second run resuming from the
checkpoint); stop at 5500.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bpe import Tokenizer  # noqa: E402
from model import DEFAULT_CONFIG, GLM  # noqa: E402

WORK = os.path.join(HERE, "work")


def load_tokens(tok, name="corpus", special=False):
    """Token stream of work/NAME.jsonl: <|endoftext|> doc <|endoftext|> doc ...;
    cached in work/tokens[_NAME].npz.  split: start of the held-out 2 %.
    special: control tokens written in the text ([gMASK], <|user|>...) are
    tokens (the chat stream); otherwise they are plain text."""
    cache = os.path.join(WORK, "tokens.npz" if name == "corpus" else "tokens_%s.npz" % name)
    if os.path.exists(cache):
        z = np.load(cache)
        return z["ids"], z["starts"], int(z["split"])
    ids, starts = [], []
    with open(os.path.join(WORK, name + ".jsonl"), encoding="utf-8") as fp:
        docs = [json.loads(l)["text"] for l in fp]
    split_doc = int(len(docs) * 0.98)
    split = 0
    for i, d in enumerate(docs):
        if i == split_doc:
            split = len(ids)
        ids.append(tok.eot)
        starts.append(len(ids))
        ids.extend(tok.encode(d, allow_special=special))
    ids = np.array(ids, dtype=np.int32)
    starts = np.array(starts, dtype=np.int64)
    np.savez(cache, ids=ids, starts=starts, split=split)
    return ids, starts, split


def loss_weights(tok, ids):
    """Per-target weights: 5 for a multiple-choice answer letter (A-D or " A"-" D"
    right after ':' or '：'), 2 for the digits of an arithmetic result (after
    '=' up to the line end), 1 elsewhere.  These few tokens carry the skills
    the demo suite scores, and are a small share of the stream."""
    letters = set(tok.encode(c)[0] for c in ["A", "B", "C", "D", " A", " B", " C", " D"]
                  if len(tok.encode(c)) == 1)
    colons = {tok.encode(":")[0], tok.encode("：")[0]}
    eq, nl = tok.encode("=")[0], tok.encode("\n")[0]
    w = np.ones(len(ids), dtype=np.float32)
    in_result = False
    prev = -1
    for i, t in enumerate(ids.tolist()):
        if t in letters and prev in colons:
            w[i] = 5.0
        if in_result:
            if t == nl or t == tok.eot:
                in_result = False
            else:
                w[i] = 2.0
        if t == eq:
            in_result = True
        prev = t
    return w


def chat_weights(tok, ids):
    """Per-target weights of the chat stream: 3 for every token of an
    assistant's answer, including the token that ends it (<|user|> or
    <|endoftext|>: the model must learn to stop), 5 for an answer that is a
    multiple-choice letter (raised with the completion letters after
    --late-from), 1 for the rest (questions, template tokens)."""
    letters = set(tok.encode(c)[0] for c in ["A", "B", "C", "D"])
    asst, user, nl = tok.special_ids["<|assistant|>"], tok.special_ids["<|user|>"], tok.encode("\n")[0]
    w = np.ones(len(ids), dtype=np.float32)
    in_answer, first = False, False
    lst = ids.tolist()
    for i, t in enumerate(lst):
        if in_answer:
            if first and t == nl:
                continue
            if first and t in letters and (i + 1 == len(lst) or lst[i + 1] in (user, tok.eot)):
                w[i] = 5.0
            else:
                w[i] = 3.0
            first = False
            if t in (user, tok.eot):
                in_answer = False
        if t == asst:
            in_answer, first = True, True
    return w


def batch(rng, ids, starts, lo, hi, B, T, wts=None):
    """B windows of T+1 tokens from ids[lo:hi]; half start right after a document boundary."""
    ok = starts[(starts >= lo) & (starts < hi - T - 1)]
    x = np.empty((B, T + 1), dtype=np.int64)
    w = np.empty((B, T), dtype=np.float32)
    for b in range(B):
        if rng.random() < 0.5:
            s = int(ok[rng.randrange(len(ok))])
        else:
            s = rng.randrange(lo, hi - T - 1)
        x[b] = ids[s:s + T + 1]
        if wts is not None:
            w[b] = wts[s + 1:s + T + 1]
    x = torch.from_numpy(x)
    if wts is not None:
        return x[:, :-1], x[:, 1:], torch.from_numpy(w)
    return x[:, :-1], x[:, 1:]


def lr_at(step, steps, lr, warm):
    if step < warm:
        return lr * (step + 1) / warm
    p = (step - warm) / max(1, steps - warm)
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


@torch.no_grad()
def eval_loss(model, ids, starts, lo, hi, T, n=8):
    model.eval()
    rng = random.Random(1234)
    tot = 0.0
    for _ in range(n):
        x, y = batch(rng, ids, starts, lo, hi, 16, T)
        tot += F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item()
    model.train()
    return tot / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--late-from", type=int, default=600,
                    help="from this step on, answer letters weigh --late-letter-weight")
    ap.add_argument("--late-letter-weight", type=float, default=20.0)
    ap.add_argument("--focus-from", type=int, default=900,
                    help="from this step on, --focus-prob of the windows come from work/focus.jsonl")
    ap.add_argument("--focus-prob", type=float, default=0.5)
    ap.add_argument("--cosine-steps", type=int, default=0,
                    help="length of the cosine decay (default --steps); past it the lr stays at 10 %%")
    ap.add_argument("--chat-prob", type=float, default=0.0,
                    help="share of the windows that come from work/chat.jsonl (conversations)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tok = Tokenizer.load(os.path.join(WORK, "tokenizer.json"))
    ids, starts, split = load_tokens(tok)
    wts = loss_weights(tok, ids)
    f_ids, f_starts, _ = load_tokens(tok, "focus")
    f_wts = loss_weights(tok, f_ids)
    c_ids, c_starts, _ = load_tokens(tok, "chat", special=True) if args.chat_prob > 0 else (None, None, 0)
    c_wts = chat_weights(tok, c_ids) if args.chat_prob > 0 else None
    cfg = dict(DEFAULT_CONFIG, vocab_size=len(tok.tokens))
    model = GLM(cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    nodecay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    ckpt = os.path.join(WORK, "ckpt.pt")
    step, elapsed = 0, 0.0
    if os.path.exists(ckpt) and not args.bench:
        st = torch.load(ckpt)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, elapsed = st["step"], st["elapsed"]
        print("train: resumed at step %d" % step, file=sys.stderr)
    rng = random.Random(1000 + step)
    print("train: %d params, %d tokens (%d train), vocab %d" % (
        model.n_params(), len(ids), split, cfg["vocab_size"]), file=sys.stderr)
    logp = os.path.join(WORK, "train_log.tsv")
    if step == 0 and not args.bench:
        with open(logp, "w") as fp:
            fp.write("step\tlr\ttrain_loss_weighted\theldout_loss\tseconds\n")
    t0 = time.time() - elapsed
    run = 0.0
    nrun = 0
    while step < args.steps:
        lr = lr_at(step, args.cosine_steps or args.steps, args.lr, 100)
        for g in opt.param_groups:
            g["lr"] = lr
        nf = nc = 0
        for _ in range(args.batch):
            u = rng.random()
            if u < args.chat_prob:
                nc += 1
            elif step >= args.focus_from and u < args.chat_prob + args.focus_prob:
                nf += 1
        x, y, w = batch(rng, ids, starts, 0, split, args.batch - nf - nc, args.seq, wts)
        if nf:
            fx, fy, fw = batch(rng, f_ids, f_starts, 0, len(f_ids), nf, args.seq, f_wts)
            x, y, w = torch.cat([x, fx]), torch.cat([y, fy]), torch.cat([w, fw])
        if nc:
            cx, cy, cw = batch(rng, c_ids, c_starts, 0, len(c_ids), nc, args.seq, c_wts)
            x, y, w = torch.cat([x, cx]), torch.cat([y, cy]), torch.cat([w, cw])
        if step >= args.late_from:
            w = torch.where(w == 5.0, torch.full_like(w, args.late_letter_weight), w)
        ce = F.cross_entropy(model(x).flatten(0, 1), y.flatten(), reduction="none")
        loss = (ce * w.flatten()).sum() / w.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        run += loss.item()
        nrun += 1
        if args.bench and step == 5:
            dt = time.time() - t0
            print("train: bench %.3f s/step (%d tokens/step)" % (dt / 5, args.batch * args.seq))
            return
        if step % args.eval_every == 0 or step == args.steps:
            vl = eval_loss(model, ids, starts, split, len(ids), args.seq)
            el = time.time() - t0
            print("step %5d lr %.2e train %.4f heldout %.4f  %.0fs" % (
                step, lr, run / nrun, vl, el), file=sys.stderr, flush=True)
            with open(logp, "a") as fp:
                fp.write("%d\t%.3e\t%.4f\t%.4f\t%.0f\n" % (step, lr, run / nrun, vl, el))
            run, nrun = 0.0, 0
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "elapsed": el, "cfg": cfg}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)


if __name__ == "__main__":
    main()
