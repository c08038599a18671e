// The metadata llama.cpp's converter and llama-quantize write for a llama or
// qwen2 model, in their order, with their value types.
//
// Llama 3 rope scaling is carried by the rope_freqs.weight tensor alone, as
// the converter does: llama.cpp reads `<arch>.rope.scaling.factor` as linear
// scaling of every frequency (its default scaling type is "linear", and it
// has no "llama3" type), so writing the llama3 parameters there would make
// llama.cpp compute a different model.
import { GgufType, type GgufKV } from '../gguf/value-types.js';
import { headDim, type ModelShape } from './shapes.js';

/** GGML_QNT_VERSION, which llama-quantize writes into every file. */
export const QUANTIZATION_VERSION = 2;

const u32 = (v: number): GgufKV => ({ type: GgufType.U32, value: v });
const f32 = (v: number): GgufKV => ({ type: GgufType.F32, value: v });
const str = (v: string): GgufKV => ({ type: GgufType.STRING, value: v });

export function modelMetadata(
  s: ModelShape, nVocab: number, fileType: number, tokenizer: readonly [string, GgufKV][], name: string,
): [string, GgufKV][] {
  const a = s.arch;
  return [
    ['general.architecture', str(a)],
    ['general.name', str(name)],
    [`${a}.context_length`, u32(s.contextLength)],
    [`${a}.embedding_length`, u32(s.nEmbd)],
    [`${a}.block_count`, u32(s.nLayer)],
    [`${a}.feed_forward_length`, u32(s.nFf)],
    [`${a}.attention.head_count`, u32(s.nHead)],
    [`${a}.attention.head_count_kv`, u32(s.nHeadKv)],
    [`${a}.rope.freq_base`, f32(s.ropeBase)],
    [`${a}.attention.layer_norm_rms_epsilon`, f32(s.rmsEps)],
    [`${a}.rope.dimension_count`, u32(headDim(s))],
    ...tokenizer,
    [`${a}.vocab_size`, u32(nVocab)],
    ['general.quantization_version', u32(QUANTIZATION_VERSION)],
    ['general.file_type', u32(fileType)],
  ];
}
