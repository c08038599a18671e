// The kernels of the interleaved layouts whose weights are signed bytes:
// Q8_0 (q8_0x4.ts, groups of 136 bytes: scale codes, then eight 16-byte
// chunks, chunk s = weights 4s .. 4s + 3 of rows 0..3) and IQ4_NL
// (iq4_nlx4.ts, Q4_0's groups of 72 bytes, q4_0x4.ts: four chunks of nibble
// indexes, looked up in ggml's table with one swizzle per chunk of eight).
// The `nl` argument picks the layout; it is a constant at every call, so each
// build compiles one straight path per layout.
//
// Relaxed build: signed weights do not fit the relaxed dot's 7-bit operand, so
// they meet the activation's positive and negative parts (q8_act.ts, each
// 0..127), broadcast four bytes at a time: sum(w * a) = sum(w * pos) -
// sum(w * neg), i32x4.relaxed_dot_i8x16_i7x16_add_s summing each row's four
// products into its lane. Exact for every weight, -128 included. Widening
// path (SIMD128 build): products of i8 pairs, each pair of products widened
// to i32, rows gathered at the end of the group.
//
// Results are bit-identical to the family's scalar reference on the original
// rows: exact integer block sums, the family's float product per block
// ((isum * d) * da for Q8_0, (d * da) * isum for IQ4_NL), each row's blocks
// added into four partial sums by block index mod 4, then (l0 + l1) + (l2 + l3).

import { touchFrom, touchAhead, keepAlive } from './common';
import { decodeScales, SCALE_MASK, SCALE_BIAS_BITS } from './x4_scales';

let NIBBLE_MASK: v128 = i8x16.splat(0x0f);
// ggml's kvalues_iq4nl (iq4_nl.ts).
let NL_VALUES: v128 = i8x16(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

/** Bytes of one group. */
// @ts-ignore: decorator
@inline function groupBytes(nl: bool): usize {
  return nl ? 72 : 136;
}

/** Bytes of one row of n weights (Q8_0: 34 per block, IQ4_NL: 18). */
// @ts-ignore: decorator
@inline function rowBytesOf(n: i32, nl: bool): usize {
  return <usize>(n >> 5) * (nl ? 18 : 34);
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

/** Exact [isum row 0 .. isum row 3] of chunks v0..v7 (weights 4s .. 4s + 3 in chunk s) against block b of the activation row y. */
// @ts-ignore: decorator
@inline function groupSums(
  v0: v128, v1: v128, v2: v128, v3: v128, v4: v128, v5: v128, v6: v128, v7: v128, y: usize, b: i32, n: i32, nb: i32,
): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // Four chains of four dot-adds (one chain would wait on each one's latency, x4_nibbles.ts).
    const pos = y + <usize>n + 12 * <usize>nb + (<usize>b << 5);
    const neg = pos + <usize>n;
    const zero = i32x4.splat(0);
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
  let a = v128.load32_splat(qs);
  lo = chunkLo(v0, a, lo); hi = chunkHi(v0, a, hi);
  a = v128.load32_splat(qs, 4);
  lo = chunkLo(v1, a, lo); hi = chunkHi(v1, a, hi);
  a = v128.load32_splat(qs, 8);
  lo = chunkLo(v2, a, lo); hi = chunkHi(v2, a, hi);
  a = v128.load32_splat(qs, 12);
  lo = chunkLo(v3, a, lo); hi = chunkHi(v3, a, hi);
  a = v128.load32_splat(qs, 16);
  lo = chunkLo(v4, a, lo); hi = chunkHi(v4, a, hi);
  a = v128.load32_splat(qs, 20);
  lo = chunkLo(v5, a, lo); hi = chunkHi(v5, a, hi);
  a = v128.load32_splat(qs, 24);
  lo = chunkLo(v6, a, lo); hi = chunkHi(v6, a, hi);
  a = v128.load32_splat(qs, 28);
  lo = chunkLo(v7, a, lo); hi = chunkHi(v7, a, hi);
  return gatherPairs(lo, hi);
}

/** IQ4_NL: the table values of the nibble indexes idx. */
// @ts-ignore: decorator
@inline function lookup(idx: v128, t: v128): v128 {
  // Indexes are 0..15, where relaxed_swizzle is defined (and x86 skips the fix-up for larger ones).
  return ASC_FEATURE_RELAXED_SIMD ? i8x16.relaxed_swizzle(t, idx) : i8x16.swizzle(t, idx);
}

/** Four rows' value of block b for activation row y from their isum and scales d, in the family's float order. */
// @ts-ignore: decorator
@inline function blockValue(isum: v128, d: v128, y: usize, b: i32, n: i32, nl: bool): v128 {
  const da = v128.load32_splat(y + <usize>n + (<usize>b << 2));
  if (nl) return f32x4.mul(f32x4.mul(d, da), f32x4.convert_i32x4_s(isum));
  return f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(isum), d), da);
}

