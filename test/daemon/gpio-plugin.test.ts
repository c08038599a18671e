import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../src/daemon/bus.js';
import { loadConfig } from '../../src/daemon/config/load.js';
import type { NibbleConfig } from '../../src/daemon/config/schema.js';
import { FakeGpioDriver } from '../../src/daemon/gpio/fake-driver.js';
import { createLogger } from '../../src/daemon/logger.js';
import { GpioPlugin } from '../../src/daemon/plugins/gpio.js';
import { RequestQueue } from '../../src/daemon/queue.js';
import type { StoredRequest } from '../../src/daemon/request.js';
import { openStore } from '../../src/daemon/store/store.js';
import { ScriptedEngine } from './helpers/scripted-engine.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-gpio-'));
let n = 0;

// A Pi 5 on kernel 6.6: BCM n is sysfs 571 + n.
function pi5Sysfs(): string {
  const root = join(dir, `sysfs${++n}`);
  mkdirSync(join(root, 'gpiochip571'), { recursive: true });
  writeFileSync(join(root, 'gpiochip571', 'base'), '571\n');
  writeFileSync(join(root, 'gpiochip571', 'ngpio'), '54\n');
  writeFileSync(join(root, 'gpiochip571', 'label'), 'pinctrl-rp1\n');
  return root;
}

const until = async (cond: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

async function setup(t: Test, opts: { tweak?: (c: NibbleConfig) => void; sysfs?: string; driver?: FakeGpioDriver; stepMs?: number; now?: Date } = {}) {
  const config = loadConfig({});
  config.gpio.enabled = true;
  config.gpio.debounce_ms = 20;
  opts.tweak?.(config);
  const store = await openStore(join(dir, `g${++n}.db`));
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l), false);
  const bus = new EventBus({ logger });
  const queue = new RequestQueue({ store, bus, logger, capacity: 4, timeoutMs: 0 });
  const driver = opts.driver ?? new FakeGpioDriver();
  const unavailable: string[] = [];
  const plugin = new GpioPlugin({
    config, baseTopic: 'nibble/pi', bus, queue, logger,
    loadDriver: async () => driver, sysfsRoot: opts.sysfs ?? pi5Sysfs(),
    now: () => opts.now ?? new Date(2026, 2, 14, 7, 5, 9),
    ledTimings: { slowMs: 20, fastMs: 4, errorMs: 150 },
    onUnavailable: (m) => unavailable.push(m),
  });
  const accepted: StoredRequest[] = [];
  const finished: StoredRequest[] = [];
  bus.on('request.accepted', (r) => { accepted.push(r); });
  bus.on('request.finished', (r) => { finished.push(r); });
  t.teardown(async () => { await queue.stop(0); await plugin.stop(); store.close(); });
  return { config, store, bus, queue, driver, plugin, logs, unavailable, accepted, finished, engine: new ScriptedEngine(opts.stepMs ?? 1) };
}

t.test('the button opens BCM pins at the chip base; a debounced press queues the preset prompt with date and time', async (t) => {
  const s = await setup(t);
  await s.plugin.start();
  const button = s.driver.inputs.get(571 + 17);
  t.ok(button, 'button on sysfs 588');
  t.same(button!.options, { edge: 'rising', activeLow: true, debounceMs: 20 });
  t.ok(s.driver.outputs.get(571 + 27), 'LED on sysfs 598');
  t.same(s.driver.outputs.get(598)!.options, { activeLow: false });
  // A bouncing contact: several edges within the debounce time make one press.
  for (const v of [1, 0, 1, 0, 1] as const) s.driver.setInput(588, v);
  await until(() => s.accepted.length > 0);
  await new Promise((r) => setTimeout(r, 60));
  t.equal(s.accepted.length, 1, 'one press');
  const row = s.accepted[0];
  t.equal(row.source, 'gpio');
  t.equal(row.prompt, 'Give me one short, friendly tip for the day. It is Saturday, 2026-03-14, 07:05.');
  t.same(row.reply, { topic: 'nibble/pi/answer', correlation: null }, 'answer goes to <base>/answer by default');
  t.match(row.id, /^gpio-[0-9a-f]{8}$/);
});

t.test('a press while the button request is unfinished is ignored; after it finishes the next press runs', async (t) => {
  const s = await setup(t, { stepMs: 20, tweak: (c) => { c.gpio.debounce_ms = 0; c.gpio.answer_to = 'log'; c.gpio.preset_prompt = 'one two three at {time}'; } });
  await s.plugin.start();
  s.driver.setInput(588, 1);
  s.driver.setInput(588, 0);
  s.driver.setInput(588, 1);
  t.equal(s.accepted.length, 1);
  t.match(s.logs.join(''), /still unfinished; ignored/);
  t.equal(s.accepted[0].reply, null, 'answer_to log: no reply route');
  s.queue.start(s.engine, 'scripted');
  await until(() => s.finished.length === 1);
  t.match(s.logs.join(''), /gpio: answer to gpio-[0-9a-f]+: "one two three at 07:05"/);
  s.driver.setInput(588, 0);
  s.driver.setInput(588, 1);
  t.equal(s.accepted.length, 2, 'next press accepted');
});

