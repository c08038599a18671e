// Q5_K weights (ggml block_q5_K, 176 bytes per 256 weights):
//   d      f16       at +0    scale of the sub-block scales
//   dmin   f16       at +2    scale of the sub-block mins
//   scales u8[12]    at +4    8 scales and 8 mins of 6 bits, packed as Q5_K's
//   qh     u8[32]    at +16   5th bits: bit k of qh[l] belongs to weight 32k + l
//   qs     u8[128]   at +48   low 4 bits, nibble order as Q5_K
// weight i = d * sc[i/32] * q - dmin * m[i/32] with q = 0..31, sub-blocks of 32.
// Paired activation: Q8_K (q8_k.ts). Quants 0..31 fit the relaxed dot's
// 7-bit operand, so the relaxed build uses it; the min term comes from the
// activation's bsums.
//
// Per block b (llama.cpp's result semantics): isum = sum_j sc[j] * sum_i q*a
// and summs = sum_j m[j/2] * bsums[j] (exact i32), d = dy * f16(d),
// dmin = dy * f16(dmin), lane[b % 4] += d * isum - dmin * summs,
// result (l0 + l1) + (l2 + l3) (common.ts explains the order).

import { f16ToF32, f16x4ToF32x4, gatherU16x4, hsumI32x4x4, hsumI32x4, touchFrom, touchAhead, keepAlive, byteSplat } from './common';
import { dot32U7, minsDotBsumsK4, blockTermTileK4, TILE, scatterF32x4, sub32 } from './k_common';

const QB: usize = 176;

/** 6-bit scale (low byte) and min (second byte) of sub-block j of the scales at s. */
// @ts-ignore: decorator
@inline function scaleMinK4(s: usize, j: i32): u32 {
  if (j < 4) return (<u32>load<u8>(s + <usize>j) & 63) | ((<u32>load<u8>(s + <usize>(j + 4)) & 63) << 8);
  const sc = (<u32>load<u8>(s + <usize>(j + 4)) & 15) | ((<u32>load<u8>(s + <usize>(j - 4)) >> 6) << 4);
  const m = (<u32>load<u8>(s + <usize>(j + 4)) >> 4) | ((<u32>load<u8>(s + <usize>j) >> 6) << 4);
  return sc | (m << 8);
}

/** Dequantizes n weights (n % 256 == 0) of one Q5_K row at x to f32 at y. */
export function dequantizeRowQ5_K(x: usize, y: usize, n: i32): void {
  const nb = n >> 8;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const d = f16ToF32(load<u16>(p));
    const dmin = f16ToF32(load<u16>(p, 2));
    const o = y + (<usize>b << 10);
    for (let j = 0; j < 8; j++) {
      const sm = scaleMinK4(p + 4, j);
      const dl: f32 = d * <f32>(sm & 0xff);
      const ml: f32 = dmin * <f32>(sm >> 8);
      const q = p + 48 + (<usize>(j >> 1) << 5);
      const shift = (j & 1) << 2;
      for (let l = 0; l < 32; l++) {
        const v = ((<u32>load<u8>(q + <usize>l) >> shift) & 15) | (((<u32>load<u8>(p + 16 + <usize>l) >> j) & 1) << 4);
        store<f32>(o + (<usize>(32 * j + l) << 2), dl * <f32>v - ml);
      }
    }
  }
}

/** Scalar reference: dot of one Q5_K row (n weights at x) with one Q8_K activation row at y. */
export function vecDotQ5_KQ8_KScalar(n: i32, x: usize, y: usize): f32 {
  const nb = n >> 8;
  const bsPtr = y + <usize>n;
  const dPtr = bsPtr + (<usize>nb << 5);
  let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 8);
    const bs = bsPtr + (<usize>b << 5);
    let isum = 0, summs = 0;
    for (let j = 0; j < 8; j++) {
      const sm = scaleMinK4(p + 4, j);
      const q = p + 48 + (<usize>(j >> 1) << 5);
      const shift = (j & 1) << 2;
      let s = 0;
      for (let l = 0; l < 32; l++) {
        const v = ((<u32>load<u8>(q + <usize>l) >> shift) & 15) | (((<u32>load<u8>(p + 16 + <usize>l) >> j) & 1) << 4);
        s += <i32>v * <i32>load<i8>(a + <usize>(32 * j + l));
      }
      isum += <i32>(sm & 0xff) * s;
      summs += <i32>(sm >> 8) * (<i32>load<i16>(bs + (<usize>j << 2)) + <i32>load<i16>(bs + (<usize>j << 2) + 2));
    }
    const dy = load<f32>(dPtr + (<usize>b << 2));
    const d: f32 = dy * f16ToF32(load<u16>(p));
    const dmin: f32 = dy * f16ToF32(load<u16>(p, 2));
    const v: f32 = d * <f32>isum - dmin * <f32>summs;
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else if (lane == 2) l2 += v; else l3 += v;
  }
  return (l0 + l1) + (l2 + l3);
}

