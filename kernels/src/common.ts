// Helpers every kernel family shares: f16/bf16 conversion (scalar and 4 lanes
// at a time) and the reductions that fix the order of float sums.
//
// The order rule (why bit-identity holds across scalar, SIMD128, relaxed and
// any thread count): a dot product over blocks accumulates block b into lane
// b % 4 of four f32 partial sums, and the result is (l0 + l1) + (l2 + l3).
// Scalar references do exactly this with four scalars; SIMD kernels do it
// with one f32x4 whose lanes are those four sums. Integer sums inside a block
// are exact, so their order does not matter.

// ---- f16 ---------------------------------------------------------------

/** IEEE half (bits in the low 16) to f32, exact. */
// Integer exponent rebias for normal halves, and em * 2^-24 for subnormal
// ones: no float operation ever sees a subnormal input, which costs x86 a
// microcode assist of ~100 cycles (small weights have subnormal f16 scales).
// @ts-ignore: decorator
@inline export function f16ToF32(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const em = h & 0x7fff;
  if (em < 0x400) return reinterpret<f32>(sign | reinterpret<u32>(<f32>em * F16_TINY_F32));
  const rebias: u32 = em > 0x7bff ? 0x70000000 : 0x38000000;
  return reinterpret<f32>(sign | ((em << 13) + rebias));
}

/** 2^-24, the value of the smallest subnormal half. */
const F16_TINY_F32: f32 = reinterpret<f32>(<u32>0x33800000);

/** f32 to IEEE half bits, round to nearest even (what F16C and ggml's fallback do). */
export function f32ToF16(f: f32): u32 {
  const x = reinterpret<u32>(f);
  const sign = (x >> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a >= 0x7f800000) return sign | 0x7c00 | (a > 0x7f800000 ? 0x200 : 0);
  if (a >= 0x477ff000) return sign | 0x7c00; // >= 65520 rounds to infinity
  if (a < 0x38800000) {
    // Below the smallest normal half: adding 0.5 puts the half's subnormal
    // quantum (2^-24) at the f32 mantissa's last place, so the float add does
    // the round-to-nearest-even for us.
    const v = reinterpret<f32>(a) + 0.5;
    return sign | (reinterpret<u32>(v) - 0x3f000000);
  }
  // Normal: rebias the exponent (-112 << 23) and round on the 13 dropped bits.
  return sign | ((a + 0xc8000fff + ((a >> 13) & 1)) >> 13);
}

/** f32ToF16 then back: v rounded to the nearest half (ties to even), as an f32 (a NaN becomes sign | 0x7fc00000). */
export function roundF16(v: f32): f32 {
  return f16ToF32(f32ToF16(v));
}

/**
 * roundF16 on four lanes, the same bits for every input: normal halves round
 * on the 13 dropped mantissa bits in place, subnormal ones by f32ToF16's
 * add-0.5 (and its exact subtraction back).
 */
// @ts-ignore: decorator
@inline export function roundF16x4(v: v128): v128 {
  const sign = v128.and(v, ROUND_F16_SIGN);
  const a = v128.and(v, ROUND_F16_ABS);
  const odd = v128.and(i32x4.shr_u(a, 13), ROUND_F16_ONE);
  const normal = v128.and(i32x4.add(i32x4.add(a, ROUND_F16_HALF_ULP), odd), ROUND_F16_KEEP);
  const tiny = f32x4.sub(f32x4.add(a, ROUND_F16_POINT_FIVE), ROUND_F16_POINT_FIVE);
  let r = v128.bitselect(tiny, normal, i32x4.lt_s(a, ROUND_F16_MIN_NORMAL));
  r = v128.bitselect(ROUND_F16_INF, r, i32x4.ge_s(a, ROUND_F16_OVERFLOW));
  r = v128.bitselect(ROUND_F16_NAN, r, i32x4.gt_s(a, ROUND_F16_INF));
  return v128.or(r, sign);
}

