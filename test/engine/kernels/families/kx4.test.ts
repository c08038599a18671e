// K-quant rows interleaved in fours (kernels/src/q4_kx4.ts, q5_kx4.ts, q6_kx4.ts): a
// repacked matrix through matVec*x4 / matMat*x4 must give, bit for bit, the
// scalar reference's dot on the original rows (vecDot*Q8_KScalar, itself
// checked against plain JS in q4_k.test.ts, q5_k.test.ts and q6_k.test.ts), in every build,
// with super-block scales of every kind the layout takes (zero, 2^-24,
// subnormals, 127.9375, negatives) and sub-block scales and quants at their
// extremes; and *x4Fits must find what the layout cannot hold.
import t from 'tap';
import type { KernelExports } from '../../../../src/engine/kernels/abi.js';
import { instances, rng, randomActivations, layoutScaleF16, bits } from '../harness.js';

interface KSpec {
  name: 'q4_Kx4' | 'q5_Kx4' | 'q6_Kx4';
  typeSize: number;
  /** Byte offsets of the block's f16 scales (d, and dmin if any). */
  scales: number[];
  /** Fills one block's other bytes; edge picks extremes. */
  fill(rand: () => number, blk: Uint8Array, edge: boolean): void;
  exports: { fits: keyof KernelExports; repack: keyof KernelExports; matVec: keyof KernelExports; matMat: keyof KernelExports; scalar: keyof KernelExports };
}

