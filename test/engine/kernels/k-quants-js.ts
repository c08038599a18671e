// Plain-JS reference for the K-quant families (Q2_K..Q6_K) and their Q8_K
// activations, written per weight from the published block layouts
// (ggml-common.h, FACTS.md) so it shares no loop structure with the wasm
// kernels it checks. Every float step is rounded to f32 with Math.fround in
// the order llama.cpp's C reference evaluates it, so results are exact.
//
// Layouts (one 256-weight super-block; f16 = IEEE half, little-endian):
//   Q2_K  84 B: scales[16] (low nibble scale, high nibble min), qs[64], d f16, dmin f16
//   Q3_K 110 B: hmask[32], qs[64], scales[12] (16 x 6 bit, stored +32), d f16
//   Q4_K 144 B: d f16, dmin f16, scales[12] (8 scales + 8 mins, 6 bit), qs[128]
//   Q5_K 176 B: d f16, dmin f16, scales[12], qh[32], qs[128]
//   Q6_K 210 B: ql[128], qh[64], scales[16] int8, d f16
//   Q8_K 292 B: d f32, qs[256] int8, bsums[16] int16 (sum of each 16 qs)

import { f16ToNumber as f16ToF32 } from './harness.js';

export const QK_K = 256;
export const KQUANT_BLOCK_BYTES = { q2_K: 84, q3_K: 110, q4_K: 144, q5_K: 176, q6_K: 210 } as const;
export type KQuantName = keyof typeof KQUANT_BLOCK_BYTES;
export const Q8_K_BLOCK_BYTES = 292;

const f = Math.fround;

