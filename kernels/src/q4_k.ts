// Q4_K weights (ggml block_q4_K, 144 bytes per 256 weights):
//   d      f16       at +0    scale of the sub-block scales
//   dmin   f16       at +2    scale of the sub-block mins
//   scales u8[12]    at +4    8 scales and 8 mins of 6 bits (get_scale_min_k4):
//                             j < 4: sc = s[j] & 63, m = s[j+4] & 63
//                             j >= 4: sc = (s[j+4] & 15) | (s[j-4] >> 6) << 4,
//                                     m = (s[j+4] >> 4) | (s[j] >> 6) << 4
//   qs     u8[128]   at +16   nibbles; weights 64k..64k+31 are the low nibbles
//                             of qs[32k..32k+31], 64k+32..64k+63 the high ones
// weight i = d * sc[i/32] * q - dmin * m[i/32], sub-blocks of 32.
// Paired activation: Q8_K (q8_k.ts). Nibbles 0..15 fit the relaxed dot's
// 7-bit operand, so the relaxed build uses it; the min term comes from the
// activation's bsums.
//
// Per block b (llama.cpp's result semantics): isum = sum_j sc[j] * sum_i q*a
// and summs = sum_j m[j/2] * bsums[j] (exact i32), d = dy * f16(d),
// dmin = dy * f16(dmin), lane[b % 4] += d * isum - dmin * summs,
// result (l0 + l1) + (l2 + l3) (common.ts explains the order).

import { f16ToF32, f16x4ToF32x4, gatherU16x4, hsumI32x4x4, hsumI32x4, touchAhead, keepAlive } from './common';
import { dot32U7, minsDotBsumsK4 } from './k_common';

const QB: usize = 144;

/** 6-bit scale (low byte) and min (second byte) of sub-block j of the scales at s. */
// @ts-ignore: decorator
@inline function scaleMinK4(s: usize, j: i32): u32 {
  if (j < 4) return (<u32>load<u8>(s + <usize>j) & 63) | ((<u32>load<u8>(s + <usize>(j + 4)) & 63) << 8);
  const sc = (<u32>load<u8>(s + <usize>(j + 4)) & 15) | ((<u32>load<u8>(s + <usize>(j - 4)) >> 6) << 4);
  const m = (<u32>load<u8>(s + <usize>(j + 4)) >> 4) | ((<u32>load<u8>(s + <usize>j) >> 6) << 4);
  return sc | (m << 8);
}

/** Dequantizes n weights (n % 256 == 0) of one Q4_K row at x to f32 at y. */
export function dequantizeRowQ4_K(x: usize, y: usize, n: i32): void {
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
      const q = p + 16 + (<usize>(j >> 1) << 5);
      const shift = (j & 1) << 2;
      for (let l = 0; l < 32; l++) {
        const v = (<u32>load<u8>(q + <usize>l) >> shift) & 15;
        store<f32>(o + (<usize>(32 * j + l) << 2), dl * <f32>v - ml);
      }
    }
  }
}