// roundF16x4's constants, globals for the reason "hoisted constants" below gives.
let ROUND_F16_SIGN: v128 = i32x4.splat(0x80000000);
let ROUND_F16_ABS: v128 = i32x4.splat(0x7fffffff);
let ROUND_F16_ONE: v128 = i32x4.splat(1);
let ROUND_F16_HALF_ULP: v128 = i32x4.splat(0xfff);
let ROUND_F16_KEEP: v128 = i32x4.splat(0xffffe000);
let ROUND_F16_POINT_FIVE: v128 = f32x4.splat(0.5);
/** 2^-14 as f32 bits: below it a half is subnormal. */
let ROUND_F16_MIN_NORMAL: v128 = i32x4.splat(0x38800000);
/** 65520 as f32 bits: from here a half rounds to infinity. */
let ROUND_F16_OVERFLOW: v128 = i32x4.splat(0x477ff000);
let ROUND_F16_INF: v128 = i32x4.splat(0x7f800000);
let ROUND_F16_NAN: v128 = i32x4.splat(0x7fc00000);

/** Four halves (one in the low 16 bits of each i32 lane) to f32x4, exact; same results as f16ToF32. */
// @ts-ignore: decorator
@inline export function f16x4ToF32x4(h: v128): v128 {
  // Globals in the relaxed build, constants in the SIMD128 one (see qhToHighBitsLo).
  if (ASC_FEATURE_RELAXED_SIMD) return f16x4ToF32x4Hoisted(h, F16_SIGN, F16_EM, F16_TINY, F16_MAX_FINITE, F16_REBIAS, F16_MIN_NORMAL);
  return f16x4ToF32x4Hoisted(h, i32x4.splat(0x8000), i32x4.splat(0x7fff), f32x4.splat(F16_TINY_F32),
    i32x4.splat(0x7bff), i32x4.splat(0x38000000), i32x4.splat(0x400));
}

/** Loads four u16 halves spaced `stride` bytes apart into the low halves of four i32 lanes (one 16-bit lane load each: pinsrw from memory on x64). */
// @ts-ignore: decorator
@inline export function gatherU16x4(p: usize, stride: usize): v128 {
  let v = i32x4.splat(0);
  v = v128.load16_lane(p, v, 0);
  v = v128.load16_lane(p + stride, v, 2);
  v = v128.load16_lane(p + 2 * stride, v, 4);
  v = v128.load16_lane(p + 3 * stride, v, 6);
  return v;
}

// ---- bf16 --------------------------------------------------------------

// @ts-ignore: decorator
@inline export function bf16ToF32(h: u32): f32 {
  return reinterpret<f32>(h << 16);
}

/** f32 to bf16 bits, round to nearest even; NaN stays NaN (as ggml_compute_fp32_to_bf16). */
export function f32ToBf16(f: f32): u32 {
  const u = reinterpret<u32>(f);
  if ((u & 0x7fffffff) > 0x7f800000) return (u >> 16) | 64;
  return (u + (0x7fff + ((u >> 16) & 1))) >> 16;
}

// ---- reductions --------------------------------------------------------

/** [sum(a), sum(b), sum(c), sum(d)] of four i32x4, exact. */
// @ts-ignore: decorator
@inline export function hsumI32x4x4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(ab, cd, 0, 1, 4, 5), v128.shuffle<i32>(ab, cd, 2, 3, 6, 7));
}

/** Horizontal i32 sum of one i32x4. */
// @ts-ignore: decorator
@inline export function hsumI32x4(a: v128): i32 {
  return i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3);
}

