// The tensors of a llama or qwen2 model as llama.cpp names and shapes them
// (dims in GGUF order: dims[0] is the row length, the matmul input), and how
// each is initialised.
import { headDim, type ModelShape } from './shapes.js';

/**
 * How a tensor's values are drawn, after the reference models' init
 * (shared/reference/README.md): embeddings N(0, (4/sqrt(n_embd))^2),
 * projections N(0, 1/n_in), norms 1 + N(0, 0.1^2), biases N(0, 0.1^2).
 * A tied model's output_norm also gets a random sign per channel: without
 * it a random tied model mostly predicts the current token again.
 *
 * The projections that write into the residual stream (attn_output,
 * ffn_down) are further scaled by 1/sqrt(2 n_layer), as GPT-2 initialises
 * them: the reference models have 3-4 layers, and at real depths (16-30)
 * unscaled branches swamp the stream until every position predicts the
 * same token (measured in llama.cpp on smollm2-135m: one token repeated
 * at scale 1, 8 distinct tokens in 8 with top-1 p 0.28 at 1/sqrt(60)).
 */
export type Init =
  | { kind: 'normal'; std: number }
  | { kind: 'norm'; randomSign: boolean }
  | { kind: 'rope-freqs' };

export interface ModelTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly init: Init;
}

export function modelTensors(s: ModelShape, nVocab: number): ModelTensor[] {
  const nEmbdKv = headDim(s) * s.nHeadKv;
  const embed: Init = { kind: 'normal', std: 4 / Math.sqrt(s.nEmbd) };
  const proj = (nIn: number): Init => ({ kind: 'normal', std: 1 / Math.sqrt(nIn) });
  const residual = (nIn: number): Init => ({ kind: 'normal', std: 1 / Math.sqrt(nIn) / Math.sqrt(2 * s.nLayer) });
  const norm: Init = { kind: 'norm', randomSign: false };
  const bias: Init = { kind: 'normal', std: 0.1 };
  const out: ModelTensor[] = [{ name: 'token_embd.weight', dims: [s.nEmbd, nVocab], init: embed }];
  if (s.llama3Rope) out.push({ name: 'rope_freqs.weight', dims: [headDim(s) / 2], init: { kind: 'rope-freqs' } });
  for (let i = 0; i < s.nLayer; i++) {
    const blk = (n: string, dims: number[], init: Init) => out.push({ name: `blk.${i}.${n}`, dims, init });
    blk('attn_norm.weight', [s.nEmbd], norm);
    blk('attn_q.weight', [s.nEmbd, s.nEmbd], proj(s.nEmbd));
    blk('attn_k.weight', [s.nEmbd, nEmbdKv], proj(s.nEmbd));
    blk('attn_v.weight', [s.nEmbd, nEmbdKv], proj(s.nEmbd));
    if (s.arch === 'qwen2') {
      blk('attn_q.bias', [s.nEmbd], bias);
      blk('attn_k.bias', [nEmbdKv], bias);
      blk('attn_v.bias', [nEmbdKv], bias);
    }
    blk('attn_output.weight', [s.nEmbd, s.nEmbd], residual(s.nEmbd));
    blk('ffn_norm.weight', [s.nEmbd], norm);
    blk('ffn_gate.weight', [s.nEmbd, s.nFf], proj(s.nEmbd));
    blk('ffn_up.weight', [s.nEmbd, s.nFf], proj(s.nEmbd));
    blk('ffn_down.weight', [s.nFf, s.nEmbd], residual(s.nFf));
  }
  out.push({ name: 'output_norm.weight', dims: [s.nEmbd], init: { kind: 'norm', randomSign: s.tied } });
  if (!s.tied) out.push({ name: 'output.weight', dims: [s.nEmbd, nVocab], init: embed });
  return out;
}
