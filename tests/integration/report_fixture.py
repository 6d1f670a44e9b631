#!/usr/bin/env python3
"""report_fixture.py DB — fills a Tianti store (already created by tianti,
so the schema is the real one) with a small demo for the report tests:
two runs of metrics for three models (one measured at three precisions,
one with a Chinese name, one with |, <, &, quotes and a comma in its name),
arena battles (some flagged or unvoted), two rating computations, and bench
results. Deterministic (fixed seed). Used by tests/integration/test_report.sh.
"""
import random
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
c = db.cursor()
TINY = "glm:models/tianti-tiny.gguf@"
models = [
    (1, TINY + "f32", "tianti-tiny", "glm", "f32"),
    (2, TINY + "q8_0", "tianti-tiny", "glm", "q8_0"),
    (3, TINY + "q4_0", "tianti-tiny", "glm", "q4_0"),
    (4, "replay:qwen-mini", "千问-mini", "replay", "f16"),
    (5, "openai:tricky", 'tricky|<b>&"co", ltd', "openai", None),
]
c.executemany("INSERT INTO models(id, spec, name, engine, precision) VALUES (?,?,?,?,?)", models)
c.execute("INSERT INTO runs(id, config_hash, config_json, seed, tool_version, git_rev, started_at, finished_at, status) "
          "VALUES (1, 'h1', '{\"tasks\":[\"arc_easy\"]}', 1234, '0.1.0', 'abc123', '2026-11-27T10:00:00Z', "
          "'2026-11-27T10:30:00Z', 'finished')")
c.execute("INSERT INTO runs(id, config_hash, config_json, seed, tool_version, git_rev, started_at, finished_at, status) "
          "VALUES (2, 'h2', '{}', 99, '0.1.0', 'def456', '2026-11-28T09:00:00Z', '2026-11-28T09:10:00Z', 'finished')")
c.execute("INSERT INTO tasks(id, name, version, content_hash) VALUES (1, 'arc_easy', '1', 'x')")
for doc in range(5):
    c.execute("INSERT INTO samples(run_id, model_id, task_id, doc_id, scores_json) VALUES (1, 1, 1, ?, '{}')", (doc,))

# (model_id, task, is_group, filter, metric, value, stderr, n)
acc = {1: 0.62, 2: 0.61, 3: 0.55, 4: 0.71, 5: 0.40}
rows = []
for mid, base in acc.items():
    rows += [
        (1, mid, "arc_easy", 0, "none", "acc", base, 0.021, 500),
        (1, mid, "arc_easy", 0, "none", "acc_norm", base + 0.02, 0.020, 500),
        (1, mid, "中文阅读", 0, "none", "acc", base - 0.1, 0.03, 200),
        (1, mid, "gsm8k", 0, "strict-match", "exact_match", base / 3, 0.012, 1319),
        (1, mid, "gsm8k", 0, "flexible-extract", "exact_match", base / 2.5, 0.013, 1319),
        (1, mid, "mmlu", 1, "none", "acc", base - 0.05, 0.004, 14042),
    ]
# Run 2 re-measured arc_easy for the f32 model: the newest run wins the cell.
rows.append((2, 1, "arc_easy", 0, "none", "acc", 0.64, 0.02, 500))
c.executemany("INSERT INTO metrics(run_id, model_id, task_name, is_group, filter, metric, value, stderr, n, n_shot, "
              "higher_is_better) VALUES (?,?,?,?,?,?,?,?,?,0,1)", rows)

# Battles: strengths decide outcomes; a few flagged and unvoted ones.
rnd = random.Random(7)
arena = [TINY + "q4_0", "千问-mini", 'tricky|<b>&"co", ltd', "gpt-ref"]
strength = {arena[0]: 0.0, arena[1]: 0.8, arena[2]: -0.7, arena[3]: 0.3}
t = 1764000000.0
for i in range(240):
    a, b = rnd.sample(arena, 2)
    if {a, b} == {arena[2], arena[3]}:
        continue  # this pair never meets: its heatmap cells stay blank
    p = 1 / (1 + 10 ** ((strength[b] - strength[a]) * 0.5))
    u = rnd.random()
    winner = "tie" if abs(u - p) < 0.05 else ("model_a" if u < p else "model_b")
    flags = "engine_error" if i % 50 == 7 else None
    if i % 61 == 3:
        winner = None
    t += 60
    c.execute("INSERT INTO battles(model_a, model_b, winner, tstamp, source, flags) VALUES (?,?,?,?,?,?)",
              (a, b, winner, t, "human", flags))

old = [(m, 1000.0) for m in arena]
new = [(arena[1], 1080.0, 1050.0, 1110.0, 1), ("gpt-ref", 1030.0, 1002.0, 1058.0, 1),
       (arena[0], 1000.0, 975.0, 1021.0, 3), (arena[2], 890.0, 850.0, 925.0, 4)]
for m, r in old:
    c.execute("INSERT INTO ratings(computed_at, method, source, model, rating, rank, battles) "
              "VALUES ('2026-11-01T00:00:00Z', 'bt', 'all', ?, ?, 1, 10)", (m, r))
for m, r, lo, hi, rank in new:
    c.execute("INSERT INTO ratings(computed_at, method, source, model, rating, lower, upper, rank, battles, "
              "bootstrap_rounds, seed) VALUES ('2026-11-28T12:00:00Z', 'bt', 'all', ?, ?, ?, ?, ?, 120, 100, 42)",
              (m, r, lo, hi, rank))

bench = []
for prec, mib, tg, pp in (("f32", 410, 31.5, 210.0), ("q8_0", 130, 58.2, 260.0), ("q4_0", 80, 71.9, 240.0)):
    for test, mean, sd, unit in (("pp512", pp, 4.0, "tokens/s"), ("tg128", tg, 1.5, "tokens/s"), ("load", 0.2, 0.01, "s")):
        bench.append((TINY + prec, "tianti-tiny", prec, test, mean, sd, unit, mib * 1048576, int(mib * 0.9 * 1048576)))
bench.append(("replay:qwen-mini", "千问-mini", "f16", "tg128", 44.0, 2.0, "tokens/s", 250 * 1048576, 200 * 1048576))
c.executemany("INSERT INTO bench_results(created_at, model_spec, model_name, precision, test, mean, stddev, unit, "
              "peak_rss_bytes, file_bytes, n_tokens, repetitions, threads) "
              "VALUES ('2026-11-28T08:00:00Z',?,?,?,?,?,?,?,?,?,128,5,2)", bench)
db.commit()