/** isum of one Q5_K block at p with the activation block at a, as i32x4 partial sums. */
// @ts-ignore: decorator
@inline function blockDotQ5_K(p: usize, a: usize, relaxed: bool): v128 {
  const w0 = load<u32>(p, 4), w2 = load<u32>(p, 12);
  const scLo = w0 & 0x3f3f3f3f;
  const scHi = (w2 & 0x0f0f0f0f) | ((w0 >> 2) & 0x30303030);
  const m4 = byteSplat(NIBBLE_MASK, 15);
  const bit4 = byteSplat(BIT4, 16);
  // The 5th bits: qh bits 2k and 2k+1 are for sub-blocks 2k and 2k+1; shifted
  // down by 2k (16-bit lanes: x86 has no byte shift), bits 0 and 1 of each
  // byte are still that byte's own, and move to bit 4 below. Recomputing the
  // shift from h each step measured faster than carrying a shifted copy.
  const h0 = v128.load(p, 16), h1 = v128.load(p, 32);
  let acc = i32x4.splat(0);
  for (let k = 0; k < 4; k++) {
    const q = p + 48 + (<usize>k << 5);
    const ak = a + (<usize>k << 6);
    const q0 = v128.load(q), q1 = v128.load(q, 16);
    const sc = k < 2 ? scLo >> (<u32>k << 4) : scHi >> (<u32>(k - 2) << 4);
    const hk0 = i16x8.shr_u(h0, k << 1), hk1 = i16x8.shr_u(h1, k << 1);
    const lo0 = v128.or(v128.and(q0, m4), v128.and(i16x8.shl(hk0, 4), bit4));
    const lo1 = v128.or(v128.and(q1, m4), v128.and(i16x8.shl(hk1, 4), bit4));
    const hi0 = v128.or(v128.and(i16x8.shr_u(q0, 4), m4), v128.and(i16x8.shl(hk0, 3), bit4));
    const hi1 = v128.or(v128.and(i16x8.shr_u(q1, 4), m4), v128.and(i16x8.shl(hk1, 3), bit4));
    const sLo = dot32U7(v128.load(ak), v128.load(ak, 16), lo0, lo1, relaxed);
    const sHi = dot32U7(v128.load(ak, 32), v128.load(ak, 48), hi0, hi1, relaxed);
    acc = i32x4.add(acc, i32x4.dot_i16x8_s(sLo, i16x8.splat(<i16>(sc & 0xff))));
    acc = i32x4.add(acc, i32x4.dot_i16x8_s(sHi, i16x8.splat(<i16>((sc >> 8) & 0xff))));
  }
  return acc;
}

/** One block's term d * isum - dmin * summs (the scalar tail of the SIMD kernel). */
// @ts-ignore: decorator
@inline function blockTermQ5_K(p: usize, a: usize, bs: usize, dy: f32, relaxed: bool): f32 {
  const isum = hsumI32x4(blockDotQ5_K(p, a, relaxed));
  const summs = hsumI32x4(minsDotBsumsK4(p + 4, bs));
  return dy * f16ToF32(load<u16>(p)) * <f32>isum - dy * f16ToF32(load<u16>(p, 2)) * <f32>summs;
}

