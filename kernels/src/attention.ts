// Causal multi-head attention for a batch of tokens over the KV cache, with
// llama.cpp's default numerics (no flash attention, F16 cache):
//   s_j = (f16(q) . k_j) * scale                 for cached positions j <= p
//   w_j = f16(exp(s_j - max) / sum)              (sum in f64; f32 divide)
//   out = sum_j w_j * v_j                        (f32 accumulation)
// ggml rounds q and the softmax weights to f16 because it multiplies them
// with f16 cache rows; with an f32 cache nothing is rounded.
//
// Work unit ("row"): one token and a set of up to four query heads that share
// a kv head (GQA: query head h reads kv head h / (nHead / nHeadKv)), so each
// cache row is converted from f16 once for the set rather than once per head;
// attentionUnits(nHead, nHeadKv) units per token, row = t * units + u. The
// heads of kv head g are split into sets g * group + 4s .. (four or fewer).
// Each (token, head) has its own score buffer of ctx f32 at
// scores + (t * nHead + h) * ctx * 4. Cache rows hold nHeadKv * headDim values
// per position. headDim is a multiple of 4.

import {
  f16ToF32, f16x4ToF32x4Hoisted, f32ToF16, roundF16, roundF16x4,
  F16_SIGN, F16_EM, F16_TINY, F16_MAX_FINITE, F16_REBIAS, F16_MIN_NORMAL,
} from './common';
import { expF32, expF32x4 } from './math';

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

/** out[0..d) += w * v[0..d) (scalar reference). */
function axpyScalar(out: usize, v: usize, w: f32, d: i32, f16: bool): void {
  for (let i = 0; i < d; i++) {
    const o = out + (<usize>i << 2);
    store<f32>(o, load<f32>(o) + w * cacheValue(v, i, f16));
  }
}

/** Work units per token: for each kv head, its query heads in sets of four. */
export function attentionUnits(nHead: i32, nHeadKv: i32): i32 {
  return nHeadKv * ((nHead / nHeadKv + 3) >> 2);
}

function attentionRows(
  r0: i32, r1: i32, out: usize, q: usize, keys: usize, values: usize, scores: usize,
  nHead: i32, nHeadKv: i32, headDim: i32, pos0: i32, ctx: i32, f16: bool, simd: bool,
): void {
  const group = nHead / nHeadKv;
  const sets = (group + 3) >> 2;
  const units = nHeadKv * sets;
  const kvRow: usize = <usize>(nHeadKv * headDim) << (f16 ? 1 : 2);
  const headBytes: usize = <usize>headDim << (f16 ? 1 : 2);
  // The SIMD path takes each unit's tokens of [r0, r1) together; rows are token-major.
  const t0 = r0 / units, t1 = (r1 - 1) / units;
  for (let u = 0; u < units; u++) {
    const ta = t0 * units + u >= r0 ? t0 : t0 + 1;
    const tb = t1 * units + u < r1 ? t1 : t1 - 1;
    if (ta > tb) continue;
    const g = u / sets;
    const h0 = g * group + (u % sets) * 4;
    const hn = min(4, (g + 1) * group - h0);
    const k0 = keys + <usize>g * headBytes, v0 = values + <usize>g * headBytes;
    for (let t = ta; t <= tb; t++) {
      for (let h = h0; h < h0 + hn; h++) {
        const qh = q + (<usize>(t * nHead + h) * <usize>headDim << 2);
        if (f16) roundRowF16(qh, headDim, simd);
      }
    }
    if (simd) {
      unitSimd128(ta, tb, h0, hn, out, q, k0, v0, kvRow, scores, nHead, headDim, pos0, ctx, f16);
    } else {
      for (let t = ta; t <= tb; t++) {
        for (let h = h0; h < h0 + hn; h++) headScalar(t, h, out, q, k0, v0, kvRow, scores, nHead, headDim, pos0 + t, ctx, f16);
      }
    }
  }
}

/** Rounds the d values at p (a multiple of 4) to halves in place, four at a time or (scalar reference) one by one. */
function roundRowF16(p: usize, d: i32, simd: bool): void {
  if (simd) {
    for (let i = 0; i < d; i += 4) v128.store(p + (<usize>i << 2), roundF16x4(v128.load(p + (<usize>i << 2))));
  } else {
    for (let i = 0; i < d; i++) store<f32>(p + (<usize>i << 2), roundF16(load<f32>(p + (<usize>i << 2))));
  }
}

