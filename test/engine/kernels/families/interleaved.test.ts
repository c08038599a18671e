// Rows interleaved in fours (kernels/src/q4_0x4.ts, q5_0x4.ts, q8_0x4.ts, iq4_nlx4.ts): a repacked
// matrix through matVec*x4 / matMat*x4 must give, bit for bit, the scalar
// reference's dot on the original rows (vecDot*Scalar, itself checked against
// plain JS in q4_0.test.ts, q5_0.test.ts, q8_0.test.ts and iq4_nl.test.ts), in every build, on scales of
// every kind the layout takes (zero with any quants, subnormal, negative, up
// to the largest half below 128); and *x4Fits must find what the layout
// cannot hold.
import t from 'tap';
import type { KernelExports } from '../../../../src/engine/kernels/abi.js';
import { instances, rng, randomActivations, layoutScaleF16, bits } from '../harness.js';

interface InterleavedSpec {
  name: 'q4_0x4' | 'q5_0x4' | 'q8_0x4' | 'iq4_nlx4';
  typeSize: number;
  /** False where no quant means 0, so a zero scale keeps the plain layout (IQ4_NL). */
  zeroScale: boolean;
  /** Fills one block's quants (after its 2-byte scale); edge picks extremes. */
  quants(rand: () => number, blk: Uint8Array, edge: boolean): void;
  exports: { fits: keyof KernelExports; repack: keyof KernelExports; matVec: keyof KernelExports; matMat: keyof KernelExports; scalar: keyof KernelExports };
}

type Fn = (...a: number[]) => number;
const insts = instances();
const { mem } = insts[0]!;
const fn = (ex: KernelExports, name: keyof KernelExports): Fn => ex[name] as unknown as Fn;

const blockCounts = [1, 2, 3, 4, 5, 7, 8, 9, 28];
// matVec runs from row 4: 20 and 24 rows give it two pairs of quads (x4_nibbles.ts), 24 one quad more.
const rowCounts = [4, 8, 20, 24];
// matMat takes tokens eight (relaxed build), then four, then one at a time (x4_nibbles.ts, x4_signed.ts).
const nTok = 13;
const maxN = Math.max(...blockCounts) * 32;
const maxRows = Math.max(...rowCounts);
const wPtr = mem.alloc(maxRows * maxN / 32 * 34);
const copyPtr = mem.alloc(maxRows * maxN / 32 * 34);
const xPtr = mem.alloc(maxN * 4 * nTok);
const actStride = Math.ceil(insts[0]!.ex.actQ8RowBytes(maxN) / 64) * 64;
const aPtr = mem.alloc(actStride * nTok);
const outPtr = mem.alloc(maxRows * nTok * 4);

function fillMatrix(spec: InterleavedSpec, rand: () => number, blocks: number, edge: boolean): void {
  const w = mem.u8(wPtr, blocks * spec.typeSize);
  const blk = new Uint8Array(spec.typeSize);
  for (let i = 0; i < blocks; i++) {
    let d = layoutScaleF16(rand, edge && rand() < 0.5);
    if (!spec.zeroScale && (d & 0x7fff) === 0) d |= 1; // the smallest subnormal instead
    blk[0] = d & 255; blk[1] = d >> 8;
    spec.quants(rand, blk, edge);
    w.set(blk, i * spec.typeSize);
  }
}

