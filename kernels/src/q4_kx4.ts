// Q4_K rows interleaved by four, as q4_0x4.ts does Q4_0: lanes of every dot
// are rows, so a sub-block's sum for four rows takes eight dot-adds and one
// multiply by the four rows' scales, where the plain kernel spends five
// operations per row and 32 weights.
//
// Rows [4q, 4q + 4) of a Q4_K matrix (row = nb blocks of 144 bytes, q4_k.ts)
// become one run of nb groups of 576 bytes, group b at quad + 576 * b:
//   +0 .. +63                 block b's d, dmin and scales of rows 0..3
//                             (kx4_scales.ts)
//   +64 + 128k + 16s chunk    k = 0..3, s = 0..7: qs[32k + 4s .. 32k + 4s + 3]
//                             of rows 0, 1, 2, 3
// So in chunk (k, s), lane r's low nibbles are row r's weights 4s .. 4s + 3 of
// sub-block 2k and its high nibbles those of sub-block 2k + 1. The matrix
// keeps its size. A matrix with a d or dmin the codes cannot hold keeps the
// plain layout.
//
// Results are bit-identical to vecDotQ4_KQ8_KScalar on the original rows:
// exact integer sums, per block (dy * d) * isum - (dy * dmin) * summs, each
// row's blocks added into four partial sums by block index mod 4, then
// (l0 + l1) + (l2 + l3).

import { touchFrom, touchAhead, keepAlive } from './common';
import { groupSums } from './x4_nibbles';
import { SCALE_MASK, SCALE_BIAS_BITS, storeTransposed } from './x4_scales';
import { headerFits, storeHeader, scalesLo, scalesHi, scaleOf, blockValue, NIBBLE_MASK, SIX_BITS, TOP_TWO, BYTE0, EVEN_BYTES } from './kx4_scales';

const QB: usize = 144;
const GB: usize = 576;

/** 1 if every one of the nb Q4_K blocks at w has a d and a dmin with a code. */
export function q4_Kx4Fits(w: usize, nb: i32): i32 {
  return headerFits(w, nb, QB);
}

/**
 * Writes rows [r0, r1) (multiples of 4) of the plain Q4_K matrix at src
 * (rows of n values) to dst in the interleaved layout, at the same byte
 * offsets; the caller checks q4_Kx4Fits first.
 */
export function repackQ4_Kx4(r0: i32, r1: i32, src: usize, dst: usize, n: i32): void {
  const nb = n >> 8, rowBytes = <usize>nb * QB;
  for (let r = r0; r < r1; r += 4) {
    const quad = <usize>r * rowBytes;
    for (let b = 0; b < nb; b++) repackGroupQ4_K(dst + quad + <usize>b * 4 * QB, src + quad + <usize>b * QB, rowBytes);
  }
}

/** One group of repackQ4_Kx4. */
function repackGroupQ4_K(g: usize, p0: usize, rowBytes: usize): void {
  storeHeader(g, p0, rowBytes);
  for (let k: usize = 0; k < 4; k++) {
    storeTransposed(g + 64 + 128 * k, p0, rowBytes, 16 + 32 * k);
    storeTransposed(g + 128 + 128 * k, p0, rowBytes, 32 + 32 * k);
  }
}

/** isum of one sub-block pair k (sub-blocks 2k, 2k + 1) of group g with the activation block at a, scaled. */
// @ts-ignore: decorator
@inline function pairSum(g: usize, a: usize, k: i32, scA: v128, scB: v128, m: v128): v128 {
  const c = g + 64 + 128 * <usize>k;
  const v0 = v128.load(c), v1 = v128.load(c, 16), v2 = v128.load(c, 32), v3 = v128.load(c, 48);
  const v4 = v128.load(c, 64), v5 = v128.load(c, 80), v6 = v128.load(c, 96), v7 = v128.load(c, 112);
  const zero = i32x4.splat(0);
  const ak = a + 64 * <usize>k;
  const lo = groupSums(
    v128.and(v0, m), v128.and(v1, m), v128.and(v2, m), v128.and(v3, m),
    v128.and(v4, m), v128.and(v5, m), v128.and(v6, m), v128.and(v7, m), ak, zero,
  );
  const hi = groupSums(
    v128.and(i16x8.shr_u(v0, 4), m), v128.and(i16x8.shr_u(v1, 4), m), v128.and(i16x8.shr_u(v2, 4), m), v128.and(i16x8.shr_u(v3, 4), m),
    v128.and(i16x8.shr_u(v4, 4), m), v128.and(i16x8.shr_u(v5, 4), m), v128.and(i16x8.shr_u(v6, 4), m), v128.and(i16x8.shr_u(v7, 4), m), ak + 32, zero,
  );
  return i32x4.add(i32x4.mul(lo, scA), i32x4.mul(hi, scB));
}

