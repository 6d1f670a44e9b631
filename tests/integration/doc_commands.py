#!/usr/bin/python3
"""doc_commands.py — every `tianti` command line that README.md and
docs/*.md show in a code block (fenced or indented) must work (tests/integration/test_doc_commands.sh
runs this). Standard library only.

Two kinds of lines:
  * synopses (they hold "[", "..." or placeholders such as SPEC): every
    option they name must be one the command's --help lists;
  * command lines: run for real, in order, in a scratch folder that links the
    repository's models/, tasks/ and models.json, and must exit 0. So that
    the test stays short, the sizes are cut (run: --limit 3; arena auto:
    --rounds 2 --max-tokens 8; bench: -p 16 -n 8 -r 1 and two precisions);
    servers (serve, arena serve) start on a free port, answer the curl lines
    that follow them in the same block, and are stopped. Lines that need the
    network (openai: models without a local server) are listed as not run;
    lines that read ../shared/datasets are not run when it is missing.

Usage: doc_commands.py TIANTI_BIN SOURCE_DIR WORK_DIR; exit 0 when every
line works, 1 otherwise (each failure named).
"""
import glob
import os
import re
import shlex
import socket
import sqlite3
import subprocess
import sys
import time

BIN, SRC, WORK = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
TIMEOUT = 600
PG_URI = os.environ.get("DOC_PG_URI")   # a database of the test cluster, for postgresql:// lines


def code_blocks(text):
    """The lines of each fenced code block, and of each indented one."""
    for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S):
        yield m.group(2).split("\n")
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    block = []
    for line in outside.split("\n") + [""]:
        if line.startswith("    ") and line.strip():
            block.append(line[4:])
        elif block:
            yield block
            block = []


def blocks(path):
    """The logical lines (continuations joined) of each code block."""
    text = open(path, encoding="utf-8").read()
    for lines in code_blocks(text):
        out = []
        i = 0
        while i < len(lines):
            line = lines[i]
            while line.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                line = line.rstrip()[:-1] + " " + lines[i].strip()
            out.append(line.strip())
            i += 1
        yield out


