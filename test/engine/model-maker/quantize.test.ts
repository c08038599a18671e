import t from 'tap';
import { GGML, type GgmlTypeTraits } from '../../../src/engine/ggml-types.js';
import { readGguf, readTensorData, type GgufFile, type GgufTensorInfo } from '../../../src/engine/gguf/reader.js';
import { CODECS, codecFor, dequantizeRow, quantizeRow } from '../../../src/engine/model-maker/quantize/index.js';
import { f16ToF32, f32ToBf16, f32ToF16, nearestInt, roundAway } from '../../../src/engine/model-maker/quantize/half.js';
import { Rng } from '../../../src/engine/model-maker/rng.js';
import { referencePath } from '../../helpers/reference.js';

function tensorBytes(file: GgufFile, t: GgufTensorInfo): Uint8Array {
  const b = new Uint8Array(t.nBytes);
  readTensorData(file, t, b);
  return b;
}

function gaussianRow(n: number, seed: number, std = 1): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  rng.fillNormal(x, 0, std);
  return x;
}

function rmsRelError(x: Float32Array, y: Float32Array): number {
  let e = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) { e += (x[i] - y[i]) ** 2; s += x[i] ** 2; }
  return Math.sqrt(e / s);
}

t.test('f16 and bf16 conversions round to nearest even, with subnormals, overflow and NaN', async (t) => {
  t.equal(f32ToF16(1), 0x3c00);
  t.equal(f32ToF16(-2), 0xc000);
  t.equal(f32ToF16(65504), 0x7bff);
  t.equal(f32ToF16(65520), 0x7c00, 'rounds up to infinity');
  t.equal(f32ToF16(2 ** -24), 0x0001, 'smallest subnormal');
  t.equal(f32ToF16(2 ** -25), 0x0000, 'half the smallest subnormal ties to even zero');
  t.equal(f32ToF16(3 * 2 ** -25), 0x0002, '1.5 ulp ties to even 2');
  t.equal(f32ToF16(1 + 2 ** -11), 0x3c00, 'tie below goes to even');
  t.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02, 'tie above goes to even');
  t.equal(f32ToF16(NaN) & 0x7e00, 0x7e00);
  t.equal(f32ToF16(-Infinity), 0xfc00);
  for (let h = 0; h < 65536; h++) {
    const v = f16ToF32(h);
    if (!Number.isNaN(v) && f32ToF16(v) !== h) { t.fail(`f16 ${h} does not round-trip`); break; }
  }
  t.equal(f32ToBf16(1), 0x3f80);
  t.equal(f32ToBf16(1 + 2 ** -8), 0x3f80, 'bf16 tie to even');
  t.equal(f32ToBf16(1 + 3 * 2 ** -8), 0x3f82);
  t.equal(nearestInt(2.5), 2);
  t.equal(nearestInt(-3.5), -4);
  t.equal(roundAway(-2.5), -3);
});

// Rough rms error of each type on Gaussian rows; a wrong bit layout gives
// errors near or above 1, so these bounds catch layout mistakes.
const maxError: Record<string, number> = {
  f32: 0, f16: 1e-3, bf16: 5e-3, q8_0: 0.01, q4_0: 0.15, q4_1: 0.15, q5_0: 0.07, q5_1: 0.07,
  q2_K: 0.6, q3_K: 0.3, q4_K: 0.15, q5_K: 0.08, q6_K: 0.04, iq4_nl: 0.13,
};

t.test('every codec round-trips Gaussian rows within its precision and writes finite scales', async (t) => {
  t.equal(CODECS.length, 14);
  for (const codec of CODECS) {
    const n = 1024;
    const x = gaussianRow(n, codec.type.id + 1, 0.05);
    const q = quantizeRow(codec.type, x);
    t.equal(q.length, (n / codec.type.blockSize) * codec.type.typeSize, `${codec.type.name} size`);
    const y = dequantizeRow(codec.type, q, n);
    t.ok(y.every(Number.isFinite), `${codec.type.name} decodes to finite values`);
    const err = rmsRelError(x, y);
    t.ok(err <= maxError[codec.type.name], `${codec.type.name} rms relative error ${err.toFixed(4)} <= ${maxError[codec.type.name]}`);
    // re-quantizing decoded values must not drift far (the grid is reachable)
    const y2 = dequantizeRow(codec.type, quantizeRow(codec.type, y), n);
    t.ok(rmsRelError(y, y2) <= maxError[codec.type.name], `${codec.type.name} is stable under re-quantization`);
  }
});

