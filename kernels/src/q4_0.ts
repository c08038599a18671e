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
  f16ToF32, gatherU16x4, hsumI32x4x4, hsumI32x4, f16x4ToF32x4Hoisted,
  F16_SIGN, F16_EM, F16_TINY, F16_MAX_FINITE, F16_REBIAS, F16_MIN_NORMAL,
  touchAhead, keepAlive,
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
/** Low and high nibbles of 16 bytes as unsigned i8 lanes (i16 shift: x86 has no byte shift). */
// @ts-ignore: decorator
@inline function nibblesLo(v: v128, m: v128): v128 {
  return v128.and(v, m);
}
// @ts-ignore: decorator
@inline function nibblesHi(v: v128, m: v128): v128 {
  return v128.and(i16x8.shr_u(v, 4), m);
}

/** SIMD128 block dot: offset nibbles times activations, |4 products| < 2^12 fits i16. */
// @ts-ignore: decorator
@inline function blockDotQ4_0Simd128(p: usize, a: usize, m: v128, eight: v128): v128 {
  const v = v128.load(p, 2);
  const lo = i8x16.sub(nibblesLo(v, m), eight);
  const hi = i8x16.sub(nibblesHi(v, m), eight);
  const a0 = v128.load(a), a1 = v128.load(a, 16);
  const s = i16x8.add(
    i16x8.add(i16x8.extmul_low_i8x16_s(lo, a0), i16x8.extmul_high_i8x16_s(lo, a0)),
    i16x8.add(i16x8.extmul_low_i8x16_s(hi, a1), i16x8.extmul_high_i8x16_s(hi, a1)),
  );
  return i32x4.extadd_pairwise_i16x8_s(s);
}

/** Relaxed block dot of the raw nibbles (0..15) with the activations: sum(q * a), without the -8. */
// @ts-ignore: decorator
@inline function blockDotQ4_0Relaxed(p: usize, a: usize, m: v128): v128 {
  const v = v128.load(p, 2);
  const s = i16x8.add(
    i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(a), nibblesLo(v, m)),
    i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(a, 16), nibblesHi(v, m)),
  );
  return i32x4.extadd_pairwise_i16x8_s(s);
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
    acc = f32x4.add(acc, groupQ4_0(p, y, b, n, nb, dw, m, eight, relaxed));
  }
  return finishQ4_0(acc, b, nb, x, y, y + <usize>n, m, eight);
}

/**
 * Adds the tail blocks (nb % 4 of them, into lanes 0..2 only, since a fourth
 * would have made a full group) and reduces the lanes in the fixed order.
 */
// @ts-ignore: decorator
@inline function finishQ4_0(acc: v128, b: i32, nb: i32, x: usize, y: usize, dy: usize, m: v128, eight: v128): f32 {
  let l0 = f32x4.extract_lane(acc, 0), l1 = f32x4.extract_lane(acc, 1);
  let l2 = f32x4.extract_lane(acc, 2);
  for (; b < nb; b++) {
    const p = x + <usize>b * QB;
    const isum = hsumI32x4(blockDotQ4_0Simd128(p, y + (<usize>b << 5), m, eight));
    const v = (<f32>isum * f16ToF32(load<u16>(p))) * load<f32>(dy + (<usize>b << 2));
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else l2 += v;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

/** One group of four blocks of one token, as vecDotQ4_0Q8_0Impl adds it to its lanes. */
// @ts-ignore: decorator
@inline function groupQ4_0(p: usize, y: usize, b: i32, n: i32, nb: i32, dw: v128, m: v128, eight: v128, relaxed: bool): v128 {
  const a = y + (<usize>b << 5);
  const dy = y + <usize>n;
  let isum: v128;
  if (ASC_FEATURE_RELAXED_SIMD && relaxed) {
    const qa = hsumI32x4x4(
      blockDotQ4_0Relaxed(p, a, m), blockDotQ4_0Relaxed(p + QB, a + 32, m),
      blockDotQ4_0Relaxed(p + 2 * QB, a + 64, m), blockDotQ4_0Relaxed(p + 3 * QB, a + 96, m),
    );
    isum = i32x4.sub(qa, i32x4.shl(v128.load(dy + (<usize>nb << 2) + (<usize>b << 2)), 3));
  } else {
    isum = hsumI32x4x4(
      blockDotQ4_0Simd128(p, a, m, eight), blockDotQ4_0Simd128(p + QB, a + 32, m, eight),
      blockDotQ4_0Simd128(p + 2 * QB, a + 64, m, eight), blockDotQ4_0Simd128(p + 3 * QB, a + 96, m, eight),
    );
  }
  return f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(isum), dw), v128.load(dy + (<usize>b << 2)));
}

/**
 * Two tokens against one row in a single pass over its blocks (prefill): the
 * scales are converted once for both. Each token's sums are exactly those of
 * vecDotQ4_0Q8_0Impl, so the results are bit-identical to it.
 */
function vecDot2Q4_0(n: i32, x: usize, y0: usize, y1: usize, o0: usize, o1: usize): void {
  const nb = n >> 5;
  const m = NIBBLE_MASK, eight = EIGHT;
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const dw = f16x4ToF32x4Hoisted(gatherU16x4(p, QB), hs, hem, hti, hmax, hrb, hmn);
    acc0 = f32x4.add(acc0, groupQ4_0(p, y0, b, n, nb, dw, m, eight, true));
    acc1 = f32x4.add(acc1, groupQ4_0(p, y1, b, n, nb, dw, m, eight, true));
  }
  store<f32>(o0, finishQ4_0(acc0, b, nb, x, y0, y0 + <usize>n, m, eight));
  store<f32>(o1, finishQ4_0(acc1, b, nb, x, y1, y1 + <usize>n, m, eight));
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
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w, r, r1, rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotQ4_0Q8_0Impl(n, w + <usize>r * rowBytes, y, true));
  }
  keepAlive(sink, out, n);
}

/**
 * Matrix x matrix (prefill): out[t * outStride + r] = dot(row r, activation
 * row t); tokens go two at a time through each row's blocks.
 */
export function matMatQ4_0(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 5) * QB;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    let t = 0;
    for (; t + 2 <= nTok; t += 2) {
      const o = out + ((<usize>t * <usize>outStride + <usize>r) << 2);
      vecDot2Q4_0(n, row, y + <usize>t * <usize>yStride, y + <usize>(t + 1) * <usize>yStride, o, o + (<usize>outStride << 2));
    }
    if (t < nTok) {
      store<f32>(out + ((<usize>t * <usize>outStride + <usize>r) << 2), vecDotQ4_0Q8_0Impl(n, row, y + <usize>t * <usize>yStride, true));
    }
  }
}
