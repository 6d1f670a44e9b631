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
//
//   node bench.mjs MODEL.gguf --threads N --requests FILE [-r 1]
// Log-likelihood requests (JSON lines {"context": [ids], "continuation":
// [ids]}, as `perf_glm --mmlu --dump-requests` writes them), sent one by
// one in order, each scored as the sum of the continuation's log-probs:
// once evaluating every request whole ("no_reuse"), once keeping the KV
// cache's common prefix with the previous request as llama-server's
// cache_prompt does ("reuse"; the last context token is always run again,
// for its next-token probabilities). Prints requests/s per repetition, the
// tokens run per request and the first request's score.
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
const ri = args.indexOf("--requests");
const requests = ri >= 0 ? fs.readFileSync(args[ri + 1], "utf8").trim().split("\n").map((l) => JSON.parse(l)) : null;

const llama = await getLlama({gpu: false, build: "never", skipDownload: true, logLevel: "error"});
let t0 = performance.now();
const model = await llama.loadModel({modelPath});
const loadS = (performance.now() - t0) / 1000;
const nVocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
const longest = requests ? Math.max(...requests.map((r) => r.context.length + r.continuation.length)) : 0;
const ctx = await model.createContext({contextSize: Math.max(nPrompt, nGen, longest) + 16,
                                       batchSize: Math.max(nPrompt, longest, 1), threads, flashAttention: false});
const seq = ctx.getSequence();

const greedy = {temperature: 1, topK: 0, topP: 1, minP: 0};
let tokensRun = 0;
async function score(req, reuse) {
  const toks = req.context.concat(req.continuation);
  let keep = 0;
  if (reuse) {
    const have = seq.contextTokens;
    while (keep < have.length && keep < req.context.length - 1 && have[keep] === toks[keep]) keep++;
    if (keep < seq.nextTokenIndex) await seq.eraseContextTokenRanges([{start: keep, end: seq.nextTokenIndex}]);
  } else {
    await seq.clearHistory();
  }
  const first = req.context.length - 1;   // the position whose next token is the continuation's first
  const items = [];
  for (let i = keep; i < toks.length - 1; i++)
    items.push(i >= first ? [toks[i], {generateNext: {probabilities: true, options: greedy}}] : toks[i]);
  tokensRun += items.length;
  const res = await seq.controlledEvaluate(items);
  let lp = 0;
  for (let i = first; i < toks.length - 1; i++) lp += Math.log(res[i - keep].next.probabilities.get(toks[i + 1]));
  return lp;
}

async function runRequests(reuse) {
  await seq.clearHistory();
  tokensRun = 0;
  const t = performance.now();
  let firstScore = null;
  for (const r of requests) {
    const lp = await score(r, reuse);
    if (firstScore === null) firstScore = lp;
  }
  return {rps: requests.length / ((performance.now() - t) / 1000), perRequest: tokensRun / requests.length, firstScore};
}

if (requests) {
  await runRequests(false);   // warm-up
  const out = {llama_cpp: JSON.parse(fs.readFileSync(path.join(here, "node_modules/node-llama-cpp/llama/llama.cpp.info.json"))).tag,
               threads, requests: requests.length, no_reuse: [], reuse: []};
  for (let r = 0; r < reps; r++) {
    for (const reuse of [false, true]) {
      const x = await runRequests(reuse);
      out[reuse ? "reuse" : "no_reuse"].push(x.rps);
      out[reuse ? "tokens_run_reuse" : "tokens_run_no_reuse"] = x.perRequest;
      out.first_score = x.firstScore;
    }
  }
  console.log(JSON.stringify(out));
  await ctx.dispose();
  await model.dispose();
  process.exit(0);
}

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
