// Every GGUF key and tensor name the engine reads lives here, so adding an
// architecture touches one table (llama.cpp's llama-arch does the same).

export type RopeStyle = 'norm' | 'neox';

export interface ArchSpec {
  readonly name: string;
  /** norm rotates adjacent pairs (2i, 2i+1); neox rotates (i, i + d/2). */
  readonly rope: RopeStyle;
  /** q/k/v projections carry a bias (qwen2). */
  readonly qkvBias: boolean;
}

export const ARCHITECTURES: Record<string, ArchSpec> = {
  llama: { name: 'llama', rope: 'norm', qkvBias: false },
  qwen2: { name: 'qwen2', rope: 'neox', qkvBias: true },
};

/** Hyper-parameter keys, prefixed with the architecture name in the file. */
export const KEY = {
  contextLength: 'context_length',
  embeddingLength: 'embedding_length',
  blockCount: 'block_count',
  feedForwardLength: 'feed_forward_length',
  headCount: 'attention.head_count',
  headCountKv: 'attention.head_count_kv',
  keyLength: 'attention.key_length',
  valueLength: 'attention.value_length',
  rmsEps: 'attention.layer_norm_rms_epsilon',
  ropeFreqBase: 'rope.freq_base',
  ropeDimensionCount: 'rope.dimension_count',
  ropeScalingType: 'rope.scaling.type',
  ropeScalingFactor: 'rope.scaling.factor',
  vocabSize: 'vocab_size',
} as const;

/** Tensor names, global and per layer. */
export const TENSOR = {
  tokenEmbd: 'token_embd.weight',
  outputNorm: 'output_norm.weight',
  output: 'output.weight',
  ropeFreqs: 'rope_freqs.weight',
  attnNorm: (l: number) => `blk.${l}.attn_norm.weight`,
  attnQ: (l: number) => `blk.${l}.attn_q.weight`,
  attnK: (l: number) => `blk.${l}.attn_k.weight`,
  attnV: (l: number) => `blk.${l}.attn_v.weight`,
  attnQBias: (l: number) => `blk.${l}.attn_q.bias`,
  attnKBias: (l: number) => `blk.${l}.attn_k.bias`,
  attnVBias: (l: number) => `blk.${l}.attn_v.bias`,
  attnOutput: (l: number) => `blk.${l}.attn_output.weight`,
  ffnNorm: (l: number) => `blk.${l}.ffn_norm.weight`,
  ffnGate: (l: number) => `blk.${l}.ffn_gate.weight`,
  ffnUp: (l: number) => `blk.${l}.ffn_up.weight`,
  ffnDown: (l: number) => `blk.${l}.ffn_down.weight`,
} as const;
