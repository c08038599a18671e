// The one shared WebAssembly.Memory that holds weights, KV cache, activations
// and scratch, and the bump allocator that lays it out. Kernels take pointers
// into it and allocate nothing; the module owns no bytes of it (the build
// refuses data segments), so the layout is entirely this file's.
//
// Layout: [0, 64 KiB) reserved (address 0 stays unused, so a zero pointer
// is always a bug), then allocations in call order, each aligned (64 bytes by default: a cache line,
// and v128 loads never straddle one).
import { KernelError } from './errors.js';

export const PAGE_BYTES = 65536;
/** wasm32's limit: 65536 pages = 4 GiB. */
export const MAX_PAGES = 65536;
/** Bytes at the start of memory that the allocator never hands out. */
export const RESERVED_BYTES = 65536;

export interface KernelMemoryOptions {
  /** Maximum size in pages (default 65536 = 4 GiB; a shared memory needs one). */
  maxPages?: number;
  /** Pages to start with (default 16 = 1 MiB); the arena grows the memory as it needs. */
  initialPages?: number;
}

export class KernelMemory {
  readonly memory: WebAssembly.Memory;
  readonly maxPages: number;
  private top = RESERVED_BYTES;

  constructor(options: KernelMemoryOptions = {}) {
    const initial = Math.max(options.initialPages ?? 16, RESERVED_BYTES / PAGE_BYTES);
    // A 32-bit host cannot reserve 4 GiB of address space: step the maximum
    // down until the engine accepts it, unless the caller fixed one.
    const tries = options.maxPages !== undefined ? [options.maxPages] : [MAX_PAGES, 32768, 16384, 8192];
    let memory: WebAssembly.Memory | undefined;
    let lastError: unknown;
    for (const maximum of tries) {
      if (maximum > MAX_PAGES || maximum < initial) {
        throw new KernelError(`memory maximum of ${maximum} pages is outside ${initial}..${MAX_PAGES}`);
      }
      try {
        memory = new WebAssembly.Memory({ initial, maximum, shared: true });
        this.maxPages = maximum;
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (memory === undefined) throw new KernelError(`cannot create a shared WebAssembly.Memory: ${String(lastError)}`);
    this.memory = memory;
    this.maxPages ??= 0;
  }

  /** Bytes handed out so far, including the reserved start. */
  get used(): number {
    return this.top;
  }

  /** Reserves `bytes` (aligned to `align`, a power of two) and returns its address. Memory grows as needed; it is never freed except by reset(). */
  alloc(bytes: number, align = 64): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new KernelError(`cannot allocate ${bytes} bytes`);
    if (align <= 0 || (align & (align - 1)) !== 0) throw new KernelError(`alignment ${align} is not a power of two`);
    const ptr = Math.ceil(this.top / align) * align;
    const end = ptr + bytes;
    if (end > this.maxPages * PAGE_BYTES) {
      throw new KernelError(
        `out of kernel memory: ${formatBytes(end)} needed, the shared memory is capped at ${formatBytes(this.maxPages * PAGE_BYTES)}`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
    this.top = end;
    return ptr;
  }

  /** A mark to hand to reset(): everything allocated after it is released. */
  mark(): number {
    return this.top;
  }

  reset(mark: number): void {
    if (mark < RESERVED_BYTES || mark > this.top) throw new KernelError(`bad arena mark ${mark}`);
    this.top = mark;
  }

  // Views: a grown shared memory gets a new buffer object, so views are made
  // on demand and must not be kept across alloc() calls.
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }
  u16(ptr: number, length: number): Uint16Array {
    return new Uint16Array(this.memory.buffer, ptr, length);
  }
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }
}

function formatBytes(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}
