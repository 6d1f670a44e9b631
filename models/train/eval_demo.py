#!/usr/bin/env python3
"""Scores models/tianti-tiny.gguf on the demo suite (tasks/demo) in Python.

Called by models/train/build.sh (step 6); the figures go into
models/train/README.md and give the C harness numbers to agree with.  The
weights are read from the GGUF by reference.py's reader and run with the torch
model (same maths as reference.forward, faster).  Semantics follow
lm-evaluation-harness, zero-shot:
  generate_until: greedy decoding of the prompt, cut at the first `until`
    string, filters applied (remove_whitespace strips), exact string match;
  multiple_choice: loglikelihood of target_delimiter + choice after the
    prompt (trailing spaces of the prompt moved onto the continuation),
    acc = argmax ll, acc_norm = argmax ll / len(choice) in code points;
  chat tasks ("chat": true): the question in the chat template tianti
    applies to this vocabulary (chat_data.conversation, ending in
    "<|assistant|>\n"), greedy until an end-of-generation token
    (<|endoftext|>, <|user|>, <|system|>) or a stop string;
  the two-turn set (tasks/demo/data/chat_two_turn.jsonl), as MT-bench asks
    it: turn 2 follows the model's own answer to turn 1; exact match per turn.
Writes models/train/work/eval.json and prints a Markdown table.
Usage: eval_demo.py [MODEL.gguf | --ckpt [work/ckpt.pt]] [--limit N]
"""
import json
import os
import re
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from bpe import Tokenizer  # noqa: E402
from model import GLM  # noqa: E402
from reference import read_gguf  # noqa: E402
import chat_data  # noqa: E402

_TPL = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")


def lookup(doc, expr):
    v = doc
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", expr):
        v = v[int(part[1:-1])] if part.startswith("[") else v[part]
    return v


def render(tpl, doc):
    return _TPL.sub(lambda m: str(lookup(doc, m.group(1))), tpl)


def load_model(path):
    meta, t = read_gguf(path)
    a = "chatglm."
    cfg = {"vocab_size": len(meta["tokenizer.ggml.tokens"]), "dim": meta[a + "embedding_length"],
           "n_layers": meta[a + "block_count"], "n_heads": meta[a + "attention.head_count"],
           "n_kv_heads": meta[a + "attention.head_count_kv"], "ffn_dim": meta[a + "feed_forward_length"],
           "context_length": meta[a + "context_length"], "rope_base": meta[a + "rope.freq_base"],
           "norm_eps": meta[a + "attention.layer_norm_rms_epsilon"]}
    m = GLM(cfg)
    m.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in t.items()})
    m.eval()
    tok = Tokenizer(meta["tokenizer.ggml.tokens"], [x.split(" ") for x in meta["tokenizer.ggml.merges"]])
    return m, tok


def load_ckpt(path):
    st = torch.load(path)
    m = GLM(st["cfg"])
    m.load_state_dict(st["model"])
    m.eval()
    return m, Tokenizer.load(os.path.join(HERE, "work", "tokenizer.json"))


@torch.no_grad()
def greedy(m, tok, prompt, until, max_tokens, chat=False):
    ids = tok.encode(prompt, allow_special=chat)
    stop = {tok.eot}
    if chat:
        stop |= {tok.special_ids[s] for s in ("<|user|>", "<|system|>")}
    out = []
    for _ in range(max_tokens):
        nxt = int(m(torch.tensor([ids + out]))[0, -1].argmax())
        if nxt in stop:
            break
        out.append(nxt)
        text = tok.decode(out)
        if any(u in text for u in until):
            break
    text = tok.decode(out)
    for u in until:
        if u in text:
            text = text[:text.index(u)]
    return text


@torch.no_grad()
def loglik(m, tok, ctx, cont):
    stripped = ctx.rstrip(" ")
    cont = ctx[len(stripped):] + cont
    ctx = stripped
    c_ids = tok.encode(ctx)
    w_ids = tok.encode(ctx + cont)
    n_ids = w_ids[len(c_ids):]
    lp = m(torch.tensor([w_ids]))[0].log_softmax(-1)
    return float(sum(lp[len(c_ids) - 1 + i, t] for i, t in enumerate(n_ids)))


