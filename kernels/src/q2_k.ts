// Q2_K weights (ggml block_q2_K, 84 bytes per 256 weights):
//   scales u8[16]    at +0    per 16 weights: low nibble scale, high nibble min
//   qs     u8[64]    at +16   2-bit quants; half h (weights 128h..128h+127) uses
//                             qs[32h..32h+31]: weight 128h + 32t + l is
//                             (qs[32h + l] >> 2t) & 3
//   d      f16       at +80   scale of the scales
//   dmin   f16       at +82   scale of the mins
// weight i = d * (sc[i/16] & 15) * q - dmin * (sc[i/16] >> 4), q = 0..3.
// Paired activation: Q8_K (q8_k.ts). Quants 0..3 fit the relaxed dot's 7-bit
// operand; the min term comes from the activation's bsums.
//
// Per block b (llama.cpp's result semantics): isum = sum_j (sc[j] & 15) * sum_i q*a,
// summs = sum_j (sc[j] >> 4) * bsums[j] (exact i32), d = dy * f16(d),
// dmin = dy * f16(dmin), lane[b % 4] += d * isum - dmin * summs,
// result (l0 + l1) + (l2 + l3) (common.ts explains the order).

import { f16ToF32, f16x4ToF32x4, gatherU16x4, hsumI32x4x4, hsumI32x4, touchFrom, touchAhead, keepAlive, byteSplat } from './common';
import { dot16U7, scalesDotBsums16 } from './k_common';

const QB: usize = 84;
// Constants for byteSplat (common.ts, qhToHighBitsLo).
let TWO_BITS: v128 = i8x16.splat(3);
let LOW_NIBBLE: v128 = i8x16.splat(15);

/** Dequantizes n weights (n % 256 == 0) of one Q2_K row at x to f32 at y. */
export function dequantizeRowQ2_K(x: usize, y: usize, n: i32): void {
  const nb = n >> 8;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const d = f16ToF32(load<u16>(p, 80));
    const dmin = f16ToF32(load<u16>(p, 82));
    const o = y + (<usize>b << 10);
    for (let j = 0; j < 16; j++) {
      // sub-block j: half j >> 3, shift 2 * ((j >> 1) & 3), bytes 16 * (j & 1) ..
      const sc = <u32>load<u8>(p + <usize>j);
      const dl: f32 = d * <f32>(sc & 15);
      const ml: f32 = dmin * <f32>(sc >> 4);
      const q = p + 16 + (<usize>(j >> 3) << 5) + (<usize>(j & 1) << 4);
      const shift = ((j >> 1) & 3) << 1;
      for (let l = 0; l < 16; l++) {
        const v = (<u32>load<u8>(q + <usize>l) >> shift) & 3;
        store<f32>(o + (<usize>(16 * j + l) << 2), dl * <f32>v - ml);
      }
    }
  }
}

/** Scalar reference: dot of one Q2_K row (n weights at x) with one Q8_K activation row at y. */
export function vecDotQ2_KQ8_KScalar(n: i32, x: usize, y: usize): f32 {
  const nb = n >> 8;
  const bsPtr = y + <usize>n;
  const dPtr = bsPtr + (<usize>nb << 5);
  let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 8);
    const bs = bsPtr + (<usize>b << 5);
    let isum = 0, summs = 0;
    for (let j = 0; j < 16; j++) {
      const sc = <i32>load<u8>(p + <usize>j);
      const q = p + 16 + (<usize>(j >> 3) << 5) + (<usize>(j & 1) << 4);
      const shift = ((j >> 1) & 3) << 1;
      let s = 0;
      for (let l = 0; l < 16; l++) {
        s += ((<i32>load<u8>(q + <usize>l) >> shift) & 3) * <i32>load<i8>(a + <usize>(16 * j + l));
      }
      isum += (sc & 15) * s;
      summs += (sc >> 4) * <i32>load<i16>(bs + (<usize>j << 1));
    }
    const dy = load<f32>(dPtr + (<usize>b << 2));
    const d: f32 = dy * f16ToF32(load<u16>(p, 80));
    const dmin: f32 = dy * f16ToF32(load<u16>(p, 82));
    const v: f32 = d * <f32>isum - dmin * <f32>summs;
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else if (lane == 2) l2 += v; else l3 += v;
  }
  return (l0 + l1) + (l2 + l3);
}

