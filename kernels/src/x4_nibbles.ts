// The kernels of the interleaved 32-weight nibble layouts: Q4_0 (q4_0x4.ts,
// groups of 72 bytes) and Q5_0 (q5_0x4.ts, 88 bytes). Both hold, per group of
// four rows and one block, the rows' scale codes at +0 (x4_scales.ts) and four
// 16-byte chunks of nibbles, chunk s holding qs[4s .. 4s + 3] of rows 0..3;
// Q5_0 also holds 16 high-bit bytes at +8, byte 4r + k with bit c = the fifth
// bit of row r's weight 4c + k, and its chunks follow them at +24. The `five`
// argument picks the layout; it is a constant at every call, so each build
// compiles one straight path per layout.
//
// Chunk c (0..7) of a group is weights 4c .. 4c + 3 of each row: the low
// nibbles of qs chunk c for c < 4, the high nibbles of chunk c - 4 after. Its
// quants q (0..15, or 0..31 with the fifth bit) are the relaxed dot's 7-bit
// operand; the dot chains start from -8 * sum(a) (-16 * sum(a) for Q5_0, both
// in the activation row, q8_act.ts) to offset them. The widening path
// (SIMD128 build) offsets q first.
//
// Results are bit-identical to the family's scalar reference on the original
// rows: exact integer block sums, the family's float product per block
// ((isum * d) * da for Q4_0, (d * da) * isum for Q5_0), each row's blocks
// added into four partial sums by block index mod 4, then (l0 + l1) + (l2 + l3).

import { touchFrom, touchAhead, keepAlive } from './common';
import { decodeScales, SCALE_MASK, SCALE_BIAS_BITS } from './x4_scales';

let NIBBLE_MASK: v128 = i8x16.splat(0x0f);
let FIFTH_BIT: v128 = i8x16.splat(0x10);
let EIGHT: v128 = i8x16.splat(8);
let SIXTEEN: v128 = i8x16.splat(16);

/** Bytes of one group. */
// @ts-ignore: decorator
@inline function groupBytes(five: bool): usize {
  return five ? 88 : 72;
}

/** Offset of a group's first nibble chunk. */
// @ts-ignore: decorator
@inline function chunksAt(five: bool): usize {
  return five ? 24 : 8;
}

/** Bytes of one row of n weights (Q4_0: 18 per block, Q5_0: 22). */
// @ts-ignore: decorator
@inline function rowBytesOf(n: i32, five: bool): usize {
  return <usize>(n >> 5) * (five ? 22 : 18);
}

/** Chunk c of a group from its qs chunk v (chunk c & 3) and high-bit bytes hb: raw quants for the relaxed dot, offset ones for the widening path. */
// @ts-ignore: decorator
@inline function chunkWeights(v: v128, hb: v128, c: i32, five: bool, m: v128, bit: v128, off: v128): v128 {
  let q = c < 4 ? v128.and(v, m) : v128.and(i16x8.shr_u(v, 4), m);
  if (five) {
    // Bit c of each byte to bit 4; 16-bit shifts, since a byte's bit 4 only ever comes from that byte.
    const h = c < 4 ? i16x8.shl(hb, 4 - c) : c == 4 ? hb : i16x8.shr_u(hb, c - 4);
    q = v128.or(q, v128.and(h, bit));
  }
  return ASC_FEATURE_RELAXED_SIMD ? q : i8x16.sub(q, off);
}

/**
 * Exact [isum row 0 .. isum row 3] of one group against the block's 32
 * activations at a, from its eight chunks (q4_kx4.ts uses it too). Relaxed:
 * sum(q * a) plus init's lanes, which start a chain. Widening (init unused): i16
 * lanes add eight products of at most 16 * 127 each, then pairs widen and
 * rows gather.
 */
// @ts-ignore: decorator
@inline export function groupSums(
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, a: usize, init: v128,
): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // Two chains of four: each dot-add waits for the one before it (about 5
    // cycles on x64), so one chain of eight would leave the multipliers idle.
    const zero = i32x4.splat(0);
    let lo = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a), w0, init);
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
  return gatherRows(lo, hi);
}

