// Q8_0 rows interleaved by four: as q4_0x4.ts, for 8-bit weights. Rows
// [4q, 4q + 4) of a Q8_0 matrix (row = nb blocks of 34 bytes, q8_0.ts) become
// one run of nb groups of 136 bytes, group b at quad + 136 * b:
//   +0        codes[4]  block b's scale of rows 0..3 (x4_scales.ts)
//   +8 + 16s  chunk     s = 0..7: weights 4s .. 4s + 3 of rows 0, 1, 2, 3
// The matrix keeps its size. A zero scale's block gets all weights 0.
//
// The kernels are x4_signed.ts's, shared with IQ4_NL's layout (iq4_nlx4.ts).
//
// Results are bit-identical to vecDotQ8_0Q8_0Scalar on the original rows, in
// the float order q4_0x4.ts describes.

import { matVecSignedX4, matMatSignedX4 } from './x4_signed';
import { blockScalesFit, transpose0, transpose1, transpose2, transpose3, storeCodes } from './x4_scales';

const QB: usize = 34;

/** 1 if every one of the nb Q8_0 blocks at w has a scale with a code. */
export function q8_0x4Fits(w: usize, nb: i32): i32 {
  return blockScalesFit(w, nb, QB);
}

/**
 * Writes rows [r0, r1) (multiples of 4) of the plain Q8_0 matrix at src
 * (rows of n values) to dst in the interleaved layout, at the same byte
 * offsets; the caller checks q8_0x4Fits first.
 */
export function repackQ8_0x4(r0: i32, r1: i32, src: usize, dst: usize, n: i32): void {
  const nb = n >> 5, rowBytes = <usize>nb * QB;
  for (let r = r0; r < r1; r += 4) {
    const quad = <usize>r * rowBytes;
    for (let b = 0; b < nb; b++) repackGroupQ8_0(dst + quad + <usize>b * 4 * QB, src + quad + <usize>b * QB, rowBytes);
  }
}

/** One group of repackQ8_0x4. */
function repackGroupQ8_0(g: usize, p0: usize, rowBytes: usize): void {
  const p1 = p0 + rowBytes, p2 = p1 + rowBytes, p3 = p2 + rowBytes;
  const zero = storeCodes(g, p0, rowBytes);
  const keep = v128.not(zero);
  let q0 = v128.load(p0, 2), q1 = v128.load(p1, 2), q2 = v128.load(p2, 2), q3 = v128.load(p3, 2);
  v128.store(g, v128.and(transpose0(q0, q1, q2, q3), keep), 8);
  v128.store(g, v128.and(transpose1(q0, q1, q2, q3), keep), 24);
  v128.store(g, v128.and(transpose2(q0, q1, q2, q3), keep), 40);
  v128.store(g, v128.and(transpose3(q0, q1, q2, q3), keep), 56);
  q0 = v128.load(p0, 18); q1 = v128.load(p1, 18); q2 = v128.load(p2, 18); q3 = v128.load(p3, 18);
  v128.store(g, v128.and(transpose0(q0, q1, q2, q3), keep), 72);
  v128.store(g, v128.and(transpose1(q0, q1, q2, q3), keep), 88);
  v128.store(g, v128.and(transpose2(q0, q1, q2, q3), keep), 104);
  v128.store(g, v128.and(transpose3(q0, q1, q2, q3), keep), 120);
}

/** Matrix x vector over rows [r0, r1) (multiples of 4) of an interleaved Q8_0 matrix: out[r] = dot(row r, y). */
export function matVecQ8_0x4(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  matVecSignedX4(r0, r1, w, n, y, out, false);
}

/** Matrix x matrix (prefill) over an interleaved Q8_0 matrix: out[t * outStride + r] = dot(row r, activation row t). */
export function matMatQ8_0x4(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  matMatSignedX4(r0, r1, w, n, y, yStride, nTok, out, outStride, false);
}
