// The forward pass's non-matmul ops (kernels/src/norm.ts, rope.ts,
// elementwise.ts, math.ts, attention.ts) against plain JS. Where the kernel's
// f32 operations can be replayed in JS (rmsnorm, rope, KV store) the check is
// bit-exact; where JS has a different exp, within the named tolerances; the
// SIMD kernels (attention, exp, silu) are bit-exact against their scalar
// references, in every build, and split across threads give the same bits.
import t from 'tap';
import { Kernels } from '../../../src/engine/kernels/kernels.js';
import { ForwardOps } from '../../../src/engine/model/ops.js';
import { instances, rng, f32, bits, numberToF16, f16ToNumber } from './harness.js';

/** expF32 against Math.exp: at most this many f32 ulps apart. */
const EXP_MAX_ULPS = 1;
/** silu(g) * u against an f64 evaluation: relative error bound. */
const SILU_REL_TOL = 1e-6;
/** Attention output against an f64 evaluation of the same math (f16 rounding of q and weights replayed): absolute bound, for values and outputs of magnitude ~2. */
const ATTENTION_TOL = 2e-6;

const insts = instances();
const { mem } = insts[0]!;
const rand = rng(2024);

t.test('expF32 is within EXP_MAX_ULPS of the correctly rounded e^x', async (t) => {
  const ex = insts[0]!.ex;
  let worst = 0;
  for (let i = 0; i < 20000; i++) {
    const x = f32(rand() * 180 - 95);
    const got = ex.expF32(x), want = f32(Math.exp(x));
    worst = Math.max(worst, Math.abs(bits(got) - bits(want)));
  }
  t.ok(worst <= EXP_MAX_ULPS, `worst ${worst} ulps`);
  t.equal(ex.expF32(-200), 0, 'underflow to 0');
  t.equal(ex.expF32(100), Infinity, 'overflow to infinity');
  t.equal(ex.expF32(0), 1, 'e^0 = 1');
});

t.test('rmsNormRows replays exactly in JS (squares in f32, sum in f64)', async (t) => {
  const n = 200, rows = 3, eps = f32(1e-5);
  const x = mem.alloc(n * rows * 4), w = mem.alloc(n * 4), out = mem.alloc(n * rows * 4);
  const xs = Float32Array.from({ length: n * rows }, () => (rand() * 2 - 1) * 3);
  const ws = Float32Array.from({ length: n }, () => rand() * 2);
  mem.f32(x, n * rows).set(xs);
  mem.f32(w, n).set(ws);
  for (const inst of insts) {
    inst.ex.rmsNormRows(0, rows, x, w, out, n, eps);
    const got = mem.f32(out, n * rows);
    let bad = 0;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += f32(xs[r * n + i]! * xs[r * n + i]!);
      const scale = f32(1 / f32(Math.sqrt(f32(f32(sum / n) + eps))));
      for (let i = 0; i < n; i++) if (bits(got[r * n + i]!) !== bits(f32(f32(xs[r * n + i]! * scale) * ws[i]!))) bad++;
    }
    t.equal(bad, 0, `${inst.build}: every value bit-exact`);
  }
});