/** Four rows' value of block b for one activation row y, in the family's float order. */
// @ts-ignore: decorator
@inline function groupValue(
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128,
  dw: v128, y: usize, b: i32, n: i32, nb: i32, five: bool,
): v128 {
  // The offsets of block b: off8 or off16 (q8_act.ts).
  const offset = y + 3 * <usize>n + ((<usize>(five ? 4 : 3) * <usize>nb + <usize>b) << 2);
  const isum = groupSums(w0, w1, w2, w3, w4, w5, w6, w7, y + (<usize>b << 5), ASC_FEATURE_RELAXED_SIMD ? v128.load32_splat(offset) : dw);
  const da = v128.load32_splat(y + <usize>n + (<usize>b << 2));
  if (five) return f32x4.mul(f32x4.mul(dw, da), f32x4.convert_i32x4_s(isum));
  return f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(isum), dw), da);
}

/** One group's value (quadDot's term for block b), unpacking its chunks itself. */
// @ts-ignore: decorator
@inline function groupTerm(x: usize, y: usize, b: i32, n: i32, nb: i32, five: bool, m: v128, bit: v128, off: v128, sm: v128, sb: v128): v128 {
  const g = x + <usize>b * groupBytes(five);
  const q = g + chunksAt(five);
  const v0 = v128.load(q), v1 = v128.load(q, 16), v2 = v128.load(q, 32), v3 = v128.load(q, 48);
  const hb = five ? v128.load(g, 8) : m;
  return groupValue(
    chunkWeights(v0, hb, 0, five, m, bit, off), chunkWeights(v1, hb, 1, five, m, bit, off),
    chunkWeights(v2, hb, 2, five, m, bit, off), chunkWeights(v3, hb, 3, five, m, bit, off),
    chunkWeights(v0, hb, 4, five, m, bit, off), chunkWeights(v1, hb, 5, five, m, bit, off),
    chunkWeights(v2, hb, 6, five, m, bit, off), chunkWeights(v3, hb, 7, five, m, bit, off),
    decodeScales(g, sm, sb), y, b, n, nb, five,
  );
}

/** Four rows' dot with one activation row (the quad at x), as f32x4 lanes = rows. */
// @ts-ignore: decorator
@inline function quadDot(n: i32, x: usize, y: usize, five: bool, m: v128, bit: v128, off: v128, sm: v128, sb: v128): v128 {
  const nb = n >> 5;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    acc0 = f32x4.add(acc0, groupTerm(x, y, b, n, nb, five, m, bit, off, sm, sb));
    acc1 = f32x4.add(acc1, groupTerm(x, y, b + 1, n, nb, five, m, bit, off, sm, sb));
    acc2 = f32x4.add(acc2, groupTerm(x, y, b + 2, n, nb, five, m, bit, off, sm, sb));
    acc3 = f32x4.add(acc3, groupTerm(x, y, b + 3, n, nb, five, m, bit, off, sm, sb));
  }
  // The last nb % 4 blocks go to the partial sums 0, 1, 2 in turn.
  if (b < nb) acc0 = f32x4.add(acc0, groupTerm(x, y, b, n, nb, five, m, bit, off, sm, sb));
  if (b + 1 < nb) acc1 = f32x4.add(acc1, groupTerm(x, y, b + 1, n, nb, five, m, bit, off, sm, sb));
  if (b + 2 < nb) acc2 = f32x4.add(acc2, groupTerm(x, y, b + 2, n, nb, five, m, bit, off, sm, sb));
  return f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
}

/** Matrix x vector over rows [r0, r1) (multiples of 4) of an interleaved matrix: out[r] = dot(row r, y). */
// @ts-ignore: decorator
@inline export function matVecX4(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize, five: bool): void {
  const rowBytes = rowBytesOf(n, five);
  const m = NIBBLE_MASK, bit = FIFTH_BIT, off = five ? SIXTEEN : EIGHT, sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  let sink = i32x4.splat(0);
  let r = r0;
  if (!five || ASC_FEATURE_RELAXED_SIMD) {
    // Quad i of the range pairs with quad i + half: two streams, each reading
    // up its own pages (adjacent quads would interleave two streams inside
    // one page, which held SmolLM2's 1536 x 576 matrices back 20%). No
    // touches: inside decode the relaxed build's pairs stream faster without
    // them (common.ts); the SIMD128 build's were measured only without.
    const half = ((r1 - r0) >> 3) << 2;
    for (; r < r0 + half; r += 4) {
      const x = w + <usize>r * rowBytes;
      pairDot(n, x, x + <usize>half * rowBytes, y, m, sm, sb, out + (<usize>r << 2), out + (<usize>(r + half) << 2), five);
    }
    r += half;
  }
  touchFrom(w, r, r1, rowBytes);
  for (; r < r1; r += 4) {
    const x = w + <usize>r * rowBytes;
    sink = touchAhead(sink, x);
    v128.store(out + (<usize>r << 2), quadDot(n, x, y, five, m, bit, off, sm, sb));
  }
  keepAlive(sink, out, n);
}

