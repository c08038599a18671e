// The driver for the K-quant families (Q2_K..Q6_K x Q8_K), the counterpart of
// family-check.ts for 256-weight super-blocks and Q8_K activations. For every
// build this process can run it checks, bit for bit:
//   - dequantizeRow == the plain-JS decoding (k-quants-js.ts, from the layout);
//   - the scalar vec-dot == the plain-JS dot (llama.cpp's result semantics,
//     the kernels' float order);
//   - the SIMD128 and relaxed vec-dots == the scalar one;
//   - matVec / matMat == the vec-dot of each row, and every build agrees.
// Activations: random rows quantized by the plain-JS Q8_K reference, rows
// whose quants are all +-127, and hand-built Q8_K blocks that hold -128 (the
// quantizer never makes it, the kernels must still be exact).
import type { Test } from 'tap';
import type { KernelExports } from '../../../src/engine/kernels/abi.js';
import { instances, rng, randomActivations, randomScaleF16, bits, type TestInstance } from './harness.js';
import {
  QK_K, KQUANT_BLOCK_BYTES, Q8_K_BLOCK_BYTES, dequantizeKQuant, fillQ8KBsums, q8KToNibbleLayout, quantizeQ8K,
  vecDotKQuantQ8K, type KQuantName,
} from './k-quants-js.js';

type Fn = (...a: number[]) => number;
const fn = (inst: TestInstance, name: string): Fn => (inst.ex as unknown as Record<string, Fn>)[name]!;

/** Byte offsets of a family's f16 fields (d, and dmin where it has one). */
const F16_FIELDS: Record<KQuantName, number[]> = { q2_K: [80, 82], q3_K: [108], q4_K: [0, 2], q5_K: [0, 2], q6_K: [208] };

/** Edge values for an f16 field: 0, the largest half, negatives, a subnormal. */
const EDGE_F16 = [0x0000, 0x7bff, 0xfbff, 0x8000, 0x0001, 0x3c00, 0xbc00];

/**
 * One block: random bytes, or (edge) every byte the same extreme pattern
 * (all quants and scales 0, all bits set, alternating), with f16 fields from
 * EDGE_F16 or random finite scales.
 */
export function makeKBlock(type: KQuantName, rand: () => number, edge: boolean): Uint8Array {
  const blk = new Uint8Array(KQUANT_BLOCK_BYTES[type]);
  const pattern = edge ? [0x00, 0xff, 0xaa, 0x55, -1][Math.floor(rand() * 5)]! : -1;
  for (let i = 0; i < blk.length; i++) blk[i] = pattern >= 0 ? pattern : Math.floor(rand() * 256);
  for (const o of F16_FIELDS[type]) {
    const h = edge && rand() < 0.6 ? EDGE_F16[Math.floor(rand() * EDGE_F16.length)]! : randomScaleF16(rand);
    blk[o] = h & 255;
    blk[o + 1] = h >> 8;
  }
  return blk;
}

/** A ggml Q8_K row of nb blocks: random quants in -128..127 (-128 often), consistent bsums, random d. */
function handBuiltQ8K(rand: () => number, nb: number): Uint8Array {
  const g = new Uint8Array(nb * Q8_K_BLOCK_BYTES);
  const dv = new DataView(g.buffer);
  for (let b = 0; b < nb; b++) {
    const o = b * Q8_K_BLOCK_BYTES;
    dv.setFloat32(o, (rand() * 2 - 1) * 2 ** (rand() * 10 - 12), true);
    const mode = Math.floor(rand() * 3); // all -128, -128 mixed in, all 127
    for (let j = 0; j < QK_K; j++) {
      const q = mode === 0 ? -128 : mode === 2 ? 127 : rand() < 0.25 ? -128 : Math.floor(rand() * 256) - 128;
      g[o + 4 + j] = q & 255;
    }
  }
  fillQ8KBsums(g);
  return g;
}

/** Activation row `which` of a test: 0 random, 1 every quant at +-127, 2 hand-built with -128. */
function makeActivationBlocks(rand: () => number, nb: number, which: number): Uint8Array {
  const n = nb * QK_K;
  if (which === 2) return handBuiltQ8K(rand, nb);
  const x = randomActivations(rand, n);
  if (which === 1) for (let i = 0; i < n; i++) x[i] = i % 2 === 0 ? -1e4 : 1e4;
  return quantizeQ8K(x);
}

