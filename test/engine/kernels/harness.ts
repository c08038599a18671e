// Test helpers for the kernels: instances of each build on a fresh shared
// memory, a seeded random source, and plain-JS conversions written from the
// published formats (IEEE half, bf16, ggml's quantize_row_q8_0_ref), so the
// wasm code is checked against something that does not share its code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelExports } from '../../../src/engine/kernels/abi.js';
import { kernelBuildDir, relaxedBuildRuns, type KernelBuild } from '../../../src/engine/kernels/load.js';
import { KernelMemory } from '../../../src/engine/kernels/memory.js';

export interface TestInstance {
  build: KernelBuild;
  ex: KernelExports;
  mem: KernelMemory;
}

/** The builds this process can run (relaxed needs Node >= 22: load.ts). */
export function availableBuilds(): KernelBuild[] {
  return relaxedBuildRuns() ? ['simd128', 'relaxed'] : ['simd128'];
}

/** One instance per available build, all on ONE memory (so the same bytes feed every build). */
export function instances(maxPages = 4096): TestInstance[] {
  const mem = new KernelMemory({ maxPages });
  return availableBuilds().map((build) => {
    const module = new WebAssembly.Module(readFileSync(join(kernelBuildDir(), `nibble-${build}.wasm`)));
    const inst = new WebAssembly.Instance(module, { env: { memory: mem.memory } });
    return { build, ex: inst.exports as unknown as KernelExports, mem };
  });
}

/** xorshift32: deterministic, seeded. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export const f32 = Math.fround;

// ---- IEEE half, from the format (1 sign, 5 exponent bits biased 15, 10 mantissa) ----

export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function numberToF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven(a / 2 ** (e - 10));
  if (m === 2048) { m = 1024; e++; }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | (m - 1024);
}

export function bf16ToNumber(h: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, (h & 0xffff) << 16, true);
  return b.getFloat32(0, true);
}

/** roundf: half away from zero (exact for f32 inputs in doubles). */
export function roundAway(v: number): number {
  return Math.sign(v) * Math.floor(Math.abs(v) + 0.5) + 0; // + 0 turns -0 into 0
}

// ---- Q8 activations, as ggml's quantize_row_q8_0_ref / _q8_1_ref ----

export interface Q8Row {
  qs: Int8Array;
  /** The f16-rounded scale, as a number. */
  d: Float32Array;
  sum: Int32Array;
  /** f16(d * sum) as a number (Q8_1). */
  s: Float32Array;
}

export function quantizeQ8Js(x: Float32Array): Q8Row {
  const nb = x.length / 32;
  const out: Q8Row = { qs: new Int8Array(x.length), d: new Float32Array(nb), sum: new Int32Array(nb), s: new Float32Array(nb) };
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
    const d = f32(amax / 127);
    const id = d !== 0 ? f32(1 / d) : 0;
    let sum = 0;
    for (let j = 0; j < 32; j++) {
      const q = roundAway(f32(x[b * 32 + j]! * id));
      out.qs[b * 32 + j] = q;
      sum += q;
    }
    out.d[b] = f16ToNumber(numberToF16(d));
    out.sum[b] = sum;
    out.s[b] = f16ToNumber(numberToF16(f32(sum * d)));
  }
  return out;
}

/** Writes a Q8 row in nibble's activation layout (kernels/README.md) at ptr. */
export function writeQ8Row(mem: KernelMemory, ptr: number, row: Q8Row): void {
  const n = row.qs.length, nb = n / 32;
  mem.u8(ptr, n).set(new Uint8Array(row.qs.buffer, row.qs.byteOffset, n));
  mem.f32(ptr + n, nb).set(row.d);
  mem.i32(ptr + n + 4 * nb, nb).set(row.sum);
  mem.f32(ptr + n + 8 * nb, nb).set(row.s);
  mem.u8(ptr + n + 12 * nb, n).set(Array.from(row.qs, (q) => Math.max(q, 0)));
  mem.u8(ptr + 2 * n + 12 * nb, n).set(Array.from(row.qs, (q) => Math.max(-q, 0)));
  mem.i32(ptr + 3 * n + 12 * nb, nb).set(Array.from(row.sum, (s) => -8 * s));
  mem.i32(ptr + 3 * n + 16 * nb, nb).set(Array.from(row.sum, (s) => -16 * s));
}

/** Reads a Q8 row back from nibble's activation layout. */
export function readQ8Row(mem: KernelMemory, ptr: number, n: number, withS: boolean): Q8Row {
  const nb = n / 32;
  return {
    qs: new Int8Array(mem.u8(ptr, n).slice().buffer),
    d: mem.f32(ptr + n, nb).slice(),
    sum: mem.i32(ptr + n + 4 * nb, nb).slice(),
    s: withS ? mem.f32(ptr + n + 8 * nb, nb).slice() : new Float32Array(nb),
  };
}

/**
 * The float order every block-quantized dot follows (kernels/src/common.ts):
 * block b's value into lane b % 4 with f32 adds, result (l0 + l1) + (l2 + l3).
 */
export function laneOrderSum(blockValues: number[]): number {
  const l = [0, 0, 0, 0];
  blockValues.forEach((v, b) => { l[b & 3] = f32(l[b & 3]! + v); });
  return f32(f32(l[0]! + l[1]!) + f32(l[2]! + l[3]!));
}

/** Random f32 activations with a spread of magnitudes, including exact zeros and a block of zeros. */
export function randomActivations(rand: () => number, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const scale = 10 ** Math.floor(rand() * 6 - 3);
    x[i] = (rand() * 2 - 1) * scale;
  }
  if (n >= 64) x.fill(0, 32, 64);
  return x;
}

/** Random f16 bits for a block scale: normal values of either sign, sometimes 0, subnormal or large. */
export function randomScaleF16(rand: () => number): number {
  const r = rand();
  if (r < 0.05) return 0;
  if (r < 0.1) return Math.floor(rand() * 1024) | (rand() < 0.5 ? 0x8000 : 0); // subnormal
  return numberToF16((rand() < 0.5 ? -1 : 1) * 2 ** (rand() * 20 - 14));
}

/**
 * A block scale the interleaved layouts must take (x4_scales.ts): any half of
 * magnitude below 128. With edge: zero, subnormals (2^-24 the smallest), the
 * largest, the smallest normal, or a random negative.
 */
export function layoutScaleF16(rand: () => number, edge: boolean): number {
  if (!edge) return randomScaleF16(rand);
  const pick = Math.floor(rand() * 5);
  if (pick === 0) return rand() < 0.5 ? 0 : 0x8000;
  if (pick === 1) return rand() < 0.25 ? 1 : 1 + Math.floor(rand() * 1023);
  if (pick === 2) return 0x57ff | (rand() < 0.5 ? 0x8000 : 0);
  if (pick === 3) return 0x0400 | (rand() < 0.5 ? 0x8000 : 0);
  return numberToF16(-(2 ** (rand() * 6.9)));
}

/** Bit patterns of an f32, to compare results exactly (-0 vs 0 and NaN included). */
export function bits(v: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v, true);
  return b.getUint32(0, true);
}
