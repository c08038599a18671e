// nibble's side of the benchmark, measured as llama-bench measures: load
// once, one warm-up run, then `reps` runs. A run is pp (prefill of p tokens
// from an empty cache, logits for the last one) and tg (n single-token decode
// steps from an empty cache, logits for each). The context is p + n tokens,
// as llama-bench sizes it, and the warm-up is its too: pp of p tokens, tg of 1.
import { closeModel, loadModel, type Model } from '../engine/model/model.js';
import { forward } from '../engine/model/forward.js';
import { benchTokens, median } from './stats.js';
import { instrumentOps, OpProfile, type OpTime } from './profile.js';

export interface BenchOptions {
  threads?: number;
  /** Prompt tokens (0: no pp test). */
  p: number;
  /** Decode steps (0: no tg test). */
  n: number;
  /** Measured runs after the warm-up. */
  reps: number;
  /** Time every forward op (adds a little overhead per op). */
  profile?: boolean;
}

export interface ProfileResult {
  pp: OpTime[];
  tg: OpTime[];
}

export interface BenchResult {
  engine: 'nibble';
  model: string;
  threads: number;
  kernels: string;
  node: string;
  n_prompt: number;
  n_gen: number;
  reps: number;
  load_ms: number;
  /** Medians over the runs (null when the test was not asked for). */
  pp_tok_s: number | null;
  tg_tok_s: number | null;
  pp_samples: number[];
  tg_samples: number[];
  /** Peak resident set of the whole process (all threads), MiB. */
  rss_mb: number;
  /** CPU time of the whole process (user + system, all threads), ms. */
  cpu_ms: number;
  profile?: ProfileResult;
}

/** Peak RSS of this process so far, in MiB (resourceUsage reports KiB). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** CPU time this process has used so far (all threads), ms. */
export function cpuMs(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
}

export async function benchNibble(path: string, o: BenchOptions): Promise<BenchResult> {
  const model = await loadModel(path, { threads: o.threads, contextLength: Math.max(1, o.p + o.n), batchSize: Math.max(1, Math.min(o.p, 512)) });
  try {
    const prof = o.profile ? new OpProfile() : undefined;
    if (prof) instrumentOps(model.ops, prof);
    const prompt = benchTokens(o.p, model.config.nVocab);
    const gen = benchTokens(o.n, model.config.nVocab, 99);
    // warm-up as llama-bench does it: the whole prompt, then one decode step
    runOnce(model, prompt, gen.slice(0, 1));
    const pp: number[] = [];
    const tg: number[] = [];
    let profile: ProfileResult | undefined;
    for (let i = 0; i < o.reps; i++) {
      const last = prof !== undefined && i === o.reps - 1;
      const r = runOnce(model, prompt, gen, last ? prof : undefined);
      if (r.pp !== null) pp.push(r.pp);
      if (r.tg !== null) tg.push(r.tg);
      if (last) profile = r.profile;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return {
      engine: 'nibble',
      model: path,
      threads: model.kernels.threads,
      kernels: model.kernels.build,
      node: process.version,
      n_prompt: o.p,
      n_gen: o.n,
      reps: o.reps,
      load_ms: model.loadMs,
      pp_tok_s: pp.length ? median(pp) : null,
      tg_tok_s: tg.length ? median(tg) : null,
      pp_samples: pp,
      tg_samples: tg,
      rss_mb: peakRssMb(),
      cpu_ms: cpuMs(),
      ...(profile ? { profile } : {}),
    };
  } finally {
    await closeModel(model);
  }
}

interface RunResult { pp: number | null; tg: number | null; profile?: ProfileResult }

function runOnce(m: Model, prompt: number[], gen: number[], prof?: OpProfile): RunResult {
  let pp: number | null = null;
  let tg: number | null = null;
  let ppOps: OpTime[] = [];
  let tgOps: OpTime[] = [];
  if (prompt.length > 0) {
    prof?.start();
    const t0 = performance.now();
    const batch = m.state.batchSize;
    for (let start = 0; start < prompt.length; start += batch) {
      const chunk = prompt.slice(start, start + batch);
      const last = start + chunk.length === prompt.length;
      forward(m, chunk, start, last ? [chunk.length - 1] : []);
    }
    pp = (prompt.length * 1000) / (performance.now() - t0);
    if (prof) ppOps = prof.stop();
  }
  if (gen.length > 0) {
    prof?.start();
    const t0 = performance.now();
    for (let i = 0; i < gen.length; i++) forward(m, [gen[i]!], i, [0]);
    tg = (gen.length * 1000) / (performance.now() - t0);
    if (prof) tgOps = prof.stop();
  }
  return prof ? { pp, tg, profile: { pp: ppOps, tg: tgOps } } : { pp, tg };
}
