// Scale codes of the interleaved layouts (q4_0x4.ts, q5_0x4.ts, q8_0x4.ts, q4_kx4.ts, q6_kx4.ts).
//
// An f16 to f32 conversion that handles subnormals, infinities and NaN costs
// 15 vector instructions per four scales. The repacks re-encode each f16
// scale d as 16 bits that become d's f32 bits in three: sign, 5-bit exponent
// e, 10-bit mantissa m, with d = (1 + m / 1024) * 2^(e - 25). Sign-extended to
// 32 bits and shifted left 13, a code has the sign in bits 28..31 and e, m in
// bits 13..27: & 0x8fffe000, + 102 << 23 gives the f32. That covers every
// subnormal and normal half below 128, each exactly (real scales are far
// smaller); a matrix with any other scale (|d| >= 128, infinite, NaN) is not
// repacked (scaleFits).
//
// Code 0 (d = 0) would decode to 2^-25, which no half is (the smallest
// subnormal, 2^-24, has e = 1), so the repacks also zero the block's weights:
// a zero scale makes every weight of its block zero whatever the quants say,
// and a zero term never changes a sum that starts at +0, so the block adds
// nothing either way.

const SCALE_BIAS: u32 = 102; // f32 exponent of code e = 0 (2^-25)

/** Whether half h has a code (|h| < 128, which excludes infinities and NaN). */
// @ts-ignore: decorator
@inline export function scaleFits(h: u32): bool {
  return (h & 0x7fff) < 0x5800;
}

/** 1 if the scale (the first half) of each of the nb blocks of blockBytes at w has a code. */
// @ts-ignore: decorator
@inline export function blockScalesFit(w: usize, nb: i32, blockBytes: usize): i32 {
  for (let i = 0; i < nb; i++) if (!scaleFits(load<u16>(w + <usize>i * blockBytes))) return 0;
  return 1;
}

/** The code of half h (scaleFits): normal halves move their exponent, subnormals are normalized. */
// @ts-ignore: decorator
@inline function scaleCode(h: u32): u32 {
  const sign = h & 0x8000, em = h & 0x7fff;
  if (em == 0) return 0;
  if (em >= 0x400) return sign | (em + ((127 - 15 - SCALE_BIAS) << 10));
  const k = 31 - clz(em); // em * 2^-24 = (em / 2^k) * 2^(k - 24), so e = k + 1
  return sign | ((k + 1) << 10) | ((em << (10 - k)) & 0x3ff);
}

/** Four codes at p as f32x4 (mask and bias: SCALE_MASK, SCALE_BIAS_BITS, read into locals). */
// @ts-ignore: decorator
@inline export function decodeScales(p: usize, mask: v128, bias: v128): v128 {
  return i32x4.add(v128.and(i32x4.shl(v128.load16x4_s(p), 13), mask), bias);
}

export let SCALE_MASK: v128 = i32x4.splat(0x8fffe000);
export let SCALE_BIAS_BITS: v128 = i32x4.splat(SCALE_BIAS << 23);

/** Four codes packed as one u64 (lane 0 lowest), as the groups store them. */
// @ts-ignore: decorator
@inline function packCodes(c0: u32, c1: u32, c2: u32, c3: u32): u64 {
  return <u64>c0 | (<u64>c1 << 16) | (<u64>c2 << 32) | (<u64>c3 << 48);
}

/** Lane mask of the rows whose code is 0 (their weights are written as zero). */
// @ts-ignore: decorator
@inline function zeroCodeLanes(c0: u32, c1: u32, c2: u32, c3: u32): v128 {
  let m = i32x4.splat(0);
  m = i32x4.replace_lane(m, 0, c0 == 0 ? -1 : 0);
  m = i32x4.replace_lane(m, 1, c1 == 0 ? -1 : 0);
  m = i32x4.replace_lane(m, 2, c2 == 0 ? -1 : 0);
  return i32x4.replace_lane(m, 3, c3 == 0 ? -1 : 0);
}

/**
 * Writes at g the codes of four rows' block scales (halves at p0, p0 +
 * rowBytes, p0 + 2 * rowBytes, p0 + 3 * rowBytes); returns the lane mask of
 * the rows whose code is 0, whose weights the repack must write as zero.
 */
// @ts-ignore: decorator
@inline export function storeCodes(g: usize, p0: usize, rowBytes: usize): v128 {
  const c0 = scaleCode(load<u16>(p0)), c1 = scaleCode(load<u16>(p0 + rowBytes));
  const c2 = scaleCode(load<u16>(p0 + 2 * rowBytes)), c3 = scaleCode(load<u16>(p0 + 3 * rowBytes));
  store<u64>(g, packCodes(c0, c1, c2, c3));
  return zeroCodeLanes(c0, c1, c2, c3);
}

/** Words 0..3 of q0..q3 transposed: out s = word s of q0, q1, q2, q3 (the chunk layout). */
// @ts-ignore: decorator
@inline export function transpose0(q0: v128, q1: v128, q2: v128, q3: v128): v128 {
  return v128.shuffle<u64>(v128.shuffle<u32>(q0, q1, 0, 4, 1, 5), v128.shuffle<u32>(q2, q3, 0, 4, 1, 5), 0, 2);
}
// @ts-ignore: decorator
@inline export function transpose1(q0: v128, q1: v128, q2: v128, q3: v128): v128 {
  return v128.shuffle<u64>(v128.shuffle<u32>(q0, q1, 0, 4, 1, 5), v128.shuffle<u32>(q2, q3, 0, 4, 1, 5), 1, 3);
}
// @ts-ignore: decorator
@inline export function transpose2(q0: v128, q1: v128, q2: v128, q3: v128): v128 {
  return v128.shuffle<u64>(v128.shuffle<u32>(q0, q1, 2, 6, 3, 7), v128.shuffle<u32>(q2, q3, 2, 6, 3, 7), 0, 2);
}
// @ts-ignore: decorator
@inline export function transpose3(q0: v128, q1: v128, q2: v128, q3: v128): v128 {
  return v128.shuffle<u64>(v128.shuffle<u32>(q0, q1, 2, 6, 3, 7), v128.shuffle<u32>(q2, q3, 2, 6, 3, 7), 1, 3);
}

/** The 16 bytes at offset o of four rows (p0, p0 + rowBytes, ...), transposed into four chunks at c. */
// @ts-ignore: decorator
@inline export function storeTransposed(c: usize, p0: usize, rowBytes: usize, o: usize): void {
  const q0 = v128.load(p0 + o), q1 = v128.load(p0 + rowBytes + o);
  const q2 = v128.load(p0 + 2 * rowBytes + o), q3 = v128.load(p0 + 3 * rowBytes + o);
  v128.store(c, transpose0(q0, q1, q2, q3)); v128.store(c, transpose1(q0, q1, q2, q3), 16);
  v128.store(c, transpose2(q0, q1, q2, q3), 32); v128.store(c, transpose3(q0, q1, q2, q3), 48);
}
