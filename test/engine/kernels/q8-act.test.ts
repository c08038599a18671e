// The activation quantizers against a plain-JS transcription of ggml's
// quantize_row_q8_0_ref / quantize_row_q8_1_ref (roundf ties away from zero,
// f16 round-to-nearest-even), bit for bit, scalar and SIMD, every build.
import t from 'tap';
import { instances, rng, quantizeQ8Js, readQ8Row, randomActivations, numberToF16, f16ToNumber, bits } from './harness.js';

t.test('JS half conversion round-trips every finite half and rounds ties to even', async (t) => {
  for (let h = 0; h < 0x10000; h++) {
    const e = (h >> 10) & 31;
    if (e === 31) continue;
    if (numberToF16(f16ToNumber(h)) !== h) { t.fail(`half ${h.toString(16)}`); return; }
  }
  t.equal(numberToF16(1 + 2 ** -11), 0x3c00, '1 + half ulp ties to even (down)');
  t.equal(numberToF16(1 + 3 * 2 ** -11), 0x3c02, '1 + 1.5 ulp ties to even (up)');
  t.equal(numberToF16(65520), 0x7c00, '65520 overflows to infinity');
  t.equal(numberToF16(2 ** -25), 0, 'half the smallest subnormal ties to 0');
});

t.test('quantizeRowQ8_0 / Q8_1: scalar and SIMD128 equal the ggml reference, every build', async (t) => {
  const insts = instances();
  const { mem } = insts[0]!;
  const rand = rng(42);
  const maxN = 32 * 40;
  const xPtr = mem.alloc(maxN * 4);
  const yPtr = mem.alloc(maxN * 4);
  const cases: Float32Array[] = [];
  for (const nb of [1, 2, 3, 5, 40]) cases.push(randomActivations(rand, nb * 32));
  // Ties: amax 127 makes d = 1 and id = 1, so k + 0.5 must round away from zero.
  cases.push(Float32Array.from({ length: 64 }, (_, i) => (i % 32 === 0 ? -127 : ((i % 7) - 3) + 0.5)));
  cases.push(new Float32Array(64)); // all zero: d = 0, id = 0
  cases.push(Float32Array.from({ length: 32 }, (_, i) => (i === 5 ? 1e-30 : 0))); // subnormal-ish scale
  cases.push(Float32Array.from({ length: 32 }, (_, i) => (i - 16) * 3e4)); // large values
  // Infinities: amax and d infinite, id 0, every quant 0 (infinity * 0 is NaN, which rounds to 0).
  cases.push(Float32Array.from({ length: 96 }, (_, i) => (i === 3 ? Infinity : i === 70 ? -Infinity : i - 40)));
  let checked = 0;
  for (const x of cases) {
    const n = x.length;
    mem.f32(xPtr, n).set(x);
    const want = quantizeQ8Js(x);
    for (const inst of insts) {
      for (const [name, withS] of [
        ['quantizeRowQ8_0Scalar', false], ['quantizeRowQ8_0Simd128', false],
        ['quantizeRowQ8_1Scalar', true], ['quantizeRowQ8_1Simd128', true],
      ] as const) {
        mem.u8(yPtr, n * 4).fill(0xee);
        inst.ex[name](xPtr, yPtr, n);
        const got = readQ8Row(mem, yPtr, n, withS);
        const tag = `${inst.build} ${name} n=${n}`;
        if (got.qs.some((q, i) => q !== want.qs[i])) { t.fail(`${tag}: qs differ`); return; }
        if (got.d.some((d, i) => bits(d) !== bits(want.d[i]!))) { t.fail(`${tag}: d differ`); return; }
        if (got.sum.some((s, i) => s !== want.sum[i])) { t.fail(`${tag}: sums differ`); return; }
        // s of an infinite block is NaN (0 * infinity), whose sign wasm leaves to the engine.
        if (withS && got.s.some((s, i) => bits(s) !== bits(want.s[i]!) && !(Number.isNaN(s) && Number.isNaN(want.s[i]!)))) { t.fail(`${tag}: s differ`); return; }
        const pos = mem.u8(yPtr + n + 12 * (n / 32), n), neg = mem.u8(yPtr + 2 * n + 12 * (n / 32), n);
        if (want.qs.some((q, i) => pos[i] !== Math.max(q, 0) || neg[i] !== Math.max(-q, 0))) { t.fail(`${tag}: positive or negative parts differ`); return; }
        const off8 = mem.i32(yPtr + 3 * n + 12 * (n / 32), n / 32), off16 = mem.i32(yPtr + 3 * n + 16 * (n / 32), n / 32);
        if (want.sum.some((s, b) => off8[b] !== -8 * s || off16[b] !== -16 * s)) { t.fail(`${tag}: offsets differ`); return; }
        checked++;
      }
    }
  }
  // A tie case checked by hand: 2.5 with d = 1 is 3 (roundf), not 2 (nearest even).
  const x = new Float32Array(32); x[0] = 127; x[1] = 2.5; x[2] = -2.5;
  mem.f32(xPtr, 32).set(x);
  insts[0]!.ex.quantizeRowQ8_0Simd128(xPtr, yPtr, 32);
  const q = readQ8Row(mem, yPtr, 32, false);
  t.same([q.qs[0], q.qs[1], q.qs[2]], [127, 3, -3], 'ties go away from zero');
  t.pass(`${checked} rows bit-exact`);
});