def strip_comment(line):
    """The line without a trailing shell comment (outside quotes)."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] == " "):
            return line[:i].rstrip()
    return line


def is_tianti(line):
    return re.match(r"(build/)?tianti\s", line) is not None


def is_synopsis(line):
    return "[" in line or "..." in line or re.search(r"\b(SPEC|FILE|NAME|DIR|LIST|N)\b", line) is not None


def help_options(words):
    """Long and short options the --help of command `words` lists (hidden aliases are not listed)."""
    out = subprocess.run([BIN] + words + ["--help"], capture_output=True, text=True).stdout
    opts = set(re.findall(r"--[a-z][a-z0-9-]*", out))
    opts |= set(re.findall(r"^\s+(-[A-Za-z]),", out, re.M))
    return opts


def command_words(argv):
    """The command and sub-command words after `tianti`."""
    words = []
    for a in argv[1:]:
        if a.startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", a):
            break
        words.append(a)
        if words[0] not in ("arena", "store", "mtbench", "arena-hard") or len(words) == 2:
            break
    return words


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def newest_run(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("select coalesce(max(id), 0) from runs").fetchone()[0]
    finally:
        con.close()


def adapt(argv):
    """The command line with smaller sizes and local ports; None to not run it."""
    words = command_words(argv)
    cmd = words[0] if words else ""
    line = " ".join(argv)
    if "openai:" in line and "--launch" not in line:
        return None, "needs an OpenAI-compatible server on the network"
    if "\u2026" in line:
        return None, "a placeholder (\u2026) stands for the arguments"
    if any("$" in a for a in argv):
        return None, "uses shell variables of its recipe"
    if any(a.startswith(("postgresql://", "postgres://")) for a in argv):
        if any(re.match(r"postgres(ql)?://[^/]*@?[a-z0-9-]+\.[a-z]", a) for a in argv):
            return None, "names a PostgreSQL server on the network"
        if not PG_URI:
            return None, "TIANTI_TEST_PG is not set"
        argv = [PG_URI if a.startswith(("postgresql://", "postgres://")) else a for a in argv]
    # a line that reads a store an earlier, not-run line would have made
    reads = None
    if words[:2] == ["store", "copy"]:
        pos = [a for a in argv[argv.index("copy") + 1:] if not a.startswith("-")]
        reads = pos[0] if pos else None
    elif cmd in ("results", "report", "ratings") or words[:2] == ["store", "info"]:
        reads = argv[argv.index("--db") + 1] if "--db" in argv else None
    reads = [reads] + [argv[argv.index(o) + 1] for o in ("--battles", "--identity-words") if o in argv]
    for r in reads:
        if r and not r.startswith(("postgresql://", "postgres://")) and not os.path.exists(r):
            return None, "reads %s, which is not here (the reader's own file, or one a line not run would have made)" % r
    if "../shared/datasets" in line and not os.path.isdir(os.path.join(SRC, "..", "shared", "datasets")):
        return None, "../shared/datasets is missing"
    argv = [BIN if a in ("build/tianti", "tianti") else a.replace("build/tianti", BIN) for a in argv]
    argv = [os.path.join(SRC, "..", "shared", "datasets") if a == "../shared/datasets" else a for a in argv]
    if cmd == "run":
        if "--limit" in argv:
            argv[argv.index("--limit") + 1] = "3"
        else:
            argv += ["--limit", "3"]
        argv += ["-q"]
    if words == ["arena", "auto"]:
        argv += ["--rounds", "2", "--max-tokens", "8", "--completion", "-q"]
    if cmd == "bench":
        port = free_port()
        argv = [a.replace("8000", str(port)) for a in argv]
        argv += ["-p", "16", "-n", "8", "-r", "1", "-q"]
        if "--precision" not in argv:
            argv += ["--precision", "f32,q4_0"]
        if "--task" in argv:
            argv += ["--limit", "3"]
    if "--run" in argv:
        argv[argv.index("--run") + 1] = str(newest_run("tianti.db"))
    return argv, None


def start_server(argv):
    """Starts a serve / arena serve line on a free port; returns (process, port)."""
    port = free_port()
    argv = list(argv)
    argv[argv.index("--port") + 1] = str(port)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        if "serving" in line or "listening" in line:
            return p, port, None
    p.kill()
    return None, port, "did not start listening"


def main():
    os.makedirs(WORK, exist_ok=True)
    os.chdir(WORK)
    for name in ("models", "tasks", "models.json"):
        if not os.path.exists(name):
            os.symlink(os.path.join(SRC, name), name)
    # battles.jsonl for `arena import battles.jsonl`
    with open(os.path.join(SRC, "tests/data/arena/synthetic.jsonl"), encoding="utf-8") as f, \
            open("battles.jsonl", "w", encoding="utf-8") as g:
        g.write(f.read())
    # arena.db with judged battles, for the examples that read one
    subprocess.run([BIN, "arena", "import", "battles.jsonl", "--db", "arena.db", "--source", "judge"],
                   capture_output=True, check=True)
    failures, ran, not_run = [], 0, []
    files = [os.path.join(SRC, "README.md")] + sorted(glob.glob(os.path.join(SRC, "docs", "*.md")))
    for path in files:
        rel = os.path.relpath(path, SRC)
        if rel == "docs/tianti.md":
            continue   # generated from --help (ctest docs/manual_up_to_date)
        for block in blocks(path):
            server, port = None, None
            for raw in block:
                line = strip_comment(raw)
                if line.startswith("curl ") and server:
                    cmd = re.sub(r"localhost:\d+|127\.0\.0\.1:\d+", "127.0.0.1:%d" % port, line)
                    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=120)
                    ran += 1
                    if r.returncode != 0 or '"error"' in r.stdout:
                        failures.append("%s: %s: exit %d: %s" % (rel, line, r.returncode, r.stdout[-300:]))
                    continue
                if not is_tianti(line):
                    continue
                argv = shlex.split(line)
                words = command_words(argv)
                if is_synopsis(line):
                    known = help_options(words)
                    for opt in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[A-Za-z])(?=[\s\]=]|$)", line):
                        if opt not in known:
                            failures.append("%s: synopsis '%s': %s is not an option of 'tianti %s'"
                                            % (rel, line, opt, " ".join(words)))
                    continue
                if server:
                    server.kill()
                    server = None
                if "quickstart.db" in line and not os.path.exists("quickstart.db") and os.path.exists("tianti.db"):
                    with open("tianti.db", "rb") as f, open("quickstart.db", "wb") as g:
                        g.write(f.read())
                run_argv, why = adapt(argv)
                if run_argv is None:
                    not_run.append("%s: %s (%s)" % (rel, line, why))
                    continue
                ran += 1
                if words in (["serve"], ["arena", "serve"]):
                    server, port, err = start_server(run_argv)
                    if err:
                        failures.append("%s: %s: %s" % (rel, line, err))
                    continue
                t0 = time.time()
                r = subprocess.run(run_argv, capture_output=True, text=True, timeout=TIMEOUT)
                print("%5.1f s  %s" % (time.time() - t0, line), flush=True)
                if r.returncode != 0:
                    failures.append("%s: %s: exit %d:\n%s" % (rel, line, r.returncode, (r.stderr or r.stdout)[-600:]))
            if server:
                server.kill()
                server.wait()
    for n in not_run:
        print("not run: " + n)
    for f in failures:
        print("FAIL: " + f)
    print("%d command lines ran, %d not run, %d failed" % (ran, len(not_run), len(failures)))
    return 1 if failures or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