// @ts-ignore: decorator
@inline function vecDotQ5_KQ8_KImpl(n: i32, x: usize, y: usize, relaxed: bool): f32 {
  const nb = n >> 8;
  const bsPtr = y + <usize>n;
  const dPtr = bsPtr + (<usize>nb << 5);
  let acc = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 8);
    const bs = bsPtr + (<usize>b << 5);
    const isum = hsumI32x4x4(
      blockDotQ5_K(p, a, relaxed), blockDotQ5_K(p + QB, a + 256, relaxed),
      blockDotQ5_K(p + 2 * QB, a + 512, relaxed), blockDotQ5_K(p + 3 * QB, a + 768, relaxed),
    );
    const summs = hsumI32x4x4(
      minsDotBsumsK4(p + 4, bs), minsDotBsumsK4(p + QB + 4, bs + 32),
      minsDotBsumsK4(p + 2 * QB + 4, bs + 64), minsDotBsumsK4(p + 3 * QB + 4, bs + 96),
    );
    const dy = v128.load(dPtr + (<usize>b << 2));
    const d = f32x4.mul(dy, f16x4ToF32x4(gatherU16x4(p, QB)));
    const dmin = f32x4.mul(dy, f16x4ToF32x4(gatherU16x4(p + 2, QB)));
    acc = f32x4.add(acc, f32x4.sub(
      f32x4.mul(d, f32x4.convert_i32x4_s(isum)),
      f32x4.mul(dmin, f32x4.convert_i32x4_s(summs)),
    ));
  }
  let l0 = f32x4.extract_lane(acc, 0), l1 = f32x4.extract_lane(acc, 1);
  let l2 = f32x4.extract_lane(acc, 2);
  for (; b < nb; b++) {
    // Tail blocks: lanes 0..2 only, since a fourth block would have made a full group.
    const v = blockTermQ5_K(x + <usize>b * QB, y + (<usize>b << 8), bsPtr + (<usize>b << 5), load<f32>(dPtr + (<usize>b << 2)), relaxed);
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else l2 += v;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

/** SIMD128 kernel: bit-identical to vecDotQ5_KQ8_KScalar. */
export function vecDotQ5_KQ8_KSimd128(n: i32, x: usize, y: usize): f32 {
  return vecDotQ5_KQ8_KImpl(n, x, y, false);
}

/** Relaxed-dot kernel (relaxed build; in the SIMD128 build the same as Simd128). Bit-identical to the scalar reference. */
export function vecDotQ5_KQ8_KRelaxed(n: i32, x: usize, y: usize): f32 {
  return vecDotQ5_KQ8_KImpl(n, x, y, true);
}

// ---- a tile of tokens per pass (matMat): each weight block is unpacked once ----

let NIBBLE_MASK: v128 = i8x16.splat(15);
let BIT4: v128 = i8x16.splat(16);

/**
 * isum of one Q5_K block at p with the activation blocks at a + t * ys
 * (t < TILE), lane t = token t; 5th bits as blockDotQ5_K. A real function,
 * not inlined: the kernel measured faster with one small copy (see q6_k.ts).
 */
// @ts-ignore: decorator
@inline function blockDotTileQ5_KBody(p: usize, a: usize, ys: usize, relaxed: bool): v128 {
  const s0 = load<u32>(p, 4), s2 = load<u32>(p, 12);
  const scLo = s0 & 0x3f3f3f3f;
  const scHi = (s2 & 0x0f0f0f0f) | ((s0 >> 2) & 0x30303030);
  const m4 = NIBBLE_MASK, bit4 = BIT4;
  const h0 = v128.load(p, 16), h1 = v128.load(p, 32);
  const a1 = a + ys, a2 = a + 2 * ys, a3 = a + 3 * ys;
  let acc0 = i32x4.splat(0), acc1 = i32x4.splat(0), acc2 = i32x4.splat(0), acc3 = i32x4.splat(0);
  for (let k = 0; k < 4; k++) {
    const q = p + 48 + (<usize>k << 5);
    const o = <usize>k << 6;
    const q0 = v128.load(q), q1 = v128.load(q, 16);
    const sc = k < 2 ? scLo >> (<u32>k << 4) : scHi >> (<u32>(k - 2) << 4);
    const hk0 = i16x8.shr_u(h0, k << 1), hk1 = i16x8.shr_u(h1, k << 1);
    // low nibbles, then high ones: fewer vectors live at once
    let w0 = v128.or(v128.and(q0, m4), v128.and(i16x8.shl(hk0, 4), bit4));
    let w1 = v128.or(v128.and(q1, m4), v128.and(i16x8.shl(hk1, 4), bit4));
    let s = i16x8.splat(<i16>(sc & 0xff));
    acc0 = i32x4.add(acc0, sub32(a + o, w0, w1, s, relaxed));
    acc1 = i32x4.add(acc1, sub32(a1 + o, w0, w1, s, relaxed));
    acc2 = i32x4.add(acc2, sub32(a2 + o, w0, w1, s, relaxed));
    acc3 = i32x4.add(acc3, sub32(a3 + o, w0, w1, s, relaxed));
    w0 = v128.or(v128.and(i16x8.shr_u(q0, 4), m4), v128.and(i16x8.shl(hk0, 3), bit4));
    w1 = v128.or(v128.and(i16x8.shr_u(q1, 4), m4), v128.and(i16x8.shl(hk1, 3), bit4));
    s = i16x8.splat(<i16>((sc >> 8) & 0xff));
    acc0 = i32x4.add(acc0, sub32(a + o + 32, w0, w1, s, relaxed));
    acc1 = i32x4.add(acc1, sub32(a1 + o + 32, w0, w1, s, relaxed));
    acc2 = i32x4.add(acc2, sub32(a2 + o + 32, w0, w1, s, relaxed));
    acc3 = i32x4.add(acc3, sub32(a3 + o + 32, w0, w1, s, relaxed));
  }
  return hsumI32x4x4(acc0, acc1, acc2, acc3);
}

function blockDotTileQ5_KRelaxed(p: usize, a: usize, ys: usize): v128 {
  return blockDotTileQ5_KBody(p, a, ys, true);
}
function blockDotTileQ5_KWidening(p: usize, a: usize, ys: usize): v128 {
  return blockDotTileQ5_KBody(p, a, ys, false);
}
/** blockDotTileQ5_KBody compiled once per path (see blockDotQ6_K in q6_k.ts: a runtime flag becomes a select that runs both). */
// @ts-ignore: decorator
@inline function blockDotTileQ5_K(p: usize, a: usize, ys: usize, relaxed: bool): v128 {
  return relaxed ? blockDotTileQ5_KRelaxed(p, a, ys) : blockDotTileQ5_KWidening(p, a, ys);
}

/**
 * Dots of the row at x with the TILE activation rows at y + t * ys, lane t =
 * token t: bit-identical to vecDotQ5_KQ8_K on each (k_common.ts, "token tiles").
 */
// @ts-ignore: decorator
@inline function vecDotTileQ5_K(n: i32, x: usize, y: usize, ys: usize, relaxed: bool): v128 {
  const nb = n >> 8;
  const bsPtr = y + <usize>n;
  const dPtr = bsPtr + (<usize>nb << 5);
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const v = blockTermTileK4(blockDotTileQ5_K(p, y + (<usize>b << 8), ys, relaxed), p, bsPtr + (<usize>b << 5), dPtr + (<usize>b << 2), ys);
    const lane = b & 3;
    if (lane == 0) acc0 = f32x4.add(acc0, v); else if (lane == 1) acc1 = f32x4.add(acc1, v);
    else if (lane == 2) acc2 = f32x4.add(acc2, v); else acc3 = f32x4.add(acc3, v);
  }
  return f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
}

