import type { GgufFile } from '../gguf/reader.js';
import { GgufType, type GgufArrayValue } from '../gguf/value-types.js';
import { ARCHITECTURES, KEY, type ArchSpec } from './arch.js';
import { ModelError } from './errors.js';

/** Hyper-parameters of a model, read once from its GGUF metadata. */
export interface ModelConfig {
  readonly arch: ArchSpec;
  readonly nEmbd: number;        // width of the residual stream
  readonly nLayer: number;       // transformer blocks
  readonly nHead: number;        // query heads
  readonly nHeadKv: number;      // key/value heads (GQA when fewer than nHead)
  readonly headDim: number;      // width of one head
  readonly nFf: number;          // hidden width of the feed-forward block
  readonly nVocab: number;       // vocabulary size (rows of the output matrix)
  readonly contextLength: number; // context the model was trained for
  readonly rmsEps: number;       // epsilon inside rmsnorm
  readonly ropeBase: number;     // rope theta
  readonly ropeDim: number;      // leading dims of each head that rope rotates
  readonly ropeScale: number;    // linear position scaling (1 = none)
}

export function readModelConfig(file: GgufFile): ModelConfig {
  const archName = metaString(file, 'general.architecture');
  const arch = ARCHITECTURES[archName];
  if (!arch) {
    throw new ModelError(`${file.path}: architecture "${archName}" is not supported (nibble runs ${Object.keys(ARCHITECTURES).join(', ')})`);
  }
  const num = (key: string, fallback?: number) => metaNumber(file, `${archName}.${key}`, fallback);
  const nEmbd = num(KEY.embeddingLength);
  const nHead = num(KEY.headCount);
  const headDim = num(KEY.keyLength, nEmbd / nHead);
  const tokens = file.metadata.get('tokenizer.ggml.tokens');
  const nVocab = num(KEY.vocabSize, tokens ? (tokens.value as GgufArrayValue).items.length : undefined);
  const scalingType = file.metadata.get(`${archName}.${KEY.ropeScalingType}`)?.value;
  const config: ModelConfig = {
    arch,
    nEmbd,
    nLayer: num(KEY.blockCount),
    nHead,
    nHeadKv: num(KEY.headCountKv, nHead),
    headDim,
    nFf: num(KEY.feedForwardLength),
    nVocab,
    contextLength: num(KEY.contextLength),
    rmsEps: num(KEY.rmsEps),
    ropeBase: num(KEY.ropeFreqBase, 10000),
    ropeDim: num(KEY.ropeDimensionCount, headDim),
    ropeScale: scalingType === 'linear' ? 1 / num(KEY.ropeScalingFactor, 1) : 1,
  };
  checkConfig(file.path, config);
  return config;
}

function checkConfig(path: string, c: ModelConfig): void {
  const bad = (what: string) => { throw new ModelError(`${path}: ${what}`); };
  for (const [k, v] of Object.entries(c)) {
    if (typeof v === 'number' && !(Number.isFinite(v) && v > 0)) bad(`${k} must be a positive number, not ${v}`);
  }
  if (!Number.isInteger(c.headDim) || c.headDim % 4 !== 0) bad(`head size ${c.headDim} must be a multiple of 4`);
  if (c.nHead % c.nHeadKv !== 0) bad(`${c.nHead} query heads cannot share ${c.nHeadKv} key/value heads evenly`);
  if (c.ropeDim > c.headDim || c.ropeDim % 2 !== 0) bad(`rope dimension ${c.ropeDim} does not fit head size ${c.headDim}`);
}

function metaString(file: GgufFile, key: string): string {
  const kv = file.metadata.get(key);
  if (!kv || kv.type !== GgufType.STRING) throw new ModelError(`${file.path}: metadata key ${key} is missing or not a string`);
  return kv.value as string;
}

function metaNumber(file: GgufFile, key: string, fallback?: number): number {
  const kv = file.metadata.get(key);
  if (!kv) {
    if (fallback === undefined) throw new ModelError(`${file.path}: metadata key ${key} is missing`);
    return fallback;
  }
  if (typeof kv.value !== 'number' && typeof kv.value !== 'bigint') throw new ModelError(`${file.path}: metadata key ${key} is not a number`);
  return Number(kv.value);
}
