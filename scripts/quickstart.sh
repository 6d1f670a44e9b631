#!/usr/bin/env bash
# quickstart.sh — the README's first command: sets everything up, builds,
# and runs the main job on the built-in default, the chat model that ships
# with the project (models/tianti-tiny.gguf) at f32, f16, q8_0 and q4_0,
# next to its base model (models/tianti-tiny-base.gguf, no chat training):
#   1. the demo suite (completion and chat tasks) on each, and the
#      comparison table;
#   2. the two-turn demo questions in MT-bench's shape, each turn graded
#      against its reference answer;
#   3. memory and speed per precision (tianti bench, small sizes);
#   4. judged battles in chat mode: each precision against the base model
#      (Arena-Hard's design: one common opponent) on the chat demo
#      questions, the reference judge deciding, and the Bradley-Terry
#      ratings;
#   5. the leaderboard report in report/.
# No network, no API key, no download. Results land in quickstart.db
# (override with TIANTI_DB); extra arguments go to `tianti run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
db="${TIANTI_DB:-quickstart.db}"
models=()
for p in f32 f16 q8_0 q4_0; do models+=(--model "tiny-$p"); done
models+=(--model tiny-base)

echo "== Running the demo suite on the four precisions and the base model (progress on stderr)"
build/tianti run --suite demo "${models[@]}" --db "$db" --jobs 1 "$@" > /dev/null
echo
echo "== Demo suite on the built-in tianti-tiny model at each precision, and its base model (database: $db)"
echo
build/tianti results --compare --db "$db"

echo
echo "== Two-turn questions in MT-bench's shape (the second refers to the first answer), graded by reference"
echo
build/tianti mtbench run --bench demo_two_turn --questions tasks/demo/data/chat_two_turn.jsonl "${models[@]}" \
  --judge reference --max-tokens 16 --db "$db"

echo
echo "== Memory and speed per precision"
echo
build/tianti bench --model glm:models/tianti-tiny.gguf -p 128 -n 32 -r 3 --db "$db"

echo
echo "== Judged battles in chat mode: each precision against the base model (chat demo questions, reference judge)"
echo
echo "(400 battles, each two answers and a judgement: a minute or two)"
build/tianti arena auto "${models[@]}" --baseline tiny-base --judge reference \
  --prompts tasks/demo/data/chat_arena.jsonl --max-tokens 16 --rounds 400 --db "$db" -q
build/tianti ratings --db "$db" --bootstrap 1000

build/tianti report --db "$db" --output report > /dev/null
echo
echo "Leaderboard report: report/index.html (also report/leaderboard.md, .json, .csv, charts/)"
