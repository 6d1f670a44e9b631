#!/bin/bash
# install.sh — Tianti installs like a tool: `cmake --install` into a
# temporary prefix, then, from another folder and with no source tree in
# sight (TIANTI_SOURCE_DIR unset), the quick start's first command runs
# (`tianti run --suite demo --model tiny-q4_0 --limit 5`: the shipped tasks
# and model and models.json found in PREFIX/share/tianti), `man -l` renders
# the installed page, a folder given by TIANTI_TASKS and --tasks-dir is
# searched in front of the shipped tasks (a task there overrides a shipped
# one of the same name), and a moved prefix still works. Then `cpack -G DEB`
# builds the Debian package with the same files.
set -u
BIN=${TIANTI_BIN:?TIANTI_BIN not set}
BUILD=${TIANTI_BUILD_DIR:?TIANTI_BUILD_DIR not set}
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset TIANTI_SOURCE_DIR TIANTI_TASKS TIANTI_DATA

cmake --install "$BUILD" --prefix "$tmp/prefix" > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "cmake --install failed"; }
for f in bin/tianti share/man/man1/tianti.1 share/tianti/models/tianti-tiny.gguf share/tianti/models.json \
         share/tianti/tasks/demo/demo.suite.json share/tianti/web/index.html; do
    [ -e "$tmp/prefix/$f" ] || fail "not installed: $f"
done

mkdir "$tmp/work"
cd "$tmp/work" || fail "cd"
out=$("$tmp/prefix/bin/tianti" run --suite demo --model tiny-q4_0 --limit 5 -q 2> "$tmp/err") || { cat "$tmp/err"; fail "installed tianti run --suite demo exited $?"; }
echo "$out" | grep -q '^|demo_arith ' || fail "no demo_arith row: $out"
echo "$out" | grep -q '^|demo_facts_mc_en ' || fail "no demo_facts_mc_en row: $out"
[ -f tianti.db ] || fail "the database was not written in the current folder"
[ ! -e tasks ] && [ ! -e models ] || fail "the run created tasks/ or models/ here"

# the page renders, without troff warnings
command -v man > /dev/null || fail "man is not installed (scripts/setup.sh --test installs man-db)"
page=$(MANWIDTH=80 man -l "$tmp/prefix/share/man/man1/tianti.1" 2> "$tmp/man.err") || fail "man -l exited $?"
[ ! -s "$tmp/man.err" ] || fail "man -l warned: $(cat "$tmp/man.err")"
echo "$page" | grep -q 'tianti run' || fail "the page has no 'tianti run' section"
echo "$page" | grep -q -- '--tasks-dir' || fail "the page has no --tasks-dir"

# a task folder in front of the shipped tasks: TIANTI_TASKS and --tasks-dir
mkdir -p "$tmp/mine"
printf '{"q": "2+2=", "a": "4"}\n' > "$tmp/mine/data.jsonl"
cat > "$tmp/mine/demo_arith.json" <<'JSON'
{"name": "demo_arith", "version": "mine", "dataset": {"path": "data.jsonl"},
 "doc_to_text": "{{q}}", "doc_to_target": "{{a}}", "generation": {"until": ["\n"], "max_tokens": 4}}
JSON
list=$(TIANTI_TASKS="$tmp/mine" "$tmp/prefix/bin/tianti" tasks demo) || fail "tasks with TIANTI_TASKS exited $?"
echo "$list" | grep -q "^demo_arith .*$tmp/mine/demo_arith.json" || fail "TIANTI_TASKS folder not in front: $list"
echo "$list" | grep -q "^demo_facts_mc_en .*share/tianti/tasks" || fail "shipped tasks not listed with TIANTI_TASKS: $list"
show=$("$tmp/prefix/bin/tianti" tasks show demo_arith --tasks-dir "$tmp/mine") || fail "tasks show --tasks-dir exited $?"
echo "$show" | grep -q 'version mine' || fail "--tasks-dir did not override the shipped task: $show"

# a moved prefix: found beside the executable
mv "$tmp/prefix" "$tmp/moved"
"$tmp/moved/bin/tianti" tasks show demo_arith --doc 0 > /dev/null || fail "a moved prefix lost its tasks"

# the Debian package
command -v dpkg-deb > /dev/null || fail "dpkg-deb missing"
(cd "$BUILD" && cpack -G DEB -B "$tmp/deb" > "$tmp/cpack.log" 2>&1) || { tail -20 "$tmp/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(ls "$tmp"/deb/tianti_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb written"
files=$(dpkg-deb -c "$deb")
for f in ./usr/bin/tianti ./usr/share/man/man1/tianti.1 ./usr/share/tianti/models/tianti-tiny.gguf \
         ./usr/share/tianti/tasks/demo/demo.suite.json; do
    echo "$files" | grep -q " $f\$" || fail "the package lacks $f"
done
dpkg-deb -f "$deb" Depends | grep -q libyaml || fail "the package does not depend on libyaml: $(dpkg-deb -f "$deb" Depends)"
echo "ok"
