// Q4_0 { f16 d; u8 qs[16] }: value = (q - 8) * d.
// Q4_1 { f16 d; f16 m; u8 qs[16] }: value = q * d + m.
// In both, byte j holds weight j in its low nibble and weight j+16 in its
// high nibble. Mirrors ggml's quantize_row_q4_{0,1}_ref in float32.
import { GGML } from '../../ggml-types.js';
import { checkRow, type RowCodec } from './codec.js';
import { getF16, putF16 } from './half.js';

const fr = Math.fround;

export const q4_0Codec: RowCodec = {
  type: GGML.Q4_0,
  quantize(x, out, offset) {
    const nb = checkRow(this.type, x.length);
    for (let b = 0; b < nb; b++) {
      const base = b * 32;
      const o = offset + b * 18;
      let amax = 0;
      let max = 0;
      for (let j = 0; j < 32; j++) {
        const v = x[base + j];
        if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
      }
      const d = fr(max / -8);
      const id = d ? fr(1 / d) : 0;
      putF16(out, o, d);
      for (let j = 0; j < 16; j++) {
        const q0 = Math.min(15, Math.trunc(fr(fr(x[base + j] * id) + 8.5)));
        const q1 = Math.min(15, Math.trunc(fr(fr(x[base + j + 16] * id) + 8.5)));
        out[o + 2 + j] = q0 | (q1 << 4);
      }
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 18;
      const d = getF16(src, o);
      for (let j = 0; j < 16; j++) {
        const q = src[o + 2 + j];
        y[b * 32 + j] = ((q & 0xf) - 8) * d;
        y[b * 32 + j + 16] = ((q >>> 4) - 8) * d;
      }
    }
  },
};

export const q4_1Codec: RowCodec = {
  type: GGML.Q4_1,
  quantize(x, out, offset) {
    const nb = checkRow(this.type, x.length);
    for (let b = 0; b < nb; b++) {
      const base = b * 32;
      const o = offset + b * 20;
      let min = Infinity;
      let max = -Infinity;
      for (let j = 0; j < 32; j++) {
        const v = x[base + j];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const d = fr(fr(max - min) / 15);
      const id = d ? fr(1 / d) : 0;
      putF16(out, o, d);
      putF16(out, o + 2, min);
      for (let j = 0; j < 16; j++) {
        const q0 = Math.min(15, Math.trunc(fr(fr(fr(x[base + j] - min) * id) + 0.5)));
        const q1 = Math.min(15, Math.trunc(fr(fr(fr(x[base + j + 16] - min) * id) + 0.5)));
        out[o + 4 + j] = q0 | (q1 << 4);
      }
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 20;
      const d = getF16(src, o);
      const m = getF16(src, o + 2);
      for (let j = 0; j < 16; j++) {
        const q = src[o + 4 + j];
        y[b * 32 + j] = (q & 0xf) * d + m;
        y[b * 32 + j + 16] = (q >>> 4) * d + m;
      }
    }
  },
};
