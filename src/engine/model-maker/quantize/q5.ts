// Q5_0 { f16 d; u8 qh[4]; u8 qs[16] }: value = (q - 16) * d.
// Q5_1 { f16 d; f16 m; u8 qh[4]; u8 qs[16] }: value = q * d + m.
// The low 4 bits sit in qs as in Q4_0 (weight j low nibble, j+16 high);
// bit 4 of weight j is bit j of qh read as a little-endian u32.
// Mirrors ggml's quantize_row_q5_{0,1}_ref in float32.
import { GGML } from '../../ggml-types.js';
import { checkRow, type RowCodec } from './codec.js';
import { getF16, putF16 } from './half.js';

const fr = Math.fround;

function putBits(out: Uint8Array, o: number, q: Int32Array): void {
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    out[o + 4 + j] = (q[j] & 0xf) | ((q[j + 16] & 0xf) << 4);
    qh |= ((q[j] >>> 4) & 1) << j;
    qh |= ((q[j + 16] >>> 4) & 1) << (j + 16);
  }
  out[o] = qh & 0xff;
  out[o + 1] = (qh >>> 8) & 0xff;
  out[o + 2] = (qh >>> 16) & 0xff;
  out[o + 3] = (qh >>> 24) & 0xff;
}

function getBits(src: Uint8Array, o: number, q: Int32Array): void {
  const qh = (src[o] | (src[o + 1] << 8) | (src[o + 2] << 16) | (src[o + 3] << 24)) >>> 0;
  for (let j = 0; j < 16; j++) {
    const b = src[o + 4 + j];
    q[j] = (b & 0xf) | (((qh >>> j) & 1) << 4);
    q[j + 16] = (b >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
  }
}

const scratch = new Int32Array(32);

export const q5_0Codec: RowCodec = {
  type: GGML.Q5_0,
  quantize(x, out, offset) {
    const nb = checkRow(this.type, x.length);
    for (let b = 0; b < nb; b++) {
      const base = b * 32;
      const o = offset + b * 22;
      let amax = 0;
      let max = 0;
      for (let j = 0; j < 32; j++) {
        const v = x[base + j];
        if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
      }
      const d = fr(max / -16);
      const id = d ? fr(1 / d) : 0;
      putF16(out, o, d);
      for (let j = 0; j < 32; j++) scratch[j] = Math.min(31, Math.trunc(fr(fr(x[base + j] * id) + 16.5)));
      putBits(out, o + 2, scratch);
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 22;
      const d = getF16(src, o);
      getBits(src, o + 2, scratch);
      for (let j = 0; j < 32; j++) y[b * 32 + j] = (scratch[j] - 16) * d;
    }
  },
};

export const q5_1Codec: RowCodec = {
  type: GGML.Q5_1,
  quantize(x, out, offset) {
    const nb = checkRow(this.type, x.length);
    for (let b = 0; b < nb; b++) {
      const base = b * 32;
      const o = offset + b * 24;
      let min = Infinity;
      let max = -Infinity;
      for (let j = 0; j < 32; j++) {
        const v = x[base + j];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const d = fr(fr(max - min) / 31);
      const id = d ? fr(1 / d) : 0;
      putF16(out, o, d);
      putF16(out, o + 2, min);
      for (let j = 0; j < 32; j++) scratch[j] = Math.min(31, Math.trunc(fr(fr(fr(x[base + j] - min) * id) + 0.5)));
      putBits(out, o + 4, scratch);
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 24;
      const d = getF16(src, o);
      const m = getF16(src, o + 2);
      getBits(src, o + 4, scratch);
      for (let j = 0; j < 32; j++) y[b * 32 + j] = scratch[j] * d + m;
    }
  },
};
