// Q6_K weights (ggml block_q6_K, 210 bytes per 256 weights):
//   ql     u8[128]   at +0    low 4 bits
//   qh     u8[64]    at +128  high 2 bits
//   scales i8[16]    at +192  one signed scale per 16 weights
//   d      f16       at +208  super-block scale
// Each half h (weights 128h..128h+127) uses ql[64h..], qh[32h..]; for l < 32:
//   weight 128h + l      = ql[l]    & 15 | (qh[l] >> 0 & 3) << 4
//   weight 128h + l + 32 = ql[l+32] & 15 | (qh[l] >> 2 & 3) << 4
//   weight 128h + l + 64 = ql[l]    >> 4 | (qh[l] >> 4 & 3) << 4
//   weight 128h + l + 96 = ql[l+32] >> 4 | (qh[l] >> 6 & 3) << 4
// value i = d * scales[i/16] * (q - 32), q = 0..63.
// Paired activation: Q8_K (q8_k.ts). The unsigned q (0..63) fits the relaxed
// dot's 7-bit operand; the -32 offset is taken out with the bsums:
// sum (q - 32) * a = sum q * a - 32 * bsum.
//
// Per block b (llama.cpp's result semantics): isum = sum_j sc[j] * sum_i (q - 32) * a
// (exact i32), d = f16(d) * dy, lane[b % 4] += d * isum,
// result (l0 + l1) + (l2 + l3) (common.ts explains the order).

import { f16ToF32, f16x4ToF32x4, gatherU16x4, hsumI32x4x4, hsumI32x4, touchFrom, touchAhead, keepAlive } from './common';
import { dot16U7, scalesDotBsums16, TILE, gatherF32x4, scatterF32x4 } from './k_common';

const QB: usize = 210;

/** Dequantizes n weights (n % 256 == 0) of one Q6_K row at x to f32 at y. */
export function dequantizeRowQ6_K(x: usize, y: usize, n: i32): void {
  const nb = n >> 8;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const d = f16ToF32(load<u16>(p, 208));
    for (let h = 0; h < 2; h++) {
      const ql = p + (<usize>h << 6);
      const qh = p + 128 + (<usize>h << 5);
      const sc = p + 192 + (<usize>h << 3);
      const o = y + (<usize>b << 10) + (<usize>h << 9);
      for (let l = 0; l < 32; l++) {
        const is = <usize>(l >> 4);
        const lo = <i32>load<u8>(ql + <usize>l), hi = <i32>load<u8>(ql + <usize>l, 32);
        const hb = <i32>load<u8>(qh + <usize>l);
        const q1 = ((lo & 15) | ((hb & 3) << 4)) - 32;
        const q2 = ((hi & 15) | (((hb >> 2) & 3) << 4)) - 32;
        const q3 = ((lo >> 4) | (((hb >> 4) & 3) << 4)) - 32;
        const q4 = ((hi >> 4) | (((hb >> 6) & 3) << 4)) - 32;
        store<f32>(o + (<usize>l << 2), d * <f32>load<i8>(sc + is) * <f32>q1);
        store<f32>(o + (<usize>(l + 32) << 2), d * <f32>load<i8>(sc + is + 2) * <f32>q2);
        store<f32>(o + (<usize>(l + 64) << 2), d * <f32>load<i8>(sc + is + 4) * <f32>q3);
        store<f32>(o + (<usize>(l + 96) << 2), d * <f32>load<i8>(sc + is + 6) * <f32>q4);
      }
    }
  }
}

/** The signed quant (-32..31) of weight i of the block at p. */
// @ts-ignore: decorator
@inline function quantQ6_K(p: usize, i: i32): i32 {
  const h = i >> 7, g = (i >> 5) & 3, l = i & 31;
  const qlByte = <i32>load<u8>(p + <usize>((h << 6) + ((g & 1) << 5) + l));
  const low = g < 2 ? qlByte & 15 : qlByte >> 4;
  const high = (<i32>load<u8>(p + 128 + <usize>((h << 5) + l)) >> (g << 1)) & 3;
  return (low | (high << 4)) - 32;
}

