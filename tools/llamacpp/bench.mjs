// bench.mjs — llama.cpp's speed on one GGUF, measured as `tianti bench`
// measures the built-in engine, so that tests/perf/vs_llamacpp.py can put
// the two side by side: ppN = N prompt tokens evaluated as one batch into an
// empty context; tgN = N tokens evaluated one at a time (the first from a
// one-token prompt, each next one the greedy pick of the last), both in
// tokens/s, after one untimed warm-up of each. CPU only, the given threads,
// f16 KV cache (llama.cpp's default), no flash attention.
//
//   cd tools/llamacpp && npm ci
//   node bench.mjs MODEL.gguf --threads N -p 512 -n 128 [-r 1]
// Prints one JSON object: {"llama_cpp": tag, "pp": [t/s per repetition], "tg": [...], "load_s": s}
import {getLlama} from "node-llama-cpp";
import fs from "fs";
import path from "path";
import {fileURLToPath} from "url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const modelPath = args.find((a, i) => !a.startsWith("-") && (i === 0 || !args[i - 1].startsWith("-")));
if (!modelPath) {
  console.error("usage: node bench.mjs MODEL.gguf --threads N -p PP -n TG [-r REPS]");
  process.exit(2);
}
const threads = opt("--threads", 1), nPrompt = opt("-p", 512), nGen = opt("-n", 128), reps = opt("-r", 1);

const llama = await getLlama({gpu: false, build: "never", skipDownload: true, logLevel: "error"});
let t0 = performance.now();
const model = await llama.loadModel({modelPath});
const loadS = (performance.now() - t0) / 1000;
const nVocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
const ctx = await model.createContext({contextSize: Math.max(nPrompt, nGen) + 16, batchSize: Math.max(nPrompt, 1),
                                       threads, flashAttention: false});
const seq = ctx.getSequence();

// deterministic ids away from the control tokens at the vocabulary's end
let seed = 12345;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % (nVocab - 64); };
const prompt = Array.from({length: nPrompt}, rnd);

async function pp() {
  await seq.clearHistory();
  const t = performance.now();
  await seq.evaluateWithoutGeneratingNewTokens(prompt);
  return nPrompt / ((performance.now() - t) / 1000);
}

async function tg() {
  await seq.clearHistory();
  let n = 0;
  const t = performance.now();
  for await (const token of seq.evaluate([prompt[0]], {temperature: 0})) {
    void token;
    if (++n >= nGen) break;
  }
  return nGen / ((performance.now() - t) / 1000);
}

await pp();
await tg();
const out = {llama_cpp: JSON.parse(fs.readFileSync(path.join(here, "node_modules/node-llama-cpp/llama/llama.cpp.info.json"))).tag,
             threads, load_s: loadS, pp: [], tg: []};
for (let r = 0; r < reps; r++) {
  out.pp.push(await pp());
  out.tg.push(await tg());
}
console.log(JSON.stringify(out));
await ctx.dispose();
await model.dispose();