t.test('ropeRows: normal (adjacent pairs) and neox (i, i + d/2), partial rotation', async (t) => {
  const nHeads = 3, headDim = 16, tokens = 2;
  for (const [neox, ropeDim] of [[0, 16], [1, 16], [0, 8], [1, 8]] as const) {
    const x = mem.alloc(tokens * nHeads * headDim * 4), table = mem.alloc(tokens * (ropeDim / 2) * 8);
    const xs = Float32Array.from({ length: tokens * nHeads * headDim }, () => rand() * 2 - 1);
    const tab = Float32Array.from({ length: tokens * ropeDim }, (_, i) => (i % 2 === 0 ? Math.cos(i) : Math.sin(i)));
    mem.f32(table, tab.length).set(tab);
    for (const inst of insts) {
      mem.f32(x, xs.length).set(xs);
      inst.ex.ropeRows(0, tokens, x, table, nHeads, headDim, ropeDim, neox);
      const got = mem.f32(x, xs.length);
      const want = Float32Array.from(xs);
      for (let tk = 0; tk < tokens; tk++) {
        for (let h = 0; h < nHeads; h++) {
          const base = (tk * nHeads + h) * headDim;
          for (let i = 0; i < ropeDim / 2; i++) {
            const c = tab[(tk * ropeDim / 2 + i) * 2]!, s = tab[(tk * ropeDim / 2 + i) * 2 + 1]!;
            const a = base + (neox ? i : 2 * i), b = neox ? a + ropeDim / 2 : a + 1;
            const x0 = xs[a]!, x1 = xs[b]!;
            want[a] = f32(f32(x0 * c) - f32(x1 * s));
            want[b] = f32(f32(x0 * s) + f32(x1 * c));
          }
        }
      }
      t.same(Array.from(got, bits), Array.from(want, bits), `${inst.build} neox=${neox} ropeDim=${ropeDim}`);
    }
  }
});

t.test('siluMulF32Simd128 (against Math.exp), addF32, addBiasRows', async (t) => {
  const n = 500;
  const g = mem.alloc(n * 4), u = mem.alloc(n * 4);
  const gs = Float32Array.from({ length: n }, (_, i) => (i === 0 ? -100 : i === 1 ? 100 : (rand() * 2 - 1) * 12));
  const us = Float32Array.from({ length: n }, () => rand() * 4 - 2);
  for (const inst of insts) {
    mem.f32(g, n).set(gs);
    mem.f32(u, n).set(us);
    inst.ex.siluMulF32Simd128(0, n, g, u);
    const got = mem.f32(g, n);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const want = (gs[i]! / (1 + Math.exp(-gs[i]!))) * us[i]!;
      worst = Math.max(worst, Math.abs(got[i]! - want) / Math.max(Math.abs(want), 1e-30));
    }
    t.ok(worst <= SILU_REL_TOL, `${inst.build}: silu*up relative error ${worst.toExponential(2)}`);
    mem.f32(g, n).set(gs);
    inst.ex.addF32(g, u, n);
    t.same(Array.from(mem.f32(g, n), bits), Array.from(gs, (v, i) => bits(f32(v + us[i]!))), `${inst.build}: add`);
    mem.f32(g, n).set(gs);
    inst.ex.addBiasRows(g, u, 100, 5);
    t.same(Array.from(mem.f32(g, n), bits), Array.from(gs, (v, i) => bits(f32(v + us[i % 100]!))), `${inst.build}: bias rows`);
  }
});

t.test('storeKvRows: f16 rounds to nearest even, f32 copies', async (t) => {
  const n = 300;
  const src = mem.alloc(n * 4), dst = mem.alloc(n * 4);
  const xs = Float32Array.from({ length: n }, (_, i) => (i < 4 ? [65520, -1e-8, 1 + 2 ** -11, 70000][i]! : (rand() * 2 - 1) * 10 ** (rand() * 8 - 4)));
  mem.f32(src, n).set(xs);
  for (const inst of insts) {
    inst.ex.storeKvRows(dst, src, 100, 3, 1);
    t.same(Array.from(mem.u16(dst, n)), Array.from(xs, (v) => numberToF16(v)), `${inst.build}: f16`);
    inst.ex.storeKvRows(dst, src, 100, 3, 0);
    t.same(Array.from(mem.f32(dst, n), bits), Array.from(xs, bits), `${inst.build}: f32`);
  }
});

interface AttnCase { nHead: number; nHeadKv: number; headDim: number; pos0: number; tokens: number; f16: boolean }