/**
 * Chunk s (weights 4s .. 4s + 3 of the four rows) of the group at g, given
 * its bytes at +8 + 16 (s & 3) in c: Q8_0's chunks 0..3 are those bytes and
 * 4..7 the next four; IQ4_NL's low and high nibbles of c index the table.
 */
// @ts-ignore: decorator
@inline function chunkAt(g: usize, s: i32, c: v128, nl: bool, m: v128, t: v128): v128 {
  if (!nl) return s < 4 ? c : v128.load(g + 8 + (<usize>s << 4));
  return lookup(s < 4 ? v128.and(c, m) : v128.and(i16x8.shr_u(c, 4), m), t);
}

/** Four rows' value of block b for activation row y from the block's chunks and scales d. */
// @ts-ignore: decorator
@inline function groupValue(
  v0: v128, v1: v128, v2: v128, v3: v128, v4: v128, v5: v128, v6: v128, v7: v128, d: v128, y: usize, b: i32, n: i32, nb: i32, nl: bool,
): v128 {
  return blockValue(groupSums(v0, v1, v2, v3, v4, v5, v6, v7, y, b, n, nb), d, y, b, n, nl);
}

/** Four rows' value of block b for activation row y. */
// @ts-ignore: decorator
@inline function groupTerm(x: usize, y: usize, b: i32, n: i32, nb: i32, nl: bool, m: v128, t: v128, sm: v128, sb: v128): v128 {
  const g = x + <usize>b * groupBytes(nl);
  const c0 = v128.load(g, 8), c1 = v128.load(g, 24), c2 = v128.load(g, 40), c3 = v128.load(g, 56);
  return groupValue(
    chunkAt(g, 0, c0, nl, m, t), chunkAt(g, 1, c1, nl, m, t), chunkAt(g, 2, c2, nl, m, t), chunkAt(g, 3, c3, nl, m, t),
    chunkAt(g, 4, c0, nl, m, t), chunkAt(g, 5, c1, nl, m, t), chunkAt(g, 6, c2, nl, m, t), chunkAt(g, 7, c3, nl, m, t),
    decodeScales(g, sm, sb), y, b, n, nb, nl,
  );
}

/** Four rows' dot with one activation row (the quad at x), as f32x4 lanes = rows. */
// @ts-ignore: decorator
@inline function quadDot(n: i32, x: usize, y: usize, nl: bool): v128 {
  const nb = n >> 5;
  const m = NIBBLE_MASK, t = NL_VALUES, sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    acc0 = f32x4.add(acc0, groupTerm(x, y, b, n, nb, nl, m, t, sm, sb));
    acc1 = f32x4.add(acc1, groupTerm(x, y, b + 1, n, nb, nl, m, t, sm, sb));
    acc2 = f32x4.add(acc2, groupTerm(x, y, b + 2, n, nb, nl, m, t, sm, sb));
    acc3 = f32x4.add(acc3, groupTerm(x, y, b + 3, n, nb, nl, m, t, sm, sb));
  }
  // The last nb % 4 blocks go to the partial sums 0, 1, 2 in turn.
  if (b < nb) acc0 = f32x4.add(acc0, groupTerm(x, y, b, n, nb, nl, m, t, sm, sb));
  if (b + 1 < nb) acc1 = f32x4.add(acc1, groupTerm(x, y, b + 1, n, nb, nl, m, t, sm, sb));
  if (b + 2 < nb) acc2 = f32x4.add(acc2, groupTerm(x, y, b + 2, n, nb, nl, m, t, sm, sb));
  return f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
}

