// IQ4_NL { f16 d; u8 qs[16] }: value = d * IQ4NL_VALUES[q], nibbles laid out
// as in Q4_0 (weight j low, j+16 high). Quantized by round-to-nearest on the
// non-linear grid with d = max / -127 (the signed extreme maps to -127, the
// grid's widest end), then d refit by least squares for the chosen indices.
// ggml's own quantizer also searches a few scales; any d gives valid blocks.
import { GGML } from '../../ggml-types.js';
import { checkRow, type RowCodec } from './codec.js';
import { getF16, putF16 } from './half.js';

/** kvalues_iq4nl from ggml-common.h. */
export const IQ4NL_VALUES = Int8Array.from([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]);

function nearestIndex(v: number): number {
  if (v <= IQ4NL_VALUES[0]) return 0;
  if (v >= IQ4NL_VALUES[15]) return 15;
  let i = 0;
  while (IQ4NL_VALUES[i + 1] < v) i++;
  return v - IQ4NL_VALUES[i] <= IQ4NL_VALUES[i + 1] - v ? i : i + 1;
}

const idx = new Uint8Array(32);

export const iq4_nlCodec: RowCodec = {
  type: GGML.IQ4_NL,
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
      let d = max / IQ4NL_VALUES[0];
      const id = d ? 1 / d : 0;
      let sumqx = 0;
      let sumq2 = 0;
      for (let j = 0; j < 32; j++) {
        idx[j] = nearestIndex(x[base + j] * id);
        const q = IQ4NL_VALUES[idx[j]];
        sumqx += q * x[base + j];
        sumq2 += q * q;
      }
      if (sumq2 > 0) d = sumqx / sumq2;
      putF16(out, o, d);
      for (let j = 0; j < 16; j++) out[o + 2 + j] = idx[j] | (idx[j + 16] << 4);
    }
  },
  dequantize(src, offset, y) {
    const nb = checkRow(this.type, y.length);
    for (let b = 0; b < nb; b++) {
      const o = offset + b * 18;
      const d = getF16(src, o);
      for (let j = 0; j < 16; j++) {
        const q = src[o + 2 + j];
        y[b * 32 + j] = d * IQ4NL_VALUES[q & 0xf];
        y[b * 32 + j + 16] = d * IQ4NL_VALUES[q >>> 4];
      }
    }
  },
};
