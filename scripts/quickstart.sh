#!/usr/bin/env bash
# quickstart.sh — the README's first command: sets everything up, builds,
# and runs the main job on the built-in default: the demo suite on the
# model that ships with the project (models/tianti-tiny.gguf) at f32, f16,
# q8_0 and q4_0, then prints the comparison and writes the report. No network, no API key, no
# download. Results land in quickstart.db (override with TIANTI_DB).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
db="${TIANTI_DB:-quickstart.db}"
models=()
for p in f32 f16 q8_0 q4_0; do models+=(--model "tiny-$p"); done
build/tianti run --suite demo "${models[@]}" --db "$db" --jobs 1 "$@" > /dev/null
echo
echo "Demo suite on the built-in tianti-tiny model at each precision (database: $db)"
echo
build/tianti results --compare --db "$db"
build/tianti report --db "$db" --out report > /dev/null
echo
echo "Leaderboard report: report/index.html (also report/leaderboard.md, .json, .csv, charts/)"
