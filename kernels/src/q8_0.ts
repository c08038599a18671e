// Q8_0 weights (ggml block_q8_0, 34 bytes per 32 weights):
//   d   f16      at +0   scale
//   qs  int8[32] at +2   weight j = qs[j] * d
// Rows are ggml's layout as read from the GGUF: n / 32 blocks back to back.
// Paired activation: Q8 (q8_act.ts). Signed 8-bit weights do not fit the
// relaxed dot's 7-bit operand, so the family's kernels widen (SIMD128); the
// *Relaxed ones dot the weights with the activation's positive and negative
// parts instead (blockDot), exact for every weight.
//
// Per block b: isum = sum_j w[j] * a[j] (exact i32), then
// lane[b % 4] += (f32(isum) * dw) * da, result (l0 + l1) + (l2 + l3)
// (common.ts explains the order).

import {
  f16ToF32, gatherU16x4, hsumI32x4x4, hsumI32x4, f16x4ToF32x4Hoisted,
  F16_SIGN, F16_EM, F16_TINY, F16_MAX_FINITE, F16_REBIAS, F16_MIN_NORMAL,
  touchFrom, touchAhead, keepAlive,
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
 * The integer dot of one block's weights (w0: 0..15, w1: 16..31) with its
 * activations, as i32x4 partial sums. Activation row layout: q8_act.ts; o is
 * the block's offset (32 * b) into its qs, pos and neg arrays.
 *
 * Widening path: activations are in -127..127 (the quantizer never makes
 * -128), so a low+high pair of products (|w*a| <= 128*127) fits i16 and one
 * pairwise widening add finishes it.
 *
 * Relaxed path: a = pos - neg with both parts in 0..127, valid 7-bit
 * operands, so sum(w * a) = sum(w * pos) - sum(w * neg) for any weight,
 * -128 included; each i32 lane adds four products of at most 128 * 127.
 */
// @ts-ignore: decorator
@inline function blockDot(w0: v128, w1: v128, qs: usize, pos: usize, neg: usize, relaxed: bool): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && relaxed) {
    const zero = i32x4.splat(0);
    const p = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, v128.load(pos, 16), i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, v128.load(pos), zero));
    const m = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, v128.load(neg, 16), i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, v128.load(neg), zero));
    return i32x4.sub(p, m);
  }
  const a0 = v128.load(qs), a1 = v128.load(qs, 16);
  const s0 = i16x8.add(i16x8.extmul_low_i8x16_s(w0, a0), i16x8.extmul_high_i8x16_s(w0, a0));
  const s1 = i16x8.add(i16x8.extmul_low_i8x16_s(w1, a1), i16x8.extmul_high_i8x16_s(w1, a1));
  return i32x4.add(i32x4.extadd_pairwise_i16x8_s(s0), i32x4.extadd_pairwise_i16x8_s(s1));
}

/** One token's value of a group of four blocks (weights loaded by the caller), as the vec-dot adds it to its lanes. */
// @ts-ignore: decorator
@inline function groupDot(
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128,
  y: usize, b: i32, n: i32, nb: i32, dw: v128, relaxed: bool,
): v128 {
  const o = <usize>b << 5;
  const dy = y + <usize>n;
  const qs = y + o, pos = dy + 12 * <usize>nb + o, neg = pos + <usize>n;
  const isum = hsumI32x4x4(
    blockDot(w0, w1, qs, pos, neg, relaxed), blockDot(w2, w3, qs + 32, pos + 32, neg + 32, relaxed),
    blockDot(w4, w5, qs + 64, pos + 64, neg + 64, relaxed), blockDot(w6, w7, qs + 96, pos + 96, neg + 96, relaxed),
  );
  return f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(isum), dw), v128.load(dy + (<usize>b << 2)));
}

// @ts-ignore: decorator
@inline function vecDotQ8_0Q8_0Impl(n: i32, x: usize, y: usize, relaxed: bool): f32 {
  const nb = n >> 5;
  // Constants hoisted out of the loop (common.ts, "hoisted constants").
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  let acc = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const dw = f16x4ToF32x4Hoisted(gatherU16x4(p, QB), hs, hem, hti, hmax, hrb, hmn);
    acc = f32x4.add(acc, groupDot(
      v128.load(p, 2), v128.load(p, 18), v128.load(p + QB, 2), v128.load(p + QB, 18),
      v128.load(p + 2 * QB, 2), v128.load(p + 2 * QB, 18), v128.load(p + 3 * QB, 2), v128.load(p + 3 * QB, 18),
      y, b, n, nb, dw, relaxed,
    ));
  }
  return finishQ8_0(acc, b, nb, x, y);
}

