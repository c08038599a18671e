// IQ4_NL rows interleaved by four. An IQ4_NL block is a Q4_0 block whose
// nibbles index ggml's non-linear table instead of counting from -8 (both 18
// bytes: f16 d, then qs[16] with weight j in the low nibble of qs[j] and
// weight j + 16 in its high nibble), so a matrix takes Q4_0's interleaved
// layout (q4_0x4.ts: groups of 72 bytes, scale codes and four chunks of
// nibbles) and x4_signed.ts's kernels, which look the nibbles up and dot the
// signed values as Q8_0's. As llama.cpp repacks IQ4_NL on ARM ("IQ4_NL 4x4").
//
// No index has the value 0, so a zero scale cannot be written as an all-zero
// block as Q4_0 does: a matrix with a zero d (or one the codes cannot hold)
// keeps the plain layout.
//
// Results are bit-identical to vecDotIQ4_NLQ8_0Scalar on the original rows:
// exact integer block sums, (d * da) * isum per block, each row's blocks added
// into four partial sums by block index mod 4, then (l0 + l1) + (l2 + l3).

import { matVecSignedX4, matMatSignedX4 } from './x4_signed';
import { scaleFits } from './x4_scales';
import { repackQ4_0x4 } from './q4_0x4';

const QB: usize = 18;

/** 1 if every one of the nb IQ4_NL blocks at w has a nonzero scale with a code. */
export function iq4_nlx4Fits(w: usize, nb: i32): i32 {
  for (let i = 0; i < nb; i++) {
    const h = <u32>load<u16>(w + <usize>i * QB);
    if (!scaleFits(h) || (h & 0x7fff) == 0) return 0;
  }
  return 1;
}

/**
 * Writes rows [r0, r1) (multiples of 4) of the plain IQ4_NL matrix at src
 * (rows of n values) to dst in the interleaved layout, at the same byte
 * offsets; the caller checks iq4_nlx4Fits first.
 */
export function repackIQ4_NLx4(r0: i32, r1: i32, src: usize, dst: usize, n: i32): void {
  repackQ4_0x4(r0, r1, src, dst, n);
}

/** Matrix x vector over rows [r0, r1) (multiples of 4) of an interleaved IQ4_NL matrix: out[r] = dot(row r, y). */
export function matVecIQ4_NLx4(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  matVecSignedX4(r0, r1, w, n, y, out, true);
}

/** Matrix x matrix (prefill) over an interleaved IQ4_NL matrix: out[t * outStride + r] = dot(row r, activation row t). */
export function matMatIQ4_NLx4(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  matMatSignedX4(r0, r1, w, n, y, yStride, nTok, out, outStride, true);
}
