// Q4_1 x Q8_1: block layout in kernels/src/q4_1.ts (d, m f16, 16 bytes of nibbles).
import t from 'tap';
import { checkQuantFamily } from '../family-check.js';
import { f16ToNumber, f32, randomScaleF16 } from '../harness.js';

const nib = (blk: Uint8Array, j: number): number => (j < 16 ? blk[4 + j]! & 15 : blk[4 + j - 16]! >> 4);
const half = (blk: Uint8Array, o: number): number => f16ToNumber(blk[o]! | (blk[o + 1]! << 8));

checkQuantFamily(t, {
  name: 'q4_1', blockSize: 32, typeSize: 20,
  makeBlock(rand, out, kind) {
    const d = kind === 'edge' && rand() < 0.3 ? 0 : randomScaleF16(rand);
    const m = kind === 'edge' && rand() < 0.3 ? 0 : randomScaleF16(rand);
    out[0] = d & 255; out[1] = d >> 8; out[2] = m & 255; out[3] = m >> 8;
    const mode = kind === 'edge' ? Math.floor(rand() * 3) : -1;
    for (let j = 0; j < 16; j++) out[4 + j] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? 0x0f : Math.floor(rand() * 256);
  },
  dequantBlock(blk) {
    const d = half(blk, 0), m = half(blk, 2);
    return Float32Array.from({ length: 32 }, (_, j) => f32(f32(nib(blk, j) * d) + m));
  },
  blockValue(blk, act, b) {
    let isum = 0;
    for (let j = 0; j < 32; j++) isum += nib(blk, j) * act.qs[b * 32 + j]!;
    return f32(f32(f32(half(blk, 0) * act.d[b]!) * isum) + f32(half(blk, 2) * act.s[b]!));
  },
  exports: {
    dequantize: 'dequantizeRowQ4_1', vecDotScalar: 'vecDotQ4_1Q8_1Scalar', vecDotSimd128: 'vecDotQ4_1Q8_1Simd128',
    vecDotRelaxed: 'vecDotQ4_1Q8_1Relaxed', matVec: 'matVecQ4_1', matMat: 'matMatQ4_1',
  },
});