function attentionJs(c: AttnCase, q: Float32Array, keys: number[][], values: number[][]): Float64Array {
  const group = c.nHead / c.nHeadKv, scale = 1 / Math.sqrt(c.headDim);
  const out = new Float64Array(c.tokens * c.nHead * c.headDim);
  for (let tk = 0; tk < c.tokens; tk++) {
    for (let h = 0; h < c.nHead; h++) {
      const p = c.pos0 + tk, kh = Math.floor(h / group);
      const qv = Array.from({ length: c.headDim }, (_, i) => {
        const v = q[(tk * c.nHead + h) * c.headDim + i]!;
        return c.f16 ? f16ToNumber(numberToF16(v)) : v;
      });
      const s: number[] = [];
      for (let j = 0; j <= p; j++) {
        let d = 0;
        for (let i = 0; i < c.headDim; i++) d += qv[i]! * keys[j]![kh * c.headDim + i]!;
        s.push(d * scale);
      }
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j <= p; j++) {
        const w = c.f16 ? f16ToNumber(numberToF16(e[j]! / sum)) : e[j]! / sum;
        for (let i = 0; i < c.headDim; i++) out[(tk * c.nHead + h) * c.headDim + i] += w * values[j]![kh * c.headDim + i]!;
      }
    }
  }
  return out;
}

t.test('attention: SIMD == scalar bit for bit, close to f64 JS, causal, GQA, f16 and f32 caches, threads', async (t) => {
  // The kernels run on the harness's memory, so every build and the pool see the same bytes.
  const memory = mem;
  const k1 = await Kernels.create({ memory, threads: 1 });
  const k3 = await Kernels.create({ memory, threads: 3 });
  t.teardown(async () => { await k1.close(); await k3.close(); });
  const cases: AttnCase[] = [
    { nHead: 4, nHeadKv: 2, headDim: 16, pos0: 0, tokens: 1, f16: true },
    { nHead: 4, nHeadKv: 1, headDim: 64, pos0: 9, tokens: 3, f16: true },
    { nHead: 6, nHeadKv: 6, headDim: 8, pos0: 5, tokens: 4, f16: false },
    { nHead: 8, nHeadKv: 2, headDim: 32, pos0: 30, tokens: 1, f16: false },
    { nHead: 14, nHeadKv: 2, headDim: 16, pos0: 3, tokens: 5, f16: true },  // sets of 4 and 3 heads (Qwen2.5)
    { nHead: 9, nHeadKv: 3, headDim: 8, pos0: 0, tokens: 6, f16: true },    // sets of 3 (SmolLM2)
    { nHead: 10, nHeadKv: 2, headDim: 8, pos0: 7, tokens: 2, f16: false },  // sets of 4 and 1
    { nHead: 12, nHeadKv: 2, headDim: 12, pos0: 2, tokens: 3, f16: true },  // sets of 4 and 2
  ];
  for (const c of cases) {
    const ctx = 64, kvW = c.nHeadKv * c.headDim, qW = c.nHead * c.headDim;
    const eb = c.f16 ? 2 : 4;
    const keys = memory.alloc(ctx * kvW * eb), values = memory.alloc(ctx * kvW * eb);
    const qPtr = memory.alloc(c.tokens * qW * 4), out = memory.alloc(c.tokens * qW * 4);
    const scores = memory.alloc(c.tokens * c.nHead * ctx * 4);
    const last = c.pos0 + c.tokens - 1;
    const kRows: number[][] = [], vRows: number[][] = [];
    for (let j = 0; j < ctx; j++) {
      const kr = Array.from({ length: kvW }, () => (rand() * 2 - 1) * 2);
      const vr = Array.from({ length: kvW }, () => (rand() * 2 - 1) * 2);
      // Positions after the last token hold NaN: a causal kernel never reads them.
      const store = (ptr: number, row: number[]) => {
        if (c.f16) mem.u16(ptr + j * kvW * 2, kvW).set(row.map((v) => (j > last ? 0x7e00 : numberToF16(v))));
        else mem.f32(ptr + j * kvW * 4, kvW).set(row.map((v) => (j > last ? NaN : v)));
      };
      store(keys, kr);
      store(values, vr);
      kRows.push(c.f16 ? kr.map((v) => f16ToNumber(numberToF16(v))) : kr.map(f32));
      vRows.push(c.f16 ? vr.map((v) => f16ToNumber(numberToF16(v))) : vr.map(f32));
    }
    const q = Float32Array.from({ length: c.tokens * qW }, () => (rand() * 2 - 1) * 3);
    const want = attentionJs(c, q, kRows, vRows);
    const tag = `nHead=${c.nHead}/${c.nHeadKv} d=${c.headDim} pos0=${c.pos0} tokens=${c.tokens} ${c.f16 ? 'f16' : 'f32'}`;
    const args = [out, qPtr, keys, values, scores, c.nHead, c.nHeadKv, c.headDim, c.pos0, ctx, c.f16 ? 1 : 0] as const;
    let reference: number[] | undefined;
    for (const inst of insts) {
      for (const fn of ['attentionScalar', 'attentionSimd128'] as const) {
        memory.f32(qPtr, q.length).set(q);
        inst.ex[fn](0, c.tokens * inst.ex.attentionUnits(c.nHead, c.nHeadKv), ...args);
        const got = Array.from(memory.f32(out, c.tokens * qW), bits);
        if (reference === undefined) {
          reference = got;
          const vals = memory.f32(out, c.tokens * qW);
          let worst = 0;
          for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(vals[i]! - want[i]!));
          t.ok(worst <= ATTENTION_TOL, `${tag}: within tolerance of f64 JS (worst ${worst.toExponential(2)})`);
        } else if (got.some((v, i) => v !== reference![i])) {
          t.fail(`${tag}: ${inst.build} ${fn} differs from the scalar reference`);
        }
      }
    }
    for (const k of [k1, k3]) {
      memory.f32(qPtr, q.length).set(q);
      k.parallel('attentionSimd128', c.tokens * k.exports.attentionUnits(c.nHead, c.nHeadKv), [...args]);
      t.same(Array.from(memory.f32(out, c.tokens * qW), bits), reference, `${tag}: ${k.threads} thread(s) through the pool`);
    }
  }
});

