#!/usr/bin/env bash
# Rebuilds tianti-tiny from nothing: corpus and demo suite, tokenizer, training,
# GGUF export, NumPy reference data, demo-suite scores.  Run from anywhere:
#   models/train/build.sh [train.py options, e.g. --threads 1]
# Needs Debian's /usr/bin/python3 (numpy, torch).  Training on CPU takes
# ~50 min at two threads; with the reference BLAS that Debian's torch uses by
# default it is ~12x slower, so an OpenBLAS libblas.so.3 is preferred when
# present (apt-get install libopenblas0-pthread).  Rerunning resumes training
# from models/train/work/ckpt.pt; delete models/train/work/ to start over.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
OB=/usr/lib/x86_64-linux-gnu/openblas-pthread
if [ -e "$OB/libblas.so.3" ]; then
  export LD_LIBRARY_PATH="$OB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
fi
mkdir -p work
"$PY" gen_data.py                 # work/{corpus,focus,chat}.jsonl, tasks/demo/data/*.jsonl
"$PY" bpe.py 1280                 # work/tokenizer.json, tests/data/tokenizer_cases.jsonl
# two stages: the second resumes from the first's checkpoint (the batch
# sampler reseeded from the step), with more multiple-choice windows, on the
# same learning-rate curve (a 5000-step cosine, then 10 %)
"$PY" train.py --steps 2500 --cosine-steps 5000 --threads 2 --chat-prob 0.3 --focus-from 200 --focus-prob 0.35 \
  "$@" 2>&1 | tee work/train.out
"$PY" train.py --steps 5500 --cosine-steps 5000 --threads 2 --chat-prob 0.3 --focus-from 200 --focus-prob 0.5 \
  "$@" 2>&1 | tee -a work/train.out
"$PY" export_gguf.py              # models/tianti-tiny.gguf
"$PY" reference.py                # tests/data/glm/tiny_ref.json (asserts numpy == torch)
"$PY" eval_demo.py | tee work/eval.md
"$PY" plot_loss.py                # models/train/loss.svg via gnuplot
