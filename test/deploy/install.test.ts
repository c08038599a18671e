// deploy/install.sh and uninstall.sh run for real into a temporary root
// (NIBBLE_ROOT), with the commands that would change this machine replaced by
// PATH shims that record their arguments: systemctl, useradd, usermod,
// userdel, getent, npm, apt-get. What this cannot test: a real systemd
// starting the unit, real user creation, npm fetching and building the
// native add-ons on a Pi, and anything armhf.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { loadConfig } from '../../src/daemon/config/load.js';
import { repoRoot } from '../helpers/reference.js';
import { Mosquitto, mosquittoPath } from '../daemon/helpers/mosquitto.js';

const built = existsSync(join(repoRoot, 'dist/cli/main.js')) && existsSync(join(repoRoot, 'kernels/build/nibble-simd128.wasm'));
const nodeOnPath = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim();

interface Sandbox { root: string; shims: string; log: string; state: string }

function sandbox(options: { groups?: string[]; nodeVersion?: string } = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'nibble-install-'));
  const root = join(dir, 'root');
  const shims = join(dir, 'shims');
  const state = join(dir, 'state');
  mkdirSync(root);
  mkdirSync(shims);
  mkdirSync(state);
  const log = join(dir, 'calls.log');
  const shim = (name: string, body: string) => {
    writeFileSync(join(shims, name), `#!/usr/bin/env bash\necho "${name} $*" >> ${log}\n${body}\n`);
    chmodSync(join(shims, name), 0o755);
  };
  shim('systemctl', 'exit 0');
  shim('apt-get', 'exit 0');
  shim('useradd', `touch ${state}/user-"\${@: -1}"`);
  shim('usermod', 'exit 0');
  shim('userdel', `rm -f ${state}/user-"$1"`);
  const groups = (options.groups ?? ['gpio', 'dialout']).join(' ');
  shim('getent', `if [[ $1 == passwd ]]; then [[ -e ${state}/user-$2 ]]; else [[ " ${groups} " == *" $2 "* ]]; fi`);
  // "Installs" the dependencies by linking this checkout's node_modules, so the installed copy can run.
  shim('npm', `echo "cwd $PWD" >> ${log}; if [[ $1 == ci ]]; then ln -sfn ${join(repoRoot, 'node_modules')} node_modules; fi`);
  if (options.nodeVersion) shim('node', `echo ${options.nodeVersion}`);
  return { root, shims, log, state };
}

