// Q4_0 rows interleaved in fours (kernels/src/q4_0x4.ts): the repacked
// matrix through matVecQ4_0x4 / matMatQ4_0x4 must give, bit for bit, the
// scalar reference's dot on the original rows (vecDotQ4_0Q8_0Scalar, itself
// checked against plain JS in q4_0.test.ts), in every build, on scales of
// every kind the layout takes (zero with any nibbles, subnormal, negative,
// up to the largest half below 256); and q4_0x4Fits must find a scale it
// cannot encode.
import t from 'tap';
import { instances, rng, randomActivations, randomScaleF16, bits, numberToF16 } from '../harness.js';

const insts = instances();
const { mem } = insts[0]!;
const rand = rng(0x4040);
const QB = 18;

const blockCounts = [1, 2, 3, 4, 5, 7, 8, 9, 28];
const rowCounts = [4, 8, 20];
const nTok = 9; // two tiles of four tokens and one left over
const maxN = Math.max(...blockCounts) * 32;
const maxRows = Math.max(...rowCounts);
const wPtr = mem.alloc(maxRows * maxN / 32 * QB);
const copyPtr = mem.alloc(maxRows * maxN / 32 * QB);
const xPtr = mem.alloc(maxN * 4 * nTok);
const actStride = Math.ceil(insts[0]!.ex.actQ8RowBytes(maxN) / 64) * 64;
const aPtr = mem.alloc(actStride * nTok);
const outPtr = mem.alloc(maxRows * nTok * 4);

/** A scale the layout must take: any half of magnitude below 256, zero and subnormals included. */
function scale(edge: boolean): number {
  if (!edge) return randomScaleF16(rand);
  const pick = Math.floor(rand() * 5);
  if (pick === 0) return rand() < 0.5 ? 0 : 0x8000;                // +-0, with random nibbles
  if (pick === 1) return 1 + Math.floor(rand() * 1023);             // subnormal
  if (pick === 2) return 0x5bff | (rand() < 0.5 ? 0x8000 : 0);      // +-255.875, the largest
  if (pick === 3) return 0x0400 | (rand() < 0.5 ? 0x8000 : 0);      // +-2^-14, the smallest normal
  return numberToF16(-(2 ** (rand() * 8)));
}

function fillMatrix(rows: number, nb: number, edge: boolean): void {
  const w = mem.u8(wPtr, rows * nb * QB);
  for (let i = 0; i < rows * nb; i++) {
    const d = scale(edge && rand() < 0.5);
    const o = i * QB;
    w[o] = d & 255; w[o + 1] = d >> 8;
    const mode = edge ? Math.floor(rand() * 4) : 3;
    for (let j = 0; j < 16; j++) w[o + 2 + j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? 0x88 : Math.floor(rand() * 256);
  }
}

t.test(`q4_0x4: repacked matVec/matMat == scalar dot on the original rows; ${insts.map((i) => i.build).join(' + ')}`, async (t) => {
  let checks = 0;
  for (const nb of blockCounts) {
    for (const rows of rowCounts) {
      for (const edge of [false, true]) {
        const n = nb * 32, rowBytes = nb * QB;
        fillMatrix(rows, nb, edge);
        mem.f32(xPtr, n * nTok).set(randomActivations(rand, n * nTok));
        insts[0]!.ex.quantizeRowsQ8_0(0, nTok, xPtr, n * 4, aPtr, actStride, n);
        const want: number[] = [];
        for (let tk = 0; tk < nTok; tk++) {
          for (let r = 0; r < rows; r++) want.push(bits(insts[0]!.ex.vecDotQ4_0Q8_0Scalar(n, wPtr + r * rowBytes, aPtr + tk * actStride)));
        }
        const original = mem.u8(wPtr, rows * rowBytes).slice();
        for (const inst of insts) {
          const tag = `${inst.build} nb=${nb} rows=${rows}${edge ? ' edges' : ''}`;
          if (inst.ex.q4_0x4Fits(wPtr, rows * nb) !== 1) { t.fail(`${tag}: scales said not to fit`); return; }
          mem.u8(copyPtr, rows * rowBytes).fill(0xa5);
          // In two calls, as two threads would split the rows.
          inst.ex.repackQ4_0x4(0, 4, wPtr, copyPtr, n);
          inst.ex.repackQ4_0x4(4, rows, wPtr, copyPtr, n);
          if (!mem.u8(wPtr, rows * rowBytes).every((v, i) => v === original[i])) { t.fail(`${tag}: the source changed`); return; }
          const out = mem.f32(outPtr, rows * nTok);
          out.fill(NaN);
          // matVec over rows [4, rows) of token 1, so a range that starts past 0 is covered.
          inst.ex.matVecQ4_0x4(rows > 4 ? 4 : 0, rows, copyPtr, n, aPtr + actStride, outPtr);
          for (let r = rows > 4 ? 4 : 0; r < rows; r++) {
            if (bits(out[r]!) !== want[rows + r]) { t.fail(`${tag}: matVec row ${r}: ${out[r]} != ${want[rows + r]}`); return; }
          }
          out.fill(NaN);
          inst.ex.matMatQ4_0x4(0, rows, copyPtr, n, aPtr, actStride, nTok, outPtr, rows);
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

t.test('q4_0x4: a scale the layout cannot encode is found', async (t) => {
  const rows = 8, nb = 5;
  for (const [what, d] of [['256', 0x5c00], ['-1024', 0xe400], ['infinity', 0x7c00], ['NaN', 0x7e00]] as const) {
    fillMatrix(rows, nb, false);
    const w = mem.u8(wPtr, rows * nb * QB);
    for (let i = 0; i < rows * nb; i++) w[i * QB + 1]! &= 0x57; // every other scale below 256
    for (const inst of insts) t.equal(inst.ex.q4_0x4Fits(wPtr, rows * nb), 1, `${inst.build}: scales below 256 fit`);
    const at = (Math.floor(rand() * rows * nb)) * QB;
    w[at] = d & 255; w[at + 1] = d >> 8;
    for (const inst of insts) t.equal(inst.ex.q4_0x4Fits(wPtr, rows * nb), 0, `${inst.build}: scale ${what} found`);
  }
});
