// GGUF metadata value types (ggml docs/gguf.md) and how the JS side holds them.

export enum GgufType {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
}

/** Bytes of a fixed-size scalar, or 0 for strings and arrays. */
export function scalarSize(type: GgufType): number {
  switch (type) {
    case GgufType.U8: case GgufType.I8: case GgufType.BOOL: return 1;
    case GgufType.U16: case GgufType.I16: return 2;
    case GgufType.U32: case GgufType.I32: case GgufType.F32: return 4;
    case GgufType.U64: case GgufType.I64: case GgufType.F64: return 8;
    default: return 0;
  }
}

export function isKnownType(t: number): t is GgufType {
  return Number.isInteger(t) && t >= 0 && t <= 12;
}

/**
 * A metadata value. Numeric arrays are typed arrays (a 150k-entry score table
 * stays compact); u64/i64 scalars are bigint so no bit is lost.
 */
export type GgufScalar = number | bigint | boolean | string;
export type GgufArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigUint64Array | BigInt64Array
  | boolean[] | string[] | GgufArrayValue[];

export interface GgufArrayValue {
  readonly itemType: GgufType;
  readonly items: GgufArray;
}

export interface GgufKV {
  readonly type: GgufType;
  /** For ARRAY, a GgufArrayValue; otherwise the scalar. */
  readonly value: GgufScalar | GgufArrayValue;
}

/** Plain JSON form of a value: bigints become numbers when exact, else strings. */
export function toJsonValue(kv: GgufKV): unknown {
  return kv.type === GgufType.ARRAY ? arrayToJson(kv.value as GgufArrayValue) : scalarToJson(kv.value as GgufScalar);
}

function scalarToJson(v: GgufScalar): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}

function arrayToJson(a: GgufArrayValue): unknown[] {
  if (a.itemType === GgufType.ARRAY) return (a.items as GgufArrayValue[]).map(arrayToJson);
  return Array.from(a.items as ArrayLike<GgufScalar>, scalarToJson);
}
