// Activation quantizer Q8_K: how llama.cpp turns an f32 activation row into
// 8-bit super-blocks before a K-quant (Q2_K..Q6_K) matrix x vector, rounding
// exactly as ggml's quantize_row_q8_K_ref:
//   per block of 256: max = the value of largest magnitude (the first one if
//   several tie), iscale = -127 / max (f32), q = nearest(iscale * x) with ties
//   to even (ggml's nearest_int), capped at 127, d = 1 / iscale (f32, not
//   rounded to f16); bsums[j] = sum of q[16j .. 16j+15].
//   An all-zero block has d = 0, q = 0 and bsums = 0, and so has a block whose
//   largest magnitude is below 127 / FLT_MAX (about 3.7e-37): there iscale
//   overflows to infinity and ggml's nearest_int of inf * x is garbage, so
//   nibble defines it as zero instead (no real activation is that small).
// The sign flip (d < 0 when max > 0) is ggml's: it makes q(max) = -127.
//
// ggml's block_q8_K is {d f32, qs[256], bsums[16] i16}; nibble's activation
// layout is its own (as q8_act.ts), so kernels load aligned and in order. For a
// row of n values (n a multiple of 256, nb = n / 256) at address y:
//   y              qs[n]        int8, block b at y + 256*b
//   y + n          bsums[16*nb] i16, block b at y + n + 32*b
//   y + n + 32*nb  d[nb]        f32
// Total: actQ8KRowBytes(n) = n + 36 * nb bytes.
// The K-quant kernels rely on bsums being the sums of the qs (they take the
// min and offset corrections from them, as llama.cpp's SIMD paths do).

import { hsumI32x4x4, maxMagnitude, ROUND_MAGIC } from './common';

/** Bytes of one Q8_K activation row of n values. */
export function actQ8KRowBytes(n: i32): i32 {
  return n + 36 * (n >> 8);
}

/** Scalar reference: quantizes n f32 at x (n % 256 == 0) to a Q8_K activation row at y. */
export function quantizeRowQ8_KScalar(x: usize, y: usize, n: i32): void {
  const nb = n >> 8;
  const bsPtr = y + <usize>n;
  const dPtr = bsPtr + (<usize>nb << 5);
  for (let b = 0; b < nb; b++) {
    const xb = x + (<usize>b << 10);
    const qb = y + (<usize>b << 8);
    const bs = bsPtr + (<usize>b << 5);
    let amax: f32 = 0;
    let max: f32 = 0;
    for (let j = 0; j < 256; j++) {
      const v = load<f32>(xb + (<usize>j << 2));
      const ax = Mathf.abs(v);
      if (ax > amax) {
        amax = ax;
        max = v;
      }
    }
    const iscale: f32 = <f32>-127.0 / max;
    if (amax == 0 || !isFinite(iscale)) {
      memory.fill(qb, 0, 256);
      memory.fill(bs, 0, 32);
      store<f32>(dPtr + (<usize>b << 2), 0);
      continue;
    }
    for (let j = 0; j < 256; j++) {
      let q = <i32>nearest<f32>(iscale * load<f32>(xb + (<usize>j << 2)));
      if (q > 127) q = 127;
      store<i8>(qb + <usize>j, <i8>q);
    }
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let l = 0; l < 16; l++) s += <i32>load<i8>(qb + <usize>(16 * j + l));
      store<i16>(bs + (<usize>j << 1), <i16>s);
    }
    store<f32>(dPtr + (<usize>b << 2), <f32>1.0 / iscale);
  }
}

/**
 * Four quantized lanes: nearest (ties to even) of v * iscale, capped at 127;
 * a NaN lane (an infinite input times iscale 0) gives 0. |v * iscale| <= 127
 * or so, so adding 1.5 * 2^23 rounds to the nearest integer in the float's
 * low bits (x64 has no cheap i32x4.trunc_sat_f32x4_s).
 */
