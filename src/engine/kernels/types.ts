// The kernel trait table: for each weight type, the activation format it is
// paired with (as llama.cpp pairs them, FACTS.md) and the names of its
// exports. Adding a family = one row here plus its exports in abi.ts.
import type { KernelExportName } from './abi.js';
import { ggmlTypeByName, type GgmlTypeTraits } from '../ggml-types.js';
import { KernelError } from './errors.js';

/** How activations are prepared for a weight type's dot products. */
export interface ActivationFormat {
  readonly name: 'q8_0' | 'q8_1' | 'q8_K' | 'f16' | 'bf16' | 'f32';
  /** Export giving the bytes of one row of n values; null = f32 rows used as they are. */
  readonly rowBytes: KernelExportName | null;
  /** Export (r0, r1, x, xStride, y, yStride, n) converting f32 rows [r0, r1); null = none needed. */
  readonly quantizeRows: KernelExportName | null;
  /** Values per block: a row length must be a multiple of it. */
  readonly blockSize: number;
}

export const ACT_Q8_0: ActivationFormat = { name: 'q8_0', rowBytes: 'actQ8RowBytes', quantizeRows: 'quantizeRowsQ8_0', blockSize: 32 };
export const ACT_Q8_1: ActivationFormat = { name: 'q8_1', rowBytes: 'actQ8RowBytes', quantizeRows: 'quantizeRowsQ8_1', blockSize: 32 };
export const ACT_F32: ActivationFormat = { name: 'f32', rowBytes: null, quantizeRows: null, blockSize: 1 };
export const ACT_F16: ActivationFormat = { name: 'f16', rowBytes: 'actF16RowBytes', quantizeRows: 'quantizeRowsF16', blockSize: 1 };
export const ACT_BF16: ActivationFormat = { name: 'bf16', rowBytes: 'actBF16RowBytes', quantizeRows: 'quantizeRowsBF16', blockSize: 1 };
export const ACT_Q8_K: ActivationFormat = { name: 'q8_K', rowBytes: 'actQ8KRowBytes', quantizeRows: 'quantizeRowsQ8_K', blockSize: 256 };

export interface KernelTypeTraits {
  readonly ggml: GgmlTypeTraits;
  readonly activation: ActivationFormat;
  readonly dequantize: KernelExportName;
  readonly vecDotScalar: KernelExportName;
  readonly vecDotSimd128: KernelExportName;
  readonly vecDotRelaxed: KernelExportName | null;
  readonly matVec: KernelExportName;
  readonly matMat: KernelExportName;
  /** Threads split rows in multiples of this (false sharing of outputs, interleaved repacks). */
  readonly rowAlign: number;
  /**
   * Relaxed-dot kernels the relaxed build uses on x64 only (Q8_0: the
   * activation's positive and negative parts against the signed weights), where
   * each dot is one vpdpbusd; on arm64 the widening multiply, one instruction
   * per 8 lanes, needs no second dot.
   */
  readonly relaxedOnX64?: { readonly matVec: KernelExportName; readonly matMat: KernelExportName };
  /**
   * A layout a matrix can be rewritten into at load, rows interleaved in
   * fours (kernels/src/q4_0x4.ts, q5_0x4.ts, q8_0x4.ts, iq4_nlx4.ts, q4_kx4.ts, q5_kx4.ts, q6_kx4.ts), and its kernels: `fits` (w, nb)
   * tells whether a matrix's contents allow it, `repack` (r0, r1, src, dst,
   * n) writes rows [r0, r1) of a plain copy at src into it at dst.
   */
  readonly interleaved?: {
    readonly fits: KernelExportName; readonly repack: KernelExportName; readonly matVec: KernelExportName; readonly matMat: KernelExportName;
    /** Only the relaxed build gains from it (Q4_K: the SIMD128 build's widening sums made decode 1.4x slower). */
    readonly relaxedOnly?: boolean;
  };
}

function entry(name: string, rest: Omit<KernelTypeTraits, 'ggml'>): KernelTypeTraits {
  const ggml = ggmlTypeByName(name);
  if (ggml === undefined) throw new Error(`kernel table names unknown ggml type ${name}`);
  return { ggml, ...rest };
}

