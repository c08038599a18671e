// The engine's entry to the kernels: one object that owns the shared memory,
// the compiled module, the caller's instance and the thread pool, with
// high-level calls (matmul, the forward-pass ops) that hide activation
// formats and row splitting. kernels/README.md documents the API.
import { availableParallelism } from 'node:os';
import type { KernelExportName, KernelExports } from './abi.js';
import { KernelError } from './errors.js';
import { loadKernelModule, type KernelBuild, type KernelBuildChoice } from './load.js';
import { KernelMemory, type KernelMemoryOptions } from './memory.js';
import { ThreadPool } from './pool.js';
import { requireKernelType, type KernelTypeTraits } from './types.js';
import { rowBytes } from '../ggml-types.js';

export interface KernelsOptions {
  /** Threads in all, the caller included; default os.availableParallelism() (or NIBBLE_THREADS). */
  threads?: number;
  /** Which build: 'auto' (default) probes for relaxed SIMD. */
  build?: KernelBuildChoice;
  /** Memory options, or an existing KernelMemory to share. */
  memory?: KernelMemory | KernelMemoryOptions;
  /** Spin iterations before a waiting thread sleeps. */
  spin?: number;
}

/** A weight matrix in kernel memory: `rows` rows of `cols` values of ggml type `type`, rows back to back. */
export interface WeightRef {
  type: string;
  ptr: number;
  rows: number;
  cols: number;
  /** Rows rewritten in its family's interleaved layout (Kernels.interleave): only matmul can read them. */
  interleaved?: boolean;
}

export class Kernels {
  readonly memory: KernelMemory;
  readonly build: KernelBuild;
  readonly exports: KernelExports;
  readonly module: WebAssembly.Module;
  private readonly pool: ThreadPool;
  private actPtr = 0;
  private actBytes = 0;
  /** What the activation arena holds: format, input address, columns and tokens of the last conversion. */
  private lastAct: { key: string; y: number; stride: number } | null = null;
  /** Families' relaxedOnX64 kernels pay off in the relaxed build on x64 (types.ts). */
  private readonly useRelaxedOnX64: boolean;

  private constructor(memory: KernelMemory, build: KernelBuild, module: WebAssembly.Module, exports: KernelExports, pool: ThreadPool) {
    this.memory = memory;
    this.build = build;
    this.module = module;
    this.exports = exports;
    this.pool = pool;
    this.useRelaxedOnX64 = build === 'relaxed' && process.arch === 'x64';
  }

  static async create(options: KernelsOptions = {}): Promise<Kernels> {
    const memory = options.memory instanceof KernelMemory ? options.memory : new KernelMemory(options.memory);
    const { build, module } = loadKernelModule(options.build);
    const instance = new WebAssembly.Instance(module, { env: { memory: memory.memory } });
    const threads = options.threads ?? defaultThreads();
    const pool = await ThreadPool.create(module, memory, { threads, spin: options.spin });
    return new Kernels(memory, build, module, instance.exports as unknown as KernelExports, pool);
  }

  get threads(): number {
    return this.pool.threads;
  }

  /**
   * out (f32, nTokens x rows, token-major: out[t * rows + r]) = W x (f32
   * activations at xPtr, nTokens x cols, token-major). Activations are
   * converted once to the format the weight type pairs with, then rows are
   * split across the threads; one token takes the matrix x vector kernel,
   * more take the matrix x matrix one (the weights are read once per call).
   * sameInput: the caller promises the activations at xPtr are unchanged
   * since the previous matmul, so their converted form is reused when that
   * call converted the same rows to the same format (q, k and v of a layer
   * share one input, and so do the feed-forward gate and up).
   */
  matmul(weight: WeightRef, xPtr: number, nTokens: number, outPtr: number, sameInput = false): void {
    const t = requireKernelType(weight.type, `weight ${weight.type} ${weight.rows}x${weight.cols}`);
    const { rows, cols } = weight;
    if (!(rows > 0 && cols > 0 && nTokens > 0)) throw new KernelError(`matmul with rows=${rows} cols=${cols} tokens=${nTokens}`);
    if (cols % t.ggml.blockSize !== 0 || cols % t.activation.blockSize !== 0) {
      throw new KernelError(`a ${t.ggml.name} row of ${cols} values is not a whole number of blocks`);
    }
    const [y, yStride] = this.prepareActivations(t, xPtr, cols, nTokens, sameInput);
    const ex = this.exports as unknown as Record<string, (...a: number[]) => void>;
    const { matVec, matMat } = this.kernelsFor(t, weight);
    if (nTokens === 1) {
      this.pool.run(matVec, ex[matVec]!, rows, t.rowAlign, [weight.ptr, cols, y, outPtr]);
    } else {
      this.pool.run(matMat, ex[matMat]!, rows, t.rowAlign, [weight.ptr, cols, y, yStride, nTokens, outPtr, rows]);
    }
  }

  /**
   * Rewrites a matrix into its family's interleaved layout where the family
   * has one and the matrix allows it (types.ts), for faster matmuls. Returns
   * the weight to use from then on; afterwards only matmul may read it.
   */
  interleave<W extends WeightRef>(weight: W): W {
    if (weight.interleaved) return weight;
    const bytes = this.matrixBytes(weight);
    return this.placeInterleaved(weight, (dst) => dst.set(this.memory.u8(weight.ptr, bytes)));
  }

