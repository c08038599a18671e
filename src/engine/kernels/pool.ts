// Worker threads that run kernel calls in parallel on the shared memory.
//
// Each worker instantiates the same compiled module on the same memory once,
// then sleeps on the pool's control block (allocated in that memory, so
// several pools can share one memory) until the calling thread
// posts a job: an export index, its arguments, and a row count to split. The
// caller takes part: it runs thread 0's share itself. Nothing is created or
// copied per job. Waiting spins briefly (jobs in a forward pass come back to
// back) and then blocks in Atomics.wait, because spinning alone collapses
// when another process holds a core; counters of sleepers let the fast path
// skip the futex wake-ups entirely.
import { Worker } from 'node:worker_threads';
import { KernelError } from './errors.js';
import type { KernelMemory } from './memory.js';

// Control block, as i32 indexes (args are f64 from byte ARGS_OFFSET).
const SEQ = 0; // job generation, bumped once per job
const REMAINING = 1; // workers still busy with the current job
const FN = 2; // export index
const NARGS = 3;
const ROWS = 4;
const ALIGN = 5;
const THREADS = 6; // threads taking part (caller included)
const STOP = 7;
const WORKER_SLEEPERS = 8; // workers blocked in Atomics.wait on SEQ
const CALLER_SLEEPING = 9; // caller blocked in Atomics.wait on REMAINING
const FAILED = 10; // a worker's kernel threw (trap): index of that worker + 1
const ARGS_OFFSET = 64;
const POOL_CONTROL_BYTES = 4096;
export const MAX_POOL_ARGS = (POOL_CONTROL_BYTES - ARGS_OFFSET) / 8;

/** Default spin before sleeping: some tens of microseconds of Atomics.load. */
export const DEFAULT_SPIN = 20000;

/** Thread t's rows when `rows` are split in chunks of `align` over `threads` threads: [start, end). */
export function rowShare(rows: number, align: number, threads: number, t: number): [number, number] {
  const chunks = Math.ceil(rows / align);
  const start = Math.floor((chunks * t) / threads) * align;
  const end = Math.min(rows, Math.floor((chunks * (t + 1)) / threads) * align);
  return [Math.min(start, rows), end];
}