/** Scalar reference for one (token, head): scores, softmax, weighted sum of values. */
function headScalar(
  t: i32, h: i32, out: usize, q: usize, k0: usize, v0: usize, kvRow: usize, scores: usize,
  nHead: i32, headDim: i32, p: i32, ctx: i32, f16: bool,
): void {
  const scale: f32 = <f32>1 / Mathf.sqrt(<f32>headDim);
  const row = t * nHead + h;
  const qh = q + (<usize>row * <usize>headDim << 2);
  const oh = out + (<usize>row * <usize>headDim << 2);
  const s = scores + (<usize>row * <usize>ctx << 2);
  for (let j = 0; j <= p; j++) store<f32>(s + (<usize>j << 2), dotScalar(qh, k0 + <usize>j * kvRow, headDim, f16) * scale);
  softmax(s, p, f16, false);
  for (let i = 0; i < headDim; i++) store<f32>(oh + (<usize>i << 2), 0);
  for (let j = 0; j <= p; j++) axpyScalar(oh, v0 + <usize>j * kvRow, load<f32>(s + (<usize>j << 2)), headDim, f16);
}

/**
 * Scores rows [0, p] * scale -> softmax weights in place: exp(s - max) / sum
 * with the sum in f64 in order of j, each weight rounded to f16 for an f16
 * cache (the value it multiplies).
 */
function softmax(s: usize, p: i32, f16: bool, simd: bool): void {
  let max = -Infinity as f32;
  for (let j = 0; j <= p; j++) {
    const v = load<f32>(s + (<usize>j << 2));
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
  j = 0;
  if (simd) {
    const iv = f32x4.splat(inv);
    for (; j + 4 <= p + 1; j += 4) {
      const w = f32x4.mul(v128.load(s + (<usize>j << 2)), iv);
      v128.store(s + (<usize>j << 2), f16 ? roundF16x4(w) : w);
    }
  }
  for (; j <= p; j++) {
    const w = load<f32>(s + (<usize>j << 2)) * inv;
    store<f32>(s + (<usize>j << 2), f16 ? roundF16(w) : w);
  }
}

/**
 * The heads h0 .. h0 + hn - 1 of tokens ta .. tb (one work unit): scores,
 * softmax, weighted sum of values. Cache positions go in the outer loop, so
 * an f16 row is converted once for all the tokens rather than once per token
 * (a 64-token prompt converted each row 33 times on average). The converted
 * row goes where this unit owns memory it does not need at that moment: out
 * row (tb, h0) while scores are made, q row (tb, h0), whose query is spent by
 * then, while values are added. Each (token, head) gets the same sums in the
 * same order as headScalar.
 */
function unitSimd128(
  ta: i32, tb: i32, h0: i32, hn: i32, out: usize, q: usize, k0: usize, v0: usize, kvRow: usize, scores: usize,
  nHead: i32, headDim: i32, pos0: i32, ctx: i32, f16: bool,
): void {
  const spare: usize = <usize>((tb * nHead + h0) * headDim) << 2;
  const last = pos0 + tb;
  const scale: f32 = <f32>1 / Mathf.sqrt(<f32>headDim);
  for (let j = 0; j <= last; j++) {
    const k = f16 ? rowToF32(k0 + <usize>j * kvRow, out + spare, headDim) : k0 + <usize>j * kvRow;
    for (let t = max(ta, j - pos0); t <= tb; t++) scoresAt(t, h0, hn, j, q, k, scores, nHead, headDim, ctx, scale);
  }
  for (let t = ta; t <= tb; t++) {
    for (let h = h0; h < h0 + hn; h++) softmax(scores + (<usize>(t * nHead + h) * <usize>ctx << 2), pos0 + t, f16, true);
    memory.fill(out + (<usize>((t * nHead + h0) * headDim) << 2), 0, <usize>(hn * headDim) << 2);
  }
  for (let j = 0; j <= last; j++) {
    const v = f16 ? rowToF32(v0 + <usize>j * kvRow, q + spare, headDim) : v0 + <usize>j * kvRow;
    for (let t = max(ta, j - pos0); t <= tb; t++) addValuesAt(t, h0, hn, j, out, v, scores, nHead, headDim, ctx);
  }
}

/** Converts the d halves at src to f32 at dst; returns dst. */
function rowToF32(src: usize, dst: usize, d: i32): usize {
  const hs = F16_SIGN, hem = F16_EM, hti = F16_TINY, hmax = F16_MAX_FINITE, hrb = F16_REBIAS, hmn = F16_MIN_NORMAL;
  for (let i = 0; i < d; i += 4) v128.store(dst + (<usize>i << 2), loadF16x4(src + (<usize>i << 1), hs, hem, hti, hmax, hrb, hmn));
  return dst;
}

/**
 * Score j (times scale) of the heads h0 .. h0 + hn - 1 of token t against the
 * f32 key row k. A set of fewer than four heads repeats its last head in the
 * spare lanes: the same sums land in the same place.
 */
// @ts-ignore: decorator
@inline function scoresAt(t: i32, h0: i32, hn: i32, j: i32, q: usize, k: usize, scores: usize, nHead: i32, headDim: i32, ctx: i32, scale: f32): void {
  const r0 = t * nHead + h0;
  const ra = r0 + min(1, hn - 1), rb = r0 + min(2, hn - 1), rc = r0 + min(3, hn - 1);
  const q0 = q + (<usize>r0 * <usize>headDim << 2), q1 = q + (<usize>ra * <usize>headDim << 2);
  const q2 = q + (<usize>rb * <usize>headDim << 2), q3 = q + (<usize>rc * <usize>headDim << 2);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let i = 0; i < headDim; i += 4) {
    const o = <usize>i << 2;
    const kv = v128.load(k + o);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(q0 + o), kv));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(q1 + o), kv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(q2 + o), kv));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(q3 + o), kv));
  }
  const o = <usize>j << 2;
  store<f32>(scores + (<usize>r0 * <usize>ctx << 2) + o, reduceLanes(a0) * scale);
  store<f32>(scores + (<usize>ra * <usize>ctx << 2) + o, reduceLanes(a1) * scale);
  store<f32>(scores + (<usize>rb * <usize>ctx << 2) + o, reduceLanes(a2) * scale);
  store<f32>(scores + (<usize>rc * <usize>ctx << 2) + o, reduceLanes(a3) * scale);
}