/** B's term of the last pairTerm: AssemblyScript has no multiple returns, and a global costs one store and one load. */
let pairTermB: v128 = i32x4.splat(0);

/** Dot-adds chunk v's low nibbles with the activation splat s into acc. */
// @ts-ignore: decorator
@inline function lowDot(v: v128, s: v128, acc: v128, m: v128): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(s, v128.and(v, m), acc);
}

/** Dot-adds chunk v's high nibbles with the activation splat s into acc. */
// @ts-ignore: decorator
@inline function highDot(v: v128, s: v128, acc: v128, m: v128): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(s, v128.and(i16x8.shr_u(v, 4), m), acc);
}

/** Widening: four rows' products of chunk v's nibbles (high ones if high) less 8 with the activations s, into the i16 sums lo (rows 0, 1) and, returned, hi (rows 2, 3). */
// @ts-ignore: decorator
@inline function wideLo(v: v128, s: v128, lo: v128, m: v128, off: v128, high: bool): v128 {
  return i16x8.add(lo, i16x8.extmul_low_i8x16_s(i8x16.sub(v128.and(high ? i16x8.shr_u(v, 4) : v, m), off), s));
}
// @ts-ignore: decorator
@inline function wideHi(v: v128, s: v128, hi: v128, m: v128, off: v128, high: bool): v128 {
  return i16x8.add(hi, i16x8.extmul_high_i8x16_s(i8x16.sub(v128.and(high ? i16x8.shr_u(v, 4) : v, m), off), s));
}

/** Widening: the rows' i32 sums from their i16 sums lo (rows 0, 1) and hi (rows 2, 3). */
// @ts-ignore: decorator
@inline function gatherRows(lo: v128, hi: v128): v128 {
  const l = i32x4.extadd_pairwise_i16x8_s(lo), h = i32x4.extadd_pairwise_i16x8_s(hi);
  return i32x4.add(v128.shuffle<u32>(l, h, 0, 2, 4, 6), v128.shuffle<u32>(l, h, 1, 3, 5, 7));
}

/**
 * Block b's value for two quads at xa and xb (A's returned, B's in
 * pairTermB), each as groupValue computes it, with every activation load
 * shared by both: fewer instructions per weight byte let one core keep more
 * lines in flight from memory.
 */
// @ts-ignore: decorator
@inline function pairTerm(xa: usize, xb: usize, y: usize, b: i32, n: i32, nb: i32, m: v128, sm: v128, sb: v128, five: bool): v128 {
  // Q5_0 pairs only in the relaxed build (matVecX4 keeps the SIMD128 build's single).
  if (five) return ASC_FEATURE_RELAXED_SIMD ? pairTermQ5(xa, xb, y, b, n, nb, m, FIFTH_BIT, sm, sb) : unreachable();
  if (!ASC_FEATURE_RELAXED_SIMD) return pairTermWide(xa, xb, y, b, n, m, EIGHT, sm, sb);
  const ga = xa + <usize>b * 72, gb = xb + <usize>b * 72, a = y + (<usize>b << 5);
  const init = v128.load32_splat(y + 3 * <usize>n + ((3 * <usize>nb + <usize>b) << 2)), zero = i32x4.splat(0);
  let sl = v128.load32_splat(a), sh = v128.load32_splat(a, 16);
  let va = v128.load(ga, 8), vb = v128.load(gb, 8);
  let loA = lowDot(va, sl, init, m), hiA = highDot(va, sh, zero, m), loB = lowDot(vb, sl, init, m), hiB = highDot(vb, sh, zero, m);
  sl = v128.load32_splat(a, 4); sh = v128.load32_splat(a, 20); va = v128.load(ga, 24); vb = v128.load(gb, 24);
  loA = lowDot(va, sl, loA, m); hiA = highDot(va, sh, hiA, m); loB = lowDot(vb, sl, loB, m); hiB = highDot(vb, sh, hiB, m);
  sl = v128.load32_splat(a, 8); sh = v128.load32_splat(a, 24); va = v128.load(ga, 40); vb = v128.load(gb, 40);
  loA = lowDot(va, sl, loA, m); hiA = highDot(va, sh, hiA, m); loB = lowDot(vb, sl, loB, m); hiB = highDot(vb, sh, hiB, m);
  sl = v128.load32_splat(a, 12); sh = v128.load32_splat(a, 28); va = v128.load(ga, 56); vb = v128.load(gb, 56);
  loA = lowDot(va, sl, loA, m); hiA = highDot(va, sh, hiA, m); loB = lowDot(vb, sl, loB, m); hiB = highDot(vb, sh, hiB, m);
  const da = v128.load32_splat(y + <usize>n + (<usize>b << 2));
  pairTermB = f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(loB, hiB)), decodeScales(gb, sm, sb)), da);
  return f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(loA, hiA)), decodeScales(ga, sm, sb)), da);
}

