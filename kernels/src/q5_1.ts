// Q5_1 weights (ggml block_q5_1, 24 bytes per 32 weights):
//   d   f16      at +0   scale
//   m   f16      at +2   minimum
//   qh  u32      at +4   bit j = 5th bit of weight j (little-endian bytes)
//   qs  u8[16]   at +8   low nibble of qs[j] = weight j's low 4 bits, high nibble = weight j + 16's
//   weight = q * d + m, q = nibble | (5th bit << 4) in 0..31
// Paired activation: Q8_1 (q8_act.ts). Per block, as ggml's vec_dot_q5_1_q8_1:
//   value = (dw * da) * sum(q * a) + m * s
// then lane b % 4 and (l0 + l1) + (l2 + l3) (common.ts). q in 0..31 is the
// relaxed dot's 7-bit operand as it is.

import {
  f16ToF32, gatherU16x4, hsumI32x4x4, hsumI32x4, qhToHighBitsLo, qhToHighBitsHi, byteSplat, f16x4ToF32x4Hoisted,
  F16_SIGN, F16_EM, F16_TINY, F16_MAX_FINITE, F16_REBIAS, F16_MIN_NORMAL,
  touchFrom, touchAhead, keepAlive,
} from './common';

const QB: usize = 24;

// @ts-ignore: decorator
@inline function weightQ(p: usize, j: i32): i32 {
  const qh = load<u32>(p, 4);
  const byte = <i32>load<u8>(p + 8 + <usize>(j & 15));
  const low = j < 16 ? byte & 15 : byte >> 4;
  return low | (<i32>((qh >> <u32>j) & 1) << 4);
}

export function dequantizeRowQ5_1(x: usize, y: usize, n: i32): void {
  const nb = n >> 5;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const d = f16ToF32(load<u16>(p));
    const m = f16ToF32(load<u16>(p, 2));
    const o = y + (<usize>b << 7);
    for (let j = 0; j < 32; j++) store<f32>(o + (<usize>j << 2), <f32>weightQ(p, j) * d + m);
  }
}

export function vecDotQ5_1Q8_1Scalar(n: i32, x: usize, y: usize): f32 {
  const nb = n >> 5;
  const dy = y + <usize>n;
  const sy = dy + (<usize>nb << 3);
  let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 5);
    let isum = 0;
    for (let j = 0; j < 32; j++) isum += weightQ(p, j) * <i32>load<i8>(a + <usize>j);
    const dd = f16ToF32(load<u16>(p)) * load<f32>(dy + (<usize>b << 2));
    const v = dd * <f32>isum + f16ToF32(load<u16>(p, 2)) * load<f32>(sy + (<usize>b << 2));
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else if (lane == 2) l2 += v; else l3 += v;
  }
  return (l0 + l1) + (l2 + l3);
}

// Constants for byteSplat (common.ts, qhToHighBitsLo).
let LOW_NIBBLE: v128 = i8x16.splat(0x0f);

// @ts-ignore: decorator
@inline function blockDotQ5_1(p: usize, a: usize, relaxed: bool): v128 {
  const v = v128.load(p, 8);
  const qh = v128.load32_splat(p + 4);
  const lo = v128.or(v128.and(v, byteSplat(LOW_NIBBLE, 0x0f)), qhToHighBitsLo(qh));
  const hi = v128.or(v128.and(i16x8.shr_u(v, 4), byteSplat(LOW_NIBBLE, 0x0f)), qhToHighBitsHi(qh));
  const a0 = v128.load(a), a1 = v128.load(a, 16);
  if (ASC_FEATURE_RELAXED_SIMD && relaxed) {
    return i32x4.extadd_pairwise_i16x8_s(i16x8.add(
      i16x8.relaxed_dot_i8x16_i7x16_s(a0, lo), i16x8.relaxed_dot_i8x16_i7x16_s(a1, hi),
    ));
  }
  // |4 products| <= 4 * 31 * 127 fits i16.
  return i32x4.extadd_pairwise_i16x8_s(i16x8.add(
    i16x8.add(i16x8.extmul_low_i8x16_s(lo, a0), i16x8.extmul_high_i8x16_s(lo, a0)),
    i16x8.add(i16x8.extmul_low_i8x16_s(hi, a1), i16x8.extmul_high_i8x16_s(hi, a1)),
  ));
}

// @ts-ignore: decorator
@inline function vecDotQ5_1Impl(n: i32, x: usize, y: usize, relaxed: bool): f32 {
  const nb = n >> 5;
  const dy = y + <usize>n;
  const sy = dy + (<usize>nb << 3);
  // Constants hoisted out of the loop (common.ts, "hoisted constants").
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  let acc = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 5);
    const isum = hsumI32x4x4(
      blockDotQ5_1(p, a, relaxed), blockDotQ5_1(p + QB, a + 32, relaxed),
      blockDotQ5_1(p + 2 * QB, a + 64, relaxed), blockDotQ5_1(p + 3 * QB, a + 96, relaxed),
    );
    const dd = f32x4.mul(f16x4ToF32x4Hoisted(gatherU16x4(p, QB), hs, hem, hti, hmax, hrb, hmn), v128.load(dy + (<usize>b << 2)));
    const ms = f32x4.mul(f16x4ToF32x4Hoisted(gatherU16x4(p + 2, QB), hs, hem, hti, hmax, hrb, hmn), v128.load(sy + (<usize>b << 2)));
    acc = f32x4.add(acc, f32x4.add(f32x4.mul(dd, f32x4.convert_i32x4_s(isum)), ms));
  }
  let l0 = f32x4.extract_lane(acc, 0), l1 = f32x4.extract_lane(acc, 1);
  let l2 = f32x4.extract_lane(acc, 2);
  for (; b < nb; b++) {
    const p = x + <usize>b * QB;
    const isum = hsumI32x4(blockDotQ5_1(p, y + (<usize>b << 5), false));
    const dd = f16ToF32(load<u16>(p)) * load<f32>(dy + (<usize>b << 2));
    const v = dd * <f32>isum + f16ToF32(load<u16>(p, 2)) * load<f32>(sy + (<usize>b << 2));
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else l2 += v;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

export function vecDotQ5_1Q8_1Simd128(n: i32, x: usize, y: usize): f32 {
  return vecDotQ5_1Impl(n, x, y, false);
}

export function vecDotQ5_1Q8_1Relaxed(n: i32, x: usize, y: usize): f32 {
  return vecDotQ5_1Impl(n, x, y, true);
}

export function matVecQ5_1(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>(n >> 5) * QB;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotQ5_1Impl(n, w + <usize>r * rowBytes, y, true));
  }
  keepAlive(sink, out, n);
}

export function matMatQ5_1(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 5) * QB;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    for (let t = 0; t < nTok; t++) {
      const o = out + ((<usize>t * <usize>outStride + <usize>r) << 2);
      store<f32>(o, vecDotQ5_1Impl(n, row, y + <usize>t * <usize>yStride, true));
    }
  }
}