/** Scalar reference: dot of one Q6_K row (n weights at x) with one Q8_K activation row at y. */
export function vecDotQ6_KQ8_KScalar(n: i32, x: usize, y: usize): f32 {
  const nb = n >> 8;
  const dPtr = y + <usize>n + (<usize>nb << 5);
  let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const a = y + (<usize>b << 8);
    let isum = 0;
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let l = 0; l < 16; l++) s += quantQ6_K(p, 16 * j + l) * <i32>load<i8>(a + <usize>(16 * j + l));
      isum += <i32>load<i8>(p + 192 + <usize>j) * s;
    }
    const v: f32 = f16ToF32(load<u16>(p, 208)) * load<f32>(dPtr + (<usize>b << 2)) * <f32>isum;
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else if (lane == 2) l2 += v; else l3 += v;
  }
  return (l0 + l1) + (l2 + l3);
}

// Masks as globals read into locals (common.ts, "hoisted constants").
let LOW_MASK: v128 = i8x16.splat(15);
let HIGH_MASK: v128 = i8x16.splat(0x30);

/** 16 activations at a times 16 unsigned quants u, scaled by the i16 scale splat s: i32x4 partial sums. */
// @ts-ignore: decorator
@inline function sub16(a: usize, u: v128, s: v128, relaxed: bool): v128 {
  return i32x4.dot_i16x8_s(dot16U7(v128.load(a), u, relaxed), s);
}

/**
 * isum of one Q6_K block at p with the activation block at a (bsums at bs),
 * as i32x4 partial sums. Called through one real function per path (below),
 * not inlined: one call per 256 weights
 * costs little, and the kernel measured 6-10% faster than with five inlined
 * copies (V8 allocates registers better in the small function).
 */
// @ts-ignore: decorator
@inline function blockDotQ6_KBody(p: usize, a: usize, bs: usize, relaxed: bool): v128 {
  const m4 = LOW_MASK, m2 = HIGH_MASK;
  let acc = i32x4.splat(0);
  for (let h = 0; h < 2; h++) {
    const ql = p + (<usize>h << 6);
    const qh = p + 128 + (<usize>h << 5);
    const ah = a + (<usize>h << 7);
    const sc = i16x8.extend_low_i8x16_s(v128.load64_zero(p + 192 + (<usize>h << 3)));
    const l0 = v128.load(ql), l1 = v128.load(ql, 16), l2 = v128.load(ql, 32), l3 = v128.load(ql, 48);
    const h0 = v128.load(qh), h1 = v128.load(qh, 16);
    // x86 has no byte shift: shift 16-bit lanes, then mask each byte (the
    // masked bits never cross a byte boundary for these shift counts)
    acc = i32x4.add(acc, sub16(ah, v128.or(v128.and(l0, m4), v128.and(i16x8.shl(h0, 4), m2)), v128.shuffle<i16>(sc, sc, 0, 0, 0, 0, 0, 0, 0, 0), relaxed));
    acc = i32x4.add(acc, sub16(ah + 16, v128.or(v128.and(l1, m4), v128.and(i16x8.shl(h1, 4), m2)), v128.shuffle<i16>(sc, sc, 1, 1, 1, 1, 1, 1, 1, 1), relaxed));
    acc = i32x4.add(acc, sub16(ah + 32, v128.or(v128.and(l2, m4), v128.and(i16x8.shl(h0, 2), m2)), v128.shuffle<i16>(sc, sc, 2, 2, 2, 2, 2, 2, 2, 2), relaxed));
    acc = i32x4.add(acc, sub16(ah + 48, v128.or(v128.and(l3, m4), v128.and(i16x8.shl(h1, 2), m2)), v128.shuffle<i16>(sc, sc, 3, 3, 3, 3, 3, 3, 3, 3), relaxed));
    acc = i32x4.add(acc, sub16(ah + 64, v128.or(v128.and(i16x8.shr_u(l0, 4), m4), v128.and(h0, m2)), v128.shuffle<i16>(sc, sc, 4, 4, 4, 4, 4, 4, 4, 4), relaxed));
    acc = i32x4.add(acc, sub16(ah + 80, v128.or(v128.and(i16x8.shr_u(l1, 4), m4), v128.and(h1, m2)), v128.shuffle<i16>(sc, sc, 5, 5, 5, 5, 5, 5, 5, 5), relaxed));
    acc = i32x4.add(acc, sub16(ah + 96, v128.or(v128.and(i16x8.shr_u(l2, 4), m4), v128.and(i16x8.shr_u(h0, 2), m2)), v128.shuffle<i16>(sc, sc, 6, 6, 6, 6, 6, 6, 6, 6), relaxed));
    acc = i32x4.add(acc, sub16(ah + 112, v128.or(v128.and(i16x8.shr_u(l3, 4), m4), v128.and(i16x8.shr_u(h1, 2), m2)), v128.shuffle<i16>(sc, sc, 7, 7, 7, 7, 7, 7, 7, 7), relaxed));
  }
  // the -32 offset: sum_j sc[j] * 32 * bsum[j]
  return i32x4.sub(acc, i32x4.shl(scalesDotBsums16(v128.load(p, 192), bs), 5));
}

