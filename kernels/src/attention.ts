// Causal multi-head attention for a batch of tokens over the KV cache, with
// llama.cpp's default numerics (no flash attention, F16 cache):
//   s_j = (f16(q) . k_j) * scale                 for cached positions j <= p
//   w_j = f16(exp(s_j - max) / sum)              (sum in f64; f32 divide)
//   out = sum_j w_j * v_j                        (f32 accumulation)
// ggml rounds q and the softmax weights to f16 because it multiplies them
// with f16 cache rows; with an f32 cache nothing is rounded.
//
// Work unit ("row"): one head of one token, row = t * nHead + h, so threads
// split heads and tokens alike. Each row has its own score buffer of ctx f32
// at scores + row * ctx * 4. Cache rows hold nHeadKv * headDim values per
// position; query head h reads kv head h / (nHead / nHeadKv) (GQA).
// headDim is a multiple of 4.

import {
  f16ToF32, f16x4ToF32x4Hoisted, f32ToF16,
  F16_SIGN, F16_EM, F16_TINY, F16_MAX_FINITE, F16_REBIAS, F16_MIN_NORMAL,
} from './common';
import { expF32, expF32x4 } from './math';

// @ts-ignore: decorator
@inline function roundF16(v: f32): f32 {
  return f16ToF32(f32ToF16(v));
}

/** Four halves at p to f32x4; the conversion's constants are read once per call (common.ts, "hoisted constants"). */
// @ts-ignore: decorator
@inline function loadF16x4(p: usize, hs: v128, hem: v128, hti: v128, hmax: v128, hrb: v128, hmn: v128): v128 {
  return f16x4ToF32x4Hoisted(i32x4.extend_low_i16x8_u(v128.load64_zero(p)), hs, hem, hti, hmax, hrb, hmn);
}

/** Scalar reference: dot of a head (f32, already rounded as needed) with a cache row; element i goes to partial sum i % 4, as the SIMD lanes. */
function dotScalar(q: usize, k: usize, d: i32, f16: bool): f32 {
  let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
  for (let i = 0; i < d; i += 4) {
    l0 += load<f32>(q + (<usize>i << 2)) * cacheValue(k, i, f16);
    l1 += load<f32>(q + (<usize>(i + 1) << 2)) * cacheValue(k, i + 1, f16);
    l2 += load<f32>(q + (<usize>(i + 2) << 2)) * cacheValue(k, i + 2, f16);
    l3 += load<f32>(q + (<usize>(i + 3) << 2)) * cacheValue(k, i + 3, f16);
  }
  return (l0 + l1) + (l2 + l3);
}

// @ts-ignore: decorator
@inline function cacheValue(p: usize, i: i32, f16: bool): f32 {
  return f16 ? f16ToF32(load<u16>(p + (<usize>i << 1))) : load<f32>(p + (<usize>i << 2));
}