/** Four rows' value of block b (group g) for the activation row y: (dy * d) * isum - (dy * dmin) * summs. */
// @ts-ignore: decorator
@inline function groupTerm(g: usize, y: usize, b: i32, n: i32, nb: i32, m: v128, six: v128, top: v128, byte0: v128, even: v128, sm: v128, sb: v128): v128 {
  const a = y + (<usize>b << 8);
  const scL = scalesLo(g, six), scH = scalesHi(g, m, top);
  let isum = pairSum(g, a, 0, scaleOf(scL, 0, byte0), scaleOf(scL, 1, byte0), m);
  isum = i32x4.add(isum, pairSum(g, a, 1, scaleOf(scL, 2, byte0), scaleOf(scL, 3, byte0), m));
  isum = i32x4.add(isum, pairSum(g, a, 2, scaleOf(scH, 0, byte0), scaleOf(scH, 1, byte0), m));
  isum = i32x4.add(isum, pairSum(g, a, 3, scaleOf(scH, 2, byte0), scaleOf(scH, 3, byte0), m));
  return blockValue(isum, g, y, b, n, nb, m, six, top, even, sm, sb);
}

/** Four rows' dot with one activation row (the quad at x), as f32x4 lanes = rows. */
// @ts-ignore: decorator
@inline function quadDot(n: i32, x: usize, y: usize): v128 {
  const nb = n >> 8;
  const m = NIBBLE_MASK, six = SIX_BITS, top = TOP_TWO, byte0 = BYTE0, even = EVEN_BYTES, sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const v = groupTerm(x + <usize>b * GB, y, b, n, nb, m, six, top, byte0, even, sm, sb);
    const lane = b & 3;
    if (lane == 0) acc0 = f32x4.add(acc0, v); else if (lane == 1) acc1 = f32x4.add(acc1, v);
    else if (lane == 2) acc2 = f32x4.add(acc2, v); else acc3 = f32x4.add(acc3, v);
  }
  return f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
}

