// Q4_K { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] } per 256 weights:
// eight sub-blocks of 32, value = d*sc*q - dmin*m, q in 0..15. qs holds four
// runs of 32 bytes; run k's low nibbles are sub-block 2k, high nibbles 2k+1.
// Quantized round-to-nearest after a plain min/max fit of each sub-block
// (ggml's reference also searches the fit iteratively; both are valid).
import { GGML } from '../../ggml-types.js';
import { checkRow, type RowCodec } from './codec.js';
import { getF16, putF16 } from './half.js';
import { fitScaleMinK4, packScaleMinK4, scaleMinK4 } from './k-scales.js';

const ls = new Uint8Array(8);
const lm = new Uint8Array(8);
const L = new Uint8Array(256);

/** Fits, stores d/dmin/scales at `o` and leaves each weight's level (0..nmax) in L. */
export function quantizeK4Levels(x: Float32Array, base: number, nmax: number, out: Uint8Array, o: number, levels: Uint8Array): void {
  const [d0, dmin0] = fitScaleMinK4(x, base, nmax, ls, lm);
  const d = putF16(out, o, d0);
  const dmin = putF16(out, o + 2, dmin0);
  packScaleMinK4(ls, lm, out, o + 4);
  for (let j = 0; j < 8; j++) {
    const [sc, m] = scaleMinK4(j, out, o + 4);
    const ds = d * sc;
    const dm = dmin * m;
    for (let l = 0; l < 32; l++) {
      const i = 32 * j + l;
      levels[i] = ds ? Math.max(0, Math.min(nmax, Math.round((x[base + i] + dm) / ds))) : 0;
    }
  }
}

export const q4_KCodec: RowCodec = {
  type: GGML.Q4_K,
  quantize(x, out, offset) {
    const nb = checkRow(this.type, x.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 144;
      quantizeK4Levels(x, b * 256, 15, out, o, L);
      for (let k = 0; k < 4; k++) {
        for (let l = 0; l < 32; l++) out[o + 16 + 32 * k + l] = L[64 * k + l] | (L[64 * k + 32 + l] << 4);
      }
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 144;
      const d = getF16(src, o);
      const dmin = getF16(src, o + 2);
      for (let k = 0; k < 4; k++) {
        const [sc1, m1] = scaleMinK4(2 * k, src, o + 4);
        const [sc2, m2] = scaleMinK4(2 * k + 1, src, o + 4);
        for (let l = 0; l < 32; l++) {
          const q = src[o + 16 + 32 * k + l];
          y[b * 256 + 64 * k + l] = d * sc1 * (q & 0xf) - dmin * m1;
          y[b * 256 + 64 * k + 32 + l] = d * sc2 * (q >>> 4) - dmin * m2;
        }
      }
    }
  },
};
