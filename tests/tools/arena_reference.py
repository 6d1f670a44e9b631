#!/usr/bin/python3
"""arena_reference.py — independent reference values for tests/unit/test_arena_*.c.

Generates a synthetic Chatbot-Arena-style battle log (tests/data/arena/synthetic.jsonl)
and computes, with NumPy and methods different from the C code:
  - Bradley–Terry MLE by Zermelo's minorise–maximise iteration on strengths
    pi_i (ties as half a win), not Newton; ratings 400*log10(pi) centred on 1000;
  - the same with ties excluded;
  - online Elo (K=4, base 10, scale 400, init 1000) by a plain Python loop
    over the battles in stable tstamp order;
  - the win-fraction and battle-count matrices without ties;
  - asymptotic standard errors of the BT ratings from the inverse Fisher
    information (pseudo-inverse of the weighted Laplacian), against which the
    bootstrap spread is checked.
Writes tests/data/arena/synthetic_reference.json. Run with Debian's
/usr/bin/python3 (needs numpy); the outputs are committed.
"""
import json
import math
import os
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "arena")

MODELS = ["gpt-x", "claude-y", "llama-z", "qwen-q", "mistral-m", "glm-g", "tiny-t", "phi-p"]
STRENGTH = [1.2, 1.0, 0.4, 0.5, 0.0, 0.3, -1.0, -0.6]  # natural-log units
NEVER_MET = {("tiny-t", "phi-p")}


def generate(n=2000, seed=20261128):
    rng = np.random.default_rng(seed)
    battles = []
    t = 1_700_000_000.0
    while len(battles) < n:
        i, j = rng.choice(len(MODELS), size=2, replace=False)
        a, b = MODELS[i], MODELS[j]
        if (a, b) in NEVER_MET or (b, a) in NEVER_MET:
            continue
        d = STRENGTH[i] - STRENGTH[j]
        p_tie = 0.15
        u = rng.random()
        if u < p_tie:
            winner = "tie" if rng.random() < 0.7 else "tie (bothbad)"
        else:
            p_a = 1 / (1 + math.exp(-d))
            winner = "model_a" if rng.random() < p_a else "model_b"
        # several battles share a second (stable order matters for Elo)
        t += float(rng.integers(0, 400))
        battles.append({"model_a": a, "model_b": b, "winner": winner, "tstamp": t,
                        "anony": True})
    return battles


def score(w):
    return 1.0 if w == "model_a" else 0.0 if w == "model_b" else 0.5


def bt_mm(battles, models):
    k = {m: i for i, m in enumerate(models)}
    n = len(models)
    W = np.zeros(n)
    N = np.zeros((n, n))
    for b in battles:
        i, j, s = k[b["model_a"]], k[b["model_b"]], score(b["winner"])
        W[i] += s
        W[j] += 1 - s
        N[i, j] += 1
        N[j, i] += 1
    pi = np.ones(n)
    for it in range(2_000_000):
        denom = (N / (pi[:, None] + pi[None, :])).sum(axis=1)
        pi = W / denom
        pi /= np.exp(np.mean(np.log(pi)))
        if it % 100 == 0:
            P = pi[:, None] / (pi[:, None] + pi[None, :])
            grad = W - (N * P).sum(axis=1)
            if np.max(np.abs(grad)) / N.sum() * 2 < 1e-14:
                break
    r = np.log(pi)  # natural units
    r -= r.mean()
    ratings = 400 / math.log(10) * r + 1000
    # Fisher information in natural units (mean-zero gauge): weighted Laplacian
    P = pi[:, None] / (pi[:, None] + pi[None, :])
    L = -(N * P * P.T)
    np.fill_diagonal(L, 0)
    np.fill_diagonal(L, -L.sum(axis=1))
    cov = np.linalg.pinv(L)
    se = 400 / math.log(10) * np.sqrt(np.diag(cov))
    return ratings, se


def elo(battles, models):
    r = {m: 1000.0 for m in models}
    order = sorted(range(len(battles)), key=lambda i: battles[i]["tstamp"])  # stable
    for i in order:
        b = battles[i]
        a, c = b["model_a"], b["model_b"]
        ea = 1 / (1 + 10 ** ((r[c] - r[a]) / 400))
        sa = score(b["winner"])
        r[a] += 4 * (sa - ea)
        r[c] -= 4 * (sa - ea)
    return [r[m] for m in models]


def matrices(battles, models):
    k = {m: i for i, m in enumerate(models)}
    n = len(models)
    wins = np.zeros((n, n))
    cnt = np.zeros((n, n))
    for b in battles:
        if "tie" in b["winner"]:
            continue
        i, j = k[b["model_a"]], k[b["model_b"]]
        cnt[i, j] += 1
        cnt[j, i] += 1
        if b["winner"] == "model_a":
            wins[i, j] += 1
        else:
            wins[j, i] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = wins / cnt
    np.fill_diagonal(frac, np.nan)
    return frac, cnt


def main():
    os.makedirs(OUT, exist_ok=True)
    battles = generate()
    with open(os.path.join(OUT, "synthetic.jsonl"), "w") as f:
        for b in battles:
            f.write(json.dumps(b) + "\n")
    models = MODELS
    bt, se = bt_mm(battles, models)
    no_ties = [b for b in battles if "tie" not in b["winner"]]
    bt_nt, _ = bt_mm(no_ties, models)
    frac, cnt = matrices(battles, models)
    nb = {m: 0 for m in models}
    for b in battles:
        nb[b["model_a"]] += 1
        nb[b["model_b"]] += 1
    ref = {
        "models": models,
        "n_battles": len(battles),
        "battles_per_model": [nb[m] for m in models],
        "bt": list(bt),
        "bt_se": list(se),
        "bt_exclude_ties": list(bt_nt),
        "elo": elo(battles, models),
        "win_fraction": [[None if math.isnan(x) else x for x in row] for row in frac],
        "battle_count": cnt.astype(int).tolist(),
    }
    with open(os.path.join(OUT, "synthetic_reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    print("bt", np.round(bt, 3))
    print("se", np.round(se, 2))
    print("elo", np.round(ref["elo"], 3))


if __name__ == "__main__":
    main()
