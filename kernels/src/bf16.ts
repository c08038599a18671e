// BF16 weights: 2 bytes per weight (bfloat16 (the top half of an f32)), rows back to back. Paired
// activation: the f32 row converted to BF16, round to nearest even (as ggml
// converts activations for BF16 weights). Products of two BF16 values are exact
// in f32, so only the sum order matters: common.ts, "float dot order".

import { bf16ToF32, f32ToBf16, combineF32x4x4, BF16Lo, BF16Hi, touchFrom, touchAhead, keepAlive } from './common';

export function dequantizeRowBF16(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), bf16ToF32(load<u16>(x + (<usize>i << 1))));
}

/** Bytes of one BF16 activation row of n values. */
export function actBF16RowBytes(n: i32): i32 {
  return n << 1;
}

/** Converts n f32 at x to BF16 at y (round to nearest even). */
export function convertRowF32ToBF16(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u16>(y + (<usize>i << 1), <u16>f32ToBf16(load<f32>(x + (<usize>i << 2))));
}

/** Converts f32 rows [r0, r1) (xStride bytes apart) to BF16 rows yStride bytes apart. */
export function quantizeRowsBF16(r0: i32, r1: i32, x: usize, xStride: i32, y: usize, yStride: i32, n: i32): void {
  for (let r = r0; r < r1; r++) convertRowF32ToBF16(x + <usize>r * <usize>xStride, y + <usize>r * <usize>yStride, n);
}

// @ts-ignore: decorator
@inline function prod(x: usize, y: usize, i: i32): f32 {
  return bf16ToF32(load<u16>(x + (<usize>i << 1))) * bf16ToF32(load<u16>(y + (<usize>i << 1)));
}

/** Scalar reference: lane k sums elements k, k + 16, ... in order. */
export function vecDotBF16BF16Scalar(n: i32, x: usize, y: usize): f32 {
  const n16 = n & ~15;
  let v0: f32 = 0, v1: f32 = 0, v2: f32 = 0, v3: f32 = 0;
  for (let k = 0; k < 4; k++) {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let i = k; i < n16; i += 16) {
      s0 += prod(x, y, i);
      s1 += prod(x, y, i + 4);
      s2 += prod(x, y, i + 8);
      s3 += prod(x, y, i + 12);
    }
    const v = (s0 + s1) + (s2 + s3);
    if (k == 0) v0 = v; else if (k == 1) v1 = v; else if (k == 2) v2 = v; else v3 = v;
  }
  const main = (v0 + v1) + (v2 + v3);
  let t: f32 = 0;
  for (let i = n16; i < n; i++) t += prod(x, y, i);
  return main + t;
}

export function vecDotBF16BF16Simd128(n: i32, x: usize, y: usize): f32 {
  const n16 = n & ~15;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  for (let i = 0; i < n16; i += 16) {
    const px = x + (<usize>i << 1), py = y + (<usize>i << 1);
    const x0 = v128.load(px), x1 = v128.load(px, 16);
    const y0 = v128.load(py), y1 = v128.load(py, 16);
    acc0 = f32x4.add(acc0, f32x4.mul(BF16Lo(x0), BF16Lo(y0)));
    acc1 = f32x4.add(acc1, f32x4.mul(BF16Hi(x0), BF16Hi(y0)));
    acc2 = f32x4.add(acc2, f32x4.mul(BF16Lo(x1), BF16Lo(y1)));
    acc3 = f32x4.add(acc3, f32x4.mul(BF16Hi(x1), BF16Hi(y1)));
  }
  const main = combineF32x4x4(acc0, acc1, acc2, acc3);
  let t: f32 = 0;
  for (let i = n16; i < n; i++) t += prod(x, y, i);
  return main + t;
}

export function matVecBF16(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>n << 1;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotBF16BF16Simd128(n, w + <usize>r * rowBytes, y));
  }
  keepAlive(sink, out, n);
}

export function matMatBF16(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>n << 1;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    for (let t = 0; t < nTok; t++) {
      store<f32>(out + ((<usize>t * <usize>outStride + <usize>r) << 2), vecDotBF16BF16Simd128(n, row, y + <usize>t * <usize>yStride));
    }
  }
}
