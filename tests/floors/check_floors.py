#!/usr/bin/env python3
"""check_floors.py — checks the #include lines of Tianti's library and tool
against its floors (tests/floors.txt, whose header describes the format).

  --check includes   every #include "..." in a floor's files names a file of
                     the same floor or of a floor in its USES (or a generated
                     header allowed there); a name that is no file of any
                     floor is an error too
  --check cycles     no files include each other in a cycle
  --check only:RULE  the `only RULE <HEADER> FLOORS` line: #include <HEADER>
                     appears in FLOORS only
  --self-test        runs the checks on small made-up trees and fails unless
                     each catches what it should (and passes a clean tree)

Prints one line per broken rule (file:line, the include, the rule) and exits
1 when any rule is broken, 0 otherwise. Run by ctest (floors/*).
"""
import argparse
import os
import re
import sys
import tempfile

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


class Table:
    def __init__(self, path):
        self.floors = []        # [(name, target, [paths], [uses])] lowest first
        self.only = []          # [(rule, header, [floors])]
        self.generated = {}     # header -> [floors]
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                w = line.split()
                if w[0] == "floor" and len(w) == 5:
                    uses = [] if w[4] == "-" else w[4].split(",")
                    self.floors.append((w[1], w[2], w[3].split(","), uses))
                elif w[0] == "only" and len(w) == 4:
                    self.only.append((w[1], w[2].strip("<>"), w[3].split(",")))
                elif w[0] == "generated" and len(w) == 3:
                    self.generated[w[1]] = w[2].split(",")
                else:
                    sys.exit(f"{path}:{n}: cannot read this line: {line}")
        names = [f[0] for f in self.floors]
        for name, _, _, uses in self.floors:
            for u in uses:
                if not self.expand(u):
                    sys.exit(f"{path}: floor {name} uses '{u}', which is no floor")
                if u == name:
                    sys.exit(f"{path}: floor {name} lists itself")
        for rule, _, fl in self.only:
            for x in fl:
                if x not in names:
                    sys.exit(f"{path}: rule {rule} names '{x}', which is no floor")

    def expand(self, use):
        """A name in USES: that floor and every floor NAME.*."""
        return [f[0] for f in self.floors if f[0] == use or f[0].startswith(use + ".")]

    def allowed(self, name):
        uses = next(f[3] for f in self.floors if f[0] == name)
        out = {name}
        for u in uses:
            out.update(self.expand(u))
        return out

    def floor_of(self, rel):
        """The floor whose path matches rel longest, or None."""
        best, best_len = None, -1
        for name, _, paths, _ in self.floors:
            for p in paths:
                hit = rel.startswith(p) if p.endswith("/") else rel == p
                if hit and len(p) > best_len:
                    best, best_len = name, len(p)
        return best


def source_files(root, table):
    """Every .c and .h under the floors' paths, relative to root, sorted."""
    out = set()
    for _, _, paths, _ in table.floors:
        for p in paths:
            full = os.path.join(root, p)
            if p.endswith("/"):
                for d, dirs, files in os.walk(full):
                    dirs[:] = sorted(x for x in dirs if not x.startswith("."))
                    for fn in files:
                        if fn.endswith((".c", ".h")):
                            out.add(os.path.relpath(os.path.join(d, fn), root))
            elif os.path.isfile(full):
                out.add(p)
    return sorted(out)


def includes(root, rel):
    """[(line number, '<' or '"', name)] of one file."""
    out = []
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE_RE.match(line)
            if m:
                out.append((n, m.group(1), m.group(2)))
    return out


def resolve(root, rel, name):
    """The file an #include "name" in rel reaches, as the compiler looks:
    next to rel first, then from the top (-I root). None if neither exists."""
    for cand in (os.path.join(os.path.dirname(rel), name), name):
        cand = os.path.normpath(cand)
        if not cand.startswith("..") and os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def check_includes(root, table, out):
    bad = 0
    for rel in source_files(root, table):
        floor = table.floor_of(rel)
        allowed = table.allowed(floor)
        for n, kind, name in includes(root, rel):
            if kind != '"':
                continue
            target = resolve(root, rel, name)
            if target is None:
                if floor in table.generated.get(name, []):
                    continue
                out.append(f'{rel}:{n}: #include "{name}": no such file in the tree '
                           f'(and no `generated {name} {floor}` line in the table)')
                bad += 1
                continue
            tfloor = table.floor_of(target)
            if tfloor is None:
                out.append(f'{rel}:{n}: #include "{name}": {target} belongs to no floor; '
                           f'floor {floor} may include only its own files and {", ".join(sorted(allowed - {floor})) or "nothing else"}')
                bad += 1
            elif tfloor not in allowed:
                out.append(f'{rel}:{n}: #include "{name}": floor {floor} may not include floor {tfloor} '
                           f'({floor} may include {", ".join(sorted(allowed - {floor})) or "nothing of the project"})')
                bad += 1
    return bad


def check_cycles(root, table, out):
    files = source_files(root, table)
    graph = {}
    where = {}
    for rel in files:
        graph[rel] = []
        for n, kind, name in includes(root, rel):
            if kind == '"':
                t = resolve(root, rel, name)
                if t is not None:
                    graph[rel].append(t)
                    where[(rel, t)] = n
    WHITE, GREY, BLACK = 0, 1, 2
    color = {f: WHITE for f in graph}
    cycles = []
    seen = set()

    def visit(start):
        # iterative DFS keeping the path, so that a cycle can be printed
        stack = [(start, iter(graph.get(start, [])))]
        path = [start]
        color[start] = GREY
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = BLACK
                stack.pop()
                path.pop()
                continue
            if nxt not in graph:
                continue   # a file outside the floors: no edges followed
            c = color[nxt]
            if c == GREY:
                cyc = path[path.index(nxt):] + [nxt]
                key = frozenset(cyc)
                if key not in seen:
                    seen.add(key)
                    cycles.append(cyc)
            elif c == WHITE:
                color[nxt] = GREY
                stack.append((nxt, iter(graph[nxt])))
                path.append(nxt)

    for f in files:
        if color[f] == WHITE:
            visit(f)
    for cyc in cycles:
        steps = " -> ".join(f"{a} (line {where[(a, b)]})" for a, b in zip(cyc, cyc[1:]))
        out.append(f"include cycle: {steps} -> {cyc[-1]}")
    return len(cycles)


