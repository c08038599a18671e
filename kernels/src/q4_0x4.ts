// Q4_0 rows interleaved by four: the layout nibble repacks Q4_0 matrices into
// at load (llama.cpp repacks Q4_0 the same way on ARM, "Q4_0 4x4"), so that
// one 32-bit activation broadcast meets four rows at once and each lane of a
// dot product is one row. No per-block horizontal sums, and four rows' scales
// convert in one go.
//
// Rows [4q, 4q + 4) of a Q4_0 matrix (row = nb blocks of 18 bytes, q4_0.ts)
// become one run of nb groups of 72 bytes, group b at quad + 72 * b:
//   +0        d[4]      block b's scale of rows 0..3, re-encoded (below)
//   +8 + 16s  qs chunk  s = 0..3: bytes qs[4s .. 4s + 3] of rows 0, 1, 2, 3
// So in chunk s, lane r's low nibbles are row r's weights 4s .. 4s + 3 and its
// high nibbles weights 4s + 16 .. 4s + 19. The matrix keeps its size. The
// kernels are x4_nibbles.ts's, shared with Q5_0's layout (q5_0x4.ts).
//
// Scales are stored as codes that convert in three instructions
// (x4_scales.ts); a matrix with a scale that has none (|d| >= 128, infinite,
// NaN: q4_0x4Fits) keeps the plain Q4_0 layout and kernels. A zero scale's
// block gets all nibbles 8, so its integer sum is zero.
//
// Results are bit-identical to vecDotQ4_0Q8_0Scalar on the original rows:
// exact integer block sums, (isum * d) * da per block, each row's blocks added
// into four partial sums by block index mod 4, then (l0 + l1) + (l2 + l3).
// The relaxed build uses i32x4.relaxed_dot_i8x16_i7x16_add_s (one vpdpbusd on
// x64 with VNNI, one sdot on ARM with dot product) with the unsigned nibbles
// as its 7-bit operand, exact everywhere; that build needs Node >= 22, whose
// V8 compiles the instruction correctly in both tiers (load.ts).

import { matVecX4, matMatX4 } from './x4_nibbles';
import { blockScalesFit, transpose0, transpose1, transpose2, transpose3, storeCodes } from './x4_scales';

const QB: usize = 18;

/** 1 if every one of the nb Q4_0 blocks at w has a scale with a code. */
export function q4_0x4Fits(w: usize, nb: i32): i32 {
  return blockScalesFit(w, nb, QB);
}

/**
 * Writes rows [r0, r1) (multiples of 4) of the plain Q4_0 matrix at src
 * (rows of n values) to dst in the interleaved layout, at the same byte
 * offsets; the caller checks q4_0x4Fits first.
 */
export function repackQ4_0x4(r0: i32, r1: i32, src: usize, dst: usize, n: i32): void {
  const nb = n >> 5, rowBytes = <usize>nb * QB;
  for (let r = r0; r < r1; r += 4) {
    const quad = <usize>r * rowBytes;
    for (let b = 0; b < nb; b++) repackGroupQ4_0(dst + quad + <usize>b * 4 * QB, src + quad + <usize>b * QB, rowBytes);
  }
}

/** One group of repackQ4_0x4. */
function repackGroupQ4_0(g: usize, p0: usize, rowBytes: usize): void {
  const p1 = p0 + rowBytes, p2 = p1 + rowBytes, p3 = p2 + rowBytes;
  const zero = storeCodes(g, p0, rowBytes);
  const q0 = v128.load(p0, 2), q1 = v128.load(p1, 2), q2 = v128.load(p2, 2), q3 = v128.load(p3, 2);
  let s0 = transpose0(q0, q1, q2, q3), s1 = transpose1(q0, q1, q2, q3), s2 = transpose2(q0, q1, q2, q3), s3 = transpose3(q0, q1, q2, q3);
  if (v128.any_true(zero)) {
    const eights = i8x16.splat(<i8>0x88);
    s0 = v128.bitselect(eights, s0, zero); s1 = v128.bitselect(eights, s1, zero);
    s2 = v128.bitselect(eights, s2, zero); s3 = v128.bitselect(eights, s3, zero);
  }
  v128.store(g, s0, 8); v128.store(g, s1, 24); v128.store(g, s2, 40); v128.store(g, s3, 56);
}

/** Matrix x vector over rows [r0, r1) (multiples of 4) of an interleaved Q4_0 matrix: out[r] = dot(row r, y). */
export function matVecQ4_0x4(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  matVecX4(r0, r1, w, n, y, out, false);
}

/** Matrix x matrix (prefill) over an interleaved Q4_0 matrix: out[t * outStride + r] = dot(row r, activation row t). */
export function matMatQ4_0x4(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  matMatX4(r0, r1, w, n, y, yStride, nTok, out, outStride, false);
}