function run(script: string, s: Sandbox, args: string[] = [], env: Record<string, string> = {}) {
  return spawnSync('bash', [join(repoRoot, 'deploy', script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${s.shims}:${process.env.PATH}`, NIBBLE_ROOT: s.root, NIBBLE_OS_RELEASE: osRelease('12', 'debian'), ...env },
  });
}

function osRelease(version: string, id: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'nibble-os-')), 'os-release');
  writeFileSync(f, `PRETTY_NAME="Test OS ${version}"\nID=${id}\nVERSION_ID="${version}"\n`);
  return f;
}

const calls = (s: Sandbox) => (existsSync(s.log) ? readFileSync(s.log, 'utf8').trim().split('\n') : []);

t.test('install.sh into a temporary root', { skip: built ? false : 'nibble is not built (npm install builds dist/ and kernels/build)' }, async (t) => {
  const s = sandbox();
  const r = run('install.sh', s);
  t.equal(r.status, 0, r.stderr);
  const opt = join(s.root, 'opt/nibble');
  for (const f of ['bin/nibble', 'dist/cli/main.js', 'dist/daemon/plugins/gpio.js', 'kernels/build/nibble-simd128.wasm', 'package.json', 'package-lock.json', 'deploy/uninstall.sh', 'deploy/remove-discovery.mjs']) {
    t.ok(existsSync(join(opt, f)), `/opt/nibble/${f}`);
  }
  t.ok(lstatSync(join(opt, 'bin/nibble')).mode & 0o111, 'bin/nibble is executable');
  t.equal(readlinkSync(join(s.root, 'usr/local/bin/nibble')), '/opt/nibble/bin/nibble');

  const config = join(s.root, 'etc/nibble/config.yaml');
  t.equal(readFileSync(config, 'utf8'), readFileSync(join(repoRoot, 'deploy/config.example.yaml'), 'utf8'), 'config from the example');
  const loaded = loadConfig({ file: config });
  t.equal(loaded.gpio.enabled, true, 'the example config is valid and turns the button on');
  t.equal(loaded.gpio.button_pin, 17);
  t.equal((lstatSync(config).mode & 0o777).toString(8), '640', 'config readable by root and group only (it may hold a broker password)');

  const unit = readFileSync(join(s.root, 'etc/systemd/system/nibble.service'), 'utf8');
  t.match(unit, new RegExp(`^ExecStart=${nodeOnPath} /opt/nibble/bin/nibble serve$`, 'm'), 'ExecStart names the Node that was checked');
  t.match(unit, /^User=nibble$/m);

  const c = calls(s);
  t.ok(c.includes('useradd --system --user-group --home-dir /var/lib/nibble --no-create-home --shell /usr/sbin/nologin nibble'), 'system user created');
  t.ok(c.includes('usermod -a -G gpio nibble') && c.includes('usermod -a -G dialout nibble'), 'groups gpio and dialout');
  const ci = c.indexOf('npm ci --omit=dev --ignore-scripts --no-audit --no-fund');
  t.ok(ci >= 0, 'production dependencies');
  t.equal(c[ci + 1], `cwd ${opt}`, 'installed in /opt/nibble');
  t.ok(c.includes('npm rebuild better-sqlite3 @serialport/bindings-cpp epoll'), 'native add-ons built');
  t.ok(c.includes(`systemctl --root=${s.root} enable nibble.service`), 'unit enabled offline');
  t.notOk(c.some((l) => l.startsWith('systemctl daemon-reload') || l.includes('--now')), 'nothing started under a temporary root');
  t.match(r.stdout, /nibble ask "What can you do\?"/, 'says how to ask a first question');
  t.match(r.stdout, /nibble pull /, 'says how to pull a model');

  // The installed copy runs: the engine command needs no native add-on.
  // (tap's loader options stay out: the installed copy runs plain Node.)
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NODE_OPTIONS') && !k.startsWith('TAP')));
  const inspect = spawnSync('bash', ['-c', 'unset NODE_OPTIONS; exec "$@"', 'nibble', process.execPath, join(opt, 'bin/nibble'), 'inspect', join(repoRoot, 'package.json')], { encoding: 'utf8', env });
  t.equal(inspect.status, 1, inspect.stderr);
  t.match(inspect.stderr, /^nibble inspect: .*not a GGUF file.*\n$/, 'the installed CLI runs (a one-line error for a non-GGUF file)');

  // Again, with an edited config and the user present: the config is kept, no second user.
  writeFileSync(config, 'gpio:\n  button_pin: 22\n');
  writeFileSync(s.log, '');
  const again = run('install.sh', s);
  t.equal(again.status, 0, again.stderr);
  t.equal(readFileSync(config, 'utf8'), 'gpio:\n  button_pin: 22\n', 'existing config kept');
  t.match(again.stdout, /keeping the existing \/etc\/nibble\/config.yaml/);
  t.notOk(calls(s).some((l) => l.startsWith('useradd')), 'user not created twice');

  // uninstall.sh keeps config and data; --purge removes them and the user.
  mkdirSync(join(s.root, 'var/lib/nibble'), { recursive: true });
  const un = run('uninstall.sh', s);
  t.equal(un.status, 0, un.stderr);
  t.notOk(existsSync(opt), '/opt/nibble removed');
  t.notOk(existsSync(join(s.root, 'etc/systemd/system/nibble.service')), 'unit removed');
  t.notOk(existsSync(join(s.root, 'usr/local/bin/nibble')), 'link removed');
  t.ok(existsSync(config) && existsSync(join(s.root, 'var/lib/nibble')), 'config and data kept');
  t.ok(calls(s).includes(`systemctl --root=${s.root} disable nibble.service`));
  t.equal(run('install.sh', s).status, 0);
  const purge = run('uninstall.sh', s, ['--purge']);
  t.equal(purge.status, 0, purge.stderr);
  t.notOk(existsSync(join(s.root, 'etc/nibble')) || existsSync(join(s.root, 'var/lib/nibble')), 'purged');
  t.ok(calls(s).includes('userdel nibble'), 'user deleted');
  t.equal(run('uninstall.sh', s, ['--bogus']).status, 1, 'unknown option refused');
});

t.test('install.sh refuses an old Node or an OS older than Bookworm, and warns about armhf-like gaps', { skip: built ? false : 'not built' }, async (t) => {
  const old = sandbox({ nodeVersion: '18.19.0' });
  const r = run('install.sh', old);
  t.equal(r.status, 1);
  t.match(r.stderr, /error: Node.js 18.19.0 at .* is too old; nibble needs Node >= 20/);
  t.notOk(existsSync(join(old.root, 'opt/nibble')), 'nothing installed');

  const bullseye = sandbox();
  const b = run('install.sh', bullseye, [], { NIBBLE_OS_RELEASE: osRelease('11', 'raspbian') });
  t.equal(b.status, 1);
  t.match(b.stderr, /older than Bookworm/);

  const noGpio = sandbox({ groups: ['dialout'] });
  const g = run('install.sh', noGpio, [], { NIBBLE_OS_RELEASE: osRelease('13', 'debian') });
  t.equal(g.status, 0, g.stderr);
  t.match(g.stderr, /no group gpio on this system/);
  t.ok(calls(noGpio).includes('usermod -a -G dialout nibble'));
});

t.test('uninstall.sh removes the Home Assistant device from the configured broker', { skip: !built ? 'not built' : !mosquittoPath ? 'mosquitto not installed' : false }, async (t) => {
  const m = await Mosquitto.start();
  t.teardown(() => m.stop());
  const s = sandbox();
  t.equal(run('install.sh', s).status, 0);
  writeFileSync(join(s.root, 'etc/nibble/config.yaml'), `mqtt:\n  url: ${m.url}\n  base_topic: nibble/test-pi\n`);
  const topic = 'homeassistant/device/nibble_test-pi/config';
  const ha = await mqtt.connectAsync(m.url);
  t.teardown(() => ha.endAsync());
  await ha.publishAsync(topic, '{"dev":{}}', { qos: 1, retain: true });
  const un = run('uninstall.sh', s);
  t.equal(un.status, 0, un.stderr);
  t.match(un.stdout, /removed the Home Assistant device \(homeassistant\/device\/nibble_test-pi\/config\)/);
  const seen: string[] = [];
  const check = await mqtt.connectAsync(m.url);
  t.teardown(() => check.endAsync());
  check.on('message', (tp, p) => { if (p.length > 0) seen.push(tp); });
  await check.subscribeAsync('homeassistant/#', { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
  t.same(seen, [], 'no retained discovery left');
});

const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
t.test('shellcheck finds nothing in the scripts', { skip: shellcheck ? false : 'shellcheck is not installed' }, async (t) => {
  const r = spawnSync('shellcheck', [join(repoRoot, 'deploy/install.sh'), join(repoRoot, 'deploy/uninstall.sh')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stdout);
});
