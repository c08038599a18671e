// Cross-checks with llama.cpp itself (node-llama-cpp): every weight type
// make-model writes loads and generates there, and each quantized file
// computes (nearly) the same next-token distribution as an F32 twin holding
// our own decoders' view of the same weights, so a block-layout mistake in
// a quantizer or decoder shows up as a large distance.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GGML } from '../../../src/engine/ggml-types.js';
import { readGguf, readTensorData } from '../../../src/engine/gguf/reader.js';
import { GgufType, type GgufArray, type GgufArrayValue, type GgufKV } from '../../../src/engine/gguf/value-types.js';
import { writeGguf } from '../../../src/engine/gguf/writer.js';
import { makeModel } from '../../../src/engine/model-maker/make-model.js';
import { dequantizeRow } from '../../../src/engine/model-maker/quantize/index.js';
import { explicitShape, NAMED_SHAPES, type ModelShape } from '../../../src/engine/model-maker/shapes.js';
import { WEIGHT_TYPES, type WeightType } from '../../../src/engine/model-maker/type-plan.js';
import { loadVocab, type Vocab } from '../../../src/engine/model-maker/vocab.js';
import { getPeer, peerGenerate, peerSkipReason, type PeerRun } from '../../helpers/peer.js';
import { referencePath } from '../../helpers/reference.js';

const skip = peerSkipReason();
const dir = mkdtempSync(join(tmpdir(), 'nibble-peer-'));
t.teardown(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!skip) await (await getPeer()).dispose();
});

/**
 * The llama-spm vocabulary cut to its first n tokens (control tokens, the
 * 256 byte tokens, then the commonest pieces): a real SentencePiece
 * tokenizer llama.cpp accepts, with a vocabulary small enough that the
 * embedding does not dominate every model this test writes.
 */
function truncatedVocab(v: Vocab, n: number): Vocab {
  const cut = ['tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type'];
  const keys = v.keys.map(([k, kv]): [string, GgufKV] => {
    if (!cut.includes(k)) return [k, kv];
    const a = kv.value as GgufArrayValue;
    return [k, { type: kv.type, value: { itemType: a.itemType, items: a.items.slice(0, n) as GgufArray } }];
  });
  return { path: v.path, keys, nVocab: n };
}

const spm = truncatedVocab(loadVocab(referencePath('vocab', 'ggml-vocab-llama-spm.gguf')), 2000);
const prompt = 'The quick brown fox jumps over the lazy dog because';
// n_embd 256: K-quants apply to every matrix, no fallbacks
const reduced = explicitShape('llama', { nEmbd: 256, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 512 }, { contextLength: 512 });

/** Writes an all-F32 copy of a GGUF whose tensors are our decoders' output. */
function f32Twin(src: string, out: string): void {
  const g = readGguf(src);
  const metadata = [...g.metadata].map(([k, kv]): [string, GgufKV] => [k, k === 'general.file_type' ? { type: GgufType.U32, value: 0 } : kv]);
  writeGguf(out, {
    metadata,
    tensors: g.tensors.map((ti) => ({
      name: ti.name, type: GGML.F32, dims: ti.dims,
      data: () => {
        const raw = new Uint8Array(ti.nBytes);
        readTensorData(g, ti, raw);
        const y = dequantizeRow(ti.type, raw, ti.nElements);
        return new Uint8Array(y.buffer);
      },
    })),
  });
}

/** Total variation distance between two next-token distributions. */
function tvDistance(p: Map<number, number>, q: Map<number, number>): number {
  let s = 0;
  for (const [id, v] of p) s += Math.abs(v - (q.get(id) ?? 0));
  return s / 2;
}

function checkRun(t: Test, r: PeerRun, nVocab: number, what: string): void {
  t.equal(r.tokens.length, 4, `${what}: 4 tokens generated`);
  t.ok(r.tokens.every((id) => Number.isInteger(id) && id >= 0 && id < nVocab), `${what}: token ids in the vocabulary`);
  const p = r.probs[0];
  const sum = [...p.values()].reduce((a, b) => a + b, 0);
  t.ok(Math.abs(sum - 1) < 1e-3 && [...p.values()].every(Number.isFinite), `${what}: a finite distribution (sum ${sum.toFixed(4)})`);
  const top = Math.max(...p.values());
  t.ok(top < 0.999 && top > 1 / nVocab * 20, `${what}: neither one-hot nor flat (top-1 p ${top.toFixed(3)})`);
}