/** The fixed final reduction of the four block lanes: (l0 + l1) + (l2 + l3). */
// @ts-ignore: decorator
@inline export function reduceLanesF32x4(acc: v128): f32 {
  return (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
}

/**
 * roundf semantics (half away from zero) on four lanes, as an i32x4, for
 * lanes below 2^22 in magnitude (a NaN lane gives 0, as roundAway's <i32>
 * does); C's roundf is what ggml's reference quantizers use. The integral
 * result goes to i32 through the float's low bits after adding 1.5 * 2^23,
 * where i32x4.trunc_sat_f32x4_s costs about eight instructions on x64. The
 * constants come in from the caller: ROUND_HALF, ROUND_ONE, ROUND_SIGN,
 * ROUND_MAGIC, read into locals before its loop.
 */
// @ts-ignore: decorator
@inline export function roundAwaySmallI32x4(v: v128, half: v128, one: v128, sign: v128, magic: v128): v128 {
  const t = f32x4.trunc(v);
  const frac = f32x4.sub(v, t); // exact: v and trunc(v) share the exponent range
  const up = f32x4.ge(f32x4.abs(frac), half);
  const step = v128.and(v128.or(one, v128.and(v, sign)), up);
  const r = i32x4.sub(f32x4.add(f32x4.add(t, step), magic), magic);
  return v128.and(r, f32x4.eq(v, v));
}

export let ROUND_HALF: v128 = f32x4.splat(0.5);
export let ROUND_ONE: v128 = f32x4.splat(1.0);
export let ROUND_SIGN: v128 = i32x4.splat(0x80000000);
/** 1.5 * 2^23: an integral float below 2^22 in magnitude added to it lands in its mantissa's low bits. */
export let ROUND_MAGIC: v128 = f32x4.splat(12582912.0);

/**
 * max(|v|) over the lanes of m, which holds lane-wise maxima of magnitudes
 * taken as i32 (i32x4.max_s of f32x4.abs: non-negative floats order as
 * their bits, a NaN's above infinity's; V8 spends eight x64 instructions on
 * an f32x4.max).
 */
// @ts-ignore: decorator
@inline export function maxMagnitude(m: v128): f32 {
  m = i32x4.max_s(m, v128.shuffle<i32>(m, m, 2, 3, 0, 1));
  m = i32x4.max_s(m, v128.shuffle<i32>(m, m, 1, 0, 3, 2));
  return f32x4.extract_lane(m, 0);
}

/** Scalar roundf (half away from zero) to i32. */
// @ts-ignore: decorator
@inline export function roundAway(v: f32): i32 {
  const t = Mathf.trunc(v);
  const frac = v - t;
  if (Mathf.abs(frac) >= 0.5) return <i32>(t + (v < 0 ? <f32>-1 : <f32>1));
  return <i32>t;
}

// ---- 5th bits (Q5_0, Q5_1) -----------------------------------------------

/**
 * The 32 bits of a block's qh (at p, little-endian) as two byte vectors:
 * lane j of `lo` is 0x10 if bit j is set, lane j of `hi` if bit j + 16 is.
 * Each byte of qh is broadcast to 8 lanes, masked by its lane's bit, compared.
 * In the relaxed build (run by Node 22+) the constants are globals read where
 * they are used, since that V8 rebuilds a v128.const at every use (three
 * instructions each, "hoisted constants" below), and the byte broadcast is
 * one relaxed swizzle (its indices are in range, so it is exact everywhere).
 * The SIMD128 build (run by Node 20) keeps constants: that V8 handles them
 * better than global reads (measured 0.69 against 1.0 ms on Q5_0).
 */
// @ts-ignore: decorator
@inline export function qhToHighBitsLo(qh: v128): v128 {
  let bytes: v128;
  if (ASC_FEATURE_RELAXED_SIMD) bytes = i8x16.relaxed_swizzle(qh, QH_BYTES_LO);
  else bytes = v128.shuffle<u8>(qh, qh, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  return bitsToByte16(bytes);
}
// @ts-ignore: decorator
@inline export function qhToHighBitsHi(qh: v128): v128 {
  let bytes: v128;
  if (ASC_FEATURE_RELAXED_SIMD) bytes = i8x16.relaxed_swizzle(qh, QH_BYTES_HI);
  else bytes = v128.shuffle<u8>(qh, qh, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  return bitsToByte16(bytes);
}
// @ts-ignore: decorator
@inline function bitsToByte16(bytes: v128): v128 {
  const mask = ASC_FEATURE_RELAXED_SIMD ? QH_BITS : i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  return v128.and(i8x16.eq(v128.and(bytes, mask), mask), byteSplat(BYTE_16, 0x10));
}

/** The byte splat `v` (also held by the global g): the global in the relaxed build, the constant in the SIMD128 build (see qhToHighBitsLo). */
// @ts-ignore: decorator
@inline export function byteSplat(g: v128, v: i8): v128 {
  return ASC_FEATURE_RELAXED_SIMD ? g : i8x16.splat(v);
}
let QH_BITS: v128 = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
let QH_BYTES_LO: v128 = i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
let QH_BYTES_HI: v128 = i8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
let BYTE_16: v128 = i8x16.splat(0x10);

// ---- float dot order (F32, F16, BF16) --------------------------------------
//
// Element i < n16 (n16 = n rounded down to 16) goes to lane i % 16 of four
// f32x4 sums (acc0 = lanes 0..3, acc1 = 4..7, ...), each lane adding its
// elements in increasing i; then v = (acc0 + acc1) + (acc2 + acc3) lane-wise,
// main = (v0 + v1) + (v2 + v3), and the tail (i >= n16) is summed in order
// into t: the result is main + t. Scalar references do the same per lane.

/** The fixed combine of the 16 lane sums of a float dot. */
// @ts-ignore: decorator
@inline export function combineF32x4x4(acc0: v128, acc1: v128, acc2: v128, acc3: v128): f32 {
  const v = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  return reduceLanesF32x4(v);
}

/** Halves 0..3 / 4..7 of eight packed f16 as f32x4 (exact). */
// @ts-ignore: decorator
@inline export function F16Lo(v: v128): v128 {
  return f16x4ToF32x4(i32x4.extend_low_i16x8_u(v));
}
// @ts-ignore: decorator
@inline export function F16Hi(v: v128): v128 {
  return f16x4ToF32x4(i32x4.extend_high_i16x8_u(v));
}
/** Values 0..3 / 4..7 of eight packed bf16 as f32x4 (a bf16 is an f32's top half). */
// @ts-ignore: decorator
@inline export function BF16Lo(v: v128): v128 {
  return v128.shuffle<u16>(i16x8.splat(0), v, 0, 8, 0, 9, 0, 10, 0, 11);
}
// @ts-ignore: decorator
@inline export function BF16Hi(v: v128): v128 {
  return v128.shuffle<u16>(i16x8.splat(0), v, 0, 12, 0, 13, 0, 14, 0, 15);
}

// ---- reading ahead -----------------------------------------------------------
//
// WebAssembly has no prefetch instruction, and a matrix x vector kernel does
// so much work per byte that the CPU's out-of-order window keeps too few cache
// misses in flight for the hardware prefetcher to keep up. So the kernel
// starts the prefetcher itself: as it reaches each row, it loads the first
// TOUCH_LINES 64-byte lines of every 4 KiB page TOUCH_DIST bytes ahead of it.
// A few ascending misses at a page's start set the core's stream prefetcher
// (which works within a page) running over the rest of that page. The loaded
// words go into a sink the kernel keeps alive (keepAlive), so no compiler can
// drop them. A load that misses stalls retirement, so the fewer touches the
// better. Measured on x64 (one thread, cold): Q4_0 280000x896 4.3-5.3 GB/s
// with no touches, 5.4 touching every line of the row 16 rows ahead, 6.5-6.7
// with 4 lines per page 32 KiB ahead (2 lines: 6.0; 8: 5.5; 128 KiB: worse);
// Q8_0 151669x896 6.7 -> 7.7. No cost on a matrix already in cache.
// The relaxed build's interleaved Q8_0 kernel, which takes the most bytes per
// instruction, streams faster without touches (x4_signed.ts): TinyLlama Q8_0
// decode +12-21%. So do the relaxed build's Q4_0 quads taken in pairs
// (x4_nibbles.ts), inside decode (measured with adjacent quads paired, before
// pairs were split across the halves of the rows: TinyLlama Q4_0 14.55 ->
// 15.05 tok/s at 1 thread, 27.4 -> 28.65 at 2; a 1 GiB matrix alone 10.2 ->
// 9.2 GB/s). The K-quant layouts also measured faster without them on
// a 1 GiB matrix alone, but slower inside decode (TinyLlama Q4_K_M 14.0 ->
// 11.9 tok/s at 1 thread, 26.2 -> 20.8 at 2), so they keep them.

const TOUCH_DIST: usize = 32768;
const TOUCH_LINES: usize = 4;
const PAGE: usize = 4096;

// Per instance, so per thread: the next page to touch and the end of the rows.
let touchNext: usize = 0;
let touchEnd: usize = 0;

/** Starts reading ahead over the rows [r0, r1) of a matrix at w. */
// @ts-ignore: decorator
@inline export function touchFrom(w: usize, r0: i32, r1: i32, rowBytes: usize): void {
  touchNext = (w + <usize>r0 * rowBytes + TOUCH_DIST) & ~(PAGE - 1);
  touchEnd = w + <usize>r1 * rowBytes;
}

/** sink | the first lines of each page up to TOUCH_DIST past row, inside the rows. */
// @ts-ignore: decorator
@inline export function touchAhead(sink: v128, row: usize): v128 {
  const lines = TOUCH_LINES << 6;
  while (touchNext < row + TOUCH_DIST && touchNext + lines <= touchEnd) {
    for (let o: usize = 0; o < lines; o += 64) sink = v128.or(sink, v128.load(touchNext + o));
    touchNext += PAGE;
  }
  return sink;
}

/** Makes the sink's value observable on a path that never runs (n >= 0 always). */
// @ts-ignore: decorator
@inline export function keepAlive(sink: v128, out: usize, n: i32): void {
  if (n < 0) v128.store(out, sink);
}

// ---- hoisted constants -------------------------------------------------------
//
// V8 (seen in Node 22+; Node 20 keeps them better) rebuilds a v128.const at
// every use inside a loop (three instructions on x64: mov, movq, punpcklqdq),
// and binaryen folds a constant local back into its uses. A mutable global
// read into a local before the loop stays in a register instead: hot loops
// take their constants that way, or through byteSplat above. (Initializing a
// v128 global takes a start function; build-kernels allows one that only
// sets globals.)

export let F16_SIGN: v128 = i32x4.splat(0x8000);
export let F16_EM: v128 = i32x4.splat(0x7fff);
export let F16_TINY: v128 = f32x4.splat(reinterpret<f32>(<u32>0x33800000));
export let F16_MAX_FINITE: v128 = i32x4.splat(0x7bff);
export let F16_REBIAS: v128 = i32x4.splat(0x38000000);
export let F16_MIN_NORMAL: v128 = i32x4.splat(0x400);

/** f16x4ToF32x4 with its constants passed in (hoisted out of the loop by the caller); the same method as f16ToF32. */
// @ts-ignore: decorator
@inline export function f16x4ToF32x4Hoisted(h: v128, sign: v128, emMask: v128, tiny: v128, maxFinite: v128, rebias: v128, minNormal: v128): v128 {
  const em = v128.and(h, emMask);
  // Inf/NaN (exponent 31) take the rebias twice, landing on exponent 255.
  const special = i32x4.gt_s(em, maxFinite);
  const normal = i32x4.add(i32x4.add(i32x4.shl(em, 13), rebias), v128.and(special, rebias));
  const subnormal = f32x4.mul(f32x4.convert_i32x4_s(em), tiny);
  const value = v128.bitselect(subnormal, normal, i32x4.gt_s(minNormal, em));
  return v128.or(i32x4.shl(v128.and(h, sign), 16), value);
}
