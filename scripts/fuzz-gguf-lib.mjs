// The GGUF fuzzer shared by test/engine/gguf/fuzz.test.ts (a few thousand
// cases in every test run) and scripts/fuzz-gguf.mjs (long runs).
//
// Each case takes a seed file (a real reference GGUF or a small synthetic
// one built here), applies seeded mutations (bit flips, u32/u64 fields
// overwritten with extreme values, truncations, byte splices, inserts and
// deletes) and parses the result. Every case must end in a GgufError or a
// parse whose tensor table is self-consistent; anything else is a failure.
// Mutations are applied in place and undone, and truncation is a subarray,
// so a case costs no copy of a multi-megabyte file.

/** xorshift32: small, seeded, the same everywhere. */
export function rng(seed) {
  let s = (seed >>> 0) || 0x9e3779b9;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return { u32: next, int: (n) => next() % n, chance: (p) => next() / 4294967296 < p };
}

// ---- synthetic seeds ----------------------------------------------------

class Bytes {
  constructor() { this.a = []; }
  raw(b) { for (const x of b) this.a.push(x & 0xff); return this; }
  u32(v) { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return this.raw(b); }
  u64(v) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return this.raw(b); }
  str(s) { const b = Buffer.from(s, 'utf8'); return this.u64(b.length).raw(b); }
  align(n) { while (this.a.length % n) this.a.push(0); return this; }
  get length() { return this.a.length; }
  build() { return Uint8Array.from(this.a); }
}

// [ggml type id, block size, bytes per block]
const TENSOR_TYPES = [[0, 1, 4], [1, 1, 2], [2, 32, 18], [3, 32, 20], [6, 32, 22], [8, 32, 34], [10, 256, 84], [12, 256, 144], [14, 256, 210], [20, 32, 18], [30, 1, 2]];

/** A small valid GGUF with every metadata value type, nested arrays and a few tensors. */
export function syntheticGguf(seed) {
  const r = rng(seed);
  const version = r.chance(0.3) ? 2 : 3;
  const alignment = [8, 32, 64][r.int(3)];
  const kvs = [];
  const kv = (key, type, write) => kvs.push({ key, type, write });
  kv('general.architecture', 8, (b) => b.str('llama'));
  if (alignment !== 32 || r.chance(0.5)) kv('general.alignment', 4, (b) => b.u32(alignment));
  kv('t.u8', 0, (b) => b.raw([200])); kv('t.i8', 1, (b) => b.raw([0x80]));
  kv('t.u16', 2, (b) => b.raw([1, 2])); kv('t.i16', 3, (b) => b.raw([0xff, 0xff]));
  kv('t.u32', 4, (b) => b.u32(r.u32())); kv('t.i32', 5, (b) => b.u32(r.u32()));
  kv('t.f32', 6, (b) => b.raw(new Uint8Array(Float32Array.of(1.5).buffer)));
  kv('t.bool', 7, (b) => b.raw([r.int(2)]));
  kv('t.str', 8, (b) => b.str('héllo 🦙'));
  kv('t.u64', 10, (b) => b.u64(2n ** 63n + 5n)); kv('t.i64', 11, (b) => b.u64(2n ** 64n - 1n));
  kv('t.f64', 12, (b) => b.raw(new Uint8Array(Float64Array.of(Math.E).buffer)));
  kv('t.arr.str', 9, (b) => { b.u32(8).u64(4); for (const s of ['a', '', 'ü', '<s>']) b.str(s); });
  kv('t.arr.f32', 9, (b) => { b.u32(6).u64(3); for (let i = 0; i < 3; i++) b.u32(r.u32()); });
  kv('t.arr.bool', 9, (b) => b.u32(7).u64(3).raw([1, 0, 1]));
  kv('t.arr.u64', 9, (b) => b.u32(10).u64(2).u64(1).u64(2n ** 64n - 1n));
  kv('t.arr.nested', 9, (b) => { b.u32(9).u64(2); b.u32(4).u64(2).u32(1).u32(2); b.u32(9).u64(1).u32(8).u64(1).str('x'); });
  kv('t.arr.empty', 9, (b) => b.u32(8).u64(0));

  const nTensors = 1 + r.int(4);
  const tensors = [];
  let offset = 0;
  for (let i = 0; i < nTensors; i++) {
    const [id, block, size] = TENSOR_TYPES[r.int(TENSOR_TYPES.length)];
    const dims = [block * (1 + r.int(2))];
    if (r.chance(0.5)) dims.push(1 + r.int(3));
    if (r.chance(0.2)) dims.push(1 + r.int(2), 1);
    const nBytes = (dims[0] / block) * size * dims.slice(1).reduce((a, d) => a * d, 1);
    tensors.push({ name: `blk.${i}.w`, dims, id, offset, nBytes });
    offset += Math.ceil(nBytes / alignment) * alignment;
  }
  const b = new Bytes().raw([0x47, 0x47, 0x55, 0x46]).u32(version).u64(tensors.length).u64(kvs.length);
  for (const k of kvs) { b.str(k.key).u32(k.type); k.write(b); }
  for (const t of tensors) { b.str(t.name).u32(t.dims.length); for (const d of t.dims) b.u64(d); b.u32(t.id).u64(t.offset); }
  b.align(alignment);
  for (const t of tensors) { for (let i = 0; i < t.nBytes; i++) b.a.push(r.int(256)); b.align(alignment); }
  return b.build();
}

