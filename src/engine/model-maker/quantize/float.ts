// The unquantized weight types: F32 (copied), F16 and BF16 (rounded to nearest even).
import { GGML } from '../../ggml-types.js';
import { checkRow, type RowCodec } from './codec.js';
import { bf16ToF32, f32ToBf16, f32ToF16, F16_TABLE } from './half.js';

export const f32Codec: RowCodec = {
  type: GGML.F32,
  quantize(x, out, offset) {
    checkRow(this.type, x.length);
    const dv = new DataView(out.buffer, out.byteOffset + offset, x.length * 4);
    for (let i = 0; i < x.length; i++) dv.setFloat32(i * 4, x[i], true);
  },
  dequantize(src, offset, y) {
    const dv = new DataView(src.buffer, src.byteOffset + offset, y.length * 4);
    for (let i = 0; i < y.length; i++) y[i] = dv.getFloat32(i * 4, true);
  },
};

export const f16Codec: RowCodec = {
  type: GGML.F16,
  quantize(x, out, offset) {
    for (let i = 0, o = offset; i < x.length; i++, o += 2) {
      const h = f32ToF16(x[i]);
      out[o] = h & 0xff;
      out[o + 1] = h >>> 8;
    }
  },
  dequantize(src, offset, y) {
    for (let i = 0, o = offset; i < y.length; i++, o += 2) y[i] = F16_TABLE[src[o] | (src[o + 1] << 8)];
  },
};

export const bf16Codec: RowCodec = {
  type: GGML.BF16,
  quantize(x, out, offset) {
    for (let i = 0, o = offset; i < x.length; i++, o += 2) {
      const h = f32ToBf16(x[i]);
      out[o] = h & 0xff;
      out[o + 1] = h >>> 8;
    }
  },
  dequantize(src, offset, y) {
    for (let i = 0, o = offset; i < y.length; i++, o += 2) y[i] = bf16ToF32(src[o] | (src[o + 1] << 8));
  },
};
