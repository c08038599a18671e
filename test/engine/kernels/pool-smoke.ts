// A thread-pool smoke test for all-kernel-checks.ts: under whatever V8 flags
// that run was given (a Worker refuses V8 flags in its execArgv, so the pool
// must start its workers without them), 2 threads give the bits 1 thread gives.
import t from 'tap';
import { Kernels } from '../../../src/engine/kernels/kernels.js';
import { KernelMemory } from '../../../src/engine/kernels/memory.js';
import { bits, randomActivations, rng } from './harness.js';

t.test('thread pool under this process flags: 2 threads == 1 thread (q4_0, q8_0)', async (t) => {
  const memory = new KernelMemory({ maxPages: 64 });
  const k1 = await Kernels.create({ memory, threads: 1 });
  const k2 = await Kernels.create({ memory, threads: 2 });
  t.teardown(async () => { await k1.close(); await k2.close(); });
  const rand = rng(5);
  const rows = 64, cols = 128;
  const x = memory.alloc(cols * 4);
  memory.f32(x, cols).set(randomActivations(rand, cols));
  const out = memory.alloc(rows * 4);
  for (const [type, typeSize] of [['q4_0', 18], ['q8_0', 34]] as const) {
    const bytes = rows * (cols / 32) * typeSize;
    const w = memory.alloc(bytes);
    const u = memory.u8(w, bytes);
    for (let i = 0; i < bytes; i++) u[i] = 4 + Math.floor(rand() * 56);
    k1.matmul({ type, ptr: w, rows, cols }, x, 1, out);
    const one = Array.from(memory.f32(out, rows), bits);
    memory.f32(out, rows).fill(NaN);
    k2.matmul({ type, ptr: w, rows, cols }, x, 1, out);
    t.same(Array.from(memory.f32(out, rows), bits), one, `${type} (${k2.build} build)`);
  }
});

t.test('Q8_0 matrices, with and without -128 weights: the kernel the Kernels class picks matches the scalar reference', async (t) => {
  const memory = new KernelMemory({ maxPages: 64 });
  const k = await Kernels.create({ memory, threads: 2 });
  t.teardown(async () => { await k.close(); });
  const rand = rng(11);
  const rows = 40, cols = 256, nTok = 3, rowBytes = (cols / 32) * 34;
  const x = memory.alloc(cols * 4 * nTok);
  for (let tk = 0; tk < nTok; tk++) memory.f32(x + tk * cols * 4, cols).set(randomActivations(rand, cols));
  const ya = memory.alloc(k.exports.actQ8RowBytes(cols) * nTok);
  const out = memory.alloc(rows * nTok * 4);
  for (const withMinus128 of [true, false]) {
    const w = memory.alloc(rows * rowBytes);
    const u = memory.u8(w, rows * rowBytes);
    for (let i = 0; i < u.length; i++) u[i] = i % 34 === 1 ? 0x10 : i % 34 === 0 ? rand() * 256 : 0x81 + Math.floor(rand() * 255);
    if (withMinus128) for (let r = 0; r < rows; r += 3) u[r * rowBytes + 2 + (r % 32)] = 0x80;
    const want: number[] = [];
    for (let tk = 0; tk < nTok; tk++) {
      k.exports.quantizeRowQ8_0Scalar(x + tk * cols * 4, ya, cols);
      for (let r = 0; r < rows; r++) want.push(bits(k.exports.vecDotQ8_0Q8_0Scalar(cols, w + r * rowBytes, ya)));
    }
    for (const n of [1, nTok]) {
      memory.f32(out, rows * nTok).fill(NaN);
      k.matmul({ type: 'q8_0', ptr: w, rows, cols }, x, n, out);
      t.same(Array.from(memory.f32(out, rows * n), bits), want.slice(0, rows * n), `${k.build} build, ${withMinus128 ? 'with' : 'without'} -128, ${n} token(s)`);
    }
  }
});