/** Matrix x vector over rows [r0, r1) (multiples of 4) of an interleaved Q4_K matrix: out[r] = dot(row r, y). */
export function matVecQ4_Kx4(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
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
 * Matrix x matrix (prefill) over an interleaved Q4_K matrix: out[t * outStride
 * + r] = dot(row r, activation row t). Eight tokens (relaxed build), then
 * four, then one share each chunk's unpacked nibbles and each group's scales.
 */
export function matMatQ4_Kx4(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
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

/** isum += (chunks of c as nibbles from shift) . activations at a, times sc. */
// @ts-ignore: decorator
@inline function addSub(isum: v128, w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, a: usize, sc: v128): v128 {
  return i32x4.add(isum, i32x4.mul(groupSums(w0, w1, w2, w3, w4, w5, w6, w7, a, i32x4.splat(0)), sc));
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
  const m = NIBBLE_MASK, six = SIX_BITS, top = TOP_TWO, byte0 = BYTE0, even = EVEN_BYTES, sm = SCALE_MASK, sb = SCALE_BIAS_BITS;
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
    const scL = scalesLo(g, six), scH = scalesHi(g, m, top);
    let i0 = i32x4.splat(0), i1 = i32x4.splat(0), i2 = i32x4.splat(0), i3 = i32x4.splat(0);
    let i4 = i32x4.splat(0), i5 = i32x4.splat(0), i6 = i32x4.splat(0), i7 = i32x4.splat(0);
    for (let k = 0; k < 4; k++) {
      const c = g + 64 + 128 * <usize>k;
      const ko = (<usize>b << 8) + 64 * <usize>k;
      const src = k < 2 ? scL : scH, sh = (k & 1) << 4;
      let sc = v128.and(i32x4.shr_u(src, sh), byte0);
      let w0 = v128.and(v128.load(c), m), w1 = v128.and(v128.load(c, 16), m), w2 = v128.and(v128.load(c, 32), m), w3 = v128.and(v128.load(c, 48), m);
      let w4 = v128.and(v128.load(c, 64), m), w5 = v128.and(v128.load(c, 80), m), w6 = v128.and(v128.load(c, 96), m), w7 = v128.and(v128.load(c, 112), m);
      i0 = addSub(i0, w0, w1, w2, w3, w4, w5, w6, w7, y + ko, sc);
      i1 = addSub(i1, w0, w1, w2, w3, w4, w5, w6, w7, y1 + ko, sc);
      i2 = addSub(i2, w0, w1, w2, w3, w4, w5, w6, w7, y2 + ko, sc);
      i3 = addSub(i3, w0, w1, w2, w3, w4, w5, w6, w7, y3 + ko, sc);
      if (eight) {
        i4 = addSub(i4, w0, w1, w2, w3, w4, w5, w6, w7, y4 + ko, sc);
        i5 = addSub(i5, w0, w1, w2, w3, w4, w5, w6, w7, y5 + ko, sc);
        i6 = addSub(i6, w0, w1, w2, w3, w4, w5, w6, w7, y6 + ko, sc);
        i7 = addSub(i7, w0, w1, w2, w3, w4, w5, w6, w7, y7 + ko, sc);
      }
      sc = v128.and(i32x4.shr_u(src, sh + 8), byte0);
      w0 = v128.and(i16x8.shr_u(v128.load(c), 4), m); w1 = v128.and(i16x8.shr_u(v128.load(c, 16), 4), m);
      w2 = v128.and(i16x8.shr_u(v128.load(c, 32), 4), m); w3 = v128.and(i16x8.shr_u(v128.load(c, 48), 4), m);
      w4 = v128.and(i16x8.shr_u(v128.load(c, 64), 4), m); w5 = v128.and(i16x8.shr_u(v128.load(c, 80), 4), m);
      w6 = v128.and(i16x8.shr_u(v128.load(c, 96), 4), m); w7 = v128.and(i16x8.shr_u(v128.load(c, 112), 4), m);
      i0 = addSub(i0, w0, w1, w2, w3, w4, w5, w6, w7, y + ko + 32, sc);
      i1 = addSub(i1, w0, w1, w2, w3, w4, w5, w6, w7, y1 + ko + 32, sc);
      i2 = addSub(i2, w0, w1, w2, w3, w4, w5, w6, w7, y2 + ko + 32, sc);
      i3 = addSub(i3, w0, w1, w2, w3, w4, w5, w6, w7, y3 + ko + 32, sc);
      if (eight) {
        i4 = addSub(i4, w0, w1, w2, w3, w4, w5, w6, w7, y4 + ko + 32, sc);
        i5 = addSub(i5, w0, w1, w2, w3, w4, w5, w6, w7, y5 + ko + 32, sc);
        i6 = addSub(i6, w0, w1, w2, w3, w4, w5, w6, w7, y6 + ko + 32, sc);
        i7 = addSub(i7, w0, w1, w2, w3, w4, w5, w6, w7, y7 + ko + 32, sc);
      }
    }
    const lane = b & 3;
    const t0 = blockValue(i0, g, y, b, n, nb, m, six, top, even, sm, sb);
    const t1 = blockValue(i1, g, y1, b, n, nb, m, six, top, even, sm, sb);
    const t2 = blockValue(i2, g, y2, b, n, nb, m, six, top, even, sm, sb);
    const t3 = blockValue(i3, g, y3, b, n, nb, m, six, top, even, sm, sb);
    if (lane == 0) { a00 = f32x4.add(a00, t0); a10 = f32x4.add(a10, t1); a20 = f32x4.add(a20, t2); a30 = f32x4.add(a30, t3); }
    else if (lane == 1) { a01 = f32x4.add(a01, t0); a11 = f32x4.add(a11, t1); a21 = f32x4.add(a21, t2); a31 = f32x4.add(a31, t3); }
    else if (lane == 2) { a02 = f32x4.add(a02, t0); a12 = f32x4.add(a12, t1); a22 = f32x4.add(a22, t2); a32 = f32x4.add(a32, t3); }
    else { a03 = f32x4.add(a03, t0); a13 = f32x4.add(a13, t1); a23 = f32x4.add(a23, t2); a33 = f32x4.add(a33, t3); }
    if (eight) {
      const t4 = blockValue(i4, g, y4, b, n, nb, m, six, top, even, sm, sb);
      const t5 = blockValue(i5, g, y5, b, n, nb, m, six, top, even, sm, sb);
      const t6 = blockValue(i6, g, y6, b, n, nb, m, six, top, even, sm, sb);
      const t7 = blockValue(i7, g, y7, b, n, nb, m, six, top, even, sm, sb);
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
