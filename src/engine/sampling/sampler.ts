import { Rng } from './rng.js';

export interface SamplerOptions {
  /** 0 = greedy (argmax of the raw logits). */
  temperature: number;
  /** Keep the k most likely tokens; 0 = off. */
  topK: number;
  /** Keep the smallest set whose probability reaches p; 1 = off. */
  topP: number;
  /** Drop tokens less likely than minP x the most likely one; 0 = off. */
  minP: number;
  /** Divide positive logits (multiply negative ones) of recent tokens; 1 = off. */
  repeatPenalty: number;
  /** Subtract count x frequencyPenalty from recent tokens' logits. */
  frequencyPenalty: number;
  /** Subtract presencePenalty once from every recent token's logit. */
  presencePenalty: number;
  /** How many recent tokens the penalties look at (llama.cpp: 64). */
  penaltyLastN: number;
  seed: number;
}

export const defaultSamplerOptions: SamplerOptions = {
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1,
  frequencyPenalty: 0,
  presencePenalty: 0,
  penaltyLastN: 64,
  seed: 0,
};

interface Candidate {
  id: number;
  logit: number;
  p: number;
}

/**
 * Picks the next token from raw logits, in llama.cpp's default order:
 * penalties -> top-k -> top-p -> min-p -> temperature -> draw.
 * Candidate lists are reused across calls: nothing is allocated per token
 * beyond the top-k slice.
 */
export class Sampler {
  readonly options: SamplerOptions;
  private readonly rng: Rng;
  private readonly history: number[] = [];
  private readonly counts = new Map<number, number>();

  constructor(options: Partial<SamplerOptions> = {}) {
    this.options = { ...defaultSamplerOptions, ...options };
    this.rng = new Rng(this.options.seed);
  }

  /** Tells the sampler about a token in the context (prompt or generated), for the penalties. */
  accept(token: number): void {
    const { penaltyLastN } = this.options;
    if (penaltyLastN <= 0) return;
    this.history.push(token);
    this.counts.set(token, (this.counts.get(token) ?? 0) + 1);
    if (this.history.length > penaltyLastN) {
      const old = this.history.shift()!;
      const c = this.counts.get(old)! - 1;
      if (c === 0) this.counts.delete(old);
      else this.counts.set(old, c);
    }
  }

  sample(logits: Float32Array): number {
    const o = this.options;
    this.applyPenalties(logits);
    if (o.temperature <= 0) return argmax(logits);
    let cands = topK(logits, o.topK > 0 ? Math.min(o.topK, logits.length) : logits.length);
    softmaxInPlace(cands, 1);
    cands = topP(cands, o.topP);
    cands = minP(cands, o.minP);
    softmaxInPlace(cands, o.temperature);
    let r = this.rng.next();
    for (const c of cands) {
      r -= c.p;
      if (r < 0) return c.id;
    }
    return cands[cands.length - 1].id;
  }

  private applyPenalties(logits: Float32Array): void {
    const { repeatPenalty, frequencyPenalty, presencePenalty } = this.options;
    if (repeatPenalty === 1 && frequencyPenalty === 0 && presencePenalty === 0) return;
    for (const [id, count] of this.counts) {
      let l = logits[id];
      l = l > 0 ? l / repeatPenalty : l * repeatPenalty;
      logits[id] = l - count * frequencyPenalty - presencePenalty;
    }
  }
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** The k largest logits, sorted descending (ties: lower id first). */
export function topK(logits: Float32Array, k: number): Candidate[] {
  if (k >= logits.length) {
    const all: Candidate[] = Array.from(logits, (logit, id) => ({ id, logit, p: 0 }));
    return all.sort(byLogit);
  }
  // keep a sorted buffer of k; cheap for the small k samplers use
  const out: Candidate[] = [];
  let floor = -Infinity;
  for (let id = 0; id < logits.length; id++) {
    const logit = logits[id];
    if (out.length === k && logit <= floor) continue;
    let i = out.length;
    while (i > 0 && out[i - 1].logit < logit) i--;
    out.splice(i, 0, { id, logit, p: 0 });
    if (out.length > k) out.pop();
    floor = out[out.length - 1].logit;
  }
  return out;
}

function byLogit(a: Candidate, b: Candidate): number {
  return b.logit - a.logit || a.id - b.id;
}

function softmaxInPlace(cands: Candidate[], temperature: number): void {
  const max = cands[0].logit;
  let sum = 0;
  for (const c of cands) sum += c.p = Math.exp((c.logit - max) / temperature);
  for (const c of cands) c.p /= sum;
}

function topP(cands: Candidate[], p: number): Candidate[] {
  if (p >= 1) return cands;
  let cum = 0;
  for (let i = 0; i < cands.length; i++) {
    cum += cands[i].p;
    if (cum >= p) return cands.slice(0, i + 1);
  }
  return cands;
}

function minP(cands: Candidate[], p: number): Candidate[] {
  if (p <= 0) return cands;
  const floor = cands[0].p * p;
  let n = 1;
  while (n < cands.length && cands[n].p >= floor) n++;
  return cands.slice(0, n);
}
