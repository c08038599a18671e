// RMS normalisation, as ggml_rms_norm followed by ggml_mul with the weight:
//   mean  = f32(sum_i f64(x_i * x_i) / n)      (squares in f32, summed in f64)
//   scale = 1 / sqrt(mean + eps)                (f32)
//   out_i = (x_i * scale) * w_i                 (two f32 roundings, as ggml)
// One row per token; rows are n f32 apart. A few thousand flops per token:
// scalar code is not the bottleneck here, and the f64 sum fixes the order.

/** out[r] = rmsnorm(x[r]) * w for rows r in [r0, r1). */
export function rmsNormRows(r0: i32, r1: i32, x: usize, w: usize, out: usize, n: i32, eps: f32): void {
  for (let r = r0; r < r1; r++) {
    const xr = x + (<usize>r * <usize>n << 2);
    const or = out + (<usize>r * <usize>n << 2);
    let sum: f64 = 0;
    for (let i = 0; i < n; i++) {
      const v = load<f32>(xr + (<usize>i << 2));
      sum += <f64>(v * v);
    }
    const mean = <f32>(sum / <f64>n);
    const scale: f32 = <f32>1 / Mathf.sqrt(mean + eps);
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(or + o, (load<f32>(xr + o) * scale) * load<f32>(w + o));
    }
  }
}