  /**
   * Fills the matrix `weight` (allocated, contents not yet written) through
   * `fill`, interleaved where its family and contents allow (as interleave):
   * fill writes the plain bytes into scratch memory, released again at once,
   * and the repack writes them to weight.ptr, its rows split across threads.
   */
  placeInterleaved<W extends WeightRef>(weight: W, fill: (plain: Uint8Array) => void): W {
    const t = requireKernelType(weight.type);
    const layout = t.interleaved;
    const { rows, cols, ptr } = weight;
    const bytes = this.matrixBytes(weight);
    if (layout === undefined || rows % 4 !== 0 || (layout.relaxedOnly === true && this.build !== 'relaxed')) {
      fill(this.memory.u8(ptr, bytes));
      return weight;
    }
    const ex = this.exports as unknown as Record<string, (...a: number[]) => number>;
    const mark = this.memory.mark();
    const src = this.memory.alloc(bytes);
    fill(this.memory.u8(src, bytes));
    const fits = ex[layout.fits]!(src, (rows * cols) / t.ggml.blockSize) === 1;
    if (fits) this.pool.run(layout.repack, ex[layout.repack]!, rows, t.rowAlign, [src, ptr, cols]);
    else this.memory.u8(ptr, bytes).set(this.memory.u8(src, bytes));
    this.memory.reset(mark);
    return fits ? { ...weight, interleaved: true } : weight;
  }

  private matrixBytes(weight: WeightRef): number {
    const { ggml } = requireKernelType(weight.type);
    const bytes = rowBytes(ggml, weight.cols);
    if (bytes < 0) throw new KernelError(`a ${ggml.name} row of ${weight.cols} values is not a whole number of blocks`);
    return bytes * weight.rows;
  }

  /** The matrix kernels for this weight: its family's, its interleaved layout's, or its x64 relaxed ones. */
  private kernelsFor(t: KernelTypeTraits, weight: WeightRef): { matVec: KernelExportName; matMat: KernelExportName } {
    if (weight.interleaved) {
      if (t.interleaved === undefined) throw new KernelError(`weight ${weight.type} ${weight.rows}x${weight.cols} is marked interleaved, but its family has no such layout`);
      return t.interleaved;
    }
    return this.useRelaxedOnX64 && t.relaxedOnX64 !== undefined ? t.relaxedOnX64 : t;
  }

  /** Converts activations for type t (or reuses the last conversion: matmul's sameInput); returns the rows' address and stride. */
  private prepareActivations(t: KernelTypeTraits, xPtr: number, cols: number, nTokens: number, sameInput: boolean): [number, number] {
    const act = t.activation;
    if (act.quantizeRows === null || act.rowBytes === null) return [xPtr, cols * 4];
    const key = `${act.name} ${xPtr} ${cols} ${nTokens}`;
    if (sameInput && this.lastAct?.key === key) return [this.lastAct.y, this.lastAct.stride];
    const ex = this.exports as unknown as Record<string, (...a: number[]) => number>;
    const rowBytes = ex[act.rowBytes]!(cols);
    const stride = Math.ceil(rowBytes / 16) * 16;
    const y = this.actArena(stride * nTokens);
    this.lastAct = null; // a conversion that throws leaves the arena's contents unknown
    this.pool.run(act.quantizeRows, ex[act.quantizeRows]!, nTokens, 1, [xPtr, cols * 4, y, stride, cols]);
    this.lastAct = { key, y, stride };
    return [y, stride];
  }

  /** Scratch of at least `need` bytes for activations; valid until the next call. */
  private actArena(need: number): number {
    if (need > this.actBytes) {
      // Grows by doubling, so the arena holds at most twice the largest batch.
      this.actBytes = Math.max(need, this.actBytes * 2);
      this.actPtr = this.memory.alloc(this.actBytes);
    }
    return this.actPtr;
  }

  /**
   * Runs a row-splittable export, `name(r0, r1, ...args)`, over rows
   * [0, rows) on every thread (the caller included), in chunks of `align`.
   */
  parallel(name: KernelExportName, rows: number, args: readonly number[], align = 1): void {
    const fn = (this.exports as unknown as Record<string, (...a: number[]) => void>)[name]!;
    this.pool.run(name, fn, rows, align, args);
  }

  /** Dequantizes n values of type `type` at src to f32 at dst (single-threaded). */
  dequantize(type: string, src: number, dst: number, n: number): void {
    const t = requireKernelType(type);
    if (n % t.ggml.blockSize !== 0) throw new KernelError(`${n} ${t.ggml.name} values are not a whole number of blocks`);
    (this.exports as unknown as Record<string, (...a: number[]) => void>)[t.dequantize]!(src, dst, n);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function defaultThreads(): number {
  const env = process.env['NIBBLE_THREADS'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new KernelError(`NIBBLE_THREADS=${env} is not a positive integer`);
    return n;
  }
  return availableParallelism();
}
