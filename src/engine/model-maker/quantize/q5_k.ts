// Q5_K { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] } per 256
// weights: as Q4_K with q in 0..31. The low nibbles sit in qs exactly as in
// Q4_K; bit 4 of weight 64k+l (l < 32) is bit 2k of qh[l], of weight
// 64k+32+l bit 2k+1 of qh[l].
import { GGML } from '../../ggml-types.js';
import { checkRow, type RowCodec } from './codec.js';
import { getF16 } from './half.js';
import { scaleMinK4 } from './k-scales.js';
import { quantizeK4Levels } from './q4_k.js';

const L = new Uint8Array(256);

export const q5_KCodec: RowCodec = {
  type: GGML.Q5_K,
  quantize(x, out, offset) {
    const nb = checkRow(this.type, x.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 176;
      quantizeK4Levels(x, b * 256, 31, out, o, L);
      for (let l = 0; l < 32; l++) out[o + 16 + l] = 0;
      for (let k = 0; k < 4; k++) {
        for (let l = 0; l < 32; l++) {
          const lo = L[64 * k + l];
          const hi = L[64 * k + 32 + l];
          out[o + 48 + 32 * k + l] = (lo & 0xf) | ((hi & 0xf) << 4);
          out[o + 16 + l] |= ((lo >>> 4) << (2 * k)) | ((hi >>> 4) << (2 * k + 1));
        }
      }
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 176;
      const d = getF16(src, o);
      const dmin = getF16(src, o + 2);
      for (let k = 0; k < 4; k++) {
        const [sc1, m1] = scaleMinK4(2 * k, src, o + 4);
        const [sc2, m2] = scaleMinK4(2 * k + 1, src, o + 4);
        for (let l = 0; l < 32; l++) {
          const q = src[o + 48 + 32 * k + l];
          const h = src[o + 16 + l];
          y[b * 256 + 64 * k + l] = d * sc1 * ((q & 0xf) | (((h >>> (2 * k)) & 1) << 4)) - dmin * m1;
          y[b * 256 + 64 * k + 32 + l] = d * sc2 * ((q >>> 4) | (((h >>> (2 * k + 1)) & 1) << 4)) - dmin * m2;
        }
      }
    }
  },
};