/** SIMD: four lanes of partial sums over i % 4, reduced (l0 + l1) + (l2 + l3). */
function dotSimd128(q: usize, k: usize, d: i32, f16: bool): f32 {
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  let acc = f32x4.splat(0);
  for (let i = 0; i < d; i += 4) {
    const kv = f16 ? loadF16x4(k + (<usize>i << 1), hs, hem, hti, hmax, hrb, hmn) : v128.load(k + (<usize>i << 2));
    acc = f32x4.add(acc, f32x4.mul(v128.load(q + (<usize>i << 2)), kv));
  }
  return (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
}

/** out[0..d) += w * v[0..d) (scalar reference). */
function axpyScalar(out: usize, v: usize, w: f32, d: i32, f16: bool): void {
  for (let i = 0; i < d; i++) {
    const o = out + (<usize>i << 2);
    store<f32>(o, load<f32>(o) + w * cacheValue(v, i, f16));
  }
}

function axpySimd128(out: usize, v: usize, w: f32, d: i32, f16: bool): void {
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  const wv = f32x4.splat(w);
  for (let i = 0; i < d; i += 4) {
    const vv = f16 ? loadF16x4(v + (<usize>i << 1), hs, hem, hti, hmax, hrb, hmn) : v128.load(v + (<usize>i << 2));
    const o = out + (<usize>i << 2);
    v128.store(o, f32x4.add(v128.load(o), f32x4.mul(wv, vv)));
  }
}

function attentionRows(
  r0: i32, r1: i32, out: usize, q: usize, keys: usize, values: usize, scores: usize,
  nHead: i32, nHeadKv: i32, headDim: i32, pos0: i32, ctx: i32, f16: bool, simd: bool,
): void {
  const group = nHead / nHeadKv;
  const scale: f32 = <f32>1 / Mathf.sqrt(<f32>headDim);
  const kvRow: usize = <usize>(nHeadKv * headDim) << (f16 ? 1 : 2);
  const headBytes: usize = <usize>headDim << (f16 ? 1 : 2);
  for (let row = r0; row < r1; row++) {
    const t = row / nHead, h = row % nHead;
    const p = pos0 + t;
    const qh = q + (<usize>row * <usize>headDim << 2);
    const oh = out + (<usize>row * <usize>headDim << 2);
    const kvOff = <usize>(h / group) * headBytes;
    const s = scores + (<usize>row * <usize>ctx << 2);
    if (f16) for (let i = 0; i < headDim; i++) store<f32>(qh + (<usize>i << 2), roundF16(load<f32>(qh + (<usize>i << 2))));

    let max = -Infinity as f32;
    for (let j = 0; j <= p; j++) {
      const k = keys + <usize>j * kvRow + kvOff;
      const v = (simd ? dotSimd128(qh, k, headDim, f16) : dotScalar(qh, k, headDim, f16)) * scale;
      store<f32>(s + (<usize>j << 2), v);
      if (v > max) max = v;
    }
    let sum: f64 = 0;
    let j = 0;
    // expF32x4 gives expF32's bits; the f64 sum still adds in order of j.
    if (simd) {
      const mv = f32x4.splat(max);
      for (; j + 4 <= p + 1; j += 4) {
        const e = expF32x4(f32x4.sub(v128.load(s + (<usize>j << 2)), mv));
        v128.store(s + (<usize>j << 2), e);
        sum += <f64>f32x4.extract_lane(e, 0);
        sum += <f64>f32x4.extract_lane(e, 1);
        sum += <f64>f32x4.extract_lane(e, 2);
        sum += <f64>f32x4.extract_lane(e, 3);
      }
    }
    for (; j <= p; j++) {
      const e = expF32(load<f32>(s + (<usize>j << 2)) - max);
      store<f32>(s + (<usize>j << 2), e);
      sum += <f64>e;
    }
    const inv = <f32>(1.0 / sum);
    for (let i = 0; i < headDim; i++) store<f32>(oh + (<usize>i << 2), 0);
    for (let j = 0; j <= p; j++) {
      let w = load<f32>(s + (<usize>j << 2)) * inv;
      if (f16) w = roundF16(w);
      const v = values + <usize>j * kvRow + kvOff;
      if (simd) axpySimd128(oh, v, w, headDim, f16); else axpyScalar(oh, v, w, headDim, f16);
    }
  }
}

/**
 * Attention for rows [r0, r1) (row = token * nHead + head) of a batch whose
 * first token sits at position pos0; q and out are (tokens, nHead * headDim)
 * f32; the cache holds positions 0 .. pos0 + tokens - 1. q is rounded in
 * place when the cache is f16. kvF16: 1 for an f16 cache, 0 for f32.
 */
export function attentionSimd128(
  r0: i32, r1: i32, out: usize, q: usize, keys: usize, values: usize, scores: usize,
  nHead: i32, nHeadKv: i32, headDim: i32, pos0: i32, ctx: i32, kvF16: i32,
): void {
  attentionRows(r0, r1, out, q, keys, values, scores, nHead, nHeadKv, headDim, pos0, ctx, kvF16 != 0, true);
}

/** Scalar reference of attentionSimd128, same arguments. */
export function attentionScalar(
  r0: i32, r1: i32, out: usize, q: usize, keys: usize, values: usize, scores: usize,
  nHead: i32, nHeadKv: i32, headDim: i32, pos0: i32, ctx: i32, kvF16: i32,
): void {
  attentionRows(r0, r1, out, q, keys, values, scores, nHead, nHeadKv, headDim, pos0, ctx, kvF16 != 0, false);
}

/** Stores rows of n f32 at src into the cache at dst: f16 (round to nearest even) when kvF16, else f32. */
export function storeKvRows(dst: usize, src: usize, n: i32, rows: i32, kvF16: i32): void {
  const total = n * rows;
  if (kvF16 == 0) {
    memory.copy(dst, src, <usize>total << 2);
    return;
  }
  for (let i = 0; i < total; i++) store<u16>(dst + (<usize>i << 1), <u16>f32ToF16(load<f32>(src + (<usize>i << 2))));
}