async function make(name: string, shape: ModelShape, type: WeightType, seed = 7, vocab = spm): Promise<string> {
  const path = join(dir, `${name}.gguf`);
  makeModel(path, { shape, type, vocab, seed });
  return path;
}

t.test('every weight type loads in llama.cpp, generates, and matches its F32 twin', { skip }, async (t) => {
  const twinDistances: string[] = [];
  for (const type of WEIGHT_TYPES) {
    const path = await make(`reduced-${type}`, reduced, type);
    const run = await peerGenerate(path, prompt, 4);
    checkRun(t, run, spm.nVocab, type);
    if (type === 'F32') continue;
    f32Twin(path, join(dir, 'twin.gguf'));
    const twin = await peerGenerate(join(dir, 'twin.gguf'), prompt, 4);
    const tv = tvDistance(run.probs[0], twin.probs[0]);
    twinDistances.push(`${type} ${tv.toFixed(3)}`);
    // llama.cpp rounds activations to 8 bits (F16 for F16) before each
    // matmul, so the twin is close, not equal (measured 0.001-0.05); a
    // layout error is far (measured: swapping two bytes of every Q4_0 block,
    // the nibbles of one Q4_K run or two Q6_K high-bit pairs gave 0.85-0.99)
    t.ok(tv < 0.1, `${type}: llama.cpp on the file vs on its F32 twin, total variation ${tv.toFixed(4)}`);
  }
  // the control: another seed is a different model, far away
  const other = await peerGenerate(await make('other-seed', reduced, 'Q8_0', 8), prompt, 4);
  const base = await peerGenerate(join(dir, 'reduced-Q8_0.gguf'), prompt, 4);
  const control = tvDistance(other.probs[0], base.probs[0]);
  t.ok(control > 0.3, `a different seed gives a distant distribution (total variation ${control.toFixed(3)}): the metric discriminates`);
  t.comment(`total variation vs F32 twin: ${twinDistances.join(', ')}`);
});

t.test('a reduced qwen2 (q/k/v biases, fallback types) loads and generates', { skip }, async (t) => {
  const vocab = loadVocab(referencePath('vocab', 'ggml-vocab-starcoder.gguf')); // BPE, kept whole (merges refer to every token)
  const shape = explicitShape('qwen2', { nEmbd: 128, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 384 });
  const path = await make('qwen2-Q4_K_M', shape, 'Q4_K_M', 3, vocab);
  const types = new Set(readGguf(path).tensors.map((x) => x.type.name));
  t.same([...types].sort(), ['f32', 'q5_0', 'q8_0'], 'rows of 128 take the Q4_K and Q6_K fallbacks');
  checkRun(t, await peerGenerate(path, prompt, 4), vocab.nVocab, 'qwen2');
});

t.test('a reduced llama3.2-1b-shaped model with rope_freqs loads and generates', { skip }, async (t) => {
  const l3 = NAMED_SHAPES['llama3.2-1b'];
  const shape: ModelShape = { ...l3, name: 'llama3.2-reduced', nEmbd: 256, nLayer: 2, nHead: 8, nHeadKv: 2, nFf: 512, contextLength: 8192 };
  const path = await make('llama3-Q4_0', shape, 'Q4_0', 5);
  const g = readGguf(path);
  const rf = g.tensors.find((x) => x.name === 'rope_freqs.weight');
  t.same(rf && { type: rf.type.name, dims: rf.dims }, { type: 'f32', dims: [16] });
  t.notOk(g.tensors.some((x) => x.name === 'output.weight'), 'tied: no output.weight');
  checkRun(t, await peerGenerate(path, prompt, 4), spm.nVocab, 'llama3');
});
