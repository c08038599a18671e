import type { KernelMemory } from '../kernels/memory.js';
import type { ModelConfig } from './config.js';

/** How keys and values are stored: f16 is llama.cpp's default, f32 is exact. */
export type KvType = 'f16' | 'f32';

export interface RunStateOptions {
  /** Tokens the KV cache holds. */
  contextLength: number;
  /** Tokens per forward call during prefill (rows of every activation buffer). */
  batchSize: number;
  kvType: KvType;
}

/**
 * Every buffer a forward pass writes, allocated once in kernel memory.
 * Activation buffers are token-major: row t of x is token t of the batch.
 */
export interface RunState {
  readonly contextLength: number;
  readonly batchSize: number;
  readonly kvType: KvType;
  x: number;        // (batch, n_embd) residual stream
  xb: number;       // (batch, n_embd) normed input of a block
  xb2: number;      // (batch, n_embd) output of a projection back to n_embd
  q: number;        // (batch, n_head * head_dim)
  k: number;        // (batch, n_head_kv * head_dim)
  v: number;        // (batch, n_head_kv * head_dim)
  att: number;      // (batch, n_head * head_dim) attention output, heads side by side
  scores: number;   // (batch * n_head, context) attention scores, one row per token and head
  ropeTable: number; // (batch, rope_dim / 2, 2) f32 cos, sin of each token's angles
  hb: number;       // (batch, n_ff) gate, then silu(gate) * up
  hb2: number;      // (batch, n_ff) up
  logits: number;   // (batch, n_vocab)
  keyCache: number;   // (layer, context, n_head_kv * head_dim) in kvType
  valueCache: number; // (layer, context, n_head_kv * head_dim) in kvType
  /** Bytes of one KV row (one token of one layer, keys or values). */
  readonly kvRowBytes: number;
}

export function kvCacheBytes(c: ModelConfig, contextLength: number, kvType: KvType): number {
  return 2 * c.nLayer * contextLength * c.nHeadKv * c.headDim * (kvType === 'f16' ? 2 : 4);
}

/** Bytes of activations and scratch for a batch size, besides the KV cache. */
export function scratchBytes(c: ModelConfig, o: RunStateOptions): number {
  const b = o.batchSize;
  const qDim = c.nHead * c.headDim;
  const kvDim = c.nHeadKv * c.headDim;
  return 4 * b * (3 * c.nEmbd + 2 * qDim + 2 * kvDim + 2 * c.nFf + c.nVocab + c.nHead * o.contextLength + c.ropeDim) + 64 * 16;
}

export function createRunState(c: ModelConfig, mem: KernelMemory, o: RunStateOptions): RunState {
  const b = o.batchSize;
  const qDim = c.nHead * c.headDim;
  const kvDim = c.nHeadKv * c.headDim;
  const f32 = (n: number) => mem.alloc(n * 4);
  const kvRowBytes = kvDim * (o.kvType === 'f16' ? 2 : 4);
  const cacheBytes = c.nLayer * o.contextLength * kvRowBytes;
  return {
    contextLength: o.contextLength,
    batchSize: b,
    kvType: o.kvType,
    x: f32(b * c.nEmbd),
    xb: f32(b * c.nEmbd),
    xb2: f32(b * c.nEmbd),
    q: f32(b * qDim),
    k: f32(b * kvDim),
    v: f32(b * kvDim),
    att: f32(b * qDim),
    scores: f32(b * c.nHead * o.contextLength),
    ropeTable: f32(b * c.ropeDim),
    hb: f32(b * c.nFf),
    hb2: f32(b * c.nFf),
    logits: f32(b * c.nVocab),
    keyCache: mem.alloc(cacheBytes),
    valueCache: mem.alloc(cacheBytes),
    kvRowBytes,
  };
}
