#!/bin/bash
# build.sh — builds and (optionally) runs the GGUF fuzzer with clang's
# libFuzzer, ASan and UBSan. Usage: tests/fuzz/build.sh [SECONDS]
#   with SECONDS, runs the fuzzer that long on a scratch copy of the corpus.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${FUZZ_OUT:-/tmp/tianti-fuzz}
mkdir -p "$out"
clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root" "$here/fuzz_gguf.c" "$root"/engines/glm/{gguf,quant,ops,model,tokenizer}.c "$root/core/util.c" \
    -lm -lpthread -o "$out/fuzz_gguf"
echo "built $out/fuzz_gguf"
if [ $# -ge 1 ]; then
    rm -rf "$out/corpus" && cp -r "$here/corpus_gguf" "$out/corpus"
    "$out/fuzz_gguf" -max_total_time="$1" -max_len=65536 -rss_limit_mb=2048 "$out/corpus"
fi