/** Relaxed: acc + the dot of Q5_0 chunk c (from qs chunk v and high bits hb) with the activation splat s. */
// @ts-ignore: decorator
@inline function fiveDot(v: v128, hb: v128, c: i32, s: v128, acc: v128, m: v128, bit: v128): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(s, chunkWeights(v, hb, c, true, m, bit, SIXTEEN), acc);
}

/** pairTerm for Q5_0 quads (relaxed build). */
// @ts-ignore: decorator
@inline function pairTermQ5(xa: usize, xb: usize, y: usize, b: i32, n: i32, nb: i32, m: v128, bit: v128, sm: v128, sb: v128): v128 {
  const ga = xa + <usize>b * 88, gb = xb + <usize>b * 88, a = y + (<usize>b << 5);
  const hA = v128.load(ga, 8), hB = v128.load(gb, 8);
  let loA = v128.load32_splat(y + 3 * <usize>n + ((4 * <usize>nb + <usize>b) << 2)), loB = loA, hiA = i32x4.splat(0), hiB = hiA;
  let sl: v128, sh: v128, va: v128, vb: v128;
  sl = v128.load32_splat(a, 0); sh = v128.load32_splat(a, 16); va = v128.load(ga, 24); vb = v128.load(gb, 24);
  loA = fiveDot(va, hA, 0, sl, loA, m, bit); hiA = fiveDot(va, hA, 4, sh, hiA, m, bit); loB = fiveDot(vb, hB, 0, sl, loB, m, bit); hiB = fiveDot(vb, hB, 4, sh, hiB, m, bit);
  sl = v128.load32_splat(a, 4); sh = v128.load32_splat(a, 20); va = v128.load(ga, 40); vb = v128.load(gb, 40);
  loA = fiveDot(va, hA, 1, sl, loA, m, bit); hiA = fiveDot(va, hA, 5, sh, hiA, m, bit); loB = fiveDot(vb, hB, 1, sl, loB, m, bit); hiB = fiveDot(vb, hB, 5, sh, hiB, m, bit);
  sl = v128.load32_splat(a, 8); sh = v128.load32_splat(a, 24); va = v128.load(ga, 56); vb = v128.load(gb, 56);
  loA = fiveDot(va, hA, 2, sl, loA, m, bit); hiA = fiveDot(va, hA, 6, sh, hiA, m, bit); loB = fiveDot(vb, hB, 2, sl, loB, m, bit); hiB = fiveDot(vb, hB, 6, sh, hiB, m, bit);
  sl = v128.load32_splat(a, 12); sh = v128.load32_splat(a, 28); va = v128.load(ga, 72); vb = v128.load(gb, 72);
  loA = fiveDot(va, hA, 3, sl, loA, m, bit); hiA = fiveDot(va, hA, 7, sh, hiA, m, bit); loB = fiveDot(vb, hB, 3, sl, loB, m, bit); hiB = fiveDot(vb, hB, 7, sh, hiB, m, bit);
  const da = v128.load32_splat(y + <usize>n + (<usize>b << 2));
  pairTermB = f32x4.mul(f32x4.mul(decodeScales(gb, sm, sb), da), f32x4.convert_i32x4_s(i32x4.add(loB, hiB)));
  return f32x4.mul(f32x4.mul(decodeScales(ga, sm, sb), da), f32x4.convert_i32x4_s(i32x4.add(loA, hiA)));
}

