// F32, F16 and BF16 weights: conversions of activations (round to nearest
// even) and dequantization against plain JS from the formats; the scalar dot
// against a plain-JS sum in the documented 16-lane order (kernels/src/common.ts,
// "float dot order"); SIMD128 against scalar; matVec/matMat; every build.
import t from 'tap';
import type { KernelExports } from '../../../../src/engine/kernels/abi.js';
import { instances, rng, f32, bits, f16ToNumber, numberToF16, bf16ToNumber } from '../harness.js';

type Fn = (...a: number[]) => number;

/** f32 -> bf16 bits, round to nearest even, written from the format. */
function numberToBf16(x: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x, true);
  const u = dv.getUint32(0, true);
  if ((u & 0x7fffffff) > 0x7f800000) return (u >>> 16) | 64;
  const lower = u & 0xffff, upper = u >>> 16;
  if (lower > 0x8000 || (lower === 0x8000 && (upper & 1) === 1)) return (upper + 1) & 0xffff;
  return upper;
}

/** The kernels' float dot order: 16 lanes, fixed combine, tail in order last. */
function laneDot(p: number[]): number {
  const n16 = p.length & ~15;
  const lane = new Array(16).fill(0);
  for (let i = 0; i < n16; i++) lane[i % 16] = f32(lane[i % 16] + p[i]!);
  const v = [0, 1, 2, 3].map((k) => f32(f32(lane[k] + lane[k + 4]) + f32(lane[k + 8] + lane[k + 12])));
  const main = f32(f32(v[0]! + v[1]!) + f32(v[2]! + v[3]!));
  let tail = 0;
  for (let i = n16; i < p.length; i++) tail = f32(tail + p[i]!);
  return f32(main + tail);
}

interface FloatSpec {
  name: 'F32' | 'F16' | 'BF16';
  bytes: number;
  /** f32 value -> stored bits (F32: the f32 itself). */
  encode(v: number): number;
  decode(bits: number): number;
}

const specs: FloatSpec[] = [
  { name: 'F32', bytes: 4, encode: (v) => bits(v), decode: (b) => { const d = new DataView(new ArrayBuffer(4)); d.setUint32(0, b, true); return d.getFloat32(0, true); } },
  { name: 'F16', bytes: 2, encode: numberToF16, decode: f16ToNumber },
  { name: 'BF16', bytes: 2, encode: numberToBf16, decode: bf16ToNumber },
];

t.test('JS bf16 rounding ties to even', async (t) => {
  t.equal(numberToBf16(1 + 2 ** -8), 0x3f80, 'half ulp above 1 ties down to even');
  t.equal(numberToBf16(1 + 3 * 2 ** -8), 0x3f82, '1.5 ulp ties up to even');
});