// @ts-ignore: decorator
@inline function quant4(v: v128, iscale: v128, magic: v128, cap: v128): v128 {
  const x = f32x4.mul(v, iscale);
  const q = v128.and(i32x4.sub(f32x4.add(x, magic), magic), f32x4.eq(x, x));
  return i32x4.min_s(q, cap);
}

let QUANT_CAP: v128 = i32x4.splat(127);

/** SIMD128: bit-identical to quantizeRowQ8_KScalar. */
export function quantizeRowQ8_KSimd128(x: usize, y: usize, n: i32): void {
  const nb = n >> 8;
  const bsPtr = y + <usize>n;
  const dPtr = bsPtr + (<usize>nb << 5);
  const magic = ROUND_MAGIC, cap = QUANT_CAP;
  for (let b = 0; b < nb; b++) {
    const xb = x + (<usize>b << 10);
    const qb = y + (<usize>b << 8);
    const bs = bsPtr + (<usize>b << 5);
    // Magnitudes compare as their bits (maxMagnitude, common.ts).
    let m = i32x4.splat(0);
    for (let j = 0; j < 1024; j += 64) {
      const p = xb + <usize>j;
      m = i32x4.max_s(m, i32x4.max_s(
        i32x4.max_s(f32x4.abs(v128.load(p)), f32x4.abs(v128.load(p, 16))),
        i32x4.max_s(f32x4.abs(v128.load(p, 32)), f32x4.abs(v128.load(p, 48))),
      ));
    }
    const amax = maxMagnitude(m);
    // The sign of max matters: find the first value whose magnitude is amax.
    const am = f32x4.splat(amax);
    let max: f32 = amax;
    for (let j = 0; j < 1024; j += 16) {
      const v = v128.load(xb + <usize>j);
      if (v128.any_true(f32x4.eq(f32x4.abs(v), am))) {
        for (let l = 0; l < 16; l += 4) {
          const s = load<f32>(xb + <usize>(j + l));
          if (Mathf.abs(s) == amax) {
            max = s;
            break;
          }
        }
        break;
      }
    }
    const iscale: f32 = <f32>-127.0 / max;
    if (amax == 0 || !isFinite(iscale)) {
      memory.fill(qb, 0, 256);
      memory.fill(bs, 0, 32);
      store<f32>(dPtr + (<usize>b << 2), 0);
      continue;
    }
    const is = f32x4.splat(iscale);
    for (let g = 0; g < 16; g += 4) {
      // four groups of 16 quants: store them and their four bsums
      const p = xb + (<usize>g << 6);
      const q = qb + (<usize>g << 4);
      let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
      for (let k = 0; k < 4; k++) {
        const pk = p + (<usize>k << 6);
        const q0 = quant4(v128.load(pk), is, magic, cap), q1 = quant4(v128.load(pk, 16), is, magic, cap);
        const q2 = quant4(v128.load(pk, 32), is, magic, cap), q3 = quant4(v128.load(pk, 48), is, magic, cap);
        v128.store(q + (<usize>k << 4), i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
        const s = i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3));
        if (k == 0) s0 = s; else if (k == 1) s1 = s; else if (k == 2) s2 = s; else s3 = s;
      }
      const sums = hsumI32x4x4(s0, s1, s2, s3);
      v128.store64_lane(bs + (<usize>g << 1), i16x8.narrow_i32x4_s(sums, sums), 0);
    }
    store<f32>(dPtr + (<usize>b << 2), <f32>1.0 / iscale);
  }
}

/**
 * Quantizes `rows` activation rows (f32, `xStride` bytes apart) to Q8_K rows
 * `yStride` bytes apart; the engine calls it once per matmul.
 */
export function quantizeRowsQ8_K(r0: i32, r1: i32, x: usize, xStride: i32, y: usize, yStride: i32, n: i32): void {
  for (let r = r0; r < r1; r++) {
    quantizeRowQ8_KSimd128(x + <usize>r * <usize>xStride, y + <usize>r * <usize>yStride, n);
  }
}
