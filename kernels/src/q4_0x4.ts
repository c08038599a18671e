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
// high nibbles weights 4s + 16 .. 4s + 19. The matrix keeps its size.
//
// Scales are stored as codes that convert in three instructions
// (x4_scales.ts); a matrix with a scale that has none (|d| >= 256, infinite,
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

import { touchFrom, touchAhead, keepAlive } from './common';
import { scaleFits, scaleCode, decodeScales, SCALE_MASK, SCALE_BIAS_BITS, packCodes, zeroCodeLanes, transpose0, transpose1, transpose2, transpose3 } from './x4_scales';

const QB: usize = 18;
const GB: usize = 72;

/** 1 if every one of the nb Q4_0 blocks at w has a scale with a code. */
export function q4_0x4Fits(w: usize, nb: i32): i32 {
  for (let i = 0; i < nb; i++) if (!scaleFits(load<u16>(w + <usize>i * QB))) return 0;
  return 1;
}

/**
 * Writes rows [r0, r1) (multiples of 4) of the plain Q4_0 matrix at src
 * (rows of n values) to dst in the interleaved layout, at the same byte
 * offsets; the caller checks q4_0x4Fits first.
 */
export function repackQ4_0x4(r0: i32, r1: i32, src: usize, dst: usize, n: i32): void {
  const nb = n >> 5;
  const rowBytes = <usize>nb * QB;
  for (let r = r0; r < r1; r += 4) {
    const quad = <usize>r * rowBytes;
    for (let b = 0; b < nb; b++) {
      const p0 = src + quad + <usize>b * QB, p1 = p0 + rowBytes, p2 = p1 + rowBytes, p3 = p2 + rowBytes;
      const c0 = scaleCode(load<u16>(p0)), c1 = scaleCode(load<u16>(p1)), c2 = scaleCode(load<u16>(p2)), c3 = scaleCode(load<u16>(p3));
      const g = dst + quad + <usize>b * GB;
      store<u64>(g, packCodes(c0, c1, c2, c3));
      const q0 = v128.load(p0, 2), q1 = v128.load(p1, 2), q2 = v128.load(p2, 2), q3 = v128.load(p3, 2);
      let s0 = transpose0(q0, q1, q2, q3), s1 = transpose1(q0, q1, q2, q3), s2 = transpose2(q0, q1, q2, q3), s3 = transpose3(q0, q1, q2, q3);
      if (c0 == 0 || c1 == 0 || c2 == 0 || c3 == 0) {
        const zero = zeroCodeLanes(c0, c1, c2, c3), eights = i8x16.splat(<i8>0x88);
        s0 = v128.bitselect(eights, s0, zero); s1 = v128.bitselect(eights, s1, zero);
        s2 = v128.bitselect(eights, s2, zero); s3 = v128.bitselect(eights, s3, zero);
      }
      v128.store(g, s0, 8); v128.store(g, s1, 24); v128.store(g, s2, 40); v128.store(g, s3, 56);
    }
  }
}

let NIBBLE_MASK: v128 = i8x16.splat(0x0f);
let EIGHT: v128 = i8x16.splat(8);

/** Chunk v's low (weights 4s..) or high (4s + 16..) nibbles: raw 0..15 for the relaxed dot, -8..7 for the widening path. */
// @ts-ignore: decorator
@inline function lowNibbles(v: v128, m: v128, eight: v128): v128 {
  const q = v128.and(v, m);
  return ASC_FEATURE_RELAXED_SIMD ? q : i8x16.sub(q, eight);
}
// @ts-ignore: decorator
@inline function highNibbles(v: v128, m: v128, eight: v128): v128 {
  const q = v128.and(i16x8.shr_u(v, 4), m);
  return ASC_FEATURE_RELAXED_SIMD ? q : i8x16.sub(q, eight);
}

/**
 * Exact [isum row 0 .. isum row 3] of one group against the block's 32
 * activations at a, from its eight unpacked chunks (w0 = weights 0..3 of each
 * row, w1 = 4..7, .., w7 = 28..31). Relaxed: sum(q * a), the caller takes off
 * 8 * sum(a). Widening: i16 lanes add eight products of at most 8 * 127 each,
 * then pairs widen and rows gather.
 */
