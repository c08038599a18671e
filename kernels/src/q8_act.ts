// Activation quantizers Q8_0 and Q8_1: how llama.cpp turns an f32 activation
// row into 8-bit blocks before a quantized matrix x vector, rounding exactly
// as ggml's quantize_row_q8_0_ref / quantize_row_q8_1_ref:
//   per block of 32: amax = max|x|, d = amax / 127, id = d ? 1/d : 0,
//   q = roundf(x * id) (half away from zero), stored d = f16(d);
//   Q8_1 also stores s = f16(d * sum(q)) (d unrounded there, as ggml does).
//
// nibble's activation layout is its own (activations never leave the
// process), chosen so kernels load everything aligned and in order. For a row
// of n values (n a multiple of 32, nb = n / 32 blocks) at address y:
//   y            qs[n]   int8, block b at y + 32*b
//   y + n        d[nb]   f32: the value of the f16-rounded scale
//   y + n + 4nb  sum[nb] i32: sum of the block's qs (the relaxed kernels'
//                        correction term for offset weights)
//   y + n + 8nb  s[nb]   f32: the value of f16(d * sum) (Q8_1 only; Q8_0
//                        leaves it unwritten)
//   y + n + 12nb pos[n]  u8: max(qs, 0)
//   y + 2n + 12nb neg[n] u8: max(-qs, 0)
// pos and neg (each 0..127, a valid 7-bit relaxed-dot operand; qs = pos -
// neg) let signed 8-bit weights (Q8_0) use the relaxed dot as they are:
// sum(w * a) = sum(w * pos) - sum(w * neg) (q8_0.ts, q8_0x4.ts).
//   y + 3n + 12nb off8[nb]  i32: -8 * sum, where the interleaved Q4_0
//   y + 3n + 16nb off16[nb] i32: -16 * sum, and Q5_0 kernels start their dot
//                           chains (x4_nibbles.ts)
// Total: actQ8RowBytes(n) = 3n + 20 * nb bytes.

import { f16ToF32, f32ToF16, roundAway, roundAwaySmallI32x4 as round, maxMagnitude, ROUND_HALF, ROUND_ONE, ROUND_SIGN, ROUND_MAGIC } from './common';

/** Bytes of one Q8 activation row of n values. */
export function actQ8RowBytes(n: i32): i32 {
  return 3 * n + 20 * (n >> 5);
}

// @ts-ignore: decorator
@inline function roundTripF16(v: f32): f32 {
  return f16ToF32(f32ToF16(v));
}

/** Scalar reference of quantizeRowQ8 (writes s only when withS). */
function quantizeRowQ8Scalar(x: usize, y: usize, n: i32, withS: bool): void {
  const nb = n >> 5;
  const dPtr = y + <usize>n;
  const sumPtr = dPtr + 4 * <usize>nb;
  const sPtr = sumPtr + 4 * <usize>nb;
  const posPtr = sPtr + 4 * <usize>nb;
  const negPtr = posPtr + <usize>n;
  const offPtr = negPtr + <usize>n;
  for (let b = 0; b < nb; b++) {
    const xb = x + (<usize>b << 7);
    let amax: f32 = 0;
    for (let j = 0; j < 32; j++) {
      const a = Mathf.abs(load<f32>(xb + (<usize>j << 2)));
      amax = amax > a ? amax : a;
    }
    const d: f32 = amax / 127;
    const id: f32 = d != 0 ? <f32>1 / d : 0;
    let sum = 0;
    for (let j = 0; j < 32; j++) {
      const q = roundAway(load<f32>(xb + (<usize>j << 2)) * id);
      const o = (<usize>b << 5) + <usize>j;
      store<i8>(y + o, <i8>q);
      store<u8>(posPtr + o, <u8>(q > 0 ? q : 0));
      store<u8>(negPtr + o, <u8>(q < 0 ? -q : 0));
      sum += q;
    }
    store<f32>(dPtr + (<usize>b << 2), roundTripF16(d));
    store<i32>(sumPtr + (<usize>b << 2), sum);
    store<i32>(offPtr + (<usize>b << 2), -8 * sum);
    store<i32>(offPtr + (<usize>(nb + b) << 2), -16 * sum);
    if (withS) store<f32>(sPtr + (<usize>b << 2), roundTripF16(<f32>sum * d));
  }
}