/** pairTerm on the widening path (SIMD128 build). */
// @ts-ignore: decorator
@inline function pairTermWide(xa: usize, xb: usize, y: usize, b: i32, n: i32, m: v128, off: v128, sm: v128, sb: v128): v128 {
  const ga = xa + <usize>b * 72, gb = xb + <usize>b * 72, a = y + (<usize>b << 5);
  let lA = i16x8.splat(0), hA = lA, lB = lA, hB = lA;
  let va = v128.load(ga, 8), vb = v128.load(gb, 8), s = v128.load32_splat(a);
  lA = wideLo(va, s, lA, m, off, false); hA = wideHi(va, s, hA, m, off, false); lB = wideLo(vb, s, lB, m, off, false); hB = wideHi(vb, s, hB, m, off, false);
  s = v128.load32_splat(a, 16);
  lA = wideLo(va, s, lA, m, off, true); hA = wideHi(va, s, hA, m, off, true); lB = wideLo(vb, s, lB, m, off, true); hB = wideHi(vb, s, hB, m, off, true);
  va = v128.load(ga, 24); vb = v128.load(gb, 24); s = v128.load32_splat(a, 4);
  lA = wideLo(va, s, lA, m, off, false); hA = wideHi(va, s, hA, m, off, false); lB = wideLo(vb, s, lB, m, off, false); hB = wideHi(vb, s, hB, m, off, false);
  s = v128.load32_splat(a, 20);
  lA = wideLo(va, s, lA, m, off, true); hA = wideHi(va, s, hA, m, off, true); lB = wideLo(vb, s, lB, m, off, true); hB = wideHi(vb, s, hB, m, off, true);
  va = v128.load(ga, 40); vb = v128.load(gb, 40); s = v128.load32_splat(a, 8);
  lA = wideLo(va, s, lA, m, off, false); hA = wideHi(va, s, hA, m, off, false); lB = wideLo(vb, s, lB, m, off, false); hB = wideHi(vb, s, hB, m, off, false);
  s = v128.load32_splat(a, 24);
  lA = wideLo(va, s, lA, m, off, true); hA = wideHi(va, s, hA, m, off, true); lB = wideLo(vb, s, lB, m, off, true); hB = wideHi(vb, s, hB, m, off, true);
  va = v128.load(ga, 56); vb = v128.load(gb, 56); s = v128.load32_splat(a, 12);
  lA = wideLo(va, s, lA, m, off, false); hA = wideHi(va, s, hA, m, off, false); lB = wideLo(vb, s, lB, m, off, false); hB = wideHi(vb, s, hB, m, off, false);
  s = v128.load32_splat(a, 28);
  lA = wideLo(va, s, lA, m, off, true); hA = wideHi(va, s, hA, m, off, true); lB = wideLo(vb, s, lB, m, off, true); hB = wideHi(vb, s, hB, m, off, true);
  const da = v128.load32_splat(y + <usize>n + (<usize>b << 2));
  pairTermB = f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(gatherRows(lB, hB)), decodeScales(gb, sm, sb)), da);
  return f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(gatherRows(lA, hA)), decodeScales(ga, sm, sb)), da);
}

/** quadDot for the quads at xa and xb, stored at oa and ob. */
// @ts-ignore: decorator
@inline function pairDot(n: i32, xa: usize, xb: usize, y: usize, m: v128, sm: v128, sb: v128, oa: usize, ob: usize, five: bool): void {
  const nb = n >> 5;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    a0 = f32x4.add(a0, pairTerm(xa, xb, y, b, n, nb, m, sm, sb, five)); b0 = f32x4.add(b0, pairTermB);
    a1 = f32x4.add(a1, pairTerm(xa, xb, y, b + 1, n, nb, m, sm, sb, five)); b1 = f32x4.add(b1, pairTermB);
    a2 = f32x4.add(a2, pairTerm(xa, xb, y, b + 2, n, nb, m, sm, sb, five)); b2 = f32x4.add(b2, pairTermB);
    a3 = f32x4.add(a3, pairTerm(xa, xb, y, b + 3, n, nb, m, sm, sb, five)); b3 = f32x4.add(b3, pairTermB);
  }
  // The last nb % 4 blocks go to the partial sums 0, 1, 2 in turn.
  if (b < nb) { a0 = f32x4.add(a0, pairTerm(xa, xb, y, b, n, nb, m, sm, sb, five)); b0 = f32x4.add(b0, pairTermB); }
  if (b + 1 < nb) { a1 = f32x4.add(a1, pairTerm(xa, xb, y, b + 1, n, nb, m, sm, sb, five)); b1 = f32x4.add(b1, pairTermB); }
  if (b + 2 < nb) { a2 = f32x4.add(a2, pairTerm(xa, xb, y, b + 2, n, nb, m, sm, sb, five)); b2 = f32x4.add(b2, pairTermB); }
  v128.store(oa, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  v128.store(ob, f32x4.add(f32x4.add(b0, b1), f32x4.add(b2, b3)));
}

/**
 * Matrix x matrix (prefill) over an interleaved matrix: out[t * outStride +
 * r] = dot(row r, activation row t). Eight tokens (relaxed build), then four,
 * then one share each group's unpacked chunks and converted scales.
 */