function checkInterleaved(spec: InterleavedSpec): void {
  const rand = rng(0x4040 ^ spec.typeSize);
  const e = spec.exports;
  t.test(`${spec.name}: repacked matVec/matMat == scalar dot on the original rows; ${insts.map((i) => i.build).join(' + ')}`, async (t) => {
    let checks = 0;
    for (const nb of blockCounts) {
      for (const rows of rowCounts) {
        for (const edge of [false, true]) {
          const n = nb * 32, rowBytes = nb * spec.typeSize;
          fillMatrix(spec, rand, rows * nb, edge);
          mem.f32(xPtr, n * nTok).set(randomActivations(rand, n * nTok));
          insts[0]!.ex.quantizeRowsQ8_0(0, nTok, xPtr, n * 4, aPtr, actStride, n);
          const want: number[] = [];
          for (let tk = 0; tk < nTok; tk++) {
            for (let r = 0; r < rows; r++) want.push(bits(fn(insts[0]!.ex, e.scalar)(n, wPtr + r * rowBytes, aPtr + tk * actStride)));
          }
          const original = mem.u8(wPtr, rows * rowBytes).slice();
          for (const inst of insts) {
            const tag = `${inst.build} nb=${nb} rows=${rows}${edge ? ' edges' : ''}`;
            if (fn(inst.ex, e.fits)(wPtr, rows * nb) !== 1) { t.fail(`${tag}: said not to fit`); return; }
            mem.u8(copyPtr, rows * rowBytes).fill(0xa5);
            // In two calls, as two threads would split the rows.
            fn(inst.ex, e.repack)(0, 4, wPtr, copyPtr, n);
            fn(inst.ex, e.repack)(4, rows, wPtr, copyPtr, n);
            if (!mem.u8(wPtr, rows * rowBytes).every((v, i) => v === original[i])) { t.fail(`${tag}: the source changed`); return; }
            const out = mem.f32(outPtr, rows * nTok);
            out.fill(NaN);
            // matVec over rows [4, rows) of token 1, so a range that starts past 0 is covered.
            const r0 = rows > 4 ? 4 : 0;
            fn(inst.ex, e.matVec)(r0, rows, copyPtr, n, aPtr + actStride, outPtr);
            for (let r = r0; r < rows; r++) {
              if (bits(out[r]!) !== want[rows + r]) { t.fail(`${tag}: matVec row ${r}: ${out[r]} != ${want[rows + r]}`); return; }
            }
            out.fill(NaN);
            fn(inst.ex, e.matMat)(0, rows, copyPtr, n, aPtr, actStride, nTok, outPtr, rows);
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

  t.test(`${spec.name}: what the layout cannot hold is found`, async (t) => {
    const rows = 8, nb = 5, blocks = rows * nb;
    const bad = ([['128', 0x5800], ['-1024', 0xe400], ['infinity', 0x7c00], ['NaN', 0x7e00]] as const)
      .concat(spec.zeroScale ? [] : [['0', 0x0000], ['-0', 0x8000]])
      .map(([what, d]): [string, (w: Uint8Array, at: number) => void] => [`scale ${what}`, (w, at) => { w[at] = d & 255; w[at + 1] = d >> 8; }]);
    for (const [what, spoil] of bad) {
      fillMatrix(spec, rand, blocks, false);
      const w = mem.u8(wPtr, blocks * spec.typeSize);
      for (let i = 0; i < blocks; i++) w[i * spec.typeSize + 1]! &= 0x57; // every scale below 128
      for (const inst of insts) t.equal(fn(inst.ex, e.fits)(wPtr, blocks), 1, `${inst.build}: fits before`);
      spoil(w, Math.floor(rand() * blocks) * spec.typeSize);
      for (const inst of insts) t.equal(fn(inst.ex, e.fits)(wPtr, blocks), 0, `${inst.build}: ${what} found`);
    }
  });
}

checkInterleaved({
  name: 'q4_0x4', typeSize: 18, zeroScale: true,
  quants(rand, blk, edge) {
    const mode = edge ? Math.floor(rand() * 4) : 3; // all 0, all 15, all 8, random
    for (let j = 0; j < 16; j++) blk[2 + j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? 0x88 : Math.floor(rand() * 256);
  },
  exports: { fits: 'q4_0x4Fits', repack: 'repackQ4_0x4', matVec: 'matVecQ4_0x4', matMat: 'matMatQ4_0x4', scalar: 'vecDotQ4_0Q8_0Scalar' },
});

checkInterleaved({
  name: 'q5_0x4', typeSize: 22, zeroScale: true,
  quants(rand, blk, edge) {
    const mode = edge ? Math.floor(rand() * 4) : 3; // all 0, all 31, all 16, random
    for (let j = 0; j < 20; j++) blk[2 + j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? (j < 4 ? 0xff : 0) : Math.floor(rand() * 256);
  },
  exports: { fits: 'q5_0x4Fits', repack: 'repackQ5_0x4', matVec: 'matVecQ5_0x4', matMat: 'matMatQ5_0x4', scalar: 'vecDotQ5_0Q8_0Scalar' },
});

checkInterleaved({
  name: 'q8_0x4', typeSize: 34, zeroScale: true,
  quants(rand, blk, edge) {
    const mode = edge ? Math.floor(rand() * 4) : 3; // all -128, all 127, all 0, random
    for (let j = 0; j < 32; j++) blk[2 + j] = mode === 0 ? 0x80 : mode === 1 ? 0x7f : mode === 2 ? 0 : Math.floor(rand() * 256);
  },
  exports: { fits: 'q8_0x4Fits', repack: 'repackQ8_0x4', matVec: 'matVecQ8_0x4', matMat: 'matMatQ8_0x4', scalar: 'vecDotQ8_0Q8_0Scalar' },
});

checkInterleaved({
  name: 'iq4_nlx4', typeSize: 18, zeroScale: false,
  quants(rand, blk, edge) {
    const mode = edge ? Math.floor(rand() * 4) : 3; // all index 0 (-127), all 15 (113), all 8 (1), random
    for (let j = 0; j < 16; j++) blk[2 + j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? 0x88 : Math.floor(rand() * 256);
  },
  exports: { fits: 'iq4_nlx4Fits', repack: 'repackIQ4_NLx4', matVec: 'matVecIQ4_NLx4', matMat: 'matMatIQ4_NLx4', scalar: 'vecDotIQ4_NLQ8_0Scalar' },
});
