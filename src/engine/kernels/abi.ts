// The kernel module's exports, as TypeScript sees them. This mirrors the ABI
// table in kernels/README.md: change both together.
//
// Conventions (README "ABI"): every pointer is a byte address in the shared
// memory (wasm32: 0 .. 4 GiB - 1, passed as a JS number); n counts values
// (a multiple of the family's block size); row ranges are half-open
// [r0, r1) so threads can split them; kernels allocate nothing and keep no
// state between calls.

/** Dot of one weight row (n values at x) with one activation row at y. */
export type VecDotFn = (n: number, x: number, y: number) => number;
/** Dequantizes n values at x to f32 at y. */
export type DequantizeFn = (x: number, y: number, n: number) => void;
/** Quantizes n f32 at x to one activation row at y. */
export type QuantizeRowFn = (x: number, y: number, n: number) => void;
/** Converts f32 rows [r0, r1) (xStride bytes apart) to activation rows yStride bytes apart. */
export type QuantizeRowsFn = (r0: number, r1: number, x: number, xStride: number, y: number, yStride: number, n: number) => void;
/** out[r] = dot(row r, y) for r in [r0, r1). */
export type MatVecFn = (r0: number, r1: number, w: number, n: number, y: number, out: number) => void;
/** out[t * outStride + r] = dot(row r, act row t at y + t * yStride) for r in [r0, r1), t in [0, nTok). */
export type MatMatFn = (
  r0: number, r1: number, w: number, n: number, y: number, yStride: number, nTok: number, out: number, outStride: number,
) => void;

/** Exports every weight family has (names carry the family, e.g. matVecQ4_0). */
export interface FamilyExports {
  dequantize: DequantizeFn;
  vecDotScalar: VecDotFn;
  vecDotSimd128: VecDotFn;
  /** Present for families with a relaxed-dot kernel; in the SIMD128 build it runs the SIMD128 path. */
  vecDotRelaxed?: VecDotFn;
  matVec: MatVecFn;
  matMat: MatMatFn;
}

export interface KernelExports extends ForwardOpExports {
  // Activation quantizers (q8_act.ts): Q8 row layout in kernels/README.md.
  actQ8RowBytes(n: number): number;
  quantizeRowQ8_0Scalar: QuantizeRowFn;
  quantizeRowQ8_0Simd128: QuantizeRowFn;
  quantizeRowQ8_1Scalar: QuantizeRowFn;
  quantizeRowQ8_1Simd128: QuantizeRowFn;
  quantizeRowsQ8_0: QuantizeRowsFn;
  quantizeRowsQ8_1: QuantizeRowsFn;

  // Q8_0 (q8_0.ts)
  dequantizeRowQ8_0: DequantizeFn;
  vecDotQ8_0Q8_0Scalar: VecDotFn;
  vecDotQ8_0Q8_0Simd128: VecDotFn;
  vecDotQ8_0Q8_0Relaxed: VecDotFn;
  matVecQ8_0: MatVecFn;
  matMatQ8_0: MatMatFn;
  matVecQ8_0Relaxed: MatVecFn;
  matMatQ8_0Relaxed: MatMatFn;
  // Q8_0 rows interleaved in fours (q8_0x4.ts): row ranges are multiples of 4.
  /** 1 if every scale of the nb blocks at w is below 128 in magnitude. */
  q8_0x4Fits(w: number, nb: number): number;
  /** Writes rows [r0, r1) of the plain matrix at src, interleaved, at the same offsets from dst. */
  repackQ8_0x4(r0: number, r1: number, src: number, dst: number, n: number): void;
  matVecQ8_0x4: MatVecFn;
  matMatQ8_0x4: MatMatFn;

  // Q4_0 (q4_0.ts)
  dequantizeRowQ4_0: DequantizeFn;
  vecDotQ4_0Q8_0Scalar: VecDotFn;
  vecDotQ4_0Q8_0Simd128: VecDotFn;
  vecDotQ4_0Q8_0Relaxed: VecDotFn;
  matVecQ4_0: MatVecFn;
  matMatQ4_0: MatMatFn;
  // Q4_0 rows interleaved in fours (q4_0x4.ts): row ranges are multiples of 4.
  /** 1 if every one of nb blocks at w has a scale the interleaved layout takes (|d| < 128). */
  q4_0x4Fits(w: number, nb: number): number;
  /** Writes rows [r0, r1) of the plain matrix at src, interleaved, at the same offsets from dst. */
  repackQ4_0x4(r0: number, r1: number, src: number, dst: number, n: number): void;
  matVecQ4_0x4: MatVecFn;
  matMatQ4_0x4: MatMatFn;

  // Q4_1 (q4_1.ts), Q8_1 activations
  dequantizeRowQ4_1: DequantizeFn;
  vecDotQ4_1Q8_1Scalar: VecDotFn;
  vecDotQ4_1Q8_1Simd128: VecDotFn;
  vecDotQ4_1Q8_1Relaxed: VecDotFn;
  matVecQ4_1: MatVecFn;
  matMatQ4_1: MatMatFn;