function quantizeRowQ8Simd128(x: usize, y: usize, n: i32, withS: bool): void {
  const nb = n >> 5;
  const dPtr = y + <usize>n;
  const sumPtr = dPtr + 4 * <usize>nb;
  const sPtr = sumPtr + 4 * <usize>nb;
  const posPtr = sPtr + 4 * <usize>nb;
  const negPtr = posPtr + <usize>n;
  const offPtr = negPtr + <usize>n;
  const zero = i8x16.splat(0);
  const half = ROUND_HALF, one = ROUND_ONE, sign = ROUND_SIGN, magic = ROUND_MAGIC;
  for (let b = 0; b < nb; b++) {
    const xb = x + (<usize>b << 7);
    const v0 = v128.load(xb), v1 = v128.load(xb, 16), v2 = v128.load(xb, 32), v3 = v128.load(xb, 48);
    const v4 = v128.load(xb, 64), v5 = v128.load(xb, 80), v6 = v128.load(xb, 96), v7 = v128.load(xb, 112);
    // Magnitudes compare as their bits (maxMagnitude, common.ts).
    const amax = maxMagnitude(i32x4.max_s(
      i32x4.max_s(i32x4.max_s(f32x4.abs(v0), f32x4.abs(v1)), i32x4.max_s(f32x4.abs(v2), f32x4.abs(v3))),
      i32x4.max_s(i32x4.max_s(f32x4.abs(v4), f32x4.abs(v5)), i32x4.max_s(f32x4.abs(v6), f32x4.abs(v7))),
    ));
    const d: f32 = amax / 127;
    const id: f32 = d != 0 ? <f32>1 / d : 0;
    const idv = f32x4.splat(id);
    // |x * id| <= 127.5 or NaN (amax NaN or infinite), in roundAwaySmallI32x4's range.
    const q0 = round(f32x4.mul(v0, idv), half, one, sign, magic), q1 = round(f32x4.mul(v1, idv), half, one, sign, magic);
    const q2 = round(f32x4.mul(v2, idv), half, one, sign, magic), q3 = round(f32x4.mul(v3, idv), half, one, sign, magic);
    const q4 = round(f32x4.mul(v4, idv), half, one, sign, magic), q5 = round(f32x4.mul(v5, idv), half, one, sign, magic);
    const q6 = round(f32x4.mul(v6, idv), half, one, sign, magic), q7 = round(f32x4.mul(v7, idv), half, one, sign, magic);
    const s01 = i16x8.narrow_i32x4_s(q0, q1), s23 = i16x8.narrow_i32x4_s(q2, q3);
    const s45 = i16x8.narrow_i32x4_s(q4, q5), s67 = i16x8.narrow_i32x4_s(q6, q7);
    const o = <usize>b << 5;
    const lo = i8x16.narrow_i16x8_s(s01, s23), hi = i8x16.narrow_i16x8_s(s45, s67);
    v128.store(y + o, lo);
    v128.store(y + o, hi, 16);
    // |q| <= 127: the quantizer never makes -128, so neg cannot overflow.
    v128.store(posPtr + o, i8x16.max_s(lo, zero));
    v128.store(posPtr + o, i8x16.max_s(hi, zero), 16);
    v128.store(negPtr + o, i8x16.max_s(i8x16.neg(lo), zero));
    v128.store(negPtr + o, i8x16.max_s(i8x16.neg(hi), zero), 16);
    const sums = i32x4.add(i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3)), i32x4.add(i32x4.add(q4, q5), i32x4.add(q6, q7)));
    const sum = i32x4.extract_lane(sums, 0) + i32x4.extract_lane(sums, 1) + i32x4.extract_lane(sums, 2) + i32x4.extract_lane(sums, 3);
    store<f32>(dPtr + (<usize>b << 2), roundTripF16(d));
    store<i32>(sumPtr + (<usize>b << 2), sum);
    store<i32>(offPtr + (<usize>b << 2), -8 * sum);
    store<i32>(offPtr + (<usize>(nb + b) << 2), -16 * sum);
    if (withS) store<f32>(sPtr + (<usize>b << 2), roundTripF16(<f32>sum * d));
  }
}

/** Quantizes n f32 at x (n % 32 == 0) to a Q8_0 activation row at y: scalar reference. */
export function quantizeRowQ8_0Scalar(x: usize, y: usize, n: i32): void {
  quantizeRowQ8Scalar(x, y, n, false);
}

/** Quantizes n f32 at x to a Q8_0 activation row at y: SIMD128, bit-identical to the scalar reference. */
export function quantizeRowQ8_0Simd128(x: usize, y: usize, n: i32): void {
  quantizeRowQ8Simd128(x, y, n, false);
}

/** As quantizeRowQ8_0Scalar, plus the s field (Q8_1). */
export function quantizeRowQ8_1Scalar(x: usize, y: usize, n: i32): void {
  quantizeRowQ8Scalar(x, y, n, true);
}

/** As quantizeRowQ8_0Simd128, plus the s field (Q8_1). */
export function quantizeRowQ8_1Simd128(x: usize, y: usize, n: i32): void {
  quantizeRowQ8Simd128(x, y, n, true);
}

/** Quantizes f32 rows [r0, r1) (`xStride` bytes apart) to Q8_0 activation rows `yStride` bytes apart; threads split the rows. */
export function quantizeRowsQ8_0(r0: i32, r1: i32, x: usize, xStride: i32, y: usize, yStride: i32, n: i32): void {
  for (let r = r0; r < r1; r++) {
    quantizeRowQ8Simd128(x + <usize>r * <usize>xStride, y + <usize>r * <usize>yStride, n, false);
  }
}

/** As quantizeRowsQ8_0, with the s field (Q8_1). */
export function quantizeRowsQ8_1(r0: i32, r1: i32, x: usize, xStride: i32, y: usize, yStride: i32, n: i32): void {
  for (let r = r0; r < r1; r++) {
    quantizeRowQ8Simd128(x + <usize>r * <usize>xStride, y + <usize>r * <usize>yStride, n, true);
  }
}