// @ts-ignore: decorator
@inline function groupSums(
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, a: usize,
): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // Two chains of four: each dot-add waits for the one before it (about 5
    // cycles on x64), so one chain of eight would leave the multipliers idle.
    const zero = i32x4.splat(0);
    let lo = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a), w0, zero);
    let hi = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a, 16), w4, zero);
    lo = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a, 4), w1, lo);
    hi = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a, 20), w5, hi);
    lo = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a, 8), w2, lo);
    hi = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a, 24), w6, hi);
    lo = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a, 12), w3, lo);
    hi = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a, 28), w7, hi);
    return i32x4.add(lo, hi);
  }
  let a4 = v128.load32_splat(a);
  let lo = i16x8.extmul_low_i8x16_s(w0, a4), hi = i16x8.extmul_high_i8x16_s(w0, a4);
  a4 = v128.load32_splat(a, 4);
  lo = i16x8.add(lo, i16x8.extmul_low_i8x16_s(w1, a4)); hi = i16x8.add(hi, i16x8.extmul_high_i8x16_s(w1, a4));
  a4 = v128.load32_splat(a, 8);
  lo = i16x8.add(lo, i16x8.extmul_low_i8x16_s(w2, a4)); hi = i16x8.add(hi, i16x8.extmul_high_i8x16_s(w2, a4));
  a4 = v128.load32_splat(a, 12);
  lo = i16x8.add(lo, i16x8.extmul_low_i8x16_s(w3, a4)); hi = i16x8.add(hi, i16x8.extmul_high_i8x16_s(w3, a4));
  a4 = v128.load32_splat(a, 16);
  lo = i16x8.add(lo, i16x8.extmul_low_i8x16_s(w4, a4)); hi = i16x8.add(hi, i16x8.extmul_high_i8x16_s(w4, a4));
  a4 = v128.load32_splat(a, 20);
  lo = i16x8.add(lo, i16x8.extmul_low_i8x16_s(w5, a4)); hi = i16x8.add(hi, i16x8.extmul_high_i8x16_s(w5, a4));
  a4 = v128.load32_splat(a, 24);
  lo = i16x8.add(lo, i16x8.extmul_low_i8x16_s(w6, a4)); hi = i16x8.add(hi, i16x8.extmul_high_i8x16_s(w6, a4));
  a4 = v128.load32_splat(a, 28);
  lo = i16x8.add(lo, i16x8.extmul_low_i8x16_s(w7, a4)); hi = i16x8.add(hi, i16x8.extmul_high_i8x16_s(w7, a4));
  const l = i32x4.extadd_pairwise_i16x8_s(lo), h = i32x4.extadd_pairwise_i16x8_s(hi);
  return i32x4.add(v128.shuffle<u32>(l, h, 0, 2, 4, 6), v128.shuffle<u32>(l, h, 1, 3, 5, 7));
}

/** Four rows' value of block b for one activation row y: (isum * d) * da per lane. */
// @ts-ignore: decorator
@inline function groupValue(
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128,
  dw: v128, y: usize, b: i32, n: i32, nb: i32,
): v128 {
  let isum = groupSums(w0, w1, w2, w3, w4, w5, w6, w7, y + (<usize>b << 5));
  const dy = y + <usize>n + (<usize>b << 2);
  if (ASC_FEATURE_RELAXED_SIMD) isum = i32x4.sub(isum, i32x4.shl(v128.load32_splat(dy + (<usize>nb << 2)), 3));
  return f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(isum), dw), v128.load32_splat(dy));
}

/** One group's value (quadDot's term for block b), unpacking its nibbles itself. */
// @ts-ignore: decorator
@inline function groupTerm(x: usize, y: usize, b: i32, n: i32, nb: i32, m: v128, eight: v128, sm: v128, sb: v128): v128 {
  const g = x + <usize>b * GB;
  const v0 = v128.load(g, 8), v1 = v128.load(g, 24), v2 = v128.load(g, 40), v3 = v128.load(g, 56);
  return groupValue(
    lowNibbles(v0, m, eight), lowNibbles(v1, m, eight), lowNibbles(v2, m, eight), lowNibbles(v3, m, eight),
    highNibbles(v0, m, eight), highNibbles(v1, m, eight), highNibbles(v2, m, eight), highNibbles(v3, m, eight),
    decodeScales(g, sm, sb), y, b, n, nb,
  );
}

