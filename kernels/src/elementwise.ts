// Element-wise f32 operations of the forward pass. Most are a flop or two
// per value, memory-bound and far from the matmuls' cost, so they are plain
// loops; silu is the exception (an exp and a divide per value) and has a
// SIMD kernel beside its scalar reference.

import { expF32, expF32x4 } from './math';

/** x[i] += y[i] for i in [0, n). */
export function addF32(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) + load<f32>(y + o));
  }
}

/** x[r][i] += b[i] for `rows` rows of n: a bias added to every token. */
export function addBiasRows(x: usize, b: usize, n: i32, rows: i32): void {
  for (let r = 0; r < rows; r++) addF32(x + (<usize>r * <usize>n << 2), b, n);
}

// silu(g) * u = g / (1 + e^-g) * u, as ggml_silu_f32 then ggml_mul, in f32.
// The row range counts single values, so threads split one token's row
// too. Each value depends on its own inputs only and the SIMD lanes repeat
// the scalar operations (expF32x4 is expF32 bit for bit; f32x4 add, div
// and mul round as the scalar ones), so every split gives the same bits.

/** gate[i] = silu(gate[i]) * up[i] for i in [r0, r1): the scalar reference. */
export function siluMulF32Scalar(r0: i32, r1: i32, gate: usize, up: usize): void {
  for (let i = r0; i < r1; i++) siluMulF32At(gate, up, <usize>i << 2);
}

/** A mutable global, not a v128.const, so V8 loads it instead of rebuilding it each pass (common.ts, "hoisted constants"). */
let ONE_F32X4: v128 = f32x4.splat(1);

/** siluMulF32Scalar four values at a time, the same bits. */
export function siluMulF32Simd128(r0: i32, r1: i32, gate: usize, up: usize): void {
  let i = r0;
  for (; i + 4 <= r1; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(gate + o);
    const e = expF32x4(f32x4.neg(g));
    v128.store(gate + o, f32x4.mul(f32x4.div(g, f32x4.add(ONE_F32X4, e)), v128.load(up + o)));
  }
  for (; i < r1; i++) siluMulF32At(gate, up, <usize>i << 2);
}

// @ts-ignore: decorator
@inline function siluMulF32At(gate: usize, up: usize, o: usize): void {
  const g = load<f32>(gate + o);
  store<f32>(gate + o, (g / (<f32>1 + expF32(-g))) * load<f32>(up + o));
}
