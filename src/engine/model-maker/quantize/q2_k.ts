// Q2_K { u8 scales[16]; u8 qs[64]; f16 d; f16 dmin } per 256 weights:
// sixteen sub-blocks of 16, value = d * (sc & 15) * q - dmin * (sc >> 4),
// q in 0..3. Weight i sits at bit pair 2*((i%128)/32) of qs[32*(i/128) + i%32].
// Fitted like Q4_K: per sub-block (max - min)/3 and -min (min clamped to
// <= 0), both quantized to 4 bits against the super-block's largest.
import { GGML } from '../../ggml-types.js';
import { checkRow, type RowCodec } from './codec.js';
import { getF16, putF16 } from './half.js';

const L = new Uint8Array(256);
const scales = new Float64Array(16);
const mins = new Float64Array(16);

export const q2_KCodec: RowCodec = {
  type: GGML.Q2_K,
  quantize(x, out, offset) {
    const nb = checkRow(this.type, x.length);
    for (let b = 0; b < nb; b++) {
      const base = b * 256;
      const o = offset + b * 84;
      let maxScale = 0;
      let maxMin = 0;
      for (let s = 0; s < 16; s++) {
        let mn = 0;
        let mx = -Infinity;
        for (let l = 0; l < 16; l++) {
          const v = x[base + 16 * s + l];
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
        scales[s] = (mx - mn) / 3;
        mins[s] = -mn;
        if (scales[s] > maxScale) maxScale = scales[s];
        if (mins[s] > maxMin) maxMin = mins[s];
      }
      const iscale = maxScale > 0 ? 15 / maxScale : 0;
      const imin = maxMin > 0 ? 15 / maxMin : 0;
      for (let s = 0; s < 16; s++) {
        out[o + s] = Math.min(15, Math.round(iscale * scales[s])) | (Math.min(15, Math.round(imin * mins[s])) << 4);
      }
      const d = putF16(out, o + 80, maxScale / 15);
      const dmin = putF16(out, o + 82, maxMin / 15);
      for (let s = 0; s < 16; s++) {
        const ds = d * (out[o + s] & 0xf);
        const dm = dmin * (out[o + s] >>> 4);
        for (let l = 0; l < 16; l++) {
          const i = 16 * s + l;
          L[i] = ds ? Math.max(0, Math.min(3, Math.round((x[base + i] + dm) / ds))) : 0;
        }
      }
      for (let h = 0; h < 2; h++) {
        for (let l = 0; l < 32; l++) {
          const at = 128 * h + l;
          out[o + 16 + 32 * h + l] = L[at] | (L[at + 32] << 2) | (L[at + 64] << 4) | (L[at + 96] << 6);
        }
      }
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 84;
      const d = getF16(src, o + 80);
      const dmin = getF16(src, o + 82);
      for (let i = 0; i < 256; i++) {
        const sc = src[o + (i >>> 4)];
        const q = (src[o + 16 + 32 * (i >>> 7) + (i % 32)] >>> (2 * ((i % 128) >>> 5))) & 3;
        y[b * 256 + i] = d * (sc & 0xf) * q - dmin * (sc >>> 4);
      }
    }
  },
};