const table: KernelTypeTraits[] = [
  entry('q8_0', {
    activation: ACT_Q8_0, dequantize: 'dequantizeRowQ8_0',
    vecDotScalar: 'vecDotQ8_0Q8_0Scalar', vecDotSimd128: 'vecDotQ8_0Q8_0Simd128', vecDotRelaxed: null,
    matVec: 'matVecQ8_0', matMat: 'matMatQ8_0', rowAlign: 16,
    relaxedOnX64: { matVec: 'matVecQ8_0Relaxed', matMat: 'matMatQ8_0Relaxed' },
    interleaved: { fits: 'q8_0x4Fits', repack: 'repackQ8_0x4', matVec: 'matVecQ8_0x4', matMat: 'matMatQ8_0x4' },
  }),
  entry('q4_0', {
    activation: ACT_Q8_0, dequantize: 'dequantizeRowQ4_0',
    vecDotScalar: 'vecDotQ4_0Q8_0Scalar', vecDotSimd128: 'vecDotQ4_0Q8_0Simd128', vecDotRelaxed: 'vecDotQ4_0Q8_0Relaxed',
    matVec: 'matVecQ4_0', matMat: 'matMatQ4_0', rowAlign: 16,
    interleaved: { fits: 'q4_0x4Fits', repack: 'repackQ4_0x4', matVec: 'matVecQ4_0x4', matMat: 'matMatQ4_0x4' },
  }),
  entry('q4_1', {
    activation: ACT_Q8_1, dequantize: 'dequantizeRowQ4_1',
    vecDotScalar: 'vecDotQ4_1Q8_1Scalar', vecDotSimd128: 'vecDotQ4_1Q8_1Simd128', vecDotRelaxed: 'vecDotQ4_1Q8_1Relaxed',
    matVec: 'matVecQ4_1', matMat: 'matMatQ4_1', rowAlign: 16,
  }),
  entry('q5_0', {
    activation: ACT_Q8_0, dequantize: 'dequantizeRowQ5_0',
    vecDotScalar: 'vecDotQ5_0Q8_0Scalar', vecDotSimd128: 'vecDotQ5_0Q8_0Simd128', vecDotRelaxed: 'vecDotQ5_0Q8_0Relaxed',
    matVec: 'matVecQ5_0', matMat: 'matMatQ5_0', rowAlign: 16,
    interleaved: { fits: 'q5_0x4Fits', repack: 'repackQ5_0x4', matVec: 'matVecQ5_0x4', matMat: 'matMatQ5_0x4' },
  }),
  entry('q5_1', {
    activation: ACT_Q8_1, dequantize: 'dequantizeRowQ5_1',
    vecDotScalar: 'vecDotQ5_1Q8_1Scalar', vecDotSimd128: 'vecDotQ5_1Q8_1Simd128', vecDotRelaxed: 'vecDotQ5_1Q8_1Relaxed',
    matVec: 'matVecQ5_1', matMat: 'matMatQ5_1', rowAlign: 16,
  }),
  entry('iq4_nl', {
    activation: ACT_Q8_0, dequantize: 'dequantizeRowIQ4_NL',
    vecDotScalar: 'vecDotIQ4_NLQ8_0Scalar', vecDotSimd128: 'vecDotIQ4_NLQ8_0Simd128', vecDotRelaxed: 'vecDotIQ4_NLQ8_0Relaxed',
    matVec: 'matVecIQ4_NL', matMat: 'matMatIQ4_NL', rowAlign: 16,
    interleaved: { fits: 'iq4_nlx4Fits', repack: 'repackIQ4_NLx4', matVec: 'matVecIQ4_NLx4', matMat: 'matMatIQ4_NLx4' },
  }),
  entry('f32', {
    activation: ACT_F32, dequantize: 'dequantizeRowF32',
    vecDotScalar: 'vecDotF32F32Scalar', vecDotSimd128: 'vecDotF32F32Simd128', vecDotRelaxed: null,
    matVec: 'matVecF32', matMat: 'matMatF32', rowAlign: 16,
  }),
  entry('f16', {
    activation: ACT_F16, dequantize: 'dequantizeRowF16',
    vecDotScalar: 'vecDotF16F16Scalar', vecDotSimd128: 'vecDotF16F16Simd128', vecDotRelaxed: null,
    matVec: 'matVecF16', matMat: 'matMatF16', rowAlign: 16,
  }),
  entry('bf16', {
    activation: ACT_BF16, dequantize: 'dequantizeRowBF16',
    vecDotScalar: 'vecDotBF16BF16Scalar', vecDotSimd128: 'vecDotBF16BF16Simd128', vecDotRelaxed: null,
    matVec: 'matVecBF16', matMat: 'matMatBF16', rowAlign: 16,
  }),
  entry('q2_K', {
    activation: ACT_Q8_K, dequantize: 'dequantizeRowQ2_K',
    vecDotScalar: 'vecDotQ2_KQ8_KScalar', vecDotSimd128: 'vecDotQ2_KQ8_KSimd128', vecDotRelaxed: 'vecDotQ2_KQ8_KRelaxed',
    matVec: 'matVecQ2_K', matMat: 'matMatQ2_K', rowAlign: 16,
  }),
  entry('q3_K', {
    activation: ACT_Q8_K, dequantize: 'dequantizeRowQ3_K',
    vecDotScalar: 'vecDotQ3_KQ8_KScalar', vecDotSimd128: 'vecDotQ3_KQ8_KSimd128', vecDotRelaxed: 'vecDotQ3_KQ8_KRelaxed',
    matVec: 'matVecQ3_K', matMat: 'matMatQ3_K', rowAlign: 16,
  }),
  entry('q4_K', {
    activation: ACT_Q8_K, dequantize: 'dequantizeRowQ4_K',
    vecDotScalar: 'vecDotQ4_KQ8_KScalar', vecDotSimd128: 'vecDotQ4_KQ8_KSimd128', vecDotRelaxed: 'vecDotQ4_KQ8_KRelaxed',
    matVec: 'matVecQ4_K', matMat: 'matMatQ4_K', rowAlign: 16,
    interleaved: { fits: 'q4_Kx4Fits', repack: 'repackQ4_Kx4', matVec: 'matVecQ4_Kx4', matMat: 'matMatQ4_Kx4', relaxedOnly: true },
  }),
  entry('q5_K', {
    activation: ACT_Q8_K, dequantize: 'dequantizeRowQ5_K',
    vecDotScalar: 'vecDotQ5_KQ8_KScalar', vecDotSimd128: 'vecDotQ5_KQ8_KSimd128', vecDotRelaxed: 'vecDotQ5_KQ8_KRelaxed',
    matVec: 'matVecQ5_K', matMat: 'matMatQ5_K', rowAlign: 16,
    interleaved: { fits: 'q5_Kx4Fits', repack: 'repackQ5_Kx4', matVec: 'matVecQ5_Kx4', matMat: 'matMatQ5_Kx4', relaxedOnly: true },
  }),
  entry('q6_K', {
    activation: ACT_Q8_K, dequantize: 'dequantizeRowQ6_K',
    vecDotScalar: 'vecDotQ6_KQ8_KScalar', vecDotSimd128: 'vecDotQ6_KQ8_KSimd128', vecDotRelaxed: 'vecDotQ6_KQ8_KRelaxed',
    matVec: 'matVecQ6_K', matMat: 'matMatQ6_K', rowAlign: 16,
    interleaved: { fits: 'q6_Kx4Fits', repack: 'repackQ6_Kx4', matVec: 'matVecQ6_Kx4', matMat: 'matMatQ6_Kx4', relaxedOnly: true },
  }),
];

const byName = new Map(table.map((t) => [t.ggml.name.toLowerCase(), t]));

/** Kernel traits of a ggml type name (case-insensitive), or undefined if nibble has no kernels for it. */
export function kernelTypeByName(name: string): KernelTypeTraits | undefined {
  return byName.get(name.toLowerCase());
}

/** As kernelTypeByName, but a clear error for a type without kernels. */
export function requireKernelType(name: string, what = 'tensor'): KernelTypeTraits {
  const t = kernelTypeByName(name);
  if (t === undefined) {
    const known = table.map((e) => e.ggml.name).join(', ');
    throw new KernelError(`${what} has type ${name}, which nibble's kernels do not support (supported: ${known})`);
  }
  return t;
}

export function allKernelTypes(): readonly KernelTypeTraits[] {
  return table;
}