/** Matrix x vector over rows [r0, r1) (multiples of 4) of an interleaved matrix: out[r] = dot(row r, y). */
// @ts-ignore: decorator
@inline export function matVecSignedX4(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize, nl: bool): void {
  const rowBytes = rowBytesOf(n, nl);
  let sink = i32x4.splat(0);
  let r = r0;
  if (!nl) {
    // Quad i of the range pairs with quad i + half, as x4_nibbles.ts pairs Q4_0's.
    const half = ((r1 - r0) >> 3) << 2;
    for (; r < r0 + half; r += 4) {
      const x = w + <usize>r * rowBytes;
      pairDotQ8_0(n, x, x + <usize>half * rowBytes, y, out + (<usize>r << 2), out + (<usize>(r + half) << 2));
    }
    r += half;
  }
  touchFrom(w, r, r1, rowBytes);
  for (; r < r1; r += 4) {
    const x = w + <usize>r * rowBytes;
    // The relaxed build's Q8_0 groups stream faster from memory without the
    // touches (9.8 -> 11 GB/s); the SIMD128 build's widening path needs them.
    if (nl || !ASC_FEATURE_RELAXED_SIMD) sink = touchAhead(sink, x);
    v128.store(out + (<usize>r << 2), quadDot(n, x, y, nl));
  }
  keepAlive(sink, out, n);
}

/** B's term of the last pairTermQ8_0: AssemblyScript has no multiple returns, and a global costs one store and one load. */
let pairTermB: v128 = i32x4.splat(0);

/** Relaxed: acc + the dot of chunk v with the broadcast activation part s. */
// @ts-ignore: decorator
@inline function splatDot(v: v128, s: v128, acc: v128): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(v, s, acc);
}

/**
 * Block b's value for two Q8_0 quads at xa and xb (A's returned, B's in
 * pairTermB), each as groupTerm computes it, with every activation load
 * shared by both (relaxed build): fewer instructions per weight byte let one
 * core keep more lines in flight from memory (x4_nibbles.ts pairs Q4_0 quads).
 */
// @ts-ignore: decorator
@inline function pairTermQ8_0(xa: usize, xb: usize, y: usize, b: i32, n: i32, nb: i32, sm: v128, sb: v128): v128 {
  if (!ASC_FEATURE_RELAXED_SIMD) return pairTermQ8_0Wide(xa, xb, y, b, n, sm, sb);
  const ga = xa + <usize>b * 136, gb = xb + <usize>b * 136;
  const pos = y + <usize>n + 12 * <usize>nb + (<usize>b << 5), neg = pos + <usize>n;
  let pA = i32x4.splat(0), nA = pA, pB = pA, nB = pA;
  // Written out: as a loop over the eight chunks, 3% slower from memory.
  let p = v128.load32_splat(pos), q = v128.load32_splat(neg), va = v128.load(ga, 8), vb = v128.load(gb, 8);
  pA = splatDot(va, p, pA); nA = splatDot(va, q, nA); pB = splatDot(vb, p, pB); nB = splatDot(vb, q, nB);
  p = v128.load32_splat(pos, 4); q = v128.load32_splat(neg, 4); va = v128.load(ga, 24); vb = v128.load(gb, 24);
  pA = splatDot(va, p, pA); nA = splatDot(va, q, nA); pB = splatDot(vb, p, pB); nB = splatDot(vb, q, nB);
  p = v128.load32_splat(pos, 8); q = v128.load32_splat(neg, 8); va = v128.load(ga, 40); vb = v128.load(gb, 40);
  pA = splatDot(va, p, pA); nA = splatDot(va, q, nA); pB = splatDot(vb, p, pB); nB = splatDot(vb, q, nB);
  p = v128.load32_splat(pos, 12); q = v128.load32_splat(neg, 12); va = v128.load(ga, 56); vb = v128.load(gb, 56);
  pA = splatDot(va, p, pA); nA = splatDot(va, q, nA); pB = splatDot(vb, p, pB); nB = splatDot(vb, q, nB);
  p = v128.load32_splat(pos, 16); q = v128.load32_splat(neg, 16); va = v128.load(ga, 72); vb = v128.load(gb, 72);
  pA = splatDot(va, p, pA); nA = splatDot(va, q, nA); pB = splatDot(vb, p, pB); nB = splatDot(vb, q, nB);
  p = v128.load32_splat(pos, 20); q = v128.load32_splat(neg, 20); va = v128.load(ga, 88); vb = v128.load(gb, 88);
  pA = splatDot(va, p, pA); nA = splatDot(va, q, nA); pB = splatDot(vb, p, pB); nB = splatDot(vb, q, nB);
  p = v128.load32_splat(pos, 24); q = v128.load32_splat(neg, 24); va = v128.load(ga, 104); vb = v128.load(gb, 104);
  pA = splatDot(va, p, pA); nA = splatDot(va, q, nA); pB = splatDot(vb, p, pB); nB = splatDot(vb, q, nB);
  p = v128.load32_splat(pos, 28); q = v128.load32_splat(neg, 28); va = v128.load(ga, 120); vb = v128.load(gb, 120);
  pA = splatDot(va, p, pA); nA = splatDot(va, q, nA); pB = splatDot(vb, p, pB); nB = splatDot(vb, q, nB);
  pairTermB = blockValue(i32x4.sub(pB, nB), decodeScales(gb, sm, sb), y, b, n, false);
  return blockValue(i32x4.sub(pA, nA), decodeScales(ga, sm, sb), y, b, n, false);
}

