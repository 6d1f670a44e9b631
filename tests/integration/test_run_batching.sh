#!/usr/bin/env bash
# Integration: `tianti run` with the built-in engine's batching of
# loglikelihood requests (the default: the executor hands a task's requests
# over in runs, engines/glm/glm_engine.c runs each run's tokens as one tree)
# stores the same samples as with it off (TIANTI_GLM_BATCH=0: one request
# at a time): every response's log-probability and is_greedy bit for bit,
# every score, the task results. Multiple-choice tasks in English and
# Chinese, the q8_0 and f32 models in the tree, 40 documents each, next to
# a generation task (answered one by one either way).
set -euo pipefail
: "${TIANTI_BIN:?}" "${TIANTI_SOURCE_DIR:?}"
[ -x /usr/bin/python3 ] || { echo "FAIL: /usr/bin/python3 missing (scripts/setup.sh --test installs it)"; exit 1; }
model="$TIANTI_SOURCE_DIR/models/tianti-tiny.gguf"
[ -f "$model" ] || { echo "FAIL: $model is missing (it is in the tree)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

for precision in q8_0 f32; do
  args=(run --task demo_facts_mc_en --task demo_facts_mc_zh --task demo_arith --limit 40 --threads 2 -q
        --model "glm:$model@$precision" --tasks-dir "$TIANTI_SOURCE_DIR/tasks" --format json)
  TIANTI_GLM_BATCH=0 "$TIANTI_BIN" "${args[@]}" --db one.db > one.json
  TIANTI_GLM_BATCH=1 "$TIANTI_BIN" "${args[@]}" --db batch.db > batch.json
  # every stored sample, its timings left out (they differ from run to run)
  /usr/bin/python3 - one.db batch.db one.json batch.json <<'PY'
import json, sqlite3, sys
def samples(path):
    q = ("select t.name, s.doc_id, s.responses_json, s.scores_json, coalesce(s.error, '') "
         "from samples s join tasks t on t.id = s.task_id order by t.name, s.doc_id")
    out = []
    for name, doc, resp, scores, err in sqlite3.connect(path).execute(q):
        rs = json.loads(resp)
        for r in rs:
            r.pop("latency_s", None)
            r.pop("first_token_s", None)
        out.append((name, doc, rs, scores, err))
    return out
a, b = samples(sys.argv[1]), samples(sys.argv[2])
assert len(a) == 120, f"{len(a)} samples, want 120"
assert sum(1 for s in a if any("logprob" in r and r.get("n_tokens") for r in s[2])) >= 80, "too few scored requests"
for x, y in zip(a, b):
    assert x == y, f"batched sample differs:\n{x}\n{y}"
ra = json.load(open(sys.argv[3]))[0]["results"]; rb = json.load(open(sys.argv[4]))[0]["results"]
assert ra == rb, (ra, rb)
PY
  rm -f one.db batch.db
  echo "ok: $precision: 120 samples and the results identical with batching on and off"
done
