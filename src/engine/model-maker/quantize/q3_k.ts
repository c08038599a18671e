// Q3_K { u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d } per 256 weights:
// sixteen sub-blocks of 16, value = d * (sc - 32) * (q - 4), q in 0..7 and
// sc a 6-bit scale. Weight i's low two bits are at bit pair 2*((i%128)/32)
// of qs[32*(i/128) + i%32]; its third bit is bit i/32 of hmask[i%32]. Scale
// s: low nibble in scales[s%8] (low half for s < 8, high half otherwise),
// top two bits at bit pair 2*(s/4) of scales[8 + s%4].
// Symmetric round-to-nearest: each sub-block's signed extreme maps to -4.
import { GGML } from '../../ggml-types.js';
import { checkRow, type RowCodec } from './codec.js';
import { getF16, nearestInt, putF16 } from './half.js';

const L = new Uint8Array(256);
const scales = new Float64Array(16);
const ls = new Uint8Array(16);

function scaleOf(src: Uint8Array, at: number, s: number): number {
  const low = s < 8 ? src[at + s] & 0xf : src[at + s - 8] >>> 4;
  const high = (src[at + 8 + (s % 4)] >>> (2 * (s >>> 2))) & 3;
  return (low | (high << 4)) - 32;
}

export const q3_KCodec: RowCodec = {
  type: GGML.Q3_K,
  quantize(x, out, offset) {
    const nb = checkRow(this.type, x.length);
    for (let b = 0; b < nb; b++) {
      const base = b * 256;
      const o = offset + b * 110;
      let maxScale = 0;
      let maxAbs = 0;
      for (let s = 0; s < 16; s++) {
        let amax = 0;
        let max = 0;
        for (let l = 0; l < 16; l++) {
          const v = x[base + 16 * s + l];
          if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
        }
        scales[s] = max / -4;
        if (Math.abs(scales[s]) > maxAbs) { maxAbs = Math.abs(scales[s]); maxScale = scales[s]; }
      }
      const iscale = maxScale ? -32 / maxScale : 0;
      for (let s = 0; s < 16; s++) ls[s] = Math.max(-32, Math.min(31, nearestInt(iscale * scales[s]))) + 32;
      for (let j = 0; j < 12; j++) out[o + 96 + j] = 0;
      for (let s = 0; s < 16; s++) {
        if (s < 8) out[o + 96 + s] = ls[s] & 0xf;
        else out[o + 96 + s - 8] |= (ls[s] & 0xf) << 4;
        out[o + 96 + 8 + (s % 4)] |= (ls[s] >>> 4) << (2 * (s >>> 2));
      }
      const d = putF16(out, o + 108, maxScale ? 1 / iscale : 0);
      for (let s = 0; s < 16; s++) {
        const ds = d * scaleOf(out, o + 96, s);
        for (let l = 0; l < 16; l++) {
          const i = 16 * s + l;
          L[i] = ds ? Math.max(-4, Math.min(3, nearestInt(x[base + i] / ds))) + 4 : 4;
        }
      }
      for (let j = 0; j < 32; j++) out[o + j] = 0;
      for (let i = 0; i < 256; i++) if (L[i] > 3) out[o + (i % 32)] |= 1 << (i >>> 5);
      for (let h = 0; h < 2; h++) {
        for (let l = 0; l < 32; l++) {
          const at = 128 * h + l;
          out[o + 32 + 32 * h + l] = (L[at] & 3) | ((L[at + 32] & 3) << 2) | ((L[at + 64] & 3) << 4) | ((L[at + 96] & 3) << 6);
        }
      }
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 110;
      const d = getF16(src, o + 108);
      for (let i = 0; i < 256; i++) {
        const low = (src[o + 32 + 32 * (i >>> 7) + (i % 32)] >>> (2 * ((i % 128) >>> 5))) & 3;
        const high = (src[o + (i % 32)] >>> (i >>> 5)) & 1;
        y[b * 256 + i] = d * scaleOf(src, o + 96, i >>> 4) * ((low | (high << 2)) - 4);
      }
    }
  },
};
