#!/usr/bin/env bash
# Integration: `tianti quantize` on the tiny reference model
# (tests/data/glm/tiny.gguf): each type gives a file of the expected size
# that the glm engine then loads and runs (a one-task `tianti run` would need
# datasets, so the file is checked by converting it back and by its size);
# usage errors exit 2, a missing input exits 1 with the path in the message.
set -euo pipefail
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
src="$TIANTI_SOURCE_DIR/tests/data/glm/tiny.gguf"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

size() { stat -c %s "$1"; }
for t in f32 f16 q8_0 q4_0; do
    "$TIANTI_BIN" quantize "$src" "$work/$t.gguf" --type "$t" > "$work/$t.out" || fail "quantize --type $t failed"
    grep -q "wrote" "$work/$t.out" || fail "no confirmation for $t"
done
s32=$(size "$work/f32.gguf"); s16=$(size "$work/f16.gguf"); s8=$(size "$work/q8_0.gguf"); s4=$(size "$work/q4_0.gguf")
[ "$s32" -eq "$(size "$src")" ] || fail "f32 -> f32 changed the size ($s32 vs $(size "$src"))"
[ "$s16" -lt "$s32" ] && [ "$s8" -lt "$s16" ] && [ "$s4" -lt "$s8" ] || fail "sizes not decreasing: $s32 $s16 $s8 $s4"
# q8_0 is 34/128 of f32 for the matrices (norms and biases stay f32): within 10 %
awk -v a="$s8" -v b="$s32" 'BEGIN { r = a / b; exit !(r > 0.24 && r < 0.30) }' || fail "q8_0/f32 ratio $s8/$s32"
# q4_0 -> f32 -> q4_0 gives the same file: a dequantized block requantizes to
# itself (its extreme is exactly -8d, so d and every nibble come back)
"$TIANTI_BIN" quantize "$work/q4_0.gguf" "$work/back.gguf" --type f32 > /dev/null
"$TIANTI_BIN" quantize "$work/back.gguf" "$work/q4_0b.gguf" --type q4_0 > /dev/null
[ "$(size "$work/back.gguf")" -eq "$s32" ] || fail "q4_0 -> f32 size"
cmp -s "$work/q4_0.gguf" "$work/q4_0b.gguf" || fail "q4_0 -> f32 -> q4_0 is not a fixed point"

set +e
"$TIANTI_BIN" quantize "$src" "$work/x.gguf" --type q5_k 2> "$work/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown type: exit $rc, want 2"
grep -q "q5_k" "$work/err" || fail "unknown type not named"
"$TIANTI_BIN" quantize "$src" 2> /dev/null; rc=$?
[ $rc -eq 2 ] || fail "missing OUT: exit $rc, want 2"
"$TIANTI_BIN" quantize "$work/none.gguf" "$work/x.gguf" --type q8_0 2> "$work/err"; rc=$?
[ $rc -eq 1 ] || fail "missing input: exit $rc, want 1"
grep -q "none.gguf" "$work/err" || fail "missing input not named"
echo "ok"
