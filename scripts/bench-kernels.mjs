#!/usr/bin/env node
// npm run bench:kernels: for every weight type, GB/s of weight bytes through
// matrix x vector (one token, activations quantized as the engine does) on a
// 64 MiB+ matrix, at 1 thread and at all threads, beside this machine's read
// bandwidth measured in the same process by a WebAssembly read loop; for the
// SIMD128 and relaxed builds, under this Node and under Node 24 (fetched into
// .cache/ by scripts/fetch-node.sh when it is missing). Types with an
// interleaved layout also in it, as the engine uses it (q4_0x4 etc.). Then the same
// operation in native llama.cpp (node-llama-cpp, .cache/peer) against nibble's
// engine, both decoding the same files (src/bench/matvec.ts); the nibble rows
// there use the relaxed build under Node 24 and SIMD128 under Node 20.
//
//   node scripts/bench-kernels.mjs [--types q4_0,q8_0] [--threads N] [--seconds S] [--mib 64] [--json] [--no-node24]
//        [--native-types Q4_0,Q8_0] [--procs 3] [--no-native]
//
// Timings are medians. Other processes on the machine skew every figure.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
// 64 MiB by default; a machine whose last-level cache holds that much (this
// one reports a 480 MiB L3) needs --mib 1024 to measure from memory.
const MATRIX_BYTES = Number(opt('--mib', '64')) * 2 ** 20;

if (args.includes('--child')) {
  await child();
} else {
  await orchestrate();
}

async function orchestrate() {
  const nodes = [{ label: `node${process.versions.node.split('.')[0]}`, bin: process.execPath }];
  if (!args.includes('--no-node24') && !process.versions.node.startsWith('24.')) {
    const bin = join(root, '.cache', 'node24-x64', 'bin', 'node');
    if (!existsSync(bin) && process.arch === 'x64') {
      spawnSync(join(root, 'scripts', 'fetch-node.sh'), ['x64', '24'], { stdio: ['ignore', 'ignore', 'inherit'] });
    }
    if (existsSync(bin)) nodes.push({ label: 'node24', bin });
    else process.stderr.write('bench-kernels: no Node 24 binary (scripts/fetch-node.sh x64 24); skipping it\n');
  }
  const rows = [];
  for (const node of nodes) {
    const major = Number(spawnSync(node.bin, ['-p', 'process.versions.node']).stdout.toString().split('.')[0]);
    // The relaxed build needs Node >= 22 (src/engine/kernels/load.ts).
    for (const build of major >= 22 ? ['simd128', 'relaxed'] : ['simd128']) {
      const childArgs = [fileURLToPath(import.meta.url), '--child', '--build', build, ...args];
      const r = spawnSync(node.bin, childArgs, { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
      if (r.status !== 0) {
        process.stderr.write(`bench-kernels: ${node.label} ${build} failed (exit ${r.status})\n`);
        continue;
      }
      for (const line of r.stdout.split('\n')) {
        if (line.startsWith('{')) rows.push({ node: node.label, ...JSON.parse(line) });
      }
    }
  }
  const native = args.includes('--no-native') ? [] : await nativeRows();
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify({ kernels: rows, native }, null, 1) + '\n');
    return;
  }
  const bw = rows.filter((r) => r.type === 'read');
  process.stdout.write('Read bandwidth (WASM read loop, same process), GB/s:\n');
  for (const r of bw) {
    process.stdout.write(`  ${r.node} ${r.build.padEnd(7)}  1 thread ${r.gbs1.toFixed(2)} (per CPU-second ${r.gbs1cpu.toFixed(2)})   ${r.threads} threads ${r.gbsN.toFixed(2)}\n`);
  }
  process.stdout.write('\nMatrix x vector, GB/s of weight bytes (fraction of the read loop measured the same way):\n');
  process.stdout.write(`  ${'type'.padEnd(7)} ${'node'.padEnd(7)} ${'build'.padEnd(8)} ${'MiB'.padStart(4)}  ${'1 thread'.padEnd(15)} ${'1T per CPU-s'.padEnd(15)} all threads\n`);
  for (const r of rows.filter((x) => x.type !== 'read')) {
    const b = bw.find((x) => x.node === r.node && x.build === r.build);
    const f = (g, ref) => `${g.toFixed(2)} (${(g / ref).toFixed(2)}x)`.padEnd(15);
    process.stdout.write(`  ${r.type.padEnd(7)} ${r.node.padEnd(7)} ${r.build.padEnd(8)} ${String(Math.round(r.bytes / 2 ** 20)).padStart(4)}  ${f(r.gbs1, b.gbs1)} ${f(r.gbs1cpu, b.gbs1cpu)} ${f(r.gbsN, b.gbsN)}\n`);
  }
  process.stdout.write('\n"per CPU-second": weight bytes over the process CPU time of the single-thread runs, which other load on the machine barely changes.\n');
  if (native.length) printNative(native);
  process.stdout.write('\nThe machine is shared: other processes make these figures noisy; compare medians from the same run.\n');
}

