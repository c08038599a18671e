// Element-wise f32 operations of the forward pass. Each is a handful of
// flops per value, memory-bound and far from the matmuls' cost, so they are
// plain loops; the SIMD work goes where the time is.

import { expF32 } from './math';

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

/** gate[i] = silu(gate[i]) * up[i], silu(v) = v / (1 + e^-v) as ggml_silu_f32. */
export function siluMulF32(gate: usize, up: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(gate + o);
    store<f32>(gate + o, (g / (<f32>1 + expF32(-g))) * load<f32>(up + o));
  }
}
