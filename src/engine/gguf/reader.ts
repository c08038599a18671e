import { ggmlTypeById, type GgmlTypeTraits } from '../ggml-types.js';
import { FileCursor } from './cursor.js';
import {
  GgufType, isKnownType, scalarSize,
  type GgufArray, type GgufArrayValue, type GgufKV, type GgufScalar,
} from './value-types.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const DEFAULT_ALIGNMENT = 32;
/** llama.cpp's GGML_MAX_NAME is 64 including the terminating NUL. */
export const MAX_TENSOR_NAME = 63;
export const MAX_DIMS = 4;
/** Nested arrays deeper than this are refused rather than recursed into. */
const MAX_ARRAY_DEPTH = 4;

export interface GgufTensorInfo {
  readonly name: string;
  readonly type: GgmlTypeTraits;
  /** GGUF order: dims[0] (ne[0]) is the row length. */
  readonly dims: readonly number[];
  readonly nElements: number;
  readonly nBytes: number;
  /** Offset from the start of the data section, as stored in the file. */
  readonly offset: number;
  /** Absolute offset of the first byte in the file. */
  readonly fileOffset: number;
}

export interface GgufFile {
  readonly path: string;
  readonly fileSize: number;
  readonly version: number;
  readonly alignment: number;
  readonly dataOffset: number;
  readonly metadata: ReadonlyMap<string, GgufKV>;
  readonly tensors: readonly GgufTensorInfo[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a GGUF header: metadata and tensor table, not tensor data. Every
 * count, length and offset is checked against the file size before it is
 * used; anything wrong is a GgufError naming the byte offset.
 */
export function readGguf(path: string): GgufFile {
  const cur = new FileCursor(path);
  try {
    return parse(cur);
  } finally {
    cur.close();
  }
}

/**
 * Parses a GGUF held in memory, with exactly the checks readGguf makes
 * (tests and the fuzzer use it). `name` stands for the path in errors;
 * readTensorData needs a file on disk, so use readGguf for real models.
 */
export function readGgufBytes(bytes: Uint8Array, name = '<memory>'): GgufFile {
  const cur = new FileCursor(name, bytes);
  try {
    return parse(cur);
  } finally {
    cur.close();
  }
}

/** Reads one tensor's bytes straight into a buffer the caller owns. */
export function readTensorData(file: GgufFile, tensor: GgufTensorInfo, target: Uint8Array): void {
  if (target.length !== tensor.nBytes) {
    throw new RangeError(`tensor ${tensor.name} has ${tensor.nBytes} bytes; the target holds ${target.length}`);
  }
  const cur = new FileCursor(file.path);
  try {
    cur.readInto(target, tensor.fileOffset);
  } finally {
    cur.close();
  }
}

function parse(cur: FileCursor): GgufFile {
  const magic = cur.u32('the magic number');
  if (magic !== GGUF_MAGIC) cur.fail('not a GGUF file (the magic number is not "GGUF")', 0);
  const version = cur.u32('the version');
  if (version > 0xffff && (version >>> 24) <= 3) cur.fail('big-endian GGUF files are not supported', 4);
  if (version !== 2 && version !== 3) cur.fail(`GGUF version ${version} is not supported (only 2 and 3)`, 4);

  const tensorCount = readCount(cur, 'tensor count', 8 + 4 + 8 + 4 + 8);
  const kvCount = readCount(cur, 'metadata key/value count', 8 + 4 + 1);

  const metadata = new Map<string, GgufKV>();
  for (let i = 0; i < kvCount; i++) {
    const at = cur.offset;
    const key = readString(cur, `key of metadata entry ${i}`, true);
    if (metadata.has(key)) cur.fail(`duplicate metadata key "${key}"`, at);
    const type = cur.u32(`type of metadata "${key}"`);
    metadata.set(key, { type: checkType(cur, type, key), value: readValue(cur, type as GgufType, key, 0) });
  }

  const alignment = readAlignment(cur, metadata);
  const infos = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const info = readTensorInfo(cur, i);
    if (names.has(info.name)) cur.fail(`duplicate tensor name "${info.name}"`, info.at);
    names.add(info.name);
    infos.push(info);
  }

  const dataOffset = alignUp(cur.offset, alignment);
  if (tensorCount > 0 && dataOffset > cur.size) cur.fail('truncated: the data section is missing', cur.offset);
  const tensors = infos.map((t) => placeTensor(cur, t, dataOffset, alignment));
  checkOverlap(cur, tensors, infos);
  return { path: cur.path, fileSize: cur.size, version, alignment, dataOffset, metadata, tensors };
}

/** A u64 count, refused when even the smallest entries could not fit in what is left. */
function readCount(cur: FileCursor, what: string, minEntryBytes: number): number {
  const at = cur.offset;
  const n = cur.u64(what);
  if (n > BigInt(Math.floor(cur.remaining / minEntryBytes))) {
    cur.fail(`${what} ${n} cannot fit in the ${cur.remaining} bytes left`, at);
  }
  return Number(n);
}

function readString(cur: FileCursor, what: string, strict: boolean): string {
  const at = cur.offset;
  const len = cur.u64n(() => `length of ${what}`);
  if (len > cur.remaining) cur.fail(`${what}: length ${cur.lastU64} runs past the end of the file`, at);
  if (!strict) return cur.utf8(len, what);
  try {
    return utf8.decode(cur.take(len, what));
  } catch {
    return cur.fail(`${what} is not valid UTF-8`, at + 8);
  }
}

/** The hot loop of every vocabulary: n strings, messages built only on failure. */
function readStrings(cur: FileCursor, key: string, n: number): string[] {
  const items: string[] = new Array(n);
  const what = () => `value of "${key}"`;
  for (let i = 0; i < n; i++) {
    const at = cur.offset;
    const len = cur.u64n(what);
    if (len > cur.remaining) cur.fail(`item ${i} of "${key}": length ${cur.lastU64} runs past the end of the file`, at);
    items[i] = cur.utf8(len, what);
  }
  return items;
}

function checkType(cur: FileCursor, type: number, key: string): GgufType {
  if (!isKnownType(type)) cur.fail(`metadata "${key}" has unknown value type ${type}`, cur.offset - 4);
  return type;
}

function readValue(cur: FileCursor, type: GgufType, key: string, depth: number): GgufScalar | GgufArrayValue {
  if (type === GgufType.ARRAY) return readArray(cur, key, depth);
  if (type === GgufType.STRING) return readString(cur, `value of "${key}"`, false);
  const at = cur.offset;
  const b = cur.take(scalarSize(type), `value of "${key}"`);
  switch (type) {
    case GgufType.U8: return b.readUInt8(0);
    case GgufType.I8: return b.readInt8(0);
    case GgufType.U16: return b.readUInt16LE(0);
    case GgufType.I16: return b.readInt16LE(0);
    case GgufType.U32: return b.readUInt32LE(0);
    case GgufType.I32: return b.readInt32LE(0);
    case GgufType.F32: return b.readFloatLE(0);
    case GgufType.F64: return b.readDoubleLE(0);
    case GgufType.U64: return b.readBigUInt64LE(0);
    case GgufType.I64: return b.readBigInt64LE(0);
    case GgufType.BOOL: {
      const v = b.readUInt8(0);
      if (v > 1) cur.fail(`metadata "${key}" is a bool holding ${v} (must be 0 or 1)`, at);
      return v === 1;
    }
  }
  return cur.fail(`metadata "${key}" has unknown value type ${type}`, at);
}

function readArray(cur: FileCursor, key: string, depth: number): GgufArrayValue {
  if (depth >= MAX_ARRAY_DEPTH) cur.fail(`metadata "${key}" nests arrays deeper than ${MAX_ARRAY_DEPTH}`);
  const itemType = checkType(cur, cur.u32(`item type of array "${key}"`), key);
  const minItem = itemType === GgufType.STRING ? 8 : itemType === GgufType.ARRAY ? 12 : scalarSize(itemType);
  const n = readCount(cur, `item count of array "${key}"`, minItem);
  if (itemType === GgufType.STRING) return { itemType, items: readStrings(cur, key, n) };
  if (itemType === GgufType.ARRAY || itemType === GgufType.BOOL) {
    const items: (GgufScalar | GgufArrayValue)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      items[i] = itemType === GgufType.ARRAY ? readArray(cur, key, depth + 1) : readValue(cur, itemType, key, depth);
    }
    return { itemType, items: items as GgufArray };
  }
  const bytes = cur.take(n * minItem, `items of array "${key}"`);
  return { itemType, items: typedArrayOf(itemType, bytes, n) };
}