/** Round half to even, as llama.cpp's nearest_int (the 1.5 * 2^23 trick) does. */
export function roundHalfEven(v: number): number {
  const fl = Math.floor(v);
  const diff = v - fl;
  if (diff > 0.5) return fl + 1;
  if (diff < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const i8 = (v: number): number => (v << 24) >> 24;

/** The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K scales[12] field. */
export function scaleMinK4(scales: Uint8Array, base: number, j: number): [number, number] {
  if (j < 4) return [scales[base + j] & 63, scales[base + j + 4] & 63];
  const sc = (scales[base + j + 4] & 0x0f) | ((scales[base + j - 4] >> 6) << 4);
  const m = (scales[base + j + 4] >> 4) | ((scales[base + j] >> 6) << 4);
  return [sc, m];
}

/** The 6-bit Q3_K scale of sub-block j (0..15) as stored (0..63; the value is this - 32). */
export function scaleQ3K(scales: Uint8Array, base: number, j: number): number {
  const low = j < 8 ? scales[base + j] & 0x0f : scales[base + j - 8] >> 4;
  const high = (scales[base + 8 + (j % 4)] >> (2 * Math.floor(j / 4))) & 3;
  return low | (high << 4);
}

// --- per-weight quant values -------------------------------------------------
// i is the weight index in the super-block (0..255); o the block's byte offset.

/** Q2_K: 2-bit quant (0..3) and its 16-weight sub-block. */
function q2K(b: Uint8Array, o: number, i: number): number {
  const half = i >> 7; // 128 weights share 32 qs bytes, 4 shifts of 2 bits
  const shift = ((i & 127) >> 5) * 2;
  return (b[o + 16 + half * 32 + (i & 31)] >> shift) & 3;
}

/** Q3_K: signed 3-bit quant (-4..3): low 2 bits from qs, a clear hmask bit subtracts 4. */
function q3K(b: Uint8Array, o: number, i: number): number {
  const half = i >> 7;
  const shift = ((i & 127) >> 5) * 2;
  const low = (b[o + 32 + half * 32 + (i & 31)] >> shift) & 3;
  const hbit = (b[o + (i & 31)] >> (i >> 5)) & 1; // hmask bit k holds weights 32k..32k+31
  return low - (hbit ? 0 : 4);
}

/** Q4_K: 4-bit quant: each 64 weights use 32 qs bytes, low nibbles first. */
function q4K(b: Uint8Array, o: number, i: number): number {
  const byte = b[o + 16 + (i >> 6) * 32 + (i & 31)];
  return i & 32 ? byte >> 4 : byte & 0x0f;
}

/** Q5_K: 4 low bits as Q4_K, 5th bit from qh bit (i >> 5). */
function q5K(b: Uint8Array, o: number, i: number): number {
  const byte = b[o + 48 + (i >> 6) * 32 + (i & 31)];
  const low = i & 32 ? byte >> 4 : byte & 0x0f;
  const high = (b[o + 16 + (i & 31)] >> (i >> 5)) & 1;
  return low | (high << 4);
}

/** Q6_K: signed 6-bit quant (-32..31): 4 bits from ql, 2 from qh. */
function q6K(b: Uint8Array, o: number, i: number): number {
  const half = i >> 7; // each 128 weights: ql[64], qh[32]
  const r = i & 127;
  const quarter = r >> 5; // 0..3
  const l = r & 31;
  const qlByte = b[o + half * 64 + (quarter & 1) * 32 + l];
  const low = quarter < 2 ? qlByte & 0x0f : qlByte >> 4;
  const high = (b[o + 128 + half * 32 + l] >> (2 * quarter)) & 3;
  return (low | (high << 4)) - 32;
}

// --- dequantize --------------------------------------------------------------

/** Dequantizes `nBlocks` super-blocks of `type` from `bytes` (starting at 0). */
export function dequantizeKQuant(type: KQuantName, bytes: Uint8Array, nBlocks: number): Float32Array {
  const out = new Float32Array(nBlocks * QK_K);
  const bs = KQUANT_BLOCK_BYTES[type];
  for (let blk = 0; blk < nBlocks; blk++) {
    const o = blk * bs;
    for (let i = 0; i < QK_K; i++) out[blk * QK_K + i] = dequantWeight(type, bytes, o, i);
  }
  return out;
}

function dequantWeight(type: KQuantName, b: Uint8Array, o: number, i: number): number {
  switch (type) {
    case 'q2_K': {
      const d = f16ToF32(u16(b, o + 80));
      const dmin = f16ToF32(u16(b, o + 82));
      const sc = b[o + (i >> 4)];
      const dl = f(d * (sc & 0x0f));
      const ml = f(dmin * (sc >> 4));
      return f(f(dl * q2K(b, o, i)) - ml);
    }
    case 'q3_K': {
      const d = f16ToF32(u16(b, o + 108));
      const dl = f(d * (scaleQ3K(b, o + 96, i >> 4) - 32));
      return f(dl * q3K(b, o, i));
    }
    case 'q4_K':
    case 'q5_K': {
      const d = f16ToF32(u16(b, o));
      const dmin = f16ToF32(u16(b, o + 2));
      const [sc, m] = scaleMinK4(b, o + 4, i >> 5);
      const q = type === 'q4_K' ? q4K(b, o, i) : q5K(b, o, i);
      return f(f(f(d * sc) * q) - f(dmin * m));
    }
    case 'q6_K': {
      const d = f16ToF32(u16(b, o + 208));
      const sc = i8(b[o + 192 + (i >> 4)]);
      return f(f(d * sc) * q6K(b, o, i));
    }
  }
}

// --- Q8_K --------------------------------------------------------------------

/**
 * llama.cpp's quantize_row_q8_K_ref: per block, iscale = -127 / max where max
 * is the signed value of largest magnitude (first one wins), q = nearest(iscale*x)
 * capped at 127, d = 1 / iscale. An all-zero block gets d = 0 and zero quants
 * (as does a block so small that iscale overflows: nibble's definition).
 */
export function quantizeQ8K(x: Float32Array): Uint8Array {
  if (x.length % QK_K !== 0) throw new Error(`Q8_K needs a multiple of ${QK_K} values, got ${x.length}`);
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * Q8_K_BLOCK_BYTES);
  const dv = new DataView(out.buffer);
  for (let blk = 0; blk < nb; blk++) {
    const o = blk * Q8_K_BLOCK_BYTES;
    const xo = blk * QK_K;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK_K; j++) {
      const ax = Math.abs(x[xo + j]);
      if (ax > amax) {
        amax = ax;
        max = x[xo + j];
      }
    }
    const iscale = f(-127 / max);
    // d = 0, qs = 0, bsums = 0; also where iscale overflows (amax < 127 / FLT_MAX),
    // which ggml leaves undefined and nibble defines as a zero block
    if (amax === 0 || !Number.isFinite(iscale)) continue;
    for (let j = 0; j < QK_K; j++) {
      const v = Math.min(127, roundHalfEven(f(iscale * x[xo + j])));
      out[o + 4 + j] = v & 0xff;
    }
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let l = 0; l < 16; l++) s += i8(out[o + 4 + 16 * j + l]);
      dv.setInt16(o + 260 + 2 * j, s, true);
    }
    dv.setFloat32(o, f(1 / iscale), true);
  }
  return out;
}