/** Four rows' dot with one activation row (the quad at x), as f32x4 lanes = rows. */
// @ts-ignore: decorator
@inline function quadDot(n: i32, x: usize, y: usize): v128 {
  const nb = n >> 5;
  const m = NIBBLE_MASK, eight = EIGHT;
  const sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    acc0 = f32x4.add(acc0, groupTerm(x, y, b, n, nb, m, eight, sm, sb));
    acc1 = f32x4.add(acc1, groupTerm(x, y, b + 1, n, nb, m, eight, sm, sb));
    acc2 = f32x4.add(acc2, groupTerm(x, y, b + 2, n, nb, m, eight, sm, sb));
    acc3 = f32x4.add(acc3, groupTerm(x, y, b + 3, n, nb, m, eight, sm, sb));
  }
  // The last nb % 4 blocks go to the partial sums 0, 1, 2 in turn.
  if (b < nb) acc0 = f32x4.add(acc0, groupTerm(x, y, b, n, nb, m, eight, sm, sb));
  if (b + 1 < nb) acc1 = f32x4.add(acc1, groupTerm(x, y, b + 1, n, nb, m, eight, sm, sb));
  if (b + 2 < nb) acc2 = f32x4.add(acc2, groupTerm(x, y, b + 2, n, nb, m, eight, sm, sb));
  return f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
}

/** Matrix x vector over rows [r0, r1) (multiples of 4) of an interleaved Q4_0 matrix: out[r] = dot(row r, y). */
export function matVecQ4_0x4(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
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
 * Matrix x matrix (prefill) over an interleaved Q4_0 matrix: out[t * outStride
 * + r] = dot(row r, activation row t). Four tokens share each group's
 * unpacked nibbles and converted scales.
 */
export function matMatQ4_0x4(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 5) * QB;
  const oStride = <usize>outStride << 2;
  for (let r = r0; r < r1; r += 4) {
    const x = w + <usize>r * rowBytes;
    let t = 0;
    for (; t + 4 <= nTok; t += 4) {
      quadDot4(n, x, y + <usize>t * <usize>yStride, <usize>yStride, out + <usize>t * oStride + (<usize>r << 2), oStride);
    }
    for (; t < nTok; t++) v128.store(out + <usize>t * oStride + (<usize>r << 2), quadDot(n, x, y + <usize>t * <usize>yStride));
  }
}

/**
 * quadDot for four activation rows yStride apart, stored oStride apart; same
 * sums, same order. Sixteen partial sums do not fit the registers; four
 * blocks per pass, each with its own partial sums written out, keep V8 from
 * reloading all of them at every block (1.17x over a branch on b % 4).
 */
