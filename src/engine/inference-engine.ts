// The engine behind the daemon's port (src/daemon/engine-port.ts): the model
// lives in a worker thread (engine-worker.ts); this side forwards requests,
// streams pieces back, turns AbortSignals into cancel messages, and watches
// a shared heartbeat so the systemd watchdog can tell a hung engine.
import { Worker } from 'node:worker_threads';
import {
  EngineRequestError,
  type GenerateRequest, type GenerateResult, type InferenceEngine, type LoadOptions, type ModelInfo, type PieceCallback,
} from '../daemon/engine-port.js';
import { BEAT, BUSY, HEARTBEAT_BYTES, type FromWorker, type ToWorker } from './worker-protocol.js';

/** A busy engine whose heartbeat has not moved for this long is considered hung. */
export const DEFAULT_STUCK_MS = 60_000;

interface Pending {
  onPiece: PieceCallback;
  resolve: (r: GenerateResult) => void;
  reject: (e: Error) => void;
}

export class WorkerInferenceEngine implements InferenceEngine {
  private worker?: Worker;
  private readonly heartbeat = new SharedArrayBuffer(HEARTBEAT_BYTES);
  private readonly beat = new Int32Array(this.heartbeat);
  private lastBeat = -1;
  private lastBeatAt = 0;
  private exited = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private onLoaded?: { resolve: (i: ModelInfo) => void; reject: (e: Error) => void };
  private onClosed?: () => void;

  constructor(private readonly stuckMs = DEFAULT_STUCK_MS) {}

  load(path: string, options: LoadOptions): Promise<ModelInfo> {
    if (this.worker) return Promise.reject(new Error('the engine is already loaded'));
    const worker = new Worker(workerUrl());
    this.worker = worker;
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      this.exited = true;
      this.fail(new Error(`the engine thread exited (code ${code})`));
      this.onClosed?.();
    });
    return new Promise((resolve, reject) => {
      this.onLoaded = { resolve, reject };
      this.post({ type: 'load', path, options, heartbeat: this.heartbeat });
    });
  }

  generate(request: GenerateRequest, onPiece: PieceCallback, signal: AbortSignal): Promise<GenerateResult> {
    if (!this.worker || this.exited) return Promise.reject(new Error('the engine is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.post({ type: 'cancel', id });
      const done = () => signal.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        onPiece,
        resolve: (r) => { done(); resolve(r); },
        reject: (e) => { done(); reject(e); },
      });
      signal.addEventListener('abort', onAbort);
      this.post({ type: 'generate', id, request });
      if (signal.aborted) onAbort();
    });
  }

  isAlive(): boolean {
    if (!this.worker || this.exited) return false;
    const beat = Atomics.load(this.beat, BEAT);
    const now = Date.now();
    if (beat !== this.lastBeat || Atomics.load(this.beat, BUSY) === 0) {
      this.lastBeat = beat;
      this.lastBeatAt = now;
      return true;
    }
    return now - this.lastBeatAt < this.stuckMs;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker || this.exited) return;
    await new Promise<void>((resolve) => {
      this.onClosed = resolve;
      this.post({ type: 'close' });
    });
  }

  private post(m: ToWorker): void {
    this.worker!.postMessage(m);
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'loaded': this.onLoaded?.resolve(m.info); this.onLoaded = undefined; break;
      case 'load-failed': this.onLoaded?.reject(new Error(m.message)); this.onLoaded = undefined; break;
      case 'piece': this.pending.get(m.id)?.onPiece(m.text, m.token); break;
      case 'done': this.settle(m.id)?.resolve(m.result); break;
      case 'failed': this.settle(m.id)?.reject(m.code ? new EngineRequestError(m.code, m.message) : new Error(m.message)); break;
      case 'closed': void this.worker?.terminate(); break;
    }
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }

  /** The engine thread died: every waiting caller gets the error. */
  private fail(err: Error): void {
    this.onLoaded?.reject(err);
    this.onLoaded = undefined;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** The worker's file: beside this one, .ts when running from source (tests), .js when built. */
function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './engine-worker.ts' : './engine-worker.js', import.meta.url);
}

export function createInferenceEngine(): InferenceEngine {
  return new WorkerInferenceEngine();
}