/** Copies little-endian items out of the read window into an aligned typed array. */
function typedArrayOf(type: GgufType, bytes: Buffer, n: number): GgufArray {
  const copy = new Uint8Array(bytes); // own, aligned storage (the window is reused)
  const buf = copy.buffer;
  switch (type) {
    case GgufType.U8: return new Uint8Array(buf, 0, n);
    case GgufType.I8: return new Int8Array(buf, 0, n);
    case GgufType.U16: return new Uint16Array(buf, 0, n);
    case GgufType.I16: return new Int16Array(buf, 0, n);
    case GgufType.U32: return new Uint32Array(buf, 0, n);
    case GgufType.I32: return new Int32Array(buf, 0, n);
    case GgufType.F32: return new Float32Array(buf, 0, n);
    case GgufType.F64: return new Float64Array(buf, 0, n);
    case GgufType.U64: return new BigUint64Array(buf, 0, n);
    case GgufType.I64: return new BigInt64Array(buf, 0, n);
    default: throw new Error(`unreachable item type ${type}`);
  }
}

function readAlignment(cur: FileCursor, metadata: Map<string, GgufKV>): number {
  const kv = metadata.get('general.alignment');
  if (!kv) return DEFAULT_ALIGNMENT;
  const a = kv.value;
  if (kv.type !== GgufType.U32 || typeof a !== 'number' || a === 0 || (a & (a - 1)) !== 0 || a % 8 !== 0) {
    cur.fail(`general.alignment must be a u32 power of two and a multiple of 8, not ${String(a)}`, 0);
  }
  return a;
}

