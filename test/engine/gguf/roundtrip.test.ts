// writer -> reader round trips: every metadata value type (nested arrays,
// bool, 64-bit bigints, empty arrays and strings), every tensor type in the
// trait table with random bytes read back byte-exact, v2 and v3, custom
// general.alignment.
import t from 'tap';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ggmlTypeById, type GgmlTypeTraits } from '../../../src/engine/ggml-types.js';
import { readGguf, readTensorData } from '../../../src/engine/gguf/reader.js';
import { GgufType, toJsonValue, type GgufKV } from '../../../src/engine/gguf/value-types.js';
import { tensorBytes, writeGguf } from '../../../src/engine/gguf/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-gguf-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const arr = (itemType: GgufType, items: unknown): GgufKV => ({ type: GgufType.ARRAY, value: { itemType, items: items as never } });

const metadata: [string, GgufKV][] = [
  ['u8', { type: GgufType.U8, value: 255 }],
  ['i8', { type: GgufType.I8, value: -128 }],
  ['u16', { type: GgufType.U16, value: 65535 }],
  ['i16', { type: GgufType.I16, value: -32768 }],
  ['u32', { type: GgufType.U32, value: 4294967295 }],
  ['i32', { type: GgufType.I32, value: -2147483648 }],
  ['f32', { type: GgufType.F32, value: 1.5 }],
  ['f32.neg0', { type: GgufType.F32, value: -0 }],
  ['f32.inf', { type: GgufType.F32, value: -Infinity }],
  ['f64', { type: GgufType.F64, value: Math.PI }],
  ['f64.nan', { type: GgufType.F64, value: NaN }],
  ['bool.t', { type: GgufType.BOOL, value: true }],
  ['bool.f', { type: GgufType.BOOL, value: false }],
  ['str', { type: GgufType.STRING, value: 'héllo, 🦙 wörld' }],
  ['str.empty', { type: GgufType.STRING, value: '' }],
  ['u64.max', { type: GgufType.U64, value: (1n << 64n) - 1n }],
  ['i64.min', { type: GgufType.I64, value: -(1n << 63n) }],
  ['i64.small', { type: GgufType.I64, value: -5n }],
  ['arr.u8', arr(GgufType.U8, Uint8Array.from([0, 1, 255]))],
  ['arr.i8', arr(GgufType.I8, Int8Array.from([-128, 127]))],
  ['arr.u16', arr(GgufType.U16, Uint16Array.from([65535, 1]))],
  ['arr.i16', arr(GgufType.I16, Int16Array.from([-32768]))],
  ['arr.u32', arr(GgufType.U32, Uint32Array.from([1, 2, 3]))],
  ['arr.i32', arr(GgufType.I32, Int32Array.from([-1, 0, 1]))],
  ['arr.f32', arr(GgufType.F32, Float32Array.from([0.25, -1e-30, 3e38]))],
  ['arr.f64', arr(GgufType.F64, Float64Array.from([1e-300, -2]))],
  ['arr.u64', arr(GgufType.U64, BigUint64Array.from([0n, (1n << 64n) - 1n]))],
  ['arr.i64', arr(GgufType.I64, BigInt64Array.from([-(1n << 63n), 7n]))],
  ['arr.bool', arr(GgufType.BOOL, [true, false, true])],
  ['arr.str', arr(GgufType.STRING, ['a', '', 'ü🦙', 'x'.repeat(1000)])],
  ['arr.empty.u32', arr(GgufType.U32, new Uint32Array(0))],
  ['arr.empty.str', arr(GgufType.STRING, [])],
  ['arr.empty.arr', arr(GgufType.ARRAY, [])],
  ['arr.nested', arr(GgufType.ARRAY, [
    { itemType: GgufType.U32, items: Uint32Array.from([1, 2]) },
    { itemType: GgufType.STRING, items: ['x', 'y'] },
    { itemType: GgufType.ARRAY, items: [{ itemType: GgufType.BOOL, items: [false] }, { itemType: GgufType.I8, items: new Int8Array(0) }] },
    { itemType: GgufType.U64, items: new BigUint64Array(0) },
  ])],
];

