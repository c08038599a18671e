// Helpers the K-quant families (q2_k.ts .. q6_k.ts) share. Not re-exported by
// index.ts: they are inline building blocks, not module exports.

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

/** The 8 mins of a Q4_K/Q5_K block dotted with the activation's bsums (pairs share a min), as i32x4 partial sums. */
// @ts-ignore: decorator
@inline export function minsDotBsumsK4(s: usize, bs: usize): v128 {
  const w1 = load<u32>(s, 4), w2 = load<u32>(s, 8);
  const mLo = w1 & 0x3f3f3f3f;
  const mHi = ((w2 >> 4) & 0x0f0f0f0f) | ((w1 >> 2) & 0x30303030);
  const mins16 = i16x8.extend_low_i8x16_u(i32x4.replace_lane(i32x4.splat(<i32>mLo), 1, <i32>mHi));
  const pairs = i16x8.narrow_i32x4_s(
    i32x4.extadd_pairwise_i16x8_s(v128.load(bs)),
    i32x4.extadd_pairwise_i16x8_s(v128.load(bs, 16)),
  );
  return i32x4.dot_i16x8_s(pairs, mins16);
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