  // Q5_0 (q5_0.ts)
  dequantizeRowQ5_0: DequantizeFn;
  vecDotQ5_0Q8_0Scalar: VecDotFn;
  vecDotQ5_0Q8_0Simd128: VecDotFn;
  vecDotQ5_0Q8_0Relaxed: VecDotFn;
  matVecQ5_0: MatVecFn;
  matMatQ5_0: MatMatFn;
  // Q5_0 rows interleaved in fours (q5_0x4.ts): row ranges are multiples of 4.
  /** 1 if every one of nb blocks at w has a scale the interleaved layout takes (|d| < 128). */
  q5_0x4Fits(w: number, nb: number): number;
  /** Writes rows [r0, r1) of the plain matrix at src, interleaved, at the same offsets from dst. */
  repackQ5_0x4(r0: number, r1: number, src: number, dst: number, n: number): void;
  matVecQ5_0x4: MatVecFn;
  matMatQ5_0x4: MatMatFn;

  // Q5_1 (q5_1.ts), Q8_1 activations
  dequantizeRowQ5_1: DequantizeFn;
  vecDotQ5_1Q8_1Scalar: VecDotFn;
  vecDotQ5_1Q8_1Simd128: VecDotFn;
  vecDotQ5_1Q8_1Relaxed: VecDotFn;
  matVecQ5_1: MatVecFn;
  matMatQ5_1: MatMatFn;

  // IQ4_NL (iq4_nl.ts)
  dequantizeRowIQ4_NL: DequantizeFn;
  vecDotIQ4_NLQ8_0Scalar: VecDotFn;
  vecDotIQ4_NLQ8_0Simd128: VecDotFn;
  vecDotIQ4_NLQ8_0Relaxed: VecDotFn;
  matVecIQ4_NL: MatVecFn;
  matMatIQ4_NL: MatMatFn;
  // IQ4_NL rows interleaved in fours (iq4_nlx4.ts, Q4_0's layout): row ranges are multiples of 4.
  /** 1 if every one of nb blocks at w has a nonzero scale the interleaved layout takes (|d| < 128). */
  iq4_nlx4Fits(w: number, nb: number): number;
  /** Writes rows [r0, r1) of the plain matrix at src, interleaved, at the same offsets from dst. */
  repackIQ4_NLx4(r0: number, r1: number, src: number, dst: number, n: number): void;
  matVecIQ4_NLx4: MatVecFn;
  matMatIQ4_NLx4: MatMatFn;

  // F32 (f32.ts): activations are the f32 rows themselves
  dequantizeRowF32: DequantizeFn;
  vecDotF32F32Scalar: VecDotFn;
  vecDotF32F32Simd128: VecDotFn;
  matVecF32: MatVecFn;
  matMatF32: MatMatFn;

  // F16 (f16.ts): activations rounded to f16 and kept as f32 values, 4 bytes per value
  dequantizeRowF16: DequantizeFn;
  actF16RowBytes(n: number): number;
  convertRowF32ToF16: QuantizeRowFn;
  quantizeRowsF16: QuantizeRowsFn;
  quantizeRowsF16Scalar: QuantizeRowsFn;
  vecDotF16F16Scalar: VecDotFn;
  vecDotF16F16Simd128: VecDotFn;
  matVecF16: MatVecFn;
  matMatF16: MatMatFn;

  // BF16 (bf16.ts): activations converted to bf16
  dequantizeRowBF16: DequantizeFn;
  actBF16RowBytes(n: number): number;
  convertRowF32ToBF16: QuantizeRowFn;
  quantizeRowsBF16: QuantizeRowsFn;
  vecDotBF16BF16Scalar: VecDotFn;
  vecDotBF16BF16Simd128: VecDotFn;
  matVecBF16: MatVecFn;
  matMatBF16: MatMatFn;

  /** (r0, r1, base, rowBytes, out): a plain read loop over rows, for the bandwidth benchmark (membench.ts). */
  readRows(r0: number, r1: number, base: number, rowBytes: number, out: number): void;

  // Q8_K activations (kernels/src/q8_k.ts): row layout in kernels/README.md.
  actQ8KRowBytes(n: number): number;
  quantizeRowQ8_KScalar: QuantizeRowFn;
  quantizeRowQ8_KSimd128: QuantizeRowFn;
  quantizeRowsQ8_K: QuantizeRowsFn;

  // Q2_K (kernels/src/q2_k.ts)
  dequantizeRowQ2_K: DequantizeFn;
  vecDotQ2_KQ8_KScalar: VecDotFn;
  vecDotQ2_KQ8_KSimd128: VecDotFn;
  vecDotQ2_KQ8_KRelaxed: VecDotFn;
  matVecQ2_K: MatVecFn;
  matMatQ2_K: MatMatFn;

  // Q3_K (kernels/src/q3_k.ts)
  dequantizeRowQ3_K: DequantizeFn;
  vecDotQ3_KQ8_KScalar: VecDotFn;
  vecDotQ3_KQ8_KSimd128: VecDotFn;
  vecDotQ3_KQ8_KRelaxed: VecDotFn;
  matVecQ3_K: MatVecFn;
  matMatQ3_K: MatMatFn;