// @ts-ignore: decorator
@inline export function matMatX4(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32, five: bool): void {
  const rowBytes = rowBytesOf(n, five);
  const oStride = <usize>outStride << 2;
  const ys = <usize>yStride;
  const m = NIBBLE_MASK, bit = FIFTH_BIT, off = five ? SIXTEEN : EIGHT, sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  for (let r = r0; r < r1; r += 4) {
    const x = w + <usize>r * rowBytes;
    let t = 0;
    // The widening path (SIMD128 build) gains nothing from eight: its time goes to the multiplies.
    if (ASC_FEATURE_RELAXED_SIMD) for (; t + 8 <= nTok; t += 8) {
      const o = out + <usize>t * oStride + (<usize>r << 2);
      if (five) quadDot8Q5_0(n, x, y + <usize>t * ys, ys, o, oStride);
      else quadDot8Q4_0(n, x, y + <usize>t * ys, ys, o, oStride);
    }
    for (; t + 4 <= nTok; t += 4) {
      const o = out + <usize>t * oStride + (<usize>r << 2);
      if (five) quadDot4Q5_0(n, x, y + <usize>t * ys, ys, o, oStride);
      else quadDot4Q4_0(n, x, y + <usize>t * ys, ys, o, oStride);
    }
    for (; t < nTok; t++) v128.store(out + <usize>t * oStride + (<usize>r << 2), quadDot(n, x, y + <usize>t * ys, five, m, bit, off, sm, sb));
  }
}

function quadDot8Q4_0(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  quadDotTile(n, x, y, yStride, o, oStride, false, true);
}

function quadDot8Q5_0(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  quadDotTile(n, x, y, yStride, o, oStride, true, true);
}

function quadDot4Q4_0(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  quadDotTile(n, x, y, yStride, o, oStride, false, false);
}

function quadDot4Q5_0(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  quadDotTile(n, x, y, yStride, o, oStride, true, false);
}

/**
 * quadDot for eight (or four) activation rows yStride apart, stored oStride
 * apart; same sums, same order. The partial sums do not fit the registers;
 * four blocks per pass, each with its own partial sums written out, keep V8
 * from reloading all of them at every block (1.17x over a branch on b % 4).
 * Eight tokens share each unpacked group twice as widely as four: TinyLlama
 * Q4_0 prefill 1.09x, Qwen2.5 Q4_K_M (mostly Q5_0) 1.11x.
 */