// One compiled copy per path: with `relaxed` a runtime argument binaryen
// turns the choice into a select, and both paths run on every call.
function blockDotQ6_KRelaxed(p: usize, a: usize, bs: usize): v128 {
  return blockDotQ6_KBody(p, a, bs, true);
}
function blockDotQ6_KWidening(p: usize, a: usize, bs: usize): v128 {
  return blockDotQ6_KBody(p, a, bs, false);
}
// @ts-ignore: decorator
@inline function blockDotQ6_K(p: usize, a: usize, bs: usize, relaxed: bool): v128 {
  return relaxed ? blockDotQ6_KRelaxed(p, a, bs) : blockDotQ6_KWidening(p, a, bs);
}

// @ts-ignore: decorator
@inline function vecDotQ6_KQ8_KImpl(n: i32, x: usize, y: usize, relaxed: bool): f32 {
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
      blockDotQ6_K(p, a, bs, relaxed), blockDotQ6_K(p + QB, a + 256, bs + 32, relaxed),
      blockDotQ6_K(p + 2 * QB, a + 512, bs + 64, relaxed), blockDotQ6_K(p + 3 * QB, a + 768, bs + 96, relaxed),
    );
    const d = f32x4.mul(f16x4ToF32x4(gatherU16x4(p + 208, QB)), v128.load(dPtr + (<usize>b << 2)));
    acc = f32x4.add(acc, f32x4.mul(d, f32x4.convert_i32x4_s(isum)));
  }
  let l0 = f32x4.extract_lane(acc, 0), l1 = f32x4.extract_lane(acc, 1);
  let l2 = f32x4.extract_lane(acc, 2);
  for (; b < nb; b++) {
    // Tail blocks: lanes 0..2 only, since a fourth block would have made a full group.
    const p = x + <usize>b * QB;
    const isum = hsumI32x4(blockDotQ6_K(p, y + (<usize>b << 8), bsPtr + (<usize>b << 5), relaxed));
    const v: f32 = f16ToF32(load<u16>(p, 208)) * load<f32>(dPtr + (<usize>b << 2)) * <f32>isum;
    const lane = b & 3;
    if (lane == 0) l0 += v; else if (lane == 1) l1 += v; else l2 += v;
  }
  return (l0 + l1) + (l2 + f32x4.extract_lane(acc, 3));
}

