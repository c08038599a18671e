// Runs every kernel family test and the activation quantizer test in one
// process: v8-tiers.test.ts and scripts/test-arm64.sh start this file under
// other V8 flags and other Node binaries, with NIBBLE_ALL_KERNEL_CHECKS=1
// (tap also runs every .ts under test/; without the variable this file
// checks nothing, since those files run on their own). With
// NIBBLE_REQUIRE_RELAXED=1 it fails unless the relaxed build runs here too,
// so a missing flag cannot silently skip half the checks.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { availableBuilds } from './harness.js';

// Under qemu-user the whole suite takes minutes: no root timeout.
t.setTimeout(0);
const here = dirname(fileURLToPath(import.meta.url));
if (process.env['NIBBLE_REQUIRE_RELAXED'] === '1') {
  t.ok(availableBuilds().includes('relaxed'), `relaxed build runs under Node ${process.version} ${process.arch} ${process.execArgv.filter((a) => !a.startsWith('--import')).join(' ')}`);
}
const enabled = process.env['NIBBLE_ALL_KERNEL_CHECKS'] === '1';
if (!enabled) t.plan(0, 'the family tests run as their own files in this run');
const files = !enabled ? [] : [
  ...readdirSync(join(here, 'families')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(here, 'families', f)),
  join(here, 'q8-act.test.ts'),
  join(here, 'ops.test.ts'),
  join(here, 'pool-smoke.ts'),
];
for (const f of files) await import(pathToFileURL(f).href);