const specs: KSpec[] = [
  {
    name: 'q4_Kx4', typeSize: 144, scales: [0, 2],
    // scales and quants all 0, all ones, 6-bit scale maxima, random
    fill(rand, blk, edge) {
      const mode = edge ? Math.floor(rand() * 4) : 3;
      for (let j = 4; j < 144; j++) blk[j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? (j < 16 ? 0x3f : 0xff) : Math.floor(rand() * 256);
    },
    exports: { fits: 'q4_Kx4Fits', repack: 'repackQ4_Kx4', matVec: 'matVecQ4_Kx4', matMat: 'matMatQ4_Kx4', scalar: 'vecDotQ4_KQ8_KScalar' },
  },
  {
    name: 'q5_Kx4', typeSize: 176, scales: [0, 2],
    // scales, fifth bits and nibbles all 0, all ones, 6-bit scale maxima, random
    fill(rand, blk, edge) {
      const mode = edge ? Math.floor(rand() * 4) : 3;
      for (let j = 4; j < 176; j++) blk[j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? (j < 16 ? 0x3f : 0xff) : Math.floor(rand() * 256);
    },
    exports: { fits: 'q5_Kx4Fits', repack: 'repackQ5_Kx4', matVec: 'matVecQ5_Kx4', matMat: 'matMatQ5_Kx4', scalar: 'vecDotQ5_KQ8_KScalar' },
  },
  {
    name: 'q6_Kx4', typeSize: 210, scales: [208],
    // quants all 0 (-32) or all 63 (31) with scales 0, -1, -128 or 127; random
    fill(rand, blk, edge) {
      const mode = edge ? Math.floor(rand() * 4) : 3;
      const quant = rand() < 0.5 ? 0 : 0xff, extreme = rand() < 0.5 ? 0x80 : 0x7f;
      for (let j = 0; j < 208; j++) {
        const isScale = j >= 192;
        blk[j] = mode === 3 ? Math.floor(rand() * 256) : !isScale ? quant : mode === 0 ? 0 : mode === 1 ? 0xff : extreme;
      }
    },
    exports: { fits: 'q6_Kx4Fits', repack: 'repackQ6_Kx4', matVec: 'matVecQ6_Kx4', matMat: 'matMatQ6_Kx4', scalar: 'vecDotQ6_KQ8_KScalar' },
  },
];

type Fn = (...a: number[]) => number;
const insts = instances();
const { mem } = insts[0]!;
const fn = (ex: KernelExports, name: keyof KernelExports): Fn => ex[name] as unknown as Fn;

const blockCounts = [1, 2, 3, 4, 5, 9];
const rowCounts = [4, 8, 12];
// Each takes tokens eight (relaxed build), then four, then one at a time.
const nTok = 13;
const maxN = Math.max(...blockCounts) * 256;
const maxRows = Math.max(...rowCounts);
const maxQB = Math.max(...specs.map((s) => s.typeSize));
const wPtr = mem.alloc(maxRows * (maxN / 256) * maxQB);
const copyPtr = mem.alloc(maxRows * (maxN / 256) * maxQB);
const xPtr = mem.alloc(maxN * 4 * nTok);
const actStride = Math.ceil(insts[0]!.ex.actQ8KRowBytes(maxN) / 64) * 64;
const aPtr = mem.alloc(actStride * nTok);
const outPtr = mem.alloc(maxRows * nTok * 4);

function fillMatrix(spec: KSpec, rand: () => number, blocks: number, edge: boolean): void {
  const w = mem.u8(wPtr, blocks * spec.typeSize);
  const blk = new Uint8Array(spec.typeSize);
  for (let i = 0; i < blocks; i++) {
    spec.fill(rand, blk, edge);
    for (const at of spec.scales) {
      const h = layoutScaleF16(rand, edge && rand() < 0.5);
      blk[at] = h & 255; blk[at + 1] = h >> 8;
    }
    w.set(blk, i * spec.typeSize);
  }
}

function checkInterleaved(spec: KSpec): void {
  const rand = rng(0x4b4b ^ spec.typeSize);
  const { fits, repack, matVec, matMat, scalar } = spec.exports;
  t.test(`${spec.name}: repacked matVec/matMat == scalar dot on the original rows; ${insts.map((i) => i.build).join(' + ')}`, async (t) => {
    let checks = 0;
    for (const nb of blockCounts) {
      for (const rows of rowCounts) {
        for (const edge of [false, true]) {
          const n = nb * 256, rowBytes = nb * spec.typeSize;
          fillMatrix(spec, rand, rows * nb, edge);
          mem.f32(xPtr, n * nTok).set(randomActivations(rand, n * nTok));
          insts[0]!.ex.quantizeRowsQ8_K(0, nTok, xPtr, n * 4, aPtr, actStride, n);
          const want: number[] = [];
          for (let tk = 0; tk < nTok; tk++) {
            for (let r = 0; r < rows; r++) want.push(bits(fn(insts[0]!.ex, scalar)(n, wPtr + r * rowBytes, aPtr + tk * actStride)));
          }
          const original = mem.u8(wPtr, rows * rowBytes).slice();
          for (const inst of insts) {
            const tag = `${inst.build} nb=${nb} rows=${rows}${edge ? ' edges' : ''}`;
            if (fn(inst.ex, fits)(wPtr, rows * nb) !== 1) { t.fail(`${tag}: said not to fit`); return; }
            mem.u8(copyPtr, rows * rowBytes).fill(0xa5);
            fn(inst.ex, repack)(0, 4, wPtr, copyPtr, n);
            fn(inst.ex, repack)(4, rows, wPtr, copyPtr, n);
            if (!mem.u8(wPtr, rows * rowBytes).every((v, i) => v === original[i])) { t.fail(`${tag}: the source changed`); return; }
            const out = mem.f32(outPtr, rows * nTok);
            out.fill(NaN);
            const r0 = rows > 4 ? 4 : 0;
            fn(inst.ex, matVec)(r0, rows, copyPtr, n, aPtr + actStride, outPtr);
            for (let r = r0; r < rows; r++) {
              if (bits(out[r]!) !== want[rows + r]) { t.fail(`${tag}: matVec row ${r}: ${out[r]} != ${want[rows + r]}`); return; }
            }
            out.fill(NaN);
            fn(inst.ex, matMat)(0, rows, copyPtr, n, aPtr, actStride, nTok, outPtr, rows);
            for (let i = 0; i < rows * nTok; i++) {
              if (bits(out[i]!) !== want[i]) { t.fail(`${tag}: matMat row ${i % rows} token ${Math.floor(i / rows)}`); return; }
            }
            checks += rows * (nTok + 1);
          }
        }
      }
    }
    t.pass(`${checks} interleaved dots equal the scalar reference's bits`);
  });

  t.test(`${spec.name}Fits finds a super-block scale the layout cannot hold`, async (t) => {
    const blocks = 12;
    for (const [what, h] of [['128', 0x5800], ['-1024', 0xe400], ['infinity', 0x7c00], ['NaN', 0x7e00]] as const) {
      for (const at of spec.scales) {
        fillMatrix(spec, rand, blocks, false);
        for (const inst of insts) t.equal(fn(inst.ex, fits)(wPtr, blocks), 1, `${inst.build}: fits before`);
        const w = mem.u8(wPtr, blocks * spec.typeSize);
        const p = Math.floor(rand() * blocks) * spec.typeSize + at;
        w[p] = h & 255; w[p + 1] = h >> 8;
        for (const inst of insts) t.equal(fn(inst.ex, fits)(wPtr, blocks), 0, `${inst.build}: ${what} at +${at} found`);
      }
    }
  });
}

for (const spec of specs) checkInterleaved(spec);