// ---- where the structure is ---------------------------------------------

/**
 * Offsets of the fields a mutation should hit (counts, lengths, type ids,
 * dims, offsets) in a valid file, split into header fields and per-item
 * string lengths (a vocabulary holds 10^5 of those), plus the data offset.
 */
export function fieldMap(bytes) {
  const v = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const core = [];
  const items = [];
  let p = 0;
  const f = (list, size) => { list.push([p, size]); const at = p; p += size; return at; };
  const u32 = (list) => v.readUInt32LE(f(list, 4));
  const u64 = (list) => Number(v.readBigUInt64LE(f(list, 8)));
  const scalar = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8];
  const value = (type, list) => {
    if (type === 8) { const n = u64(list); p += n; return; }
    if (type === 9) {
      const it = u32(core); const n = u64(core);
      if (scalar[it]) {
        if (n > 0) { f(items, scalar[it]); p += scalar[it] * (n - 1); }
        return;
      }
      for (let i = 0; i < n; i++) value(it, items);
      return;
    }
    f(core, scalar[type]);
  };
  p = 4; u32(core);
  const nT = u64(core); const nKv = u64(core);
  let alignment = 32;
  for (let i = 0; i < nKv; i++) {
    const kl = u64(core); const key = v.toString('utf8', p, p + kl); p += kl;
    const type = u32(core);
    if (key === 'general.alignment') alignment = v.readUInt32LE(p);
    value(type, core);
  }
  for (let i = 0; i < nT; i++) {
    const nl = u64(core); p += nl;
    const nd = u32(core);
    for (let d = 0; d < nd; d++) u64(core);
    u32(core); u64(core);
  }
  return { core, items, dataOffset: Math.ceil(p / alignment) * alignment };
}

// ---- mutations ----------------------------------------------------------

const U32_EXTREMES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 0x7f, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const U64_EXTREMES = [0n, 1n, 63n, 64n, 65n, 2n ** 31n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 62n, 2n ** 63n, 2n ** 64n - 32n, 2n ** 64n - 1n];

/**
 * Mutates `work` (a private copy of the seed) in place and returns
 * { length, undo, what }: parse work.subarray(0, length), then call undo().
 */
export function mutate(work, map, r, size) {
  const saved = [];
  const set = (at, byte) => { if (at < size) { saved.push([at, work[at]]); work[at] = byte; } };
  const writeLE = (at, width, value) => { let x = BigInt(value); for (let i = 0; i < width; i++) { set(at + i, Number(x & 0xffn)); x >>= 8n; } };
  const field = () => (map.items.length && r.chance(0.25) ? map.items[r.int(map.items.length)] : map.core[r.int(map.core.length)]);
  const headerOffset = () => (r.chance(0.9) ? r.int(Math.max(1, Math.min(size, map.dataOffset))) : r.int(size));
  let length = size;
  const ops = [];
  const n = 1 + r.int(r.chance(0.8) ? 2 : 8);
  for (let k = 0; k < n; k++) {
    const op = r.int(100);
    if (op < 30) {
      const at = headerOffset(); set(at, work[at] ^ (1 << r.int(8))); ops.push('flip');
    } else if (op < 65) {
      const [at, width] = field();
      if (width === 8) writeLE(at, 8, r.chance(0.8) ? U64_EXTREMES[r.int(U64_EXTREMES.length)] : BigInt(size + r.int(65) - 32));
      else if (width === 4) writeLE(at, 4, U32_EXTREMES[r.int(U32_EXTREMES.length)]);
      else set(at, r.int(256));
      ops.push(`field${width}`);
    } else if (op < 75) {
      const [at, width] = field(); const old = work.subarray(at, at + width);
      let x = 0n; for (let i = width - 1; i >= 0; i--) x = (x << 8n) | BigInt(old[i] ?? 0);
      writeLE(at, width, (x + BigInt(r.int(5)) - 2n + (1n << BigInt(8 * width))) % (1n << BigInt(8 * width))); ops.push('nudge');
    } else if (op < 90) {
      length = Math.min(length, r.chance(0.6) ? field()[0] + r.int(9) : headerOffset()); ops.push('truncate');
    } else {
      const from = headerOffset(); const to = headerOffset(); const len = 1 + r.int(16);
      for (let i = 0; i < len && from + i < size; i++) set(to + i, work[from + i]);
      ops.push('splice');
    }
  }
  return {
    length: Math.min(length, size),
    what: ops.join('+'),
    undo() { for (let i = saved.length - 1; i >= 0; i--) work[saved[i][0]] = saved[i][1]; },
  };
}

