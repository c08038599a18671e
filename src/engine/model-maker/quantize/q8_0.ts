// Q8_0: blocks of 32 as { f16 d; int8 qs[32] }, value = d * q.
// Mirrors ggml's quantize_row_q8_0_ref in float32 arithmetic, so its bytes
// equal llama-quantize's for the same input.
import { GGML } from '../../ggml-types.js';
import { checkRow, type RowCodec } from './codec.js';
import { getF16, putF16, roundAway } from './half.js';

const fr = Math.fround;

export const q8_0Codec: RowCodec = {
  type: GGML.Q8_0,
  quantize(x, out, offset) {
    const nb = checkRow(this.type, x.length);
    for (let b = 0; b < nb; b++) {
      const base = b * 32;
      const o = offset + b * 34;
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[base + j]));
      const d = fr(amax / 127);
      const id = d ? fr(1 / d) : 0;
      putF16(out, o, d);
      for (let j = 0; j < 32; j++) out[o + 2 + j] = roundAway(fr(x[base + j] * id)) & 0xff;
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 34;
      const d = getF16(src, o);
      for (let j = 0; j < 32; j++) y[b * 32 + j] = d * ((src[o + 2 + j] << 24) >> 24);
    }
  },
};