  // Q4_K (kernels/src/q4_k.ts)
  dequantizeRowQ4_K: DequantizeFn;
  vecDotQ4_KQ8_KScalar: VecDotFn;
  vecDotQ4_KQ8_KSimd128: VecDotFn;
  vecDotQ4_KQ8_KRelaxed: VecDotFn;
  matVecQ4_K: MatVecFn;
  matMatQ4_K: MatMatFn;
  // Q4_K rows interleaved in fours (kernels/src/q4_kx4.ts): row ranges are multiples of 4.
  /** 1 if every one of nb blocks at w has a d and a dmin the interleaved layout takes (|d| < 128). */
  q4_Kx4Fits(w: number, nb: number): number;
  /** Writes rows [r0, r1) of the plain matrix at src, interleaved, at the same offsets from dst. */
  repackQ4_Kx4(r0: number, r1: number, src: number, dst: number, n: number): void;
  matVecQ4_Kx4: MatVecFn;
  matMatQ4_Kx4: MatMatFn;

  // Q5_K (kernels/src/q5_k.ts)
  dequantizeRowQ5_K: DequantizeFn;
  vecDotQ5_KQ8_KScalar: VecDotFn;
  vecDotQ5_KQ8_KSimd128: VecDotFn;
  vecDotQ5_KQ8_KRelaxed: VecDotFn;
  matVecQ5_K: MatVecFn;
  matMatQ5_K: MatMatFn;
  // Q5_K rows interleaved in fours (kernels/src/q5_kx4.ts): row ranges are multiples of 4.
  /** 1 if every one of nb blocks at w has a d and a dmin the interleaved layout takes (|d| < 128). */
  q5_Kx4Fits(w: number, nb: number): number;
  /** Writes rows [r0, r1) of the plain matrix at src, interleaved, at the same offsets from dst. */
  repackQ5_Kx4(r0: number, r1: number, src: number, dst: number, n: number): void;
  matVecQ5_Kx4: MatVecFn;
  matMatQ5_Kx4: MatMatFn;

  // Q6_K (kernels/src/q6_k.ts)
  dequantizeRowQ6_K: DequantizeFn;
  vecDotQ6_KQ8_KScalar: VecDotFn;
  vecDotQ6_KQ8_KSimd128: VecDotFn;
  vecDotQ6_KQ8_KRelaxed: VecDotFn;
  matVecQ6_K: MatVecFn;
  matMatQ6_K: MatMatFn;
  // Q6_K rows interleaved in fours (kernels/src/q6_kx4.ts): row ranges are multiples of 4.
  /** 1 if every one of nb blocks at w has a d the interleaved layout takes (|d| < 128). */
  q6_Kx4Fits(w: number, nb: number): number;
  /** Writes rows [r0, r1) of the plain matrix at src, interleaved, at the same offsets from dst. */
  repackQ6_Kx4(r0: number, r1: number, src: number, dst: number, n: number): void;
  matVecQ6_Kx4: MatVecFn;
  matMatQ6_Kx4: MatMatFn;
}

/** A row-splittable op: rows [r0, r1) of a batch (see each kernel file). */
export type RowsOpFn = (r0: number, r1: number, ...args: number[]) => void;

/** The forward pass's other ops (kernels/src/norm.ts, rope.ts, attention.ts, elementwise.ts, math.ts). */
export interface ForwardOpExports {
  /** (r0, r1, x, w, out, n, eps): out[r] = rmsnorm(x[r]) * w. */
  rmsNormRows: RowsOpFn;
  /** (r0, r1, x, table, nHeads, headDim, ropeDim, neox): rotate rows of x by a (cos, sin) table. */
  ropeRows: RowsOpFn;
  /** Work units (rows of attentionSimd128/Scalar) per token: nHeadKv * ceil(group / 4). */
  attentionUnits(nHead: number, nHeadKv: number): number;
  /** (r0, r1, out, q, keys, values, scores, nHead, nHeadKv, headDim, pos0, ctx, kvF16); row = token * attentionUnits + unit. */
  attentionSimd128: RowsOpFn;
  attentionScalar: RowsOpFn;
  /** (dst, src, n, rows, kvF16): f32 rows into the cache, as f16 or f32. */
  storeKvRows(dst: number, src: number, n: number, rows: number, kvF16: number): void;
  addF32(x: number, y: number, n: number): void;
  addBiasRows(x: number, b: number, n: number, rows: number): void;
  /** (r0, r1, gate, up): gate[i] = silu(gate[i]) * up[i] for values i in [r0, r1); Simd128 gives the Scalar reference's bits. */
  siluMulF32Simd128: RowsOpFn;
  siluMulF32Scalar: RowsOpFn;
  expF32(x: number): number;
  /** (r0, r1, x, out): out[i] = expF32(x[i]) for i in [r0, r1), the same bits. */
  expF32Simd128: RowsOpFn;
}

/** Names of the exports, for checks that a built module matches this interface. */
export type KernelExportName = keyof KernelExports;
