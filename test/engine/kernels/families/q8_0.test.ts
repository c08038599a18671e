// Q8_0 x Q8_0: block layout in kernels/src/q8_0.ts (d f16, 32 int8).
import t from 'tap';
import { checkQuantFamily } from '../family-check.js';
import { f16ToNumber, f32, randomScaleF16 } from '../harness.js';

const q = (blk: Uint8Array, j: number): number => (blk[2 + j]! << 24) >> 24;
const scale = (blk: Uint8Array): number => f16ToNumber(blk[0]! | (blk[1]! << 8));

checkQuantFamily(t, {
  name: 'q8_0', blockSize: 32, typeSize: 34,
  makeBlock(rand, out, kind) {
    const d = kind === 'edge' && rand() < 0.3 ? 0 : randomScaleF16(rand);
    out[0] = d & 255; out[1] = d >> 8;
    const mode = kind === 'edge' ? Math.floor(rand() * 3) : -1; // all -128, all 127, alternating
    for (let j = 0; j < 32; j++) {
      out[2 + j] = mode === 0 ? 0x80 : mode === 1 ? 0x7f : mode === 2 ? (j & 1 ? 0x80 : 0x7f) : Math.floor(rand() * 256);
    }
  },
  dequantBlock(blk) {
    const d = scale(blk);
    return Float32Array.from({ length: 32 }, (_, j) => f32(q(blk, j) * d));
  },
  blockValue(blk, act, b) {
    let isum = 0;
    for (let j = 0; j < 32; j++) isum += q(blk, j) * act.qs[b * 32 + j]!;
    return f32(f32(isum * scale(blk)) * act.d[b]!);
  },
  exports: {
    dequantize: 'dequantizeRowQ8_0', vecDotScalar: 'vecDotQ8_0Q8_0Scalar', vecDotSimd128: 'vecDotQ8_0Q8_0Simd128',
    matVec: 'matVecQ8_0', matMat: 'matMatQ8_0',
  },
});
