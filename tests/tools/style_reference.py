#!/usr/bin/python3
"""style_reference.py — reference numbers for style control (tests/unit/test_arena_style.c).

Writes tests/data/arena/style.jsonl, a synthetic Chatbot-Arena-style battle
file whose records carry FastChat's conv_metadata (answer tokens, and header,
list and bold counts, some as per-kind dictionaries as add_markdown_info.py
writes them), where longer and more formatted answers win more often than
the models' strengths alone say; and tests/data/arena/style_reference.json
with the style-controlled Bradley-Terry fit of Chatbot Arena's method
(FastChat rating_systems.py, as ../shared/reference/arena.md section 1.6
describes it), re-implemented here with NumPy:
  - features: for tokens, headers, lists, bold, (a - b) / (a + b + 1),
    then z-scored with the mean and population standard deviation;
  - model: p = sigmoid(ln10 (r_a - r_b) + f . beta), labels 1 / 0.5 / 0,
    one row per battle;
  - loss: summed log-loss + (reg / 2) ||(r, beta)||^2 with reg = 0.5;
  - solved to the exact optimum by iteratively reweighted least squares on
    the dense design matrix [ln10 (e_a - e_b), f] (a different route from
    the C code's per-battle Hessian accumulation), until the gradient is
    below 1e-12 per battle;
  - ratings 400 r + 1000.
With SciPy present it also runs FastChat's own optimiser settings (L-BFGS-B,
maxiter 100, gtol 1e-6) on the same loss and records how far that stops from
the optimum, in rating points. Run with Debian's /usr/bin/python3 (numpy;
scipy optional); the outputs are committed.
"""
import json
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "arena")
MODELS = ["atlas", "borealis", "cirrus", "delta", "ember", "fjord"]
STRENGTH = [0.5, 0.3, 0.0, -0.1, -0.3, -0.4]          # natural-log units
VERBOSITY = [1.4, 0.8, 1.0, 1.2, 0.6, 1.1]           # how long and formatted each model writes
LN10 = math.log(10.0)
REG = 0.5
KEYS = [("sum_assistant_a_tokens", "sum_assistant_b_tokens"), ("header_count_a", "header_count_b"),
        ("list_count_a", "list_count_b"), ("bold_count_a", "bold_count_b")]


def style_counts(rng, m):
    v = VERBOSITY[m]
    tokens = int(rng.lognormal(math.log(300 * v), 0.5))
    headers = int(rng.poisson(2.0 * v))
    lists = int(rng.poisson(4.0 * v))
    bold = int(rng.poisson(1.5 * v))
    return tokens, headers, lists, bold


def generate(n=3000, seed=20261202):
    rng = np.random.default_rng(seed)
    battles = []
    t = 1_710_000_000.0
    for k in range(n):
        i, j = rng.choice(len(MODELS), size=2, replace=False)
        sa, sb = style_counts(rng, i), style_counts(rng, j)
        length_edge = 0.6 * (sa[0] - sb[0]) / (sa[0] + sb[0] + 1)
        format_edge = 0.1 * (sa[2] - sb[2]) / (sa[2] + sb[2] + 1)
        z = STRENGTH[i] - STRENGTH[j] + length_edge + format_edge
        p = 1 / (1 + math.exp(-z))
        u = rng.random()
        winner = "tie" if u < 0.06 else "tie (bothbad)" if u < 0.09 else \
            ("model_a" if rng.random() < p else "model_b")
        t += float(rng.integers(1, 90))
        md = {}
        for side, counts in ((0, sa), (1, sb)):
            md[KEYS[0][side]] = counts[0]
            # headers and lists as add_markdown_info.py writes them: counts per kind
            h = counts[1]
            md[KEYS[1][side]] = {"h1": h // 3, "h2": h - h // 3 - h // 4, "h3": h // 4, "h4": 0, "h5": 0, "h6": 0}
            lc = counts[2]
            md[KEYS[2][side]] = {"ordered": lc // 2, "unordered": lc - lc // 2}
            md[KEYS[3][side]] = {"**": counts[3], "__": 0} if k % 2 else counts[3]
        battles.append({"model_a": MODELS[i], "model_b": MODELS[j], "winner": winner, "tstamp": t,
                        "judge": "voter-%d" % int(rng.integers(0, 200)), "conv_metadata": md})
    return battles


def total(v):
    return sum(v.values()) if isinstance(v, dict) else v


def design(battles):
    names = []
    for b in battles:                      # ids as pd.factorize(concat(model_a, model_b))
        if b["model_a"] not in names:
            names.append(b["model_a"])
    for b in battles:
        if b["model_b"] not in names:
            names.append(b["model_b"])
    ids = {m: k for k, m in enumerate(names)}
    n, m = len(battles), len(names)
    raw = np.zeros((n, 4))
    for r, b in enumerate(battles):
        md = b["conv_metadata"]
        for f, (ka, kb) in enumerate(KEYS):
            a, c = total(md[ka]), total(md[kb])
            raw[r, f] = (a - c) / (a + c + 1.0)
    mean, sd = raw.mean(axis=0), raw.std(axis=0)
    feats = (raw - mean) / sd
    X = np.zeros((n, m + 4))
    y = np.zeros(n)
    for r, b in enumerate(battles):
        X[r, ids[b["model_a"]]] += LN10
        X[r, ids[b["model_b"]]] -= LN10
        y[r] = {"model_a": 1.0, "model_b": 0.0}.get(b["winner"], 0.5)
    X[:, m:] = feats
    return names, X, y, mean, sd


def loss_grad(theta, X, y):
    z = X @ theta
    p = 1 / (1 + np.exp(-z))
    loss = np.sum(np.logaddexp(0, z) - y * z) + 0.5 * REG * theta @ theta
    return loss, X.T @ (p - y) + REG * theta


def irls(X, y):
    theta = np.zeros(X.shape[1])
    for _ in range(100):
        z = X @ theta
        p = 1 / (1 + np.exp(-z))
        g = X.T @ (p - y) + REG * theta
        if np.max(np.abs(g)) < 1e-12 * len(y):
            break
        H = (X * (p * (1 - p))[:, None]).T @ X + REG * np.eye(X.shape[1])
        theta = theta - np.linalg.solve(H, g)
    return theta


def main():
    battles = generate()
    with open(os.path.join(OUT, "style.jsonl"), "w") as f:
        for b in battles:
            f.write(json.dumps(b) + "\n")
    names, X, y, mean, sd = design(battles)
    m = len(names)
    theta = irls(X, y)
    ref = {
        "models": names,
        "ratings": (400 * theta[:m] + 1000).tolist(),
        "coefficients": theta[m:].tolist(),
        "feature_mean": mean.tolist(),
        "feature_sd": sd.tolist(),
        "reg": REG,
        "battles": len(battles),
    }
    try:
        from scipy.optimize import minimize
        res = minimize(loss_grad, np.zeros(m + 4), args=(X, y), jac=True, method="L-BFGS-B",
                       options={"maxiter": 100, "gtol": 1e-6})
        ref["fastchat_lbfgsb_max_rating_gap"] = float(np.max(np.abs(400 * (res.x[:m] - theta[:m]))))
        ref["fastchat_lbfgsb_max_coef_gap"] = float(np.max(np.abs(res.x[m:] - theta[m:])))
    except ImportError:
        pass
    with open(os.path.join(OUT, "style_reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    print(json.dumps(ref, indent=1))


if __name__ == "__main__":
    main()
