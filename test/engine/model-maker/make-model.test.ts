import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGguf, readTensorData, type GgufFile } from '../../../src/engine/gguf/reader.js';
import { toJsonValue } from '../../../src/engine/gguf/value-types.js';
import { makeModel } from '../../../src/engine/model-maker/make-model.js';
import { dequantizeRow } from '../../../src/engine/model-maker/quantize/index.js';
import { llama3RopeFactors } from '../../../src/engine/model-maker/rope-freqs.js';
import { explicitShape, NAMED_SHAPES, parseDims, type Arch } from '../../../src/engine/model-maker/shapes.js';
import { modelTensors } from '../../../src/engine/model-maker/tensors.js';
import { FILE_TYPE, parseWeightType, planTypes, useMoreBits, type WeightType } from '../../../src/engine/model-maker/type-plan.js';
import { loadVocab } from '../../../src/engine/model-maker/vocab.js';
import { referencePath } from '../../helpers/reference.js';

interface ModelsJson {
  models: Record<string, { arch: Arch; n_embd: number; n_layer: number; n_head: number; n_head_kv: number; n_ff: number; tied: boolean; n_vocab: number }>;
  files: Record<string, { 'general.file_type': number; tensors: Record<string, { type: string; ne: number[] }> }>;
}
const models = JSON.parse(readFileSync(referencePath('models', 'models.json'), 'utf8')) as ModelsJson;
const dir = mkdtempSync(join(tmpdir(), 'nibble-mm-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// The reference files were written by llama.cpp's tools (gguf-py, then
// llama-quantize), so their tensor tables are the ground truth for names,
// shapes and the type each tensor gets.
t.test('tensor tables and type plans reproduce every llama-quantize reference file', async (t) => {
  for (const [file, want] of Object.entries(models.files)) {
    const [model, type] = file.replace(/\.gguf$/, '').split('.');
    const m = models.models[model];
    const shape = explicitShape(m.arch, { nEmbd: m.n_embd, nLayer: m.n_layer, nHead: m.n_head, nHeadKv: m.n_head_kv, nFf: m.n_ff }, { tied: m.tied });
    const tensors = modelTensors(shape, m.n_vocab);
    const types = planTypes(tensors, parseWeightType(type), shape.tied);
    const got = Object.fromEntries(tensors.map((x, i) => [x.name, { type: types[i].name.toUpperCase(), ne: [...x.dims] }]));
    const expected = Object.fromEntries(Object.entries(want.tensors).map(([n, x]) => [n, { type: x.type.toUpperCase(), ne: x.ne }]));
    t.same(got, expected, `${file}: names, shapes and types`);
    t.equal(FILE_TYPE[parseWeightType(type)], want['general.file_type'], `${file}: general.file_type`);
  }
});

t.test('Qwen2.5-0.5B Q4_K_M gets the real file\'s type mix (FACTS.md)', async (t) => {
  const s = NAMED_SHAPES['qwen2.5-0.5b'];
  const types = planTypes(modelTensors(s, 151936), 'Q4_K_M', s.tied);
  const counts: Record<string, number> = {};
  for (const ty of types) counts[ty.name] = (counts[ty.name] ?? 0) + 1;
  t.same(counts, { q8_0: 13, f32: 121, q5_0: 132, q4_K: 12, q6_K: 12 });
});

t.test('use_more_bits picks the first and last eighth and every third layer between', async (t) => {
  const picked = (n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => useMoreBits(i, n));
  t.same(picked(4), [2, 3]);
  t.same(picked(3), [2]);
  t.same(picked(24), [0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23]);
});

t.test('K-quant fallbacks on rows that are not a multiple of 256', async (t) => {
  const shape = explicitShape('llama', { nEmbd: 96, nLayer: 1, nHead: 2, nHeadKv: 1, nFf: 256 });
  const tensors = modelTensors(shape, 100);
  const typeOf = (req: WeightType, name: string) => planTypes(tensors, req, false)[tensors.findIndex((x) => x.name === name)].name;
  t.equal(typeOf('Q4_K', 'blk.0.attn_q.weight'), 'q5_0');
  t.equal(typeOf('Q5_K', 'blk.0.attn_q.weight'), 'q5_1');
  t.equal(typeOf('Q6_K', 'blk.0.attn_q.weight'), 'q8_0');
  t.equal(typeOf('Q2_K', 'blk.0.attn_q.weight'), 'iq4_nl');
  t.equal(typeOf('Q3_K', 'blk.0.attn_q.weight'), 'iq4_nl');
  t.equal(typeOf('Q4_K', 'blk.0.ffn_down.weight'), 'q4_K', 'rows of 256 keep the K-quant');
  t.equal(typeOf('Q4_0', 'output.weight'), 'q8_0', 'output on short rows');
  t.equal(typeOf('Q4_K', 'blk.0.attn_norm.weight'), 'f32');
  t.equal(typeOf('F16', 'output.weight'), 'f16', 'float requests keep every matrix in that type');
  const odd = modelTensors(explicitShape('llama', { nEmbd: 40, nLayer: 1, nHead: 2, nHeadKv: 1, nFf: 64 }), 100);
  t.throws(() => planTypes(odd, 'Q4_0', false), /rows of 40 are not a multiple of the q4_0 block/);
});

// Published parameter counts (Hugging Face model cards / safetensors
// headers) check the named shapes, with each model's real vocabulary size.
t.test('named shapes have the published parameter counts', async (t) => {
  const want: Record<string, [number, number]> = {
    'smollm2-135m': [49152, 134515008],
    'qwen2.5-0.5b': [151936, 494032768],
    'tinyllama-1.1b': [32000, 1100048384],
    'llama3.2-1b': [128256, 1235814400],
  };
  for (const [name, [nVocab, params]] of Object.entries(want)) {
    const n = modelTensors(NAMED_SHAPES[name], nVocab)
      .filter((x) => x.name !== 'rope_freqs.weight')
      .reduce((a, x) => a + x.dims.reduce((p, d) => p * d, 1), 0);
    t.equal(n, params, name);
  }
});

t.test('llama3 rope factors follow the converter: 1 for short wavelengths, factor for long, smooth between', async (t) => {
  const s = NAMED_SHAPES['llama3.2-1b'];
  const f = llama3RopeFactors(64, s.ropeBase, s.llama3Rope!);
  t.equal(f.length, 32);
  t.equal(f[0], 1);
  t.equal(f[31], 32);
  for (let i = 1; i < 32; i++) t.ok(f[i] >= f[i - 1], `non-decreasing at ${i}`);
  // frequency i: base^(-2i/64); wavelength 2*pi/freq between 2048 and 8192 gets
  // 1 / ((1 - s)/32 + s) with s = (8192/wavelength - 1) / 3
  const i = f.findIndex((v) => v > 1 && v < 32);
  const wavelen = 2 * Math.PI * 500000 ** (2 * i / 64);
  const smooth = (8192 / wavelen - 1) / 3;
  t.ok(Math.abs(f[i] - 1 / ((1 - smooth) / 32 + smooth)) < 1e-3 * f[i], `smooth factor at ${i}: ${f[i]}`);
});

function stats(g: GgufFile, name: string): { mean: number; std: number; neg: number } {
  const ti = g.tensors.find((x) => x.name === name)!;
  const raw = new Uint8Array(ti.nBytes);
  readTensorData(g, ti, raw);
  const y = dequantizeRow(ti.type, raw, ti.nElements);
  let s = 0;
  let s2 = 0;
  let neg = 0;
  for (const v of y) { s += v; s2 += v * v; if (v < 0) neg++; }
  const mean = s / y.length;
  return { mean, std: Math.sqrt(s2 / y.length - mean * mean), neg };
}

t.test('a written model: metadata as llama.cpp writes it, the vocabulary\'s tokenizer keys only, sane weights', async (t) => {
  const vocab = loadVocab(referencePath('vocab', 'ggml-vocab-starcoder.gguf'));
  const shape = explicitShape('qwen2', parseDims('128,2,4,2,384'));
  const path = join(dir, 'q.gguf');
  const made = makeModel(path, { shape, type: 'F32', vocab, seed: 11 });
  const g = readGguf(path);
  t.equal(made.fileSize, g.fileSize);
  const meta = Object.fromEntries([...g.metadata].map(([k, kv]) => [k, toJsonValue(kv)]));
  t.match(meta, {
    'general.architecture': 'qwen2', 'qwen2.embedding_length': 128, 'qwen2.block_count': 2, 'qwen2.feed_forward_length': 384,
    'qwen2.attention.head_count': 4, 'qwen2.attention.head_count_kv': 2, 'qwen2.rope.dimension_count': 32,
    'qwen2.context_length': 2048, 'qwen2.rope.freq_base': 1000000, 'qwen2.vocab_size': 49152,
    'general.file_type': 0, 'general.quantization_version': 2,
  });
  t.ok(Math.abs((meta['qwen2.attention.layer_norm_rms_epsilon'] as number) - 1e-6) < 1e-12);
  const src = readGguf(referencePath('vocab', 'ggml-vocab-starcoder.gguf'));
  for (const [k, kv] of src.metadata) {
    if (k.startsWith('tokenizer.')) t.same(g.metadata.get(k), kv, `${k} copied exactly`);
    else if (k !== 'general.architecture' && k !== 'general.name' && k !== 'general.file_type') t.notOk(g.metadata.has(k), `${k} not copied`);
  }
  t.equal(meta['general.architecture'], 'qwen2', 'the vocabulary\'s own architecture is not copied');
  t.ok(g.tensors.some((x) => x.name === 'blk.1.attn_v.bias'), 'qwen2 has q/k/v biases');
  t.notOk(g.tensors.some((x) => x.name === 'output.weight'), 'qwen2 explicit shapes are tied by default');
  // init scales as the reference models use them
  const emb = stats(g, 'token_embd.weight');
  t.ok(Math.abs(emb.std - 4 / Math.sqrt(128)) < 0.01 && Math.abs(emb.mean) < 0.01, `token_embd std ${emb.std.toFixed(4)}`);
  const q = stats(g, 'blk.0.attn_q.weight');
  t.ok(Math.abs(q.std - 1 / Math.sqrt(128)) < 0.003, `attn_q std ${q.std.toFixed(4)}`);
  const down = stats(g, 'blk.0.ffn_down.weight');
  t.ok(Math.abs(down.std - 1 / Math.sqrt(384) / 2) < 0.002, `ffn_down std ${down.std.toFixed(4)}: 1/sqrt(n_ff) scaled by 1/sqrt(2 n_layer)`);
  const norm = stats(g, 'blk.0.attn_norm.weight');
  t.ok(Math.abs(norm.mean - 1) < 0.05 && Math.abs(norm.std - 0.1) < 0.03 && norm.neg === 0, `attn_norm mean ${norm.mean.toFixed(3)}`);
  const outNorm = stats(g, 'output_norm.weight');
  t.ok(outNorm.neg > 32 && outNorm.neg < 96, `tied output_norm has random signs (${outNorm.neg} of 128 negative)`);
});

t.test('the same seed writes the same bytes; another seed other weights', async (t) => {
  const vocab = loadVocab(referencePath('vocab', 'ggml-vocab-llama-spm.gguf'));
  const shape = explicitShape('llama', parseDims('64,1,4,2,128'));
  const a = join(dir, 'a.gguf');
  const b = join(dir, 'b.gguf');
  makeModel(a, { shape, type: 'Q4_K_M', vocab, seed: 5 });
  makeModel(b, { shape, type: 'Q4_K_M', vocab, seed: 5 });
  t.ok(readFileSync(a).equals(readFileSync(b)), 'seed 5 twice');
  makeModel(b, { shape, type: 'Q4_K_M', vocab, seed: 6 });
  t.notOk(readFileSync(a).equals(readFileSync(b)), 'seed 6 differs');
});

t.test('vocabulary sources: a GGUF without tokens and tokenizer.json are clear errors', async (t) => {
  const shape = explicitShape('llama', parseDims('64,1,4,2,128'));
  const noTok = join(dir, 'notok.gguf');
  makeModel(noTok, { shape, type: 'F32', vocab: { path: 'x', keys: [], nVocab: 8 }, seed: 1 });
  t.throws(() => loadVocab(noTok), /no tokenizer.ggml.tokens/);
  t.throws(() => loadVocab('/some/tokenizer.json'), /\/some\/tokenizer.json does not exist/);
});
