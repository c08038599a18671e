// Q6_K rows interleaved by four, as q4_kx4.ts does Q4_K: lanes of every dot
// are rows, so 16 weights of four rows take four dot-adds and one multiply by
// the rows' scales, where the plain kernel (q6_k.ts) spends a widening dot, a
// scaled i16 dot and an add per row and 16 weights.
//
// Rows [4q, 4q + 4) of a Q6_K matrix (row = nb blocks of 210 bytes, q6_k.ts)
// become one run of nb groups of 840 bytes, group b at quad + 840 * b:
//   +0          d[4]        block b's d of rows 0..3, as scale codes (x4_scales.ts)
//   +8 + 8p     pair p      p = 0..7: byte 2r + e = scales[2p + e] of row r
//   +72 + 192u  quarter u   u = 2h + e (h = half, e = 0..1), twelve chunks:
//     +16i        ql[64h + 16e + 4i .. + 3]       of rows 0, 1, 2, 3 (i = 0..3)
//     +64 + 16i   ql[64h + 32 + 16e + 4i .. + 3]  of rows 0..3
//     +128 + 16i  qh[32h + 16e + 4i .. + 3]       of rows 0..3
// So quarter u holds, for c = 0..3, sub-block j = 8h + 2c + e: its weights
// 4i .. 4i + 3 are lane r's low nibbles of the first four chunks (c = 0) or
// of the next four (c = 1), or their high nibbles (c = 2, 3), with bits 2c
// and 2c + 1 of the qh chunk on top (q6_k.ts). The chunks are read in order.
// The matrix keeps its size. A zero d gets that row's scales zeroed, so the
// code-0 value (2^-25) multiplies a zero sum. A matrix with a d the codes
// cannot hold keeps the plain layout.
//
// Results are bit-identical to vecDotQ6_KQ8_KScalar on the original rows:
// exact integer sums, isum = sum_j sc[j] * sum q * a - 32 * sum_j sc[j] *
// bsum[j], per block (d * dy) * isum, each row's blocks added into four
// partial sums by block index mod 4, then (l0 + l1) + (l2 + l3).

import { touchFrom, touchAhead, keepAlive } from './common';
import { groupSums } from './x4_nibbles';
import { blockScalesFit, decodeScales, SCALE_MASK, SCALE_BIAS_BITS, storeTransposed, storeCodes } from './x4_scales';

const QB: usize = 210;
const GB: usize = 840;

/** 1 if every one of the nb Q6_K blocks at w has a d with a code. */
export function q6_Kx4Fits(w: usize, nb: i32): i32 {
  return blockScalesFit(w + 208, nb, QB);
}

/**
 * Writes rows [r0, r1) (multiples of 4) of the plain Q6_K matrix at src
 * (rows of n values) to dst in the interleaved layout, at the same byte
 * offsets; the caller checks q6_Kx4Fits first.
 */
export function repackQ6_Kx4(r0: i32, r1: i32, src: usize, dst: usize, n: i32): void {
  const nb = n >> 8, rowBytes = <usize>nb * QB;
  for (let r = r0; r < r1; r += 4) {
    const quad = <usize>r * rowBytes;
    for (let b = 0; b < nb; b++) repackGroupQ6_K(dst + quad + <usize>b * GB, src + quad + <usize>b * QB, rowBytes);
  }
}

/** One group of repackQ6_Kx4. */
function repackGroupQ6_K(g: usize, p0: usize, rowBytes: usize): void {
  storeCodes(g, p0 + 208, rowBytes);
  for (let r: usize = 0; r < 4; r++) {
    const p = p0 + r * rowBytes;
    const zeroD = (load<u16>(p, 208) & 0x7fff) == 0;
    for (let j: usize = 0; j < 16; j++) store<i8>(g + 8 + 8 * (j >> 1) + 2 * r + (j & 1), zeroD ? 0 : load<i8>(p + 192 + j));
  }
  for (let u: usize = 0; u < 4; u++) {
    const h = u >> 1, e = u & 1, c = g + 72 + 192 * u;
    storeTransposed(c, p0, rowBytes, 64 * h + 16 * e);
    storeTransposed(c + 64, p0, rowBytes, 64 * h + 32 + 16 * e);
    storeTransposed(c + 128, p0, rowBytes, 128 + 32 * h + 16 * e);
  }
}

let NIBBLE_MASK: v128 = i8x16.splat(0x0f);
let HIGH_TWO: v128 = i8x16.splat(0x30);

/**
 * Quants (0..63) of sub-block 8h + 2c + e, weights 4i .. 4i + 3 of rows 0..3,
 * from the quarter's chunk i of ql (l: the first four for c = 0, 2, the next
 * four for c = 1, 3) and of qh (hb).
 */