function quadDot4(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  const nb = n >> 5;
  const m = NIBBLE_MASK, eight = EIGHT;
  const sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  const y1 = y + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a22 = f32x4.splat(0), a23 = f32x4.splat(0);
  let a30 = f32x4.splat(0), a31 = f32x4.splat(0), a32 = f32x4.splat(0), a33 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    let g = x + <usize>b * GB;
    let v0 = v128.load(g, 8), v1 = v128.load(g, 24), v2 = v128.load(g, 40), v3 = v128.load(g, 56);
    let w0 = lowNibbles(v0, m, eight), w1 = lowNibbles(v1, m, eight), w2 = lowNibbles(v2, m, eight), w3 = lowNibbles(v3, m, eight);
    let w4 = highNibbles(v0, m, eight), w5 = highNibbles(v1, m, eight), w6 = highNibbles(v2, m, eight), w7 = highNibbles(v3, m, eight);
    let dw = decodeScales(g, sm, sb);
    a00 = f32x4.add(a00, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y, b, n, nb));
    a10 = f32x4.add(a10, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y1, b, n, nb));
    a20 = f32x4.add(a20, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y2, b, n, nb));
    a30 = f32x4.add(a30, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y3, b, n, nb));
    g += GB;
    v0 = v128.load(g, 8); v1 = v128.load(g, 24); v2 = v128.load(g, 40); v3 = v128.load(g, 56);
    w0 = lowNibbles(v0, m, eight); w1 = lowNibbles(v1, m, eight); w2 = lowNibbles(v2, m, eight); w3 = lowNibbles(v3, m, eight);
    w4 = highNibbles(v0, m, eight); w5 = highNibbles(v1, m, eight); w6 = highNibbles(v2, m, eight); w7 = highNibbles(v3, m, eight);
    dw = decodeScales(g, sm, sb);
    a01 = f32x4.add(a01, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y, b + 1, n, nb));
    a11 = f32x4.add(a11, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y1, b + 1, n, nb));
    a21 = f32x4.add(a21, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y2, b + 1, n, nb));
    a31 = f32x4.add(a31, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y3, b + 1, n, nb));
    g += GB;
    v0 = v128.load(g, 8); v1 = v128.load(g, 24); v2 = v128.load(g, 40); v3 = v128.load(g, 56);
    w0 = lowNibbles(v0, m, eight); w1 = lowNibbles(v1, m, eight); w2 = lowNibbles(v2, m, eight); w3 = lowNibbles(v3, m, eight);
    w4 = highNibbles(v0, m, eight); w5 = highNibbles(v1, m, eight); w6 = highNibbles(v2, m, eight); w7 = highNibbles(v3, m, eight);
    dw = decodeScales(g, sm, sb);
    a02 = f32x4.add(a02, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y, b + 2, n, nb));
    a12 = f32x4.add(a12, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y1, b + 2, n, nb));
    a22 = f32x4.add(a22, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y2, b + 2, n, nb));
    a32 = f32x4.add(a32, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y3, b + 2, n, nb));
    g += GB;
    v0 = v128.load(g, 8); v1 = v128.load(g, 24); v2 = v128.load(g, 40); v3 = v128.load(g, 56);
    w0 = lowNibbles(v0, m, eight); w1 = lowNibbles(v1, m, eight); w2 = lowNibbles(v2, m, eight); w3 = lowNibbles(v3, m, eight);
    w4 = highNibbles(v0, m, eight); w5 = highNibbles(v1, m, eight); w6 = highNibbles(v2, m, eight); w7 = highNibbles(v3, m, eight);
    dw = decodeScales(g, sm, sb);
    a03 = f32x4.add(a03, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y, b + 3, n, nb));
    a13 = f32x4.add(a13, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y1, b + 3, n, nb));
    a23 = f32x4.add(a23, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y2, b + 3, n, nb));
    a33 = f32x4.add(a33, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y3, b + 3, n, nb));
  }
  // The last nb % 4 blocks go to the partial sums 0, 1, 2 in turn.
  for (; b < nb; b++) {
    const g = x + <usize>b * GB;
    const v0 = v128.load(g, 8), v1 = v128.load(g, 24), v2 = v128.load(g, 40), v3 = v128.load(g, 56);
    const w0 = lowNibbles(v0, m, eight), w1 = lowNibbles(v1, m, eight), w2 = lowNibbles(v2, m, eight), w3 = lowNibbles(v3, m, eight);
    const w4 = highNibbles(v0, m, eight), w5 = highNibbles(v1, m, eight), w6 = highNibbles(v2, m, eight), w7 = highNibbles(v3, m, eight);
    const dw = decodeScales(g, sm, sb);
    const t0 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y, b, n, nb);
    const t1 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y1, b, n, nb);
    const t2 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y2, b, n, nb);
    const t3 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y3, b, n, nb);
    const lane = b & 3;
    if (lane == 0) { a00 = f32x4.add(a00, t0); a10 = f32x4.add(a10, t1); a20 = f32x4.add(a20, t2); a30 = f32x4.add(a30, t3); }
    else if (lane == 1) { a01 = f32x4.add(a01, t0); a11 = f32x4.add(a11, t1); a21 = f32x4.add(a21, t2); a31 = f32x4.add(a31, t3); }
    else { a02 = f32x4.add(a02, t0); a12 = f32x4.add(a12, t1); a22 = f32x4.add(a22, t2); a32 = f32x4.add(a32, t3); }
  }
  v128.store(o, f32x4.add(f32x4.add(a00, a01), f32x4.add(a02, a03)));
  v128.store(o + oStride, f32x4.add(f32x4.add(a10, a11), f32x4.add(a12, a13)));
  v128.store(o + 2 * oStride, f32x4.add(f32x4.add(a20, a21), f32x4.add(a22, a23)));
  v128.store(o + 3 * oStride, f32x4.add(f32x4.add(a30, a31), f32x4.add(a32, a33)));
}