// The same operation in native llama.cpp: decode of two one-layer models that
// differ only in n_ff, by both engines (dist/bench/matvec.js).
async function nativeRows() {
  const { resolveNodes, ensurePeer } = await import(join(root, 'dist', 'bench', 'children.js'));
  const { matVecAgainstPeer } = await import(join(root, 'dist', 'bench', 'matvec.js'));
  ensurePeer();
  const majors = [process.versions.node.split('.')[0], ...(args.includes('--no-node24') ? [] : ['24'])];
  const threads = [...new Set([1, Number(opt('--threads', String(availableParallelism())))])];
  return matVecAgainstPeer({
    types: opt('--native-types', 'Q4_0,Q8_0').split(','),
    threads,
    nodes: resolveNodes(majors),
    procs: Number(opt('--procs', '3')),
    reps: 3,
    log: (line) => process.stderr.write(line + '\n'),
  });
}

function printNative(native) {
  process.stdout.write('\nMatrix x vector inside decode, nibble against native llama.cpp on the same files (GB/s of the\n' +
    'feed-forward bytes a 2048 x 24576 one-layer model adds over a 2048 x 512 one, per the decode time it adds;\n' +
    'and the whole decode of the larger model, which those matrices dominate, as a ratio of tok/s):\n');
  process.stdout.write(`  ${'type'.padEnd(6)} ${'threads'.padStart(7)}  ${'node'.padEnd(7)} ${'nibble'.padStart(7)} ${'llama.cpp'.padStart(9)}  ${'nibble / llama.cpp'.padEnd(18)}  whole decode\n`);
  const f = (x) => (x === null ? '-' : x.toFixed(2));
  const x = (v) => (v === null ? '-' : v.toFixed(2) + 'x');
  for (const r of native) {
    const busy = r.max_foreign_cores !== null && r.max_foreign_cores > 0.15 ? `  BUSY (other processes ${r.max_foreign_cores.toFixed(2)} cores)` : '';
    process.stdout.write(`  ${r.type.padEnd(6)} ${String(r.threads).padStart(7)}  ${r.node.padEnd(7)} ${f(r.nibble.gb_s).padStart(7)} ${f(r.llama.gb_s).padStart(9)}  ${x(r.ratio).padEnd(18)}  ${x(r.big_ratio)}${busy}\n`);
  }
}

