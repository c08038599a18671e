import type { GgmlTypeTraits } from '../../ggml-types.js';

/**
 * Encodes and decodes rows of one ggml weight type. `quantize` writes
 * x.length / blockSize blocks at `offset`; `dequantize` fills y from the
 * blocks at `offset`. x.length and y.length must be a multiple of the
 * block size. These are plain reference implementations written from the
 * block layouts in ggml-common.h, a source of valid blocks independent of
 * llama.cpp's own code.
 */
export interface RowCodec {
  readonly type: GgmlTypeTraits;
  quantize(x: Float32Array, out: Uint8Array, offset: number): void;
  dequantize(src: Uint8Array, offset: number, y: Float32Array): void;
}

export function checkRow(type: GgmlTypeTraits, n: number): number {
  if (n % type.blockSize !== 0) throw new RangeError(`a ${type.name} row must be a multiple of ${type.blockSize} values, not ${n}`);
  return n / type.blockSize;
}
