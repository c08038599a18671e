import t from 'tap';
import { SystemdNotifier } from '../../src/daemon/systemd.js';
import { createLogger } from '../../src/daemon/logger.js';
import { openNotifySocket } from './helpers/notify-socket.js';

t.test('READY, STATUS, WATCHDOG only while alive, STOPPING: observed on a real NOTIFY_SOCKET', async (t) => {
  const sock = await openNotifySocket();
  t.teardown(() => sock.close());
  // The npm package runs the binary with this process's environment.
  process.env.NOTIFY_SOCKET = sock.path;
  t.teardown(() => { delete process.env.NOTIFY_SOCKET; });
  let alive = true;
  const logs: string[] = [];
  const n = new SystemdNotifier({
    env: { ...process.env, WATCHDOG_USEC: '300000', WATCHDOG_PID: String(process.pid) },
    logger: createLogger('debug', (l) => logs.push(l), false),
    isAlive: () => alive,
  });
  t.ok(n.enabled);
  t.equal(n.watchdogIntervalMs, 150, 'half of WATCHDOG_USEC');
  const payloads = () => sock.messages.filter((m) => m !== 'BARRIER=1');

  n.status('loading model');
  await n.ready('idle');
  await sock.waitFor(() => payloads().length >= 2);
  t.match(payloads()[0], /^STATUS=loading model\nMAINPID=\d+$/);
  t.match(payloads()[1], /^READY=1\nSTATUS=idle\nMAINPID=\d+$/);

  n.startWatchdog();
  await sock.waitFor(() => payloads().filter((m) => m.includes('WATCHDOG=1')).length >= 3);
  const beatsWhileAlive = payloads().filter((m) => m.includes('WATCHDOG=1')).length;
  alive = false;
  await new Promise((r) => setTimeout(r, 200)); // let a beat already sent arrive
  const before = payloads().filter((m) => m.includes('WATCHDOG=1')).length;
  await new Promise((r) => setTimeout(r, 700)); // four more periods
  t.equal(payloads().filter((m) => m.includes('WATCHDOG=1')).length, before, 'no WATCHDOG=1 while the engine is not alive');
  t.match(logs.join(''), /no longer feeding the systemd watchdog/);
  alive = true;
  await sock.waitFor(() => payloads().filter((m) => m.includes('WATCHDOG=1')).length > before);
  t.ok(beatsWhileAlive >= 3);
  n.stopWatchdog();

  await n.stopping('stopping: finishing 1 request');
  await sock.waitFor(() => payloads().some((m) => m.includes('STOPPING=1')));
  t.match(payloads().find((m) => m.includes('STOPPING=1')), /STOPPING=1/);
  t.match(payloads().find((m) => m.includes('STOPPING=1')), /STATUS=stopping: finishing 1 request/);
});

t.test('statuses: at most one a second, the latest wins; flush sends the waiting one', async (t) => {
  const sock = await openNotifySocket();
  t.teardown(() => sock.close());
  process.env.NOTIFY_SOCKET = sock.path;
  t.teardown(() => { delete process.env.NOTIFY_SOCKET; });
  const n = new SystemdNotifier({ env: process.env, logger: createLogger('error', () => {}, false), isAlive: () => true });
  n.status('a');
  await new Promise((r) => setTimeout(r, 50));
  n.status('b');
  n.status('c');
  await new Promise((r) => setTimeout(r, 300));
  await sock.waitFor((m) => m.some((x) => x.startsWith('STATUS=a')));
  t.notOk(sock.messages.some((m) => /STATUS=[bc]/.test(m)), 'nothing more within the second');
  await n.flush();
  await sock.waitFor((m) => m.some((x) => x.startsWith('STATUS=c')));
  const statuses = sock.messages.filter((m) => m.startsWith('STATUS=')).map((m) => m.split('\n')[0]);
  t.same(statuses, ['STATUS=a', 'STATUS=c'], 'b was replaced by c');
});

t.test('without NOTIFY_SOCKET nothing is sent and no watchdog runs', async (t) => {
  const n = new SystemdNotifier({ env: {}, logger: createLogger('error', () => {}, false), isAlive: () => true });
  t.notOk(n.enabled);
  t.equal(n.watchdogIntervalMs, null);
  await n.ready('idle');
  n.startWatchdog();
  t.pass();
  const other = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '1000000', WATCHDOG_PID: '1' }, logger: createLogger('error', () => {}, false), isAlive: () => true, pid: 99 });
  t.equal(other.watchdogIntervalMs, null, 'the watchdog is for another process');
});