/**
 * Matrix x vector: out[r] = dot(row r, y) for r in [r0, r1); rows of n
 * weights start at w and follow each other (n / 256 * 176 bytes each). The
 * build's best kernel.
 */
export function matVecQ5_K(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>(n >> 8) * QB;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotQ5_KQ8_KImpl(n, w + <usize>r * rowBytes, y, true));
  }
  keepAlive(sink, out, n);
}

/**
 * Matrix x matrix (prefill): for tokens t in [0, nTok) and rows r in [r0, r1),
 * out[t * outStride + r] = dot(row r, activation row t at y + t * yStride).
 * A row is read from memory once and reused from cache for every token;
 * tokens go TILE at a time, so each block's quants and scales are unpacked
 * once per tile; the last nTok % TILE go one by one.
 */
export function matMatQ5_K(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 8) * QB;
  const ys = <usize>yStride, os = <usize>outStride << 2;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    const o = out + (<usize>r << 2);
    let t = 0;
    for (; t + TILE <= nTok; t += TILE) scatterF32x4(o + <usize>t * os, os, vecDotTileQ5_K(n, row, y + <usize>t * ys, ys, true));
    for (; t < nTok; t++) store<f32>(o + <usize>t * os, vecDotQ5_KQ8_KImpl(n, row, y + <usize>t * ys, true));
  }
}
