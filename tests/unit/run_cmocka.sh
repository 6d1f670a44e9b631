#!/usr/bin/env bash
# run_cmocka.sh PROGRAM — runs one cmocka test program for ctest.
# cmocka's skip() does not fail a program, so ctest would count a program
# whose tests were skipped as Passed. Here: a failing program fails (its exit
# status); one that passed but skipped any test exits 77, which ctest shows
# as Skipped (SKIP_RETURN_CODE in CMakeLists.txt), and the skipped tests are
# named on the last line. A test may skip only for what scripts/setup.sh
# cannot install (the shared datasets in ../shared, root); it must say why.
set -u
[ $# -ge 1 ] || { echo "usage: run_cmocka.sh PROGRAM [ARGS...]" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || exit "$rc"
grep -q '^\[  PASSED  \]' "$out" || { echo "run_cmocka.sh: no cmocka summary in the output of $1"; exit 1; }
skipped=$(sed -n 's/^\[  SKIPPED \] \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p' "$out" | sort -u | tr "\n" " " | sed "s/ *$//")
if grep -q '^\[  SKIPPED \]' "$out"; then
  echo "SKIPPED: $(basename "$1"): ${skipped:-?}"
  exit 77
fi
exit 0
