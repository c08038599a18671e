// One driver for every block-quantized weight family: given how to make
// random and edge-case blocks and how to decode them in plain JS (from the
// published block layout), it checks, for every build this process can run:
//   - dequantizeRow == the JS decoding, bit for bit;
//   - the scalar vec-dot == the JS dot in the documented float order, bit for bit;
//   - the SIMD128 and relaxed vec-dots == the scalar one, bit for bit;
//   - matVec / matMat == the vec-dot of each row, and every build agrees.
import type { Test } from 'tap';
import type { KernelExports } from '../../../src/engine/kernels/abi.js';
import {
  instances, rng, quantizeQ8Js, writeQ8Row, laneOrderSum, randomActivations, bits, type Q8Row, type TestInstance,
} from './harness.js';

export type EdgeKind = 'random' | 'edge';

export interface QuantFamilySpec {
  name: string;
  blockSize: number;
  typeSize: number;
  /** Fills one block's bytes. `edge` picks from the family's edge cases (d = 0, extreme quants, ...). */
  makeBlock(rand: () => number, out: Uint8Array, kind: EdgeKind): void;
  /** The block's weights as f32 values, from the layout. */
  dequantBlock(block: Uint8Array): Float32Array;
  /** Block b's contribution to the dot with Q8 activations, with the kernel's f32 operations in the kernel's order. */
  blockValue(block: Uint8Array, act: Q8Row, b: number): number;
  exports: {
    dequantize: keyof KernelExports;
    vecDotScalar: keyof KernelExports;
    vecDotSimd128: keyof KernelExports;
    vecDotRelaxed?: keyof KernelExports;
    matVec: keyof KernelExports;
    matMat: keyof KernelExports;
  };
}

type Fn = (...a: number[]) => number;
const fn = (inst: TestInstance, name: keyof KernelExports): Fn => inst.ex[name] as unknown as Fn;

/** Activation rows with edge cases mixed in: a row of exact .5 ties, extremes, zeros. */
function makeActivations(rand: () => number, n: number, which: number): Float32Array {
  const x = randomActivations(rand, n);
  if (which === 1) {
    // amax 127 gives d = 1 exactly: x.5 values are ties that roundf sends away from zero.
    for (let i = 0; i < n; i++) x[i] = i % 32 === 0 ? 127 : Math.floor(rand() * 254 - 127) + 0.5;
  } else if (which === 2) {
    for (let i = 0; i < n; i++) x[i] = i % 2 === 0 ? -1e4 : 1e4; // every quant at +-127
  }
  return x;
}

