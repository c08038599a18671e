// IQ4_NL x Q8_0: block layout in kernels/src/iq4_nl.ts (d f16, 16 bytes of table indices).
import t from 'tap';
import { checkQuantFamily } from '../family-check.js';
import { f16ToNumber, f32, randomScaleF16 } from '../harness.js';

// ggml-common.h kvalues_iq4nl.
const KVALUES = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
const val = (blk: Uint8Array, j: number): number => KVALUES[j < 16 ? blk[2 + j]! & 15 : blk[2 + j - 16]! >> 4]!;
const scale = (blk: Uint8Array): number => f16ToNumber(blk[0]! | (blk[1]! << 8));

checkQuantFamily(t, {
  name: 'iq4_nl', blockSize: 32, typeSize: 18,
  makeBlock(rand, out, kind) {
    const d = kind === 'edge' && rand() < 0.3 ? 0 : randomScaleF16(rand);
    out[0] = d & 255; out[1] = d >> 8;
    const mode = kind === 'edge' ? Math.floor(rand() * 3) : -1; // all index 0 (-127), all 15, alternating
    for (let j = 0; j < 16; j++) out[2 + j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? 0xf0 : Math.floor(rand() * 256);
  },
  dequantBlock(blk) {
    const d = scale(blk);
    return Float32Array.from({ length: 32 }, (_, j) => f32(val(blk, j) * d));
  },
  blockValue(blk, act, b) {
    let isum = 0;
    for (let j = 0; j < 32; j++) isum += val(blk, j) * act.qs[b * 32 + j]!;
    return f32(f32(scale(blk) * act.d[b]!) * isum);
  },
  exports: {
    dequantize: 'dequantizeRowIQ4_NL', vecDotScalar: 'vecDotIQ4_NLQ8_0Scalar', vecDotSimd128: 'vecDotIQ4_NLQ8_0Simd128',
    vecDotRelaxed: 'vecDotIQ4_NLQ8_0Relaxed', matVec: 'matVecIQ4_NL', matMat: 'matMatIQ4_NL',
  },
});
