import { readTensorData, type GgufFile, type GgufTensorInfo } from '../gguf/reader.js';
import type { Kernels, WeightRef } from '../kernels/kernels.js';
import { kernelTypeByName } from '../kernels/types.js';
import { TENSOR } from './arch.js';
import type { ModelConfig } from './config.js';
import { ModelError } from './errors.js';

/** A tensor that lives in kernel memory. */
export interface Tensor extends WeightRef {
  readonly name: string;
}

export interface LayerWeights {
  attnNorm: Tensor;   // (n_embd) f32
  wq: Tensor;         // (n_head * head_dim rows, n_embd cols)
  wk: Tensor;         // (n_head_kv * head_dim, n_embd)
  wv: Tensor;         // (n_head_kv * head_dim, n_embd)
  bq?: Tensor;        // (n_head * head_dim) f32, qwen2
  bk?: Tensor;        // (n_head_kv * head_dim) f32, qwen2
  bv?: Tensor;        // (n_head_kv * head_dim) f32, qwen2
  wo: Tensor;         // (n_embd, n_head * head_dim)
  ffnNorm: Tensor;    // (n_embd) f32
  wGate: Tensor;      // (n_ff, n_embd)
  wUp: Tensor;        // (n_ff, n_embd)
  wDown: Tensor;      // (n_embd, n_ff)
}

export interface ModelWeights {
  tokenEmbd: Tensor;  // (n_vocab rows, n_embd cols), any type: one row is dequantized per token
  layers: LayerWeights[];
  outputNorm: Tensor; // (n_embd) f32
  output: Tensor;     // (n_vocab, n_embd); the token embedding itself when tied
  ropeFreqs?: Tensor; // (head_dim / 2) f32 per-frequency divisors (llama3 rope scaling)
}

/**
 * Reads every tensor the architecture needs from the file straight into
 * kernel memory (no copy in the JS heap), checking names, shapes and types
 * first so a bad file fails before anything big is allocated.
 */
export function loadWeights(file: GgufFile, c: ModelConfig, kernels: Kernels): ModelWeights {
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const qDim = c.nHead * c.headDim;
  const kvDim = c.nHeadKv * c.headDim;
  const plan: Array<[string, number[]]> = [];
  const want = (name: string, ...shape: number[]) => (plan.push([name, shape]), name);
  const maybe = (name: string, ...shape: number[]) => (byName.has(name) ? want(name, ...shape) : undefined);

  const tokenEmbd = want(TENSOR.tokenEmbd, c.nEmbd, c.nVocab);
  const outputNorm = want(TENSOR.outputNorm, c.nEmbd);
  const output = maybe(TENSOR.output, c.nEmbd, c.nVocab) ?? tokenEmbd;
  const ropeFreqs = maybe(TENSOR.ropeFreqs, c.ropeDim / 2);
  const layers = Array.from({ length: c.nLayer }, (_, l) => ({
    attnNorm: want(TENSOR.attnNorm(l), c.nEmbd),
    wq: want(TENSOR.attnQ(l), c.nEmbd, qDim),
    wk: want(TENSOR.attnK(l), c.nEmbd, kvDim),
    wv: want(TENSOR.attnV(l), c.nEmbd, kvDim),
    bq: c.arch.qkvBias ? want(TENSOR.attnQBias(l), qDim) : undefined,
    bk: c.arch.qkvBias ? want(TENSOR.attnKBias(l), kvDim) : undefined,
    bv: c.arch.qkvBias ? want(TENSOR.attnVBias(l), kvDim) : undefined,
    wo: want(TENSOR.attnOutput(l), qDim, c.nEmbd),
    ffnNorm: want(TENSOR.ffnNorm(l), c.nEmbd),
    wGate: want(TENSOR.ffnGate(l), c.nEmbd, c.nFf),
    wUp: want(TENSOR.ffnUp(l), c.nEmbd, c.nFf),
    wDown: want(TENSOR.ffnDown(l), c.nFf, c.nEmbd),
  }));

  for (const [name, shape] of plan) checkTensor(file, byName.get(name), name, shape);
  // Matrices only matmul reads may be rewritten into a faster layout; the
  // token embedding (and the output, when tied to it) is also read by row.
  const matmulOnly = new Set(layers.flatMap((l) => [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown]));
  if (output !== tokenEmbd) matmulOnly.add(output);
  const loaded = new Map<string, Tensor>();
  for (const [name] of plan) {
    if (!loaded.has(name)) loaded.set(name, placeTensor(file, byName.get(name)!, kernels, matmulOnly.has(name)));
  }
  const get = (name: string) => loaded.get(name)!;
  const opt = (name: string | undefined) => (name === undefined ? undefined : get(name));
  return {
    tokenEmbd: get(tokenEmbd),
    outputNorm: get(outputNorm),
    output: get(output),
    ropeFreqs: opt(ropeFreqs),
    layers: layers.map((l) => ({
      attnNorm: get(l.attnNorm), wq: get(l.wq), wk: get(l.wk), wv: get(l.wv),
      bq: opt(l.bq), bk: opt(l.bk), bv: opt(l.bv), wo: get(l.wo),
      ffnNorm: get(l.ffnNorm), wGate: get(l.wGate), wUp: get(l.wUp), wDown: get(l.wDown),
    })),
  };
}

function checkTensor(file: GgufFile, t: GgufTensorInfo | undefined, name: string, shape: number[]): void {
  if (!t) throw new ModelError(`${file.path}: tensor ${name} is missing`);
  const dims = t.dims.length > shape.length && t.dims.slice(shape.length).every((d) => d === 1) ? t.dims.slice(0, shape.length) : t.dims;
  if (dims.length !== shape.length || dims.some((d, i) => d !== shape[i])) {
    throw new ModelError(`${file.path}: tensor ${name} has shape [${t.dims.join(', ')}], expected [${shape.join(', ')}]`);
  }
  const is1d = shape.length === 1;
  if (is1d ? t.type.name !== 'f32' : kernelTypeByName(t.type.name) === undefined) {
    throw new ModelError(`${file.path}: tensor ${name} has type ${t.type.name}, which nibble does not support${is1d ? ' for a vector (f32 only)' : ''}`);
  }
}

/** Reads a tensor into kernel memory; a matrix only matmul reads may be interleaved on the way (Kernels.placeInterleaved). */
function placeTensor(file: GgufFile, t: GgufTensorInfo, kernels: Kernels, matmulOnly: boolean): Tensor {
  const ptr = kernels.memory.alloc(t.nBytes);
  const tensor: Tensor = { name: t.name, type: t.type.name, ptr, rows: t.dims.length > 1 ? t.dims[1] : 1, cols: t.dims[0] };
  if (matmulOnly) return kernels.placeInterleaved(tensor, (plain) => readTensorData(file, t, plain));
  readTensorData(file, t, kernels.memory.u8(ptr, t.nBytes));
  return tensor;
}
