import { closeSync, openSync, writeSync } from 'node:fs';
import { rowBytes, type GgmlTypeTraits } from '../ggml-types.js';
import { alignUp, DEFAULT_ALIGNMENT, GGUF_MAGIC, MAX_DIMS, MAX_TENSOR_NAME } from './reader.js';
import { GgufType, scalarSize, type GgufArrayValue, type GgufKV, type GgufScalar } from './value-types.js';

export interface TensorToWrite {
  readonly name: string;
  readonly type: GgmlTypeTraits;
  /** GGUF order: dims[0] is the row length. */
  readonly dims: readonly number[];
  /**
   * Produces the tensor's bytes when it is written, so a big model is never
   * whole in memory: one array, or chunks in order (e.g. a generator of rows).
   */
  readonly data: () => Uint8Array | Iterable<Uint8Array>;
}

export interface GgufToWrite {
  readonly version?: 2 | 3;
  readonly metadata: Iterable<[string, GgufKV]>;
  readonly tensors: readonly TensorToWrite[];
}

/** Bytes a tensor of this type and shape takes. */
export function tensorBytes(type: GgmlTypeTraits, dims: readonly number[]): number {
  const row = rowBytes(type, dims[0]);
  if (row < 0) throw new RangeError(`rows of ${dims[0]} are not a whole number of ${type.name} blocks`);
  return dims.slice(1).reduce((n, d) => n * d, row);
}

/** Writes a GGUF file: header, metadata, tensor table, then each tensor's data, aligned. */
export function writeGguf(path: string, spec: GgufToWrite): void {
  const metadata = [...spec.metadata];
  const alignKv = metadata.find(([k]) => k === 'general.alignment');
  const alignment = alignKv ? Number(alignKv[1].value) : DEFAULT_ALIGNMENT;
  // the same rule the reader enforces, so the writer never makes a file it would refuse
  if (alignKv && (alignKv[1].type !== GgufType.U32 || !(alignment >= 8 && (alignment & (alignment - 1)) === 0))) {
    throw new RangeError(`general.alignment must be a u32 power of two and a multiple of 8, not ${String(alignKv[1].value)}`);
  }
  if (spec.version !== undefined && spec.version !== 2 && spec.version !== 3) throw new RangeError(`GGUF version ${String(spec.version)} cannot be written (2 or 3)`);
  const header = new ByteSink();
  header.u32(GGUF_MAGIC);
  header.u32(spec.version ?? 3);
  header.u64(BigInt(spec.tensors.length));
  header.u64(BigInt(metadata.length));
  for (const [key, kv] of metadata) {
    header.str(key);
    header.u32(kv.type);
    writeValue(header, kv.type, kv.value);
  }
  const sizes = spec.tensors.map((t) => tensorBytes(t.type, t.dims));
  let offset = 0;
  spec.tensors.forEach((t, i) => {
    checkTensor(t);
    header.str(t.name);
    header.u32(t.dims.length);
    for (const d of t.dims) header.u64(BigInt(d));
    header.u32(t.type.id);
    header.u64(BigInt(offset));
    offset = alignUp(offset + sizes[i], alignment);
  });
  header.pad(alignUp(header.length, alignment) - header.length);

  const fd = openSync(path, 'w');
  try {
    writeAll(fd, header.bytes());
    spec.tensors.forEach((t, i) => {
      const data = t.data();
      let written = 0;
      for (const chunk of ArrayBuffer.isView(data) ? [data] : data) {
        written += chunk.length;
        if (written > sizes[i]) break;
        writeAll(fd, chunk);
      }
      if (written !== sizes[i]) throw new RangeError(`tensor ${t.name}: ${written} bytes given, ${sizes[i]} expected`);
      const pad = alignUp(sizes[i], alignment) - sizes[i];
      if (pad > 0) writeSync(fd, new Uint8Array(pad));
    });
  } finally {
    closeSync(fd);
  }
}

/** writeSync may write less than asked (large buffers, pipes); loop until done. */
function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

function checkTensor(t: TensorToWrite): void {
  if (Buffer.byteLength(t.name) > MAX_TENSOR_NAME) throw new RangeError(`tensor name ${t.name} is longer than ${MAX_TENSOR_NAME} bytes`);
  if (t.dims.length < 1 || t.dims.length > MAX_DIMS) throw new RangeError(`tensor ${t.name} must have 1 to ${MAX_DIMS} dimensions`);
}

function writeValue(out: ByteSink, type: GgufType, value: GgufScalar | GgufArrayValue): void {
  if (type === GgufType.ARRAY) {
    const arr = value as GgufArrayValue;
    out.u32(arr.itemType);
    out.u64(BigInt(arr.items.length));
    if (ArrayBuffer.isView(arr.items) && arr.itemType !== GgufType.BOOL) {
      out.raw(new Uint8Array(arr.items.buffer, arr.items.byteOffset, arr.items.byteLength));
    } else {
      const items = arr.items as ArrayLike<GgufScalar | GgufArrayValue>;
      for (let i = 0; i < items.length; i++) writeValue(out, arr.itemType, items[i]);
    }
    return;
  }
  if (type === GgufType.STRING) return out.str(value as string);
  const b = Buffer.alloc(scalarSize(type));
  switch (type) {
    case GgufType.U8: b.writeUInt8(value as number); break;
    case GgufType.I8: b.writeInt8(value as number); break;
    case GgufType.U16: b.writeUInt16LE(value as number); break;
    case GgufType.I16: b.writeInt16LE(value as number); break;
    case GgufType.U32: b.writeUInt32LE(value as number); break;
    case GgufType.I32: b.writeInt32LE(value as number); break;
    case GgufType.F32: b.writeFloatLE(value as number); break;
    case GgufType.F64: b.writeDoubleLE(value as number); break;
    case GgufType.U64: b.writeBigUInt64LE(BigInt(value as bigint | number)); break;
    case GgufType.I64: b.writeBigInt64LE(BigInt(value as bigint | number)); break;
    case GgufType.BOOL: b.writeUInt8(value ? 1 : 0); break;
    default: throw new RangeError(`unknown GGUF value type ${String(type)}`);
  }
  out.raw(b);
}

/** A growable little-endian byte buffer for the header. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.length);
    this.length += 8;
  }

  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(BigInt(b.length));
    this.raw(b);
  }

  pad(n: number): void {
    this.raw(new Uint8Array(n));
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
