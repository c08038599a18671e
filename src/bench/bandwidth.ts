// Memory read bandwidth as WebAssembly sees it: a tiny module, assembled
// here byte by byte, that streams over a shared memory with v128 loads (8
// per 128-byte step, two xor chains so the loads are the bottleneck). Run
// on 1..T worker threads at once, each over its own slice, it gives the read
// bandwidth that bounds decode speed: every weight byte is read once per
// token, so tok/s <= bandwidth / bytes per token.
import { Worker } from 'node:worker_threads';

/** Unsigned LEB128. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const name = (s: string) => [...leb(s.length), ...Buffer.from(s, 'latin1')];

/** (module (import "env" "memory" (memory 1 65536 shared)) (func (export "read") (param start end) (result i32) ...)) */
export function readLoopModule(): Uint8Array {
  const SIMD = 0xfd;
  const V128_LOAD = 0x00, V128_XOR = 0x51, I32X4_EXTRACT = 0x1b;
  const LOCAL_GET = 0x20, LOCAL_SET = 0x21;
  const START = 0, END = 1, A = 2, B = 3;
  const body: number[] = [];
  body.push(1, 2, 0x7b); // locals: 2 x v128 (the two xor chains)
  body.push(0x02, 0x40, 0x03, 0x40); // block, loop
  body.push(LOCAL_GET, START, LOCAL_GET, END, 0x4f, 0x0d, 1); // if start >= end (unsigned): break
  for (let k = 0; k < 8; k++) {
    const acc = k % 2 === 0 ? A : B;
    body.push(LOCAL_GET, acc, LOCAL_GET, START, SIMD, V128_LOAD, 4, ...leb(16 * k), SIMD, V128_XOR, LOCAL_SET, acc);
  }
  body.push(LOCAL_GET, START, 0x41, ...[0x80, 0x01], 0x6a, LOCAL_SET, START); // start += 128
  body.push(0x0c, 0, 0x0b, 0x0b); // br loop; end loop; end block
  body.push(LOCAL_GET, A, LOCAL_GET, B, SIMD, V128_XOR, SIMD, I32X4_EXTRACT, 0, 0x0b);
  const code = [1, ...leb(body.length), ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x03, ...leb(1), ...leb(65536)]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('read'), 0x00, 0]),
    ...section(10, code),
  ]);
}

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctrl: ctrlBuf, start, end, passes } = workerData;
const read = new WebAssembly.Instance(module, { env: { memory } }).exports.read;
const ctrl = new Int32Array(ctrlBuf);
read(start, end); // warm: compile, TLB
Atomics.add(ctrl, 1, 1);
Atomics.notify(ctrl, 1);
Atomics.wait(ctrl, 0, 0); // until the go signal
const t0 = performance.now();
let x = 0;
for (let i = 0; i < passes; i++) x ^= read(start, end);
parentPort.postMessage({ ms: performance.now() - t0, x });
`;

export interface BandwidthResult {
  threads: number;
  /** Bytes read in all, over the slowest thread's time, GB/s (1e9). */
  gb_s: number;
  bytes: number;
}

/**
 * Reads `mib` MiB (filled first, so no page is the shared zero page) `passes`
 * times, split over `threads` workers started together; the best of `trials`.
 */
export async function measureReadBandwidth(threads: number, mib = 512, passes = 4, trials = 3): Promise<BandwidthResult> {
  const bytes = mib * 2 ** 20;
  const pages = bytes / 65536 + 1;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
  new Uint8Array(memory.buffer, 65536, bytes).fill(0x5a);
  const module = new WebAssembly.Module(readLoopModule());
  let best = 0;
  for (let trial = 0; trial < trials; trial++) {
    const ctrl = new Int32Array(new SharedArrayBuffer(8));
    const slice = Math.floor(bytes / threads / 128) * 128;
    const results: Promise<number>[] = [];
    const workers: Worker[] = [];
    for (let t = 0; t < threads; t++) {
      const start = 65536 + t * slice;
      const w = new Worker(WORKER, { eval: true, workerData: { module, memory, ctrl: ctrl.buffer, start, end: start + slice, passes } });
      workers.push(w);
      results.push(new Promise((resolve, reject) => {
        w.once('message', (m: { ms: number }) => resolve(m.ms));
        w.once('error', reject);
      }));
    }
    while (Atomics.load(ctrl, 1) < threads) await new Promise((r) => setTimeout(r, 5));
    Atomics.store(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
    const ms = Math.max(...(await Promise.all(results)));
    await Promise.all(workers.map((w) => w.terminate()));
    best = Math.max(best, (slice * threads * passes) / (ms * 1e6));
  }
  return { threads, gb_s: best, bytes: bytes * passes };
}