t.test('falling edge, active high, custom answer topic', async (t) => {
  const s = await setup(t, { tweak: (c) => { c.gpio.edge = 'falling'; c.gpio.active_low = false; c.gpio.debounce_ms = 0; c.gpio.answer_topic = 'home/pi/button'; c.gpio.led_pin = -1; } });
  await s.plugin.start();
  t.equal(s.driver.outputs.size, 0, 'no LED');
  t.same(s.driver.inputs.get(588)!.options.edge, 'falling');
  s.driver.setInput(588, 1);
  t.equal(s.accepted.length, 0, 'rising edge is not a press');
  s.driver.setInput(588, 0);
  t.equal(s.accepted.length, 1);
  t.equal(s.accepted[0].reply?.topic, 'home/pi/button');
});

t.test('the LED blinks slowly while loading, is on while busy, off when idle, and blinks fast after an error', async (t) => {
  const s = await setup(t, { stepMs: 30, tweak: (c) => { c.gpio.debounce_ms = 0; } });
  await s.plugin.start();
  const led = s.driver.outputs.get(598)!;
  // Timers run late on a busy machine, never early: the checks use the
  // intervals between writes, not counts in a fixed window.
  const intervals = (from: number) => led.times.slice(from + 1).map((ts, i) => ts - led.times[from + i]);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  await until(() => led.writes.length >= 6);
  t.same(led.writes.slice(0, 6), [1, 0, 1, 0, 1, 0], 'loading (the plugin starts before the model): blinking from on');
  t.ok(intervals(0).slice(0, 5).every((d) => d >= 19), `slow blink half period >= 20 ms (${intervals(0).slice(0, 5).map(Math.round)})`);
  s.queue.start(s.engine, 'scripted');
  s.bus.emit('state', { state: 'idle', model: 'scripted', queue: 0, running: null });
  s.driver.setInput(588, 1);
  await until(() => s.queue.runningRequest !== null);
  t.equal(led.writes.at(-1), 1, 'on while busy');
  const busyWrites = led.writes.length;
  await new Promise((r) => setTimeout(r, 50));
  t.equal(led.writes.length, busyWrites, 'steady while busy');
  await until(() => s.finished.length === 1);
  t.equal(led.writes.at(-1), 0, 'off when idle');
  // An error answer (a refused request) blinks fast, then the LED shows the state again.
  const before = led.writes.length;
  s.queue.reject({ id: 'x', source: 'mqtt', prompt: 'p', messages: null, system: null, params: { max_tokens: 1, temperature: 0, stream: false }, reply: null, dedupKey: null }, { code: 'busy', message: 'busy' });
  await until(() => led.writes.length >= before + 6);
  const fast = intervals(before).slice(0, 5);
  t.ok(fast.every((d) => d >= 3), `fast half period >= 4 ms (${fast.map(Math.round)})`);
  t.ok(median(fast) < 20, `fast is faster than the slow blink (median ${Math.round(median(fast))} ms)`);
  const errorStart = led.times[before];
  await until(() => performance.now() - errorStart > 200 && led.writes.at(-1) === 0);
  const settled = led.writes.length;
  await new Promise((r) => setTimeout(r, 30));
  t.equal(led.writes.length, settled, 'blinking stopped after errorMs');
  t.equal(led.writes.at(-1), 0, 'back to idle (off)');
  t.ok(led.times[settled - 1] - errorStart >= 149, 'the error pattern lasted errorMs (150 ms)');
  await s.plugin.stop();
  t.ok(led.closed && s.driver.inputs.get(588)!.closed, 'pins released on stop');
});

t.test('without GPIO the plugin reports once and stays out of the way', async (t) => {
  const s = await setup(t, { sysfs: join(dir, 'no-gpio-here') });
  await s.plugin.start();
  await s.plugin.stop();
  await s.plugin.start();
  t.equal(s.unavailable.length, 1, 'reported once');
  t.match(s.unavailable[0], /no sysfs GPIO/);
  t.equal(s.logs.join('').match(/gpio: not available/g)?.length, 1, 'one log line');
  t.equal(s.driver.inputs.size + s.driver.outputs.size, 0);
  t.match(s.plugin.unavailable, /no sysfs GPIO/);

  // A line that fails to open (busy, no permission) closes what was opened before it.
  const driver = new FakeGpioDriver();
  driver.missing.add(588);
  const s2 = await setup(t, { driver });
  await s2.plugin.start();
  t.ok(driver.outputs.get(598)?.closed, 'LED opened first, then closed');
  t.match(s2.unavailable[0], /cannot open GPIO line 588/);

  // A driver that cannot load (onoff missing, not accessible) is the same.
  const s3 = await setup(t);
  const plugin = new GpioPlugin({ config: s3.config, baseTopic: 'b', bus: s3.bus, queue: s3.queue, logger: createLogger('error', () => {}, false), loadDriver: async () => { const { GpioUnavailableError } = await import('../../src/daemon/gpio/driver.js'); throw new GpioUnavailableError('sysfs GPIO is not accessible'); } });
  await plugin.start();
  t.match(plugin.unavailable, /not accessible/);
});

t.test('a bad preset template is a clear error at start', async (t) => {
  const s = await setup(t, { tweak: (c) => { c.gpio.preset_prompt = 'It is {hour}'; } });
  await t.rejects(s.plugin.start(), { name: 'PresetTemplateError', message: 'gpio.preset_prompt uses {hour}; the placeholders are {date}, {time}, {weekday}, {datetime}' });
});