/** out rows of the heads h0 .. h0 + hn - 1 of token t += weight j * the f32 value row v. */
// @ts-ignore: decorator
@inline function addValuesAt(t: i32, h0: i32, hn: i32, j: i32, out: usize, v: usize, scores: usize, nHead: i32, headDim: i32, ctx: i32): void {
  const rows = t * nHead + h0;
  const o0 = out + (<usize>rows * <usize>headDim << 2);
  const rowBytes = <usize>headDim << 2;
  const sStride = <usize>ctx << 2;
  const sj = scores + (<usize>rows * <usize>ctx << 2) + (<usize>j << 2);
  const w0 = f32x4.splat(load<f32>(sj));
  const w1 = f32x4.splat(hn > 1 ? load<f32>(sj + sStride) : 0);
  const w2 = f32x4.splat(hn > 2 ? load<f32>(sj + 2 * sStride) : 0);
  const w3 = f32x4.splat(hn > 3 ? load<f32>(sj + 3 * sStride) : 0);
  for (let i = 0; i < headDim; i += 4) {
    const vv = v128.load(v + (<usize>i << 2));
    const o = o0 + (<usize>i << 2);
    v128.store(o, f32x4.add(v128.load(o), f32x4.mul(w0, vv)));
    if (hn > 1) v128.store(o + rowBytes, f32x4.add(v128.load(o + rowBytes), f32x4.mul(w1, vv)));
    if (hn > 2) v128.store(o + 2 * rowBytes, f32x4.add(v128.load(o + 2 * rowBytes), f32x4.mul(w2, vv)));
    if (hn > 3) v128.store(o + 3 * rowBytes, f32x4.add(v128.load(o + 3 * rowBytes), f32x4.mul(w3, vv)));
  }
}

// @ts-ignore: decorator
@inline function reduceLanes(a: v128): f32 {
  return (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
}

/**
 * Attention for rows [r0, r1) (row = token * attentionUnits + unit) of a
 * batch whose first token sits at position pos0; q and out are (tokens,
 * nHead * headDim) f32; the cache holds positions 0 .. pos0 + tokens - 1.
 * With an f16 cache q is rounded in place and, in the SIMD path, also used as
 * scratch: after the call it holds no query. kvF16: 1 for an f16 cache, 0 for f32.
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
