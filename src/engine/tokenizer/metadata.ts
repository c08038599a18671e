// Typed access to the tokenizer.* keys of a GGUF metadata map.
import { GgufType, type GgufArrayValue, type GgufKV } from '../gguf/value-types.js';
import { TokenizerError } from './errors.js';

export type TokenizerMetadata = ReadonlyMap<string, GgufKV>;

export const KEY = {
  model: 'tokenizer.ggml.model',
  pre: 'tokenizer.ggml.pre',
  tokens: 'tokenizer.ggml.tokens',
  scores: 'tokenizer.ggml.scores',
  tokenType: 'tokenizer.ggml.token_type',
  merges: 'tokenizer.ggml.merges',
  bos: 'tokenizer.ggml.bos_token_id',
  eos: 'tokenizer.ggml.eos_token_id',
  eot: 'tokenizer.ggml.eot_token_id',
  eom: 'tokenizer.ggml.eom_token_id',
  unk: 'tokenizer.ggml.unknown_token_id',
  sep: 'tokenizer.ggml.seperator_token_id',
  pad: 'tokenizer.ggml.padding_token_id',
  mask: 'tokenizer.ggml.mask_token_id',
  addBos: 'tokenizer.ggml.add_bos_token',
  addEos: 'tokenizer.ggml.add_eos_token',
  addSpacePrefix: 'tokenizer.ggml.add_space_prefix',
  chatTemplate: 'tokenizer.chat_template',
  name: 'general.name',
} as const;

export function metaString(meta: TokenizerMetadata, key: string): string | undefined {
  const kv = meta.get(key);
  if (!kv) return undefined;
  if (kv.type !== GgufType.STRING) throw new TokenizerError(`metadata "${key}" must be a string`);
  return kv.value as string;
}

export function metaBool(meta: TokenizerMetadata, key: string): boolean | undefined {
  const kv = meta.get(key);
  if (!kv) return undefined;
  if (kv.type !== GgufType.BOOL) throw new TokenizerError(`metadata "${key}" must be a bool`);
  return kv.value as boolean;
}

/** An unsigned token id; llama.cpp reads these keys as u32 whatever integer type was stored. */
export function metaUint(meta: TokenizerMetadata, key: string): number | undefined {
  const kv = meta.get(key);
  if (!kv) return undefined;
  const v = kv.value;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'bigint' && v >= 0n && v <= 0xffffffffn) return Number(v);
  throw new TokenizerError(`metadata "${key}" must be a non-negative integer`);
}

function metaArray(meta: TokenizerMetadata, key: string, itemTypes: GgufType[]): GgufArrayValue | undefined {
  const kv = meta.get(key);
  if (!kv) return undefined;
  const arr = kv.value as GgufArrayValue;
  if (kv.type !== GgufType.ARRAY || !itemTypes.includes(arr.itemType)) {
    throw new TokenizerError(`metadata "${key}" has the wrong type (expected an array of ${itemTypes.map((t) => GgufType[t]).join(' or ')})`);
  }
  return arr;
}

export function metaStrings(meta: TokenizerMetadata, key: string): string[] | undefined {
  return metaArray(meta, key, [GgufType.STRING])?.items as string[] | undefined;
}

export function metaScores(meta: TokenizerMetadata, key: string): ArrayLike<number> | undefined {
  return metaArray(meta, key, [GgufType.F32, GgufType.I32])?.items as Float32Array | Int32Array | undefined;
}

export function metaInt32s(meta: TokenizerMetadata, key: string): Int32Array | undefined {
  return metaArray(meta, key, [GgufType.I32])?.items as Int32Array | undefined;
}