def check_only(root, table, rule, out):
    rules = [r for r in table.only if r[0] == rule]
    if not rules:
        out.append(f"no rule '{rule}' in the table")
        return 1
    _, header, floors = rules[0]
    bad = 0
    for rel in source_files(root, table):
        floor = table.floor_of(rel)
        for n, kind, name in includes(root, rel):
            if name == header and floor not in floors:
                out.append(f"{rel}:{n}: #include {kind}{name}{'>' if kind == '<' else kind}: "
                           f"{header} may be included only in {', '.join(floors)} (rule {rule}), not in {floor}")
                bad += 1
    return bad


def run(root, table, check):
    out = []
    if check == "includes":
        bad = check_includes(root, table, out)
    elif check == "cycles":
        bad = check_cycles(root, table, out)
    elif check.startswith("only:"):
        bad = check_only(root, table, check[5:], out)
    else:
        sys.exit(f"unknown check '{check}'")
    return bad, out


SELF_TABLE = """\
floor low    t_low    low/              -
floor mid.a  t_mid_a  mid/a/,mid/api.h  low
floor mid.b  t_mid_b  mid/b/            low,mid.a
floor mid    t_mid    mid/              low,mid.a,mid.b
floor top    -        top/              low,mid
only db_only_in_low <db.h> low
generated gen.h low
"""


def self_test():
    """Each check on made-up trees: clean passes, each breakage is caught."""
    clean = {
        "low/x.h": "", "low/x.c": '#include "low/x.h"\n#include "gen.h"\n#include <db.h>\n',
        "mid/api.h": '#include "low/x.h"\n', "mid/a/a.c": '#include "mid/api.h"\n',
        "mid/b/b.c": '#include "mid/api.h"\n#include "mid/a/a.h"\n', "mid/a/a.h": "",
        "mid/m.c": '#include "mid/b/b.h"\n#include "mid/a/a.h"\n', "mid/b/b.h": "",
        "top/t.c": '#include "mid/b/b.h"\n#include "low/x.h"\n#include <stdio.h>\n',
    }
    cases = [  # (what, extra files, check, expected substring or None for clean)
        ("clean tree", {}, "includes", None),
        ("clean tree", {}, "cycles", None),
        ("clean tree", {}, "only:db_only_in_low", None),
        ("wrong way", {"low/y.c": '#include "mid/api.h"\n'}, "includes", "floor low may not include floor mid.a"),
        ("sideways", {"mid/a/z.c": '#include "mid/b/b.h"\n'}, "includes", "floor mid.a may not include floor mid.b"),
        ("group", {"mid/a/z.c": '#include "mid/m.h"\n', "mid/m.h": ""}, "includes", "floor mid.a may not include floor mid"),
        ("missing", {"top/u.c": '#include "top/nope.h"\n'}, "includes", "no such file"),
        ("no floor", {"top/u.c": '#include "other/o.h"\n', "other/o.h": ""}, "includes", "belongs to no floor"),
        ("generated elsewhere", {"top/u.c": '#include "gen.h"\n'}, "includes", "no such file"),
        ("cycle", {"mid/a/p.h": '#include "mid/a/q.h"\n', "mid/a/q.h": '#include "mid/a/p.h"\n'}, "cycles",
         "include cycle: mid/a/p.h (line 1) -> mid/a/q.h (line 1) -> mid/a/p.h"),
        ("self include", {"low/s.h": '#include "s.h"\n'}, "cycles", "include cycle: low/s.h (line 1) -> low/s.h"),
        ("only", {"top/d.c": "#include <db.h>\n"}, "only:db_only_in_low", "top/d.c:1: #include <db.h>"),
    ]
    failed = 0
    for what, extra, check, want in cases:
        with tempfile.TemporaryDirectory() as d:
            for rel, text in {**clean, **extra}.items():
                os.makedirs(os.path.join(d, os.path.dirname(rel)), exist_ok=True)
                with open(os.path.join(d, rel), "w") as f:
                    f.write(text)
            with open(os.path.join(d, "floors.txt"), "w") as f:
                f.write(SELF_TABLE)
            bad, out = run(d, Table(os.path.join(d, "floors.txt")), check)
            ok = (bad == 0 and not out) if want is None else (bad > 0 and any(want in o for o in out))
            print(f"{'ok  ' if ok else 'FAIL'} {check:22} {what}: {out if out else 'clean'}")
            failed += not ok
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--table")
    ap.add_argument("--check", action="append", default=[])
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    root = os.path.abspath(a.root)
    table = Table(a.table or os.path.join(root, "tests", "floors.txt"))
    total = 0
    for check in a.check or ["includes", "cycles"] + [f"only:{r[0]}" for r in table.only]:
        bad, out = run(root, table, check)
        for line in out:
            print(line)
        nfiles = len(source_files(root, table))
        print(f"floors {check}: {'ok' if not bad else f'{bad} broken'} ({nfiles} files)")
        total += bad
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
