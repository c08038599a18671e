import type { EventBus } from './bus.js';
import { EngineRequestError, type GenerateRequest, type InferenceEngine } from './engine-port.js';
import type { Logger } from './logger.js';
import type { ErrorInfo, NewRequest, Outcome, StoredRequest } from './request.js';
import type { RequestStore } from './store/store.js';

export interface RequestQueueOptions {
  store: RequestStore;
  bus: EventBus;
  logger: Logger;
  /** Requests that may wait beyond the running one. */
  capacity: number;
  /** Per-request time limit in ms; 0 = none. */
  timeoutMs: number;
}

/** How long an aborted generation may take to settle after the grace time. */
const ABORT_SETTLE_MS = 5000;

type AbortReason = 'cancelled' | 'timeout' | 'shutdown';

/**
 * The durable request queue and its dispatcher: accepted requests are rows
 * in the store first, then entries here; the dispatcher feeds them to the
 * engine one at a time, with a timeout and cancellation through an
 * AbortSignal, and records every outcome.
 */
export class RequestQueue {
  private readonly waiting: StoredRequest[] = [];
  private running: { request: StoredRequest; abort: AbortController } | null = null;
  private engine: InferenceEngine | null = null;
  private modelName: string | null = null;
  private accepting = true;
  private engineDead = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: RequestQueueOptions) {}

  /** Requests waiting (not counting the running one). */
  get length(): number { return this.waiting.length; }
  get runningRequest(): StoredRequest | null { return this.running?.request ?? null; }

  /**
   * Takes a validated request: commits it (durably) and queues it, or, when
   * the queue is full or the daemon is stopping, logs it as refused. Runs
   * synchronously, so a caller can acknowledge the request right after.
   */
  submit(request: NewRequest): StoredRequest {
    const { store, bus, capacity } = this.options;
    if (!this.accepting) return this.reject(request, { code: 'shutting_down', message: 'nibble is shutting down; ask again when it is back' });
    if (this.waiting.length >= capacity) {
      return this.reject(request, { code: 'busy', message: `${this.waiting.length} requests are waiting (requests.queue_capacity is ${capacity}); try again later` });
    }
    const row = store.insertAccepted(request);
    this.waiting.push(row);
    bus.emit('request.accepted', row);
    this.changed();
    return row;
  }

  /** Logs a request refused at the door and emits its error answer. */
  reject(request: NewRequest, error: ErrorInfo): StoredRequest {
    const row = this.options.store.insertRejected(request, error);
    this.options.bus.emit('request.finished', row);
    return row;
  }

  /** Puts rows that were already committed (recovered at start) at the front of the queue, oldest first. */
  restore(rows: StoredRequest[]): void {
    this.waiting.unshift(...rows);
    this.changed();
  }

  /** Starts feeding requests to the engine. */
  start(engine: InferenceEngine, modelName: string): void {
    this.engine = engine;
    this.modelName = modelName;
    this.loop ??= this.run();
  }

  /** Cancels a queued or running request by its id; returns what it was doing, or null if no such request is active. */
  cancel(id: string): 'queued' | 'running' | null {
    if (this.running?.request.id === id) {
      this.running.abort.abort('cancelled' satisfies AbortReason);
      return 'running';
    }
    const index = this.waiting.findIndex((r) => r.id === id);
    if (index < 0) return null;
    const [row] = this.waiting.splice(index, 1);
    const done = this.options.store.finish(row.seq, { status: 'cancelled', answer: '', finishReason: 'cancelled', promptTokens: 0, completionTokens: 0, timings: null });
    this.options.bus.emit('request.finished', done);
    this.changed();
    return 'queued';
  }

  /**
   * Stops taking requests; lets the running one finish within `graceMs`,
   * then aborts it and puts its row back to queued (it runs again at the next
   * start). Waiting requests stay queued in the store.
   */
  async stop(graceMs: number): Promise<void> {
    this.accepting = false;
    this.waiting.length = 0;
    this.wake?.();
    this.changed();
    const current = this.running;
    const timer = current ? setTimeout(() => current.abort.abort('shutdown' satisfies AbortReason), graceMs) : null;
    // An engine that ignores the abort must not hold the shutdown forever: its
    // row stays "running" and recovery handles it at the next start.
    let hardStop: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      (this.loop ?? Promise.resolve()).then(() => false),
      new Promise<boolean>((resolve) => { hardStop = setTimeout(() => resolve(true), graceMs + ABORT_SETTLE_MS); }),
    ]);
    clearTimeout(hardStop);
    if (timer) clearTimeout(timer);
    if (gaveUp) this.options.logger.warn(`the engine did not stop request ${current?.request.id} within ${graceMs + ABORT_SETTLE_MS} ms; recovery handles it at the next start`);
  }

  private async run(): Promise<void> {
    while (this.accepting) {
      const next = this.waiting.shift();
      if (!next) {
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = null;
        continue;
      }
      await this.execute(next);
      this.changed();
    }
  }

  private async execute(request: StoredRequest): Promise<void> {
    const { store, bus, logger, timeoutMs } = this.options;
    if (!store.markRunning(request.seq)) return; // no longer queued
    const started = store.get(request.seq)!;
    const abort = new AbortController();
    this.running = { request: started, abort };
    bus.emit('request.started', started);
    this.changed();
    const timer = timeoutMs > 0 ? setTimeout(() => abort.abort('timeout' satisfies AbortReason), timeoutMs) : null;
    let outcome: Outcome | 'requeue';
    try {
      const result = await this.engine!.generate(toGenerateRequest(started), (text) => bus.emit('request.piece', { request: started, text }), abort.signal);
      const reason = abort.signal.aborted ? (abort.signal.reason as AbortReason) : null;
      if (result.finishReason === 'aborted' && reason === 'shutdown') {
        outcome = 'requeue';
      } else {
        const finishReason = result.finishReason === 'aborted' ? (reason ?? 'cancelled') : result.finishReason;
        outcome = {
          status: finishReason === 'cancelled' ? 'cancelled' : 'done',
          answer: result.text, finishReason, promptTokens: result.promptTokens, completionTokens: result.completionTokens, timings: result.timings,
        };
      }
    } catch (err) {
      if (err instanceof EngineRequestError) {
        outcome = { status: 'error', error: { code: err.code, message: err.message } };
      } else {
        const message = err instanceof Error ? err.message : String(err);
        logger.error(`engine failed on request ${started.id}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        if (!this.engine!.isAlive()) {
          // Not this request's fault, unless it already took an engine down
          // once: it runs again after the restart that the daemon now needs.
          this.accepting = false;
          this.engineDead = true;
          outcome = started.attempts >= 2
            ? { status: 'error', error: { code: 'engine_error', message: `the engine failed twice on this request: ${message}` } }
            : 'requeue';
          bus.emit('engine.failed', { message });
        } else {
          outcome = { status: 'error', error: { code: 'engine_error', message: `the engine failed: ${message}` } };
        }
      }
    } finally {
      if (timer) clearTimeout(timer);
      this.running = null;
    }
    if (outcome === 'requeue') {
      store.requeue(started.seq);
      logger.info(`request ${started.id} stopped by ${this.engineDead ? 'the engine failing' : 'shutdown'}; it runs again at the next start`);
      return;
    }
    bus.emit('request.finished', store.finish(started.seq, outcome));
  }

  private changed(): void {
    this.wake?.();
    this.options.bus.emit('state', {
      state: this.engine === null ? 'loading' : !this.accepting ? 'stopping' : this.running ? 'busy' : 'idle',
      model: this.modelName,
      queue: this.waiting.length,
      running: this.running?.request.id ?? null,
    });
  }
}

export function toGenerateRequest(row: StoredRequest): GenerateRequest {
  const req: GenerateRequest = { maxTokens: row.params.max_tokens, temperature: row.params.temperature };
  if (row.prompt !== null) req.prompt = row.prompt;
  if (row.messages !== null) req.messages = row.messages;
  if (row.system !== null) req.system = row.system;
  if (row.params.seed !== undefined) req.seed = row.params.seed;
  if (row.params.stop !== undefined) req.stop = row.params.stop;
  return req;
}