/** pairTermQ8_0 on the widening path (SIMD128 build), written out as groupSums' is. */
// @ts-ignore: decorator
@inline function pairTermQ8_0Wide(xa: usize, xb: usize, y: usize, b: i32, n: i32, sm: v128, sb: v128): v128 {
  const ga = xa + <usize>b * 136, gb = xb + <usize>b * 136, qs = y + (<usize>b << 5);
  let lA = i32x4.splat(0), hA = lA, lB = lA, hB = lA, va: v128, vb: v128, a: v128;
  va = v128.load(ga, 8); vb = v128.load(gb, 8); a = v128.load32_splat(qs, 0);
  lA = chunkLo(va, a, lA); hA = chunkHi(va, a, hA); lB = chunkLo(vb, a, lB); hB = chunkHi(vb, a, hB);
  va = v128.load(ga, 24); vb = v128.load(gb, 24); a = v128.load32_splat(qs, 4);
  lA = chunkLo(va, a, lA); hA = chunkHi(va, a, hA); lB = chunkLo(vb, a, lB); hB = chunkHi(vb, a, hB);
  va = v128.load(ga, 40); vb = v128.load(gb, 40); a = v128.load32_splat(qs, 8);
  lA = chunkLo(va, a, lA); hA = chunkHi(va, a, hA); lB = chunkLo(vb, a, lB); hB = chunkHi(vb, a, hB);
  va = v128.load(ga, 56); vb = v128.load(gb, 56); a = v128.load32_splat(qs, 12);
  lA = chunkLo(va, a, lA); hA = chunkHi(va, a, hA); lB = chunkLo(vb, a, lB); hB = chunkHi(vb, a, hB);
  va = v128.load(ga, 72); vb = v128.load(gb, 72); a = v128.load32_splat(qs, 16);
  lA = chunkLo(va, a, lA); hA = chunkHi(va, a, hA); lB = chunkLo(vb, a, lB); hB = chunkHi(vb, a, hB);
  va = v128.load(ga, 88); vb = v128.load(gb, 88); a = v128.load32_splat(qs, 20);
  lA = chunkLo(va, a, lA); hA = chunkHi(va, a, hA); lB = chunkLo(vb, a, lB); hB = chunkHi(vb, a, hB);
  va = v128.load(ga, 104); vb = v128.load(gb, 104); a = v128.load32_splat(qs, 24);
  lA = chunkLo(va, a, lA); hA = chunkHi(va, a, hA); lB = chunkLo(vb, a, lB); hB = chunkHi(vb, a, hB);
  va = v128.load(ga, 120); vb = v128.load(gb, 120); a = v128.load32_splat(qs, 28);
  lA = chunkLo(va, a, lA); hA = chunkHi(va, a, hA); lB = chunkLo(vb, a, lB); hB = chunkHi(vb, a, hB);
  pairTermB = blockValue(gatherPairs(lB, hB), decodeScales(gb, sm, sb), y, b, n, false);
  return blockValue(gatherPairs(lA, hA), decodeScales(ga, sm, sb), y, b, n, false);
}

