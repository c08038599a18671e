// The forward pass's view of the kernels: each op in the words of the math,
// over pointers into kernel memory. Heavy ops (matmul, attention, silu) run
// on all threads; the other element-wise ones are cheap and run on the
// calling thread.
import type { Kernels, WeightRef } from '../kernels/kernels.js';
import { KernelError } from '../kernels/errors.js';
import { ggmlTypeByName, rowBytes } from '../ggml-types.js';
import type { KvType } from './run-state.js';

export interface AttentionArgs {
  out: number;      // (nTokens, nHead * headDim) f32
  q: number;        // (nTokens, nHead * headDim) f32, rounded in place for an f16 cache
  keys: number;     // this layer's key cache
  values: number;   // this layer's value cache
  scores: number;   // (nTokens * nHead, contextLength) f32 scratch
  nTokens: number;
  pos: number;      // position of the first token
  nHead: number;
  nHeadKv: number;
  headDim: number;
  contextLength: number;
  kvType: KvType;
}

export class ForwardOps {
  constructor(readonly kernels: Kernels) {}

  /** out (nTokens x rows) = W x (nTokens x cols). */
  matmul(w: WeightRef, x: number, nTokens: number, out: number, sameInput = false): void {
    this.kernels.matmul(w, x, nTokens, out, sameInput);
  }

  /** dst (f32, cols) = row `row` of W, dequantized. */
  getRow(w: WeightRef, row: number, dst: number): void {
    if (w.interleaved) throw new KernelError(`cannot read row ${row} of an interleaved ${w.type} matrix`);
    const bytes = rowBytes(ggmlTypeByName(w.type)!, w.cols);
    this.kernels.dequantize(w.type, w.ptr + row * bytes, dst, w.cols);
  }

  rmsNorm(out: number, x: number, weight: number, n: number, rows: number, eps: number): void {
    this.kernels.exports.rmsNormRows(0, rows, x, weight, out, n, eps);
  }

  /** x[t] += b for each of `rows` rows of n. */
  addRows(x: number, b: number, n: number, rows: number): void {
    this.kernels.exports.addBiasRows(x, b, n, rows);
  }

  rope(x: number, table: number, rows: number, nHeads: number, headDim: number, ropeDim: number, neox: boolean): void {
    this.kernels.exports.ropeRows(0, rows, x, table, nHeads, headDim, ropeDim, neox ? 1 : 0);
  }

  storeKv(dst: number, src: number, n: number, rows: number, kvType: KvType): void {
    this.kernels.exports.storeKvRows(dst, src, n, rows, kvType === 'f16' ? 1 : 0);
  }

  attention(a: AttentionArgs): void {
    this.kernels.parallel('attentionSimd128', a.nTokens * this.kernels.exports.attentionUnits(a.nHead, a.nHeadKv), [
      a.out, a.q, a.keys, a.values, a.scores, a.nHead, a.nHeadKv, a.headDim, a.pos, a.contextLength, a.kvType === 'f16' ? 1 : 0,
    ]);
  }

  /** x += y over n values. */
  add(x: number, y: number, n: number): void {
    this.kernels.exports.addF32(x, y, n);
  }

  /** gate = silu(gate) * up over n values, split across the threads a cache line (16 values) at a time. */
  siluMul(gate: number, up: number, n: number): void {
    this.kernels.parallel('siluMulF32Simd128', n, [gate, up], 16);
  }

  copy(dst: number, src: number, bytes: number): void {
    const mem = this.kernels.memory.u8(0, this.kernels.memory.used);
    mem.copyWithin(dst, src, src + bytes);
  }
}
