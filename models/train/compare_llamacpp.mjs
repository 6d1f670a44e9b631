// Optional cross-check against llama.cpp via node-llama-cpp 3.21.1 (see
// compare_llamacpp.py, which writes t.gguf and ref.json into $CMP_DIR).
// Prints positions compared, argmax agreement and max |p_llama - p_numpy|.
import {getLlama} from "node-llama-cpp";
import fs from "fs";
const ref = JSON.parse(fs.readFileSync((process.env.CMP_DIR || "/tmp/tianti-llamacpp") + "/ref.json"));
const llama = await getLlama({gpu: false, build: "never", skipDownload: true});
const model = await llama.loadModel({modelPath: (process.env.CMP_DIR || "/tmp/tianti-llamacpp") + "/t.gguf"});
let worst = 0, agree = 0, n = 0;
for (const r of ref) {
  const ctx = await model.createContext({contextSize: 256, threads: 1});
  const seq = ctx.getSequence();
  const res = await seq.controlledEvaluate(r.ids.map(t => [t, {generateNext: {probabilities: true, token: true}}]));
  res.forEach((item, i) => {
    const p = item.next.probabilities;
    const mine = r.probs[i];
    let am = 0; for (let k = 1; k < mine.length; k++) if (mine[k] > mine[am]) am = k;
    if (item.next.token === am) agree++;
    n++;
    for (let k = 0; k < mine.length; k++) {
      const d = Math.abs((p.get(k) ?? 0) - mine[k]);
      if (d > worst) worst = d;
    }
  });
  await ctx.dispose();
}
console.log(`positions ${n}, argmax agree ${agree}, max |p_llama - p_numpy| = ${worst}`);
