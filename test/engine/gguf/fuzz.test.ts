// A few thousand seeded mutations of real and synthetic GGUFs, in every
// test run (scripts/fuzz-gguf.mjs does the long runs): each must end in a
// GgufError or a self-consistent parse, in bounded time and memory.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { GgufError } from '../../../src/engine/gguf/errors.js';
import { readGgufBytes } from '../../../src/engine/gguf/reader.js';
// @ts-expect-error plain JavaScript shared with scripts/fuzz-gguf.mjs
import { fieldMap, runFuzz, syntheticGguf } from '../../../scripts/fuzz-gguf-lib.mjs';
import { referencePath } from '../../helpers/reference.js';

interface FuzzResult {
  cases: number; parsed: number; ggufError: number; failures: { case: number; seed: string; what: string; error: string }[];
  maxCaseMs: number; maxCaseCpuMs: number; slowest: string; peakRssMb: number; peakHeapMb: number; ms: number; byOp: Record<string, number>;
}

const seeds: { name: string; bytes: Uint8Array; real: boolean }[] = [];
for (const sub of ['models', 'vocab']) {
  const dir = referencePath(sub);
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.gguf'))) seeds.push({ name: `${sub}/${f}`, bytes: readFileSync(`${dir}/${f}`), real: true });
}
for (let i = 0; i < 12; i++) seeds.push({ name: `synthetic-${i}`, bytes: syntheticGguf(1 + i), real: false });

t.test('the seeds themselves parse, and the field map finds their structure', async (t) => {
  for (const s of seeds) {
    const g = readGgufBytes(s.bytes, s.name);
    const map = fieldMap(s.bytes) as { core: unknown[]; dataOffset: number };
    t.equal(map.dataOffset, g.dataOffset, `${s.name}: field map agrees on the data offset`);
    t.ok(map.core.length >= 4 + 2 * g.metadata.size, `${s.name}: ${map.core.length} header fields`);
  }
});

t.test('3000 seeded mutations: only GgufErrors or consistent parses, bounded time and memory', async (t) => {
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  const r = runFuzz({
    parse: readGgufBytes,
    isGgufError: (e: unknown) => e instanceof GgufError,
    seeds, cases: 3000, seed: 20261128, realFraction: 0.2,
  }) as FuzzResult;
  t.same(r.failures, [], 'no case ended in another exception or an inconsistent parse');
  t.equal(r.cases, 3000);
  t.ok(r.parsed > 100 && r.ggufError > 1000, `both outcomes occur: ${r.parsed} parsed, ${r.ggufError} GgufErrors`);
  for (const op of ['flip', 'field8', 'field4', 'nudge', 'truncate', 'splice', 'shift']) t.ok(r.byOp[op] > 50, `${op} mutations ran (${r.byOp[op]})`);
  t.ok(r.maxCaseCpuMs < 1500, `slowest case ${r.maxCaseCpuMs.toFixed(0)} ms of CPU (${r.slowest})`);
  // the seeds total ~50 MB; no case may allocate beyond what a file can justify
  t.ok(r.peakRssMb < rssBefore + 768, `peak RSS ${r.peakRssMb.toFixed(0)} MB (started at ${rssBefore.toFixed(0)} MB)`);
  t.comment(`fuzz: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s: ${r.parsed} parsed, ${r.ggufError} GgufError; peak RSS ${r.peakRssMb.toFixed(0)} MB`);
});