// @ts-ignore: decorator
@inline function chunkQuants(l: v128, hb: v128, c: i32, m: v128, m2: v128): v128 {
  // x86 has no byte shift: 16-bit shifts, then masks that keep each byte's own bits.
  const low = c < 2 ? v128.and(l, m) : v128.and(i16x8.shr_u(l, 4), m);
  const high = c == 0 ? i16x8.shl(hb, 4) : c == 1 ? i16x8.shl(hb, 2) : c == 2 ? hb : i16x8.shr_u(hb, 2);
  return v128.or(low, v128.and(high, m2));
}

/**
 * Exact [sum q * a of row 0 .. row 3] over 16 weights: chunks w0..w3 (4 rows
 * x 4 weights each) against the activations at a .. a + 15. Relaxed: four
 * dot-adds in one chain.
 */
// @ts-ignore: decorator
@inline function sub16Sums(w0: v128, w1: v128, w2: v128, w3: v128, a: usize): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    let s = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a), w0, i32x4.splat(0));
    s = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a, 4), w1, s);
    s = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a, 8), w2, s);
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(a, 12), w3, s);
  }
  // The SIMD128 build, where the engine keeps Q6_K plain: x4_nibbles.ts's
  // widening sums, the other four chunks zero.
  const zero = i32x4.splat(0);
  return groupSums(w0, w1, w2, w3, zero, zero, zero, zero, a, zero);
}

/** Scale pair p of the group (lane r = scales[2p] | scales[2p + 1] << 16 of row r, as i16). */
// @ts-ignore: decorator
@inline function scalePair(g: usize, p: i32): v128 {
  return v128.load8x8_s(g + 8 + 8 * <usize>p);
}

/** Scale e of a scale pair, as i32 lanes. */
// @ts-ignore: decorator
@inline function scaleOf(pair: v128, e: i32): v128 {
  return e == 0 ? i32x4.shr_s(i32x4.shl(pair, 16), 16) : i32x4.shr_s(pair, 16);
}

/** sum_j scales[j] * bsum[j] of four rows, the -32 offset's factor, in i16 pairs. */
// @ts-ignore: decorator
@inline function offsetTerm(g: usize, bs: usize): v128 {
  const s0 = i32x4.add(i32x4.dot_i16x8_s(scalePair(g, 0), v128.load32_splat(bs)), i32x4.dot_i16x8_s(scalePair(g, 1), v128.load32_splat(bs, 4)));
  const s1 = i32x4.add(i32x4.dot_i16x8_s(scalePair(g, 2), v128.load32_splat(bs, 8)), i32x4.dot_i16x8_s(scalePair(g, 3), v128.load32_splat(bs, 12)));
  const s2 = i32x4.add(i32x4.dot_i16x8_s(scalePair(g, 4), v128.load32_splat(bs, 16)), i32x4.dot_i16x8_s(scalePair(g, 5), v128.load32_splat(bs, 20)));
  const s3 = i32x4.add(i32x4.dot_i16x8_s(scalePair(g, 6), v128.load32_splat(bs, 24)), i32x4.dot_i16x8_s(scalePair(g, 7), v128.load32_splat(bs, 28)));
  return i32x4.add(i32x4.add(s0, s1), i32x4.add(s2, s3));
}

/** Chunk k (0..3) of sub-block 8h + 2c + e's quants, from its quarter's chunks at q (c a constant). */
// @ts-ignore: decorator
@inline function quants(q: usize, k: usize, c: i32, m: v128, m2: v128): v128 {
  return chunkQuants(v128.load(q + (c & 1 ? 64 : 0) + 16 * k), v128.load(q + 128 + 16 * k), c, m, m2);
}

/** Offset of sub-block 8h + 2c + e's activations from its block's. */
// @ts-ignore: decorator
@inline function subOffset(h: i32, e: i32, c: i32): usize {
  return 128 * <usize>h + 32 * <usize>c + 16 * <usize>e;
}

/** sum q * a of sub-block 8h + 2c + e of four rows (quarter chunks at q), activations of the block at a. */
// @ts-ignore: decorator
@inline function subBlockSums(q: usize, a: usize, h: i32, e: i32, c: i32, m: v128, m2: v128): v128 {
  return sub16Sums(quants(q, 0, c, m, m2), quants(q, 1, c, m, m2), quants(q, 2, c, m, m2), quants(q, 3, c, m, m2), a + subOffset(h, e, c));
}