/** Two sub-blocks of 16 (activations at a, a + 16; quants u0, u1) times their scale splats s0, s1. */
// @ts-ignore: decorator
@inline function pair16(a: usize, u0: v128, u1: v128, s0: v128, s1: v128, relaxed: bool): v128 {
  return i32x4.add(
    i32x4.dot_i16x8_s(dot16U7(v128.load(a), u0, relaxed), s0),
    i32x4.dot_i16x8_s(dot16U7(v128.load(a, 16), u1, relaxed), s1),
  );
}

/** isum of one Q2_K block at p with the activation block at a, as i32x4 partial sums. */
// @ts-ignore: decorator
@inline function blockDotQ2_K(p: usize, a: usize, relaxed: bool): v128 {
  const m3 = byteSplat(TWO_BITS, 3);
  const sc = v128.and(v128.load(p), byteSplat(LOW_NIBBLE, 15));
  let acc = i32x4.splat(0);
  for (let h = 0; h < 2; h++) {
    const s = h == 0 ? i16x8.extend_low_i8x16_u(sc) : i16x8.extend_high_i8x16_u(sc);
    const ah = a + (<usize>h << 7);
    // 16-bit shifts (x86 has no byte shift); the 2 masked bits stay in their byte
    let q0 = v128.load(p + 16 + (<usize>h << 5)), q1 = v128.load(p + 32 + (<usize>h << 5));
    acc = i32x4.add(acc, pair16(ah, v128.and(q0, m3), v128.and(q1, m3),
      v128.shuffle<i16>(s, s, 0, 0, 0, 0, 0, 0, 0, 0), v128.shuffle<i16>(s, s, 1, 1, 1, 1, 1, 1, 1, 1), relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    acc = i32x4.add(acc, pair16(ah + 32, v128.and(q0, m3), v128.and(q1, m3),
      v128.shuffle<i16>(s, s, 2, 2, 2, 2, 2, 2, 2, 2), v128.shuffle<i16>(s, s, 3, 3, 3, 3, 3, 3, 3, 3), relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    acc = i32x4.add(acc, pair16(ah + 64, v128.and(q0, m3), v128.and(q1, m3),
      v128.shuffle<i16>(s, s, 4, 4, 4, 4, 4, 4, 4, 4), v128.shuffle<i16>(s, s, 5, 5, 5, 5, 5, 5, 5, 5), relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    acc = i32x4.add(acc, pair16(ah + 96, v128.and(q0, m3), v128.and(q1, m3),
      v128.shuffle<i16>(s, s, 6, 6, 6, 6, 6, 6, 6, 6), v128.shuffle<i16>(s, s, 7, 7, 7, 7, 7, 7, 7, 7), relaxed));
  }
  return acc;
}

/** The mins (high nibbles of the scales) dotted with the activation's bsums, as i32x4 partial sums. */
// @ts-ignore: decorator
@inline function minsDotBsumsQ2_K(p: usize, bs: usize): v128 {
  return scalesDotBsums16(v128.and(i16x8.shr_u(v128.load(p), 4), byteSplat(LOW_NIBBLE, 15)), bs);
}

/** One block's term d * isum - dmin * summs (the scalar tail of the SIMD kernels). */
// @ts-ignore: decorator
@inline function blockTermQ2_K(p: usize, a: usize, bs: usize, dy: f32, relaxed: bool): f32 {
  const isum = hsumI32x4(blockDotQ2_K(p, a, relaxed));
  const summs = hsumI32x4(minsDotBsumsQ2_K(p, bs));
  return dy * f16ToF32(load<u16>(p, 80)) * <f32>isum - dy * f16ToF32(load<u16>(p, 82)) * <f32>summs;
}

// @ts-ignore: decorator
@inline function vecDotQ2_KQ8_KImpl(n: i32, x: usize, y: usize, relaxed: bool): f32 {
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
      blockDotQ2_K(p, a, relaxed), blockDotQ2_K(p + QB, a + 256, relaxed),
      blockDotQ2_K(p + 2 * QB, a + 512, relaxed), blockDotQ2_K(p + 3 * QB, a + 768, relaxed),
    );
    const summs = hsumI32x4x4(
      minsDotBsumsQ2_K(p, bs), minsDotBsumsQ2_K(p + QB, bs + 32),
      minsDotBsumsQ2_K(p + 2 * QB, bs + 64), minsDotBsumsQ2_K(p + 3 * QB, bs + 96),
    );
    const dy = v128.load(dPtr + (<usize>b << 2));
    const d = f32x4.mul(dy, f16x4ToF32x4(gatherU16x4(p + 80, QB)));
    const dmin = f32x4.mul(dy, f16x4ToF32x4(gatherU16x4(p + 82, QB)));
    acc = f32x4.add(acc, f32x4.sub(
      f32x4.mul(d, f32x4.convert_i32x4_s(isum)),
      f32x4.mul(dmin, f32x4.convert_i32x4_s(summs)),
    ));
  }
  let l0 = f32x4.extract_lane(acc, 0), l1 = f32x4.extract_lane(acc, 1);
  let l2 = f32x4.extract_lane(acc, 2);
  for (; b < nb; b++) {
    // Tail blocks: lanes 0..2 only, since a fourth block would have made a full group.
    const v = blockTermQ2_K(x + <usize>b * QB, y + (<usize>b << 8), bsPtr + (<usize>b << 5), load<f32>(dPtr + (<usize>b << 2)), relaxed);
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else l2 += v;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

/** SIMD128 kernel: bit-identical to vecDotQ2_KQ8_KScalar. */
export function vecDotQ2_KQ8_KSimd128(n: i32, x: usize, y: usize): f32 {
  return vecDotQ2_KQ8_KImpl(n, x, y, false);
}

/** Relaxed-dot kernel (relaxed build; in the SIMD128 build the same as Simd128). Bit-identical to the scalar reference. */
export function vecDotQ2_KQ8_KRelaxed(n: i32, x: usize, y: usize): f32 {
  return vecDotQ2_KQ8_KImpl(n, x, y, true);
}

// ---- two tokens per pass (matMat): each weight block is unpacked once ----

/** The second token's block sums from blockDot2Q2_K (a global, so the call can return two vectors). */
let second: v128 = i32x4.splat(0);

/**
 * blockDotQ2_K for two activation blocks at once: returns the first one's
 * partial sums and leaves the second's in `second`. A real function with
 * local accumulators (as q6_k.ts: both measured faster than the alternatives).
 */
// @ts-ignore: decorator
@inline function blockDot2Q2_KBody(p: usize, a0: usize, a1: usize, relaxed: bool): v128 {
  const m3 = byteSplat(TWO_BITS, 3);
  const sc = v128.and(v128.load(p), byteSplat(LOW_NIBBLE, 15));
  let acc0 = i32x4.splat(0), acc1 = i32x4.splat(0);
  for (let h = 0; h < 2; h++) {
    const s = h == 0 ? i16x8.extend_low_i8x16_u(sc) : i16x8.extend_high_i8x16_u(sc);
    const x = a0 + (<usize>h << 7), y = a1 + (<usize>h << 7);
    let q0 = v128.load(p + 16 + (<usize>h << 5)), q1 = v128.load(p + 32 + (<usize>h << 5));
    let u0: v128, u1: v128, s0: v128, s1: v128;
    u0 = v128.and(q0, m3); u1 = v128.and(q1, m3);
    s0 = v128.shuffle<i16>(s, s, 0, 0, 0, 0, 0, 0, 0, 0); s1 = v128.shuffle<i16>(s, s, 1, 1, 1, 1, 1, 1, 1, 1);
    acc0 = i32x4.add(acc0, pair16(x, u0, u1, s0, s1, relaxed));
    acc1 = i32x4.add(acc1, pair16(y, u0, u1, s0, s1, relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    u0 = v128.and(q0, m3); u1 = v128.and(q1, m3);
    s0 = v128.shuffle<i16>(s, s, 2, 2, 2, 2, 2, 2, 2, 2); s1 = v128.shuffle<i16>(s, s, 3, 3, 3, 3, 3, 3, 3, 3);
    acc0 = i32x4.add(acc0, pair16(x + 32, u0, u1, s0, s1, relaxed));
    acc1 = i32x4.add(acc1, pair16(y + 32, u0, u1, s0, s1, relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    u0 = v128.and(q0, m3); u1 = v128.and(q1, m3);
    s0 = v128.shuffle<i16>(s, s, 4, 4, 4, 4, 4, 4, 4, 4); s1 = v128.shuffle<i16>(s, s, 5, 5, 5, 5, 5, 5, 5, 5);
    acc0 = i32x4.add(acc0, pair16(x + 64, u0, u1, s0, s1, relaxed));
    acc1 = i32x4.add(acc1, pair16(y + 64, u0, u1, s0, s1, relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    u0 = v128.and(q0, m3); u1 = v128.and(q1, m3);
    s0 = v128.shuffle<i16>(s, s, 6, 6, 6, 6, 6, 6, 6, 6); s1 = v128.shuffle<i16>(s, s, 7, 7, 7, 7, 7, 7, 7, 7);
    acc0 = i32x4.add(acc0, pair16(x + 96, u0, u1, s0, s1, relaxed));
    acc1 = i32x4.add(acc1, pair16(y + 96, u0, u1, s0, s1, relaxed));
  }
  second = acc1;
  return acc0;
}

function blockDot2Q2_KRelaxed(p: usize, a0: usize, a1: usize): v128 {
  return blockDot2Q2_KBody(p, a0, a1, true);
}
function blockDot2Q2_KWidening(p: usize, a0: usize, a1: usize): v128 {
  return blockDot2Q2_KBody(p, a0, a1, false);
}
/** blockDot2Q2_KBody compiled once per path (see blockDotQ6_K in q6_k.ts: a runtime flag becomes a select that runs both). */
// @ts-ignore: decorator
@inline function blockDot2Q2_K(p: usize, a0: usize, a1: usize, relaxed: bool): v128 {
  return relaxed ? blockDot2Q2_KRelaxed(p, a0, a1) : blockDot2Q2_KWidening(p, a0, a1);
}

/**
 * Dots of one row with two activation rows (y0, y1), stored to o0 and o1:
 * bit-identical to two single-token calls (same integer sums, same f32
 * operations in the same lanes).
 */
// @ts-ignore: decorator
@inline function vecDot2Q2_K(n: i32, x: usize, y0: usize, y1: usize, o0: usize, o1: usize, relaxed: bool): void {
  const nb = n >> 8;
  const bs0 = y0 + <usize>n, bs1 = y1 + <usize>n;
  const dp0 = bs0 + (<usize>nb << 5), dp1 = bs1 + (<usize>nb << 5);
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const ao = <usize>b << 8, bo = <usize>b << 5;
    const r0 = blockDot2Q2_K(p, y0 + ao, y1 + ao, relaxed); const t0 = second;
    const r1 = blockDot2Q2_K(p + QB, y0 + ao + 256, y1 + ao + 256, relaxed); const t1 = second;
    const r2 = blockDot2Q2_K(p + 2 * QB, y0 + ao + 512, y1 + ao + 512, relaxed); const t2 = second;
    const r3 = blockDot2Q2_K(p + 3 * QB, y0 + ao + 768, y1 + ao + 768, relaxed); const t3 = second;
    const dw = f16x4ToF32x4(gatherU16x4(p + 80, QB));
    const mw = f16x4ToF32x4(gatherU16x4(p + 82, QB));
    const m0 = hsumI32x4x4(
      minsDotBsumsQ2_K(p, bs0 + bo), minsDotBsumsQ2_K(p + QB, bs0 + bo + 32),
      minsDotBsumsQ2_K(p + 2 * QB, bs0 + bo + 64), minsDotBsumsQ2_K(p + 3 * QB, bs0 + bo + 96),
    );
    const m1 = hsumI32x4x4(
      minsDotBsumsQ2_K(p, bs1 + bo), minsDotBsumsQ2_K(p + QB, bs1 + bo + 32),
      minsDotBsumsQ2_K(p + 2 * QB, bs1 + bo + 64), minsDotBsumsQ2_K(p + 3 * QB, bs1 + bo + 96),
    );
    const dy0 = v128.load(dp0 + (<usize>b << 2)), dy1 = v128.load(dp1 + (<usize>b << 2));
    acc0 = f32x4.add(acc0, f32x4.sub(
      f32x4.mul(f32x4.mul(dy0, dw), f32x4.convert_i32x4_s(hsumI32x4x4(r0, r1, r2, r3))),
      f32x4.mul(f32x4.mul(dy0, mw), f32x4.convert_i32x4_s(m0)),
    ));
    acc1 = f32x4.add(acc1, f32x4.sub(
      f32x4.mul(f32x4.mul(dy1, dw), f32x4.convert_i32x4_s(hsumI32x4x4(t0, t1, t2, t3))),
      f32x4.mul(f32x4.mul(dy1, mw), f32x4.convert_i32x4_s(m1)),
    ));
  }
  let u0 = f32x4.extract_lane(acc0, 0), u1 = f32x4.extract_lane(acc0, 1), u2 = f32x4.extract_lane(acc0, 2);
  let v0 = f32x4.extract_lane(acc1, 0), v1 = f32x4.extract_lane(acc1, 1), v2 = f32x4.extract_lane(acc1, 2);
  for (; b < nb; b++) {
    // Tail blocks (lanes 0..2), one token at a time, exactly as the one-token kernel.
    const e = blockTermQ2_K(x + <usize>b * QB, y0 + (<usize>b << 8), bs0 + (<usize>b << 5), load<f32>(dp0 + (<usize>b << 2)), relaxed);
    const f = blockTermQ2_K(x + <usize>b * QB, y1 + (<usize>b << 8), bs1 + (<usize>b << 5), load<f32>(dp1 + (<usize>b << 2)), relaxed);
    const lane = b & 3;
    if (lane == 0) { u0 += e; v0 += f; } else if (lane == 1) { u1 += e; v1 += f; } else { u2 += e; v2 += f; }
  }
  store<f32>(o0, (u0 + u1) + (u2 + f32x4.extract_lane(acc0, 3)));
  store<f32>(o1, (v0 + v1) + (v2 + f32x4.extract_lane(acc1, 3)));
}

/**
 * Matrix x vector: out[r] = dot(row r, y) for r in [r0, r1); rows of n
 * weights start at w and follow each other (n / 256 * 84 bytes each). The
 * build's best kernel.
 */
export function matVecQ2_K(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>(n >> 8) * QB;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotQ2_KQ8_KImpl(n, w + <usize>r * rowBytes, y, true));
  }
  keepAlive(sink, out, n);
}

/**
 * Matrix x matrix (prefill): for tokens t in [0, nTok) and rows r in [r0, r1),
 * out[t * outStride + r] = dot(row r, activation row t at y + t * yStride).
 * A row is read from memory once and reused from cache for every token;
 * tokens go in pairs, so each block's quants and scales are unpacked once
 * for two tokens.
 */
export function matMatQ2_K(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 8) * QB;
  const ys = <usize>yStride, os = <usize>outStride << 2;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    const o = out + (<usize>r << 2);
    let t = 0;
    for (; t + 2 <= nTok; t += 2) {
      vecDot2Q2_K(n, row, y + <usize>t * ys, y + <usize>(t + 1) * ys, o + <usize>t * os, o + <usize>(t + 1) * os, true);
    }
    if (t < nTok) store<f32>(o + <usize>t * os, vecDotQ2_KQ8_KImpl(n, row, y + <usize>t * ys, true));
  }
}
