// The hand-assembled read loop: valid WebAssembly, reads exactly the bytes
// asked for (its xor checksum matches one computed in JS), and the threaded
// measurement returns a figure.
import t from 'tap';
import { measureReadBandwidth, readLoopModule } from '../../src/bench/bandwidth.js';

t.test('read loop: valid module, reads [start, end) in 128-byte steps', async (t) => {
  const bytes = readLoopModule();
  t.ok(WebAssembly.validate(bytes), 'validates');
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
  const read = (new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as { read(a: number, b: number): number }).read;
  const i32 = new Int32Array(memory.buffer);
  let s = 12345;
  for (let i = 0; i < i32.length; i++) { s = (Math.imul(s, 1103515245) + 12345) | 0; i32[i] = s; }
  // lane 0 of the xor of every 16-byte vector in [start, end)
  const expected = (start: number, end: number) => {
    let x = 0;
    for (let p = start; p < end; p += 16) x ^= i32[p / 4]!;
    return x;
  };
  t.equal(read(1024, 1024 + 128 * 50), expected(1024, 1024 + 128 * 50));
  t.equal(read(65536, 65536 + 128), expected(65536, 65536 + 128));
  t.equal(read(4096, 4096), 0, 'an empty range reads nothing');
});

t.test('measureReadBandwidth: a positive GB/s at 1 and 2 threads', async (t) => {
  for (const threads of [1, 2]) {
    const r = await measureReadBandwidth(threads, 16, 1, 1);
    t.equal(r.threads, threads);
    t.ok(r.gb_s > 0 && Number.isFinite(r.gb_s), `${r.gb_s} GB/s`);
  }
});
