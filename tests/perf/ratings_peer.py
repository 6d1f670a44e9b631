#!/usr/bin/python3
"""ratings_peer.py — the Python peer of tests/perf/perf_ratings.c: Chatbot
Arena's rating pipeline written with the libraries FastChat uses (pandas,
NumPy, SciPy, scikit-learn), so that the benchmark can time Tianti against it
on the same battle file. Written from the algorithms as docs/ratings.md and
../shared/reference/arena.md describe them, not copied from FastChat.

Two pipelines (--pipeline):
  leaderboard  what the leaderboard runs today (FastChat rating_systems.py):
               read the file with pandas, sort by tstamp, give models ids in
               order of first appearance (A column, then B), collapse
               identical (a, b, outcome) rows into weights, fit
               Bradley-Terry by L-BFGS-B on the weighted log-loss (ties half
               a win), then ROUNDS bootstrap rounds as multinomial
               re-weightings of those rows, each refitted, on a process pool
               of every CPU; 2.5/97.5% quantiles, rank by interval overlap.
  notebook     the older pipeline of the Chatbot Arena notebook and of
               arena-hard-auto (compute_mle_elo + get_bootstrap_result):
               every battle twice in a dense design matrix, a tie as one win
               each way, scikit-learn's LogisticRegression without
               intercept; the bootstrap resamples the battle table with
               replacement (DataFrame.sample) and refits. Too slow for 1000
               rounds on a million battles: --rounds of them are timed and
               the time per round is reported for extrapolation.

Prints one JSON object: {"pipeline", "battles", "models", "rounds",
"read_s", "prepare_s", "fit_s", "bootstrap_s", "total_s", "per_round_s",
"ratings": {model: rating}}. Exit status 3 when a library is missing (the
benchmark then says so and prints only Tianti's figures).
Usage: ratings_peer.py FILE [--pipeline leaderboard|notebook] [--rounds N]
"""
import argparse
import json
import math
import os
import sys
import time

try:
    import numpy as np
    import pandas as pd
    from scipy.optimize import minimize
    from scipy.special import expit
except ImportError as e:  # the benchmark prints only its own figures then
    print(json.dumps({"missing": str(e)}))
    sys.exit(3)

LN10 = math.log(10.0)


# ---- leaderboard pipeline ------------------------------------------------------------

def unique_rows(df):
    """(pairs, labels, weights, models): distinct (a, b, outcome) rows and counts."""
    n = len(df)
    codes, models = pd.factorize(pd.concat([df["model_a"], df["model_b"]], ignore_index=True))
    outcome = np.ones(n, dtype=np.int64)          # 1 = tie of either kind
    winner = df["winner"].to_numpy()
    outcome[winner == "model_a"] = 2
    outcome[winner == "model_b"] = 0
    table = np.stack([codes[:n], codes[n:], outcome], axis=1)
    rows, counts = np.unique(table, axis=0, return_counts=True)
    return rows[:, :2], rows[:, 2] / 2.0, counts.astype(np.float64), list(models)


def neg_loglik(r, pairs, y, w):
    """Weighted log-loss of BT in log10 units and its gradient."""
    z = LN10 * (r[pairs[:, 0]] - r[pairs[:, 1]])
    p = expit(z)
    eps = 1e-300
    loss = -np.sum(w * (y * np.log(p + eps) + (1.0 - y) * np.log(1.0 - p + eps)))
    d = -LN10 * w * (y - p)
    grad = np.bincount(pairs[:, 0], weights=d, minlength=len(r)) - \
        np.bincount(pairs[:, 1], weights=d, minlength=len(r))
    return loss, grad


def fit_bt(weights, pairs, y, n_models):
    res = minimize(neg_loglik, np.zeros(n_models), args=(pairs, y, weights), jac=True, method="L-BFGS-B",
                   options={"maxiter": 100, "gtol": 1e-6})
    return res.x


_SHARED = {}


def _round(weights):
    return fit_bt(weights, _SHARED["pairs"], _SHARED["y"], _SHARED["n_models"])