export function checkQuantFamily(t: Test, spec: QuantFamilySpec): void {
  const insts = instances();
  const { mem } = insts[0]!;
  const rand = rng(0x5eed ^ spec.typeSize);
  const blockCounts = [1, 2, 3, 4, 5, 7, 8, 9, 16, 31];
  const maxBlocks = Math.max(...blockCounts);
  const nRows = 6;
  const nTok = 6; // one tile of four tokens (matMat) and a remainder of two
  const qk = spec.blockSize;
  const rowBytesMax = maxBlocks * spec.typeSize;

  const wPtr = mem.alloc(rowBytesMax * nRows);
  const actStride = Math.ceil((maxBlocks * qk * 3.375 + 64) / 64) * 64;
  const aPtr = mem.alloc(actStride * nTok);
  const fPtr = mem.alloc(maxBlocks * qk * 4);
  const outPtr = mem.alloc(nRows * nTok * 4);

  t.test(`${spec.name}: dequantize, scalar dot vs plain JS; SIMD vs scalar; matVec/matMat; ${insts.map((i) => i.build).join(' + ')}`, async (t) => {
    let checks = 0;
    for (const nb of blockCounts) {
      for (const kind of ['random', 'edge'] as EdgeKind[]) {
        const n = nb * qk;
        const rowBytes = nb * spec.typeSize;
        // Weights: nRows rows, each block made afresh.
        const w = mem.u8(wPtr, rowBytes * nRows);
        const blocks: Uint8Array[] = [];
        for (let i = 0; i < nb * nRows; i++) {
          const blk = new Uint8Array(spec.typeSize);
          spec.makeBlock(rand, blk, kind === 'edge' && rand() < 0.7 ? 'edge' : 'random');
          w.set(blk, i * spec.typeSize);
          blocks.push(blk);
        }
        // Activations: nTok rows.
        const acts: Q8Row[] = [];
        for (let tk = 0; tk < nTok; tk++) {
          const q = quantizeQ8Js(makeActivations(rand, n, (nb + tk) % 3));
          writeQ8Row(mem, aPtr + tk * actStride, q);
          acts.push(q);
        }
        const expectDot = (r: number, tk: number): number =>
          laneOrderSum(Array.from({ length: nb }, (_, b) => spec.blockValue(blocks[r * nb + b]!, acts[tk]!, b)));

        const results = new Map<string, number[]>();
        for (const inst of insts) {
          const tag = `${inst.build} ${kind} nb=${nb}`;
          // dequantize row 0
          fn(inst, spec.exports.dequantize)(wPtr, fPtr, n);
          const got = mem.f32(fPtr, n);
          for (let b = 0; b < nb; b++) {
            const want = spec.dequantBlock(blocks[b]!);
            for (let j = 0; j < qk; j++) {
              if (bits(got[b * qk + j]!) !== bits(want[j]!)) {
                t.fail(`${tag}: dequantize block ${b} value ${j}: ${got[b * qk + j]} != ${want[j]}`);
                return;
              }
            }
          }
          const all: number[] = [];
          for (let r = 0; r < nRows; r++) {
            for (let tk = 0; tk < nTok; tk++) {
              const x = wPtr + r * rowBytes, y = aPtr + tk * actStride;
              const want = expectDot(r, tk);
              const scalar = fn(inst, spec.exports.vecDotScalar)(n, x, y);
              const simd = fn(inst, spec.exports.vecDotSimd128)(n, x, y);
              if (bits(scalar) !== bits(want)) { t.fail(`${tag}: scalar dot row ${r} tok ${tk}: ${scalar} != JS ${want}`); return; }
              if (bits(simd) !== bits(scalar)) { t.fail(`${tag}: simd128 dot row ${r} tok ${tk}: ${simd} != scalar ${scalar}`); return; }
              if (spec.exports.vecDotRelaxed) {
                const rel = fn(inst, spec.exports.vecDotRelaxed)(n, x, y);
                if (bits(rel) !== bits(scalar)) { t.fail(`${tag}: relaxed dot row ${r} tok ${tk}: ${rel} != scalar ${scalar}`); return; }
              }
              all.push(bits(scalar));
              checks++;
            }
          }
          // matVec over a middle range, then matMat over all rows and tokens.
          const out = mem.f32(outPtr, nRows * nTok);
          out.fill(NaN);
          fn(inst, spec.exports.matVec)(1, nRows - 1, wPtr, n, aPtr + actStride, outPtr);
          for (let r = 0; r < nRows; r++) {
            const want = r >= 1 && r < nRows - 1 ? all[r * nTok + 1]! : bits(NaN);
            if (bits(out[r]!) !== want) { t.fail(`${tag}: matVec row ${r}`); return; }
          }
          out.fill(NaN);
          fn(inst, spec.exports.matMat)(0, nRows, wPtr, n, aPtr, actStride, nTok, outPtr, nRows);
          for (let r = 0; r < nRows; r++) {
            for (let tk = 0; tk < nTok; tk++) {
              if (bits(out[tk * nRows + r]!) !== all[r * nTok + tk]) { t.fail(`${tag}: matMat row ${r} tok ${tk}`); return; }
            }
          }
          results.set(inst.build, all);
        }
        const first = [...results.values()][0]!;
        for (const [build, r] of results) {
          if (r.some((v, i) => v !== first[i])) { t.fail(`${build} differs from ${insts[0]!.build} (nb=${nb} ${kind})`); return; }
        }
      }
    }
    t.pass(`${checks} dot products bit-exact against plain JS, SIMD and every build`);
  });
}
