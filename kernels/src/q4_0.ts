// Q4_0 weights (ggml block_q4_0, 18 bytes per 32 weights):
//   d   f16       at +0   scale
//   qs  u8[16]    at +2   low nibble of qs[j] = weight j, high nibble = weight j + 16
//   weight = (nibble - 8) * d
// Rows are ggml's layout as read from the GGUF. Paired activation: Q8
// (q8_act.ts). Block results and float order as in common.ts.
//
// Relaxed build: i16x8.relaxed_dot_i8x16_i7x16_s takes the unsigned nibbles
// (0..15, inside the 7-bit range where the instruction is exact everywhere)
// as its second operand; sum((q - 8) * a) = sum(q * a) - 8 * sum(a), with
// sum(a) precomputed by the activation quantizer. (The i32x4 ..._add_s form
// is avoided: Node 20's Liftoff drops its accumulator.)

import {
  f16ToF32, gatherU16x4, hsumI32x4, f16x4ToF32x4Hoisted,
  F16_SIGN, F16_EM, F16_TINY, F16_MAX_FINITE, F16_REBIAS, F16_MIN_NORMAL,
  touchFrom, touchAhead, keepAlive,
} from './common';

const QB: usize = 18;

/** Dequantizes n weights (n % 32 == 0) of one Q4_0 row at x to f32 at y. */
export function dequantizeRowQ4_0(x: usize, y: usize, n: i32): void {
  const nb = n >> 5;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const d = f16ToF32(load<u16>(p));
    const o = y + (<usize>b << 7);
    for (let j = 0; j < 16; j++) {
      const q = <i32>load<u8>(p + 2 + <usize>j);
      store<f32>(o + (<usize>j << 2), <f32>((q & 15) - 8) * d);
      store<f32>(o + (<usize>(j + 16) << 2), <f32>((q >> 4) - 8) * d);
    }
  }
}

/** Scalar reference: dot of one Q4_0 row (n weights at x) with one Q8 activation row at y. */
export function vecDotQ4_0Q8_0Scalar(n: i32, x: usize, y: usize): f32 {
  const nb = n >> 5;
  const dy = y + <usize>n;
  let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 5);
    let isum = 0;
    for (let j = 0; j < 16; j++) {
      const q = <i32>load<u8>(p + 2 + <usize>j);
      isum += ((q & 15) - 8) * <i32>load<i8>(a + <usize>j);
      isum += ((q >> 4) - 8) * <i32>load<i8>(a + 16 + <usize>j);
    }
    const v = (<f32>isum * f16ToF32(load<u16>(p))) * load<f32>(dy + (<usize>b << 2));
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else if (lane == 2) l2 += v; else l3 += v;
  }
  return (l0 + l1) + (l2 + l3);
}

// Constants as globals read into locals before the hot loops (see common.ts,
// "hoisted constants"): measured 1.3x faster in the relaxed build on x64.
let NIBBLE_MASK: v128 = i8x16.splat(0x0f);
let EIGHT: v128 = i8x16.splat(8);

/**
 * A block's weights 0..15 (low nibbles) and 16..31 (high nibbles, via an i16
 * shift: x86 has no byte shift) as bytes: raw 0..15 for the relaxed dot, whose
 * unsigned operand they must be (the -8 comes from the activation sums), or
 * the signed values -8..7 for the widening path.
 */
// @ts-ignore: decorator
@inline function weightsLo(v: v128, m: v128, eight: v128, relaxed: bool): v128 {
  const q = v128.and(v, m);
  return ASC_FEATURE_RELAXED_SIMD && relaxed ? q : i8x16.sub(q, eight);
}
// @ts-ignore: decorator
@inline function weightsHi(v: v128, m: v128, eight: v128, relaxed: bool): v128 {
  const q = v128.and(i16x8.shr_u(v, 4), m);
  return ASC_FEATURE_RELAXED_SIMD && relaxed ? q : i8x16.sub(q, eight);
}

/**
 * Integer dot of one block's unpacked weights with its 32 activations at a,
 * as eight i16 partial sums of four products each: |4 * 15 * 127| (relaxed)
 * and |4 * 8 * 127| (widening) leave room to add four such lanes in i16.
 */
