// Q4_0 x Q8_0: block layout in kernels/src/q4_0.ts (d f16, 16 bytes of nibbles).
import t from 'tap';
import { checkQuantFamily } from '../family-check.js';
import { f16ToNumber, f32, randomScaleF16 } from '../harness.js';

const nib = (blk: Uint8Array, j: number): number => (j < 16 ? blk[2 + j]! & 15 : blk[2 + j - 16]! >> 4);
const scale = (blk: Uint8Array): number => f16ToNumber(blk[0]! | (blk[1]! << 8));

checkQuantFamily(t, {
  name: 'q4_0', blockSize: 32, typeSize: 18,
  makeBlock(rand, out, kind) {
    const d = kind === 'edge' && rand() < 0.3 ? 0 : randomScaleF16(rand);
    out[0] = d & 255; out[1] = d >> 8;
    const mode = kind === 'edge' ? Math.floor(rand() * 3) : -1; // all 0, all 15, alternating
    for (let j = 0; j < 16; j++) {
      out[2 + j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? 0xf0 : Math.floor(rand() * 256);
    }
  },
  dequantBlock(blk) {
    const d = scale(blk);
    return Float32Array.from({ length: 32 }, (_, j) => f32((nib(blk, j) - 8) * d));
  },
  blockValue(blk, act, b) {
    let isum = 0;
    for (let j = 0; j < 32; j++) isum += (nib(blk, j) - 8) * act.qs[b * 32 + j]!;
    return f32(f32(isum * scale(blk)) * act.d[b]!);
  },
  exports: {
    dequantize: 'dequantizeRowQ4_0', vecDotScalar: 'vecDotQ4_0Q8_0Scalar', vecDotSimd128: 'vecDotQ4_0Q8_0Simd128',
    vecDotRelaxed: 'vecDotQ4_0Q8_0Relaxed', matVec: 'matVecQ4_0', matMat: 'matMatQ4_0',
  },
});
