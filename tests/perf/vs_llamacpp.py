#!/usr/bin/env python3
"""vs_llamacpp.py — the built-in GLM engine side by side with llama.cpp.

Both run the same GGUF files, with the same threads, interleaved (each round
alternates which goes first), each measurement a fresh process with its own
warm-up: `tianti bench --model glm:FILE@TYPE -r 1` and
`node tools/llamacpp/bench.mjs FILE -r 1` (llama.cpp's prebuilt CPU build
inside node-llama-cpp, pinned in tools/llamacpp/package-lock.json). Prints
per shape, type and thread count the medians of ppN and tgN in tokens/s and
the ratio tianti / llama.cpp.

A busy machine makes ratios meaningless, so the machine is watched: before
each measurement the CPU time others used over half a second, and during it
the CPU time of everything but the measured process tree (from /proc/stat
and the children's rusage). A row where others used more than --busy
(default 10 %) of the machine prints the load instead of a ratio.

Models: bench-90m (the 90 M-parameter shape of perf_glm) and chatglm3-6b-4l
(ChatGLM3-6B's layer shapes, 4 of its 28 layers, about 1.1 B parameters
counting the output matrix), written with `tianti synth` for each type.

    python3 tests/perf/vs_llamacpp.py [--shapes bench-90m,chatglm3-6b-4l]
        [--types f32,f16,q8_0,q4_0] [--threads 1,2] [-p 512] [-n 128] [-r 3]
        [--tianti build/tianti] [--dir DIR] [--busy 0.10]

--mmlu compares evaluation throughput instead: MMLU-shaped 5-shot
log-likelihood requests (8 documents x 4 choices, about 680 tokens each) from
`perf_glm --mmlu FILE --dump-requests`, the same token ids sent to both
engines in order; requests/s for tianti one by one with its KV prefix reuse
off and on, and in runs of 32 with reuse and batching (as the harness sends
them), and for llama.cpp one by one, evaluating each request whole and
keeping the common prefix as llama-server's cache_prompt does.

    python3 tests/perf/vs_llamacpp.py --mmlu [--types q4_0,q8_0,f32] [--threads 1,2] [-r 3]

Needs `cd tools/llamacpp && npm ci` once (scripts/setup.sh --bench does it).
Not a test: it prints figures (README, "Benchmarks").
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHAPES = {"bench-90m": ("bench-90m", None), "chatglm3-6b-4l": ("chatglm3-6b", 4)}


def cpu_times():
    """(busy, total) jiffies of all CPUs; steal counts as busy (someone else had the core)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    total = sum(v[:8])
    return total - idle, total


def others_before(seconds=0.5):
    b0, t0 = cpu_times()
    time.sleep(seconds)
    b1, t1 = cpu_times()
    return (b1 - b0) / max(1, t1 - t0)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(cmd, env=None):
    """Runs cmd; returns (stdout, share of the machine others used meanwhile)."""
    hz = os.sysconf("SC_CLK_TCK")
    ncpu = os.cpu_count() or 1
    b0, _ = cpu_times()
    c0, w0 = children_cpu(), time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    b1, _ = cpu_times()
    c1, w1 = children_cpu(), time.time()
    if p.returncode != 0:
        raise SystemExit(f"vs_llamacpp: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    others = ((b1 - b0) / hz - (c1 - c0)) / max(1e-9, (w1 - w0) * ncpu)
    return p.stdout, max(0.0, others)


def tianti_run(tianti, path, typ, threads, pp, tg):
    out, others = measure([tianti, "bench", "--model", f"glm:{path}@{typ}", "-p", str(pp), "-n", str(tg),
                           "-r", "1", "--threads", str(threads), "-f", "json", "--no-store", "-q"])
    r = json.loads(out)["results"][0]
    if r.get("error"):
        raise SystemExit(f"vs_llamacpp: tianti bench: {r['error']}")
    return r["pp"]["mean"], r["tg"]["mean"], others


def llama_run(path, threads, pp, tg):
    out, others = measure(["node", os.path.join(ROOT, "tools/llamacpp/bench.mjs"), path, "--threads", str(threads),
                           "-p", str(pp), "-n", str(tg), "-r", "1"])
    r = json.loads(out.strip().splitlines()[-1])
    return r["pp"][0], r["tg"][0], others, r["llama_cpp"]


def tianti_mmlu(perf_glm, path, typ, threads, dump):
    out, others = measure([perf_glm, "--mmlu", path, "--types", typ, "-r", "1", "-t", str(threads),
                           "--dump-requests", dump])
    rps, score = {}, None
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0] == typ and cells[2] in ("on", "off") and cells[3] in ("yes", "no"):
            rps[(cells[2], cells[3])] = float(cells[4].split()[0])
        if line.startswith(f"# {typ}: the first request's score"):
            score = float(line.split()[-1])
    if len(rps) != 3:
        raise SystemExit(f"vs_llamacpp: cannot read perf_glm --mmlu's table:\n{out}")
    return rps[("off", "no")], rps[("on", "no")], rps[("on", "yes")], score, others


