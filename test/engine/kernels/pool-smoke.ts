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
