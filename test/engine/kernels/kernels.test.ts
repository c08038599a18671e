// The engine-facing API: matmul through the thread pool gives the same bits
// with 1, 2 and 3 threads (rows are split differently each time), equal to
// the single-row dot of every row, for one token (matVec) and several (matMat).
import t from 'tap';
import { Kernels } from '../../../src/engine/kernels/kernels.js';
import { KernelMemory } from '../../../src/engine/kernels/memory.js';
import { rowShare } from '../../../src/engine/kernels/pool.js';
import { allKernelTypes } from '../../../src/engine/kernels/types.js';
import { KernelError } from '../../../src/engine/kernels/errors.js';
import { rng, bits, randomActivations } from './harness.js';

t.test('rowShare covers [0, rows) exactly once, in aligned chunks', async (t) => {
  for (const [rows, align, threads] of [[100, 16, 3], [5, 16, 4], [4864, 16, 2], [7, 1, 7], [1000, 4, 6]] as const) {
    let next = 0;
    for (let i = 0; i < threads; i++) {
      const [a, b] = rowShare(rows, align, threads, i);
      if (a < b) {
        t.equal(a, next, `rows=${rows} thread ${i} starts where the last ended`);
        t.ok(a % align === 0, 'aligned start');
        next = b;
      }
    }
    t.equal(next, rows, `rows=${rows} align=${align} threads=${threads} all covered`);
  }
});

t.test('matmul: 1, 2 and 3 threads bit-identical, equal to per-row dots', async (t) => {
  const memory = new KernelMemory({ maxPages: 2048 });
  const ks = [await Kernels.create({ memory, threads: 1 })];
  ks.push(await Kernels.create({ memory, threads: 2 }));
  ks.push(await Kernels.create({ memory, threads: 3 }));
  t.teardown(async () => { for (const k of ks) await k.close(); });
  const rand = rng(7);
  const rows = 150, cols = 256, nTok = 5;
  const xPtr = memory.alloc(nTok * cols * 4);
  memory.f32(xPtr, nTok * cols).set(randomActivations(rand, nTok * cols));
  const outPtr = memory.alloc(nTok * rows * 4);
  for (const kt of allKernelTypes()) {
    const bytes = (rows * cols / kt.ggml.blockSize) * kt.ggml.typeSize;
    const w = memory.alloc(bytes);
    const wb = memory.u8(w, bytes);
    for (let i = 0; i < bytes; i++) wb[i] = Math.floor(rand() * 256);
    // Keep f16 scales finite: clear the exponent's top bit of every 2-byte field that could be a scale.
    for (let i = 1; i < bytes; i += 2) wb[i]! &= 0x3f;
    for (const nTokens of [1, nTok]) {
      const results: Uint32Array[] = [];
      for (const k of ks) {
        memory.f32(outPtr, nTok * rows).fill(NaN);
        k.matmul({ type: kt.ggml.name, ptr: w, rows, cols }, xPtr, nTokens, outPtr);
        results.push(Uint32Array.from(memory.f32(outPtr, nTokens * rows), bits));
      }
      for (let i = 1; i < results.length; i++) {
        t.same(results[i], results[0], `${kt.ggml.name} tokens=${nTokens}: ${ks[i]!.threads} threads == 1 thread`);
      }
      // Every output equals the build's single-row dot (the activations were quantized into the scratch by matmul).
      const k = ks[0]!;
      const ex = k.exports as unknown as Record<string, (...a: number[]) => number>;
      const rowBytes = (cols / kt.ggml.blockSize) * kt.ggml.typeSize;
      let actPtr = xPtr, stride = cols * 4;
      if (kt.activation.rowBytes !== null && kt.activation.quantizeRows !== null) {
        stride = Math.ceil(ex[kt.activation.rowBytes]!(cols) / 16) * 16;
        actPtr = memory.alloc(stride * nTokens);
        ex[kt.activation.quantizeRows]!(0, nTokens, xPtr, cols * 4, actPtr, stride, cols);
      }
      let bad = 0;
      for (let tk = 0; tk < nTokens; tk++) {
        for (let r = 0; r < rows; r++) {
          const want = bits(ex[kt.vecDotScalar]!(cols, w + r * rowBytes, actPtr + tk * stride));
          if (results[0]![tk * rows + r] !== want) bad++;
        }
      }
      t.equal(bad, 0, `${kt.ggml.name} tokens=${nTokens}: every output is the scalar reference dot`);
    }
  }
  t.throws(() => ks[0]!.matmul({ type: 'iq2_xxs', ptr: 65536, rows: 1, cols: 256 }, xPtr, 1, outPtr), KernelError);
  t.throws(() => ks[0]!.matmul({ type: 'q4_0', ptr: 65536, rows: 1, cols: 48 }, xPtr, 1, outPtr), /whole number of blocks/);
});

