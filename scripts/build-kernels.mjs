#!/usr/bin/env node
// Builds kernels/src (AssemblyScript) into the two modules nibble picks from
// at run time (src/engine/kernels/load.ts):
//   kernels/build/nibble-simd128.wasm  SIMD128 + threads (every Node >= 20)
//   kernels/build/nibble-relaxed.wasm  the same plus relaxed SIMD
// Both import a shared memory (env.memory, max 65536 pages) and own none of
// it: the build fails if the module would carry data segments, or a start
// function that writes memory, since each worker instantiates the module on
// the same memory. (A start function that only initializes globals, e.g. a
// v128 global, is harmless: every instance has its own globals.)
import asc from 'assemblyscript/asc';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'kernels', 'build');
mkdirSync(outDir, { recursive: true });

const common = [
  join(root, 'kernels', 'src', 'index.ts'),
  '--enable', 'simd', '--enable', 'threads',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  '--noExportMemory', '--runtime', 'stub',
  '-O3', '--noAssert',
];

const builds = [
  { name: 'nibble-simd128', extra: [] },
  { name: 'nibble-relaxed', extra: ['--enable', 'relaxed-simd'] },
];

for (const b of builds) {
  const wasm = join(outDir, `${b.name}.wasm`);
  const wat = join(outDir, `${b.name}.wat`);
  const { error, stderr } = await asc.main([...common, ...b.extra, '-o', wasm, '-t', wat]);
  if (error) {
    process.stderr.write(stderr.toString());
    process.stderr.write(`build-kernels: ${b.name} failed: ${error.message}\n`);
    process.exit(1);
  }
  const text = readFileSync(wat, 'utf8');
  const problem = memoryOwnership(text);
  if (problem) {
    process.stderr.write(`build-kernels: ${b.name} ${problem}; kernels must own no memory\n`);
    process.exit(1);
  }
  process.stdout.write(`build-kernels: ${wasm}\n`);
}

/** Why the module would touch memory on instantiation, or '' if it would not. */
function memoryOwnership(text) {
  if (/^\s*\(data\b/m.test(text)) return 'has a data segment';
  const start = /^\s*\(start \$([^\s)]+)\)/m.exec(text);
  if (!start) return '';
  const name = start[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const body = new RegExp(`^ \\(func \\$${name}[\\s\\S]*?^ \\)`, 'm').exec(text);
  if (!body) return `has a start function ($${start[1]}) the check cannot find`;
  if (/\.store|memory\.(fill|copy|init|grow)|\bcall\b/.test(body[0])) return `has a start function ($${start[1]}) that writes memory or calls code`;
  return '';
}
