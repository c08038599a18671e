// Q8_0 x Q8_0: block layout in kernels/src/q8_0.ts (d f16, 32 int8).
import t from 'tap';
import { checkQuantFamily } from '../family-check.js';
import { f16ToNumber, f32, randomScaleF16, instances } from '../harness.js';

const q = (blk: Uint8Array, j: number): number => (blk[2 + j]! << 24) >> 24;
const scale = (blk: Uint8Array): number => f16ToNumber(blk[0]! | (blk[1]! << 8));

/** A random block with weights from `min` (0x80 = -128) to 127; edges: all min, all 127, alternating. */
function makeBlock(min: number): Parameters<typeof checkQuantFamily>[1]['makeBlock'] {
  return (rand, out, kind) => {
    const d = kind === 'edge' && rand() < 0.3 ? 0 : randomScaleF16(rand);
    out[0] = d & 255; out[1] = d >> 8;
    const mode = kind === 'edge' ? Math.floor(rand() * 3) : -1;
    for (let j = 0; j < 32; j++) {
      out[2 + j] = mode === 0 ? min : mode === 1 ? 0x7f : mode === 2 ? (j & 1 ? min : 0x7f) : min + Math.floor(rand() * (0x180 - min));
    }
  };
}

const decode = {
  dequantBlock(blk: Uint8Array): Float32Array {
    const d = scale(blk);
    return Float32Array.from({ length: 32 }, (_, j) => f32(q(blk, j) * d));
  },
  blockValue(blk: Uint8Array, act: { qs: Int8Array; d: Float32Array }, b: number): number {
    let isum = 0;
    for (let j = 0; j < 32; j++) isum += q(blk, j) * act.qs[b * 32 + j]!;
    return f32(f32(isum * scale(blk)) * act.d[b]!);
  },
};

checkQuantFamily(t, {
  name: 'q8_0', blockSize: 32, typeSize: 34, makeBlock: makeBlock(0x80), ...decode,
  exports: {
    dequantize: 'dequantizeRowQ8_0', vecDotScalar: 'vecDotQ8_0Q8_0Scalar', vecDotSimd128: 'vecDotQ8_0Q8_0Simd128',
    matVec: 'matVecQ8_0', matMat: 'matMatQ8_0',
  },
});

// The relaxed kernels (the activation split into its positive and negative
// parts, q8_act.ts) take every weight, -128 included.
checkQuantFamily(t, {
  name: 'q8_0 (relaxed)', blockSize: 32, typeSize: 34, makeBlock: makeBlock(0x80), ...decode,
  exports: {
    dequantize: 'dequantizeRowQ8_0', vecDotScalar: 'vecDotQ8_0Q8_0Scalar', vecDotSimd128: 'vecDotQ8_0Q8_0Simd128',
    vecDotRelaxed: 'vecDotQ8_0Q8_0Relaxed', matVec: 'matVecQ8_0Relaxed', matMat: 'matMatQ8_0Relaxed',
  },
});
