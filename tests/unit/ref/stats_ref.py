#!/usr/bin/python3
"""Reference bootstrap standard errors for tests/unit/test_stats.c, computed
the way lm-evaluation-harness computes them (lm_eval/api/metrics.py,
bootstrap_stderr without multiprocessing): chunk = min(1000, iters); for
chunk i in range(iters // chunk), rnd = random.Random(i) and each replicate
is f(rnd.choices(xs, k=len(xs))); stderr = sample_stddev(replicates).
Uses only CPython's standard library (run with /usr/bin/python3, 3.11: its
sum() adds floats left to right, as the C code does).
"""
import math
import random


def mean(arr):
    return sum(arr) / len(arr)


def sample_stddev(arr):
    mu = mean(arr)
    return math.sqrt(sum([(x - mu) ** 2 for x in arr]) / (len(arr) - 1))


def bootstrap_stderr(f, xs, iters):
    res = []
    chunk = min(1000, iters)
    for i in range(iters // chunk):
        rnd = random.Random(i)
        for _ in range(chunk):
            res.append(f(rnd.choices(xs, k=len(xs))))
    return sample_stddev(res)


def perplexity(items):
    return math.exp(-mean(items))


def median_sorted(arr):
    return sorted(arr)[len(arr) // 2]


def bleu_rows(rows):
    s = [sum(r[k] for r in rows) for k in range(10)]
    sys_len, ref_len = s[0], s[1]
    prec = [0.0] * 4
    smooth = 1.0
    for n in range(4):
        if s[6 + n] == 0:
            break
        if s[2 + n] == 0:
            smooth *= 2
            prec[n] = 100.0 / (smooth * s[6 + n])
        else:
            prec[n] = 100.0 * s[2 + n] / s[6 + n]
    bp = 1.0
    if sys_len < ref_len:
        bp = math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0
    return bp * math.exp(sum(math.log(p) if p > 0 else -9999999999 for p in prec) / 4)


# the same data as the C test builds
lls = [-0.1 * (i % 7) - 0.5 - 0.013 * i for i in range(37)]
vals = [float((i * 7919) % 101) for i in range(41)]
rows = [(6, 6, 5, 3, 1, 0, 6, 5, 4, 3), (2, 4, 2, 1, 0, 0, 2, 1, 0, 0), (4, 4, 4, 3, 2, 1, 4, 3, 2, 1),
        (7, 7, 6, 4, 2, 1, 7, 6, 5, 4), (3, 5, 1, 0, 0, 0, 3, 2, 1, 0)]

print("perplexity 1000:", repr(bootstrap_stderr(perplexity, lls, 1000)))
print("perplexity 2500:", repr(bootstrap_stderr(perplexity, lls, 2500)))
print("median 300:", repr(bootstrap_stderr(median_sorted, vals, 300)))
print("bleu 100:", repr(bootstrap_stderr(bleu_rows, rows, 100)))