interface RawTensorInfo {
  at: number;
  name: string;
  type: GgmlTypeTraits;
  dims: number[];
  nElements: number;
  nBytes: number;
  offset: bigint;
}

function readTensorInfo(cur: FileCursor, index: number): RawTensorInfo {
  const at = cur.offset;
  const name = readString(cur, `name of tensor ${index}`, true);
  if (Buffer.byteLength(name) > MAX_TENSOR_NAME) cur.fail(`tensor name "${name}" is longer than ${MAX_TENSOR_NAME} bytes`, at);
  const nDims = cur.u32(`dimension count of tensor "${name}"`);
  if (nDims < 1 || nDims > MAX_DIMS) cur.fail(`tensor "${name}" has ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`, cur.offset - 4);
  const dims: number[] = [];
  let nElements = 1n;
  for (let d = 0; d < nDims; d++) {
    const dimAt = cur.offset;
    const ne = cur.u64(`dimension ${d} of tensor "${name}"`);
    if (ne === 0n) cur.fail(`tensor "${name}" has a zero-length dimension ${d}`, dimAt);
    nElements *= ne;
    if (nElements > BigInt(cur.size) * 8n) cur.fail(`tensor "${name}" has more elements than the file could hold`, dimAt);
    dims.push(Number(ne));
  }
  const typeAt = cur.offset;
  const typeId = cur.u32(`type of tensor "${name}"`);
  const type = ggmlTypeById(typeId);
  if (!type) cur.fail(`tensor "${name}" has unknown ggml type id ${typeId}`, typeAt);
  if (dims[0] % type.blockSize !== 0) {
    cur.fail(`tensor "${name}" rows of ${dims[0]} are not a whole number of ${type.name} blocks of ${type.blockSize}`, typeAt);
  }
  const offset = cur.u64(`data offset of tensor "${name}"`);
  const n = Number(nElements);
  return { at, name, type, dims, nElements: n, nBytes: (n / type.blockSize) * type.typeSize, offset };
}

function placeTensor(cur: FileCursor, t: RawTensorInfo, dataOffset: number, alignment: number): GgufTensorInfo {
  if (t.offset % BigInt(alignment) !== 0n) cur.fail(`tensor "${t.name}" data offset ${t.offset} is not a multiple of the alignment ${alignment}`, t.at);
  const end = BigInt(dataOffset) + t.offset + BigInt(t.nBytes);
  if (end > BigInt(cur.size)) {
    cur.fail(`truncated: tensor "${t.name}" (${t.nBytes} bytes at data offset ${t.offset}) ends at byte ${end}, past the end of the ${cur.size}-byte file`, t.at);
  }
  const offset = Number(t.offset);
  return { name: t.name, type: t.type, dims: t.dims, nElements: t.nElements, nBytes: t.nBytes, offset, fileOffset: dataOffset + offset };
}

/** Two tensors sharing bytes would alias each other's weights: refuse it, naming both. */
function checkOverlap(cur: FileCursor, tensors: GgufTensorInfo[], infos: RawTensorInfo[]): void {
  const order = tensors.map((_, i) => i).sort((a, b) => tensors[a].offset - tensors[b].offset);
  for (let k = 1; k < order.length; k++) {
    const prev = tensors[order[k - 1]];
    const next = tensors[order[k]];
    if (next.offset < prev.offset + prev.nBytes) {
      cur.fail(`tensor "${next.name}" data (offset ${next.offset}) overlaps tensor "${prev.name}" (offset ${prev.offset}, ${prev.nBytes} bytes)`, infos[order[k]].at);
    }
  }
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
