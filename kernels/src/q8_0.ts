// Q8_0 weights (ggml block_q8_0, 34 bytes per 32 weights):
//   d   f16      at +0   scale
//   qs  int8[32] at +2   weight j = qs[j] * d
// Rows are ggml's layout as read from the GGUF: n / 32 blocks back to back.
// Paired activation: Q8 (q8_act.ts). Signed 8-bit weights do not fit the
// relaxed dot's 7-bit operand, so both builds use the widening SIMD128 path.
//
// Per block b: isum = sum_j w[j] * a[j] (exact i32), then
// lane[b % 4] += (f32(isum) * dw) * da, result (l0 + l1) + (l2 + l3)
// (common.ts explains the order).

import {
  f16ToF32, gatherU16x4, hsumI32x4x4, hsumI32x4, f16x4ToF32x4Hoisted,
  F16_SIGN, F16_EM, F16_TINY, F16_MAX_FINITE, F16_REBIAS, F16_MIN_NORMAL,
  touchAhead, keepAlive,
} from './common';

const QB: usize = 34;

/** Dequantizes n weights (n % 32 == 0) of one Q8_0 row at x to f32 at y. */
export function dequantizeRowQ8_0(x: usize, y: usize, n: i32): void {
  const nb = n >> 5;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const d = f16ToF32(load<u16>(p));
    const o = y + (<usize>b << 7);
    for (let j = 0; j < 32; j++) store<f32>(o + (<usize>j << 2), <f32>load<i8>(p + 2 + <usize>j) * d);
  }
}

/** Scalar reference: dot of one Q8_0 row (n weights at x) with one Q8 activation row at y. */
export function vecDotQ8_0Q8_0Scalar(n: i32, x: usize, y: usize): f32 {
  const nb = n >> 5;
  const dy = y + <usize>n;
  let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 5);
    let isum = 0;
    for (let j = 0; j < 32; j++) isum += <i32>load<i8>(p + 2 + <usize>j) * <i32>load<i8>(a + <usize>j);
    const v = (<f32>isum * f16ToF32(load<u16>(p))) * load<f32>(dy + (<usize>b << 2));
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else if (lane == 2) l2 += v; else l3 += v;
  }
  return (l0 + l1) + (l2 + l3);
}

/**
 * The integer dot of one block as i32x4 partial sums. Activations are in
 * -127..127 (the quantizer never makes -128), so a low+high pair of products
 * (|w*a| <= 128*127) fits i16 and one pairwise widening add finishes it.
 */
// @ts-ignore: decorator
@inline function blockDotQ8_0(p: usize, a: usize): v128 {
  const w0 = v128.load(p, 2), w1 = v128.load(p, 18);
  const a0 = v128.load(a), a1 = v128.load(a, 16);
  const s0 = i16x8.add(i16x8.extmul_low_i8x16_s(w0, a0), i16x8.extmul_high_i8x16_s(w0, a0));
  const s1 = i16x8.add(i16x8.extmul_low_i8x16_s(w1, a1), i16x8.extmul_high_i8x16_s(w1, a1));
  return i32x4.add(i32x4.extadd_pairwise_i16x8_s(s0), i32x4.extadd_pairwise_i16x8_s(s1));
}

/**
 * Relaxed block dot with the activation's sign moved onto the weights:
 * w * a = (sign(a) w) * |a|, |a| <= 127 being a valid 7-bit operand. Exact
 * when no weight is -128 (sign(a) w must stay in -127..127): every ggml
 * quantizer rounds to -127..127, and the Kernels class checks each matrix
 * (q8_0HasMinus128) before choosing this path. Each relaxed dot lane holds
 * two products (|sum| <= 2 * 127 * 127), so each widens on its own.
 */
// @ts-ignore: decorator
@inline function blockDotQ8_0Relaxed(p: usize, abs: usize, neg: usize): v128 {
  const m0 = v128.load(neg), m1 = v128.load(neg, 16);
  const w0 = i8x16.sub(v128.xor(v128.load(p, 2), m0), m0);
  const w1 = i8x16.sub(v128.xor(v128.load(p, 18), m1), m1);
  return i32x4.add(
    i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w0, v128.load(abs))),
    i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w1, v128.load(abs, 16))),
  );
}

