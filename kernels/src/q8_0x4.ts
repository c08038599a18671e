// Q8_0 rows interleaved by four: as q4_0x4.ts, for 8-bit weights. Rows
// [4q, 4q + 4) of a Q8_0 matrix (row = nb blocks of 34 bytes, q8_0.ts) become
// one run of nb groups of 136 bytes, group b at quad + 136 * b:
//   +0        codes[4]  block b's scale of rows 0..3 (x4_scales.ts)
//   +8 + 16s  chunk     s = 0..7: weights 4s .. 4s + 3 of rows 0, 1, 2, 3
// The matrix keeps its size. A zero scale's block gets all weights 0.
//
// Relaxed build: signed weights do not fit the relaxed dot's 7-bit operand, so
// they meet the activation's positive and negative parts (q8_act.ts, each
// 0..127), broadcast four bytes at a time: sum(w * a) = sum(w * pos) -
// sum(w * neg), i32x4.relaxed_dot_i8x16_i7x16_add_s summing each row's four
// products into its lane. Exact for every weight, -128 included. Widening
// path (SIMD128 build): products of i8 pairs, each pair of products widened
// to i32, rows gathered at the end of the group.
//
// Results are bit-identical to vecDotQ8_0Q8_0Scalar on the original rows, in
// the float order q4_0x4.ts describes.

import { touchFrom, touchAhead, keepAlive } from './common';
import { blockScalesFit, decodeScales, SCALE_MASK, SCALE_BIAS_BITS, transpose0, transpose1, transpose2, transpose3, storeCodes } from './x4_scales';

const QB: usize = 34;
const GB: usize = 136;

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

/** Relaxed: acc + the dot of chunk v with the four activation parts (pos or neg) at a, broadcast. */
// @ts-ignore: decorator
@inline function chunkDot(v: v128, a: usize, acc: v128): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(v, v128.load32_splat(a), acc);
}

/** Widening: pairs of products of chunk v with the four activations at qs, rows 0..1 into lo and 2..3 into hi. */
// @ts-ignore: decorator
@inline function chunkLo(v: v128, a: v128, lo: v128): v128 {
  return i32x4.add(lo, i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_low_i8x16_s(v, a)));
}
// @ts-ignore: decorator
@inline function chunkHi(v: v128, a: v128, hi: v128): v128 {
  return i32x4.add(hi, i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_high_i8x16_s(v, a)));
}

/** Exact [isum row 0 .. isum row 3] of group g against block b of the activation row y. */
// @ts-ignore: decorator
@inline function groupSums(g: usize, y: usize, b: i32, n: i32, nb: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // Four chains of four dot-adds (one chain would wait on each one's latency, q4_0x4.ts).
    const pos = y + <usize>n + 12 * <usize>nb + (<usize>b << 5);
    const neg = pos + <usize>n;
    const zero = i32x4.splat(0);
    const v0 = v128.load(g, 8), v1 = v128.load(g, 24), v2 = v128.load(g, 40), v3 = v128.load(g, 56);
    const v4 = v128.load(g, 72), v5 = v128.load(g, 88), v6 = v128.load(g, 104), v7 = v128.load(g, 120);
    let pl = chunkDot(v0, pos, zero), ph = chunkDot(v4, pos + 16, zero);
    let nl = chunkDot(v0, neg, zero), nh = chunkDot(v4, neg + 16, zero);
    pl = chunkDot(v1, pos + 4, pl); ph = chunkDot(v5, pos + 20, ph);
    nl = chunkDot(v1, neg + 4, nl); nh = chunkDot(v5, neg + 20, nh);
    pl = chunkDot(v2, pos + 8, pl); ph = chunkDot(v6, pos + 24, ph);
    nl = chunkDot(v2, neg + 8, nl); nh = chunkDot(v6, neg + 24, nh);
    pl = chunkDot(v3, pos + 12, pl); ph = chunkDot(v7, pos + 28, ph);
    nl = chunkDot(v3, neg + 12, nl); nh = chunkDot(v7, neg + 28, nh);
    return i32x4.sub(i32x4.add(pl, ph), i32x4.add(nl, nh));
  }
  // Written out: as a loop over s the SIMD128 build's matVec was 1.17x slower.
  const qs = y + (<usize>b << 5);
  let lo = i32x4.splat(0), hi = i32x4.splat(0);
  let v = v128.load(g, 8), a = v128.load32_splat(qs);
  lo = chunkLo(v, a, lo); hi = chunkHi(v, a, hi);
  v = v128.load(g, 24); a = v128.load32_splat(qs, 4);
  lo = chunkLo(v, a, lo); hi = chunkHi(v, a, hi);
  v = v128.load(g, 40); a = v128.load32_splat(qs, 8);
  lo = chunkLo(v, a, lo); hi = chunkHi(v, a, hi);
  v = v128.load(g, 56); a = v128.load32_splat(qs, 12);
  lo = chunkLo(v, a, lo); hi = chunkHi(v, a, hi);
  v = v128.load(g, 72); a = v128.load32_splat(qs, 16);
  lo = chunkLo(v, a, lo); hi = chunkHi(v, a, hi);
  v = v128.load(g, 88); a = v128.load32_splat(qs, 20);
  lo = chunkLo(v, a, lo); hi = chunkHi(v, a, hi);
  v = v128.load(g, 104); a = v128.load32_splat(qs, 24);
  lo = chunkLo(v, a, lo); hi = chunkHi(v, a, hi);
  v = v128.load(g, 120); a = v128.load32_splat(qs, 28);
  lo = chunkLo(v, a, lo); hi = chunkHi(v, a, hi);
  return i32x4.add(v128.shuffle<u32>(lo, hi, 0, 2, 4, 6), v128.shuffle<u32>(lo, hi, 1, 3, 5, 7));
}

