// Per-op timers for the forward pass: wraps a model's ForwardOps instance
// (not the class, not the engine's files) so every op call is timed with
// performance.now(). Kernel calls are synchronous (the pool joins before it
// returns), so wall time per call is the op's cost, thread sync included.
import type { WeightRef } from '../engine/kernels/kernels.js';
import type { ForwardOps } from '../engine/model/ops.js';

export interface OpTime {
  op: string;
  calls: number;
  ms: number;
}

export class OpProfile {
  private readonly times = new Map<string, OpTime>();
  private enabled = false;

  /** Starts recording into a fresh table. */
  start(): void {
    this.times.clear();
    this.enabled = true;
  }

  stop(): OpTime[] {
    this.enabled = false;
    return [...this.times.values()].sort((a, b) => b.ms - a.ms);
  }

  add(op: string, ms: number): void {
    if (!this.enabled) return;
    const t = this.times.get(op);
    if (t) { t.calls++; t.ms += ms; } else this.times.set(op, { op, calls: 1, ms });
  }
}

/** Names a matmul by weight type, shape and kernel (mv: one token, mm: a batch). */
function matmulName(w: WeightRef, nTokens: number): string {
  return `matmul ${w.type} ${w.rows}x${w.cols} ${nTokens === 1 ? 'mv' : 'mm'}`;
}

const TIMED = ['matmul', 'getRow', 'rmsNorm', 'addRows', 'rope', 'storeKv', 'attention', 'add', 'siluMul', 'copy'] as const;

/** Replaces each op on this instance with a timed call to the original. */
export function instrumentOps(ops: ForwardOps, profile: OpProfile): void {
  const target = ops as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of TIMED) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    const bound = original.bind(ops);
    target[name] = name === 'matmul'
      ? (...args: unknown[]) => {
          const t0 = performance.now();
          const r = bound(...args);
          profile.add(matmulName(args[0] as WeightRef, args[2] as number), performance.now() - t0);
          return r;
        }
      : (...args: unknown[]) => {
          const t0 = performance.now();
          const r = bound(...args);
          profile.add(name, performance.now() - t0);
          return r;
        };
  }
}