/** Inserts or deletes a few bytes (shifting everything after): small seeds only, it copies. */
export function shift(bytes, map, r) {
  const at = r.int(Math.max(1, map.dataOffset));
  const n = 1 + r.int(8);
  if (r.chance(0.5)) {
    const out = new Uint8Array(bytes.length + n);
    out.set(bytes.subarray(0, at)); for (let i = 0; i < n; i++) out[at + i] = r.int(256); out.set(bytes.subarray(at), at + n);
    return out;
  }
  const out = new Uint8Array(Math.max(0, bytes.length - n));
  out.set(bytes.subarray(0, at)); out.set(bytes.subarray(Math.min(bytes.length, at + n)), at);
  return out;
}

// ---- checking a parse ---------------------------------------------------

/** Throws unless a successful parse describes a file that could really be read. */
export function checkParsed(g, size) {
  if (g.fileSize !== size) throw new Error(`fileSize ${g.fileSize} != ${size}`);
  if (g.tensors.length && g.dataOffset > size) throw new Error('data offset past the end');
  for (const t of g.tensors) {
    const n = t.dims.reduce((a, d) => a * d, 1);
    if (!t.dims.every((d) => Number.isSafeInteger(d) && d > 0) || n !== t.nElements) throw new Error(`bad dims ${t.name}`);
    if (t.nBytes !== (n / t.type.blockSize) * t.type.typeSize || !Number.isSafeInteger(t.nBytes)) throw new Error(`bad size ${t.name}`);
    if (t.offset % g.alignment || t.fileOffset !== g.dataOffset + t.offset || t.fileOffset + t.nBytes > size) throw new Error(`bad placement ${t.name}`);
  }
}

// ---- the run ------------------------------------------------------------

/**
 * Runs `cases` mutations over `seeds` ([{name, bytes, real}]) with
 * `parse(bytes, name)`; `isGgufError(err)` says whether an error is the
 * typed one. `realFraction` of the cases use real seeds.
 */
export function runFuzz({ parse, isGgufError, seeds, cases, seed = 1, realFraction = 0.25, onProgress, maxFailures = 20 }) {
  const r = rng(seed);
  const prepared = seeds.map((s) => ({ ...s, map: fieldMap(s.bytes), work: Uint8Array.from(s.bytes) }));
  const real = prepared.filter((s) => s.real);
  const synth = prepared.filter((s) => !s.real);
  const out = { cases: 0, parsed: 0, ggufError: 0, failures: [], maxCaseMs: 0, maxCaseCpuMs: 0, slowest: '', peakRssMb: 0, peakHeapMb: 0, ms: 0, byOp: {} };
  const t0 = performance.now();
  for (let c = 0; c < cases; c++) {
    const pool = real.length && (r.chance(realFraction) || !synth.length) ? real : synth;
    const s = pool[r.int(pool.length)];
    let bytes;
    let undo = () => {};
    let what;
    if (!s.real && r.chance(0.15)) {
      bytes = shift(s.bytes, s.map, r);
      what = 'shift';
    } else {
      const m = mutate(s.work, s.map, r, s.bytes.length);
      bytes = s.work.subarray(0, m.length);
      undo = m.undo;
      what = m.what;
    }
    const c0 = performance.now();
    const u0 = process.cpuUsage();
    try {
      checkParsed(parse(bytes, `case-${c}`), bytes.length);
      out.parsed++;
    } catch (err) {
      if (isGgufError(err)) out.ggufError++;
      else if (out.failures.length < maxFailures) out.failures.push({ case: c, seed: s.name, what, error: `${err?.name}: ${err?.message}` });
      else out.failures.length++;
    } finally {
      undo();
    }
    const dt = performance.now() - c0;
    const du = process.cpuUsage(u0);
    const cpuMs = (du.user + du.system) / 1000;
    out.maxCaseMs = Math.max(out.maxCaseMs, dt);
    // CPU time, not wall time: on a shared machine a descheduled case is not a slow one
    if (cpuMs > out.maxCaseCpuMs) { out.maxCaseCpuMs = cpuMs; out.slowest = `${s.name} ${what}`; }
    out.cases++;
    out.byOp[what.split('+')[0]] = (out.byOp[what.split('+')[0]] ?? 0) + 1;
    if ((c & 255) === 0 || c === cases - 1) {
      const mu = process.memoryUsage();
      out.peakRssMb = Math.max(out.peakRssMb, mu.rss / 2 ** 20);
      out.peakHeapMb = Math.max(out.peakHeapMb, mu.heapUsed / 2 ** 20);
      onProgress?.(out, c);
    }
  }
  out.ms = performance.now() - t0;
  out.peakRssMb = Math.max(out.peakRssMb, process.resourceUsage().maxRSS / 1024);
  return out;
}