async function child() {
  const { Kernels } = await import(join(root, 'dist', 'engine', 'kernels', 'kernels.js'));
  const { KernelMemory } = await import(join(root, 'dist', 'engine', 'kernels', 'memory.js'));
  const { allKernelTypes } = await import(join(root, 'dist', 'engine', 'kernels', 'types.js'));
  const build = opt('--build', 'simd128');
  const threads = Number(opt('--threads', String(availableParallelism())));
  const seconds = Number(opt('--seconds', '0.6'));
  const only = opt('--types', '');
  const cols = 4096;
  // Room for the matrix, and for the plain copy an interleaving repack reads from.
  const memory = new KernelMemory({ maxPages: Math.ceil((MATRIX_BYTES * 2.4 + 2 ** 24) / 65536) });
  const k1 = await Kernels.create({ memory, threads: 1, build });
  const kN = await Kernels.create({ memory, threads, build });
  const wPtr = memory.alloc(Math.ceil(MATRIX_BYTES * 1.15));
  const xPtr = memory.alloc(cols * 4);
  const outPtr = memory.alloc(Math.ceil(MATRIX_BYTES / 64) * 4);
  const x = memory.f32(xPtr, cols);
  for (let i = 0; i < cols; i++) x[i] = Math.sin(i * 0.37) * 2;

  // Median wall time of one call; with cpu = true, also the median CPU time
  // of the process, which for a single thread is what the kernel itself cost
  // and barely moves when other processes take the cores.
  const time = (fn, cpu = false) => {
    fn(); fn();
    const wall = [], used = [];
    const until = performance.now() + seconds * 1000;
    while (wall.length < 5 || (performance.now() < until && wall.length < 200)) {
      const c0 = cpu ? process.cpuUsage() : undefined;
      const t0 = performance.now();
      fn();
      wall.push(performance.now() - t0);
      if (c0) { const c = process.cpuUsage(c0); used.push((c.user + c.system) / 1000); }
    }
    const med = (a) => a.sort((x, y) => x - y)[a.length >> 1] / 1000;
    return cpu ? [med(wall), med(used)] : med(wall);
  };

  // Read bandwidth: the matrix's bytes in rows of 64 KiB, split across threads like the kernels;
  // written first, since pages never written all read one shared zero page.
  memory.u8(wPtr, MATRIX_BYTES).fill(0x5a);
  const readRowBytes = 65536, readRows = MATRIX_BYTES / readRowBytes;
  const gbs = (bytes, s) => bytes / s / 1e9;
  const [read1, read1cpu] = time(() => k1.parallel('readRows', readRows, [wPtr, readRowBytes, outPtr]), true);
  const readN = time(() => kN.parallel('readRows', readRows, [wPtr, readRowBytes, outPtr]));
  console.log(JSON.stringify({
    type: 'read', build: k1.build, threads, bytes: MATRIX_BYTES,
    gbs1: gbs(MATRIX_BYTES, read1), gbs1cpu: gbs(MATRIX_BYTES, read1cpu), gbsN: gbs(MATRIX_BYTES, readN),
  }));

  for (const t of allKernelTypes()) {
    const name = t.ggml.name;
    if (only && !only.split(',').includes(name)) continue;
    const rowBytes = (cols / t.ggml.blockSize) * t.ggml.typeSize;
    const rows = Math.ceil(MATRIX_BYTES / rowBytes / 4) * 4; // whole quads, so interleaved layouts apply
    const bytes = rows * rowBytes;
    // Bytes 0x04..0x3b: every u16/u32 read as a scale is a normal float (no subnormal slow paths).
    const w = memory.u8(wPtr, bytes);
    let s = 12345;
    for (let i = 0; i < bytes; i++) { s = (s * 1103515245 + 12345) >>> 0; w[i] = 4 + ((s >>> 16) % 56); }
    const report = (label, weight) => {
      const [t1, t1cpu] = time(() => k1.matmul(weight, xPtr, 1, outPtr), true);
      const tN = time(() => kN.matmul(weight, xPtr, 1, outPtr));
      console.log(JSON.stringify({ type: label, build: k1.build, threads, bytes, gbs1: gbs(bytes, t1), gbs1cpu: gbs(bytes, t1cpu), gbsN: gbs(bytes, tN) }));
    };
    const plain = { type: name, ptr: wPtr, rows, cols };
    report(name, plain);
    // Then the interleaved layout the engine rewrites such matrices into at load (in place), where this build uses one.
    const x4 = k1.interleave(plain);
    if (x4.interleaved) report(`${name}x4`, x4);
  }
  await k1.close();
  await kN.close();
}
