import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { repoRoot } from '../helpers/reference.js';

const unit = `${repoRoot}/systemd/nibble.service`;
const text = readFileSync(unit, 'utf8');
const directives = new Map<string, string[]>();
for (const line of text.split('\n')) {
  const m = line.match(/^([A-Za-z]+)=(.*)$/);
  if (m) directives.set(m[1], [...(directives.get(m[1]) ?? []), m[2]]);
}
const one = (k: string) => directives.get(k)?.at(-1);

t.test('the unit says what the daemon relies on', async (t) => {
  t.equal(one('Type'), 'notify');
  t.equal(one('NotifyAccess'), 'all', 'notifications come from a systemd-notify child process');
  t.match(one('WatchdogSec'), /^\d+$/);
  t.equal(one('Restart'), 'on-failure');
  t.equal(one('StateDirectory'), 'nibble', '/var/lib/nibble, passed as STATE_DIRECTORY');
  t.equal(one('ConfigurationDirectory'), 'nibble');
  t.ok(one('User') && one('User') !== 'root', 'a dedicated user');
  t.notOk(directives.has('MemoryDenyWriteExecute'), 'V8 needs W+X memory');
  t.equal(one('NoNewPrivileges'), 'yes');
  t.equal(one('ProtectSystem'), 'strict');
});

const analyze = spawnSync('systemd-analyze', ['--version']);
t.test('systemd-analyze verify passes; security exposure reported', { skip: analyze.status === 0 ? false : 'systemd-analyze not installed' }, async (t) => {
  const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  t.equal(verify.status, 0, verify.stderr);
  t.equal(verify.stderr.split('\n').filter((l) => l.includes('nibble.service')).join('\n'), '', 'no warnings about the unit');
  const sec = spawnSync('systemd-analyze', ['security', '--offline=true', unit], { encoding: 'utf8' });
  const m = `${sec.stdout}${sec.stderr}`.match(/Overall exposure level for nibble\.service: ([\d.]+) (\w+)/);
  t.ok(m, 'security reports an exposure level');
  if (m) {
    t.comment(`systemd-analyze security exposure: ${m[1]} ${m[2]}`);
    t.ok(Number(m[1]) <= 3, `exposure ${m[1]} is at most 3 ("OK")`);
  }
});