for (const spec of specs) {
  t.test(`${spec.name}: conversion, dequantize, dot vs plain JS, SIMD vs scalar, matVec/matMat`, async (t) => {
    const insts = instances();
    const { mem } = insts[0]!;
    const rand = rng(99 + spec.bytes);
    const sizes = [1, 7, 16, 17, 31, 64, 100, 257];
    const maxN = Math.max(...sizes), rows = 5, nTok = 3;
    const xPtr = mem.alloc(maxN * 4 * nTok);
    const yPtr = mem.alloc(maxN * 4 * nTok);
    const wPtr = mem.alloc(maxN * spec.bytes * rows);
    const fPtr = mem.alloc(maxN * 4);
    const outPtr = mem.alloc(rows * nTok * 4);
    let checks = 0;
    for (const n of sizes) {
      // Weights and activations with varied magnitudes, including values that need rounding, zeros and subnormal halves.
      const wv = Array.from({ length: n * rows }, () => (rand() * 2 - 1) * 10 ** Math.floor(rand() * 8 - 5));
      const xv = Array.from({ length: n * nTok }, (_, i) => (i % 13 === 0 ? 0 : (rand() * 2 - 1) * 10 ** Math.floor(rand() * 6 - 3)));
      const wBits = wv.map((v) => spec.encode(f32(v)));
      if (spec.bytes === 4) new Uint32Array(mem.memory.buffer, wPtr, n * rows).set(wBits);
      else mem.u16(wPtr, n * rows).set(wBits);
      mem.f32(xPtr, n * nTok).set(xv);
      const wVals = wBits.map(spec.decode);
      const actBits = xv.map((v) => spec.encode(f32(v)));
      const actVals = actBits.map(spec.decode);
      const results: number[][] = [];
      for (const inst of insts) {
        const ex = inst.ex as unknown as Record<string, Fn>;
        const tag = `${inst.build} ${spec.name} n=${n}`;
        // Activation conversion
        let y = xPtr, yStride = n * 4;
        if (spec.name !== 'F32') {
          yStride = ex[`act${spec.name}RowBytes`]!(n);
          y = yPtr;
          ex[`quantizeRows${spec.name}`]!(0, nTok, xPtr, n * 4, yPtr, yStride, n);
          // F16 rows keep the f16-rounded values as f32 (4 bytes each); BF16 rows hold bf16 bits.
          const got = spec.name === 'F16'
            ? Array.from(mem.f32(yPtr, (yStride / 4) * nTok), (v) => numberToF16(v))
            : Array.from(mem.u16(yPtr, (yStride / 2) * nTok));
          const per = spec.name === 'F16' ? yStride / 4 : yStride / 2;
          for (let tk = 0; tk < nTok; tk++) {
            for (let i = 0; i < n; i++) {
              if (got[tk * per + i] !== actBits[tk * n + i]) { t.fail(`${tag}: converted activation ${i} of token ${tk}`); return; }
            }
          }
        }
        // Dequantize row 0
        ex[`dequantizeRow${spec.name}`]!(wPtr, fPtr, n);
        const deq = mem.f32(fPtr, n);
        for (let i = 0; i < n; i++) if (bits(deq[i]!) !== bits(wVals[i]!)) { t.fail(`${tag}: dequantize ${i}`); return; }
        // Dots
        const all: number[] = [];
        for (let r = 0; r < rows; r++) {
          for (let tk = 0; tk < nTok; tk++) {
            const want = laneDot(Array.from({ length: n }, (_, i) => f32(wVals[r * n + i]! * actVals[tk * n + i]!)));
            const xr = wPtr + r * n * spec.bytes, yr = y + tk * yStride;
            const scalar = ex[`vecDot${spec.name}${spec.name}Scalar`]!(n, xr, yr);
            const simd = ex[`vecDot${spec.name}${spec.name}Simd128`]!(n, xr, yr);
            if (bits(scalar) !== bits(want)) { t.fail(`${tag}: scalar ${scalar} != JS ${want} (row ${r} tok ${tk})`); return; }
            if (bits(simd) !== bits(scalar)) { t.fail(`${tag}: simd ${simd} != scalar ${scalar}`); return; }
            all.push(bits(scalar));
            checks++;
          }
        }
        const out = mem.f32(outPtr, rows * nTok);
        out.fill(NaN);
        ex[`matVec${spec.name}`]!(0, rows, wPtr, n, y, outPtr);
        for (let r = 0; r < rows; r++) if (bits(out[r]!) !== all[r * nTok]) { t.fail(`${tag}: matVec row ${r}`); return; }
        out.fill(NaN);
        ex[`matMat${spec.name}`]!(0, rows, wPtr, n, y, yStride, nTok, outPtr, rows);
        for (let r = 0; r < rows; r++) {
          for (let tk = 0; tk < nTok; tk++) if (bits(out[tk * rows + r]!) !== all[r * nTok + tk]) { t.fail(`${tag}: matMat ${r},${tk}`); return; }
        }
        results.push(all);
      }
      if (results.length > 1) t.same(results[1], results[0], `${spec.name} n=${n}: builds agree`);
    }
    t.pass(`${checks} dots bit-exact`);
  });
}

t.test('every half converts exactly: scalar (dequantizeRowF16) and 4-lane SIMD (F16 dot), subnormals and Inf/NaN included', async (t) => {
  const insts = instances();
  const { mem } = insts[0]!;
  const all = Uint16Array.from({ length: 0x10000 }, (_, h) => h);
  const wPtr = mem.alloc(all.length * 2), fPtr = mem.alloc(all.length * 4), onePtr = mem.alloc(16 * 4);
  mem.u16(wPtr, all.length).set(all);
  mem.f32(onePtr, 16).fill(1);
  const want = (h: number): number => {
    const e = (h >> 10) & 31;
    if (e !== 31) return bits(f16ToNumber(h));
    return ((h & 0x8000) << 16 | 0x7f800000 | (h & 0x3ff) << 13) >>> 0; // Inf/NaN keep their payload
  };
  for (const inst of insts) {
    inst.ex.dequantizeRowF16(wPtr, fPtr, all.length);
    const got = new Uint32Array(mem.memory.buffer, fPtr, all.length); // raw bits: a JS number would quiet signalling NaNs
    const bad = all.find((h) => got[h] !== want(h));
    t.equal(bad, undefined, `${inst.build} scalar: all 65536 halves`);
    // A row of 16 halves holding h in lane h % 16 and zeros elsewhere, dotted with ones: the sum is h's value exactly.
    const row = mem.alloc(32);
    let badSimd: number | undefined;
    for (let h = 0; h < 0x10000 && badSimd === undefined; h++) {
      if (((h >> 10) & 31) === 31) continue;
      const r = mem.u16(row, 16);
      r.fill(0);
      r[h % 16] = h;
      const v = inst.ex.vecDotF16F16Simd128(16, row, onePtr);
      if (bits(v) !== bits(f16ToNumber(h) + 0)) badSimd = h;
    }
    t.equal(badSimd, undefined, `${inst.build} SIMD: all finite halves in every lane`);
  }
});

