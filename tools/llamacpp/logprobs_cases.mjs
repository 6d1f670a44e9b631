// logprobs_cases.mjs — writes tests/data/glm/llamacpp_logprobs.json: token-id
// sequences and, for every position after the first, the log-probability
// llama.cpp gives the next token of the sequence, on tests/data/glm/tiny.gguf
// (f32). tests/integration/test_serve_token_ids.sh sends the same ids to
// `tianti serve` (echo + logprobs) and compares within 1e-3.
//
//   cd tools/llamacpp && npm ci && node logprobs_cases.mjs
// llama.cpp does not know the "tianti" pre-tokenizer, so the model is first
// copied with tokenizer.ggml.pre = "chatglm-bpe" (retag_pre.py); ids are fed
// directly, so the tokenizer is not used. Keys and values are kept in f32
// (the engine's KV cache precision), sampling is plain softmax (temperature
// 1, no top-k/top-p/min-p), one thread.
import {getLlama} from "node-llama-cpp";
import {execFileSync} from "child_process";
import fs from "fs";
import os from "os";
import path from "path";
import {fileURLToPath} from "url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const src = path.join(root, "tests/data/glm/tiny.gguf");
const out = path.join(root, "tests/data/glm/llamacpp_logprobs.json");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tianti-llamacpp-"));
const model_path = path.join(tmp, "tiny.gguf");
execFileSync("python3", [path.join(here, "retag_pre.py"), src, model_path]);

// deterministic id sequences (a small LCG), plus one with the control tokens
let seed = 12345;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const llama = await getLlama({gpu: false, build: "never", skipDownload: true});
const model = await llama.loadModel({modelPath: model_path, defaultContextFlashAttention: false});
const nVocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
const seqs = [];
for (const len of [2, 9, 24, 48]) seqs.push(Array.from({length: len}, () => rnd(nVocab - 8)));
seqs.push(Array.from(model.tokenize("1+1=2, 12+35=47", false)));
const cases = [];
for (const ids of seqs) {
  const ctx = await model.createContext({contextSize: 256, threads: 1, flashAttention: false,
                                         experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"});
  const seq = ctx.getSequence();
  const res = await seq.controlledEvaluate(ids.slice(0, -1).map(t => [t, {generateNext: {probabilities: true,
    options: {temperature: 1, topK: 0, topP: 1, minP: 0}}}]));
  const logprobs = res.map((item, i) => {
    const p = item.next.probabilities;
    let sum = 0;
    for (const v of p.values()) sum += v;
    if (p.size !== nVocab || Math.abs(sum - 1) > 1e-4) throw new Error(`position ${i}: ${p.size} probabilities summing to ${sum}`);
    return Math.log(p.get(ids[i + 1]));
  });
  cases.push({ids, logprobs});
  await ctx.dispose();
}
fs.writeFileSync(out, JSON.stringify({model: "tests/data/glm/tiny.gguf", llama_cpp: JSON.parse(fs.readFileSync(
  path.join(here, "node_modules/node-llama-cpp/llama/llama.cpp.info.json"))).tag, cases}, null, 1) + "\n");
fs.rmSync(tmp, {recursive: true});
console.log(`${out}: ${cases.length} sequences`);
await model.dispose();
