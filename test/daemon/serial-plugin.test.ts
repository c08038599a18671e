// The serial plugin against a real pseudo-terminal made by socat: the
// plugin opens one end with serialport, the test talks on the other end (as
// a microcontroller on the wire would). Unplugging is killing socat.
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../src/daemon/bus.js';
import { loadConfig } from '../../src/daemon/config/load.js';
import { createLogger } from '../../src/daemon/logger.js';
import { SerialPlugin } from '../../src/daemon/plugins/serial.js';
import { RequestQueue } from '../../src/daemon/queue.js';
import { openStore } from '../../src/daemon/store/store.js';
import { ScriptedEngine } from './helpers/scripted-engine.js';

const hasSocat = spawnSync('socat', ['-V']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'nibble-serial-'));
let n = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * socat makes the pty nibble opens at `dev` and connects it to its own
 * stdin/stdout, which the test holds: bytes written to the pipe arrive on the
 * line, and nothing is lost while nibble reopens the device.
 */
class Peer {
  lines: string[] = [];
  private rest = '';
  readonly socat: ChildProcess;

  private constructor(dev: string) {
    this.socat = spawn('socat', ['STDIO', `pty,raw,echo=0,link=${dev}`], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.socat.stdout!.on('data', (chunk: Buffer) => {
      const parts = (this.rest + chunk.toString('utf8')).split('\n');
      this.rest = parts.pop()!;
      this.lines.push(...parts);
    });
  }

  static async open(dev: string): Promise<Peer> {
    const peer = new Peer(dev);
    await until(() => existsSync(dev), 'the socat pty');
    return peer;
  }

  send(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socat.stdin!.write(data, (err) => (err ? reject(err) : resolve())));
  }

  async waitFor(re: RegExp, what = re.source): Promise<RegExpMatchArray> {
    await until(() => this.lines.some((l) => re.test(l)), what);
    return this.lines.find((l) => re.test(l))!.match(re)!;
  }

  /** Pulls the cable: socat exits and the pty is gone. */
  async close(): Promise<void> {
    if (this.socat.exitCode !== null || this.socat.signalCode !== null) return;
    const exited = new Promise((r) => this.socat.once('exit', r));
    this.socat.kill();
    await exited;
  }
}

async function setup(t: Test, stepMs = 2, tweak: (c: ReturnType<typeof loadConfig>) => void = () => {}) {
  const dev = join(dir, `tty${++n}`);
  let peer = await Peer.open(dev);
  const config = loadConfig({});
  Object.assign(config.serial, { enabled: true, device: dev, reconnect_min_ms: 50, reconnect_max_ms: 200, max_line_bytes: 4096 });
  tweak(config);
  const store = await openStore(join(dir, `s${n}.db`));
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l), false);
  const bus = new EventBus({ logger });
  const queue = new RequestQueue({ store, bus, logger, capacity: 4, timeoutMs: 0 });
  const engine = new ScriptedEngine(stepMs);
  const plugin = new SerialPlugin({ config, bus, queue, store, logger });
  await plugin.start();
  queue.start(engine, 'scripted');
  t.teardown(async () => {
    await queue.stop(0);
    await plugin.stop();
    await peer.close();
    store.close();
  });
  return {
    store, logs, engine, queue, config,
    get peer() { return peer; },
    async unplug() { await peer.close(); await until(() => !existsSync(dev), 'socat exit'); },
    async plugIn() { peer = await Peer.open(dev); },
  };
}

