// Reference quantizers and dequantizers for every weight type nibble
// supports, by ggml type name. Written from the block layouts in
// ggml-common.h (see FACTS.md), they are a second, independent source of
// valid blocks for kernel tests: quantize a float row with `codecFor(type)`,
// run a kernel on the blocks, compare with `dequantize` + a float dot.
// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, F16 and BF16 reproduce ggml's reference
// quantizers bit for bit; the K-quants and IQ4_NL round to nearest after a
// plain fit (ggml also searches scales), so their blocks are valid but not
// byte-identical to llama-quantize's.
import type { GgmlTypeTraits } from '../../ggml-types.js';
import type { RowCodec } from './codec.js';
import { bf16Codec, f16Codec, f32Codec } from './float.js';
import { iq4_nlCodec } from './iq4_nl.js';
import { q2_KCodec } from './q2_k.js';
import { q3_KCodec } from './q3_k.js';
import { q4_0Codec, q4_1Codec } from './q4.js';
import { q4_KCodec } from './q4_k.js';
import { q5_0Codec, q5_1Codec } from './q5.js';
import { q5_KCodec } from './q5_k.js';
import { q6_KCodec } from './q6_k.js';
import { q8_0Codec } from './q8_0.js';

export type { RowCodec } from './codec.js';

export const CODECS: readonly RowCodec[] = [
  f32Codec, f16Codec, bf16Codec, q8_0Codec, q4_0Codec, q4_1Codec, q5_0Codec, q5_1Codec,
  q2_KCodec, q3_KCodec, q4_KCodec, q5_KCodec, q6_KCodec, iq4_nlCodec,
];

const byId = new Map(CODECS.map((c) => [c.type.id, c]));

/** The codec of a weight type, or undefined for a type nibble cannot write. */
export function codecFor(type: GgmlTypeTraits): RowCodec | undefined {
  return byId.get(type.id);
}

/** Quantizes a whole row (length a multiple of the block size) into new bytes. */
export function quantizeRow(type: GgmlTypeTraits, x: Float32Array): Uint8Array {
  const codec = mustCodec(type);
  const out = new Uint8Array((x.length / type.blockSize) * type.typeSize);
  codec.quantize(x, out, 0);
  return out;
}

/** Decodes `n` weights from blocks at `offset` of `src`. */
export function dequantizeRow(type: GgmlTypeTraits, src: Uint8Array, n: number, offset = 0): Float32Array {
  const y = new Float32Array(n);
  mustCodec(type).dequantize(src, offset, y);
  return y;
}

function mustCodec(type: GgmlTypeTraits): RowCodec {
  const c = codecFor(type);
  if (!c) throw new RangeError(`no quantizer for ggml type ${type.name}`);
  return c;
}