/** SIMD128 kernel: bit-identical to vecDotQ6_KQ8_KScalar. */
export function vecDotQ6_KQ8_KSimd128(n: i32, x: usize, y: usize): f32 {
  return vecDotQ6_KQ8_KImpl(n, x, y, false);
}

/** Relaxed-dot kernel (relaxed build; in the SIMD128 build the same as Simd128). Bit-identical to the scalar reference. */
export function vecDotQ6_KQ8_KRelaxed(n: i32, x: usize, y: usize): f32 {
  return vecDotQ6_KQ8_KImpl(n, x, y, true);
}

// ---- a tile of tokens per pass (matMat): each weight block is unpacked once ----

/**
 * isum of one Q6_K block at p with the activation blocks at a + t * ys
 * (bsums at bs + t * ys, t < TILE), lane t = token t. One 16-weight chunk at
 * a time (quants u, scale splat s) against every token keeps few vectors
 * live. A real function, as blockDotQ6_K.
 */
// @ts-ignore: decorator
@inline function blockDotTileQ6_KBody(p: usize, a: usize, bs: usize, ys: usize, relaxed: bool): v128 {
  const m4 = LOW_MASK, m2 = HIGH_MASK;
  const a1 = a + ys, a2 = a + 2 * ys, a3 = a + 3 * ys;
  let acc0 = i32x4.splat(0), acc1 = i32x4.splat(0), acc2 = i32x4.splat(0), acc3 = i32x4.splat(0);
  for (let h = 0; h < 2; h++) {
    const ql = p + (<usize>h << 6);
    const qh = p + 128 + (<usize>h << 5);
    const o = <usize>h << 7;
    const sc = i16x8.extend_low_i8x16_s(v128.load64_zero(p + 192 + (<usize>h << 3)));
    let u: v128, s: v128;
    u = v128.or(v128.and(v128.load(ql), m4), v128.and(i16x8.shl(v128.load(qh), 4), m2));
    s = v128.shuffle<i16>(sc, sc, 0, 0, 0, 0, 0, 0, 0, 0);
    acc0 = i32x4.add(acc0, sub16(a + o, u, s, relaxed)); acc1 = i32x4.add(acc1, sub16(a1 + o, u, s, relaxed));
    acc2 = i32x4.add(acc2, sub16(a2 + o, u, s, relaxed)); acc3 = i32x4.add(acc3, sub16(a3 + o, u, s, relaxed));
    u = v128.or(v128.and(v128.load(ql, 16), m4), v128.and(i16x8.shl(v128.load(qh, 16), 4), m2));
    s = v128.shuffle<i16>(sc, sc, 1, 1, 1, 1, 1, 1, 1, 1);
    acc0 = i32x4.add(acc0, sub16(a + o + 16, u, s, relaxed)); acc1 = i32x4.add(acc1, sub16(a1 + o + 16, u, s, relaxed));
    acc2 = i32x4.add(acc2, sub16(a2 + o + 16, u, s, relaxed)); acc3 = i32x4.add(acc3, sub16(a3 + o + 16, u, s, relaxed));
    u = v128.or(v128.and(v128.load(ql, 32), m4), v128.and(i16x8.shl(v128.load(qh), 2), m2));
    s = v128.shuffle<i16>(sc, sc, 2, 2, 2, 2, 2, 2, 2, 2);
    acc0 = i32x4.add(acc0, sub16(a + o + 32, u, s, relaxed)); acc1 = i32x4.add(acc1, sub16(a1 + o + 32, u, s, relaxed));
    acc2 = i32x4.add(acc2, sub16(a2 + o + 32, u, s, relaxed)); acc3 = i32x4.add(acc3, sub16(a3 + o + 32, u, s, relaxed));
    u = v128.or(v128.and(v128.load(ql, 48), m4), v128.and(i16x8.shl(v128.load(qh, 16), 2), m2));
    s = v128.shuffle<i16>(sc, sc, 3, 3, 3, 3, 3, 3, 3, 3);
    acc0 = i32x4.add(acc0, sub16(a + o + 48, u, s, relaxed)); acc1 = i32x4.add(acc1, sub16(a1 + o + 48, u, s, relaxed));
    acc2 = i32x4.add(acc2, sub16(a2 + o + 48, u, s, relaxed)); acc3 = i32x4.add(acc3, sub16(a3 + o + 48, u, s, relaxed));
    u = v128.or(v128.and(i16x8.shr_u(v128.load(ql), 4), m4), v128.and(v128.load(qh), m2));
    s = v128.shuffle<i16>(sc, sc, 4, 4, 4, 4, 4, 4, 4, 4);
    acc0 = i32x4.add(acc0, sub16(a + o + 64, u, s, relaxed)); acc1 = i32x4.add(acc1, sub16(a1 + o + 64, u, s, relaxed));
    acc2 = i32x4.add(acc2, sub16(a2 + o + 64, u, s, relaxed)); acc3 = i32x4.add(acc3, sub16(a3 + o + 64, u, s, relaxed));
    u = v128.or(v128.and(i16x8.shr_u(v128.load(ql, 16), 4), m4), v128.and(v128.load(qh, 16), m2));
    s = v128.shuffle<i16>(sc, sc, 5, 5, 5, 5, 5, 5, 5, 5);
    acc0 = i32x4.add(acc0, sub16(a + o + 80, u, s, relaxed)); acc1 = i32x4.add(acc1, sub16(a1 + o + 80, u, s, relaxed));
    acc2 = i32x4.add(acc2, sub16(a2 + o + 80, u, s, relaxed)); acc3 = i32x4.add(acc3, sub16(a3 + o + 80, u, s, relaxed));
    u = v128.or(v128.and(i16x8.shr_u(v128.load(ql, 32), 4), m4), v128.and(i16x8.shr_u(v128.load(qh), 2), m2));
    s = v128.shuffle<i16>(sc, sc, 6, 6, 6, 6, 6, 6, 6, 6);
    acc0 = i32x4.add(acc0, sub16(a + o + 96, u, s, relaxed)); acc1 = i32x4.add(acc1, sub16(a1 + o + 96, u, s, relaxed));
    acc2 = i32x4.add(acc2, sub16(a2 + o + 96, u, s, relaxed)); acc3 = i32x4.add(acc3, sub16(a3 + o + 96, u, s, relaxed));
    u = v128.or(v128.and(i16x8.shr_u(v128.load(ql, 48), 4), m4), v128.and(i16x8.shr_u(v128.load(qh, 16), 2), m2));
    s = v128.shuffle<i16>(sc, sc, 7, 7, 7, 7, 7, 7, 7, 7);
    acc0 = i32x4.add(acc0, sub16(a + o + 112, u, s, relaxed)); acc1 = i32x4.add(acc1, sub16(a1 + o + 112, u, s, relaxed));
    acc2 = i32x4.add(acc2, sub16(a2 + o + 112, u, s, relaxed)); acc3 = i32x4.add(acc3, sub16(a3 + o + 112, u, s, relaxed));
  }
  // the -32 offset of each token: sum_j sc[j] * 32 * bsum[j]
  const scAll = v128.load(p, 192);
  return hsumI32x4x4(
    i32x4.sub(acc0, i32x4.shl(scalesDotBsums16(scAll, bs), 5)),
    i32x4.sub(acc1, i32x4.shl(scalesDotBsums16(scAll, bs + ys), 5)),
    i32x4.sub(acc2, i32x4.shl(scalesDotBsums16(scAll, bs + 2 * ys), 5)),
    i32x4.sub(acc3, i32x4.shl(scalesDotBsums16(scAll, bs + 3 * ys), 5)),
  );
}