/** Deep comparison that tells -0 from 0 and NaN equals NaN, through typed arrays and bigints. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (typeof a !== typeof b) return false;
  if (a === null || typeof a !== 'object') return a === b;
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    return x.length === y.length && Array.from(x).every((v, i) => sameValue(v, y[i]));
  }
  const ka = Object.keys(a as object);
  return ka.length === Object.keys(b as object).length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

t.test('every metadata value type round-trips, v2 and v3', async (t) => {
  for (const version of [2, 3] as const) {
    const path = join(dir, `meta-v${version}.gguf`);
    writeGguf(path, { version, metadata, tensors: [] });
    const g = readGguf(path);
    t.equal(g.version, version);
    t.same([...g.metadata.keys()], metadata.map(([k]) => k), 'keys in order');
    for (const [k, kv] of metadata) {
      const got = g.metadata.get(k)!;
      t.ok(got.type === kv.type && sameValue(got.value, kv.value), `v${version} ${k}`);
    }
    t.equal(g.tensors.length, 0);
    t.equal(toJsonValue(g.metadata.get('u64.max')!), '18446744073709551615', 'an inexact u64 becomes a string in JSON');
    t.equal(toJsonValue(g.metadata.get('i64.small')!), -5);
  }
});

const allTypes: GgmlTypeTraits[] = [];
for (let id = 0; id < 64; id++) { const ty = ggmlTypeById(id); if (ty) allTypes.push(ty); }

t.test('every tensor type in the trait table round-trips byte-exact, at several alignments', async (t) => {
  t.ok(allTypes.length >= 31, `${allTypes.length} types`);
  for (const [version, alignment] of [[3, undefined], [3, 64], [2, 8], [3, 256]] as const) {
    const tensors = allTypes.map((ty, i) => {
      const dims = i % 3 === 0 ? [ty.blockSize * 3] : i % 3 === 1 ? [ty.blockSize * 2, 3] : [ty.blockSize, 2, 1, 2];
      return { name: `t.${ty.name}`, type: ty, dims, bytes: new Uint8Array(randomBytes(tensorBytes(ty, dims))) };
    });
    const meta: [string, GgufKV][] = alignment ? [['general.alignment', { type: GgufType.U32, value: alignment }]] : [];
    const path = join(dir, `tensors-${version}-${alignment}.gguf`);
    // chunked data for half of them: the writer streams chunks in order
    writeGguf(path, {
      version, metadata: meta,
      tensors: tensors.map((x, i) => ({ name: x.name, type: x.type, dims: x.dims, data: () => (i % 2 ? [x.bytes.subarray(0, 1), x.bytes.subarray(1)] : x.bytes) })),
    });
    const g = readGguf(path);
    const align = alignment ?? 32;
    t.equal(g.alignment, align);
    t.equal(g.dataOffset % align, 0, 'data section aligned');
    t.equal(g.tensors.length, tensors.length);
    let ok = 0;
    for (const [i, x] of tensors.entries()) {
      const info = g.tensors[i];
      const got = new Uint8Array(info.nBytes);
      readTensorData(g, info, got);
      if (info.name === x.name && info.type === x.type && sameValue([...info.dims], x.dims) && info.offset % align === 0 && Buffer.from(got).equals(x.bytes)) ok++;
      else t.fail(`${x.name} differs (v${version}, alignment ${align})`);
    }
    t.equal(ok, tensors.length, `v${version} alignment ${align}: all ${ok} tensors byte-exact`);
    const last = g.tensors[g.tensors.length - 1];
    t.ok(statSync(path).size >= last.fileOffset + last.nBytes);
  }
});

t.test('readTensorData refuses a target of the wrong size', async (t) => {
  const path = join(dir, 'one.gguf');
  writeGguf(path, { metadata: [], tensors: [{ name: 'w', type: ggmlTypeById(0)!, dims: [4], data: () => new Uint8Array(16) }] });
  const g = readGguf(path);
  t.throws(() => readTensorData(g, g.tensors[0], new Uint8Array(15)), /tensor w has 16 bytes; the target holds 15/);
});

t.test('the writer refuses data of the wrong size and impossible tensors', async (t) => {
  const f32 = ggmlTypeById(0)!;
  const q4 = ggmlTypeById(2)!;
  const path = join(dir, 'bad.gguf');
  t.throws(() => writeGguf(path, { metadata: [], tensors: [{ name: 'w', type: f32, dims: [4], data: () => new Uint8Array(15) }] }), /15 bytes given, 16 expected/);
  t.throws(() => writeGguf(path, { metadata: [], tensors: [{ name: 'w', type: f32, dims: [4], data: () => [new Uint8Array(16), new Uint8Array(1)] }] }), /17 bytes given, 16 expected/);
  t.throws(() => writeGguf(path, { metadata: [], tensors: [{ name: 'w', type: q4, dims: [33], data: () => new Uint8Array(0) }] }), /not a whole number of q4_0 blocks/);
  t.throws(() => writeGguf(path, { metadata: [], tensors: [{ name: 'x'.repeat(64), type: f32, dims: [1], data: () => new Uint8Array(4) }] }), /longer than 63 bytes/);
  t.throws(() => writeGguf(path, { metadata: [], tensors: [{ name: 'w', type: f32, dims: [1, 1, 1, 1, 1], data: () => new Uint8Array(4) }] }), /1 to 4 dimensions/);
  for (const kv of [{ type: GgufType.U32, value: 24 }, { type: GgufType.U32, value: 4 }, { type: GgufType.U64, value: 32n }]) {
    t.throws(() => writeGguf(path, { metadata: [['general.alignment', kv]], tensors: [] }), /general.alignment must be a u32 power of two/);
  }
});