/** Four rows' value of block b from their scaled sum: (d * dy) * (isum - 32 * offset). */
// @ts-ignore: decorator
@inline function blockValue(isum: v128, g: usize, y: usize, b: i32, n: i32, nb: i32, sm: v128, sb: v128): v128 {
  const bs = y + <usize>n + (<usize>b << 5);
  const exact = i32x4.sub(isum, i32x4.shl(offsetTerm(g, bs), 5));
  const dy = v128.load32_splat(y + <usize>n + (<usize>nb << 5) + (<usize>b << 2));
  return f32x4.mul(f32x4.mul(decodeScales(g, sm, sb), dy), f32x4.convert_i32x4_s(exact));
}

/** Scaled sum of sub-block 8h + 2c + e of four rows (h, e, c constants at every call: binaryen unrolls nothing). */
// @ts-ignore: decorator
@inline function scaledSub(g: usize, a: usize, h: i32, e: i32, c: i32, m: v128, m2: v128): v128 {
  const q = g + 72 + 192 * <usize>(2 * h + e);
  return i32x4.mul(subBlockSums(q, a, h, e, c, m, m2), scaleOf(scalePair(g, 4 * h + c), e));
}

/** Scaled sums of the four sub-blocks of quarter (h, e). */
// @ts-ignore: decorator
@inline function quarterSum(g: usize, a: usize, h: i32, e: i32, m: v128, m2: v128): v128 {
  return i32x4.add(
    i32x4.add(scaledSub(g, a, h, e, 0, m, m2), scaledSub(g, a, h, e, 1, m, m2)),
    i32x4.add(scaledSub(g, a, h, e, 2, m, m2), scaledSub(g, a, h, e, 3, m, m2)),
  );
}

/** Four rows' value of block b (group g) for the activation row y. */
// @ts-ignore: decorator
@inline function groupTerm(g: usize, y: usize, b: i32, n: i32, nb: i32, m: v128, m2: v128, sm: v128, sb: v128): v128 {
  const a = y + (<usize>b << 8);
  const isum = i32x4.add(
    i32x4.add(quarterSum(g, a, 0, 0, m, m2), quarterSum(g, a, 0, 1, m, m2)),
    i32x4.add(quarterSum(g, a, 1, 0, m, m2), quarterSum(g, a, 1, 1, m, m2)),
  );
  return blockValue(isum, g, y, b, n, nb, sm, sb);
}

/** Four rows' dot with one activation row (the quad at x), as f32x4 lanes = rows. */
// @ts-ignore: decorator
@inline function quadDot(n: i32, x: usize, y: usize): v128 {
  const nb = n >> 8;
  const m = NIBBLE_MASK, m2 = HIGH_TWO, sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const v = groupTerm(x + <usize>b * GB, y, b, n, nb, m, m2, sm, sb);
    const lane = b & 3;
    if (lane == 0) acc0 = f32x4.add(acc0, v); else if (lane == 1) acc1 = f32x4.add(acc1, v);
    else if (lane == 2) acc2 = f32x4.add(acc2, v); else acc3 = f32x4.add(acc3, v);
  }
  return f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
}

/** Matrix x vector over rows [r0, r1) (multiples of 4) of an interleaved Q6_K matrix: out[r] = dot(row r, y). */
export function matVecQ6_Kx4(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>(n >> 8) * QB;
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
 * Matrix x matrix (prefill) over an interleaved Q6_K matrix: out[t * outStride
 * + r] = dot(row r, activation row t). Eight tokens (relaxed build), then
 * four, then one share each sub-block's unpacked quants and scales.
 */
export function matMatQ6_Kx4(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 8) * QB;
  const oStride = <usize>outStride << 2;
  const ys = <usize>yStride;
  for (let r = r0; r < r1; r += 4) {
    const x = w + <usize>r * rowBytes;
    let t = 0;
    if (ASC_FEATURE_RELAXED_SIMD) for (; t + 8 <= nTok; t += 8) quadDot8(n, x, y + <usize>t * ys, ys, out + <usize>t * oStride + (<usize>r << 2), oStride);
    for (; t + 4 <= nTok; t += 4) quadDot4(n, x, y + <usize>t * ys, ys, out + <usize>t * oStride + (<usize>r << 2), oStride);
    for (; t < nTok; t++) v128.store(out + <usize>t * oStride + (<usize>r << 2), quadDot(n, x, y + <usize>t * ys));
  }
}

/** Scale e (0 or 1, not a constant here) of a scale pair, as i32 lanes. */
// @ts-ignore: decorator
@inline function scaleOfVar(pair: v128, e: i32): v128 {
  return i32x4.shr_s(i32x4.shl(pair, 16 - 16 * e), 16);
}

