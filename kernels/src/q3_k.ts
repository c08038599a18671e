// Q3_K weights (ggml block_q3_K, 110 bytes per 256 weights):
//   hmask  u8[32]    at +0    high bits: bit k of hmask[l] belongs to weight 32k + l
//   qs     u8[64]    at +32   low 2 bits; half h (weights 128h..128h+127) uses
//                             qs[32h..32h+31]: weight 128h + 32t + l is
//                             (qs[32h + l] >> 2t) & 3
//   scales u8[12]    at +96   16 scales of 6 bits, stored + 32: scale j has
//                             low 4 bits in byte j (j < 8) or the high nibble
//                             of byte j - 8, high 2 bits at bits 2*(j/4) of
//                             byte 8 + j % 4
//   d      f16       at +108  super-block scale
// weight i = d * (sc[i/16] - 32) * (q - 4) with q = low | high bit << 2 (0..7):
// a clear hmask bit means -4 (ggml stores it that way round).
// Paired activation: Q8_K (q8_k.ts). The unsigned q (0..7) fits the relaxed
// dot's 7-bit operand; the -4 offset is taken out with the bsums.
//
// Per block b (llama.cpp's result semantics): isum = sum_j (sc[j] - 32) * sum_i (q - 4) * a
// (exact i32), d = f16(d) * dy, lane[b % 4] += d * isum,
// result (l0 + l1) + (l2 + l3) (common.ts explains the order).

import { f16ToF32, f16x4ToF32x4, gatherU16x4, hsumI32x4x4, hsumI32x4, touchFrom, touchAhead, keepAlive, byteSplat } from './common';
import { dot16U7, scalesDotBsums16 } from './k_common';

const QB: usize = 110;
// Constants for byteSplat (common.ts, qhToHighBitsLo).
let TWO_BITS: v128 = i8x16.splat(3);
let BIT2: v128 = i8x16.splat(4);
let THIRTY_TWO: v128 = i8x16.splat(32);

/** The stored 6-bit scale j (0..63; the scale is this - 32) of the scales at s. */
// @ts-ignore: decorator
@inline function scaleQ3_K(s: usize, j: i32): i32 {
  const b = <i32>load<u8>(s + <usize>(j & 7));
  const low = j < 8 ? b & 15 : b >> 4;
  const high = (<i32>load<u8>(s + 8 + <usize>(j & 3)) >> ((j >> 2) << 1)) & 3;
  return low | (high << 4);
}

/** The signed quant (-4..3) of weight i of the block at p. */
// @ts-ignore: decorator
@inline function quantQ3_K(p: usize, i: i32): i32 {
  const low = (<i32>load<u8>(p + 32 + <usize>(((i >> 7) << 5) + (i & 31))) >> (((i >> 5) & 3) << 1)) & 3;
  const high = (<i32>load<u8>(p + <usize>(i & 31)) >> (i >> 5)) & 1;
  return low - (high != 0 ? 0 : 4);
}

/** Dequantizes n weights (n % 256 == 0) of one Q3_K row at x to f32 at y. */
export function dequantizeRowQ3_K(x: usize, y: usize, n: i32): void {
  const nb = n >> 8;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const d = f16ToF32(load<u16>(p, 108));
    const o = y + (<usize>b << 10);
    for (let j = 0; j < 16; j++) {
      const dl: f32 = d * <f32>(scaleQ3_K(p + 96, j) - 32);
      for (let l = 0; l < 16; l++) {
        store<f32>(o + (<usize>(16 * j + l) << 2), dl * <f32>quantQ3_K(p, 16 * j + l));
      }
    }
  }
}

/** Scalar reference: dot of one Q3_K row (n weights at x) with one Q8_K activation row at y. */
export function vecDotQ3_KQ8_KScalar(n: i32, x: usize, y: usize): f32 {
  const nb = n >> 8;
  const dPtr = y + <usize>n + (<usize>nb << 5);
  let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 8);
    let isum = 0;
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let l = 0; l < 16; l++) s += quantQ3_K(p, 16 * j + l) * <i32>load<i8>(a + <usize>(16 * j + l));
      isum += (scaleQ3_K(p + 96, j) - 32) * s;
    }
    const v: f32 = f16ToF32(load<u16>(p, 108)) * load<f32>(dPtr + (<usize>b << 2)) * <f32>isum;
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else if (lane == 2) l2 += v; else l3 += v;
  }
  return (l0 + l1) + (l2 + l3);
}

