// F16 weights: 2 bytes per weight (IEEE half), rows back to back. Paired
// activation: the f32 row rounded to F16 (round to nearest even), as ggml
// converts activations for F16 weights; the row keeps those values as f32
// (4 bytes each, exact), so each weight row's dot converts only the weights.
// Products of two f16 values are exact in f32, so only the sum order
// matters: common.ts, "float dot order".

import {
  f16ToF32, f32ToF16, roundF16, roundF16x4, combineF32x4x4, f16x4ToF32x4Hoisted,
  F16_SIGN, F16_EM, F16_TINY, F16_MAX_FINITE, F16_REBIAS, F16_MIN_NORMAL,
  touchFrom, touchAhead, keepAlive,
} from './common';

export function dequantizeRowF16(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), f16ToF32(load<u16>(x + (<usize>i << 1))));
}

/** Bytes of one F16 activation row of n values (f16-rounded values kept as f32). */
export function actF16RowBytes(n: i32): i32 {
  return n << 2;
}

/** Converts n f32 at x to F16 at y (round to nearest even). */
export function convertRowF32ToF16(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u16>(y + (<usize>i << 1), <u16>f32ToF16(load<f32>(x + (<usize>i << 2))));
}

/** Rounds f32 rows [r0, r1) (xStride bytes apart) to f16 values, kept as f32 in rows yStride bytes apart. */
export function quantizeRowsF16(r0: i32, r1: i32, x: usize, xStride: i32, y: usize, yStride: i32, n: i32): void {
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * <usize>xStride, yr = y + <usize>r * <usize>yStride;
    let i = 0;
    for (; i + 4 <= n; i += 4) v128.store(yr + (<usize>i << 2), roundF16x4(v128.load(xr + (<usize>i << 2))));
    for (; i < n; i++) store<f32>(yr + (<usize>i << 2), roundF16(load<f32>(xr + (<usize>i << 2))));
  }
}

/** Scalar reference of quantizeRowsF16. */
export function quantizeRowsF16Scalar(r0: i32, r1: i32, x: usize, xStride: i32, y: usize, yStride: i32, n: i32): void {
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * <usize>xStride, yr = y + <usize>r * <usize>yStride;
    for (let i = 0; i < n; i++) store<f32>(yr + (<usize>i << 2), roundF16(load<f32>(xr + (<usize>i << 2))));
  }
}

// @ts-ignore: decorator
@inline function cvt(h: v128, sign: v128, em: v128, scale: v128, inf: v128, exp: v128, mant: v128): v128 {
  return f16x4ToF32x4Hoisted(h, sign, em, scale, inf, exp, mant);
}

// @ts-ignore: decorator
@inline function prod(x: usize, y: usize, i: i32): f32 {
  return f16ToF32(load<u16>(x + (<usize>i << 1))) * load<f32>(y + (<usize>i << 2));
}

/** Scalar reference: lane k sums elements k, k + 16, ... in order. */
export function vecDotF16F16Scalar(n: i32, x: usize, y: usize): f32 {
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

export function vecDotF16F16Simd128(n: i32, x: usize, y: usize): f32 {
  const n16 = n & ~15;
  // Constants hoisted out of the loop (common.ts, "hoisted constants").
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  for (let i = 0; i < n16; i += 16) {
    const px = x + (<usize>i << 1), py = y + (<usize>i << 2);
    const x0 = v128.load(px), x1 = v128.load(px, 16);
    acc0 = f32x4.add(acc0, f32x4.mul(cvt(i32x4.extend_low_i16x8_u(x0), hs, hem, hti, hmax, hrb, hmn), v128.load(py)));
    acc1 = f32x4.add(acc1, f32x4.mul(cvt(i32x4.extend_high_i16x8_u(x0), hs, hem, hti, hmax, hrb, hmn), v128.load(py, 16)));
    acc2 = f32x4.add(acc2, f32x4.mul(cvt(i32x4.extend_low_i16x8_u(x1), hs, hem, hti, hmax, hrb, hmn), v128.load(py, 32)));
    acc3 = f32x4.add(acc3, f32x4.mul(cvt(i32x4.extend_high_i16x8_u(x1), hs, hem, hti, hmax, hrb, hmn), v128.load(py, 48)));
  }
  const main = combineF32x4x4(acc0, acc1, acc2, acc3);
  let t: f32 = 0;
  for (let i = n16; i < n; i++) t += prod(x, y, i);
  return main + t;
}

export function matVecF16(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>n << 1;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotF16F16Simd128(n, w + <usize>r * rowBytes, y));
  }
  keepAlive(sink, out, n);
}

export function matMatF16(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>n << 1;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    for (let t = 0; t < nTok; t++) {
      store<f32>(out + ((<usize>t * <usize>outStride + <usize>r) << 2), vecDotF16F16Simd128(n, row, y + <usize>t * <usize>yStride));
    }
  }
}