/** Widening: the rows' sums from the pair sums lo (rows 0, 1) and hi (rows 2, 3). */
// @ts-ignore: decorator
@inline function gatherPairs(lo: v128, hi: v128): v128 {
  return i32x4.add(v128.shuffle<u32>(lo, hi, 0, 2, 4, 6), v128.shuffle<u32>(lo, hi, 1, 3, 5, 7));
}

/** quadDot for the Q8_0 quads at xa and xb, stored at oa and ob. */
// @ts-ignore: decorator
@inline function pairDotQ8_0(n: i32, xa: usize, xb: usize, y: usize, oa: usize, ob: usize): void {
  const nb = n >> 5;
  const sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    a0 = f32x4.add(a0, pairTermQ8_0(xa, xb, y, b, n, nb, sm, sb)); b0 = f32x4.add(b0, pairTermB);
    a1 = f32x4.add(a1, pairTermQ8_0(xa, xb, y, b + 1, n, nb, sm, sb)); b1 = f32x4.add(b1, pairTermB);
    a2 = f32x4.add(a2, pairTermQ8_0(xa, xb, y, b + 2, n, nb, sm, sb)); b2 = f32x4.add(b2, pairTermB);
    a3 = f32x4.add(a3, pairTermQ8_0(xa, xb, y, b + 3, n, nb, sm, sb)); b3 = f32x4.add(b3, pairTermB);
  }
  // The last nb % 4 blocks go to the partial sums 0, 1, 2 in turn.
  if (b < nb) { a0 = f32x4.add(a0, pairTermQ8_0(xa, xb, y, b, n, nb, sm, sb)); b0 = f32x4.add(b0, pairTermB); }
  if (b + 1 < nb) { a1 = f32x4.add(a1, pairTermQ8_0(xa, xb, y, b + 1, n, nb, sm, sb)); b1 = f32x4.add(b1, pairTermB); }
  if (b + 2 < nb) { a2 = f32x4.add(a2, pairTermQ8_0(xa, xb, y, b + 2, n, nb, sm, sb)); b2 = f32x4.add(b2, pairTermB); }
  v128.store(oa, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  v128.store(ob, f32x4.add(f32x4.add(b0, b1), f32x4.add(b2, b3)));
}

/**
 * Matrix x matrix (prefill) over an interleaved matrix: out[t * outStride +
 * r] = dot(row r, activation row t). Eight tokens (relaxed build), then four,
 * then one share each group's chunks (loaded, or looked up for IQ4_NL) and
 * decoded scales.
 */
// @ts-ignore: decorator
@inline export function matMatSignedX4(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32, nl: bool): void {
  const rowBytes = rowBytesOf(n, nl);
  const oStride = <usize>outStride << 2;
  const ys = <usize>yStride;
  for (let r = r0; r < r1; r += 4) {
    const x = w + <usize>r * rowBytes;
    let t = 0;
    if (ASC_FEATURE_RELAXED_SIMD) for (; t + 8 <= nTok; t += 8) {
      const o = out + <usize>t * oStride + (<usize>r << 2);
      if (nl) quadDot8NL(n, x, y + <usize>t * ys, ys, o, oStride);
      else quadDot8Q8_0(n, x, y + <usize>t * ys, ys, o, oStride);
    }
    for (; t + 4 <= nTok; t += 4) {
      const o = out + <usize>t * oStride + (<usize>r << 2);
      if (nl) quadDot4NL(n, x, y + <usize>t * ys, ys, o, oStride);
      else quadDot4Q8_0(n, x, y + <usize>t * ys, ys, o, oStride);
    }
    for (; t < nTok; t++) v128.store(out + <usize>t * oStride + (<usize>r << 2), quadDot(n, x, y + <usize>t * ys, nl));
  }
}

function quadDot8NL(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  quadDotTile(n, x, y, yStride, o, oStride, true, true);
}

function quadDot8Q8_0(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  quadDotTile(n, x, y, yStride, o, oStride, false, true);
}

function quadDot4NL(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  quadDotTile(n, x, y, yStride, o, oStride, true, false);
}

function quadDot4Q8_0(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  quadDotTile(n, x, y, yStride, o, oStride, false, false);
}