t.test('codecs handle all-zero and constant blocks without NaN', async (t) => {
  for (const codec of CODECS) {
    const n = 256;
    for (const fill of [0, 1, -3]) {
      const x = new Float32Array(n).fill(fill);
      const y = dequantizeRow(codec.type, quantizeRow(codec.type, x), n);
      const err = Math.max(...Array.from(y, (v, i) => Math.abs(v - x[i])));
      t.ok(err <= Math.abs(fill) * 0.02 + 1e-6, `${codec.type.name} constant ${fill}: max error ${err}`);
    }
  }
});

t.test('hand-made blocks decode to the values the layout says', async (t) => {
  // Q4_0: d = 1 (f16 0x3c00); byte j = lo | hi<<4 -> weight j = lo - 8, weight j+16 = hi - 8
  const b = new Uint8Array(18);
  b[0] = 0x00; b[1] = 0x3c;
  b[2] = 0x1f; // weight 0 = 15-8 = 7, weight 16 = 1-8 = -7
  const y = dequantizeRow(GGML.Q4_0, b, 32);
  t.equal(y[0], 7);
  t.equal(y[16], -7);
  t.equal(y[1], -8);
  // Q8_0: d = 0.5, q = -4 -> -2
  const c = new Uint8Array(34);
  c[1] = 0x38; c[2] = 0xfc;
  t.equal(dequantizeRow(GGML.Q8_0, c, 32)[0], -2);
  // Q6_K: weight 0 gets ql[0] low nibble and qh[0] bits 0-1, scale 0, d at the end
  const k = new Uint8Array(210);
  k[0] = 0x05; k[128] = 0x02; k[192] = 3; k[208] = 0x00; k[209] = 0x3c;
  const z = dequantizeRow(GGML.Q6_K, k, 256);
  t.equal(z[0], 3 * ((5 | (2 << 4)) - 32));
  t.equal(z[64], 0, 'weight 64 uses scale 4, which is 0');
  t.equal(z[16], 0, 'weight 16 uses scale 1, which is 0');
});

// The reference Q4_0 file was made by llama-quantize from the F32 file
// beside it, so the bit-exact quantizers must reproduce it byte for byte,
// including the tied token_embd (Q8_0 because rows of 64 are not K-quant rows).
t.test('Q4_0 and Q8_0 reproduce llama-quantize byte for byte on the reference model', async (t) => {
  const master = readGguf(referencePath('models', 'tiny-llama-bpe.F32.gguf'));
  const quant = readGguf(referencePath('models', 'tiny-llama-bpe.Q4_0.gguf'));
  let checked = 0;
  for (const qt of quant.tensors) {
    if (qt.type.name === 'f32') continue;
    const mt = master.tensors.find((m) => m.name === qt.name)!;
    const raw = tensorBytes(master, mt);
    const x = new Float32Array(raw.buffer, raw.byteOffset, mt.nElements);
    const mine = quantizeRow(qt.type, x);
    t.ok(Buffer.from(mine).equals(tensorBytes(quant, qt)), `${qt.name} (${qt.type.name})`);
    checked++;
  }
  t.equal(checked, 29);
});

// The F16, Q8_0 and Q4_K_M spm files come from one F32 master, so decoding
// the quantized tensors must land near the F16 ones: this checks each
// decoder's bit layout against blocks llama.cpp itself wrote.
t.test('decoders agree with llama-quantize output: Q8_0, Q5_0, Q4_K, Q6_K vs the F16 twin', async (t) => {
  const f16 = readGguf(referencePath('models', 'tiny-llama-spm.F16.gguf'));
  const seen = new Set<string>();
  for (const file of ['tiny-llama-spm.Q8_0.gguf', 'tiny-llama-spm.Q4_K_M.gguf']) {
    const g = readGguf(referencePath('models', file));
    for (const qt of g.tensors) {
      if (qt.type.name === 'f32' || seen.has(`${qt.type.name}`) && qt.nElements > 1 << 16) continue;
      const ft = f16.tensors.find((m) => m.name === qt.name)!;
      const want = dequantizeRow(GGML.F16, tensorBytes(f16, ft), ft.nElements);
      const got = dequantizeRow(qt.type, tensorBytes(g, qt), qt.nElements);
      const err = rmsRelError(want, got);
      t.ok(err < maxError[qt.type.name] * 1.2, `${file} ${qt.name} ${qt.type.name}: rms relative error ${err.toFixed(4)}`);
      seen.add(qt.type.name);
    }
  }
  t.same([...seen].sort(), ['q4_K', 'q5_0', 'q6_K', 'q8_0']);
});

t.test('codecFor covers the writable types and refuses others', async (t) => {
  const types: GgmlTypeTraits[] = [GGML.Q8_1, GGML.IQ4_XS, GGML.Q8_K];
  for (const ty of types) t.equal(codecFor(ty), undefined, ty.name);
  t.throws(() => quantizeRow(GGML.Q4_K, new Float32Array(100)), /multiple of 256/);
});