// @ts-ignore: decorator
@inline function vecDotQ8_0Q8_0Impl(n: i32, x: usize, y: usize, relaxed: bool): f32 {
  const nb = n >> 5;
  const dy = y + <usize>n;
  const abs = dy + 12 * <usize>nb, neg = abs + <usize>n;
  // Constants hoisted out of the loop (common.ts, "hoisted constants").
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  let acc = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const o = <usize>b << 5;
    let isum: v128;
    if (ASC_FEATURE_RELAXED_SIMD && relaxed) {
      isum = hsumI32x4x4(
        blockDotQ8_0Relaxed(p, abs + o, neg + o), blockDotQ8_0Relaxed(p + QB, abs + o + 32, neg + o + 32),
        blockDotQ8_0Relaxed(p + 2 * QB, abs + o + 64, neg + o + 64), blockDotQ8_0Relaxed(p + 3 * QB, abs + o + 96, neg + o + 96),
      );
    } else {
      const a = y + o;
      isum = hsumI32x4x4(
        blockDotQ8_0(p, a), blockDotQ8_0(p + QB, a + 32),
        blockDotQ8_0(p + 2 * QB, a + 64), blockDotQ8_0(p + 3 * QB, a + 96),
      );
    }
    const dw = f16x4ToF32x4Hoisted(gatherU16x4(p, QB), hs, hem, hti, hmax, hrb, hmn);
    acc = f32x4.add(acc, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(isum), dw), v128.load(dy + (<usize>b << 2))));
  }
  let l0 = f32x4.extract_lane(acc, 0), l1 = f32x4.extract_lane(acc, 1);
  let l2 = f32x4.extract_lane(acc, 2);
  for (; b < nb; b++) {
    // Tail blocks: lanes 0..2 only, since a fourth block would have made a full group.
    const p = x + <usize>b * QB;
    const isum = hsumI32x4(blockDotQ8_0(p, y + (<usize>b << 5)));
    const v = (<f32>isum * f16ToF32(load<u16>(p))) * load<f32>(dy + (<usize>b << 2));
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else l2 += v;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

/** SIMD128 kernel: bit-identical to vecDotQ8_0Q8_0Scalar (same block lanes, same order). */
export function vecDotQ8_0Q8_0Simd128(n: i32, x: usize, y: usize): f32 {
  return vecDotQ8_0Q8_0Impl(n, x, y, false);
}

/** Relaxed-dot kernel for rows with no -128 weight (blockDotQ8_0Relaxed); bit-identical to the scalar reference on them. SIMD128 build: the same as Simd128. */
export function vecDotQ8_0Q8_0Relaxed(n: i32, x: usize, y: usize): f32 {
  return vecDotQ8_0Q8_0Impl(n, x, y, true);
}

/** 1 if any of the nb Q8_0 blocks at w holds a -128 weight (such a matrix cannot take the relaxed kernels), else 0. */
export function q8_0HasMinus128(w: usize, nb: i32): i32 {
  const min = i8x16.splat(-128);
  let found = i8x16.splat(0);
  for (let b = 0; b < nb; b++) {
    const p = w + <usize>b * QB;
    found = v128.or(found, v128.or(i8x16.eq(v128.load(p, 2), min), i8x16.eq(v128.load(p, 18), min)));
  }
  return v128.any_true(found) ? 1 : 0;
}

/**
 * Matrix x vector: out[r] = dot(row r, y) for r in [r0, r1); rows of n
 * weights start at w and follow each other (n / 32 * 34 bytes each).
 */
export function matVecQ8_0(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  matVecQ8_0Impl(r0, r1, w, n, y, out, false);
}

/** matVecQ8_0 with the relaxed kernel: only for matrices without -128 weights. */
export function matVecQ8_0Relaxed(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  matVecQ8_0Impl(r0, r1, w, n, y, out, true);
}

// @ts-ignore: decorator
@inline function matVecQ8_0Impl(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize, relaxed: bool): void {
  const rowBytes = <usize>(n >> 5) * QB;
  let sink = i32x4.splat(0);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w, r, r1, rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotQ8_0Q8_0Impl(n, w + <usize>r * rowBytes, y, relaxed));
  }
  keepAlive(sink, out, n);
}


/**
 * Matrix x matrix (prefill): for tokens t in [0, nTok) and rows r in [r0, r1),
 * out[t * outStride + r] = dot(row r, activation row t at y + t * yStride).
 * A row is read from memory once and reused from cache for every token.
 */
export function matMatQ8_0(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  matMatQ8_0Impl(r0, r1, w, n, y, yStride, nTok, out, outStride, false);
}

/** matMatQ8_0 with the relaxed kernel: only for matrices without -128 weights. */
export function matMatQ8_0Relaxed(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  matMatQ8_0Impl(r0, r1, w, n, y, yStride, nTok, out, outStride, true);
}

// @ts-ignore: decorator
@inline function matMatQ8_0Impl(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32, relaxed: bool): void {
  const rowBytes = <usize>(n >> 5) * QB;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    for (let t = 0; t < nTok; t++) {
      const o = out + ((<usize>t * <usize>outStride + <usize>r) << 2);
      store<f32>(o, vecDotQ8_0Q8_0Impl(n, row, y + <usize>t * <usize>yStride, relaxed));
    }
  }
}