def run_task(m, tok, tdir, fname, limit=None):
    with open(os.path.join(tdir, fname), encoding="utf-8") as fp:
        t = json.load(fp)
    assert t.get("num_fewshot", 0) == 0, "eval_demo supports zero-shot only"
    with open(os.path.join(tdir, t["dataset"]["splits"][t["test_split"]]), encoding="utf-8") as fp:
        docs = [json.loads(l) for l in fp if l.strip()][:limit]
    res = {}
    if t["output_type"] == "generate_until":
        g = t["generation"]
        hits = 0
        chat = bool(t.get("chat"))
        for d in docs:
            if chat:
                prompt = chat_data.conversation([(render(t["doc_to_text"], d), "")])
            else:
                prompt = t.get("description", "") + render(t["doc_to_text"], d)
            pred = greedy(m, tok, prompt, g["until"], g["max_tokens"], chat)
            for f in t.get("filters", []):
                for step in f["filter"]:
                    if step["function"] == "remove_whitespace":
                        pred = pred.strip()
                    elif step["function"] == "regex":     # lm-eval's RegexFilter
                        found = re.findall(step["regex_pattern"], pred)
                        pred = found[step.get("group_select", 0)] if found else step.get("fallback", "[invalid]")
            hits += int(pred == render(t["doc_to_target"], d))
        res["exact_match"] = hits / len(docs)
    else:
        acc = accn = 0
        for d in docs:
            ctx = t.get("description", "") + render(t["doc_to_text"], d)
            ch = t["doc_to_choice"]
            choices = ch if isinstance(ch, list) else d[ch] if ch in d else json.loads(render(ch, d))
            gold = int(render(t["doc_to_target"], d))
            lls = [loglik(m, tok, ctx, t.get("target_delimiter", " ") + c) for c in choices]
            norm = [ll / len(c) for ll, c in zip(lls, choices)]
            acc += int(lls.index(max(lls)) == gold)
            accn += int(norm.index(max(norm)) == gold)
        res["acc"] = acc / len(docs)
        res["acc_norm"] = accn / len(docs)
    res["n"] = len(docs)
    return t["name"], res


def run_two_turn(m, tok, path, limit=None):
    with open(path, encoding="utf-8") as fp:
        qs = [json.loads(l) for l in fp if l.strip()][:limit]
    hits = [0, 0]
    for q in qs:
        turns = []
        for k, (u, ref) in enumerate(zip(q["turns"], q["reference"])):
            prompt = chat_data.conversation(turns + [(u, "")])
            a = greedy(m, tok, prompt, ["\n"], 16, True).strip()
            hits[k] += int(a == ref)
            turns.append((u, a))
    return {"turn1": hits[0] / len(qs), "turn2": hits[1] / len(qs), "n": len(qs)}


def main():
    torch.set_num_threads(1)
    args = sys.argv[1:]
    limit = None
    if "--limit" in args:
        i = args.index("--limit")
        limit = int(args[i + 1])
        del args[i:i + 2]
    if args and args[0] == "--ckpt":
        m, tok = load_ckpt(args[1] if len(args) > 1 else os.path.join(HERE, "work", "ckpt.pt"))
    else:
        m, tok = load_model(args[0] if args else os.path.join(ROOT, "models", "tianti-tiny.gguf"))
    tdir = os.path.join(ROOT, "tasks", "demo")
    with open(os.path.join(tdir, "demo.suite.json"), encoding="utf-8") as fp:
        suite = json.load(fp)
    results = {}
    print("| task | n | metric | score | chance |\n|---|---|---|---|---|")
    for f in suite["tasks"]:
        name, r = run_task(m, tok, tdir, f, limit)
        results[name] = r
        for k, v in r.items():
            if k != "n":
                chance = "0.25" if k.startswith("acc") else "~0"
                print("| %s | %d | %s | %.3f | %s |" % (name, r["n"], k, v, chance), flush=True)
    r = run_two_turn(m, tok, os.path.join(tdir, "data", "chat_two_turn.jsonl"), limit)
    results["chat_two_turn"] = r
    for k in ("turn1", "turn2"):
        print("| chat_two_turn | %d | exact_match %s | %.3f | ~0 |" % (r["n"], k, r[k]), flush=True)
    with open(os.path.join(HERE, "work", "eval.json"), "w") as fp:
        json.dump(results, fp, indent=1)


if __name__ == "__main__":
    main()
