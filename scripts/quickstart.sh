#!/usr/bin/env bash
# quickstart.sh — the README's first command: sets everything up, builds,
# and runs the main job on the built-in default, the model that ships with
# the project (models/tianti-tiny.gguf) at f32, f16, q8_0 and q4_0:
#   1. the demo suite at each precision, and the comparison table;
#   2. memory and speed per precision (tianti bench, small sizes);
#   3. judged battles between the precisions on the demo arithmetic
#      questions, and their Bradley-Terry ratings;
#   4. the leaderboard report in report/.
# No network, no API key, no download. Results land in quickstart.db
# (override with TIANTI_DB); extra arguments go to `tianti run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
db="${TIANTI_DB:-quickstart.db}"
models=()
for p in f32 f16 q8_0 q4_0; do models+=(--model "tiny-$p"); done

echo "== Running the demo suite on the four precisions (progress on stderr)"
build/tianti run --suite demo "${models[@]}" --db "$db" --jobs 1 "$@" > /dev/null
echo
echo "== Demo suite on the built-in tianti-tiny model at each precision (database: $db)"
echo
build/tianti results --compare --db "$db"

echo
echo "== Memory and speed per precision"
echo
build/tianti bench --model glm:models/tianti-tiny.gguf -p 128 -n 32 -r 3 --db "$db"

echo
echo "== Judged battles between the precisions (demo arithmetic, reference judge)"
echo
echo "(400 battles, each two answers and a judgement: a minute or two)"
build/tianti arena auto "${models[@]}" --judge reference --prompts demo_arith \
  --completion --max-tokens 16 --rounds 400 --db "$db" -q
build/tianti ratings --db "$db" --bootstrap 1000

build/tianti report --db "$db" --output report > /dev/null
echo
echo "Leaderboard report: report/index.html (also report/leaderboard.md, .json, .csv, charts/)"
