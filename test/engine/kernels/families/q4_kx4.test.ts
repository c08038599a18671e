// Q4_K rows interleaved in fours (kernels/src/q4_kx4.ts): a repacked matrix
// through matVecQ4_Kx4 / matMatQ4_Kx4 must give, bit for bit, the scalar
// reference's dot on the original rows (vecDotQ4_KQ8_KScalar, itself checked
// against plain JS in q4_k.test.ts), in every build, with d and dmin of every
// kind the layout takes (zero, subnormal, the largest below 128, negative);
// and q4_Kx4Fits must find what the layout cannot hold.
import t from 'tap';
import { instances, rng, randomActivations, randomScaleF16, bits, numberToF16 } from '../harness.js';

const QB = 144;
const insts = instances();
const { mem } = insts[0]!;
const blockCounts = [1, 2, 3, 4, 5, 9];
const rowCounts = [4, 8, 12];
const nTok = 6;
const maxN = Math.max(...blockCounts) * 256;
const maxRows = Math.max(...rowCounts);
const wPtr = mem.alloc(maxRows * (maxN / 256) * QB);
const copyPtr = mem.alloc(maxRows * (maxN / 256) * QB);
const xPtr = mem.alloc(maxN * 4 * nTok);
const actStride = Math.ceil(insts[0]!.ex.actQ8KRowBytes(maxN) / 64) * 64;
const aPtr = mem.alloc(actStride * nTok);
const outPtr = mem.alloc(maxRows * nTok * 4);
const rand = rng(0x4b4b);

/** A d or dmin the layout must take: any half of magnitude below 128, zero and the smallest subnormal included. */
function scale(edge: boolean): number {
  if (!edge) return randomScaleF16(rand);
  const pick = Math.floor(rand() * 5);
  if (pick === 0) return rand() < 0.5 ? 0 : 0x8000;
  if (pick === 1) return rand() < 0.5 ? 1 : 1 + Math.floor(rand() * 1023);
  if (pick === 2) return 0x57ff | (rand() < 0.5 ? 0x8000 : 0);
  if (pick === 3) return 0x0400 | (rand() < 0.5 ? 0x8000 : 0);
  return numberToF16(-(2 ** (rand() * 6.9)));
}

function fillMatrix(blocks: number, edge: boolean): void {
  const w = mem.u8(wPtr, blocks * QB);
  for (let i = 0; i < blocks; i++) {
    const p = i * QB;
    const d = scale(edge && rand() < 0.5), dmin = scale(edge && rand() < 0.5);
    w[p] = d & 255; w[p + 1] = d >> 8; w[p + 2] = dmin & 255; w[p + 3] = dmin >> 8;
    const mode = edge ? Math.floor(rand() * 4) : 3; // scales and quants all 0, all ones, 6-bit maxima, random
    for (let j = 4; j < QB; j++) w[p + j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? (j < 16 ? 0x3f : 0xff) : Math.floor(rand() * 256);
  }
}

type Fn = (...a: number[]) => number;

t.test(`q4_Kx4: repacked matVec/matMat == scalar dot on the original rows; ${insts.map((i) => i.build).join(' + ')}`, async (t) => {
  let checks = 0;
  for (const nb of blockCounts) {
    for (const rows of rowCounts) {
      for (const edge of [false, true]) {
        const n = nb * 256, rowBytes = nb * QB;
        fillMatrix(rows * nb, edge);
        mem.f32(xPtr, n * nTok).set(randomActivations(rand, n * nTok));
        insts[0]!.ex.quantizeRowsQ8_K(0, nTok, xPtr, n * 4, aPtr, actStride, n);
        const want: number[] = [];
        for (let tk = 0; tk < nTok; tk++) {
          for (let r = 0; r < rows; r++) want.push(bits(insts[0]!.ex.vecDotQ4_KQ8_KScalar(n, wPtr + r * rowBytes, aPtr + tk * actStride)));
        }
        const original = mem.u8(wPtr, rows * rowBytes).slice();
        for (const inst of insts) {
          const ex = inst.ex as unknown as Record<string, Fn>;
          const tag = `${inst.build} nb=${nb} rows=${rows}${edge ? ' edges' : ''}`;
          if (ex.q4_Kx4Fits!(wPtr, rows * nb) !== 1) { t.fail(`${tag}: said not to fit`); return; }
          mem.u8(copyPtr, rows * rowBytes).fill(0xa5);
          ex.repackQ4_Kx4!(0, 4, wPtr, copyPtr, n);
          ex.repackQ4_Kx4!(4, rows, wPtr, copyPtr, n);
          if (!mem.u8(wPtr, rows * rowBytes).every((v, i) => v === original[i])) { t.fail(`${tag}: the source changed`); return; }
          const out = mem.f32(outPtr, rows * nTok);
          out.fill(NaN);
          const r0 = rows > 4 ? 4 : 0;
          ex.matVecQ4_Kx4!(r0, rows, copyPtr, n, aPtr + actStride, outPtr);
          for (let r = r0; r < rows; r++) {
            if (bits(out[r]!) !== want[rows + r]) { t.fail(`${tag}: matVec row ${r}: ${out[r]} != ${want[rows + r]}`); return; }
          }
          out.fill(NaN);
          ex.matMatQ4_Kx4!(0, rows, copyPtr, n, aPtr, actStride, nTok, outPtr, rows);
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

t.test('q4_Kx4Fits finds a d or dmin the layout cannot hold', async (t) => {
  const blocks = 12;
  for (const [what, at, h] of [['d 128', 0, 0x5800], ['dmin -1024', 2, 0xe400], ['d infinity', 0, 0x7c00], ['dmin NaN', 2, 0x7e00]] as const) {
    fillMatrix(blocks, false);
    const w = mem.u8(wPtr, blocks * QB);
    for (let i = 0; i < blocks; i++) { w[i * QB + 1]! &= 0x57; w[i * QB + 3]! &= 0x57; }
    for (const inst of insts) t.equal((inst.ex as unknown as Record<string, Fn>).q4_Kx4Fits!(wPtr, blocks), 1, `${inst.build}: fits before`);
    const p = Math.floor(rand() * blocks) * QB + at;
    w[p] = h & 255; w[p + 1] = h >> 8;
    for (const inst of insts) t.equal((inst.ex as unknown as Record<string, Fn>).q4_Kx4Fits!(wPtr, blocks), 0, `${inst.build}: ${what} found`);
  }
});