// The worker is plain JavaScript passed as source, so the same code runs from
// src/ under the test loader and from dist/ without a file-path dance.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctrlPtr, index, spin, fnNames } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const fns = fnNames.map((name) => instance.exports[name]);
const ctrl = new Int32Array(memory.buffer, ctrlPtr, ${POOL_CONTROL_BYTES / 4});
const args = new Float64Array(memory.buffer, ctrlPtr + ${ARGS_OFFSET}, ${MAX_POOL_ARGS});
const callArgs = [];
let seen = 0;
parentPort.postMessage('ready');
for (;;) {
  let s = Atomics.load(ctrl, ${SEQ});
  for (let k = 0; s === seen && k < spin; k++) s = Atomics.load(ctrl, ${SEQ});
  while (s === seen) {
    Atomics.add(ctrl, ${WORKER_SLEEPERS}, 1);
    Atomics.wait(ctrl, ${SEQ}, seen);
    Atomics.sub(ctrl, ${WORKER_SLEEPERS}, 1);
    s = Atomics.load(ctrl, ${SEQ});
  }
  seen = s;
  if (Atomics.load(ctrl, ${STOP}) !== 0) break;
  const threads = ctrl[${THREADS}];
  if (index < threads) {
    const rows = ctrl[${ROWS}], align = ctrl[${ALIGN}];
    const chunks = Math.ceil(rows / align);
    const r0 = Math.min(rows, Math.floor((chunks * index) / threads) * align);
    const r1 = Math.min(rows, Math.floor((chunks * (index + 1)) / threads) * align);
    if (r0 < r1) {
      const n = ctrl[${NARGS}];
      callArgs.length = n + 2;
      callArgs[0] = r0; callArgs[1] = r1;
      for (let i = 0; i < n; i++) callArgs[i + 2] = args[i];
      try {
        fns[ctrl[${FN}]].apply(null, callArgs);
      } catch (err) {
        Atomics.store(ctrl, ${FAILED}, index + 1);
        parentPort.postMessage(String(err && err.stack || err));
      }
    }
    if (Atomics.sub(ctrl, ${REMAINING}, 1) === 1 && Atomics.load(ctrl, ${CALLER_SLEEPING}) !== 0) {
      Atomics.notify(ctrl, ${REMAINING});
    }
  }
}
`;

export interface ThreadPoolOptions {
  /** Threads in all, the caller included (>= 1). */
  threads: number;
  spin?: number;
}

export class ThreadPool {
  readonly threads: number;
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly fnIndex: Map<string, number>;
  private readonly workers: Worker[];
  private readonly spin: number;
  private lastWorkerError = '';
  private closed = false;

  private constructor(
    memory: KernelMemory, ctrlPtr: number, fnNames: string[], workers: Worker[], threads: number, spin: number,
  ) {
    this.threads = threads;
    this.ctrl = memory.i32(ctrlPtr, POOL_CONTROL_BYTES / 4);
    this.args = new Float64Array(memory.memory.buffer, ctrlPtr + ARGS_OFFSET, MAX_POOL_ARGS);
    this.fnIndex = new Map(fnNames.map((n, i) => [n, i]));
    this.workers = workers;
    this.spin = spin;
    for (const w of workers) {
      w.on('message', (m) => { if (m !== 'ready') this.lastWorkerError = String(m); });
    }
  }

  /** Starts threads - 1 workers on `module` and `memory` and waits until each is instantiated. */
  static async create(module: WebAssembly.Module, memory: KernelMemory, options: ThreadPoolOptions): Promise<ThreadPool> {
    const threads = options.threads;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new KernelError(`thread count ${threads} is not an integer in 1..256`);
    }
    const spin = options.spin ?? DEFAULT_SPIN;
    const ctrlPtr = memory.alloc(POOL_CONTROL_BYTES);
    memory.i32(ctrlPtr, POOL_CONTROL_BYTES / 4).fill(0);
    const fnNames = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 1; i < threads; i++) {
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        // The worker is plain JS and needs no per-worker Node options: module
        // loaders (a test runner's TypeScript hooks) would only slow its
        // start, and V8 flags (--experimental-wasm-relaxed-simd, tier flags),
        // which a Worker refuses in execArgv, are process-wide anyway.
        execArgv: [],
        workerData: { module, memory: memory.memory, ctrlPtr, index: i, spin, fnNames },
      });
      workers.push(w);
      ready.push(new Promise((resolve, reject) => {
        w.once('message', () => resolve());
        w.once('error', (err) => reject(new KernelError(`kernel worker ${i} failed to start: ${err.message}`)));
      }));
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    // Idle workers must not keep the process alive.
    for (const w of workers) w.unref();
    return new ThreadPool(memory, ctrlPtr, fnNames, workers, threads, spin);
  }

  /**
   * Runs `fn(r0, r1, ...args)` over rows [0, rows) split in chunks of `align`
   * across the threads; `self` is the caller's own instance of the function.
   * Returns when every share is done. Synchronous: the caller works too.
   */
  run(name: string, self: (...a: number[]) => void, rows: number, align: number, args: readonly number[]): void {
    if (this.closed) throw new KernelError('the kernel thread pool is closed');
    if (args.length > MAX_POOL_ARGS) throw new KernelError(`${name}: ${args.length} arguments, at most ${MAX_POOL_ARGS}`);
    const threads = Math.max(1, Math.min(this.threads, Math.ceil(rows / align)));
    if (threads === 1) {
      if (rows > 0) self(0, rows, ...args);
      return;
    }
    const index = this.fnIndex.get(name);
    if (index === undefined) throw new KernelError(`the kernel module has no export ${name}`);
    const ctrl = this.ctrl;
    ctrl[FN] = index;
    ctrl[NARGS] = args.length;
    ctrl[ROWS] = rows;
    ctrl[ALIGN] = align;
    ctrl[THREADS] = threads;
    for (let i = 0; i < args.length; i++) this.args[i] = args[i]!;
    Atomics.store(ctrl, REMAINING, threads - 1);
    Atomics.add(ctrl, SEQ, 1); // publishes the plain writes above
    if (Atomics.load(ctrl, WORKER_SLEEPERS) > 0) Atomics.notify(ctrl, SEQ);

    const [r0, r1] = rowShare(rows, align, threads, 0);
    let ownError: unknown;
    try {
      if (r0 < r1) self(r0, r1, ...args);
    } catch (err) {
      ownError = err;
    }
    this.join();
    const failed = Atomics.exchange(ctrl, FAILED, 0);
    if (ownError !== undefined) throw ownError;
    if (failed !== 0) {
      throw new KernelError(`${name} failed in kernel worker ${failed - 1}: ${this.lastWorkerError || 'see worker output'}`);
    }
  }

  private join(): void {
    const ctrl = this.ctrl;
    let left = Atomics.load(ctrl, REMAINING);
    for (let k = 0; left !== 0 && k < this.spin; k++) left = Atomics.load(ctrl, REMAINING);
    while (left !== 0) {
      Atomics.store(ctrl, CALLER_SLEEPING, 1);
      left = Atomics.load(ctrl, REMAINING);
      if (left !== 0) Atomics.wait(ctrl, REMAINING, left, 1000);
      Atomics.store(ctrl, CALLER_SLEEPING, 0);
      left = Atomics.load(ctrl, REMAINING);
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    // Idle workers are unref'd; waiting for their exit must keep the process alive.
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.ref();
    })));
  }
}