// ---- exp and silu: SIMD against the scalar reference, bit for bit ----------
//
// Inputs are bit patterns written straight to memory: a NaN read into a JS
// number and back would be quieted, and signalling NaNs are among the edges.

const simdRand = rng(4864);

/** The f32 bit patterns `ulps` steps either side of v's (same sign), v's included. */
function around(v: number, ulps: number): number[] {
  const b = bits(v);
  return Array.from({ length: 2 * ulps + 1 }, (_, i) => b - ulps + i);
}

/**
 * Where a lane-wise exp could part from the scalar one: zeros, subnormals,
 * the largest finite values, infinities, NaNs of either sign and payload
 * (signalling too), expF32's overflow and underflow limits, where e^x turns
 * subnormal or rounds to the smallest subnormal, and the half-way points of
 * the range reduction k = nearest(x / ln2).
 */
function expEdgeBits(): number[] {
  const b = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000,
    0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fbfffff, 0x7fc12345];
  for (const limit of [88.72284, -103.97208, Math.log(2 ** -126), Math.log(2 ** -149), Math.log(2 ** 128), 1e-30, -1e-30, 1, -1]) {
    b.push(...around(limit, 4));
  }
  for (let m = -151; m <= 128; m++) b.push(...around((m + 0.5) * Math.LN2, 1));
  return b;
}

/** The edges and their negations (silu takes e^-g), then values across expF32's range and random bit patterns of every exponent. */
function inputBits(count: number): Int32Array {
  const edges = expEdgeBits();
  const x = new Int32Array(2 * edges.length + 2 * count);
  x.set(edges);
  x.set(edges.map((b) => b ^ 0x80000000), edges.length);
  for (let i = 2 * edges.length; i < x.length; i += 2) {
    x[i] = bits(simdRand() * 220 - 110);
    x[i + 1] = Math.floor(simdRand() * 2 ** 32);
  }
  return x;
}

function isNaNBits(b: number): boolean {
  return (b & 0x7fffffff) > 0x7f800000;
}

/** Every NaN as one: wasm leaves the sign and payload of a NaN from arithmetic to the engine. */
function canonicalBits(v: Int32Array): Int32Array {
  return v.map((b) => (isNaNBits(b) ? 0x7fc00000 : b));
}