export function checkKQuantFamily(t: Test, type: KQuantName): void {
  const T = type.toUpperCase();
  const names = {
    dequantize: `dequantizeRow${T}`,
    scalar: `vecDot${T}Q8_KScalar`,
    simd128: `vecDot${T}Q8_KSimd128`,
    relaxed: `vecDot${T}Q8_KRelaxed`,
    matVec: `matVec${T}`,
    matMat: `matMat${T}`,
  };
  const insts = instances();
  const { mem } = insts[0]!;
  const typeSize = KQUANT_BLOCK_BYTES[type];
  const rand = rng(0x6b71 ^ typeSize);
  const blockCounts = [1, 2, 3, 4, 5, 7, 8, 9];
  const maxBlocks = Math.max(...blockCounts);
  const nRows = 5;
  // matMat runs every token count up to nTok: full tiles of 4 tokens and each remainder
  const nTok = 7;
  const wPtr = mem.alloc(maxBlocks * typeSize * nRows);
  const actStride = Math.ceil((maxBlocks * (QK_K + 36)) / 64) * 64;
  const aPtr = mem.alloc(actStride * nTok);
  const fPtr = mem.alloc(maxBlocks * QK_K * 4);
  const outPtr = mem.alloc(nRows * nTok * 4);

  t.test(`${type}: dequantize, scalar dot vs plain JS; SIMD vs scalar; matVec/matMat; ${insts.map((i) => i.build).join(' + ')}`, async (t) => {
    let checks = 0;
    for (const nb of blockCounts) {
      for (const edge of [false, true]) {
        const n = nb * QK_K;
        const rowBytes = nb * typeSize;
        const w = mem.u8(wPtr, rowBytes * nRows);
        for (let i = 0; i < nb * nRows; i++) w.set(makeKBlock(type, rand, edge && rand() < 0.7), i * typeSize);
        const rows = Array.from({ length: nRows }, (_, r) => w.slice(r * rowBytes, (r + 1) * rowBytes));
        const acts: Uint8Array[] = [];
        for (let tk = 0; tk < nTok; tk++) {
          const g = makeActivationBlocks(rand, nb, (nb + tk) % 3);
          mem.u8(aPtr + tk * actStride, n + 36 * nb).set(q8KToNibbleLayout(g));
          acts.push(g);
        }
        const results = new Map<string, number[]>();
        for (const inst of insts) {
          const tag = `${inst.build} ${edge ? 'edge' : 'random'} nb=${nb}`;
          fn(inst, names.dequantize)(wPtr, fPtr, n);
          const got = mem.f32(fPtr, n);
          const want = dequantizeKQuant(type, rows[0]!, nb);
          const bad = want.findIndex((v, i) => bits(v) !== bits(got[i]!));
          if (bad >= 0) { t.fail(`${tag}: dequantize value ${bad}: ${got[bad]} != JS ${want[bad]}`); return; }
          const all: number[] = [];
          for (let r = 0; r < nRows; r++) {
            for (let tk = 0; tk < nTok; tk++) {
              const x = wPtr + r * rowBytes, y = aPtr + tk * actStride;
              const js = vecDotKQuantQ8K(type, rows[r]!, acts[tk]!, nb);
              const scalar = fn(inst, names.scalar)(n, x, y);
              const simd = fn(inst, names.simd128)(n, x, y);
              const rel = fn(inst, names.relaxed)(n, x, y);
              if (bits(scalar) !== bits(js)) { t.fail(`${tag}: scalar dot row ${r} tok ${tk}: ${scalar} != JS ${js}`); return; }
              if (bits(simd) !== bits(scalar)) { t.fail(`${tag}: simd128 dot row ${r} tok ${tk}: ${simd} != scalar ${scalar}`); return; }
              if (bits(rel) !== bits(scalar)) { t.fail(`${tag}: relaxed dot row ${r} tok ${tk}: ${rel} != scalar ${scalar}`); return; }
              all.push(bits(scalar));
              checks++;
            }
          }
          const out = mem.f32(outPtr, nRows * nTok);
          out.fill(NaN);
          fn(inst, names.matVec)(1, nRows - 1, wPtr, n, aPtr + actStride, outPtr);
          for (let r = 0; r < nRows; r++) {
            const wantBits = r >= 1 && r < nRows - 1 ? all[r * nTok + 1]! : bits(NaN);
            if (bits(out[r]!) !== wantBits) { t.fail(`${tag}: matVec row ${r}`); return; }
          }
          for (let count = 1; count <= nTok; count++) {
            out.fill(NaN);
            fn(inst, names.matMat)(0, nRows, wPtr, n, aPtr, actStride, count, outPtr, nRows);
            for (let r = 0; r < nRows; r++) {
              for (let tk = 0; tk < nTok; tk++) {
                const wantBits = tk < count ? all[r * nTok + tk]! : bits(NaN);
                if (bits(out[tk * nRows + r]!) !== wantBits) { t.fail(`${tag}: matMat of ${count} tokens, row ${r} tok ${tk}`); return; }
              }
            }
          }
          results.set(inst.build, all);
        }
        const first = [...results.values()][0]!;
        for (const [build, r] of results) {
          if (r.some((v, i) => v !== first[i])) { t.fail(`${build} differs from ${insts[0]!.build} (nb=${nb})`); return; }
        }
      }
    }
    t.pass(`${checks} ${type} dot products bit-exact against plain JS, SIMD and every build`);
  });
}
