// Hostile and broken GGUF files: each must be a GgufError that says what is
// wrong and points at the byte where it went wrong, never another exception.
import t, { type Test } from 'tap';
import { GgufError } from '../../../src/engine/gguf/errors.js';
import { readGgufBytes } from '../../../src/engine/gguf/reader.js';
import { header, MAGIC, validFile, type RawGguf } from './raw-gguf.js';

function fails(t: Test, bytes: Uint8Array, message: RegExp, offset: number | undefined, what: string): void {
  try {
    readGgufBytes(bytes, 'hostile.gguf');
    t.fail(`${what}: parsed without error`);
  } catch (err) {
    if (!(err instanceof GgufError)) {
      t.fail(`${what}: threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
      return;
    }
    t.match(err.message, message, `${what}: ${err.message}`);
    t.match(err.message, /^hostile\.gguf: .* \(at byte \d+\)$/, `${what}: names the file and the offset`);
    if (offset !== undefined) t.equal(err.offset, offset, `${what}: offset`);
  }
}

function patchU32(g: RawGguf, field: string, v: number): Uint8Array {
  const b = g.build();
  Buffer.from(b.buffer).writeUInt32LE(v >>> 0, g.at.get(field)!);
  return b;
}

function patchU64(g: RawGguf, field: string, v: bigint): Uint8Array {
  const b = g.build();
  Buffer.from(b.buffer).writeBigUInt64LE(v, g.at.get(field)!);
  return b;
}

t.test('the valid base file parses', async (t) => {
  const f = readGgufBytes(validFile().build());
  t.same(f.tensors.map((x) => [x.name, x.type.name, x.dims, x.offset]), [['a.weight', 'f32', [4, 2], 0], ['b.weight', 'q4_0', [32], 32]]);
});

t.test('truncation at every header field, and one byte into it', async (t) => {
  const g = validFile();
  const bytes = g.build();
  const dataAt = g.at.get('data')!;
  for (const [field, at] of g.at) {
    for (const cut of [at, at + 1]) {
      if (cut >= dataAt) continue;
      fails(t, bytes.subarray(0, cut), /truncated|cannot fit|runs past|missing/, undefined, `cut at ${cut} (${field})`);
    }
  }
  fails(t, bytes.subarray(0, dataAt + 32 + 18 - 1), /truncated: tensor "b.weight"/, g.at.get('tensor:b'), 'last data byte missing');
  t.ok(readGgufBytes(bytes.subarray(0, dataAt + 32 + 18)), 'the last tensor needs no padding after it');
  fails(t, new Uint8Array(0), /truncated: the magic number/, 0, 'empty file');
});

t.test('magic, version and byte order', async (t) => {
  const g = validFile();
  const bad = g.build();
  bad[0] = 0x47; bad[3] = 0x47;
  fails(t, bad, /not a GGUF file/, 0, 'bad magic');
  for (const v of [0, 1, 4, 0xffff]) fails(t, patchU32(g, 'version', v), new RegExp(`version ${v} is not supported`), 4, `version ${v}`);
  const be = header(3, 0, 0).build();
  Buffer.from(be.buffer).writeUInt32BE(3, 4);
  Buffer.from(be.buffer).writeBigUInt64BE(0n, 8);
  fails(t, be, /big-endian GGUF files are not supported/, 4, 'big-endian');
  t.same([...bad.subarray(1, 3)], MAGIC.slice(1, 3));
});

t.test('huge counts and lengths are refused before anything is allocated', async (t) => {
  const g = validFile();
  for (const n of [1n << 32n, (1n << 64n) - 1n]) {
    fails(t, patchU64(g, 'tensor_count', n), /tensor count \d+ cannot fit/, 8, `tensor count ${n}`);
    fails(t, patchU64(g, 'kv_count', n), /metadata key\/value count \d+ cannot fit/, 16, `kv count ${n}`);
  }
  fails(t, patchU64(g, 'key:general.architecture', (1n << 64n) - 1n), /key of metadata entry 0: length \d+ runs past the end/, 24, 'key length');
  fails(t, patchU64(g, 'value:general.architecture', 1n << 40n), /value of "general.architecture": length \d+ runs past/, g.at.get('value:general.architecture'), 'string value length');
  fails(t, patchU64(g, 'count:test.list', 1n << 61n), /item count of array "test.list" \d+ cannot fit/, g.at.get('count:test.list'), 'array count');
  fails(t, patchU64(g, 'tensor:a', 1n << 50n), /name of tensor 0: length \d+ runs past/, g.at.get('tensor:a'), 'tensor name length');
});

t.test('bad type ids: metadata value, array item and tensor (naming the key or tensor)', async (t) => {
  const g = validFile();
  for (const ty of [13, 255, 0xffffffff]) {
    fails(t, patchU32(g, 'type:general.architecture', ty), new RegExp(`metadata "general.architecture" has unknown value type ${ty}`), g.at.get('type:general.architecture'), `value type ${ty}`);
  }
  fails(t, patchU32(g, 'itemtype:test.list', 42), /metadata "test.list" has unknown value type 42/, g.at.get('itemtype:test.list'), 'array item type');
  for (const ty of [4, 5, 31, 39, 1000]) {
    fails(t, patchU32(g, 'ttype:b', ty), new RegExp(`tensor "b.weight" has unknown ggml type id ${ty}`), g.at.get('ttype:b'), `tensor type ${ty}`);
  }
});

t.test('tensor offsets: misaligned, overlapping, out of bounds', async (t) => {
  const g = validFile();
  fails(t, patchU64(g, 'offset:b', 33n), /"b.weight" data offset 33 is not a multiple of the alignment 32/, g.at.get('tensor:b'), 'misaligned');
  fails(t, patchU64(g, 'offset:b', 0n), /tensor "b.weight" data \(offset 0\) overlaps tensor "a.weight"/, g.at.get('tensor:b'), 'overlapping');
  fails(t, patchU64(g, 'offset:b', 1n << 40n), /truncated: tensor "b.weight" .* past the end/, g.at.get('tensor:b'), 'past the end');
  fails(t, patchU64(g, 'offset:b', (1n << 64n) - 32n), /truncated: tensor "b.weight"/, g.at.get('tensor:b'), 'offset near 2^64');
  // a gap between tensors is allowed (only sharing bytes is not)
  const gap = header(3, 2, 0);
  gap.tensor('x', [8], 0, 64).tensor('y', [8], 0, 0).align().zeros(96);
  t.same(readGgufBytes(gap.build()).tensors.map((x) => x.offset), [64, 0], 'out-of-order tensors with a gap parse');
});

t.test('duplicates, long names, bad bools, dims, blocks, alignment, UTF-8, nesting', async (t) => {
  const dupKey = header(3, 0, 2);
  dupKey.kv('a', 4).u32(1).kv('a', 4, 'a2').u32(2);
  fails(t, dupKey.build(), /duplicate metadata key "a"/, dupKey.at.get('key:a2'), 'duplicate key');

  const dupName = header(3, 2, 0);
  dupName.tensor('w', [8], 0, 0, 'w1').tensor('w', [8], 0, 32, 'w2').align().zeros(64);
  fails(t, dupName.build(), /duplicate tensor name "w"/, dupName.at.get('tensor:w2'), 'duplicate tensor name');

  const ok63 = header(3, 1, 0);
  ok63.tensor('n'.repeat(63), [8], 0, 0).align().zeros(32);
  t.equal(readGgufBytes(ok63.build()).tensors[0].name.length, 63, 'a 63-byte name is fine');
  const long = header(3, 1, 0);
  long.tensor('n'.repeat(64), [8], 0, 0, 'long').align().zeros(32);
  fails(t, long.build(), /is longer than 63 bytes/, long.at.get('tensor:long'), '64-byte name');

  for (const v of [2, 255]) {
    const b = header(3, 0, 1);
    b.kv('flag', 7).u8(v);
    fails(t, b.build(), new RegExp(`"flag" is a bool holding ${v}`), b.at.get('value:flag'), `bool ${v}`);
    const arr = header(3, 0, 1);
    arr.kv('flags', 9).u32(7).u64(2).u8(1).mark('bad').u8(v);
    fails(t, arr.build(), /bool holding/, arr.at.get('bad'), `bool ${v} in an array`);
  }

  for (const n of [0, 5, 0xffffffff]) {
    const d = header(3, 1, 0);
    d.mark('t').str('w').mark('nd').u32(n).u64(8).u32(0).u64(0).align().zeros(64);
    fails(t, d.build(), new RegExp(`tensor "w" has ${n} dimensions`), d.at.get('nd'), `${n} dims`);
  }
  const zero = header(3, 1, 0);
  zero.tensor('w', [8, 0], 0, 0).align().zeros(32);
  fails(t, zero.build(), /"w" has a zero-length dimension 1/, zero.at.get('dim1:w'), 'zero dim');
  const huge = header(3, 1, 0);
  huge.tensor('w', [8, 1n << 62n], 0, 0).align().zeros(32);
  fails(t, huge.build(), /more elements than the file could hold/, huge.at.get('dim1:w'), 'dimension product');

  const blocks = header(3, 1, 0);
  blocks.tensor('w', [33], 2, 0).align().zeros(64);
  fails(t, blocks.build(), /rows of 33 are not a whole number of q4_0 blocks of 32/, blocks.at.get('ttype:w'), 'partial block');
  const kblocks = header(3, 1, 0);
  kblocks.tensor('w', [128, 2], 12, 0).align().zeros(288);
  fails(t, kblocks.build(), /rows of 128 are not a whole number of q4_K blocks of 256/, kblocks.at.get('ttype:w'), 'partial K block');

  for (const [type, write, what] of [[4, 3, '3'], [4, 0, '0'], [4, 48, '48'], [10, 32, 'u64']] as const) {
    const a = header(3, 0, 1);
    a.kv('general.alignment', type);
    if (type === 4) a.u32(write); else a.u64(write);
    fails(t, a.build(), /general.alignment must be a u32 power of two and a multiple of 8/, 0, `alignment ${what}`);
  }

  const utf = header(3, 0, 1);
  utf.mark('k').str(Uint8Array.from([0x61, 0xff, 0x62])).u32(4).u32(1);
  fails(t, utf.build(), /key of metadata entry 0 is not valid UTF-8/, utf.at.get('k')! + 8, 'invalid UTF-8 key');

  const deep = header(3, 0, 1);
  deep.kv('deep', 9);
  for (let i = 0; i < 5; i++) deep.u32(9).u64(1);
  deep.mark('end').u32(4).u64(0);
  fails(t, deep.build(), /"deep" nests arrays deeper than 4/, undefined, 'nesting depth');
});
