// node-llama-cpp (prebuilt native llama.cpp), installed outside package.json
// by scripts/peer/install.sh into .cache/peer/. Tests that cross-check with
// llama.cpp call peerSkipReason() and skip, saying why, when it is absent.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './reference.js';

export const PEER_VERSION = '3.21.1';
export const peerDir = join(repoRoot, '.cache', 'peer');
const entry = join(peerDir, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');

/** Why the llama.cpp cross-checks cannot run here, or undefined when they can. */
export function peerSkipReason(): string | undefined {
  if (!existsSync(entry)) return `node-llama-cpp is not installed in ${peerDir} (run scripts/peer/install.sh)`;
  return undefined;
}

// The small part of node-llama-cpp's API the tests use.
interface LlamaModel {
  tokenize(text: string): number[];
  createContext(o: { contextSize: number; threads?: number; seed?: number; flashAttention?: boolean }): Promise<LlamaContext>;
  dispose(): Promise<void>;
  readonly tokens: { readonly bos: number | null; readonly eos: number | null };
}
interface LlamaContext {
  getSequence(): LlamaSequence;
  dispose(): Promise<void>;
}
interface LlamaSequence {
  evaluateWithMetadata(tokens: number[], meta: { probabilities: true }, opts: { temperature: number }):
    AsyncGenerator<{ token: number; probabilities: Map<number, number> }>;
}
export interface Llama {
  loadModel(o: { modelPath: string; gpuLayers?: number }): Promise<LlamaModel>;
  dispose(): Promise<void>;
}

let llama: Promise<Llama> | undefined;

/** One llama.cpp instance per test process, CPU only, never building or downloading. */
export function getPeer(): Promise<Llama> {
  llama ??= import(pathToFileURL(entry).href).then((m: { getLlama(o: object): Promise<Llama> }) =>
    m.getLlama({ gpu: false, build: 'never', logLevel: 'error', progressLogs: false, skipDownload: true }));
  return llama;
}

export interface PeerRun {
  readonly promptTokens: number[];
  /** Greedy tokens. */
  readonly tokens: number[];
  /** Next-token probabilities (full vocabulary) before each generated token. */
  readonly probs: Map<number, number>[];
}

/** Loads a model in llama.cpp and generates `n` greedy tokens after `prompt`. */
export async function peerGenerate(modelPath: string, prompt: string, n: number): Promise<PeerRun> {
  const l = await getPeer();
  const model = await l.loadModel({ modelPath, gpuLayers: 0 });
  try {
    // Flash attention off, as the shared reference was made: newer llama.cpp
    // turns it on by default, and its f16 attention drifts by up to 0.1 in p.
    const ctx = await model.createContext({ contextSize: 128, threads: 1, flashAttention: false });
    try {
      const bos = model.tokens.bos;
      const promptTokens = [...(bos === null ? [] : [bos]), ...model.tokenize(prompt)];
      const tokens: number[] = [];
      const probs: Map<number, number>[] = [];
      for await (const r of ctx.getSequence().evaluateWithMetadata(promptTokens, { probabilities: true }, { temperature: 0 })) {
        tokens.push(r.token);
        probs.push(r.probabilities);
        if (tokens.length >= n) break;
      }
      return { promptTokens, tokens, probs };
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }
}
