import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { GgufError } from './errors.js';

const WINDOW = 1 << 20;

/** Where the bytes come from: a file descriptor, or (for tests and fuzzing) memory. */
interface ByteSource {
  readonly size: number;
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
  private backing = Buffer.alloc(0);
  private window = Buffer.alloc(0);
  private windowStart = 0;
  private pos = 0;

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

  /** Throws unless `n` more bytes exist; `what` names what we were about to read. */
  need(n: number, what: string): void {
    if (n > this.remaining) {
      this.fail(`truncated: ${what} needs ${n} bytes but only ${this.remaining} remain in a ${this.size}-byte file`);
    }
  }

  /** The next n bytes, as a view valid until the next call. */
  take(n: number, what: string): Buffer {
    this.need(n, what);
    const rel = this.pos - this.windowStart;
    if (rel < 0 || rel + n > this.window.length) this.refill(n);
    const at = this.pos - this.windowStart;
    this.pos += n;
    return this.window.subarray(at, at + n);
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  private refill(n: number): void {
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

  u8(what: string): number { return this.take(1, what).readUInt8(0); }
  u32(what: string): number { return this.take(4, what).readUInt32LE(0); }
  u64(what: string): bigint { return this.take(8, what).readBigUInt64LE(0); }

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