t.test('serial line protocol on a real pty pair', { skip: hasSocat ? false : 'socat is not installed' }, async (t) => {
  const s = await setup(t);
  await s.peer.send('the quick brown fox\n');
  const [, id] = await s.peer.waitFor(/^ok (s-[0-9a-f]{8})$/);
  await s.peer.waitFor(new RegExp(`^end ${id} stop 4$`));
  t.same(s.peer.lines, [`ok ${id}`, '| the quick brown fox', `end ${id} stop 4`], 'ok, the answer line, end');
  const row = s.store.undelivered('serial');
  t.equal(row.length, 0, 'the answer is marked delivered');

  // Junk on the wire: invalid UTF-8, control bytes, an over-long line; each gets one err line and the next prompt still works.
  s.peer.lines.length = 0;
  await s.peer.send(Buffer.from([0xff, 0xfe, 0x80, 0x0a]));
  await s.peer.send(Buffer.from('\x00\x01\x02garbage\r\n'));
  await s.peer.send(Buffer.from('x'.repeat(10_000) + '\n'));
  await s.peer.send('/status\n/reboot\none two\n');
  const [, id2] = await s.peer.waitFor(/^ok (s-[0-9a-f]{8})$/);
  await s.peer.waitFor(new RegExp(`^end ${id2} stop 2$`));
  t.same(s.peer.lines.slice(0, 5), [
    'err bad_utf8 line is not valid UTF-8; discarded',
    'err bad_input line holds control bytes (wrong baud rate?); discarded',
    'err too_long line longer than 4096 bytes; discarded up to its end',
    'status idle queue=0 model=scripted',
    'err unknown_command /reboot is not a command; commands are /cancel [id] and /status; start a prompt with // to begin it with /',
  ]);
  t.same(s.peer.lines.slice(5), [`ok ${id2}`, '| one two', `end ${id2} stop 2`]);
  t.notOk(s.logs.join('').includes(' error: '), 'no error logged');
});

t.test('a bare /cancel stops the running request; its end line says cancelled', { skip: hasSocat ? false : 'socat is not installed' }, async (t) => {
  const s = await setup(t, 40);
  await s.peer.send('a b c d e f g h i j k l m n o p\n');
  const [, id] = await s.peer.waitFor(/^ok (s-\w+)$/);
  await until(() => s.queue.runningRequest !== null, 'running');
  await s.peer.send('/cancel\n');
  const [, , tokens] = await s.peer.waitFor(new RegExp(`^end ${id} (cancelled) (\\d+)$`));
  t.ok(Number(tokens) < 16, `stopped after ${tokens} tokens`);
  await s.peer.send('/cancel nope\n');
  await s.peer.waitFor(/^err not_found no queued or running request nope$/);
});

t.test('unplugged and plugged back in: nibble reopens the device and sends the answer it finished meanwhile', { skip: hasSocat ? false : 'socat is not installed' }, async (t) => {
  const s = await setup(t, 60);
  await s.peer.send('slow answer while the cable is out\n');
  const [, id] = await s.peer.waitFor(/^ok (s-\w+)$/);
  await s.unplug();
  await until(() => /serial: .*(closed|ended).*trying again in 50 ms/.test(s.logs.join('')), 'the loss is logged');
  // The request finishes while the device is gone; its answer waits in the store.
  await until(() => s.store.undelivered('serial').length === 1, 'finished undelivered', 15_000);
  await sleep(400);
  const warnings = s.logs.join('').match(/ warn: serial:/g)?.length ?? 0;
  t.equal(warnings, 1, 'one warning per outage; retries are debug lines');
  t.match(s.logs.join(''), /trying again in 200 ms/, 'the delay doubles up to reconnect_max_ms');
  await s.plugIn();
  await s.peer.waitFor(new RegExp(`^end ${id} stop 7$`));
  t.same(s.peer.lines, ['| slow answer while the cable is out', `end ${id} stop 7`], 'the whole answer after the replug');
  t.equal(s.store.undelivered('serial').length, 0);
  await s.peer.send('back again\n');
  await s.peer.waitFor(/^end s-\w+ stop 2$/);
});

t.test('a button answer routed to the serial line; crlf line endings', { skip: hasSocat ? false : 'socat is not installed' }, async (t) => {
  const s = await setup(t, 2, (c) => { c.gpio.answer_to = 'mqtt+serial'; c.serial.line_ending = 'crlf'; });
  const { presetRequest } = await import('../../src/daemon/plugins/gpio.js');
  s.config.gpio.preset_prompt = 'tip of the day';
  const row = s.queue.submit(presetRequest(s.config, 'nibble/pi', 'gpio', new Date()));
  await s.peer.waitFor(new RegExp(`^end ${row.id} stop 4\r$`));
  t.same(s.peer.lines, [`from gpio ${row.id}\r`, '| tip of the day\r', `end ${row.id} stop 4\r`], 'announced, the whole answer, end; each line ends with CRLF');
  t.equal(s.store.undelivered('gpio').length, 1, 'still due on MQTT (the serial line does not mark it delivered)');
});
