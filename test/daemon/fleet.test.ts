// A fleet: two daemons (two real controllers, each with the real engine on a
// tiny reference model) share one request topic through an MQTT 5 shared
// subscription on a real mosquitto. Every request is answered exactly once,
// on the route its asker gave, and both daemons take a share.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig } from '../../src/daemon/config/load.js';
import { resolvePaths } from '../../src/daemon/config/resolve.js';
import { Controller } from '../../src/daemon/controller.js';
import { loadEngineFactory } from '../../src/daemon/engine-loader.js';
import { createLogger } from '../../src/daemon/logger.js';
import { referencePath } from '../helpers/reference.js';
import { engineMissing } from './e2e/helpers.js';
import { Mosquitto, mosquittoPath } from './helpers/mosquitto.js';

const N = 12;
const FLEET = 'fleet/kitchen';

async function until(what: string, cond: () => boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startDaemon(url: string, name: string, model: string): Promise<{ controller: Controller; logs: string[] }> {
  const config = loadConfig({});
  config.engine.model = model;
  config.engine.threads = 1;
  config.store.data_dir = mkdtempSync(join(tmpdir(), `nibble-fleet-${name}-`));
  config.mqtt.url = url;
  config.mqtt.base_topic = `nibble/${name}`;
  config.mqtt.client_id = `nibble-fleet-${name}`;
  config.homeassistant.enabled = false;
  config.fleet.base_topic = FLEET;
  config.fleet.group = 'kitchen';
  const logs: string[] = [];
  const controller = new Controller({
    config, paths: resolvePaths(config, {}), env: {}, logger: createLogger('info', (l) => logs.push(l), false),
    engineFactory: () => loadEngineFactory(),
  });
  await controller.start();
  return { controller, logs };
}

const skip = !mosquittoPath ? 'mosquitto is not installed (.ci/run installs it)' : await engineMissing();

t.test('two daemons on one shared topic: N requests, each answered once, both used', { skip }, async (t) => {
  const m = await Mosquitto.start();
  t.teardown(() => m.stop());
  const model = referencePath('models', 'tiny-llama-bpe.Q4_0.gguf');
  const a = await startDaemon(m.url, 'pi-a', model);
  t.teardown(() => a.controller.stop());
  const b = await startDaemon(m.url, 'pi-b', model);
  t.teardown(() => b.controller.stop());
  await until('both subscribed', () => [a, b].every((d) => /fleet: taking requests on fleet\/kitchen\/ask shared with group "kitchen"/.test(d.logs.join(''))
    && /connected to/.test(d.logs.join(''))));
  // The SUBACK follows the connect log; give it a moment before asking.
  await new Promise((r) => setTimeout(r, 300));

  const asker: MqttClient = await mqtt.connectAsync(m.url, { protocolVersion: 5 });
  t.teardown(() => asker.endAsync());
  const answers: { topic: string; id: string; correlation: string | null; text?: string; error?: unknown }[] = [];
  asker.on('message', (topic, payload, packet) => {
    const json = JSON.parse(payload.toString());
    answers.push({ topic, id: json.id, correlation: packet.properties?.correlationData?.toString() ?? null, text: json.text, error: json.error });
  });
  await asker.subscribeAsync(['me/answers', 'me/replies', `${FLEET}/answer`], { qos: 1 });

  // Three routes, as the contract has them: MQTT 5 response topic, reply_to, or <fleet base>/answer.
  for (let i = 0; i < N; i++) {
    const body = { id: `q${i}`, prompt: `Question number ${i}:`, max_tokens: 3, temperature: 0 };
    if (i % 3 === 0) {
      await asker.publishAsync(`${FLEET}/ask`, JSON.stringify(body), { qos: 1, properties: { responseTopic: 'me/answers', correlationData: Buffer.from(`c${i}`) } });
    } else if (i % 3 === 1) {
      await asker.publishAsync(`${FLEET}/ask`, JSON.stringify({ ...body, reply_to: 'me/replies' }), { qos: 1 });
    } else {
      await asker.publishAsync(`${FLEET}/ask`, JSON.stringify(body), { qos: 1 });
    }
  }
  await until(`${N} answers`, () => answers.length >= N);
  // Anything answered twice would arrive by now.
  await new Promise((r) => setTimeout(r, 1000));

  t.equal(answers.length, N, 'exactly N answers');
  t.same(answers.map((x) => x.id).sort(), Array.from({ length: N }, (_, i) => `q${i}`).sort(), 'each request answered once');
  for (const x of answers) {
    const i = Number(x.id.slice(1));
    const route = i % 3 === 0 ? 'me/answers' : i % 3 === 1 ? 'me/replies' : `${FLEET}/answer`;
    t.equal(x.topic, route, `${x.id} on its route`);
    if (i % 3 === 0) t.equal(x.correlation, `c${i}`, `${x.id} keeps its correlation data`);
    t.equal(x.error, undefined, `${x.id} is an answer, not an error`);
    t.type(x.text, 'string');
  }
  const doneA = a.controller.store!.counts().done ?? 0;
  const doneB = b.controller.store!.counts().done ?? 0;
  t.equal(doneA + doneB, N, `the two logs hold N rows (${doneA} + ${doneB})`);
  t.ok(doneA > 0 && doneB > 0, `both daemons answered (${doneA} and ${doneB})`);
  const idsA = new Set(a.controller.store!.recent(100).map((r) => r.id));
  const idsB = new Set(b.controller.store!.recent(100).map((r) => r.id));
  t.same([...idsA].filter((id) => idsB.has(id)), [], 'no request ran on both');
});
