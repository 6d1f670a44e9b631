// tokenize_cases.mjs — writes tests/data/glm/glm4_tokens.jsonl: strings and
// the token ids llama.cpp gives them with tests/data/glm/glm4_vocab.gguf (a
// "chatglm-bpe" vocabulary, tools/llamacpp/make_glm4_vocab.py), and
// spm_tokens.jsonl the same with spm_vocab.gguf (SentencePiece). The GLM
// engine's tokenizer must give the same ids (tests/unit/test_glm_tokenizer.c).
//
// llama.cpp is node-llama-cpp's prebuilt build (pinned in package.json):
//   cd tools/llamacpp && npm ci && node tokenize_cases.mjs
// Each line: {"text": ..., "special": true|false (parse special tokens),
// "ids": [...]}; no BOS is added (llama.cpp's add_special off), as the
// engine's glm_tokenize does not add one either.
import {getLlama} from "node-llama-cpp";
import fs from "fs";
import path from "path";
import {fileURLToPath} from "url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const vocab = process.argv[2] || path.join(root, "tests/data/glm/glm4_vocab.gguf");
const out = process.argv[3] || path.join(root, "tests/data/glm/glm4_tokens.jsonl");

const long = (s, n) => s.repeat(n);
const cases = [
  // digits: groups of 1-3 from the left, per run of \p{N}
  "1", "12", "123", "1234", "1234567", "12345678901234567890", "3.14159", "1,000,000", "-42", "x2y34z567",
  "2026-12-02 15:12:00", "v1.2.3", "0x1F", "１２３４５", "٣٤٥٦", "Ⅻ and ½ and ²³", "a123b", "12 345 6789",
  // spaces, tabs, newlines
  " ", "  ", "   ", "a  b", "a   b", " leading", "trailing ", "trailing   ", "\t", "\ttab", "a\tb",
  "\n", "\n\n", "a\nb", "a\n\nb", "a \n b", "a\r\nb", "line1\r\n\r\nline2", "  \n  x", "\u00a0nbsp", "x\u3000y",
  // punctuation runs and contractions
  "!!!", "...", "?!", "hello, world!", "(a)", "[x]{y}", "a.b.c", "--flag=value", "#include <stdio.h>",
  "don't", "I'm", "we'll", "they're", "you've", "he'd", "DON'T", "It'S", "'s", "''", "a'b", " 'quoted' ",
  // CJK and wide punctuation
  "中文", "你好，世界！", "巴黎是法国的首都。", "计算：12+35=47", "问题：北京在哪里？\n答案：中国",
  "日本語のテキスト", "한국어 텍스트", "「引用」《书名》", "中文English混合123",
  // emoji and other scripts
  "😀", "👍🏽", "👨‍👩‍👧", "I ❤ GLM", "Ελληνικά", "Русский текст", "עברית", "العربية", "हिन्दी", "ไทย",
  "café", "naïve", "e\u0301", "Zürich", "straße",
  // code
  "def f(x):\n    return x * 2\n", "int main(void) { return 0; }", "for (i = 0; i < n; i++) a[i] += b[i];",
  "if x == 1:\n\tprint('one')", "const s = `${a}-${b}`;", "SELECT * FROM t WHERE id = 42;",
  "<html><body>hi</body></html>", "https://example.com/a?b=1&c=2",
  // the vocabulary's whole-only tokens (merges still apply)
  " xyzzy", "a xyzzy b", " plugh", "hello world", "helloworld", "abcdefgh", "abcdefghij",
  // long letter runs (quadratic in a naive BPE)
  long("a", 3000), long("ab", 1500), long("abc", 1000) + " " + long("xyz", 1000), long("中", 500), long("9", 1000),
  // words
  "Paris is the capital of France.", "Question: What is the capital of France?\nAnswer: Paris",
  "The quick brown fox jumps over the lazy dog",
];
// special tokens: parsed when "special" is true, plain text otherwise; the
// user-defined token is split out either way
const specials = [
  "[gMASK]<sop><|user|>\nhello<|assistant|>\n", "<|endoftext|>", "a<|endoftext|>b", "<|user|><|user|>",
  "x <tool_call> y", "<tool_call>", "[gMASK]<sop><|system|>\nsys<|user|>\nq<|assistant|>\nA<|observation|>",
  "<|endoftext", "<eop>[MASK]", "text<|begin_of_image|>more",
];

const llama = await getLlama({gpu: false, build: "never", skipDownload: true});
const model = await llama.loadModel({modelPath: vocab, vocabOnly: true});
const lines = [];
for (const text of cases) lines.push({text, special: false, ids: Array.from(model.tokenize(text, false))});
for (const text of specials)
  for (const special of [true, false]) lines.push({text, special, ids: Array.from(model.tokenize(text, special))});
fs.writeFileSync(out, lines.map(l => JSON.stringify(l)).join("\n") + "\n");
console.log(`${out}: ${lines.length} cases`);
await model.dispose();

// the SentencePiece path (tests/data/glm/spm_vocab.gguf -> spm_tokens.jsonl)
const spm_cases = [
  "hello", " hello", "  hello", "hello world", "hello  world", "helloworld", "the capital of France is Paris",
  "Paris12", "1234", "hello\nworld", "\n", " ", "", "中文", "你好，世界", "héllo wörld", "😀 hello",
  "hello<s>hello", "<s>hello", "hello</s>", "<s><s>", "<|user|>\nhello<|user|> world", "<unk>hello",
  long("hello", 300), long("中文", 200),
];
const spm = await llama.loadModel({modelPath: path.join(root, "tests/data/glm/spm_vocab.gguf"), vocabOnly: true});
const spm_lines = [];
for (const text of spm_cases)
  for (const special of [true, false]) spm_lines.push({text, special, ids: Array.from(spm.tokenize(text, special))});
const spm_out = path.join(root, "tests/data/glm/spm_tokens.jsonl");
fs.writeFileSync(spm_out, spm_lines.map(l => JSON.stringify(l)).join("\n") + "\n");
console.log(`${spm_out}: ${spm_lines.length} cases`);
await spm.dispose();