function blockDotTileQ6_KRelaxed(p: usize, a: usize, bs: usize, ys: usize): v128 {
  return blockDotTileQ6_KBody(p, a, bs, ys, true);
}
function blockDotTileQ6_KWidening(p: usize, a: usize, bs: usize, ys: usize): v128 {
  return blockDotTileQ6_KBody(p, a, bs, ys, false);
}
/** blockDotTileQ6_KBody compiled once per path (see blockDotQ6_K in q6_k.ts: a runtime flag becomes a select that runs both). */
// @ts-ignore: decorator
@inline function blockDotTileQ6_K(p: usize, a: usize, bs: usize, ys: usize, relaxed: bool): v128 {
  return relaxed ? blockDotTileQ6_KRelaxed(p, a, bs, ys) : blockDotTileQ6_KWidening(p, a, bs, ys);
}

/**
 * Dots of the row at x with the TILE activation rows at y + t * ys, lane t =
 * token t: bit-identical to vecDotQ6_KQ8_K on each (k_common.ts, "token tiles").
 */
// @ts-ignore: decorator
@inline function vecDotTileQ6_K(n: i32, x: usize, y: usize, ys: usize, relaxed: bool): v128 {
  const nb = n >> 8;
  const bsPtr = y + <usize>n;
  const dPtr = bsPtr + (<usize>nb << 5);
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const p = x + <usize>b * QB;
    const isum = blockDotTileQ6_K(p, y + (<usize>b << 8), bsPtr + (<usize>b << 5), ys, relaxed);
    const d = f32x4.mul(f32x4.splat(f16ToF32(load<u16>(p, 208))), gatherF32x4(dPtr + (<usize>b << 2), ys));
    const v = f32x4.mul(d, f32x4.convert_i32x4_s(isum));
    const lane = b & 3;
    if (lane == 0) acc0 = f32x4.add(acc0, v); else if (lane == 1) acc1 = f32x4.add(acc1, v);
    else if (lane == 2) acc2 = f32x4.add(acc2, v); else acc3 = f32x4.add(acc3, v);
  }
  return f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
}