def leaderboard(path, rounds):
    t0 = time.perf_counter()
    df = pd.read_json(path, lines=not first_char_is_bracket(path))
    t1 = time.perf_counter()
    df = df.sort_values("tstamp", kind="stable", ignore_index=True)
    pairs, y, w, models = unique_rows(df)
    t2 = time.perf_counter()
    r = fit_bt(w, pairs, y, len(models))
    ratings = 400.0 * r + 1000.0
    t3 = time.perf_counter()
    rng = np.random.default_rng(0)
    draws = rng.multinomial(len(df), w / w.sum(), size=rounds).astype(np.float64) / len(df)
    _SHARED.update(pairs=pairs, y=y, n_models=len(models))
    import multiprocessing as mp
    with mp.get_context("fork").Pool(os.cpu_count()) as pool:
        boot = np.array(list(pool.imap_unordered(_round, draws, chunksize=max(1, rounds // (8 * os.cpu_count())))))
    boot = 400.0 * boot + 1000.0
    table = pd.DataFrame(boot, columns=models)
    lower, upper = table.quantile(0.025), table.quantile(0.975)
    rank = {m: 1 + int(np.sum(lower.to_numpy() > upper[m])) for m in models}
    battles = df["model_a"].value_counts().add(df["model_b"].value_counts(), fill_value=0)
    t4 = time.perf_counter()
    assert len(rank) == len(models) and len(battles) == len(models)
    return {"battles": len(df), "models": len(models), "read_s": t1 - t0, "prepare_s": t2 - t1, "fit_s": t3 - t2,
            "bootstrap_s": t4 - t3, "total_s": t4 - t0, "per_round_s": (t4 - t3) / max(rounds, 1),
            "ratings": dict(zip(models, ratings.tolist()))}


# ---- notebook pipeline ------------------------------------------------------------------

def mle_logistic(df):
    from sklearn.linear_model import LogisticRegression
    names = pd.unique(pd.concat([df["model_a"], df["model_b"]], ignore_index=True))
    ids = pd.Series(np.arange(len(names)), index=names)
    twice = pd.concat([df, df], ignore_index=True)
    n = len(twice)
    X = np.zeros((n, len(names)))
    X[np.arange(n), ids[twice["model_a"]].to_numpy()] = LN10
    X[np.arange(n), ids[twice["model_b"]].to_numpy()] = -LN10
    Y = (twice["winner"] == "model_a").to_numpy().astype(np.float64)
    tie = twice["winner"].isin(["tie", "tie (bothbad)"]).to_numpy()
    tie[n // 2:] = False              # one copy of a tie counts as an A win, the other as a B win
    Y[tie] = 1.0
    lr = LogisticRegression(fit_intercept=False, penalty=None, tol=1e-8)
    lr.fit(X, Y)
    return pd.Series(400.0 * lr.coef_[0] + 1000.0, index=names)


def notebook(path, rounds):
    t0 = time.perf_counter()
    df = pd.read_json(path, lines=not first_char_is_bracket(path))
    t1 = time.perf_counter()
    ratings = mle_logistic(df)
    t2 = time.perf_counter()
    rows = [mle_logistic(df.sample(frac=1.0, replace=True, random_state=42 + i)) for i in range(rounds)]
    boot = pd.DataFrame(rows)
    t3 = time.perf_counter()
    assert len(boot.columns) == len(ratings)
    return {"battles": len(df), "models": len(ratings), "read_s": t1 - t0, "prepare_s": 0.0, "fit_s": t2 - t1,
            "bootstrap_s": t3 - t2, "total_s": t3 - t0, "per_round_s": (t3 - t2) / max(rounds, 1),
            "ratings": ratings.to_dict()}


def first_char_is_bracket(path):
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4096), b""):
            s = chunk.lstrip()
            if s:
                return s[:1] == b"["
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--pipeline", choices=["leaderboard", "notebook"], default="leaderboard")
    ap.add_argument("--rounds", type=int, default=1000)
    a = ap.parse_args()
    if a.pipeline == "notebook":
        try:
            import sklearn  # noqa: F401
        except ImportError as e:
            print(json.dumps({"missing": str(e)}))
            sys.exit(3)
        out = notebook(a.file, a.rounds)
    else:
        out = leaderboard(a.file, a.rounds)
    out["pipeline"] = a.pipeline
    out["rounds"] = a.rounds
    print(json.dumps(out))


if __name__ == "__main__":
    main()