// @ts-ignore: decorator
@inline function quadDotTile(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize, five: bool, eight: bool): void {
  const nb = n >> 5;
  const m = NIBBLE_MASK, bit = FIFTH_BIT, off = five ? SIXTEEN : EIGHT, sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  const gb = groupBytes(five), at = chunksAt(five);
  const y1 = y + yStride, y2 = y1 + yStride, y3 = y2 + yStride, y4 = y3 + yStride, y5 = y4 + yStride, y6 = y5 + yStride, y7 = y6 + yStride;
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a22 = f32x4.splat(0), a23 = f32x4.splat(0);
  let a30 = f32x4.splat(0), a31 = f32x4.splat(0), a32 = f32x4.splat(0), a33 = f32x4.splat(0);
  let a40 = f32x4.splat(0), a41 = f32x4.splat(0), a42 = f32x4.splat(0), a43 = f32x4.splat(0);
  let a50 = f32x4.splat(0), a51 = f32x4.splat(0), a52 = f32x4.splat(0), a53 = f32x4.splat(0);
  let a60 = f32x4.splat(0), a61 = f32x4.splat(0), a62 = f32x4.splat(0), a63 = f32x4.splat(0);
  let a70 = f32x4.splat(0), a71 = f32x4.splat(0), a72 = f32x4.splat(0), a73 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    let g = x + <usize>b * gb, q = g + at;
    let v0: v128, v1: v128, v2: v128, v3: v128, hb: v128, w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, dw: v128;
    v0 = v128.load(q); v1 = v128.load(q, 16); v2 = v128.load(q, 32); v3 = v128.load(q, 48);
    hb = five ? v128.load(g, 8) : m;
    w0 = chunkWeights(v0, hb, 0, five, m, bit, off); w1 = chunkWeights(v1, hb, 1, five, m, bit, off);
    w2 = chunkWeights(v2, hb, 2, five, m, bit, off); w3 = chunkWeights(v3, hb, 3, five, m, bit, off);
    w4 = chunkWeights(v0, hb, 4, five, m, bit, off); w5 = chunkWeights(v1, hb, 5, five, m, bit, off);
    w6 = chunkWeights(v2, hb, 6, five, m, bit, off); w7 = chunkWeights(v3, hb, 7, five, m, bit, off);
    dw = decodeScales(g, sm, sb);
    a00 = f32x4.add(a00, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y, b, n, nb, five));
    a10 = f32x4.add(a10, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y1, b, n, nb, five));
    a20 = f32x4.add(a20, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y2, b, n, nb, five));
    a30 = f32x4.add(a30, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y3, b, n, nb, five));
    if (eight) {
      a40 = f32x4.add(a40, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y4, b, n, nb, five));
      a50 = f32x4.add(a50, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y5, b, n, nb, five));
      a60 = f32x4.add(a60, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y6, b, n, nb, five));
      a70 = f32x4.add(a70, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y7, b, n, nb, five));
    }
    g += gb; q += gb;
    v0 = v128.load(q); v1 = v128.load(q, 16); v2 = v128.load(q, 32); v3 = v128.load(q, 48);
    hb = five ? v128.load(g, 8) : m;
    w0 = chunkWeights(v0, hb, 0, five, m, bit, off); w1 = chunkWeights(v1, hb, 1, five, m, bit, off);
    w2 = chunkWeights(v2, hb, 2, five, m, bit, off); w3 = chunkWeights(v3, hb, 3, five, m, bit, off);
    w4 = chunkWeights(v0, hb, 4, five, m, bit, off); w5 = chunkWeights(v1, hb, 5, five, m, bit, off);
    w6 = chunkWeights(v2, hb, 6, five, m, bit, off); w7 = chunkWeights(v3, hb, 7, five, m, bit, off);
    dw = decodeScales(g, sm, sb);
    a01 = f32x4.add(a01, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y, b + 1, n, nb, five));
    a11 = f32x4.add(a11, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y1, b + 1, n, nb, five));
    a21 = f32x4.add(a21, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y2, b + 1, n, nb, five));
    a31 = f32x4.add(a31, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y3, b + 1, n, nb, five));
    if (eight) {
      a41 = f32x4.add(a41, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y4, b + 1, n, nb, five));
      a51 = f32x4.add(a51, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y5, b + 1, n, nb, five));
      a61 = f32x4.add(a61, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y6, b + 1, n, nb, five));
      a71 = f32x4.add(a71, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y7, b + 1, n, nb, five));
    }
    g += gb; q += gb;
    v0 = v128.load(q); v1 = v128.load(q, 16); v2 = v128.load(q, 32); v3 = v128.load(q, 48);
    hb = five ? v128.load(g, 8) : m;
    w0 = chunkWeights(v0, hb, 0, five, m, bit, off); w1 = chunkWeights(v1, hb, 1, five, m, bit, off);
    w2 = chunkWeights(v2, hb, 2, five, m, bit, off); w3 = chunkWeights(v3, hb, 3, five, m, bit, off);
    w4 = chunkWeights(v0, hb, 4, five, m, bit, off); w5 = chunkWeights(v1, hb, 5, five, m, bit, off);
    w6 = chunkWeights(v2, hb, 6, five, m, bit, off); w7 = chunkWeights(v3, hb, 7, five, m, bit, off);
    dw = decodeScales(g, sm, sb);
    a02 = f32x4.add(a02, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y, b + 2, n, nb, five));
    a12 = f32x4.add(a12, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y1, b + 2, n, nb, five));
    a22 = f32x4.add(a22, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y2, b + 2, n, nb, five));
    a32 = f32x4.add(a32, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y3, b + 2, n, nb, five));
    if (eight) {
      a42 = f32x4.add(a42, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y4, b + 2, n, nb, five));
      a52 = f32x4.add(a52, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y5, b + 2, n, nb, five));
      a62 = f32x4.add(a62, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y6, b + 2, n, nb, five));
      a72 = f32x4.add(a72, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y7, b + 2, n, nb, five));
    }
    g += gb; q += gb;
    v0 = v128.load(q); v1 = v128.load(q, 16); v2 = v128.load(q, 32); v3 = v128.load(q, 48);
    hb = five ? v128.load(g, 8) : m;
    w0 = chunkWeights(v0, hb, 0, five, m, bit, off); w1 = chunkWeights(v1, hb, 1, five, m, bit, off);
    w2 = chunkWeights(v2, hb, 2, five, m, bit, off); w3 = chunkWeights(v3, hb, 3, five, m, bit, off);
    w4 = chunkWeights(v0, hb, 4, five, m, bit, off); w5 = chunkWeights(v1, hb, 5, five, m, bit, off);
    w6 = chunkWeights(v2, hb, 6, five, m, bit, off); w7 = chunkWeights(v3, hb, 7, five, m, bit, off);
    dw = decodeScales(g, sm, sb);
    a03 = f32x4.add(a03, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y, b + 3, n, nb, five));
    a13 = f32x4.add(a13, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y1, b + 3, n, nb, five));
    a23 = f32x4.add(a23, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y2, b + 3, n, nb, five));
    a33 = f32x4.add(a33, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y3, b + 3, n, nb, five));
    if (eight) {
      a43 = f32x4.add(a43, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y4, b + 3, n, nb, five));
      a53 = f32x4.add(a53, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y5, b + 3, n, nb, five));
      a63 = f32x4.add(a63, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y6, b + 3, n, nb, five));
      a73 = f32x4.add(a73, groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y7, b + 3, n, nb, five));
    }
  }
  // The last nb % 4 blocks go to the partial sums 0, 1, 2 in turn.
  for (; b < nb; b++) {
    const g = x + <usize>b * gb, q = g + at;
    const v0 = v128.load(q), v1 = v128.load(q, 16), v2 = v128.load(q, 32), v3 = v128.load(q, 48);
    const hb = five ? v128.load(g, 8) : m;
    const w0 = chunkWeights(v0, hb, 0, five, m, bit, off), w1 = chunkWeights(v1, hb, 1, five, m, bit, off);
    const w2 = chunkWeights(v2, hb, 2, five, m, bit, off), w3 = chunkWeights(v3, hb, 3, five, m, bit, off);
    const w4 = chunkWeights(v0, hb, 4, five, m, bit, off), w5 = chunkWeights(v1, hb, 5, five, m, bit, off);
    const w6 = chunkWeights(v2, hb, 6, five, m, bit, off), w7 = chunkWeights(v3, hb, 7, five, m, bit, off);
    const dw = decodeScales(g, sm, sb);
    const t0 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y, b, n, nb, five);
    const t1 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y1, b, n, nb, five);
    const t2 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y2, b, n, nb, five);
    const t3 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y3, b, n, nb, five);
    const lane = b & 3;
    if (lane == 0) { a00 = f32x4.add(a00, t0); a10 = f32x4.add(a10, t1); a20 = f32x4.add(a20, t2); a30 = f32x4.add(a30, t3); }
    else if (lane == 1) { a01 = f32x4.add(a01, t0); a11 = f32x4.add(a11, t1); a21 = f32x4.add(a21, t2); a31 = f32x4.add(a31, t3); }
    else { a02 = f32x4.add(a02, t0); a12 = f32x4.add(a12, t1); a22 = f32x4.add(a22, t2); a32 = f32x4.add(a32, t3); }
    if (eight) {
      const t4 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y4, b, n, nb, five);
      const t5 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y5, b, n, nb, five);
      const t6 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y6, b, n, nb, five);
      const t7 = groupValue(w0, w1, w2, w3, w4, w5, w6, w7, dw, y7, b, n, nb, five);
      if (lane == 0) { a40 = f32x4.add(a40, t4); a50 = f32x4.add(a50, t5); a60 = f32x4.add(a60, t6); a70 = f32x4.add(a70, t7); }
      else if (lane == 1) { a41 = f32x4.add(a41, t4); a51 = f32x4.add(a51, t5); a61 = f32x4.add(a61, t6); a71 = f32x4.add(a71, t7); }
      else { a42 = f32x4.add(a42, t4); a52 = f32x4.add(a52, t5); a62 = f32x4.add(a62, t6); a72 = f32x4.add(a72, t7); }
    }
  }
  v128.store(o, f32x4.add(f32x4.add(a00, a01), f32x4.add(a02, a03)));
  v128.store(o + oStride, f32x4.add(f32x4.add(a10, a11), f32x4.add(a12, a13)));
  v128.store(o + 2 * oStride, f32x4.add(f32x4.add(a20, a21), f32x4.add(a22, a23)));
  v128.store(o + 3 * oStride, f32x4.add(f32x4.add(a30, a31), f32x4.add(a32, a33)));
  if (!eight) return;
  v128.store(o + 4 * oStride, f32x4.add(f32x4.add(a40, a41), f32x4.add(a42, a43)));
  v128.store(o + 5 * oStride, f32x4.add(f32x4.add(a50, a51), f32x4.add(a52, a53)));
  v128.store(o + 6 * oStride, f32x4.add(f32x4.add(a60, a61), f32x4.add(a62, a63)));
  v128.store(o + 7 * oStride, f32x4.add(f32x4.add(a70, a71), f32x4.add(a72, a73)));
}
