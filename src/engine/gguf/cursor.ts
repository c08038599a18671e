import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { GgufError } from './errors.js';

const WINDOW = 1 << 20;

/** What is being read, for error messages: a string, or a function that builds it only when needed. */
export type What = string | (() => string);

function describe(what: What): string {
  return typeof what === 'string' ? what : what();
}

/** Where the bytes come from: a file descriptor, or (for tests and fuzzing) memory. */
interface ByteSource {
  readonly size: number;
  /** Set for a memory source: the bytes themselves. */
  readonly bytes?: Uint8Array;
  /** Copies up to `length` bytes at `position` into target[at..]; returns how many. */
  read(target: Uint8Array, at: number, length: number, position: number): number;
  close(): void;
}

function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    return { size, read: (target, at, length, position) => readSync(fd, target, at, length, position), close: () => closeSync(fd) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    bytes,
    read(target, at, length, position) {
      const n = Math.max(0, Math.min(length, bytes.length - position));
      target.set(bytes.subarray(position, position + n), at);
      return n;
    },
    close() {},
  };
}

/**
 * Reads a file front to back through a 1 MiB window. Every read is checked
 * against the file size first, so a count or length taken from a hostile
 * file can never make us allocate or read past the end.
 */
export class FileCursor {
  readonly path: string;
  readonly size: number;
  private readonly src: ByteSource;
  private backing: Buffer = Buffer.alloc(0);
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  private pos = 0;
  private lastLo = 0;
  private lastHi = 0;

  /** Opens `path`; with `bytes`, reads those instead and uses `path` only as the name in errors. */
  constructor(path: string, bytes?: Uint8Array) {
    this.path = path;
    this.src = bytes ? memorySource(bytes) : fileSource(path);
    this.size = this.src.size;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.size - this.pos;
  }

  close(): void {
    this.src.close();
  }

  fail(problem: string, at = this.pos): never {
    throw new GgufError(this.path, at, problem);
  }

  /**
   * Throws unless `n` more bytes exist; `what` names what we were about to
   * read (a function on hot paths, so the message is only built on failure).
   */
  need(n: number, what: What): void {
    if (n > this.remaining) {
      this.fail(`truncated: ${describe(what)} needs ${n} bytes but only ${this.remaining} remain in a ${this.size}-byte file`);
    }
  }

  /** Makes the next n bytes available in the window, advances, and returns their index in it. */
  private claim(n: number, what: What): number {
    this.need(n, what);
    let rel = this.pos - this.windowStart;
    if (rel < 0 || rel + n > this.window.length) {
      this.refill(n);
      rel = this.pos - this.windowStart;
    }
    this.pos += n;
    return rel;
  }

  /** The next n bytes, as a view valid until the next call. */
  take(n: number, what: What): Buffer {
    const at = this.claim(n, what);
    return this.window.subarray(at, at + n);
  }

  skip(n: number, what: What): void {
    this.need(n, what);
    this.pos += n;
  }

  private refill(n: number): void {
    if (this.src.bytes) {
      // memory: the whole source is the window, nothing to copy
      this.windowStart = 0;
      this.window = Buffer.from(this.src.bytes.buffer, this.src.bytes.byteOffset, this.src.bytes.length);
      return;
    }
    const len = Math.min(Math.max(n, WINDOW), this.size - this.pos);
    if (this.backing.length < len) this.backing = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const r = this.src.read(this.backing, got, len - got, this.pos + got);
      if (r === 0) this.fail('file shrank while being read');
      got += r;
    }
    this.windowStart = this.pos;
    this.window = this.backing.subarray(0, len);
  }

  // claim first: it may replace the window
  u8(what: What): number { const at = this.claim(1, what); return this.window[at]; }
  u32(what: What): number { const at = this.claim(4, what); return this.window.readUInt32LE(at); }
  u64(what: What): bigint { const at = this.claim(8, what); return this.window.readBigUInt64LE(at); }

  /**
   * A u64 as a number, or Infinity when it is 2^53 or more: lengths and
   * counts are compared with the file size, and no file is that large.
   * `lastU64` then holds the exact value for the error message.
   */
  u64n(what: What): number {
    const at = this.claim(8, what);
    const lo = this.window.readUInt32LE(at);
    const hi = this.window.readUInt32LE(at + 4);
    this.lastLo = lo;
    this.lastHi = hi;
    return hi >= 0x200000 ? Infinity : hi * 0x100000000 + lo;
  }

  get lastU64(): bigint {
    return (BigInt(this.lastHi) << 32n) | BigInt(this.lastLo);
  }

  /** The next n bytes decoded as UTF-8, invalid sequences replaced by U+FFFD. */
  utf8(n: number, what: What): string {
    const at = this.claim(n, what);
    return this.window.toString('utf8', at, at + n);
  }

  /** Reads a raw block of the file straight into `target` (no window, no copy). */
  readInto(target: Uint8Array, fileOffset: number): void {
    if (fileOffset + target.length > this.size) {
      this.fail(`truncated: ${target.length} bytes wanted, file is ${this.size} bytes`, fileOffset);
    }
    let got = 0;
    while (got < target.length) {
      const r = this.src.read(target, got, target.length - got, fileOffset + got);
      if (r === 0) this.fail('file shrank while being read', fileOffset + got);
      got += r;
    }
  }
}