t.test('interleave: an interleaved matrix gives the bits of the plain one on 1, 2 and 3 threads', async (t) => {
  const memory = new KernelMemory({ maxPages: 2048 });
  const ks = [await Kernels.create({ memory, threads: 1 }), await Kernels.create({ memory, threads: 2 }), await Kernels.create({ memory, threads: 3 })];
  t.teardown(async () => { for (const k of ks) await k.close(); });
  const rand = rng(11);
  const rows = 148, nTok = 6; // the last 16-row chunk has one quad
  const maxCols = 9 * 256;
  const xPtr = memory.alloc(nTok * maxCols * 4);
  const outPtr = memory.alloc(nTok * rows * 4);
  for (const kt of allKernelTypes().filter((k) => k.interleaved !== undefined)) {
    const cols = 9 * kt.ggml.blockSize; // 9 blocks, not a multiple of 4
    memory.f32(xPtr, nTok * cols).set(randomActivations(rand, nTok * cols));
    const bytes = (rows * cols / kt.ggml.blockSize) * kt.ggml.typeSize;
    const plain = { type: kt.ggml.name, ptr: memory.alloc(bytes), rows, cols };
    const wb = memory.u8(plain.ptr, bytes);
    for (let i = 0; i < bytes; i++) wb[i] = Math.floor(rand() * 256);
    for (let i = 1; i < bytes; i += 2) wb[i]! &= 0x3f;
    const copy = memory.alloc(bytes);
    memory.u8(copy, bytes).set(wb);
    const inter = ks[0]!.interleave({ ...plain, ptr: copy });
    const expected = kt.interleaved!.relaxedOnly !== true || ks[0]!.build === 'relaxed';
    t.equal(inter.interleaved === true, expected, `${kt.ggml.name}: ${expected ? '' : 'not '}interleaved in the ${ks[0]!.build} build`);
    t.equal(ks[0]!.interleave(inter), inter, 'interleaving twice does nothing');
    t.equal(ks[0]!.interleave({ ...plain, rows: rows - 1 }).interleaved, undefined, 'rows not a multiple of 4 stay plain');
    for (const nTokens of [1, nTok]) {
      memory.f32(outPtr, nTok * rows).fill(NaN);
      ks[0]!.matmul(plain, xPtr, nTokens, outPtr);
      const want = Uint32Array.from(memory.f32(outPtr, nTokens * rows), bits);
      for (const k of ks) {
        memory.f32(outPtr, nTok * rows).fill(NaN);
        k.matmul(inter, xPtr, nTokens, outPtr);
        t.same(Uint32Array.from(memory.f32(outPtr, nTokens * rows), bits), want, `${kt.ggml.name} tokens=${nTokens}: ${k.threads} threads, interleaved == plain`);
      }
    }
  }
});

t.test('matmul sameInput: reuses the last conversion only for the same rows and format', async (t) => {
  const memory = new KernelMemory({ maxPages: 256 });
  const k = await Kernels.create({ memory, threads: 2 });
  t.teardown(() => k.close());
  const rand = rng(11);
  const rows = 8, cols = 512, nTok = 3;
  const matrix = (type: string, blockSize: number, typeSize: number) => {
    const bytes = (rows * cols / blockSize) * typeSize;
    const ptr = memory.alloc(bytes);
    const wb = memory.u8(ptr, bytes);
    for (let i = 0; i < bytes; i++) wb[i] = Math.floor(rand() * 256);
    for (let i = 1; i < bytes; i += 2) wb[i]! &= 0x3f;
    return { type, ptr, rows, cols };
  };
  const q40 = matrix('q4_0', 32, 18), q80 = matrix('q8_0', 32, 34), q4k = matrix('q4_K', 256, 144);
  const xPtr = memory.alloc(nTok * cols * 4), outPtr = memory.alloc(nTok * rows * 4);
  const x1 = randomActivations(rand, nTok * cols), x2 = randomActivations(rand, nTok * cols);
  const run = (w: typeof q40, n: number, sameInput: boolean) => {
    memory.f32(outPtr, nTok * rows).fill(NaN);
    k.matmul(w, xPtr, n, outPtr, sameInput);
    return Uint32Array.from(memory.f32(outPtr, n * rows), bits);
  };
  memory.f32(xPtr, nTok * cols).set(x1);
  const q40x1 = run(q40, nTok, false), q80x1 = run(q80, nTok, false);
  memory.f32(xPtr, nTok * cols).set(x2);
  const q40x2 = run(q40, nTok, false), q4kx2 = run(q4k, nTok, false), q40x2one = run(q40, 1, false);
  t.notSame(q40x2, q40x1, 'the two inputs give different results');
  // The promise broken on purpose shows the conversion was skipped: x changed, the result did not.
  memory.f32(xPtr, nTok * cols).set(x1);
  run(q40, nTok, false);
  memory.f32(xPtr, nTok * cols).set(x2);
  t.same(run(q80, nTok, true), q80x1, 'same format (q8_0 pairs with Q8_0 activations too), same rows: reused');
  t.same(run(q4k, nTok, true), q4kx2, 'another format (Q8_K): converted afresh');
  t.same(run(q40, nTok, true), q40x2, 'back to Q8_0: converted afresh, the arena held Q8_K');
  t.same(run(q40, 1, true), q40x2one, 'fewer tokens: converted afresh');
});

t.test('a trap in a worker is reported, and the pool keeps working', async (t) => {
  const memory = new KernelMemory({ maxPages: 64 });
  const k = await Kernels.create({ memory, threads: 2 });
  t.teardown(() => k.close());
  const xPtr = memory.alloc(32 * 4);
  const outPtr = memory.alloc(64 * 4);
  // Rows far past the end of memory: both threads' loads trap.
  t.throws(() => k.matmul({ type: 'q8_0', ptr: 64 * 65536 - 64, rows: 64, cols: 32 }, xPtr, 1, outPtr), /out of bounds/);
  const w = memory.alloc(64 * 34);
  memory.u8(w, 64 * 34).fill(0);
  k.matmul({ type: 'q8_0', ptr: w, rows: 64, cols: 32 }, xPtr, 1, outPtr);
  t.same(Array.from(memory.f32(outPtr, 64)), new Array(64).fill(0), 'next job runs');
});
