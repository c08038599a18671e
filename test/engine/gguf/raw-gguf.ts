// Builds GGUF bytes field by field, valid or not, remembering where each
// field starts, so hostile-file tests can truncate or overwrite exactly one
// field and check the error points at it.

export class RawGguf {
  private bytes: number[] = [];
  /** Byte offset of each named field. */
  readonly at = new Map<string, number>();

  get length(): number {
    return this.bytes.length;
  }

  mark(name: string): this {
    this.at.set(name, this.bytes.length);
    return this;
  }

  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i] & 0xff);
    return this;
  }

  u8(v: number): this { return this.raw([v]); }
  u32(v: number): this { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return this.raw(b); }
  u64(v: bigint | number): this { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return this.raw(b); }
  f32(v: number): this { const b = Buffer.alloc(4); b.writeFloatLE(v); return this.raw(b); }
  str(s: string | Uint8Array): this {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    return this.u64(b.length).raw(b);
  }

  /** A key/value header: key string, then the u32 value type. */
  kv(key: string, type: number, mark = key): this {
    return this.mark(`key:${mark}`).str(key).mark(`type:${mark}`).u32(type).mark(`value:${mark}`);
  }

  /** A tensor info: name, n_dims, dims, ggml type id, data offset. */
  tensor(name: string, dims: (number | bigint)[], type: number, offset: number | bigint, mark = name): this {
    this.mark(`tensor:${mark}`).str(name).mark(`ndims:${mark}`).u32(dims.length);
    dims.forEach((d, i) => this.mark(`dim${i}:${mark}`).u64(d));
    return this.mark(`ttype:${mark}`).u32(type).mark(`offset:${mark}`).u64(offset);
  }

  /** Zero padding up to a multiple of `alignment`. */
  align(alignment = 32): this {
    while (this.bytes.length % alignment !== 0) this.bytes.push(0);
    return this;
  }

  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.bytes.push(0);
    return this;
  }

  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export const MAGIC = [0x47, 0x47, 0x55, 0x46];

/** The start of a GGUF: magic, version, tensor count, kv count (each marked). */
export function header(version: number, nTensors: number | bigint, nKv: number | bigint): RawGguf {
  return new RawGguf().mark('magic').raw(MAGIC).mark('version').u32(version)
    .mark('tensor_count').u64(nTensors).mark('kv_count').u64(nKv);
}

/**
 * A small valid file: two metadata entries (a string and a u32 array), two
 * tensors (f32 [4,2] and q4_0 [32]) and their data.
 */
export function validFile(): RawGguf {
  const g = header(3, 2, 2);
  g.kv('general.architecture', 8).str('llama');
  g.kv('test.list', 9).mark('itemtype:test.list').u32(4).mark('count:test.list').u64(3).u32(1).u32(2).u32(3);
  g.tensor('a.weight', [4, 2], 0, 0, 'a');
  g.tensor('b.weight', [32], 2, 32, 'b');
  g.align().mark('data').zeros(32).zeros(18).align();
  return g;
}
