// Which ggml type each tensor gets, chosen as llama-quantize chooses
// (llama.cpp src/llama-quant.cpp, llama_tensor_get_type), so synthetic
// files have the same type mixes as real downloads:
// - 1-D tensors (norms, biases, rope_freqs) stay F32;
// - F32, F16 and BF16 requests store every matrix in that type (llama-quantize
//   only re-plans types when the target is quantized);
// - output.weight, or token_embd when the model is tied, gets Q6_K, or Q8_0
//   where rows are not a multiple of 256 or Q8_0 was asked for;
// - Q4_K_M: Q4_K, but attn_v and ffn_down get Q6_K in the layers
//   use_more_bits picks (the first and last eighth and every third between);
// - a K-quant whose rows are not a multiple of 256 falls back as
//   llama-quantize does: Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0,
//   Q2_K / Q3_K -> IQ4_NL.
// Plain K-quant requests (Q2_K ... Q6_K) are otherwise uniform, like
// `llama-quantize --pure` with the output rule kept; general.file_type names
// the nearest llama ftype (the _S mix for Q3_K, Q4_K, Q5_K).
import { GGML, type GgmlTypeTraits } from '../ggml-types.js';
import { MakeModelError } from './errors.js';

export const WEIGHT_TYPES = [
  'F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1',
  'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_NL', 'Q4_K_M',
] as const;
export type WeightType = (typeof WEIGHT_TYPES)[number];

/** llama_ftype values (llama.h) written as general.file_type. */
export const FILE_TYPE: Record<WeightType, number> = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q2_K: 10, Q3_K: 11,
  Q4_K: 14, Q4_K_M: 15, Q5_K: 16, Q6_K: 18, IQ4_NL: 25, BF16: 32,
};

export function parseWeightType(s: string): WeightType {
  const t = WEIGHT_TYPES.find((w) => w.toLowerCase() === s.toLowerCase());
  if (!t) throw new MakeModelError(`unknown weight type "${s}" (one of ${WEIGHT_TYPES.join(', ')})`);
  return t;
}

export interface PlannedTensor {
  readonly name: string;
  /** GGUF order: dims[0] is the row length. */
  readonly dims: readonly number[];
}

/** True for the layers llama-quantize gives more bits in its _M mixes (use_more_bits). */
export function useMoreBits(layer: number, nLayers: number): boolean {
  const eighth = Math.trunc(nLayers / 8);
  return layer < eighth || layer >= Math.trunc((7 * nLayers) / 8) || (layer - eighth) % 3 === 2;
}

const FALLBACK: Record<string, GgmlTypeTraits> = {
  q4_K: GGML.Q5_0,
  q5_K: GGML.Q5_1,
  q6_K: GGML.Q8_0,
  q2_K: GGML.IQ4_NL,
  q3_K: GGML.IQ4_NL,
};

/** The type of every tensor, in order. */
export function planTypes(tensors: readonly PlannedTensor[], requested: WeightType, tied: boolean): GgmlTypeTraits[] {
  const base = requested === 'Q4_K_M' ? GGML.Q4_K : GGML[requested];
  const quantized = base.blockSize > 1;
  const count = (suffix: string) => tensors.filter((t) => t.name.endsWith(suffix)).length;
  const nAttnV = count('.attn_v.weight');
  const nFfnDown = count('.ffn_down.weight');
  let iAttnV = 0;
  let iFfnDown = 0;
  return tensors.map((t) => {
    if (t.dims.length < 2) return GGML.F32;
    if (!quantized) return base;
    let type = base;
    const nx = t.dims[0];
    if (t.name === 'output.weight' || (tied && t.name === 'token_embd.weight')) {
      type = nx % 256 !== 0 || base === GGML.Q8_0 ? GGML.Q8_0 : GGML.Q6_K;
    } else if (t.name.endsWith('.attn_v.weight')) {
      if (requested === 'Q4_K_M' && useMoreBits(iAttnV, nAttnV)) type = GGML.Q6_K;
      iAttnV++;
    } else if (t.name.endsWith('.ffn_down.weight')) {
      if (requested === 'Q4_K_M' && useMoreBits(iFfnDown, nFfnDown)) type = GGML.Q6_K;
      iFfnDown++;
    }
    if (nx % type.blockSize !== 0) {
      const fallback = FALLBACK[type.name];
      if (!fallback) throw new MakeModelError(`${t.name}: rows of ${nx} are not a multiple of the ${type.name} block of ${type.blockSize}`);
      type = nx % fallback.blockSize === 0 ? fallback : GGML.F16;
    }
    return type;
  });
}