/**
 * quadDot for eight (or four) activation rows yStride apart, stored oStride
 * apart; same sums, same order. Four blocks per pass, each with its own
 * partial sums written out, as x4_nibbles.ts's quadDotTile (Q8_0 prefill
 * 1.15x over one token at a time, 1.2x over a branch on b % 4).
 */
// @ts-ignore: decorator
@inline function quadDotTile(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize, nl: bool, eight: bool): void {
  const nb = n >> 5;
  const m = NIBBLE_MASK, t = NL_VALUES, sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  const gb = groupBytes(nl);
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
    let g = x + <usize>b * gb;
    let c0: v128, c1: v128, c2: v128, c3: v128, v0: v128, v1: v128, v2: v128, v3: v128, v4: v128, v5: v128, v6: v128, v7: v128, d: v128;
    c0 = v128.load(g, 8); c1 = v128.load(g, 24); c2 = v128.load(g, 40); c3 = v128.load(g, 56);
    v0 = chunkAt(g, 0, c0, nl, m, t); v1 = chunkAt(g, 1, c1, nl, m, t); v2 = chunkAt(g, 2, c2, nl, m, t); v3 = chunkAt(g, 3, c3, nl, m, t);
    v4 = chunkAt(g, 4, c0, nl, m, t); v5 = chunkAt(g, 5, c1, nl, m, t); v6 = chunkAt(g, 6, c2, nl, m, t); v7 = chunkAt(g, 7, c3, nl, m, t);
    d = decodeScales(g, sm, sb);
    a00 = f32x4.add(a00, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y, b, n, nb, nl));
    a10 = f32x4.add(a10, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y1, b, n, nb, nl));
    a20 = f32x4.add(a20, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y2, b, n, nb, nl));
    a30 = f32x4.add(a30, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y3, b, n, nb, nl));
    if (eight) {
      a40 = f32x4.add(a40, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y4, b, n, nb, nl));
      a50 = f32x4.add(a50, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y5, b, n, nb, nl));
      a60 = f32x4.add(a60, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y6, b, n, nb, nl));
      a70 = f32x4.add(a70, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y7, b, n, nb, nl));
    }
    g += gb;
    c0 = v128.load(g, 8); c1 = v128.load(g, 24); c2 = v128.load(g, 40); c3 = v128.load(g, 56);
    v0 = chunkAt(g, 0, c0, nl, m, t); v1 = chunkAt(g, 1, c1, nl, m, t); v2 = chunkAt(g, 2, c2, nl, m, t); v3 = chunkAt(g, 3, c3, nl, m, t);
    v4 = chunkAt(g, 4, c0, nl, m, t); v5 = chunkAt(g, 5, c1, nl, m, t); v6 = chunkAt(g, 6, c2, nl, m, t); v7 = chunkAt(g, 7, c3, nl, m, t);
    d = decodeScales(g, sm, sb);
    a01 = f32x4.add(a01, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y, b + 1, n, nb, nl));
    a11 = f32x4.add(a11, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y1, b + 1, n, nb, nl));
    a21 = f32x4.add(a21, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y2, b + 1, n, nb, nl));
    a31 = f32x4.add(a31, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y3, b + 1, n, nb, nl));
    if (eight) {
      a41 = f32x4.add(a41, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y4, b + 1, n, nb, nl));
      a51 = f32x4.add(a51, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y5, b + 1, n, nb, nl));
      a61 = f32x4.add(a61, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y6, b + 1, n, nb, nl));
      a71 = f32x4.add(a71, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y7, b + 1, n, nb, nl));
    }
    g += gb;
    c0 = v128.load(g, 8); c1 = v128.load(g, 24); c2 = v128.load(g, 40); c3 = v128.load(g, 56);
    v0 = chunkAt(g, 0, c0, nl, m, t); v1 = chunkAt(g, 1, c1, nl, m, t); v2 = chunkAt(g, 2, c2, nl, m, t); v3 = chunkAt(g, 3, c3, nl, m, t);
    v4 = chunkAt(g, 4, c0, nl, m, t); v5 = chunkAt(g, 5, c1, nl, m, t); v6 = chunkAt(g, 6, c2, nl, m, t); v7 = chunkAt(g, 7, c3, nl, m, t);
    d = decodeScales(g, sm, sb);
    a02 = f32x4.add(a02, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y, b + 2, n, nb, nl));
    a12 = f32x4.add(a12, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y1, b + 2, n, nb, nl));
    a22 = f32x4.add(a22, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y2, b + 2, n, nb, nl));
    a32 = f32x4.add(a32, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y3, b + 2, n, nb, nl));
    if (eight) {
      a42 = f32x4.add(a42, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y4, b + 2, n, nb, nl));
      a52 = f32x4.add(a52, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y5, b + 2, n, nb, nl));
      a62 = f32x4.add(a62, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y6, b + 2, n, nb, nl));
      a72 = f32x4.add(a72, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y7, b + 2, n, nb, nl));
    }
    g += gb;
    c0 = v128.load(g, 8); c1 = v128.load(g, 24); c2 = v128.load(g, 40); c3 = v128.load(g, 56);
    v0 = chunkAt(g, 0, c0, nl, m, t); v1 = chunkAt(g, 1, c1, nl, m, t); v2 = chunkAt(g, 2, c2, nl, m, t); v3 = chunkAt(g, 3, c3, nl, m, t);
    v4 = chunkAt(g, 4, c0, nl, m, t); v5 = chunkAt(g, 5, c1, nl, m, t); v6 = chunkAt(g, 6, c2, nl, m, t); v7 = chunkAt(g, 7, c3, nl, m, t);
    d = decodeScales(g, sm, sb);
    a03 = f32x4.add(a03, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y, b + 3, n, nb, nl));
    a13 = f32x4.add(a13, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y1, b + 3, n, nb, nl));
    a23 = f32x4.add(a23, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y2, b + 3, n, nb, nl));
    a33 = f32x4.add(a33, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y3, b + 3, n, nb, nl));
    if (eight) {
      a43 = f32x4.add(a43, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y4, b + 3, n, nb, nl));
      a53 = f32x4.add(a53, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y5, b + 3, n, nb, nl));
      a63 = f32x4.add(a63, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y6, b + 3, n, nb, nl));
      a73 = f32x4.add(a73, groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y7, b + 3, n, nb, nl));
    }
  }
  // The last nb % 4 blocks go to the partial sums 0, 1, 2 in turn.
  for (; b < nb; b++) {
    const g = x + <usize>b * gb;
    const c0 = v128.load(g, 8), c1 = v128.load(g, 24), c2 = v128.load(g, 40), c3 = v128.load(g, 56);
    const v0 = chunkAt(g, 0, c0, nl, m, t), v1 = chunkAt(g, 1, c1, nl, m, t), v2 = chunkAt(g, 2, c2, nl, m, t), v3 = chunkAt(g, 3, c3, nl, m, t);
    const v4 = chunkAt(g, 4, c0, nl, m, t), v5 = chunkAt(g, 5, c1, nl, m, t), v6 = chunkAt(g, 6, c2, nl, m, t), v7 = chunkAt(g, 7, c3, nl, m, t);
    const d = decodeScales(g, sm, sb);
    const lane = b & 3;
    const t0 = groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y, b, n, nb, nl);
    const t1 = groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y1, b, n, nb, nl);
    const t2 = groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y2, b, n, nb, nl);
    const t3 = groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y3, b, n, nb, nl);
    if (lane == 0) { a00 = f32x4.add(a00, t0); a10 = f32x4.add(a10, t1); a20 = f32x4.add(a20, t2); a30 = f32x4.add(a30, t3); }
    else if (lane == 1) { a01 = f32x4.add(a01, t0); a11 = f32x4.add(a11, t1); a21 = f32x4.add(a21, t2); a31 = f32x4.add(a31, t3); }
    else { a02 = f32x4.add(a02, t0); a12 = f32x4.add(a12, t1); a22 = f32x4.add(a22, t2); a32 = f32x4.add(a32, t3); }
    if (eight) {
      const t4 = groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y4, b, n, nb, nl);
      const t5 = groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y5, b, n, nb, nl);
      const t6 = groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y6, b, n, nb, nl);
      const t7 = groupValue(v0, v1, v2, v3, v4, v5, v6, v7, d, y7, b, n, nb, nl);
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