/** The 16 scales of the block at p, minus 32, as i8x16 (-32..31). */
// @ts-ignore: decorator
@inline function scalesQ3_K(p: usize): v128 {
  const w0 = load<u32>(p, 96), w1 = load<u32>(p, 100), w2 = load<u32>(p, 104);
  // bytes 0..3: scales 0..3, 4..7: 4..7, 8..11: 8..11, 12..15: 12..15
  const s0 = (w0 & 0x0f0f0f0f) | ((w2 & 0x03030303) << 4);
  const s1 = (w1 & 0x0f0f0f0f) | (((w2 >> 2) & 0x03030303) << 4);
  const s2 = ((w0 >> 4) & 0x0f0f0f0f) | (((w2 >> 4) & 0x03030303) << 4);
  const s3 = ((w1 >> 4) & 0x0f0f0f0f) | (((w2 >> 6) & 0x03030303) << 4);
  let v = i32x4.splat(<i32>s0);
  v = i32x4.replace_lane(v, 1, <i32>s1);
  v = i32x4.replace_lane(v, 2, <i32>s2);
  v = i32x4.replace_lane(v, 3, <i32>s3);
  return i8x16.sub(v, byteSplat(THIRTY_TWO, 32));
}

/** Two sub-blocks of 16 (activations at a, a + 16; quants u0, u1) times their scale splats s0, s1. */
// @ts-ignore: decorator
@inline function pair16(a: usize, u0: v128, u1: v128, s0: v128, s1: v128, relaxed: bool): v128 {
  return i32x4.add(
    i32x4.dot_i16x8_s(dot16U7(v128.load(a), u0, relaxed), s0),
    i32x4.dot_i16x8_s(dot16U7(v128.load(a, 16), u1, relaxed), s1),
  );
}

