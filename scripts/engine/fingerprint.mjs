#!/usr/bin/env node
// Prints a fingerprint (sha256 of every logit, bit for bit) of teacher
// forcing on one model per weight type, at 1 and 2 threads. nibble's
// WebAssembly arithmetic is the same on every CPU and in both kernel builds,
// so these must be identical on x64 and arm64, on Node 20 (SIMD128) and on
// Node 22/24 (relaxed SIMD): scripts/engine/check-determinism.sh compares
// them. Runs from the built dist/.
//   node scripts/engine/fingerprint.mjs MODELS_DIR > prints.json
// MODELS_DIR gets the synthetic models on the first run (made on this
// machine, so every platform reads the very same files).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dist = (p) => import(join(root, 'dist', p));
const { loadModel, closeModel } = await dist('engine/model/model.js');
const { Session } = await dist('engine/model/session.js');
const { makeModel } = await dist('engine/model-maker/make-model.js');
const { NAMED_SHAPES } = await dist('engine/model-maker/shapes.js');
const { loadVocab } = await dist('engine/model-maker/vocab.js');

const reference = process.env.NIBBLE_REFERENCE_DIR ?? resolve(root, '../shared/reference');
const modelsDir = resolve(process.argv[2] ?? join(root, '.cache', 'fingerprint-models'));
mkdirSync(modelsDir, { recursive: true });

const shared = ['tiny-llama-bpe.F32', 'tiny-llama-spm.F16', 'tiny-llama-spm.Q8_0', 'tiny-llama-bpe.Q4_0', 'tiny-llama-spm.Q4_K_M', 'tiny-qwen2.Q4_K_M']
  .map((n) => join(reference, 'models', `${n}.gguf`));
const small = { nEmbd: 256, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 512, contextLength: 256 };
const synthetic = ['BF16', 'Q4_1', 'Q5_1', 'Q2_K', 'Q3_K', 'Q5_K', 'IQ4_NL'].map((type) => {
  const path = join(modelsDir, `llama-small.${type}.gguf`);
  if (!existsSync(path)) {
    const vocab = loadVocab(join(reference, 'models', 'tiny-llama-spm.Q8_0.gguf'));
    makeModel(path, { shape: { ...NAMED_SHAPES['tinyllama-1.1b'], ...small, name: 'llama-small' }, type, vocab, seed: 11 });
  }
  return path;
});

const tokens = Array.from({ length: 40 }, (_, i) => 1 + ((i * 7919) % 3000));
const prints = {};
for (const path of [...shared, ...synthetic]) {
  const perThreads = [];
  for (const threads of [1, 2]) {
    const model = await loadModel(path, { threads, contextLength: 64, batchSize: 16 });
    const hash = createHash('sha256');
    await new Session(model).evaluate(tokens, 1, (_, logits) => hash.update(new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength)));
    perThreads.push(hash.digest('hex').slice(0, 16));
    await closeModel(model);
  }
  const name = path.split('/').pop();
  if (perThreads[0] !== perThreads[1]) throw new Error(`${name}: 1 and 2 threads differ (${perThreads.join(' vs ')})`);
  prints[name] = perThreads[0];
  process.stderr.write(`${name} ${perThreads[0]}\n`);
}
process.stdout.write(JSON.stringify({ node: process.version, arch: process.arch, prints }, null, 1) + '\n');
