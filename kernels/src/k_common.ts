// Helpers the K-quant families (q2_k.ts .. q6_k.ts) share. Not re-exported by
// index.ts: they are inline building blocks, not module exports.

import { f16ToF32, hsumI32x4x4 } from './common';

/**
 * Sum of the products of 32 activations (a0, a1) and 32 unsigned weights
 * (w0, w1, each 0..127) as i16x8; each lane gathers 4 products, which fits
 * i16 for weights up to 63 (4 * 63 * 128 < 32768). With `relaxed` (and the
 * relaxed build) one relaxed dot does a pair of products: exact on every CPU
 * because the weights are its 7-bit operand; otherwise the widening path.
 */
// @ts-ignore: decorator
@inline export function dot32U7(a0: v128, a1: v128, w0: v128, w1: v128, relaxed: bool): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && relaxed) {
    return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(a0, w0), i16x8.relaxed_dot_i8x16_i7x16_s(a1, w1));
  }
  return i16x8.add(
    i16x8.add(i16x8.extmul_low_i8x16_s(a0, w0), i16x8.extmul_high_i8x16_s(a0, w0)),
    i16x8.add(i16x8.extmul_low_i8x16_s(a1, w1), i16x8.extmul_high_i8x16_s(a1, w1)),
  );
}

/** 32 activations at a times one sub-block's 32 weights (w0, w1), times its scale splat s: i32x4 partial sums (the tiles of Q4_K and Q5_K). */
// @ts-ignore: decorator
@inline export function sub32(a: usize, w0: v128, w1: v128, s: v128, relaxed: bool): v128 {
  return i32x4.dot_i16x8_s(dot32U7(v128.load(a), v128.load(a, 16), w0, w1, relaxed), s);
}

/** The 8 mins of a Q4_K/Q5_K block (6-bit, from the 12 scale bytes at s) as i16x8. */
// @ts-ignore: decorator
@inline export function minsK4(s: usize): v128 {
  const w1 = load<u32>(s, 4), w2 = load<u32>(s, 8);
  const mLo = w1 & 0x3f3f3f3f;
  const mHi = ((w2 >> 4) & 0x0f0f0f0f) | ((w1 >> 2) & 0x30303030);
  return i16x8.extend_low_i8x16_u(i32x4.replace_lane(i32x4.splat(<i32>mLo), 1, <i32>mHi));
}

/** Eight i16 mins (minsK4) dotted with the activation's 16 bsums at bs (pairs share a min), as i32x4 partial sums. */
// @ts-ignore: decorator
@inline export function minsDotBsums(mins16: v128, bs: usize): v128 {
  const pairs = i16x8.narrow_i32x4_s(
    i32x4.extadd_pairwise_i16x8_s(v128.load(bs)),
    i32x4.extadd_pairwise_i16x8_s(v128.load(bs, 16)),
  );
  return i32x4.dot_i16x8_s(pairs, mins16);
}

/** The 8 mins of a Q4_K/Q5_K block dotted with the activation's bsums, as i32x4 partial sums. */
// @ts-ignore: decorator
@inline export function minsDotBsumsK4(s: usize, bs: usize): v128 {
  return minsDotBsums(minsK4(s), bs);
}


/**
 * Sum of the products of 16 activations and 16 unsigned weights (0..127) as
 * i16x8, two products per lane (fits i16 for weights up to 127). Relaxed as
 * dot32U7.
 */
// @ts-ignore: decorator
@inline export function dot16U7(a: v128, w: v128, relaxed: bool): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && relaxed) return i16x8.relaxed_dot_i8x16_i7x16_s(a, w);
  return i16x8.add(i16x8.extmul_low_i8x16_s(a, w), i16x8.extmul_high_i8x16_s(a, w));
}

/** Sum of 16 signed 8-bit scales times the activation's 16 bsums, as i32x4 partial sums. */
// @ts-ignore: decorator
@inline export function scalesDotBsums16(scalesI8: v128, bs: usize): v128 {
  return i32x4.add(
    i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(scalesI8), v128.load(bs)),
    i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(scalesI8), v128.load(bs, 16)),
  );
}

// ---- token tiles (matMat) ----------------------------------------------------
//
// A matMat tile dots one weight row with TILE activation rows in one pass, so
// each block is unpacked once for all of them. Inside a tile the f32x4 lanes
// are tokens, not blocks: lane t of the four block-lane sums (acc0..acc3 below)
// is token t's l0..l3 of vecDot, each receiving the same f32 values in the
// same order, so the combine (acc0 + acc1) + (acc2 + acc3) gives each token
// the bits its vecDot gives.

/**
 * Tokens per matMat tile. Four fill one f32x4 and keep a tile's four i32x4
 * sums, the unpacked weights and the scale in x64's 16 vector registers.
 * Eight (two lane groups, the second returned through a global) measured
 * about 8% faster on Q4_K at 64 tokens, but doubles the code and leaves up to
 * seven tokens to the one-token kernel.
 */
export const TILE: i32 = 4;

/** The f32 at p of four activation rows `stride` bytes apart, lane t = row t. */
// @ts-ignore: decorator
@inline export function gatherF32x4(p: usize, stride: usize): v128 {
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + stride));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * stride));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * stride));
}

/**
 * A Q4_K/Q5_K block's d * isum - dmin * summs for each token of a tile (lane
 * t = token t; block at p, the tokens' bsums at bs + t * ys and Q8_K scales
 * at dy + t * ys), with vecDot's f32 operations.
 */
// @ts-ignore: decorator
@inline export function blockTermTileK4(isum: v128, p: usize, bs: usize, dy: usize, ys: usize): v128 {
  const mins = minsK4(p + 4);
  const summs = hsumI32x4x4(
    minsDotBsums(mins, bs), minsDotBsums(mins, bs + ys),
    minsDotBsums(mins, bs + 2 * ys), minsDotBsums(mins, bs + 3 * ys),
  );
  const dyt = gatherF32x4(dy, ys);
  const d = f32x4.mul(dyt, f32x4.splat(f16ToF32(load<u16>(p))));
  const dmin = f32x4.mul(dyt, f32x4.splat(f16ToF32(load<u16>(p, 2))));
  return f32x4.sub(f32x4.mul(d, f32x4.convert_i32x4_s(isum)), f32x4.mul(dmin, f32x4.convert_i32x4_s(summs)));
}

/** Stores lane t of v at o + t * stride (one output per token). */
// @ts-ignore: decorator
@inline export function scatterF32x4(o: usize, stride: usize, v: v128): void {
  store<f32>(o, f32x4.extract_lane(v, 0));
  store<f32>(o + stride, f32x4.extract_lane(v, 1));
  store<f32>(o + 2 * stride, f32x4.extract_lane(v, 2));
  store<f32>(o + 3 * stride, f32x4.extract_lane(v, 3));
}
