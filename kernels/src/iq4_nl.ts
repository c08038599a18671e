// IQ4_NL weights (ggml block_iq4_nl, 18 bytes per 32 weights):
//   d   f16      at +0   scale
//   qs  u8[16]   at +2   low nibble of qs[j] = index of weight j, high nibble = of weight j + 16
//   weight = KVALUES[index] * d, with ggml's fixed non-linear table kvalues_iq4nl
// Paired activation: Q8 (q8_act.ts). Per block, as ggml's vec_dot_iq4_nl_q8_0:
//   value = (dw * da) * sum(KVALUES[i] * a)
// then lane b % 4 and (l0 + l1) + (l2 + l3) (common.ts). The table values
// are signed (-127..113), so the relaxed dot does not apply; the lookup is
// one i8x16.swizzle (arm64 TBL). In the relaxed build relaxed_swizzle is
// used: with indices 0..15 its result is defined, and x86 skips the
// out-of-range fix-up.

import {
  f16ToF32, gatherU16x4, hsumI32x4x4, hsumI32x4, f16x4ToF32x4Hoisted,
  F16_SIGN, F16_EM, F16_TINY, F16_MAX_FINITE, F16_REBIAS, F16_MIN_NORMAL,
  touchFrom, touchAhead, keepAlive, byteSplat,
} from './common';

const QB: usize = 18;

/** ggml's kvalues_iq4nl[i], spelled out: the module owns no data segment to hold a table. */
function kvalue(i: i32): i32 {
  switch (i) {
    case 0: return -127; case 1: return -104; case 2: return -83; case 3: return -65;
    case 4: return -49; case 5: return -35; case 6: return -22; case 7: return -10;
    case 8: return 1; case 9: return 13; case 10: return 25; case 11: return 38;
    case 12: return 53; case 13: return 69; case 14: return 89; default: return 113;
  }
}

export function dequantizeRowIQ4_NL(x: usize, y: usize, n: i32): void {
  const nb = n >> 5;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const d = f16ToF32(load<u16>(p));
    const o = y + (<usize>b << 7);
    for (let j = 0; j < 16; j++) {
      const q = <i32>load<u8>(p + 2 + <usize>j);
      store<f32>(o + (<usize>j << 2), <f32>kvalue(q & 15) * d);
      store<f32>(o + (<usize>(j + 16) << 2), <f32>kvalue(q >> 4) * d);
    }
  }
}

export function vecDotIQ4_NLQ8_0Scalar(n: i32, x: usize, y: usize): f32 {
  const nb = n >> 5;
  const dy = y + <usize>n;
  let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 5);
    let isum = 0;
    for (let j = 0; j < 16; j++) {
      const q = <i32>load<u8>(p + 2 + <usize>j);
      isum += kvalue(q & 15) * <i32>load<i8>(a + <usize>j);
      isum += kvalue(q >> 4) * <i32>load<i8>(a + 16 + <usize>j);
    }
    const v = (f16ToF32(load<u16>(p)) * load<f32>(dy + (<usize>b << 2))) * <f32>isum;
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else if (lane == 2) l2 += v; else l3 += v;
  }
  return (l0 + l1) + (l2 + l3);
}

// Constants for byteSplat (common.ts, qhToHighBitsLo).
let LOW_NIBBLE: v128 = i8x16.splat(0x0f);
let VALUES: v128 = i8x16(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

// @ts-ignore: decorator
@inline function lookup(idx: v128, relaxed: bool): v128 {
  const t = ASC_FEATURE_RELAXED_SIMD ? VALUES : i8x16(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
  if (ASC_FEATURE_RELAXED_SIMD && relaxed) return i8x16.relaxed_swizzle(t, idx);
  return i8x16.swizzle(t, idx);
}

/** |w * a| <= 127 * 127, so a low+high pair fits i16 (activations never reach -128). */
// @ts-ignore: decorator
@inline function blockDotIQ4_NL(p: usize, a: usize, relaxed: bool): v128 {
  const v = v128.load(p, 2);
  const lo = lookup(v128.and(v, byteSplat(LOW_NIBBLE, 0x0f)), relaxed);
  const hi = lookup(v128.and(i16x8.shr_u(v, 4), byteSplat(LOW_NIBBLE, 0x0f)), relaxed);
  const a0 = v128.load(a), a1 = v128.load(a, 16);
  const s0 = i16x8.add(i16x8.extmul_low_i8x16_s(lo, a0), i16x8.extmul_high_i8x16_s(lo, a0));
  const s1 = i16x8.add(i16x8.extmul_low_i8x16_s(hi, a1), i16x8.extmul_high_i8x16_s(hi, a1));
  return i32x4.add(i32x4.extadd_pairwise_i16x8_s(s0), i32x4.extadd_pairwise_i16x8_s(s1));
}

// @ts-ignore: decorator
@inline function vecDotIQ4_NLImpl(n: i32, x: usize, y: usize, relaxed: bool): f32 {
  const nb = n >> 5;
  const dy = y + <usize>n;
  // Constants hoisted out of the loop (common.ts, "hoisted constants").
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  let acc = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 5);
    const isum = hsumI32x4x4(
      blockDotIQ4_NL(p, a, relaxed), blockDotIQ4_NL(p + QB, a + 32, relaxed),
      blockDotIQ4_NL(p + 2 * QB, a + 64, relaxed), blockDotIQ4_NL(p + 3 * QB, a + 96, relaxed),
    );
    const dd = f32x4.mul(f16x4ToF32x4Hoisted(gatherU16x4(p, QB), hs, hem, hti, hmax, hrb, hmn), v128.load(dy + (<usize>b << 2)));
    acc = f32x4.add(acc, f32x4.mul(dd, f32x4.convert_i32x4_s(isum)));
  }
  let l0 = f32x4.extract_lane(acc, 0), l1 = f32x4.extract_lane(acc, 1);
  let l2 = f32x4.extract_lane(acc, 2);
  for (; b < nb; b++) {
    const p = x + <usize>b * QB;
    const isum = hsumI32x4(blockDotIQ4_NL(p, y + (<usize>b << 5), false));
    const v = (f16ToF32(load<u16>(p)) * load<f32>(dy + (<usize>b << 2))) * <f32>isum;
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else l2 += v;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

export function vecDotIQ4_NLQ8_0Simd128(n: i32, x: usize, y: usize): f32 {
  return vecDotIQ4_NLImpl(n, x, y, false);
}

export function vecDotIQ4_NLQ8_0Relaxed(n: i32, x: usize, y: usize): f32 {
  return vecDotIQ4_NLImpl(n, x, y, true);
}

export function matVecIQ4_NL(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>(n >> 5) * QB;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotIQ4_NLImpl(n, w + <usize>r * rowBytes, y, true));
  }
  keepAlive(sink, out, n);
}

export function matMatIQ4_NL(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 5) * QB;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    for (let t = 0; t < nTok; t++) {
      const o = out + ((<usize>t * <usize>outStride + <usize>r) << 2);
      store<f32>(o, vecDotIQ4_NLImpl(n, row, y + <usize>t * <usize>yStride, true));
    }
  }
}
