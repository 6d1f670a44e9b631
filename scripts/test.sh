#!/usr/bin/env bash
# test.sh — the README's test command: sets everything up, builds, and runs
# the whole test suite twice: once in a normal build and once under
# AddressSanitizer + UndefinedBehaviorSanitizer. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --test --build build
scripts/setup.sh --build build-asan --sanitize

jobs=$(nproc 2>/dev/null || echo 2)
echo "== tests (normal build)"
(cd build && ctest --output-on-failure -j "$jobs")
echo "== tests (ASan + UBSan build)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && TIANTI_SANITIZED=1 ctest --output-on-failure -j "$jobs")