/**
 * ggml block_q8_K rows (292-byte blocks) to nibble's Q8_K activation row
 * layout (kernels/src/q8_k.ts): qs[n], then bsums[16 * nb] i16, then d[nb] f32.
 */
export function q8KToNibbleLayout(blocks: Uint8Array): Uint8Array {
  const nb = blocks.length / Q8_K_BLOCK_BYTES;
  const n = nb * QK_K;
  const out = new Uint8Array(n + 36 * nb);
  for (let b = 0; b < nb; b++) {
    const o = b * Q8_K_BLOCK_BYTES;
    out.set(blocks.subarray(o + 4, o + 260), b * QK_K);
    out.set(blocks.subarray(o + 260, o + 292), n + 32 * b);
    out.set(blocks.subarray(o, o + 4), n + 32 * nb + 4 * b);
  }
  return out;
}

/** Fills bsums of every Q8_K block from its qs (for hand-built activation blocks). */
export function fillQ8KBsums(q8: Uint8Array): void {
  const dv = new DataView(q8.buffer, q8.byteOffset, q8.byteLength);
  for (let o = 0; o < q8.length; o += Q8_K_BLOCK_BYTES) {
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let l = 0; l < 16; l++) s += i8(q8[o + 4 + 16 * j + l]);
      dv.setInt16(o + 260 + 2 * j, s, true);
    }
  }
}

// --- dot product against Q8_K --------------------------------------------------

/**
 * The dot product of `nBlocks` weight super-blocks with Q8_K activations, with
 * llama.cpp's result semantics: per block the integer sums are exact, then
 * term = d*isum - dmin*summs in f32, d = f16(x.d) * y.d and dmin = f16(x.dmin) * y.d
 * (ggml_vec_dot_q2_K_q8_K's order; Q3_K and Q6_K have no min term). Block terms
 * follow the kernels' order rule (kernels/src/common.ts): block b goes into
 * f32 lane b % 4, result (l0 + l1) + (l2 + l3).
 * Computed per weight from the signed quant values, not through bsums.
 */
export function vecDotKQuantQ8K(type: KQuantName, w: Uint8Array, q8: Uint8Array, nBlocks: number): number {
  const bs = KQUANT_BLOCK_BYTES[type];
  const dv = new DataView(q8.buffer, q8.byteOffset, q8.byteLength);
  const lanes = [0, 0, 0, 0];
  for (let blk = 0; blk < nBlocks; blk++) {
    const o = blk * bs;
    const yo = blk * Q8_K_BLOCK_BYTES;
    const yd = dv.getFloat32(yo, true);
    const a = (i: number): number => i8(q8[yo + 4 + i]);
    let isum = 0;
    let summs = 0;
    let d: number;
    let dmin = 0;
    switch (type) {
      case 'q2_K':
        for (let i = 0; i < QK_K; i++) {
          const sc = w[o + (i >> 4)];
          isum += (sc & 0x0f) * q2K(w, o, i) * a(i);
          summs += (sc >> 4) * a(i);
        }
        d = f(yd * f16ToF32(u16(w, o + 80)));
        dmin = f(yd * f16ToF32(u16(w, o + 82)));
        break;
      case 'q3_K':
        for (let i = 0; i < QK_K; i++) isum += (scaleQ3K(w, o + 96, i >> 4) - 32) * q3K(w, o, i) * a(i);
        d = f(f16ToF32(u16(w, o + 108)) * yd);
        break;
      case 'q4_K':
      case 'q5_K':
        for (let i = 0; i < QK_K; i++) {
          const [sc, m] = scaleMinK4(w, o + 4, i >> 5);
          isum += sc * (type === 'q4_K' ? q4K(w, o, i) : q5K(w, o, i)) * a(i);
          summs += m * a(i);
        }
        d = f(f16ToF32(u16(w, o)) * yd);
        dmin = f(f16ToF32(u16(w, o + 2)) * yd);
        break;
      case 'q6_K':
        for (let i = 0; i < QK_K; i++) isum += i8(w[o + 192 + (i >> 4)]) * q6K(w, o, i) * a(i);
        d = f(f16ToF32(u16(w, o + 208)) * yd);
        break;
    }
    // Q3_K and Q6_K have no min: dmin = summs = 0 and x - 0 is x, so one formula fits all
    lanes[blk % 4] = f(lanes[blk % 4] + f(f(d * f(isum)) - f(dmin * f(summs))));
  }
  return f(f(lanes[0] + lanes[1]) + f(lanes[2] + lanes[3]));
}
