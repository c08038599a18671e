// exp without lookup tables. AssemblyScript's Mathf.exp carries a table in a
// data segment, and the kernel module must own no memory (every worker
// instantiates it on the same shared memory), so this one is polynomial:
// e^x = 2^k * e^r with x = k ln2 + r, |r| <= ln2/2, and e^r by its Taylor
// series to r^9 in f64 (error below 1e-11, far under f32's half ulp),
// evaluated by Estrin's scheme: pairs of terms, then r^2 and r^4 to join
// them, so the longest chain of dependent operations is 7 deep rather than
// Horner's 19 (silu x mul over four values was bound by that latency).
//
// expF32x4 runs the same f64 operations in the same order on two f64x2
// halves: wasm's float SIMD is IEEE-exact lane by lane and has no fused
// multiply-add, so it gives expF32's bits for every input.

const LN2: f64 = 0.6931471805599453;
const INV_LN2: f64 = 1.4426950408889634;
/** Above this, e^x rounds to f32 infinity. */
const EXP_OVERFLOW_F32: f32 = 88.72284;
/** Below this, e^x rounds to f32 zero. */
const EXP_UNDERFLOW_F32: f32 = -103.97208;

/** e^x in f32, correctly rounded except in rare half-ulp ties; the scalar reference of expF32x4. */
export function expF32(x: f32): f32 {
  if (x > EXP_OVERFLOW_F32) return Infinity;
  if (x < EXP_UNDERFLOW_F32) return 0;
  if (x != x) return x;
  const xd = <f64>x;
  // Ties to even, as f64x2.nearest; no f32 in range has x / ln2 on a tie,
  // so this k is the same as Math.round's for every input.
  const k = nearest<f64>(xd * INV_LN2);
  const r = xd - k * LN2;
  const r2 = r * r, r4 = r2 * r2;
  const p01 = 1 + r, p23 = 0.5 + (1.0 / 6) * r, p45 = 1.0 / 24 + (1.0 / 120) * r;
  const p67 = 1.0 / 720 + (1.0 / 5040) * r, p89 = 1.0 / 40320 + (1.0 / 362880) * r;
  const p = (p01 + p23 * r2) + ((p45 + p67 * r2) + p89 * r4) * r4;
  // 2^k as an f64 (k is in -150 .. 128, inside f64's normal range)
  return <f32>(p * reinterpret<f64>((<i64>(<i32>k + 1023)) << 52));
}

/** out[i] = e^x[i] for i in [r0, r1), four at a time; the same bits as expF32. */
export function expF32Simd128(r0: i32, r1: i32, x: usize, out: usize): void {
  let i = r0;
  for (; i + 4 <= r1; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, expF32x4(v128.load(x + o)));
  }
  for (; i < r1; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, expF32(load<f32>(x + o)));
  }
}

// ---- four lanes ------------------------------------------------------------
//
// The constants are mutable globals for the reason common.ts gives under
// "hoisted constants", but read where they are used rather than hoisted
// into locals: fifteen of them would not fit in x64's sixteen vector
// registers beside the work, and a global read is one load in a loop bound
// by its float multiplies and adds (hoisting measured no more than 4%
// faster, at the price of fifteen parameters on every helper).

let EXP_INV_LN2_F64X2: v128 = f64x2.splat(INV_LN2);
let EXP_LN2_F64X2: v128 = f64x2.splat(LN2);
/** 2^52 + 1023: see expF64x2. */
let EXP_SCALE_BIAS_F64X2: v128 = f64x2.splat(4503599627371519.0);
let EXP_C1_F64X2: v128 = f64x2.splat(1);
let EXP_C2_F64X2: v128 = f64x2.splat(0.5);
let EXP_C3_F64X2: v128 = f64x2.splat(1.0 / 6);
let EXP_C4_F64X2: v128 = f64x2.splat(1.0 / 24);
let EXP_C5_F64X2: v128 = f64x2.splat(1.0 / 120);
let EXP_C6_F64X2: v128 = f64x2.splat(1.0 / 720);
let EXP_C7_F64X2: v128 = f64x2.splat(1.0 / 5040);
let EXP_C8_F64X2: v128 = f64x2.splat(1.0 / 40320);
let EXP_C9_F64X2: v128 = f64x2.splat(1.0 / 362880);
let EXP_OVERFLOW_F32X4: v128 = f32x4.splat(EXP_OVERFLOW_F32);
let EXP_UNDERFLOW_F32X4: v128 = f32x4.splat(EXP_UNDERFLOW_F32);
let EXP_INF_F32X4: v128 = f32x4.splat(Infinity);

/** expF32 on four lanes, bit for bit, edges included. */
// @ts-ignore: decorator
@inline export function expF32x4(x: v128): v128 {
  const lo = expF64x2(f64x2.promote_low_f32x4(x));
  const hi = expF64x2(f64x2.promote_low_f32x4(v128.shuffle<i64>(x, x, 1, 1)));
  const e = v128.shuffle<i64>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
  // expF32's early returns as lane masks (the three cases never overlap).
  const over = f32x4.gt(x, EXP_OVERFLOW_F32X4);
  const under = f32x4.lt(x, EXP_UNDERFLOW_F32X4);
  const clamped = v128.bitselect(EXP_INF_F32X4, v128.andnot(e, under), over);
  return v128.bitselect(x, clamped, f32x4.ne(x, x));
}

/** expF32's f64 steps on two lanes; lanes out of range give garbage the caller masks. */
// @ts-ignore: decorator
@inline function expF64x2(xd: v128): v128 {
  const k = f64x2.nearest(f64x2.mul(xd, EXP_INV_LN2_F64X2));
  const r = f64x2.sub(xd, f64x2.mul(k, EXP_LN2_F64X2));
  // k + 2^52 + 1023 is exact for these k and holds k + 1023 in its low
  // mantissa bits; shifted up to the exponent field it is expF32's 2^k.
  const scale = i64x2.shl(f64x2.add(k, EXP_SCALE_BIAS_F64X2), 52);
  return f64x2.mul(expPolyF64x2(r), scale);
}

/** expF32's polynomial on two lanes, in its order. */
// @ts-ignore: decorator
@inline function expPolyF64x2(r: v128): v128 {
  const r2 = f64x2.mul(r, r), r4 = f64x2.mul(r2, r2);
  const p01 = f64x2.add(EXP_C1_F64X2, r);
  const p23 = f64x2.add(EXP_C2_F64X2, f64x2.mul(EXP_C3_F64X2, r));
  const p45 = f64x2.add(EXP_C4_F64X2, f64x2.mul(EXP_C5_F64X2, r));
  const p67 = f64x2.add(EXP_C6_F64X2, f64x2.mul(EXP_C7_F64X2, r));
  const p89 = f64x2.add(EXP_C8_F64X2, f64x2.mul(EXP_C9_F64X2, r));
  const lo = f64x2.add(p01, f64x2.mul(p23, r2));
  const hi = f64x2.add(f64x2.add(p45, f64x2.mul(p67, r2)), f64x2.mul(p89, r4));
  return f64x2.add(lo, f64x2.mul(hi, r4));
}