/** Adds the tail blocks (lanes 0..2 only, since a fourth block would have made a full group) and reduces the lanes in the fixed order. */
// @ts-ignore: decorator
@inline function finishQ8_0(acc: v128, b: i32, nb: i32, x: usize, y: usize): f32 {
  const dy = y + (<usize>nb << 5);
  let l0 = f32x4.extract_lane(acc, 0), l1 = f32x4.extract_lane(acc, 1);
  let l2 = f32x4.extract_lane(acc, 2);
  for (; b < nb; b++) {
    const p = x + <usize>b * QB;
    const isum = hsumI32x4(blockDot(v128.load(p, 2), v128.load(p, 18), y + (<usize>b << 5), 0, 0, false));
    const v = (<f32>isum * f16ToF32(load<u16>(p))) * load<f32>(dy + (<usize>b << 2));
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else l2 += v;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

/**
 * Four tokens against one row in a single pass over its blocks (prefill):
 * each group's weights are loaded and its scales converted once for all
 * four; each token's sums are exactly those of vecDotQ8_0Q8_0Impl.
 */
// @ts-ignore: decorator
@inline function vecDot4Q8_0(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize, relaxed: bool): void {
  const nb = n >> 5;
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  const y1 = y + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const dw = f16x4ToF32x4Hoisted(gatherU16x4(p, QB), hs, hem, hti, hmax, hrb, hmn);
    const w0 = v128.load(p, 2), w1 = v128.load(p, 18), w2 = v128.load(p + QB, 2), w3 = v128.load(p + QB, 18);
    const w4 = v128.load(p + 2 * QB, 2), w5 = v128.load(p + 2 * QB, 18), w6 = v128.load(p + 3 * QB, 2), w7 = v128.load(p + 3 * QB, 18);
    acc0 = f32x4.add(acc0, groupDot(w0, w1, w2, w3, w4, w5, w6, w7, y, b, n, nb, dw, relaxed));
    acc1 = f32x4.add(acc1, groupDot(w0, w1, w2, w3, w4, w5, w6, w7, y1, b, n, nb, dw, relaxed));
    acc2 = f32x4.add(acc2, groupDot(w0, w1, w2, w3, w4, w5, w6, w7, y2, b, n, nb, dw, relaxed));
    acc3 = f32x4.add(acc3, groupDot(w0, w1, w2, w3, w4, w5, w6, w7, y3, b, n, nb, dw, relaxed));
  }
  store<f32>(o, finishQ8_0(acc0, b, nb, x, y));
  store<f32>(o + oStride, finishQ8_0(acc1, b, nb, x, y1));
  store<f32>(o + 2 * oStride, finishQ8_0(acc2, b, nb, x, y2));
  store<f32>(o + 3 * oStride, finishQ8_0(acc3, b, nb, x, y3));
}

/** SIMD128 kernel: bit-identical to vecDotQ8_0Q8_0Scalar (same block lanes, same order). */
export function vecDotQ8_0Q8_0Simd128(n: i32, x: usize, y: usize): f32 {
  return vecDotQ8_0Q8_0Impl(n, x, y, false);
}

/** Relaxed-dot kernel (blockDot); bit-identical to the scalar reference. SIMD128 build: the same as Simd128. */
export function vecDotQ8_0Q8_0Relaxed(n: i32, x: usize, y: usize): f32 {
  return vecDotQ8_0Q8_0Impl(n, x, y, true);
}

/**
 * Matrix x vector: out[r] = dot(row r, y) for r in [r0, r1); rows of n
 * weights start at w and follow each other (n / 32 * 34 bytes each).
 */
export function matVecQ8_0(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  matVecQ8_0Impl(r0, r1, w, n, y, out, false);
}

/** matVecQ8_0 with the relaxed kernel (the relaxed build on x64, types.ts). */
export function matVecQ8_0Relaxed(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  matVecQ8_0Impl(r0, r1, w, n, y, out, true);
}

// @ts-ignore: decorator
@inline function matVecQ8_0Impl(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize, relaxed: bool): void {
  const rowBytes = <usize>(n >> 5) * QB;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotQ8_0Q8_0Impl(n, w + <usize>r * rowBytes, y, relaxed));
  }
  keepAlive(sink, out, n);
}


/**
 * Matrix x matrix (prefill): for tokens t in [0, nTok) and rows r in [r0, r1),
 * out[t * outStride + r] = dot(row r, activation row t at y + t * yStride).
 * Tokens go four at a time through each row (vecDot4Q8_0).
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
  const oStride = <usize>outStride << 2;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    let t = 0;
    for (; t + 4 <= nTok; t += 4) {
      vecDot4Q8_0(n, row, y + <usize>t * <usize>yStride, <usize>yStride, out + <usize>t * oStride + (<usize>r << 2), oStride, relaxed);
    }
    for (; t < nTok; t++) {
      store<f32>(out + <usize>t * oStride + (<usize>r << 2), vecDotQ8_0Q8_0Impl(n, row, y + <usize>t * <usize>yStride, relaxed));
    }
  }
}
