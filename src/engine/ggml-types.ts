// The ggml tensor types nibble knows, as one trait table (llama.cpp keeps the
// same facts in ggml's type_traits). Block layouts are in FACTS.md and beside
// each kernel in kernels/.

export interface GgmlTypeTraits {
  /** ggml's type id, as stored in a GGUF tensor info. */
  readonly id: number;
  /** ggml's own name for the type (lower case, K-quants end in `_K`). */
  readonly name: string;
  /** Weights per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

const table: GgmlTypeTraits[] = [
  { id: 0, name: 'f32', blockSize: 1, typeSize: 4 },
  { id: 1, name: 'f16', blockSize: 1, typeSize: 2 },
  { id: 2, name: 'q4_0', blockSize: 32, typeSize: 18 },
  { id: 3, name: 'q4_1', blockSize: 32, typeSize: 20 },
  { id: 6, name: 'q5_0', blockSize: 32, typeSize: 22 },
  { id: 7, name: 'q5_1', blockSize: 32, typeSize: 24 },
  { id: 8, name: 'q8_0', blockSize: 32, typeSize: 34 },
  { id: 9, name: 'q8_1', blockSize: 32, typeSize: 36 },
  { id: 10, name: 'q2_K', blockSize: 256, typeSize: 84 },
  { id: 11, name: 'q3_K', blockSize: 256, typeSize: 110 },
  { id: 12, name: 'q4_K', blockSize: 256, typeSize: 144 },
  { id: 13, name: 'q5_K', blockSize: 256, typeSize: 176 },
  { id: 14, name: 'q6_K', blockSize: 256, typeSize: 210 },
  { id: 15, name: 'q8_K', blockSize: 256, typeSize: 292 },
  { id: 16, name: 'iq2_xxs', blockSize: 256, typeSize: 66 },
  { id: 17, name: 'iq2_xs', blockSize: 256, typeSize: 74 },
  { id: 18, name: 'iq3_xxs', blockSize: 256, typeSize: 98 },
  { id: 19, name: 'iq1_s', blockSize: 256, typeSize: 50 },
  { id: 20, name: 'iq4_nl', blockSize: 32, typeSize: 18 },
  { id: 21, name: 'iq3_s', blockSize: 256, typeSize: 110 },
  { id: 22, name: 'iq2_s', blockSize: 256, typeSize: 82 },
  { id: 23, name: 'iq4_xs', blockSize: 256, typeSize: 136 },
  { id: 24, name: 'i8', blockSize: 1, typeSize: 1 },
  { id: 25, name: 'i16', blockSize: 1, typeSize: 2 },
  { id: 26, name: 'i32', blockSize: 1, typeSize: 4 },
  { id: 27, name: 'i64', blockSize: 1, typeSize: 8 },
  { id: 28, name: 'f64', blockSize: 1, typeSize: 8 },
  { id: 29, name: 'iq1_m', blockSize: 256, typeSize: 56 },
  { id: 30, name: 'bf16', blockSize: 1, typeSize: 2 },
  { id: 34, name: 'tq1_0', blockSize: 256, typeSize: 54 },
  { id: 35, name: 'tq2_0', blockSize: 256, typeSize: 66 },
];

const byId = new Map(table.map((t) => [t.id, t]));
const byName = new Map(table.map((t) => [t.name.toLowerCase(), t]));

/** The traits of a type id, or undefined for an id ggml does not define. */
export function ggmlTypeById(id: number): GgmlTypeTraits | undefined {
  return byId.get(id);
}

/** Looks a type up by its ggml name, case-insensitively ("Q4_K", "q4_k"). */
export function ggmlTypeByName(name: string): GgmlTypeTraits | undefined {
  return byName.get(name.toLowerCase());
}

export const GGML = Object.fromEntries(table.map((t) => [t.name.toUpperCase(), t])) as Record<string, GgmlTypeTraits>;

/** Bytes taken by a row of `n` weights, or -1 when n is not a whole number of blocks. */
export function rowBytes(type: GgmlTypeTraits, n: number): number {
  if (n % type.blockSize !== 0) return -1;
  return (n / type.blockSize) * type.typeSize;
}
