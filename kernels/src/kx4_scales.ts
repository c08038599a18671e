// The first 64 bytes of an interleaved Q4_K or Q5_K group (q4_kx4.ts,
// q5_kx4.ts): both families' blocks start with d, dmin and 12 bytes of
// packed 6-bit scales and mins (q4_k.ts), so their groups share this header
// and the arithmetic that reads it:
//   +0               d[4]     the four rows' d, as scale codes (x4_scales.ts)
//   +8               dmin[4]  their dmin, as scale codes
//   +16, +32, +48    W0..W2   word k (bytes 4k .. 4k + 3) of each row's 12
//                             scale bytes, lane r = row r
// so the scales and mins of four rows unpack together with the plain
// kernels' formulas. A zero d gets that row's scales zeroed, a zero dmin its
// mins, so the code-0 value (2^-25) multiplies a zero sum.

import { scaleFits, decodeScales, storeCodes } from './x4_scales';

export let NIBBLE_MASK: v128 = i8x16.splat(0x0f);
export let SIX_BITS: v128 = i8x16.splat(0x3f);
export let TOP_TWO: v128 = i8x16.splat(0x30);
export let BYTE0: v128 = i32x4.splat(0xff);
export let EVEN_BYTES: v128 = i16x8.splat(0xff);

/** 1 if every one of the nb blocks of blockBytes at w has a d and a dmin with a code. */
// @ts-ignore: decorator
@inline export function headerFits(w: usize, nb: i32, blockBytes: usize): i32 {
  for (let i = 0; i < nb; i++) {
    const p = w + <usize>i * blockBytes;
    if (!scaleFits(load<u16>(p)) || !scaleFits(load<u16>(p, 2))) return 0;
  }
  return 1;
}

/** Word k of the four rows' scale bytes, lane r = row r. */
// @ts-ignore: decorator
@inline function scaleWords(p0: usize, rowBytes: usize, k: usize): v128 {
  let v = i32x4.splat(load<u32>(p0 + 4 + 4 * k));
  v = i32x4.replace_lane(v, 1, load<u32>(p0 + rowBytes + 4 + 4 * k));
  v = i32x4.replace_lane(v, 2, load<u32>(p0 + 2 * rowBytes + 4 + 4 * k));
  return i32x4.replace_lane(v, 3, load<u32>(p0 + 3 * rowBytes + 4 + 4 * k));
}

/** Writes the header of the group at g from the blocks at p0, p0 + rowBytes, ... */
// @ts-ignore: decorator
@inline export function storeHeader(g: usize, p0: usize, rowBytes: usize): void {
  const zd = storeCodes(g, p0, rowBytes);
  const zm = storeCodes(g + 8, p0 + 2, rowBytes);
  // Scales live in W0 and W2's low nibbles, mins in W1 and W2's high nibbles (q4_k.ts).
  const w0 = v128.andnot(scaleWords(p0, rowBytes, 0), zd);
  const w1 = v128.andnot(scaleWords(p0, rowBytes, 1), zm);
  const w2 = v128.andnot(scaleWords(p0, rowBytes, 2), v128.or(v128.and(zd, i32x4.splat(0x0f0f0f0f)), v128.and(zm, i32x4.splat(0xf0f0f0f0))));
  v128.store(g, w0, 16); v128.store(g, w1, 32); v128.store(g, w2, 48);
}

/** The group's eight sub-block scales (sc0..sc3 in lo's bytes, sc4..sc7 in hi's), lane r = row r. */
// @ts-ignore: decorator
@inline export function scalesLo(g: usize, six: v128): v128 {
  return v128.and(v128.load(g, 16), six);
}
// @ts-ignore: decorator
@inline export function scalesHi(g: usize, m: v128, top: v128): v128 {
  return v128.or(v128.and(v128.load(g, 48), m), v128.and(i32x4.shr_u(v128.load(g, 16), 2), top));
}

/** Scale of sub-block j (0..3) from scalesLo or scalesHi, as i32 lanes. */
// @ts-ignore: decorator
@inline export function scaleOf(sc: v128, j: i32, byte0: v128): v128 {
  return j == 3 ? i32x4.shr_u(sc, 24) : v128.and(j == 0 ? sc : i32x4.shr_u(sc, 8 * j), byte0);
}

/**
 * summs of four rows against one activation block: sum_j m_j * bsum_j, with
 * the mins of sub-blocks (j, j + 2) as i16 pairs per lane against the same
 * pairs of the activation's 32-value sums.
 */
// @ts-ignore: decorator
@inline function minsTerm(g: usize, bs: usize, m: v128, six: v128, top: v128, even: v128): v128 {
  const w1 = v128.load(g, 32);
  const mLo = v128.and(w1, six);
  const mHi = v128.or(v128.and(i32x4.shr_u(v128.load(g, 48), 4), m), v128.and(i32x4.shr_u(w1, 2), top));
  const bp = i16x8.narrow_i32x4_s(i32x4.extadd_pairwise_i16x8_s(v128.load(bs)), i32x4.extadd_pairwise_i16x8_s(v128.load(bs, 16)));
  let s = i32x4.dot_i16x8_s(v128.and(mLo, even), v128.shuffle<u8>(bp, bp, 0, 1, 4, 5, 0, 1, 4, 5, 0, 1, 4, 5, 0, 1, 4, 5));
  s = i32x4.add(s, i32x4.dot_i16x8_s(i16x8.shr_u(mLo, 8), v128.shuffle<u8>(bp, bp, 2, 3, 6, 7, 2, 3, 6, 7, 2, 3, 6, 7, 2, 3, 6, 7)));
  s = i32x4.add(s, i32x4.dot_i16x8_s(v128.and(mHi, even), v128.shuffle<u8>(bp, bp, 8, 9, 12, 13, 8, 9, 12, 13, 8, 9, 12, 13, 8, 9, 12, 13)));
  return i32x4.add(s, i32x4.dot_i16x8_s(i16x8.shr_u(mHi, 8), v128.shuffle<u8>(bp, bp, 10, 11, 14, 15, 10, 11, 14, 15, 10, 11, 14, 15, 10, 11, 14, 15)));
}

/** Four rows' value of block b from their isum: (dy * d) * isum - (dy * dmin) * summs. */
// @ts-ignore: decorator
@inline export function blockValue(isum: v128, g: usize, y: usize, b: i32, n: i32, nb: i32, m: v128, six: v128, top: v128, even: v128, sm: v128, sb: v128): v128 {
  const summs = minsTerm(g, y + <usize>n + (<usize>b << 5), m, six, top, even);
  const dy = v128.load32_splat(y + <usize>n + (<usize>nb << 5) + (<usize>b << 2));
  const d = f32x4.mul(dy, decodeScales(g, sm, sb)), dmin = f32x4.mul(dy, decodeScales(g + 8, sm, sb));
  return f32x4.sub(f32x4.mul(d, f32x4.convert_i32x4_s(isum)), f32x4.mul(dmin, f32x4.convert_i32x4_s(summs)));
}