/** isum of one Q3_K block at p with the activation block at a (bsums at bs), as i32x4 partial sums. */
// @ts-ignore: decorator
@inline function blockDotQ3_K(p: usize, a: usize, bs: usize, relaxed: bool): v128 {
  const m3 = byteSplat(TWO_BITS, 3);
  const b2 = byteSplat(BIT2, 4);
  const sc = scalesQ3_K(p);
  // 16-bit shifts (x86 has no byte shift); every masked bit stays in its byte.
  // Before group G (weights 32G..32G+31), bit 0 of each byte of m0/m1 is hmask bit G.
  let m0 = v128.load(p), m1 = v128.load(p, 16);
  let acc = i32x4.splat(0);
  for (let h = 0; h < 2; h++) {
    const s = h == 0 ? i16x8.extend_low_i8x16_s(sc) : i16x8.extend_high_i8x16_s(sc);
    const ah = a + (<usize>h << 7);
    let q0 = v128.load(p + 32 + (<usize>h << 5)), q1 = v128.load(p + 48 + (<usize>h << 5));
    acc = i32x4.add(acc, pair16(ah,
      v128.or(v128.and(q0, m3), v128.and(i16x8.shl(m0, 2), b2)), v128.or(v128.and(q1, m3), v128.and(i16x8.shl(m1, 2), b2)),
      v128.shuffle<i16>(s, s, 0, 0, 0, 0, 0, 0, 0, 0), v128.shuffle<i16>(s, s, 1, 1, 1, 1, 1, 1, 1, 1), relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    acc = i32x4.add(acc, pair16(ah + 32,
      v128.or(v128.and(q0, m3), v128.and(i16x8.shl(m0, 1), b2)), v128.or(v128.and(q1, m3), v128.and(i16x8.shl(m1, 1), b2)),
      v128.shuffle<i16>(s, s, 2, 2, 2, 2, 2, 2, 2, 2), v128.shuffle<i16>(s, s, 3, 3, 3, 3, 3, 3, 3, 3), relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    acc = i32x4.add(acc, pair16(ah + 64,
      v128.or(v128.and(q0, m3), v128.and(m0, b2)), v128.or(v128.and(q1, m3), v128.and(m1, b2)),
      v128.shuffle<i16>(s, s, 4, 4, 4, 4, 4, 4, 4, 4), v128.shuffle<i16>(s, s, 5, 5, 5, 5, 5, 5, 5, 5), relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    acc = i32x4.add(acc, pair16(ah + 96,
      v128.or(v128.and(q0, m3), v128.and(i16x8.shr_u(m0, 1), b2)), v128.or(v128.and(q1, m3), v128.and(i16x8.shr_u(m1, 1), b2)),
      v128.shuffle<i16>(s, s, 6, 6, 6, 6, 6, 6, 6, 6), v128.shuffle<i16>(s, s, 7, 7, 7, 7, 7, 7, 7, 7), relaxed));
    m0 = i16x8.shr_u(m0, 4); m1 = i16x8.shr_u(m1, 4);
  }
  // the -4 offset: sum_j (sc[j] - 32) * 4 * bsum[j]
  return i32x4.sub(acc, i32x4.shl(scalesDotBsums16(sc, bs), 2));
}

// @ts-ignore: decorator
@inline function vecDotQ3_KQ8_KImpl(n: i32, x: usize, y: usize, relaxed: bool): f32 {
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
      blockDotQ3_K(p, a, bs, relaxed), blockDotQ3_K(p + QB, a + 256, bs + 32, relaxed),
      blockDotQ3_K(p + 2 * QB, a + 512, bs + 64, relaxed), blockDotQ3_K(p + 3 * QB, a + 768, bs + 96, relaxed),
    );
    const d = f32x4.mul(f16x4ToF32x4(gatherU16x4(p + 108, QB)), v128.load(dPtr + (<usize>b << 2)));
    acc = f32x4.add(acc, f32x4.mul(d, f32x4.convert_i32x4_s(isum)));
  }
  let l0 = f32x4.extract_lane(acc, 0), l1 = f32x4.extract_lane(acc, 1);
  let l2 = f32x4.extract_lane(acc, 2);
  for (; b < nb; b++) {
    // Tail blocks: lanes 0..2 only, since a fourth block would have made a full group.
    const p = x + <usize>b * QB;
    const isum = hsumI32x4(blockDotQ3_K(p, y + (<usize>b << 8), bsPtr + (<usize>b << 5), relaxed));
    const v: f32 = f16ToF32(load<u16>(p, 108)) * load<f32>(dPtr + (<usize>b << 2)) * <f32>isum;
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else l2 += v;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

/** SIMD128 kernel: bit-identical to vecDotQ3_KQ8_KScalar. */
export function vecDotQ3_KQ8_KSimd128(n: i32, x: usize, y: usize): f32 {
  return vecDotQ3_KQ8_KImpl(n, x, y, false);
}

/** Relaxed-dot kernel (relaxed build; in the SIMD128 build the same as Simd128). Bit-identical to the scalar reference. */
export function vecDotQ3_KQ8_KRelaxed(n: i32, x: usize, y: usize): f32 {
  return vecDotQ3_KQ8_KImpl(n, x, y, true);
}

// ---- two tokens per pass (matMat): each weight block is unpacked once ----

/** The second token's block sums from blockDot2Q3_K (a global, so the call can return two vectors). */
let second: v128 = i32x4.splat(0);

/**
 * blockDotQ3_K for two activation blocks (a0, a1 with bsums at bs0, bs1):
 * returns the first one's partial sums and leaves the second's in `second`.
 * A real function with local accumulators, as in q6_k.ts.
 */
// @ts-ignore: decorator
@inline function blockDot2Q3_KBody(p: usize, a0: usize, a1: usize, bs0: usize, bs1: usize, relaxed: bool): v128 {
  const m3 = byteSplat(TWO_BITS, 3);
  const b2 = byteSplat(BIT2, 4);
  const sc = scalesQ3_K(p);
  let m0 = v128.load(p), m1 = v128.load(p, 16);
  let acc0 = i32x4.splat(0), acc1 = i32x4.splat(0);
  for (let h = 0; h < 2; h++) {
    const s = h == 0 ? i16x8.extend_low_i8x16_s(sc) : i16x8.extend_high_i8x16_s(sc);
    const x = a0 + (<usize>h << 7), y = a1 + (<usize>h << 7);
    let q0 = v128.load(p + 32 + (<usize>h << 5)), q1 = v128.load(p + 48 + (<usize>h << 5));
    let u0: v128, u1: v128, s0: v128, s1: v128;
    u0 = v128.or(v128.and(q0, m3), v128.and(i16x8.shl(m0, 2), b2)); u1 = v128.or(v128.and(q1, m3), v128.and(i16x8.shl(m1, 2), b2));
    s0 = v128.shuffle<i16>(s, s, 0, 0, 0, 0, 0, 0, 0, 0); s1 = v128.shuffle<i16>(s, s, 1, 1, 1, 1, 1, 1, 1, 1);
    acc0 = i32x4.add(acc0, pair16(x, u0, u1, s0, s1, relaxed));
    acc1 = i32x4.add(acc1, pair16(y, u0, u1, s0, s1, relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    u0 = v128.or(v128.and(q0, m3), v128.and(i16x8.shl(m0, 1), b2)); u1 = v128.or(v128.and(q1, m3), v128.and(i16x8.shl(m1, 1), b2));
    s0 = v128.shuffle<i16>(s, s, 2, 2, 2, 2, 2, 2, 2, 2); s1 = v128.shuffle<i16>(s, s, 3, 3, 3, 3, 3, 3, 3, 3);
    acc0 = i32x4.add(acc0, pair16(x + 32, u0, u1, s0, s1, relaxed));
    acc1 = i32x4.add(acc1, pair16(y + 32, u0, u1, s0, s1, relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    u0 = v128.or(v128.and(q0, m3), v128.and(m0, b2)); u1 = v128.or(v128.and(q1, m3), v128.and(m1, b2));
    s0 = v128.shuffle<i16>(s, s, 4, 4, 4, 4, 4, 4, 4, 4); s1 = v128.shuffle<i16>(s, s, 5, 5, 5, 5, 5, 5, 5, 5);
    acc0 = i32x4.add(acc0, pair16(x + 64, u0, u1, s0, s1, relaxed));
    acc1 = i32x4.add(acc1, pair16(y + 64, u0, u1, s0, s1, relaxed));
    q0 = i16x8.shr_u(q0, 2); q1 = i16x8.shr_u(q1, 2);
    u0 = v128.or(v128.and(q0, m3), v128.and(i16x8.shr_u(m0, 1), b2)); u1 = v128.or(v128.and(q1, m3), v128.and(i16x8.shr_u(m1, 1), b2));
    s0 = v128.shuffle<i16>(s, s, 6, 6, 6, 6, 6, 6, 6, 6); s1 = v128.shuffle<i16>(s, s, 7, 7, 7, 7, 7, 7, 7, 7);
    acc0 = i32x4.add(acc0, pair16(x + 96, u0, u1, s0, s1, relaxed));
    acc1 = i32x4.add(acc1, pair16(y + 96, u0, u1, s0, s1, relaxed));
    m0 = i16x8.shr_u(m0, 4); m1 = i16x8.shr_u(m1, 4);
  }
  second = i32x4.sub(acc1, i32x4.shl(scalesDotBsums16(sc, bs1), 2));
  return i32x4.sub(acc0, i32x4.shl(scalesDotBsums16(sc, bs0), 2));
}

function blockDot2Q3_KRelaxed(p: usize, a0: usize, a1: usize, bs0: usize, bs1: usize): v128 {
  return blockDot2Q3_KBody(p, a0, a1, bs0, bs1, true);
}
function blockDot2Q3_KWidening(p: usize, a0: usize, a1: usize, bs0: usize, bs1: usize): v128 {
  return blockDot2Q3_KBody(p, a0, a1, bs0, bs1, false);
}
/** blockDot2Q3_KBody compiled once per path (see blockDotQ6_K in q6_k.ts: a runtime flag becomes a select that runs both). */
// @ts-ignore: decorator
@inline function blockDot2Q3_K(p: usize, a0: usize, a1: usize, bs0: usize, bs1: usize, relaxed: bool): v128 {
  return relaxed ? blockDot2Q3_KRelaxed(p, a0, a1, bs0, bs1) : blockDot2Q3_KWidening(p, a0, a1, bs0, bs1);
}

/**
 * Dots of one row with two activation rows (y0, y1), stored to o0 and o1:
 * bit-identical to two single-token calls (same integer sums, same f32
 * operations in the same lanes).
 */
// @ts-ignore: decorator
@inline function vecDot2Q3_K(n: i32, x: usize, y0: usize, y1: usize, o0: usize, o1: usize, relaxed: bool): void {
  const nb = n >> 8;
  const bs0 = y0 + <usize>n, bs1 = y1 + <usize>n;
  const dp0 = bs0 + (<usize>nb << 5), dp1 = bs1 + (<usize>nb << 5);
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const ao = <usize>b << 8, bo = <usize>b << 5;
    const r0 = blockDot2Q3_K(p, y0 + ao, y1 + ao, bs0 + bo, bs1 + bo, relaxed); const t0 = second;
    const r1 = blockDot2Q3_K(p + QB, y0 + ao + 256, y1 + ao + 256, bs0 + bo + 32, bs1 + bo + 32, relaxed); const t1 = second;
    const r2 = blockDot2Q3_K(p + 2 * QB, y0 + ao + 512, y1 + ao + 512, bs0 + bo + 64, bs1 + bo + 64, relaxed); const t2 = second;
    const r3 = blockDot2Q3_K(p + 3 * QB, y0 + ao + 768, y1 + ao + 768, bs0 + bo + 96, bs1 + bo + 96, relaxed); const t3 = second;
    const dw = f16x4ToF32x4(gatherU16x4(p + 108, QB));
    acc0 = f32x4.add(acc0, f32x4.mul(f32x4.mul(dw, v128.load(dp0 + (<usize>b << 2))), f32x4.convert_i32x4_s(hsumI32x4x4(r0, r1, r2, r3))));
    acc1 = f32x4.add(acc1, f32x4.mul(f32x4.mul(dw, v128.load(dp1 + (<usize>b << 2))), f32x4.convert_i32x4_s(hsumI32x4x4(t0, t1, t2, t3))));
  }
  let u0 = f32x4.extract_lane(acc0, 0), u1 = f32x4.extract_lane(acc0, 1), u2 = f32x4.extract_lane(acc0, 2);
  let v0 = f32x4.extract_lane(acc1, 0), v1 = f32x4.extract_lane(acc1, 1), v2 = f32x4.extract_lane(acc1, 2);
  for (; b < nb; b++) {
    // Tail blocks (lanes 0..2), one token at a time, exactly as the one-token kernel.
    const p = x + <usize>b * QB;
    const dw = f16ToF32(load<u16>(p, 108));
    const e: f32 = dw * load<f32>(dp0 + (<usize>b << 2)) * <f32>hsumI32x4(blockDotQ3_K(p, y0 + (<usize>b << 8), bs0 + (<usize>b << 5), relaxed));
    const f: f32 = dw * load<f32>(dp1 + (<usize>b << 2)) * <f32>hsumI32x4(blockDotQ3_K(p, y1 + (<usize>b << 8), bs1 + (<usize>b << 5), relaxed));
    const lane = b & 3;
    if (lane == 0) { u0 += e; v0 += f; } else if (lane == 1) { u1 += e; v1 += f; } else { u2 += e; v2 += f; }
  }
  store<f32>(o0, (u0 + u1) + (u2 + f32x4.extract_lane(acc0, 3)));
  store<f32>(o1, (v0 + v1) + (v2 + f32x4.extract_lane(acc1, 3)));
}

/**
 * Matrix x vector: out[r] = dot(row r, y) for r in [r0, r1); rows of n
 * weights start at w and follow each other (n / 256 * 110 bytes each). The
 * build's best kernel.
 */
export function matVecQ3_K(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>(n >> 8) * QB;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotQ3_KQ8_KImpl(n, w + <usize>r * rowBytes, y, true));
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
export function matMatQ3_K(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 8) * QB;
  const ys = <usize>yStride, os = <usize>outStride << 2;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    const o = out + (<usize>r << 2);
    let t = 0;
    for (; t + 2 <= nTok; t += 2) {
      vecDot2Q3_K(n, row, y + <usize>t * ys, y + <usize>(t + 1) * ys, o + <usize>t * os, o + <usize>(t + 1) * os, true);
    }
    if (t < nTok) store<f32>(o + <usize>t * os, vecDotQ3_KQ8_KImpl(n, row, y + <usize>t * ys, true));
  }
}
