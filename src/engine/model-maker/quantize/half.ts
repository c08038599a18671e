// IEEE half (f16) and bfloat16 conversions, bit-exact with ggml's
// GGML_FP32_TO_FP16 / GGML_FP32_TO_BF16: round to nearest, ties to even.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The f16 bit pattern nearest to v (ties to even; overflow to infinity). */
export function f32ToF16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // subnormal f16: m * 2^-24 with the hidden bit made explicit
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let h = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) !== 0)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // a carry out of the mantissa correctly bumps the exponent (up to infinity)
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
  return sign | h;
}

/** Every f16 bit pattern's value, so decoding is one table load. */
export const F16_TABLE: Float32Array = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) t[h] = sign * mant * 2 ** -24;
    else if (exp === 0x1f) t[h] = mant ? NaN : sign * Infinity;
    else t[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return t;
})();

export function f16ToF32(h: number): number {
  return F16_TABLE[h & 0xffff];
}

/** v rounded to the nearest f16 value, as a number. */
export function roundF16(v: number): number {
  return F16_TABLE[f32ToF16(v)];
}

/** The bf16 bit pattern of v (ties to even; NaN stays a quiet NaN), as ggml does. */
export function f32ToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 64) & 0xffff;
  return ((x + (0x7fff + ((x >>> 16) & 1))) >>> 16) & 0xffff;
}

export function bf16ToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** Little-endian u16 store and load, the layout of every f16 field in a block. */
export function putU16(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
}

export function getU16(src: Uint8Array, at: number): number {
  return src[at] | (src[at + 1] << 8);
}

/** Stores v as f16 at `at` and returns the value the block now holds. */
export function putF16(out: Uint8Array, at: number, v: number): number {
  const h = f32ToF16(v);
  putU16(out, at, h);
  return F16_TABLE[h];
}

export function getF16(src: Uint8Array, at: number): number {
  return F16_TABLE[src[at] | (src[at + 1] << 8)];
}

/** roundf: to nearest, halves away from zero (C's roundf, which ggml's Q8_0 uses). */
export function roundAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** ggml's nearest_int: to nearest, halves to even (its float magic-number trick). */
export function nearestInt(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}
