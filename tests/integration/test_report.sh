#!/usr/bin/env bash
# test_report.sh — `tianti report` end to end: an empty store, then a demo
# store (report_fixture.py: metrics for three models incl. a Chinese model
# and task name, battles, ratings, bench rows). Checks every file exists and
# parses (JSON, CSV column counts, PNG signature and IHDR size, SVG), the
# HTML has no external references, filters and usage errors, charts skipped
# without gnuplot, and renders index.html in headless Chromium to a
# screenshot (jq, python3, gnuplot and chromium: scripts/setup.sh --test).
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
SRC=${TIANTI_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
WORK=$(mktemp -d /tmp/tianti-report-it-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

PY=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sqlite3, csv, json' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || fail "needs python3 with the sqlite3 module to build the test store (scripts/setup.sh --test installs it)"
command -v jq >/dev/null 2>&1 || fail "jq not installed (scripts/setup.sh --test installs it)"
command -v gnuplot >/dev/null 2>&1 || fail "gnuplot not installed (scripts/setup.sh --test installs it)"
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium not installed (scripts/setup.sh --test installs it)"

cd "$WORK" || exit 1

# ---- empty store: still renders, says what is missing ----------------------------
: > empty.db
"$BIN" report --db empty.db --out empty > empty.log 2>&1 || { cat empty.log; fail "report on an empty store failed"; }
for f in index.html leaderboard.md leaderboard.json leaderboard.csv accuracy.csv ratings.csv bench.csv \
         pairs.csv elo_history.csv runs.csv; do
    [ -s "empty/$f" ] || fail "empty store: empty/$f missing"
done
grep -q "no accuracy results" empty.log || fail "empty store: no note about missing results"
grep -q "no accuracy results" empty/leaderboard.md || fail "empty store: leaderboard.md does not say what is missing"

# ---- demo store --------------------------------------------------------------------------
: > demo.db
"$BIN" report --db demo.db --out /dev/null/x --format json >/dev/null 2>&1 && fail "unwritable --out accepted"
"$PY" "$SRC/tests/integration/report_fixture.py" demo.db || fail "fixture failed"
"$BIN" report --db demo.db --out out > out.log 2>&1 || { cat out.log; fail "report failed"; }
cat out.log

for f in index.html leaderboard.md leaderboard.json leaderboard.csv accuracy.csv ratings.csv bench.csv \
         pairs.csv elo_history.csv runs.csv; do
    [ -s "out/$f" ] || fail "out/$f missing or empty"
done

# JSON parses (jq and python)
jq -e '.format == "tianti-report" and (.models | length) == 6' out/leaderboard.json >/dev/null \
    || fail "leaderboard.json: jq check failed"
"$PY" -m json.tool out/leaderboard.json > /dev/null || fail "leaderboard.json does not parse"

# CSV: same number of columns on every row, expected headers and rows; PNG sizes.
"$PY" - "$WORK/out" <<'PYEOF' || fail "file checks failed"
import csv, json, os, struct, sys
out = sys.argv[1]
want_cols = {"leaderboard.csv": 24, "accuracy.csv": 14, "ratings.csv": 12, "bench.csv": 18,
             "pairs.csv": 7, "elo_history.csv": 4, "runs.csv": 10}
for name, ncol in want_cols.items():
    with open(os.path.join(out, name), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows and len(rows[0]) == ncol, (name, rows[0] if rows else None)
    for r in rows:
        assert len(r) == ncol, (name, r)
    print(f"{name}: {len(rows) - 1} rows x {ncol} columns")
with open(os.path.join(out, "leaderboard.csv"), newline="", encoding="utf-8") as f:
    lb = list(csv.DictReader(f))
names = [r["model"] for r in lb]
assert len(lb) == 6, names
assert "千问-mini" in names and 'tricky|<b>&"co", ltd' in names, names
assert names[0] == "千问-mini", names                    # best BT rating first
tiny = [r["precision"] for r in lb if r["model"] == "tianti-tiny"]
assert tiny == ["f32", "q8_0", "q4_0"], tiny            # grouped, highest precision first
with open(os.path.join(out, "accuracy.csv"), newline="", encoding="utf-8") as f:
    acc = list(csv.DictReader(f))
assert any(r["task"] == "中文阅读" for r in acc)
shown = [r for r in acc if r["model"] == "tianti-tiny" and r["precision"] == "f32" and r["task"] == "arc_easy"
         and r["metric"] == "acc" and r["in_leaderboard"] == "1"]
assert len(shown) == 1 and shown[0]["run_id"] == "2" and float(shown[0]["value"]) == 0.64, shown

doc = json.load(open(os.path.join(out, "leaderboard.json"), encoding="utf-8"))
assert doc["arena"]["bt"]["bootstrap_rounds"] == 100 and doc["arena"]["bt"]["seed"] == 42
assert [r["id"] for r in doc["runs"]] == [2, 1]
charts = {c["id"]: c for c in doc["charts"]}
# gnuplot is installed (scripts/setup.sh): every chart must be there
assert not doc["charts_skipped"], ("charts were skipped", doc["charts_skipped"])
expect = {"ratings": (1000, 600), "winfrac": (900, 800), "battles": (900, 800), "accuracy": (1000, 600),
          "bench": (1000, 600), "precision": (1000, 600), "elo": (1000, 600)}
assert set(charts) == set(expect), sorted(charts)
for cid, (w, h) in expect.items():
    png = os.path.join(out, "charts", cid + ".png")
    data = open(png, "rb").read(32)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", png
    pw, ph = struct.unpack(">II", data[16:24])
    assert (pw, ph) == (w, h), (png, pw, ph)
    svg = open(os.path.join(out, "charts", cid + ".svg"), encoding="utf-8").read(400)
    assert "<svg" in svg, cid
    for ext in ("gp", "dat"):
        assert os.path.getsize(os.path.join(out, "charts", f"{cid}.{ext}")) > 0
    print(f"{cid}.png: {pw}x{ph}")
html = open(os.path.join(out, "index.html"), encoding="utf-8").read()
assert html.count('src="data:image/png;base64,') == len(expect)
PYEOF

# The HTML page fetches nothing.
if grep -Eiq "(src|href)[[:space:]]*=[[:space:]]*[\"']?[[:space:]]*(https?:)?//" out/index.html; then
    fail "index.html has an external reference"
fi
grep -q "千问-mini" out/index.html || fail "Chinese name missing from index.html"
grep -q 'tricky|&lt;b&gt;&amp;&quot;co&quot;, ltd' out/index.html || fail "name not escaped in index.html"
grep -q 'tricky\\|&lt;b>&"co", ltd' out/leaderboard.md || fail "name not escaped in leaderboard.md"

# ---- filters and errors ---------------------------------------------------------------------
"$BIN" report --db demo.db --out filt --format md,csv --model 千问-mini --tasks arc_easy >/dev/null \
    || fail "filtered report failed"
[ -f filt/index.html ] && fail "--format md,csv wrote index.html"
grep -q "千问-mini" filt/leaderboard.md || fail "filter lost the model"
grep -q "tianti-tiny" filt/leaderboard.md && fail "--models did not filter"
grep -q "中文阅读" filt/leaderboard.md && fail "--tasks did not filter"
"$BIN" report --db demo.db --out r1 --format csv --run 1 >/dev/null || fail "--run 1 failed"
grep -q '^2,' r1/runs.csv && fail "--run 1 kept run 2"
"$BIN" report --db demo.db --run 99 --out r99 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--run 99 (not in the store): want exit 2, a usage error"
"$BIN" report --db demo.db --run abc >/dev/null 2>&1; [ $? -eq 2 ] || fail "--run abc: want exit 2"
"$BIN" report --db demo.db --format pdf >/dev/null 2>&1; [ $? -eq 2 ] || fail "--format pdf: want exit 2"
"$BIN" report --db nonexistent.db >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing db: want exit 1"

# ---- no gnuplot: tables still render, charts skipped with a note -----------------------------
TIANTI_GNUPLOT=/nonexistent/gnuplot "$BIN" report --db demo.db --out nogp > nogp.log 2>&1 \
    || fail "report without gnuplot failed"
grep -q "charts skipped" nogp.log || fail "no note that charts were skipped"
grep -q "charts skipped" nogp/index.html || fail "index.html does not say charts were skipped"
[ -s nogp/charts/ratings.gp ] || fail "chart scripts not written without gnuplot"

# ---- headless Chromium ------------------------------------------------------------------------
{
    PROFILE=$(mktemp -d "$WORK/chromium-XXXXXX")
    timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$PROFILE" \
        --screenshot="$WORK/shot.png" --window-size=1200,1600 "file://$WORK/out/index.html" > chromium.log 2>&1
    [ -s shot.png ] || { tail -20 chromium.log; fail "chromium produced no screenshot"; }
    "$PY" - "$WORK/shot.png" <<'PYEOF' || fail "screenshot is not a 1200x1600 PNG"
import struct, sys
d = open(sys.argv[1], "rb").read(24)
assert d[:8] == b"\x89PNG\r\n\x1a\n"
print("screenshot: %dx%d" % struct.unpack(">II", d[16:24]))
assert struct.unpack(">II", d[16:24]) == (1200, 1600)
PYEOF
    [ -n "${TIANTI_KEEP_SCREENSHOT:-}" ] && cp shot.png "$TIANTI_KEEP_SCREENSHOT"
    # The sorting script works: click "BT rating" twice (ascending, then
    # descending) and read the first model each time.
    sed 's#</body></html>#<script>var t=document.querySelector("table.sortable");var h=[].slice.call(t.tHead.rows[0].cells).filter(function(c){return c.textContent=="BT rating"})[0];h.click();var a=t.tBodies[0].rows[0].cells[0].textContent;h.click();var b=t.tBodies[0].rows[0].cells[0].textContent;document.body.setAttribute("data-sorted",a+"/"+b);</script></body></html>#' \
        out/index.html > out/sorttest.html
    timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$PROFILE" \
        --dump-dom "file://$WORK/out/sorttest.html" 2>/dev/null > sorted.html
    grep -q 'data-sorted="tricky|&lt;b&gt;&amp;&quot;co&quot;, ltd/千问-mini"' sorted.html \
        || fail "sorting the leaderboard by BT rating did not work: $(grep -o 'data-sorted="[^"]*"' sorted.html)"
}
echo "ok"
