// Q5_0 x Q8_0: block layout in kernels/src/q5_0.ts (d f16, qh u32, 16 bytes of low nibbles).
import t from 'tap';
import { checkQuantFamily } from '../family-check.js';
import { f16ToNumber, f32, randomScaleF16 } from '../harness.js';

const q5 = (blk: Uint8Array, j: number): number => {
  const qh = (blk[2]! | (blk[3]! << 8) | (blk[4]! << 16) | (blk[5]! << 24)) >>> 0;
  const low = j < 16 ? blk[6 + j]! & 15 : blk[6 + j - 16]! >> 4;
  return low | (((qh >>> j) & 1) << 4);
};
const scale = (blk: Uint8Array): number => f16ToNumber(blk[0]! | (blk[1]! << 8));

checkQuantFamily(t, {
  name: 'q5_0', blockSize: 32, typeSize: 22,
  makeBlock(rand, out, kind) {
    const d = kind === 'edge' && rand() < 0.3 ? 0 : randomScaleF16(rand);
    out[0] = d & 255; out[1] = d >> 8;
    const mode = kind === 'edge' ? Math.floor(rand() * 3) : -1; // all 0, all 31, alternating 0/31
    for (let j = 0; j < 4; j++) out[2 + j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? 0xaa : Math.floor(rand() * 256);
    for (let j = 0; j < 16; j++) out[6 + j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? 0xf0 : Math.floor(rand() * 256);
  },
  dequantBlock(blk) {
    const d = scale(blk);
    return Float32Array.from({ length: 32 }, (_, j) => f32((q5(blk, j) - 16) * d));
  },
  blockValue(blk, act, b) {
    let isum = 0;
    for (let j = 0; j < 32; j++) isum += (q5(blk, j) - 16) * act.qs[b * 32 + j]!;
    return f32(f32(scale(blk) * act.d[b]!) * isum);
  },
  exports: {
    dequantize: 'dequantizeRowQ5_0', vecDotScalar: 'vecDotQ5_0Q8_0Scalar', vecDotSimd128: 'vecDotQ5_0Q8_0Simd128',
    vecDotRelaxed: 'vecDotQ5_0Q8_0Relaxed', matVec: 'matVecQ5_0', matMat: 'matMatQ5_0',
  },
});