/**
 * Matrix x vector: out[r] = dot(row r, y) for r in [r0, r1); rows of n
 * weights start at w and follow each other (n / 256 * 210 bytes each). The
 * build's best kernel.
 */
export function matVecQ6_K(r0: i32, r1: i32, w: usize, n: i32, y: usize, out: usize): void {
  const rowBytes = <usize>(n >> 8) * QB;
  let sink = i32x4.splat(0);
  touchFrom(w, r0, r1, rowBytes);
  for (let r = r0; r < r1; r++) {
    sink = touchAhead(sink, w + <usize>r * rowBytes);
    store<f32>(out + (<usize>r << 2), vecDotQ6_KQ8_KImpl(n, w + <usize>r * rowBytes, y, true));
  }
  keepAlive(sink, out, n);
}

/**
 * Matrix x matrix (prefill): for tokens t in [0, nTok) and rows r in [r0, r1),
 * out[t * outStride + r] = dot(row r, activation row t at y + t * yStride).
 * A row is read from memory once and reused from cache for every token;
 * tokens go TILE at a time, so each block's quants are unpacked once per
 * tile; the last nTok % TILE go one by one.
 */
export function matMatQ6_K(r0: i32, r1: i32, w: usize, n: i32, y: usize, yStride: i32, nTok: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>(n >> 8) * QB;
  const ys = <usize>yStride, os = <usize>outStride << 2;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    const o = out + (<usize>r << 2);
    let t = 0;
    for (; t + TILE <= nTok; t += TILE) scatterF32x4(o + <usize>t * os, os, vecDotTileQ6_K(n, row, y + <usize>t * ys, ys, true));
    for (; t < nTok; t++) store<f32>(o + <usize>t * os, vecDotQ6_KQ8_KImpl(n, row, y + <usize>t * ys, true));
  }
}
