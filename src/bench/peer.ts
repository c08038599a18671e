// The llama.cpp side of the benchmark: node-llama-cpp (its prebuilt native
// llama.cpp, CPU only) from the git-ignored .cache/peer/ that
// scripts/peer/install.sh fills. Measured exactly as nibble.ts measures
// nibble: load (model + context), one warm-up, then pp and tg runs from an
// empty cache with logits for the last token of each decode call, flash
// attention off, context p + n, the whole prompt in one batch.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './paths.js';
import { benchTokens, median } from './stats.js';
import { cpuMs, peakRssMb } from './nibble.js';

export const PEER_VERSION = '3.21.1';
export const peerEntry = join(repoRoot, '.cache', 'peer', 'node_modules', 'node-llama-cpp', 'dist', 'index.js');

// The part of node-llama-cpp's API used here.
type EvalItem = number | [number, { generateNext: { token: true } }];
interface Sequence {
  controlledEvaluate(items: EvalItem[]): Promise<unknown[]>;
  clearHistory(): Promise<void>;
}
interface Context {
  readonly contextSize: number;
  readonly batchSize: number;
  readonly flashAttention: 'auto' | boolean;
  readonly currentThreads: number;
  getSequence(): Sequence;
  dispose(): Promise<void>;
}
interface Model {
  readonly trainContextSize: number;
  readonly tokens: unknown;
  readonly fileInsights: { readonly totalLayers: number };
  readonly vocabularyType: string;
  createContext(o: object): Promise<Context>;
  dispose(): Promise<void>;
}
interface Llama {
  readonly buildType: string;
  readonly systemInfo: string;
  readonly cpuMathCores: number;
  loadModel(o: object): Promise<Model>;
  dispose(): Promise<void>;
}

export interface PeerResult {
  engine: 'llama.cpp';
  model: string;
  threads: number;
  node: string;
  peer: string;
  n_prompt: number;
  n_gen: number;
  reps: number;
  /** getLlama(): loading the native library, once per process. */
  init_ms: number;
  /** loadModel() + createContext(). */
  load_ms: number;
  pp_tok_s: number | null;
  tg_tok_s: number | null;
  pp_samples: number[];
  tg_samples: number[];
  rss_mb: number;
  cpu_ms: number;
  /** What the context really got (read back from node-llama-cpp). */
  context: { size: number; batch: number; threads: number; flash_attention: 'auto' | boolean };
  system_info: string;
}

export interface PeerOptions {
  threads: number;
  p: number;
  n: number;
  reps: number;
  nVocab: number;
}

export async function benchPeer(path: string, o: PeerOptions): Promise<PeerResult> {
  if (!existsSync(peerEntry)) throw new Error(`node-llama-cpp is not installed at ${peerEntry} (run scripts/peer/install.sh)`);
  const t0 = performance.now();
  const mod = (await import(pathToFileURL(peerEntry).href)) as { getLlama(o: object): Promise<Llama> };
  const llama = await mod.getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: 'error', progressLogs: false, maxThreads: o.threads });
  const t1 = performance.now();
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const ctx = await model.createContext({
    contextSize: Math.max(1, o.p + o.n),
    batchSize: Math.max(1, o.p),
    sequences: 1,
    threads: { ideal: o.threads, min: o.threads },
    flashAttention: false,
  });
  const t2 = performance.now();
  try {
    const seq = ctx.getSequence();
    const prompt = benchTokens(o.p, o.nVocab);
    const gen = benchTokens(o.n, o.nVocab, 99);
    await runOnce(seq, prompt, gen.slice(0, 1)); // warm-up, as llama-bench: pp of p tokens, tg of 1
    const pp: number[] = [];
    const tg: number[] = [];
    for (let i = 0; i < o.reps; i++) {
      const r = await runOnce(seq, prompt, gen);
      if (r.pp !== null) pp.push(r.pp);
      if (r.tg !== null) tg.push(r.tg);
    }
    return {
      engine: 'llama.cpp',
      model: path,
      threads: o.threads,
      node: process.version,
      peer: `node-llama-cpp ${PEER_VERSION} (${llama.buildType})`,
      n_prompt: o.p,
      n_gen: o.n,
      reps: o.reps,
      init_ms: t1 - t0,
      load_ms: t2 - t1,
      pp_tok_s: pp.length ? median(pp) : null,
      tg_tok_s: tg.length ? median(tg) : null,
      pp_samples: pp,
      tg_samples: tg,
      rss_mb: peakRssMb(),
      cpu_ms: cpuMs(),
      context: { size: ctx.contextSize, batch: ctx.batchSize, threads: ctx.currentThreads, flash_attention: ctx.flashAttention },
      system_info: llama.systemInfo,
    };
  } finally {
    await ctx.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

/** Logits only for the last token of a call, as llama-bench and nibble's bench ask for. */
function withLogitsLast(tokens: number[]): EvalItem[] {
  return tokens.map((t, i) => (i === tokens.length - 1 ? [t, { generateNext: { token: true } }] : t));
}

async function runOnce(seq: Sequence, prompt: number[], gen: number[]): Promise<{ pp: number | null; tg: number | null }> {
  let pp: number | null = null;
  let tg: number | null = null;
  if (prompt.length > 0) {
    await seq.clearHistory();
    const t0 = performance.now();
    await seq.controlledEvaluate(withLogitsLast(prompt));
    pp = (prompt.length * 1000) / (performance.now() - t0);
  }
  if (gen.length > 0) {
    await seq.clearHistory();
    const t0 = performance.now();
    for (const t of gen) await seq.controlledEvaluate(withLogitsLast([t]));
    tg = (gen.length * 1000) / (performance.now() - t0);
  }
  return { pp, tg };
}
