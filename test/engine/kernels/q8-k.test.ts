// The Q8_K activation quantizer (kernels/src/q8_k.ts) against the plain-JS
// transcription of ggml's quantize_row_q8_K_ref in k-quants-js.ts (iscale =
// -127 / max with max the signed value of largest magnitude, nearest with
// ties to even, cap at 127, d = 1 / iscale in f32), bit for bit: scalar and
// SIMD128, every build, in nibble's row layout (qs, bsums, d).
import t from 'tap';
import { instances, rng, randomActivations, bits } from './harness.js';
import { QK_K, quantizeQ8K, q8KToNibbleLayout, roundHalfEven } from './k-quants-js.js';

t.test('JS nearest rounds ties to even, like ggml nearest_int', async (t) => {
  t.same([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven), [0, 2, 2, -0, -2, -2, 2, 3]);
});

t.test('quantizeRowQ8_K: scalar and SIMD128 equal the ggml reference, every build', async (t) => {
  const insts = instances();
  const { mem } = insts[0]!;
  const rand = rng(0x98c);
  const maxN = QK_K * 12;
  const xPtr = mem.alloc(maxN * 4);
  const yPtr = mem.alloc(maxN + 36 * 12);
  const cases: [string, Float32Array][] = [];
  for (const nb of [1, 2, 3, 12]) cases.push([`random nb=${nb}`, randomActivations(rand, nb * QK_K)]);
  // max = -127 gives iscale = 1 exactly: k + 0.5 are ties that go to the even neighbour.
  cases.push(['ties', Float32Array.from({ length: QK_K }, (_, i) => (i === 3 ? -127 : ((i % 9) - 4) + 0.5))]);
  cases.push(['all zero', new Float32Array(2 * QK_K)]);
  cases.push(['zero block then data', Float32Array.from({ length: 2 * QK_K }, (_, i) => (i < QK_K ? 0 : Math.sin(i)))]);
  // +a and -a both present: the first one decides the sign of d.
  cases.push(['max +a first', Float32Array.from({ length: QK_K }, (_, i) => (i === 10 ? 3 : i === 200 ? -3 : Math.cos(i)))]);
  cases.push(['max -a first', Float32Array.from({ length: QK_K }, (_, i) => (i === 10 ? -3 : i === 200 ? 3 : Math.cos(i)))]);
  cases.push(['max in the last lane', Float32Array.from({ length: QK_K }, (_, i) => (i === QK_K - 1 ? -50 : Math.cos(i)))]);
  cases.push(['tiny', Float32Array.from({ length: QK_K }, (_, i) => Math.sin(i) * 1e-38)]);
  cases.push(['subnormal', Float32Array.from({ length: QK_K }, (_, i) => (i % 17 === 0 ? 1e-44 : 0))]);
  cases.push(['large', Float32Array.from({ length: QK_K }, (_, i) => (i - 128) * 1e30)]);
  cases.push(['one value', Float32Array.from({ length: QK_K }, (_, i) => (i === 77 ? 0.3 : 0))]);
  cases.push(['an infinity', Float32Array.from({ length: QK_K }, (_, i) => (i === 130 ? -Infinity : Math.sin(i)))]);
  let checked = 0;
  for (const [name, x] of cases) {
    const n = x.length;
    const bytes = n + 36 * (n / QK_K);
    mem.f32(xPtr, n).set(x);
    const want = q8KToNibbleLayout(quantizeQ8K(x));
    for (const inst of insts) {
      t.equal(inst.ex.actQ8KRowBytes(n), bytes, `actQ8KRowBytes(${n})`);
      for (const fnName of ['quantizeRowQ8_KScalar', 'quantizeRowQ8_KSimd128'] as const) {
        mem.u8(yPtr, bytes).fill(0xee);
        inst.ex[fnName](xPtr, yPtr, n);
        const got = mem.u8(yPtr, bytes);
        const bad = want.findIndex((v, i) => v !== got[i]);
        if (bad >= 0) { t.fail(`${inst.build} ${fnName} ${name}: byte ${bad} is ${got[bad]}, want ${want[bad]}`); return; }
        checked++;
      }
    }
  }
  // By hand: max = -127 makes iscale = 1: 0.5 -> 0, 1.5 -> 2, -2.5 -> -2, and the max itself -> -127 (always, d = -max / 127).
  const x = new Float32Array(QK_K);
  x[0] = -127; x[1] = 0.5; x[2] = 1.5; x[3] = -2.5;
  mem.f32(xPtr, QK_K).set(x);
  insts[0]!.ex.quantizeRowQ8_KSimd128(xPtr, yPtr, QK_K);
  const q = new Int8Array(mem.u8(yPtr, 4).slice().buffer);
  t.same([...q], [-127, 0, 2, -2], 'ties to even; q(max) = -127');
  t.equal(bits(mem.f32(yPtr + QK_K + 32, 1)[0]!), bits(1), 'd = 1 / iscale = 1');
  t.equal(new Int16Array(mem.u8(yPtr + QK_K, 2).slice().buffer)[0], -127, 'bsums[0] = -127 + 0 + 2 - 2 + 12 zeros');
  t.pass(`${checked} quantized rows byte-exact`);
});

t.test('quantizeRowsQ8_K converts several rows at their strides', async (t) => {
  const [inst] = instances();
  const { mem } = inst!;
  const rand = rng(5);
  const n = 2 * QK_K, rows = 3, xStride = n * 4 + 64, yStride = 640 + 64;
  const xPtr = mem.alloc(xStride * rows);
  const yPtr = mem.alloc(yStride * rows);
  const xs = Array.from({ length: rows }, () => randomActivations(rand, n));
  xs.forEach((x, r) => mem.f32(xPtr + r * xStride, n).set(x));
  inst!.ex.quantizeRowsQ8_K(0, rows, xPtr, xStride, yPtr, yStride, n);
  xs.forEach((x, r) => t.same(mem.u8(yPtr + r * yStride, n + 72), q8KToNibbleLayout(quantizeQ8K(x)), `row ${r}`));
});
