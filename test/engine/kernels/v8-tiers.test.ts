// Every kernel family under both V8 tiers: Liftoff (the baseline compiler
// that runs first; Node 20's miscompiles i32x4.relaxed_dot_i8x16_i7x16_add_s,
// so the relaxed build needs Node >= 22: load.ts) and TurboFan, on this Node
// and, when scripts/fetch-node.sh has put it in .cache/, on Node 24. On
// Node >= 22 each run requires the relaxed build to be present.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const script = join(here, 'all-kernel-checks.ts');

const nodes = [process.execPath];
const node24 = join(root, '.cache', `node24-${process.arch}`, 'bin', 'node');
if (existsSync(node24) && node24 !== process.execPath) nodes.push(node24);

for (const node of nodes) {
  const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const major = Number(version.split('.')[0]);
  for (const tier of ['--liftoff-only', '--no-liftoff']) {
    t.test(`kernel families under Node ${version} ${tier}`, async (t) => {
      const flags = [tier];
      // The test loader flags tap gave this process (TypeScript imports) go to the child too.
      const loader = process.execArgv.filter((a) => a.startsWith('--import') || a === '--enable-source-maps');
      const r = spawnSync(node, [...loader, ...flags, script], {
        encoding: 'utf8', env: { ...process.env, NIBBLE_ALL_KERNEL_CHECKS: '1', NIBBLE_REQUIRE_RELAXED: major >= 22 ? '1' : '0', TS_NODE_TRANSPILE_ONLY: '1' }, maxBuffer: 1 << 26,
      });
      const failures = r.stdout.split('\n').filter((l) => /^\s*not ok/.test(l));
      t.equal(r.status, 0, `exit status (${failures.slice(0, 5).join(' | ') || r.stderr.slice(0, 500)})`);
      for (const name of ['q4_0', 'q4_0x4', 'q5_0x4', 'q8_0x4', 'iq4_nlx4', 'q4_Kx4', 'q5_Kx4', 'q6_Kx4', 'q8_0', 'q4_1', 'q5_0', 'q5_1', 'iq4_nl', 'F16', 'quantizeRowQ8_0', 'thread pool']) {
        t.match(r.stdout, new RegExp(`^ok \\d+ - ${name}`, 'm'), `${name} checks ran and passed`);
      }
    });
  }
}