/** Four rows' value of block b for activation row y: (isum * d) * da per lane. */
// @ts-ignore: decorator
@inline function groupTerm(x: usize, y: usize, b: i32, n: i32, nb: i32, sm: v128, sb: v128): v128 {
  const g = x + <usize>b * GB;
  const isum = groupSums(g, y, b, n, nb);
  return f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(isum), decodeScales(g, sm, sb)), v128.load32_splat(y + <usize>n + (<usize>b << 2)));
}

/** Four rows' dot with one activation row (the quad at x), as f32x4 lanes = rows. */
// @ts-ignore: decorator
@inline function quadDot(n: i32, x: usize, y: usize): v128 {
  const nb = n >> 5;
  const sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    acc0 = f32x4.add(acc0, groupTerm(x, y, b, n, nb, sm, sb));
    acc1 = f32x4.add(acc1, groupTerm(x, y, b + 1, n, nb, sm, sb));
    acc2 = f32x4.add(acc2, groupTerm(x, y, b + 2, n, nb, sm, sb));
    acc3 = f32x4.add(acc3, groupTerm(x, y, b + 3, n, nb, sm, sb));
  }
  // The last nb % 4 blocks go to the partial sums 0, 1, 2 in turn.
  if (b < nb) acc0 = f32x4.add(acc0, groupTerm(x, y, b, n, nb, sm, sb));
  if (b + 1 < nb) acc1 = f32x4.add(acc1, groupTerm(x, y, b + 1, n, nb, sm, sb));
  if (b + 2 < nb) acc2 = f32x4.add(acc2, groupTerm(x, y, b + 2, n, nb, sm, sb));
  return f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
}

/** Matrix x vector over rows [r0, r1) (multiples of 4) of an interleaved Q8_0 matrix: out[r] = dot(row r, y). */
export function matVecQ8_0x4(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>(n >> 5) * QB;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r += 4) {
    const x = w + <usize>r * rowBytes;
    sink = touchAhead(sink, x);
    v128.store(out + (<usize>r << 2), quadDot(n, x, y));
  }
  keepAlive(sink, out, n);
}

/**
 * Matrix x matrix (prefill) over an interleaved Q8_0 matrix: out[t * outStride
 * + r] = dot(row r, activation row t). Tokens go one at a time through a
 * quad (its 4 rows stay in L1): the two dot-adds per chunk bound it, not the
 * weight loads that sharing chunks across tokens would save.
 */
export function matMatQ8_0x4(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 5) * QB;
  const oStride = <usize>outStride << 2;
  for (let r = r0; r < r1; r += 4) {
    const x = w + <usize>r * rowBytes;
    for (let t = 0; t < nTok; t++) v128.store(out + <usize>t * oStride + (<usize>r << 2), quadDot(n, x, y + <usize>t * <usize>yStride));
  }
}
