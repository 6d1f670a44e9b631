#!/usr/bin/env bash
# Checks the committed tiny model and demo suite files (models/tianti-tiny.gguf,
# tasks/demo/, tests/data/tokenizer_cases.jsonl, tests/data/glm/tiny_ref.json):
# sizes, GGUF header, the reference's sha256 names this very file, every suite
# task parses and its data has 50-150 well-formed items.  With Debian's Python
# and numpy (scripts/setup.sh installs python3-numpy and jq; either missing
# fails the test) it also regenerates the demo data (gen_data.py is
# deterministic and checks train/test disjointness) and diffs it against the
# committed files, and replays the tokenizer cases and reference logits
# (models/train/check_files.py).  Run by ctest.
set -euo pipefail
SRC=${TIANTI_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$SRC"
fail() { echo "tiny_model_files: $*" >&2; exit 1; }
command -v jq >/dev/null || fail "jq not installed (scripts/setup.sh installs it)"

G=models/tianti-tiny.gguf
[ -f "$G" ] || fail "'$G' missing"
size=$(stat -c %s "$G")
[ "$size" -lt 10485760 ] || fail "'$G' is $size bytes, over 10 MiB"
[ "$(head -c 4 "$G")" = "GGUF" ] || fail "'$G' has no GGUF magic"
ver=$(od -An -tu4 -j4 -N4 "$G" | tr -d ' ')
[ "$ver" = 3 ] || fail "'$G' is GGUF version $ver, want 3"
want=$(jq -r .gguf_sha256 tests/data/glm/tiny_ref.json)
have=$(sha256sum "$G" | cut -d' ' -f1)
[ "$want" = "$have" ] || fail "tiny_ref.json was made from another model file ($want != $have)"

ncases=$(jq -c . tests/data/tokenizer_cases.jsonl | wc -l)
[ "$ncases" -ge 30 ] || fail "tokenizer_cases.jsonl has $ncases cases"

for t in $(jq -r '.tasks[]' tasks/demo/demo.suite.json); do
  f=tasks/demo/$t
  jq -e '.name and .output_type and .doc_to_text and .metrics' "$f" >/dev/null || fail "'$f' lacks a required key"
  data=tasks/demo/$(jq -r '.dataset.splits[.test_split]' "$f")
  n=$(jq -c . "$data" | wc -l)
  [ "$n" -ge 50 ] && [ "$n" -le 150 ] || fail "'$data' has $n items, want 50-150"
  shots=tasks/demo/$(jq -r '.dataset.splits[.fewshot_split]' "$f")
  [ -f "$shots" ] || fail "'$shots' missing"
done
if [ -x "${TIANTI_BIN:-}" ]; then
  "$TIANTI_BIN" tasks --check --tasks-dir "$SRC/tasks" demo >/dev/null || fail "'tianti tasks --check demo' failed"
fi

PY=/usr/bin/python3
"$PY" -c 'import numpy' 2>/dev/null || fail "$PY cannot import numpy (scripts/setup.sh installs python3-numpy)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" models/train/gen_data.py --out-corpus "$tmp/corpus.jsonl" --tasks-dir "$tmp/demo" 2>/dev/null \
  || fail "gen_data.py failed (disjointness check?)"
diff -r "$tmp/demo/data" tasks/demo/data >/dev/null || fail "tasks/demo/data differs from what gen_data.py makes"
"$PY" models/train/check_files.py || fail "check_files.py failed"
echo "tiny_model_files: all checks pass"