/** Scalar reference: dot of one Q4_K row (n weights at x) with one Q8_K activation row at y. */
export function vecDotQ4_KQ8_KScalar(n: i32, x: usize, y: usize): f32 {
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
      const q = p + 16 + (<usize>(j >> 1) << 5);
      const shift = (j & 1) << 2;
      let s = 0;
      for (let l = 0; l < 32; l++) {
        s += <i32>((<u32>load<u8>(q + <usize>l) >> shift) & 15) * <i32>load<i8>(a + <usize>(32 * j + l));
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

/** isum of one Q4_K block at p with the activation block at a, as i32x4 partial sums. */
// @ts-ignore: decorator
@inline function blockDotQ4_K(p: usize, a: usize, relaxed: bool): v128 {
  const w0 = load<u32>(p, 4), w2 = load<u32>(p, 12);
  const scLo = w0 & 0x3f3f3f3f;
  const scHi = (w2 & 0x0f0f0f0f) | ((w0 >> 2) & 0x30303030);
  const m4 = i8x16.splat(15);
  let acc = i32x4.splat(0);
  for (let k = 0; k < 4; k++) {
    const q = p + 16 + (<usize>k << 5);
    const ak = a + (<usize>k << 6);
    const q0 = v128.load(q), q1 = v128.load(q, 16);
    const sc = k < 2 ? scLo >> (<u32>k << 4) : scHi >> (<u32>(k - 2) << 4);
    // x86 has no byte shift: shift 16-bit lanes, then mask each byte
    const sLo = dot32U7(v128.load(ak), v128.load(ak, 16), v128.and(q0, m4), v128.and(q1, m4), relaxed);
    const sHi = dot32U7(v128.load(ak, 32), v128.load(ak, 48), v128.and(i16x8.shr_u(q0, 4), m4), v128.and(i16x8.shr_u(q1, 4), m4), relaxed);
    acc = i32x4.add(acc, i32x4.dot_i16x8_s(sLo, i16x8.splat(<i16>(sc & 0xff))));
    acc = i32x4.add(acc, i32x4.dot_i16x8_s(sHi, i16x8.splat(<i16>((sc >> 8) & 0xff))));
  }
  return acc;
}

/** One block's term d * isum - dmin * summs (the scalar tail of the SIMD kernel). */
// @ts-ignore: decorator
@inline function blockTermQ4_K(p: usize, a: usize, bs: usize, dy: f32, relaxed: bool): f32 {
  const isum = hsumI32x4(blockDotQ4_K(p, a, relaxed));
  const summs = hsumI32x4(minsDotBsumsK4(p + 4, bs));
  return dy * f16ToF32(load<u16>(p)) * <f32>isum - dy * f16ToF32(load<u16>(p, 2)) * <f32>summs;
}

// @ts-ignore: decorator
@inline function vecDotQ4_KQ8_KImpl(n: i32, x: usize, y: usize, relaxed: bool): f32 {
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
      blockDotQ4_K(p, a, relaxed), blockDotQ4_K(p + QB, a + 256, relaxed),
      blockDotQ4_K(p + 2 * QB, a + 512, relaxed), blockDotQ4_K(p + 3 * QB, a + 768, relaxed),
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
    const v = blockTermQ4_K(x + <usize>b * QB, y + (<usize>b << 8), bsPtr + (<usize>b << 5), load<f32>(dPtr + (<usize>b << 2)), relaxed);
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else l2 += v;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

/** SIMD128 kernel: bit-identical to vecDotQ4_KQ8_KScalar. */
export function vecDotQ4_KQ8_KSimd128(n: i32, x: usize, y: usize): f32 {
  return vecDotQ4_KQ8_KImpl(n, x, y, false);
}

/** Relaxed-dot kernel (relaxed build; in the SIMD128 build the same as Simd128). Bit-identical to the scalar reference. */
export function vecDotQ4_KQ8_KRelaxed(n: i32, x: usize, y: usize): f32 {
  return vecDotQ4_KQ8_KImpl(n, x, y, true);
}

// ---- two tokens per pass (matMat): each weight block is unpacked once ----

/** The second token's block sums from blockDot2Q4_K (a global, so the call can return two vectors). */
let second: v128 = i32x4.splat(0);

/**
 * blockDotQ4_K for two activation blocks at once: returns the first one's
 * partial sums and leaves the second's in `second`. A real function, not
 * inlined: the kernel measured faster with one small copy (see q6_k.ts).
 */
function blockDot2Q4_K(p: usize, a0: usize, a1: usize, relaxed: bool): v128 {
  const w0 = load<u32>(p, 4), w2 = load<u32>(p, 12);
  const scLo = w0 & 0x3f3f3f3f;
  const scHi = (w2 & 0x0f0f0f0f) | ((w0 >> 2) & 0x30303030);
  const m4 = i8x16.splat(15);
  let acc0 = i32x4.splat(0), acc1 = i32x4.splat(0);
  for (let k = 0; k < 4; k++) {
    const q = p + 16 + (<usize>k << 5);
    const o = <usize>k << 6;
    const q0 = v128.load(q), q1 = v128.load(q, 16);
    const sc = k < 2 ? scLo >> (<u32>k << 4) : scHi >> (<u32>(k - 2) << 4);
    const sLo = i16x8.splat(<i16>(sc & 0xff)), sHi = i16x8.splat(<i16>((sc >> 8) & 0xff));
    const lo0 = v128.and(q0, m4), lo1 = v128.and(q1, m4);
    const hi0 = v128.and(i16x8.shr_u(q0, 4), m4), hi1 = v128.and(i16x8.shr_u(q1, 4), m4);
    const x = a0 + o, y = a1 + o;
    acc0 = i32x4.add(acc0, i32x4.add(
      i32x4.dot_i16x8_s(dot32U7(v128.load(x), v128.load(x, 16), lo0, lo1, relaxed), sLo),
      i32x4.dot_i16x8_s(dot32U7(v128.load(x, 32), v128.load(x, 48), hi0, hi1, relaxed), sHi)));
    acc1 = i32x4.add(acc1, i32x4.add(
      i32x4.dot_i16x8_s(dot32U7(v128.load(y), v128.load(y, 16), lo0, lo1, relaxed), sLo),
      i32x4.dot_i16x8_s(dot32U7(v128.load(y, 32), v128.load(y, 48), hi0, hi1, relaxed), sHi)));
  }
  second = acc1;
  return acc0;
}

/**
 * Dots of one row with two activation rows (y0, y1), stored to o0 and o1:
 * bit-identical to two vecDotQ4_KQ8_K calls (same integer sums, same f32
 * operations in the same lanes).
 */
// @ts-ignore: decorator
@inline function vecDot2Q4_K(n: i32, x: usize, y0: usize, y1: usize, o0: usize, o1: usize, relaxed: bool): void {
  const nb = n >> 8;
  const bs0 = y0 + <usize>n, bs1 = y1 + <usize>n;
  const dp0 = bs0 + (<usize>nb << 5), dp1 = bs1 + (<usize>nb << 5);
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const ao = <usize>b << 8, bo = <usize>b << 5;
    const r0 = blockDot2Q4_K(p, y0 + ao, y1 + ao, relaxed); const t0 = second;
    const r1 = blockDot2Q4_K(p + QB, y0 + ao + 256, y1 + ao + 256, relaxed); const t1 = second;
    const r2 = blockDot2Q4_K(p + 2 * QB, y0 + ao + 512, y1 + ao + 512, relaxed); const t2 = second;
    const r3 = blockDot2Q4_K(p + 3 * QB, y0 + ao + 768, y1 + ao + 768, relaxed); const t3 = second;
    const dw = f16x4ToF32x4(gatherU16x4(p, QB));
    const mw = f16x4ToF32x4(gatherU16x4(p + 2, QB));
    const m0 = hsumI32x4x4(
      minsDotBsumsK4(p + 4, bs0 + bo), minsDotBsumsK4(p + QB + 4, bs0 + bo + 32),
      minsDotBsumsK4(p + 2 * QB + 4, bs0 + bo + 64), minsDotBsumsK4(p + 3 * QB + 4, bs0 + bo + 96),
    );
    const m1 = hsumI32x4x4(
      minsDotBsumsK4(p + 4, bs1 + bo), minsDotBsumsK4(p + QB + 4, bs1 + bo + 32),
      minsDotBsumsK4(p + 2 * QB + 4, bs1 + bo + 64), minsDotBsumsK4(p + 3 * QB + 4, bs1 + bo + 96),
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
    const p = x + <usize>b * QB;
    const e = blockTermQ4_K(p, y0 + (<usize>b << 8), bs0 + (<usize>b << 5), load<f32>(dp0 + (<usize>b << 2)), relaxed);
    const f = blockTermQ4_K(p, y1 + (<usize>b << 8), bs1 + (<usize>b << 5), load<f32>(dp1 + (<usize>b << 2)), relaxed);
    const lane = b & 3;
    if (lane == 0) { u0 += e; v0 += f; } else if (lane == 1) { u1 += e; v1 += f; } else { u2 += e; v2 += f; }
  }
  store<f32>(o0, (u0 + u1) + (u2 + f32x4.extract_lane(acc0, 3)));
  store<f32>(o1, (v0 + v1) + (v2 + f32x4.extract_lane(acc1, 3)));
}

/**
 * Matrix x vector: out[r] = dot(row r, y) for r in [r0, r1); rows of n
 * weights start at w and follow each other (n / 256 * 144 bytes each). The
 * build's best kernel.
 */
export function matVecQ4_K(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>(n >> 8) * QB;
  let sink = i32x4.splat(0);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w, r, r1, rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotQ4_KQ8_KImpl(n, w + <usize>r * rowBytes, y, true));
  }
  keepAlive(sink, out, n);
}

/**
 * Matrix x matrix (prefill): for tokens t in [0, nTok) and rows r in [r0, r1),
 * out[t * outStride + r] = dot(row r, activation row t at y + t * yStride).
 * A row is read from memory once and reused from cache for every token;
 * tokens go in pairs, so each block's nibbles and scales are unpacked once
 * for two tokens.
 */
export function matMatQ4_K(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 8) * QB;
  const ys = <usize>yStride, os = <usize>outStride << 2;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    const o = out + (<usize>r << 2);
    let t = 0;
    for (; t + 2 <= nTok; t += 2) {
      vecDot2Q4_K(n, row, y + <usize>t * ys, y + <usize>(t + 1) * ys, o + <usize>t * os, o + <usize>(t + 1) * os, true);
    }
    if (t < nTok) store<f32>(o + <usize>t * os, vecDotQ4_KQ8_KImpl(n, row, y + <usize>t * ys, true));
  }
}
