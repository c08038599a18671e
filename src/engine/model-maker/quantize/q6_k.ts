// Q6_K { u8 ql[128]; u8 qh[64]; int8 scales[16]; f16 d } per 256 weights:
// sixteen sub-blocks of 16, value = d * scales[i/16] * (q - 32), q in 0..63.
// Per half (128 weights, h = 0/1) and l < 32: ql[64h+l] holds the low
// nibbles of weights 128h+l (low) and 128h+64+l (high), ql[64h+32+l] those
// of 128h+32+l and 128h+96+l; qh[32h+l] holds the top two bits of weights
// 128h+l, +32, +64, +96 at bit pairs 0, 2, 4, 6.
// Symmetric round-to-nearest: each sub-block's signed extreme maps to -32.
import { GGML } from '../../ggml-types.js';
import { checkRow, type RowCodec } from './codec.js';
import { getF16, nearestInt, putF16 } from './half.js';

const L = new Uint8Array(256);
const scales = new Float64Array(16);

export const q6_KCodec: RowCodec = {
  type: GGML.Q6_K,
  quantize(x, out, offset) {
    const nb = checkRow(this.type, x.length);
    for (let b = 0; b < nb; b++) {
      const base = b * 256;
      const o = offset + b * 210;
      let maxScale = 0;
      let maxAbs = 0;
      for (let s = 0; s < 16; s++) {
        let amax = 0;
        let max = 0;
        for (let l = 0; l < 16; l++) {
          const v = x[base + 16 * s + l];
          if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
        }
        scales[s] = max / -32;
        if (Math.abs(scales[s]) > maxAbs) { maxAbs = Math.abs(scales[s]); maxScale = scales[s]; }
      }
      const iscale = maxScale ? -128 / maxScale : 0;
      const d = putF16(out, o + 208, maxScale ? 1 / iscale : 0);
      for (let s = 0; s < 16; s++) {
        const sc = Math.max(-128, Math.min(127, nearestInt(iscale * scales[s])));
        out[o + 192 + s] = sc & 0xff;
        const ds = d * sc;
        for (let l = 0; l < 16; l++) {
          const i = 16 * s + l;
          L[i] = ds ? Math.max(-32, Math.min(31, nearestInt(x[base + i] / ds))) + 32 : 32;
        }
      }
      for (let h = 0; h < 2; h++) {
        for (let l = 0; l < 32; l++) {
          const a = L[128 * h + l];
          const bq = L[128 * h + 32 + l];
          const c = L[128 * h + 64 + l];
          const e = L[128 * h + 96 + l];
          out[o + 64 * h + l] = (a & 0xf) | ((c & 0xf) << 4);
          out[o + 64 * h + 32 + l] = (bq & 0xf) | ((e & 0xf) << 4);
          out[o + 128 + 32 * h + l] = (a >>> 4) | ((bq >>> 4) << 2) | ((c >>> 4) << 4) | ((e >>> 4) << 6);
        }
      }
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 210;
      const d = getF16(src, o + 208);
      const sc = (i: number) => (src[o + 192 + (i >>> 4)] << 24) >> 24;
      for (let h = 0; h < 2; h++) {
        for (let l = 0; l < 32; l++) {
          const ql0 = src[o + 64 * h + l];
          const ql1 = src[o + 64 * h + 32 + l];
          const qh = src[o + 128 + 32 * h + l];
          const i = b * 256 + 128 * h + l;
          const e = 128 * h + l;
          y[i] = d * sc(e) * (((ql0 & 0xf) | ((qh & 3) << 4)) - 32);
          y[i + 32] = d * sc(e + 32) * (((ql1 & 0xf) | (((qh >>> 2) & 3) << 4)) - 32);
          y[i + 64] = d * sc(e + 64) * (((ql0 >>> 4) | (((qh >>> 4) & 3) << 4)) - 32);
          y[i + 96] = d * sc(e + 96) * (((ql1 >>> 4) | (((qh >>> 6) & 3) << 4)) - 32);
        }
      }
    }
  },
};
