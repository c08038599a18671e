// Q5_0 rows interleaved by four, as q4_0x4.ts does Q4_0. Rows whose length is
// not a multiple of 256 (Qwen2.5-0.5B's 896) leave llama.cpp's Q4_K_M mix as
// Q5_0, so for such models this layout carries most of the weights.
//
// Rows [4q, 4q + 4) of a Q5_0 matrix (row = nb blocks of 22 bytes, q5_0.ts)
// become one run of nb groups of 88 bytes, group b at quad + 88 * b:
//   +0        d[4]      block b's scale of rows 0..3, re-encoded (x4_scales.ts)
//   +8        hb[16]    byte 4r + k, bit c: the fifth bit of row r's weight 4c + k
//   +24 + 16s qs chunk  s = 0..3: bytes qs[4s .. 4s + 3] of rows 0, 1, 2, 3
// So chunk c of the kernels (x4_nibbles.ts) is weights 4c .. 4c + 3 of each
// row, its fifth bits bit c of hb. The matrix keeps its size. A zero scale's
// block gets quants 16 (nibbles 0, fifth bits set), so its integer sum is zero.
// A matrix with a scale the codes cannot hold keeps the plain layout.

import { matVecX4, matMatX4 } from './x4_nibbles';
import { blockScalesFit, transpose0, transpose1, transpose2, transpose3, storeCodes } from './x4_scales';

const QB: usize = 22;

/** 1 if every one of the nb Q5_0 blocks at w has a scale with a code. */
export function q5_0x4Fits(w: usize, nb: i32): i32 {
  return blockScalesFit(w, nb, QB);
}

/** Bits k, k + 4, .., k + 28 of qh as one byte (bit c = bit 4c + k). */
// @ts-ignore: decorator
@inline function everyFourthBit(qh: u32, k: u32): u32 {
  let x = (qh >> k) & 0x11111111;
  x = (x | (x >> 3)) & 0x03030303;
  x = (x | (x >> 6)) & 0x000f000f;
  return (x | (x >> 12)) & 0xff;
}

/** The four hb bytes of one row (byte k = everyFourthBit(qh, k)) as a u32. */
// @ts-ignore: decorator
@inline function highBitBytes(qh: u32): u32 {
  return everyFourthBit(qh, 0) | (everyFourthBit(qh, 1) << 8) | (everyFourthBit(qh, 2) << 16) | (everyFourthBit(qh, 3) << 24);
}

/**
 * Writes rows [r0, r1) (multiples of 4) of the plain Q5_0 matrix at src
 * (rows of n values) to dst in the interleaved layout, at the same byte
 * offsets; the caller checks q5_0x4Fits first.
 */
export function repackQ5_0x4(r0: i32, r1: i32, src: usize, dst: usize, n: i32): void {
  const nb = n >> 5, rowBytes = <usize>nb * QB;
  for (let r = r0; r < r1; r += 4) {
    const quad = <usize>r * rowBytes;
    for (let b = 0; b < nb; b++) repackGroupQ5_0(dst + quad + <usize>b * 4 * QB, src + quad + <usize>b * QB, rowBytes);
  }
}

/** One group of repackQ5_0x4. */
function repackGroupQ5_0(g: usize, p0: usize, rowBytes: usize): void {
  const p1 = p0 + rowBytes, p2 = p1 + rowBytes, p3 = p2 + rowBytes;
  const zero = storeCodes(g, p0, rowBytes);
  let hb = i32x4.splat(0);
  hb = i32x4.replace_lane(hb, 0, highBitBytes(load<u32>(p0, 2)));
  hb = i32x4.replace_lane(hb, 1, highBitBytes(load<u32>(p1, 2)));
  hb = i32x4.replace_lane(hb, 2, highBitBytes(load<u32>(p2, 2)));
  hb = i32x4.replace_lane(hb, 3, highBitBytes(load<u32>(p3, 2)));
  const q0 = v128.load(p0, 6), q1 = v128.load(p1, 6), q2 = v128.load(p2, 6), q3 = v128.load(p3, 6);
  let s0 = transpose0(q0, q1, q2, q3), s1 = transpose1(q0, q1, q2, q3), s2 = transpose2(q0, q1, q2, q3), s3 = transpose3(q0, q1, q2, q3);
  if (v128.any_true(zero)) {
    hb = v128.or(hb, zero);
    s0 = v128.andnot(s0, zero); s1 = v128.andnot(s1, zero); s2 = v128.andnot(s2, zero); s3 = v128.andnot(s3, zero);
  }
  v128.store(g, hb, 8);
  v128.store(g, s0, 24); v128.store(g, s1, 40); v128.store(g, s2, 56); v128.store(g, s3, 72);
}

/** Matrix x vector over rows [r0, r1) (multiples of 4) of an interleaved Q5_0 matrix: out[r] = dot(row r, y). */
export function matVecQ5_0x4(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  matVecX4(r0, r1, w, n, y, out, true);
}

/** Matrix x matrix (prefill) over an interleaved Q5_0 matrix: out[t * outStride + r] = dot(row r, activation row t). */
export function matMatQ5_0x4(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  matMatX4(r0, r1, w, n, y, yStride, nTok, out, outStride, true);
}
