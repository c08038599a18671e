#!/usr/bin/env node
// Long GGUF fuzz run against the built reader (npm run build first):
//   node scripts/fuzz-gguf.mjs [CASES=100000] [--seed S] [--real-fraction F]
// Seeds: every .gguf under ../shared/reference (models/ and vocab/, or
// NIBBLE_REFERENCE_DIR) plus 16 synthetic files. Prints progress and a JSON
// summary (cases, outcomes, time, slowest case, peak RSS); exits 1 if any
// case ended in something other than a GgufError or a consistent parse.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runFuzz, syntheticGguf } from './fuzz-gguf-lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { readGgufBytes } = await import(join(root, 'dist/engine/gguf/reader.js'));
const { GgufError } = await import(join(root, 'dist/engine/gguf/errors.js'));

const { values, positionals } = parseArgs({
  options: { seed: { type: 'string', default: '1' }, 'real-fraction': { type: 'string', default: '0.25' } },
  allowPositionals: true,
});
const cases = Number(positionals[0] ?? 100000);
if (!Number.isSafeInteger(cases) || cases < 1) throw new Error(`case count must be a positive integer, not ${positionals[0]}`);

const refDir = process.env.NIBBLE_REFERENCE_DIR ?? resolve(root, '../shared/reference');
const seeds = [];
for (const sub of ['models', 'vocab']) {
  const d = join(refDir, sub);
  if (!existsSync(d)) continue;
  for (const f of readdirSync(d).filter((x) => x.endsWith('.gguf'))) seeds.push({ name: `${sub}/${f}`, bytes: readFileSync(join(d, f)), real: true });
}
for (let i = 0; i < 16; i++) seeds.push({ name: `synthetic-${i}`, bytes: syntheticGguf(1000 + i), real: false });
console.error(`fuzzing ${cases} cases over ${seeds.filter((s) => s.real).length} real and ${seeds.filter((s) => !s.real).length} synthetic seeds`);

const result = runFuzz({
  parse: readGgufBytes,
  isGgufError: (e) => e instanceof GgufError,
  seeds, cases,
  seed: Number(values.seed),
  realFraction: Number(values['real-fraction']),
  onProgress: (o, c) => { if (c % 10240 === 0 && c > 0) console.error(`${c} cases, ${(performance.now() / 1000).toFixed(0)} s, rss ${o.peakRssMb.toFixed(0)} MB, failures ${o.failures.length}`); },
});
console.log(JSON.stringify({ ...result, ms: Math.round(result.ms), failures: result.failures }, null, 1));
process.exitCode = result.failures.length ? 1 : 0;