// @ts-ignore: decorator
@inline function blockDot(lo: v128, hi: v128, a: usize, relaxed: bool): v128 {
  const a0 = v128.load(a), a1 = v128.load(a, 16);
  if (ASC_FEATURE_RELAXED_SIMD && relaxed) {
    return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(a0, lo), i16x8.relaxed_dot_i8x16_i7x16_s(a1, hi));
  }
  return i16x8.add(
    i16x8.add(i16x8.extmul_low_i8x16_s(lo, a0), i16x8.extmul_high_i8x16_s(lo, a0)),
    i16x8.add(i16x8.extmul_low_i8x16_s(hi, a1), i16x8.extmul_high_i8x16_s(hi, a1)),
  );
}

/**
 * [sum(s0), sum(s1), sum(s2), sum(s3)] of four blocks' i16 partial sums, exact:
 * two rounds of adding halves (each lane then holds at most 16 products, still
 * inside i16), then one widening pairwise add.
 */
// @ts-ignore: decorator
@inline function blockTotals(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const a = i16x8.add(v128.shuffle<u64>(s0, s1, 0, 2), v128.shuffle<u64>(s0, s1, 1, 3));
  const b = i16x8.add(v128.shuffle<u64>(s2, s3, 0, 2), v128.shuffle<u64>(s2, s3, 1, 3));
  return i32x4.extadd_pairwise_i16x8_s(i16x8.add(v128.shuffle<u32>(a, b, 0, 2, 4, 6), v128.shuffle<u32>(a, b, 1, 3, 5, 7)));
}

/**
 * One token's value of a group of four blocks (weights unpacked by the
 * caller), as the vec-dot adds it to its four lanes: exact integer sums,
 * then (isum * dw) * da per lane.
 */
// @ts-ignore: decorator
@inline function groupDot(
  l0: v128, h0: v128, l1: v128, h1: v128, l2: v128, h2: v128, l3: v128, h3: v128,
  y: usize, b: i32, n: i32, nb: i32, dw: v128, relaxed: bool,
): v128 {
  const a = y + (<usize>b << 5);
  const dy = y + <usize>n;
  let isum = blockTotals(
    blockDot(l0, h0, a, relaxed), blockDot(l1, h1, a + 32, relaxed),
    blockDot(l2, h2, a + 64, relaxed), blockDot(l3, h3, a + 96, relaxed),
  );
  if (ASC_FEATURE_RELAXED_SIMD && relaxed) isum = i32x4.sub(isum, i32x4.shl(v128.load(dy + (<usize>nb << 2) + (<usize>b << 2)), 3));
  return f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(isum), dw), v128.load(dy + (<usize>b << 2)));
}

// @ts-ignore: decorator
@inline function vecDotQ4_0Q8_0Impl(n: i32, x: usize, y: usize, relaxed: bool): f32 {
  const nb = n >> 5;
  const m = NIBBLE_MASK, eight = EIGHT;
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  let acc = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const dw = f16x4ToF32x4Hoisted(gatherU16x4(p, QB), hs, hem, hti, hmax, hrb, hmn);
    const v0 = v128.load(p, 2), v1 = v128.load(p + QB, 2), v2 = v128.load(p + 2 * QB, 2), v3 = v128.load(p + 3 * QB, 2);
    acc = f32x4.add(acc, groupDot(
      weightsLo(v0, m, eight, relaxed), weightsHi(v0, m, eight, relaxed), weightsLo(v1, m, eight, relaxed), weightsHi(v1, m, eight, relaxed),
      weightsLo(v2, m, eight, relaxed), weightsHi(v2, m, eight, relaxed), weightsLo(v3, m, eight, relaxed), weightsHi(v3, m, eight, relaxed),
      y, b, n, nb, dw, relaxed,
    ));
  }
  return finishQ4_0(acc, b, nb, x, y, m, eight);
}

/**
 * Adds the tail blocks (nb % 4 of them, into lanes 0..2 only, since a fourth
 * would have made a full group) and reduces the lanes in the fixed order.
 */
