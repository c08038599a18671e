// Messages between the daemon-facing engine (inference-engine.ts, on the
// daemon's main thread) and the engine worker (engine-worker.ts), which owns
// the model and the kernel threads.
import type { GenerateRequest, GenerateResult, LoadOptions, ModelInfo } from '../daemon/engine-port.js';

export type ToWorker =
  | { type: 'load'; path: string; options: LoadOptions; heartbeat: SharedArrayBuffer }
  | { type: 'generate'; id: number; request: GenerateRequest }
  | { type: 'cancel'; id: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'loaded'; info: ModelInfo }
  | { type: 'load-failed'; message: string }
  | { type: 'piece'; id: number; text: string; token: number }
  | { type: 'done'; id: number; result: GenerateResult }
  | { type: 'failed'; id: number; code?: 'prompt_too_long' | 'invalid_request'; message: string }
  | { type: 'closed' };

/** Heartbeat words (Int32Array over the shared buffer): the worker bumps BEAT after every forward step. */
export const BEAT = 0;
export const BUSY = 1;
export const HEARTBEAT_BYTES = 8;
