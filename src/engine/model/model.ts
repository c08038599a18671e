import { readGguf, type GgufFile } from '../gguf/reader.js';
import { Kernels, type KernelsOptions } from '../kernels/kernels.js';
import { MAX_PAGES, PAGE_BYTES, RESERVED_BYTES } from '../kernels/memory.js';
import { createTokenizer } from '../tokenizer/tokenizer.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { readModelConfig, type ModelConfig } from './config.js';
import { ModelError } from './errors.js';
import { createRunState, kvCacheBytes, scratchBytes, type KvType, type RunState } from './run-state.js';
import { ForwardOps } from './ops.js';
import type { RopeParams } from './rope.js';
import { loadWeights, type ModelWeights } from './weights.js';

export interface LoadOptions {
  /** Threads in all (default: every core, or NIBBLE_THREADS). */
  threads?: number;
  /** Tokens of context to allocate (default: the model's, capped to what memory allows). */
  contextLength?: number;
  /** Tokens per prefill batch (default 64). */
  batchSize?: number;
  /** KV cache type (default f16, as llama.cpp). */
  kvType?: KvType;
  build?: KernelsOptions['build'];
  /** Called after every forward step (a heartbeat for watchdogs). */
  onStep?: () => void;
}

export interface Model {
  readonly path: string;
  readonly file: GgufFile;
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  readonly kernels: Kernels;
  readonly weights: ModelWeights;
  readonly state: RunState;
  readonly ops: ForwardOps;
  readonly rope: RopeParams;
  readonly loadMs: number;
  readonly onStep?: () => void;
}

const DEFAULT_BATCH = 64;
const MEMORY_LIMIT = MAX_PAGES * PAGE_BYTES;
/** Context nibble allocates when the model's own is larger and memory does not say otherwise. */
const DEFAULT_CONTEXT_CAP = 4096;

/** Loads a GGUF model: checks it, sizes memory for it, reads weights straight into kernel memory. */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<Model> {
  const start = performance.now();
  const file = readGguf(path);
  const config = readModelConfig(file);
  const tokenizer = createTokenizer(file.metadata);
  const kvType = options.kvType ?? 'f16';
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const weightBytes = file.tensors.reduce((n, t) => n + t.nBytes + 64, 0);
  const contextLength = chooseContext(path, config, options.contextLength, weightBytes, batchSize, kvType);
  const need = RESERVED_BYTES + weightBytes + kvCacheBytes(config, contextLength, kvType) + scratchBytes(config, { contextLength, batchSize, kvType });
  const kernels = await Kernels.create({ threads: options.threads, build: options.build, memory: { initialPages: Math.ceil(need / PAGE_BYTES) + 16 } });
  try {
    const weights = loadWeights(file, config, kernels);
    const state = createRunState(config, kernels.memory, { contextLength, batchSize, kvType });
    const freqFactors = weights.ropeFreqs ? kernels.memory.f32(weights.ropeFreqs.ptr, config.ropeDim / 2).slice() : undefined;
    const rope = { ropeDim: config.ropeDim, base: config.ropeBase, freqScale: config.ropeScale, freqFactors };
    const ops = new ForwardOps(kernels);
    return { path, file, config, tokenizer, kernels, weights, state, ops, rope, loadMs: performance.now() - start, onStep: options.onStep };
  } catch (err) {
    await kernels.close();
    throw err;
  }
}

function chooseContext(path: string, c: ModelConfig, asked: number | undefined, weightBytes: number, batch: number, kv: KvType): number {
  const fits = (n: number) => RESERVED_BYTES + weightBytes + kvCacheBytes(c, n, kv) + scratchBytes(c, { contextLength: n, batchSize: batch, kvType: kv }) <= MEMORY_LIMIT;
  if (!fits(0)) {
    throw new ModelError(`${path}: the weights take ${gib(weightBytes)}, more than WebAssembly's 4 GiB memory holds; use a smaller model or a smaller quantization (for example Q4_K_M)`);
  }
  if (asked !== undefined) {
    if (!Number.isInteger(asked) || asked < 1) throw new ModelError(`context length ${asked} must be a positive integer`);
    if (!fits(asked)) throw new ModelError(`${path}: a context of ${asked} tokens does not fit in 4 GiB beside the weights; ask for fewer`);
    return asked;
  }
  let n = Math.min(c.contextLength, DEFAULT_CONTEXT_CAP);
  while (n > 16 && !fits(n)) n = Math.floor(n / 2);
  return n;
}

function gib(n: number): string {
  return `${(n / 2 ** 30).toFixed(2)} GiB`;
}

export async function closeModel(m: Model): Promise<void> {
  await m.kernels.close();
}