// @ts-ignore: decorator
@inline function finishQ4_0(acc: v128, b: i32, nb: i32, x: usize, y: usize, m: v128, eight: v128): f32 {
  const dy = y + (<usize>nb << 5);
  let l0 = f32x4.extract_lane(acc, 0), l1 = f32x4.extract_lane(acc, 1);
  let l2 = f32x4.extract_lane(acc, 2);
  for (; b < nb; b++) {
    const p = x + <usize>b * QB;
    const v = v128.load(p, 2);
    const isum = hsumI32x4(i32x4.extadd_pairwise_i16x8_s(blockDot(weightsLo(v, m, eight, false), weightsHi(v, m, eight, false), y + (<usize>b << 5), false)));
    const value = (<f32>isum * f16ToF32(load<u16>(p))) * load<f32>(dy + (<usize>b << 2));
    const lane = b & 3;
    if (lane == 0) l0 += value; else if (lane == 1) l1 += value; else l2 += value;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

/**
 * Four tokens against one row in a single pass over its blocks (prefill):
 * each group's scales are converted and its nibbles unpacked once for all
 * four. Each token's sums are exactly those of vecDotQ4_0Q8_0Impl, so the
 * results are bit-identical to it. Activation rows are yStride bytes apart,
 * outputs oStride bytes apart.
 */
function vecDot4Q4_0(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  const nb = n >> 5;
  const m = NIBBLE_MASK, eight = EIGHT;
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  const y1 = y + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const dw = f16x4ToF32x4Hoisted(gatherU16x4(p, QB), hs, hem, hti, hmax, hrb, hmn);
    const v0 = v128.load(p, 2), v1 = v128.load(p + QB, 2), v2 = v128.load(p + 2 * QB, 2), v3 = v128.load(p + 3 * QB, 2);
    const l0 = weightsLo(v0, m, eight, true), h0 = weightsHi(v0, m, eight, true);
    const l1 = weightsLo(v1, m, eight, true), h1 = weightsHi(v1, m, eight, true);
    const l2 = weightsLo(v2, m, eight, true), h2 = weightsHi(v2, m, eight, true);
    const l3 = weightsLo(v3, m, eight, true), h3 = weightsHi(v3, m, eight, true);
    acc0 = f32x4.add(acc0, groupDot(l0, h0, l1, h1, l2, h2, l3, h3, y, b, n, nb, dw, true));
    acc1 = f32x4.add(acc1, groupDot(l0, h0, l1, h1, l2, h2, l3, h3, y1, b, n, nb, dw, true));
    acc2 = f32x4.add(acc2, groupDot(l0, h0, l1, h1, l2, h2, l3, h3, y2, b, n, nb, dw, true));
    acc3 = f32x4.add(acc3, groupDot(l0, h0, l1, h1, l2, h2, l3, h3, y3, b, n, nb, dw, true));
  }
  store<f32>(o, finishQ4_0(acc0, b, nb, x, y, m, eight));
  store<f32>(o + oStride, finishQ4_0(acc1, b, nb, x, y1, m, eight));
  store<f32>(o + 2 * oStride, finishQ4_0(acc2, b, nb, x, y2, m, eight));
  store<f32>(o + 3 * oStride, finishQ4_0(acc3, b, nb, x, y3, m, eight));
}

/** SIMD128 kernel: bit-identical to vecDotQ4_0Q8_0Scalar. */
export function vecDotQ4_0Q8_0Simd128(n: i32, x: usize, y: usize): f32 {
  return vecDotQ4_0Q8_0Impl(n, x, y, false);
}

/** Relaxed-dot kernel (relaxed build; in the SIMD128 build the same as Simd128). Bit-identical to the scalar reference. */
export function vecDotQ4_0Q8_0Relaxed(n: i32, x: usize, y: usize): f32 {
  return vecDotQ4_0Q8_0Impl(n, x, y, true);
}

/** Matrix x vector over rows [r0, r1): out[r] = dot(row r, y); the build's best kernel. */
export function matVecQ4_0(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>(n >> 5) * QB;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotQ4_0Q8_0Impl(n, w + <usize>r * rowBytes, y, true));
  }
  keepAlive(sink, out, n);
}

/**
 * Matrix x matrix (prefill): out[t * outStride + r] = dot(row r, activation
 * row t); tokens go four at a time through each row's blocks.
 */
export function matMatQ4_0(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 5) * QB;
  const oStride = <usize>outStride << 2;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    let t = 0;
    for (; t + 4 <= nTok; t += 4) {
      vecDot4Q4_0(n, row, y + <usize>t * <usize>yStride, <usize>yStride, out + <usize>t * oStride + (<usize>r << 2), oStride);
    }
    for (; t < nTok; t++) {
      store<f32>(out + <usize>t * oStride + (<usize>r << 2), vecDotQ4_0Q8_0Impl(n, row, y + <usize>t * <usize>yStride, true));
    }
  }
}