function firstDifference(got: Int32Array, want: Int32Array, input: Int32Array): string {
  const i = got.findIndex((b, j) => b !== want[j]);
  if (i < 0) return 'none';
  const hex = (b: number) => (b >>> 0).toString(16);
  return `at ${i}: input ${hex(input[i]!)} got ${hex(got[i]!)} want ${hex(want[i]!)}`;
}

t.test('expF32Simd128 gives expF32\'s bits for every lane, edges included, in every build', async (t) => {
  // Length 3 mod 4: the last values take the scalar tail.
  const all = inputBits(1 << 15);
  const xb = all.subarray(0, all.length - ((all.length + 1) % 4));
  const n = xb.length;
  const x = mem.alloc(n * 4), out = mem.alloc(n * 4);
  mem.i32(x, n).set(xb);
  const xs = mem.f32(x, n).slice();
  for (const inst of insts) {
    // A NaN comes back as itself, so its bits are known; other lanes must match the scalar export.
    const want = xb.map((b, i) => (isNaNBits(b) ? b : bits(inst.ex.expF32(xs[i]!))));
    mem.i32(out, n).fill(0x12345678);
    inst.ex.expF32Simd128(0, n, x, out);
    t.equal(firstDifference(mem.i32(out, n).slice(), want, xb), 'none', `${inst.build}: ${n} values bit-exact`);
  }
});

t.test('siluMulF32Simd128 == siluMulF32Scalar bit for bit, edges, tails and misaligned starts, in every build', async (t) => {
  const gb = inputBits(1 << 15);
  const n = gb.length;
  const specialUp = [0, -0, Infinity, -Infinity, NaN, 1e-45, 3e38, -1];
  const us = Float32Array.from({ length: n }, (_, i) => (i % 97 < specialUp.length ? specialUp[i % 97]! : simdRand() * 8 - 4));
  const g = mem.alloc(n * 4), ref = mem.alloc(n * 4), u = mem.alloc(n * 4);
  mem.f32(u, n).set(us);
  for (const inst of insts) {
    mem.i32(ref, n).set(gb);
    inst.ex.siluMulF32Scalar(0, n, ref, u);
    const want = canonicalBits(mem.i32(ref, n).slice());
    // Ranges that start off a multiple of four and end with a tail of 1 to 3.
    for (const [r0, r1] of [[0, n], [1, n - 1], [3, n - 2], [5, n - 3]] as const) {
      mem.i32(g, n).set(gb);
      inst.ex.siluMulF32Simd128(r0, r1, g, u);
      inst.ex.siluMulF32Scalar(0, r0, g, u);
      inst.ex.siluMulF32Scalar(r1, n, g, u);
      t.equal(firstDifference(canonicalBits(mem.i32(g, n).slice()), want, gb), 'none', `${inst.build} [${r0}, ${r1}) of ${n}`);
    }
  }
});

t.test('ForwardOps.siluMul: 1 thread and 3 threads give the scalar reference\'s bits', async (t) => {
  const k1 = await Kernels.create({ memory: mem, threads: 1 });
  const k3 = await Kernels.create({ memory: mem, threads: 3 });
  t.teardown(async () => { await k1.close(); await k3.close(); });
  // Two token rows of 4864 (qwen2.5-0.5b's ffn) and a ragged end: uneven shares, a scalar tail.
  const gb = inputBits(4864 + 3).subarray(0, 2 * 4864 + 7);
  const n = gb.length;
  const us = Float32Array.from({ length: n }, () => simdRand() * 8 - 4);
  const g = mem.alloc(n * 4), u = mem.alloc(n * 4);
  mem.f32(u, n).set(us);
  mem.i32(g, n).set(gb);
  insts[0]!.ex.siluMulF32Scalar(0, n, g, u);
  const want = canonicalBits(mem.i32(g, n).slice());
  for (const k of [k1, k3]) {
    mem.i32(g, n).set(gb);
    new ForwardOps(k).siluMul(g, u, n);
    t.equal(firstDifference(canonicalBits(mem.i32(g, n).slice()), want, gb), 'none', `${k.threads} thread(s), ${n} values`);
  }
});
