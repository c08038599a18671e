// F32 weights: 4 bytes per weight, rows back to back. Paired activation: the
// f32 row itself (as ggml pairs F32 with F32). Float order: common.ts, "float
// dot order" (16 lanes, fixed combine, tail last).

import { combineF32x4x4, touchFrom, touchAhead, keepAlive } from './common';

export function dequantizeRowF32(x: usize, y: usize, n: i32): void {
  memory.copy(y, x, <usize>n << 2);
}

/** Scalar reference: lane k sums elements k, k + 16, ... in order. */
export function vecDotF32F32Scalar(n: i32, x: usize, y: usize): f32 {
  const n16 = n & ~15;
  let main: f32 = 0;
  let v0: f32 = 0, v1: f32 = 0, v2: f32 = 0, v3: f32 = 0;
  for (let k = 0; k < 4; k++) {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let i = k; i < n16; i += 16) {
      s0 += load<f32>(x + (<usize>i << 2)) * load<f32>(y + (<usize>i << 2));
      s1 += load<f32>(x + (<usize>(i + 4) << 2)) * load<f32>(y + (<usize>(i + 4) << 2));
      s2 += load<f32>(x + (<usize>(i + 8) << 2)) * load<f32>(y + (<usize>(i + 8) << 2));
      s3 += load<f32>(x + (<usize>(i + 12) << 2)) * load<f32>(y + (<usize>(i + 12) << 2));
    }
    const v = (s0 + s1) + (s2 + s3);
    if (k == 0) v0 = v; else if (k == 1) v1 = v; else if (k == 2) v2 = v; else v3 = v;
  }
  main = (v0 + v1) + (v2 + v3);
  let t: f32 = 0;
  for (let i = n16; i < n; i++) t += load<f32>(x + (<usize>i << 2)) * load<f32>(y + (<usize>i << 2));
  return main + t;
}

export function vecDotF32F32Simd128(n: i32, x: usize, y: usize): f32 {
  const n16 = n & ~15;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  for (let i = 0; i < n16; i += 16) {
    const px = x + (<usize>i << 2), py = y + (<usize>i << 2);
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(px), v128.load(py)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(px, 16), v128.load(py, 16)));
    acc2 = f32x4.add(acc2, f32x4.mul(v128.load(px, 32), v128.load(py, 32)));
    acc3 = f32x4.add(acc3, f32x4.mul(v128.load(px, 48), v128.load(py, 48)));
  }
  const main = combineF32x4x4(acc0, acc1, acc2, acc3);
  let t: f32 = 0;
  for (let i = n16; i < n; i++) t += load<f32>(x + (<usize>i << 2)) * load<f32>(y + (<usize>i << 2));
  return main + t;
}

export function matVecF32(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>n << 2;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotF32F32Simd128(n, w + <usize>r * rowBytes, y));
  }
  keepAlive(sink, out, n);
}

export function matMatF32(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    for (let t = 0; t < nTok; t++) {
      store<f32>(out + ((<usize>t * <usize>outStride + <usize>r) << 2), vecDotF32F32Simd128(n, row, y + <usize>t * <usize>yStride));
    }
  }
}
