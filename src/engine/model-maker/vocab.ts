// Where a synthetic model's tokenizer comes from. Only `tokenizer.*` keys
// are copied, so the model gets exactly the vocabulary's tokenizer and the
// model-maker's own architecture keys.
//
// To add a source, add a loader to VOCAB_LOADERS that returns the same
// `tokenizer.*` keys a GGUF would hold. A Hugging Face tokenizer.json (with
// its tokenizer_config.json beside it) is converted as llama.cpp's converter
// would (src/engine/tokenizer/hf-vocab.ts).
import { extname } from 'node:path';
import { readGguf } from '../gguf/reader.js';
import { GgufType, type GgufArrayValue, type GgufKV } from '../gguf/value-types.js';
import { TokenizerError } from '../tokenizer/errors.js';
import { convertHfTokenizer } from '../tokenizer/hf-vocab.js';
import { MakeModelError } from './errors.js';

export interface Vocab {
  readonly path: string;
  /** The `tokenizer.*` key/value pairs, in the source's order. */
  readonly keys: readonly [string, GgufKV][];
  /** Number of tokens: the model's n_vocab. */
  readonly nVocab: number;
}

type VocabLoader = (path: string) => Vocab;

export const VOCAB_LOADERS: Record<string, VocabLoader> = {
  '.gguf': loadGgufVocab,
  '.json': loadHfVocab,
};

export function loadVocab(path: string): Vocab {
  const loader = VOCAB_LOADERS[extname(path).toLowerCase()] ?? loadGgufVocab;
  return loader(path);
}

function loadGgufVocab(path: string): Vocab {
  const file = readGguf(path);
  const keys = [...file.metadata].filter(([k]) => k.startsWith('tokenizer.'));
  const tokens = file.metadata.get('tokenizer.ggml.tokens');
  if (!tokens || tokens.type !== GgufType.ARRAY || (tokens.value as GgufArrayValue).itemType !== GgufType.STRING) {
    throw new MakeModelError(`${path}: no tokenizer.ggml.tokens string array, so it cannot give a model its vocabulary`);
  }
  const nVocab = (tokens.value as GgufArrayValue).items.length;
  if (nVocab === 0) throw new MakeModelError(`${path}: tokenizer.ggml.tokens is empty`);
  return { path, keys, nVocab };
}

function loadHfVocab(path: string): Vocab {
  try {
    const keys = [...convertHfTokenizer(path).metadata];
    const tokens = keys.find(([k]) => k === 'tokenizer.ggml.tokens')![1];
    return { path, keys, nVocab: (tokens.value as GgufArrayValue).items.length };
  } catch (err) {
    if (err instanceof TokenizerError) throw new MakeModelError(err.message);
    throw err;
  }
}