/** acc + (sum q * a of the chunks w0..w3 against the activations at a) * sc. */
// @ts-ignore: decorator
@inline function addScaled(acc: v128, w0: v128, w1: v128, w2: v128, w3: v128, a: usize, sc: v128): v128 {
  return i32x4.add(acc, i32x4.mul(sub16Sums(w0, w1, w2, w3, a), sc));
}

function quadDot4(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  quadDotTile(n, x, y, yStride, o, oStride, false);
}

function quadDot8(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize): void {
  quadDotTile(n, x, y, yStride, o, oStride, true);
}

/** quadDot for eight (or four) activation rows yStride apart, stored oStride apart; same sums, same order. */
// @ts-ignore: decorator
@inline function quadDotTile(n: i32, x: usize, y: usize, yStride: usize, o: usize, oStride: usize, eight: bool): void {
  const nb = n >> 8;
  const m = NIBBLE_MASK, m2 = HIGH_TWO, sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  const y1 = y + yStride, y2 = y1 + yStride, y3 = y2 + yStride, y4 = y3 + yStride, y5 = y4 + yStride, y6 = y5 + yStride, y7 = y6 + yStride;
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a22 = f32x4.splat(0), a23 = f32x4.splat(0);
  let a30 = f32x4.splat(0), a31 = f32x4.splat(0), a32 = f32x4.splat(0), a33 = f32x4.splat(0);
  let a40 = f32x4.splat(0), a41 = f32x4.splat(0), a42 = f32x4.splat(0), a43 = f32x4.splat(0);
  let a50 = f32x4.splat(0), a51 = f32x4.splat(0), a52 = f32x4.splat(0), a53 = f32x4.splat(0);
  let a60 = f32x4.splat(0), a61 = f32x4.splat(0), a62 = f32x4.splat(0), a63 = f32x4.splat(0);
  let a70 = f32x4.splat(0), a71 = f32x4.splat(0), a72 = f32x4.splat(0), a73 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const g = x + <usize>b * GB;
    let i0 = i32x4.splat(0), i1 = i32x4.splat(0), i2 = i32x4.splat(0), i3 = i32x4.splat(0);
    let i4 = i32x4.splat(0), i5 = i32x4.splat(0), i6 = i32x4.splat(0), i7 = i32x4.splat(0);
    // Quarters in a loop (they differ in addresses and one shift count);
    // the four sub-blocks of each written out, since c picks the unpacking.
    for (let u = 0; u < 4; u++) {
      const h = u >> 1, e = u & 1, q = g + 72 + 192 * <usize>u;
      const ab = (<usize>b << 8) + subOffset(h, e, 0);
      let w0: v128, w1: v128, w2: v128, w3: v128, sc: v128;
      w0 = quants(q, 0, 0, m, m2); w1 = quants(q, 1, 0, m, m2); w2 = quants(q, 2, 0, m, m2); w3 = quants(q, 3, 0, m, m2);
      sc = scaleOfVar(scalePair(g, 4 * h), e);
      i0 = addScaled(i0, w0, w1, w2, w3, y + ab, sc); i1 = addScaled(i1, w0, w1, w2, w3, y1 + ab, sc);
      i2 = addScaled(i2, w0, w1, w2, w3, y2 + ab, sc); i3 = addScaled(i3, w0, w1, w2, w3, y3 + ab, sc);
      if (eight) {
        i4 = addScaled(i4, w0, w1, w2, w3, y4 + ab, sc); i5 = addScaled(i5, w0, w1, w2, w3, y5 + ab, sc);
        i6 = addScaled(i6, w0, w1, w2, w3, y6 + ab, sc); i7 = addScaled(i7, w0, w1, w2, w3, y7 + ab, sc);
      }
      w0 = quants(q, 0, 1, m, m2); w1 = quants(q, 1, 1, m, m2); w2 = quants(q, 2, 1, m, m2); w3 = quants(q, 3, 1, m, m2);
      sc = scaleOfVar(scalePair(g, 4 * h + 1), e);
      i0 = addScaled(i0, w0, w1, w2, w3, y + ab + 32, sc); i1 = addScaled(i1, w0, w1, w2, w3, y1 + ab + 32, sc);
      i2 = addScaled(i2, w0, w1, w2, w3, y2 + ab + 32, sc); i3 = addScaled(i3, w0, w1, w2, w3, y3 + ab + 32, sc);
      if (eight) {
        i4 = addScaled(i4, w0, w1, w2, w3, y4 + ab + 32, sc); i5 = addScaled(i5, w0, w1, w2, w3, y5 + ab + 32, sc);
        i6 = addScaled(i6, w0, w1, w2, w3, y6 + ab + 32, sc); i7 = addScaled(i7, w0, w1, w2, w3, y7 + ab + 32, sc);
      }
      w0 = quants(q, 0, 2, m, m2); w1 = quants(q, 1, 2, m, m2); w2 = quants(q, 2, 2, m, m2); w3 = quants(q, 3, 2, m, m2);
      sc = scaleOfVar(scalePair(g, 4 * h + 2), e);
      i0 = addScaled(i0, w0, w1, w2, w3, y + ab + 64, sc); i1 = addScaled(i1, w0, w1, w2, w3, y1 + ab + 64, sc);
      i2 = addScaled(i2, w0, w1, w2, w3, y2 + ab + 64, sc); i3 = addScaled(i3, w0, w1, w2, w3, y3 + ab + 64, sc);
      if (eight) {
        i4 = addScaled(i4, w0, w1, w2, w3, y4 + ab + 64, sc); i5 = addScaled(i5, w0, w1, w2, w3, y5 + ab + 64, sc);
        i6 = addScaled(i6, w0, w1, w2, w3, y6 + ab + 64, sc); i7 = addScaled(i7, w0, w1, w2, w3, y7 + ab + 64, sc);
      }
      w0 = quants(q, 0, 3, m, m2); w1 = quants(q, 1, 3, m, m2); w2 = quants(q, 2, 3, m, m2); w3 = quants(q, 3, 3, m, m2);
      sc = scaleOfVar(scalePair(g, 4 * h + 3), e);
      i0 = addScaled(i0, w0, w1, w2, w3, y + ab + 96, sc); i1 = addScaled(i1, w0, w1, w2, w3, y1 + ab + 96, sc);
      i2 = addScaled(i2, w0, w1, w2, w3, y2 + ab + 96, sc); i3 = addScaled(i3, w0, w1, w2, w3, y3 + ab + 96, sc);
      if (eight) {
        i4 = addScaled(i4, w0, w1, w2, w3, y4 + ab + 96, sc); i5 = addScaled(i5, w0, w1, w2, w3, y5 + ab + 96, sc);
        i6 = addScaled(i6, w0, w1, w2, w3, y6 + ab + 96, sc); i7 = addScaled(i7, w0, w1, w2, w3, y7 + ab + 96, sc);
      }
    }
    const lane = b & 3;
    const t0 = blockValue(i0, g, y, b, n, nb, sm, sb);
    const t1 = blockValue(i1, g, y1, b, n, nb, sm, sb);
    const t2 = blockValue(i2, g, y2, b, n, nb, sm, sb);
    const t3 = blockValue(i3, g, y3, b, n, nb, sm, sb);
    if (lane == 0) { a00 = f32x4.add(a00, t0); a10 = f32x4.add(a10, t1); a20 = f32x4.add(a20, t2); a30 = f32x4.add(a30, t3); }
    else if (lane == 1) { a01 = f32x4.add(a01, t0); a11 = f32x4.add(a11, t1); a21 = f32x4.add(a21, t2); a31 = f32x4.add(a31, t3); }
    else if (lane == 2) { a02 = f32x4.add(a02, t0); a12 = f32x4.add(a12, t1); a22 = f32x4.add(a22, t2); a32 = f32x4.add(a32, t3); }
    else { a03 = f32x4.add(a03, t0); a13 = f32x4.add(a13, t1); a23 = f32x4.add(a23, t2); a33 = f32x4.add(a33, t3); }
    if (eight) {
      const t4 = blockValue(i4, g, y4, b, n, nb, sm, sb);
      const t5 = blockValue(i5, g, y5, b, n, nb, sm, sb);
      const t6 = blockValue(i6, g, y6, b, n, nb, sm, sb);
      const t7 = blockValue(i7, g, y7, b, n, nb, sm, sb);
      if (lane == 0) { a40 = f32x4.add(a40, t4); a50 = f32x4.add(a50, t5); a60 = f32x4.add(a60, t6); a70 = f32x4.add(a70, t7); }
      else if (lane == 1) { a41 = f32x4.add(a41, t4); a51 = f32x4.add(a51, t5); a61 = f32x4.add(a61, t6); a71 = f32x4.add(a71, t7); }
      else if (lane == 2) { a42 = f32x4.add(a42, t4); a52 = f32x4.add(a52, t5); a62 = f32x4.add(a62, t6); a72 = f32x4.add(a72, t7); }
      else { a43 = f32x4.add(a43, t4); a53 = f32x4.add(a53, t5); a63 = f32x4.add(a63, t6); a73 = f32x4.add(a73, t7); }
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