def llama_mmlu(path, threads, requests):
    out, others = measure(["node", os.path.join(ROOT, "tools/llamacpp/bench.mjs"), path, "--threads", str(threads),
                           "--requests", requests, "-r", "1"])
    r = json.loads(out.strip().splitlines()[-1])
    return r["no_reuse"][0], r["reuse"][0], r["first_score"], others


def mmlu(a, d):
    perf_glm = os.path.join(os.path.dirname(a.tianti), "perf_glm")
    dump = os.path.join(d, "mmlu_requests.jsonl")
    print(f"# MMLU-shaped 5-shot log-likelihood requests (8 documents x 4 choices), the same token ids to both; "
          f"tianti one by one (prefix reuse off, on) and in runs as the harness sends them (reuse and batching), "
          f"llama.cpp one by one; requests/s, median of {a.r} interleaved rounds")
    print()
    print("| type | threads | tianti reuse off | tianti reuse on | tianti reuse + batch | llama.cpp whole | "
          "llama.cpp cache_prompt | batch / llama.cpp whole | batch / llama.cpp cache_prompt | "
          "first score tianti / llama.cpp | others' CPU (max) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    busy_rows = 0
    for typ in a.types.split(","):
        path = ensure_model(a.tianti, d, "bench-90m", typ)
        for threads in [int(t) for t in a.threads.split(",")]:
            res = {"t_off": [], "t_on": [], "t_batch": [], "l_whole": [], "l_cache": [], "others": []}
            scores = [None, None]
            for r in range(a.r):
                order = ("tianti", "llama") if r % 2 == 0 else ("llama", "tianti")
                if r == 0:
                    order = ("tianti", "llama")   # tianti writes the requests file
                for who in order:
                    res["others"].append(others_before())
                    if who == "tianti":
                        off, on, batch, scores[0], others = tianti_mmlu(perf_glm, path, typ, threads, dump)
                        res["t_off"].append(off)
                        res["t_on"].append(on)
                        res["t_batch"].append(batch)
                    else:
                        whole, cache, scores[1], others = llama_mmlu(path, threads, dump)
                        res["l_whole"].append(whole)
                        res["l_cache"].append(cache)
                    res["others"].append(others)
            med = {k: statistics.median(v) for k, v in res.items() if k != "others"}
            worst = max(res["others"])
            busy = worst > a.busy
            busy_rows += busy
            ratio = (lambda x, y: f"busy ({worst:.0%})") if busy else (lambda x, y: f"{x / y:.1f}×")
            print(f"| {typ} | {threads} | {med['t_off']:.2f} | {med['t_on']:.2f} | {med['t_batch']:.2f} | "
                  f"{med['l_whole']:.2f} | {med['l_cache']:.2f} | {ratio(med['t_batch'], med['l_whole'])} | "
                  f"{ratio(med['t_batch'], med['l_cache'])} | "
                  f"{scores[0]:.4f} / {scores[1]:.4f} | {worst:.0%} |", flush=True)
    if busy_rows:
        print(f"\n# {busy_rows} row(s) without a ratio: other processes used more than {a.busy:.0%} of the machine")


def ensure_model(tianti, d, shape, typ):
    name, layers = SHAPES[shape]
    path = os.path.join(d, f"{shape}-{typ}.gguf")
    if not os.path.exists(path):
        cmd = [tianti, "synth", path, "--shape", name, "--type", typ]
        if layers:
            cmd += ["--layers", str(layers)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"vs_llamacpp: {' '.join(cmd)} failed:\n{p.stderr}")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shapes", default="bench-90m,chatglm3-6b-4l")
    ap.add_argument("--types", default="f32,f16,q8_0,q4_0")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("-p", type=int, default=512)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("-r", type=int, default=3)
    ap.add_argument("--tianti", default=os.path.join(ROOT, "build", "tianti"))
    ap.add_argument("--dir", default=None, help="where the models are written (default a temporary folder)")
    ap.add_argument("--busy", type=float, default=0.10)
    ap.add_argument("--mmlu", action="store_true", help="evaluation throughput instead of pp/tg")
    a = ap.parse_args()
    if not os.path.exists(os.path.join(ROOT, "tools/llamacpp/node_modules/node-llama-cpp")):
        raise SystemExit("vs_llamacpp: llama.cpp is missing: cd tools/llamacpp && npm ci (scripts/setup.sh --bench does it)")
    tmp = None
    d = a.dir
    if not d:
        tmp = tempfile.TemporaryDirectory(prefix="tianti-vs-llamacpp-")
        d = tmp.name
    os.makedirs(d, exist_ok=True)
    with open("/proc/cpuinfo") as f:
        model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    isa = subprocess.run([a.tianti, "bench", "--help"], capture_output=True, text=True)   # binary exists
    if isa.returncode != 0:
        raise SystemExit(f"vs_llamacpp: {a.tianti} does not run")
    print(f"# machine: {model}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    if a.mmlu:
        mmlu(a, d)
        if tmp:
            tmp.cleanup()
        return 0
    print(f"# pp{a.p} and tg{a.n} tokens/s, median of {a.r} interleaved rounds, each a fresh process after a warm-up")
    rows = []
    tag = "?"
    for shape in a.shapes.split(","):
        for typ in a.types.split(","):
            path = ensure_model(a.tianti, d, shape, typ)
            for threads in [int(t) for t in a.threads.split(",")]:
                res = {"t_pp": [], "t_tg": [], "l_pp": [], "l_tg": [], "others": []}
                for r in range(a.r):
                    order = ("tianti", "llama") if r % 2 == 0 else ("llama", "tianti")
                    for who in order:
                        res["others"].append(others_before())
                        if who == "tianti":
                            pp, tg, others = tianti_run(a.tianti, path, typ, threads, a.p, a.n)
                            res["t_pp"].append(pp)
                            res["t_tg"].append(tg)
                        else:
                            pp, tg, others, tag = llama_run(path, threads, a.p, a.n)
                            res["l_pp"].append(pp)
                            res["l_tg"].append(tg)
                        res["others"].append(others)
                    print(f"#   {shape} {typ} {threads} thread(s), round {r + 1}: tianti pp {res['t_pp'][-1]:.1f} "
                          f"tg {res['t_tg'][-1]:.1f}; llama.cpp pp {res['l_pp'][-1]:.1f} tg {res['l_tg'][-1]:.1f}",
                          file=sys.stderr, flush=True)
                rows.append((shape, typ, threads, res))
    print(f"# llama.cpp {tag} (node-llama-cpp's prebuilt CPU build); tianti kernels: "
          f"{os.environ.get('TIANTI_GLM_ISA') or 'the best the CPU has'}")
    print()
    print(f"| shape | type | threads | tianti pp{a.p} | llama.cpp pp{a.p} | pp ratio | tianti tg{a.n} | "
          f"llama.cpp tg{a.n} | tg ratio | others' CPU (max) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    busy_rows = 0
    for shape, typ, threads, res in rows:
        med = {k: statistics.median(v) for k, v in res.items() if k != "others"}
        worst = max(res["others"])
        busy = worst > a.busy
        busy_rows += busy
        ratio = (lambda x, y: f"busy ({worst:.0%})") if busy else (lambda x, y: f"{x / y:.2f}×")
        print(f"| {shape} | {typ} | {threads} | {med['t_pp']:.1f} | {med['l_pp']:.1f} | {ratio(med['t_pp'], med['l_pp'])} | "
              f"{med['t_tg']:.1f} | {med['l_tg']:.1f} | {ratio(med['t_tg'], med['l_tg'])} | {worst:.0%} |")
    # Each at its best thread count: llama.cpp through node-llama-cpp can be
    # slower with more threads (node's own threads share the cores), and a
    # user would run it at its best.
    best = {}
    for shape, typ, threads, res in rows:
        b = best.setdefault((shape, typ), {"t_pp": 0, "l_pp": 0, "t_tg": 0, "l_tg": 0, "busy": False, "tt": {}, "lt": {}})
        b["busy"] |= max(res["others"]) > a.busy
        for k in ("t_pp", "l_pp", "t_tg", "l_tg"):
            m = statistics.median(res[k])
            if m > b[k]:
                b[k] = m
                (b["tt"] if k.startswith("t") else b["lt"])[k[2:]] = threads
    if len(a.threads.split(",")) > 1:
        print()
        print("Each at its best thread count (threads in brackets):")
        print()
        print("| shape | type | tianti pp | llama.cpp pp | pp ratio | tianti tg | llama.cpp tg | tg ratio |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for (shape, typ), b in best.items():
            ratio = (lambda x, y: "busy") if b["busy"] else (lambda x, y: f"{x / y:.2f}×")
            print(f"| {shape} | {typ} | {b['t_pp']:.1f} [{b['tt']['pp']}] | {b['l_pp']:.1f} [{b['lt']['pp']}] | "
                  f"{ratio(b['t_pp'], b['l_pp'])} | {b['t_tg']:.1f} [{b['tt']['tg']}] | {b['l_tg']:.1f} [{b['lt']['tg']}] | "
                  f"{ratio(b['t_tg'], b['l_tg'])} |")
    if busy_rows:
        print(f"\n# {busy_rows} row(s) without a ratio: other processes used more than {a.busy:.0%} of the machine "
              "while they were measured; run again on a quiet machine")
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