// Keep the ABI names honest: the interface lists what this test calls.
const names: (keyof KernelExports)[] = ['vecDotF16F16Scalar', 'vecDotBF16BF16Simd128', 'matVecF32', 'quantizeRowsF16', 'quantizeRowsBF16'];
void names;

/**
 * Where four-lane rounding to halves could part from the scalar one: zeros,
 * f32 subnormals, half subnormals and their ties, the normal boundary 2^-14
 * from both sides, ties on the 13 dropped bits at every exponent, the
 * largest half and the overflow edge 65520, infinities, NaNs of either sign
 * and payload.
 */
function roundF16EdgeBits(rand: () => number): number[] {
  const b = [0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x7f7fffff, 0x7f800000, 0xff800000,
    0x7fc00000, 0xffc00000, 0x7f800001, 0xff812345, 0x7fbfffff];
  for (const v of [2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -14, 2 ** -14 - 2 ** -25, 2 ** -14 - 2 ** -26, 65504, 65519, 65520, 65536, 1, 1 + 2 ** -11, 1 + 3 * 2 ** -11]) {
    for (let d = -2; d <= 2; d++) b.push((bits(v) + d) >>> 0, (bits(-v) + d) >>> 0);
  }
  for (let e = 1; e < 255; e++) {
    for (const low of [0x0fff, 0x1000, 0x1001, 0x3000, 0x1fff]) {
      const m = (Math.floor(rand() * 0x400) << 13) | low;
      b.push(((e << 23) | m) >>> 0, ((1 << 31) | (e << 23) | m) >>> 0);
    }
  }
  return b;
}

t.test('quantizeRowsF16 (four lanes) == quantizeRowsF16Scalar bit for bit, and both round to nearest even half as plain JS does', async (t) => {
  const insts = instances();
  const { mem } = insts[0]!;
  const rand = rng(0xf16);
  const edges = roundF16EdgeBits(rand);
  // Length 3 mod 4: the last values take the scalar tail.
  const n = edges.length + 4096 + (3 - ((edges.length + 4096) % 4) + 4) % 4;
  const input = new Uint32Array(n);
  input.set(edges);
  for (let i = edges.length; i < n; i++) input[i] = Math.floor(rand() * 2 ** 32);
  const x = mem.alloc(n * 4), y = mem.alloc(n * 4);
  mem.u8(x, n * 4).set(new Uint8Array(input.buffer));
  const want = Array.from(input, (b) => {
    const isNaN = (b & 0x7fffffff) > 0x7f800000;
    if (isNaN) return ((b & 0x80000000) | 0x7fc00000) >>> 0;
    const v = new Float32Array(new Uint32Array([b]).buffer)[0]!;
    return bits(f16ToNumber(numberToF16(v))) >>> 0;
  });
  const firstBad = (got: Uint32Array): string => {
    const i = want.findIndex((w, j) => got[j] !== w);
    return i < 0 ? 'none' : `input ${input[i]!.toString(16)} got ${got[i]!.toString(16)} want ${want[i]!.toString(16)}`;
  };
  for (const inst of insts) {
    for (const fn of ['quantizeRowsF16', 'quantizeRowsF16Scalar'] as const) {
      mem.u8(y, n * 4).fill(0x55);
      inst.ex[fn](0, 1, x, n * 4, y, n * 4, n);
      t.equal(firstBad(new Uint32Array(mem.memory.buffer, y, n).slice()), 'none', `${inst.build} ${fn}: ${n} values`);
    }
  }
});
