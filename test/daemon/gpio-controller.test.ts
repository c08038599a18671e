// The real controller on a machine without GPIO (and with a serial device
// that is not there): the GPIO plugin says so once, in the log and in the
// retained state topic, the serial plugin keeps retrying quietly, and the
// daemon still loads the model and answers over MQTT.
import t from 'tap';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { loadConfig } from '../../src/daemon/config/load.js';
import { resolvePaths } from '../../src/daemon/config/resolve.js';
import { Controller } from '../../src/daemon/controller.js';
import { loadEngineFactory } from '../../src/daemon/engine-loader.js';
import { createLogger } from '../../src/daemon/logger.js';
import { MqttPlugin } from '../../src/daemon/plugins/mqtt.js';
import { referencePath } from '../helpers/reference.js';
import { engineMissing } from './e2e/helpers.js';

const skip = existsSync('/sys/class/gpio') ? 'this machine has sysfs GPIO: the plugin would drive real pins' : await engineMissing();

t.test('no GPIO here: reported once, the daemon runs on and answers', { skip }, async (t) => {
  const config = loadConfig({});
  config.engine.model = referencePath('models', 'tiny-llama-bpe.Q4_0.gguf');
  config.engine.threads = 1;
  config.store.data_dir = mkdtempSync(join(tmpdir(), 'nibble-nogpio-'));
  config.mqtt.broker_port = 0;
  config.mqtt.base_topic = 'pi/nogpio';
  config.gpio.enabled = true;
  config.serial.enabled = true;
  config.serial.device = join(config.store.data_dir, 'no-such-tty');
  config.serial.reconnect_min_ms = 50;
  config.serial.reconnect_max_ms = 100;
  const logs: string[] = [];
  const controller = new Controller({
    config, paths: resolvePaths(config, {}), env: {}, logger: createLogger('debug', (l) => logs.push(l), false),
    engineFactory: () => loadEngineFactory(),
  });
  t.teardown(() => controller.stop());
  await controller.start();
  t.same(controller.plugins.map((p) => p.name), ['mqtt', 'serial', 'gpio']);
  const port = (controller.plugins[0] as MqttPlugin).brokerPort;
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
  t.teardown(() => client.endAsync());
  const messages: Record<string, string[]> = {};
  client.on('message', (topic, payload) => { (messages[topic] ??= []).push(payload.toString()); });
  await client.subscribeAsync(['pi/nogpio/state', 'pi/nogpio/answer'], { qos: 1 });
  await client.publishAsync('pi/nogpio/ask', JSON.stringify({ id: 'still-works', prompt: 'Hello', max_tokens: 2, temperature: 0 }), { qos: 1 });
  const end = Date.now() + 60_000;
  while (!messages['pi/nogpio/answer'] && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  const answer = JSON.parse(messages['pi/nogpio/answer']?.[0] ?? '{}');
  t.equal(answer.id, 'still-works');
  t.type(answer.text, 'string', 'answered');
  const state = JSON.parse(messages['pi/nogpio/state'].at(-1)!);
  t.match(state.gpio, /^unavailable: .*\/sys\/class\/gpio/, 'the state topic says GPIO is unavailable');
  const all = logs.join('');
  t.equal(all.match(/gpio: not available/g)?.length, 1, 'one log line about GPIO');
  t.equal(all.match(/ warn: serial:/g)?.length, 1, 'one warning about the missing serial device');
  t.ok((all.match(/ debug: serial: cannot open/g)?.length ?? 0) >= 1, 'later attempts are debug lines');
});
