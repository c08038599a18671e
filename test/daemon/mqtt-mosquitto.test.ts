// The MQTT plugin against a real mosquitto (started here on a random
// loopback port): persistent session, PUBACK after commit, MQTT 5 response
// topic and correlation data, last will, reconnect after a broker restart.
import t from 'tap';
import mqtt, { type MqttClient } from 'mqtt';
import { harness, type Harness } from './helpers/harness.js';
import { Mosquitto, mosquittoPath } from './helpers/mosquitto.js';

if (!mosquittoPath) {
  t.skip('mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)');
} else {
  const until = async (what: string, cond: () => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const client = (url: string, v: 4 | 5 = 5): Promise<MqttClient> => mqtt.connectAsync(url, { protocolVersion: v, reconnectPeriod: 200 });
  const external = (m: Mosquitto, extra: Parameters<typeof harness>[0] = {}) =>
    harness({ ...extra, env: { NIBBLE_MQTT_URL: m.url, ...extra.env }, tweak: (c) => { c.mqtt.reconnect_min_ms = 100; c.mqtt.reconnect_max_ms = 800; extra.tweak?.(c); } });

  t.test('persistent session: requests published while nibble is away are delivered when it is back', async (t) => {
    const m = await Mosquitto.start();
    t.teardown(() => m.stop());
    const base = 'away/test';
    let h: Harness = await external(m, { env: { NIBBLE_BASE_TOPIC: base } });
    await h.plugin.start();
    await until('connected', () => /connected to/.test(h.logs.join('')));
    await h.plugin.stop(); // a clean disconnect: the session stays at the broker
    const asker = await client(m.url);
    t.teardown(() => asker.endAsync());
    for (let i = 0; i < 5; i++) await asker.publishAsync(`${base}/ask`, `offline question ${i}`, { qos: 1 });
    const dbPath = h.dbPath;
    h.store.close();
    h = await external(m, { env: { NIBBLE_BASE_TOPIC: base }, dbPath });
    t.teardown(() => h.close());
    await h.plugin.start();
    await until('5 rows', () => h.store.counts().queued === 5);
    t.same(h.store.queued().map((r) => r.prompt), [0, 1, 2, 3, 4].map((i) => `offline question ${i}`));
    t.match(h.logs.join(''), /session resumed/);
  });

  t.test('PUBACK only after the commit: a failed commit is redelivered by the broker and stored once', async (t) => {
    const m = await Mosquitto.start();
    t.teardown(() => m.stop());
    const h = await external(m);
    t.teardown(() => h.close());
    const store = h.store as unknown as { insertAccepted: (...a: unknown[]) => unknown };
    const real = store.insertAccepted.bind(h.store);
    let failures = 0;
    store.insertAccepted = (...a: unknown[]) => {
      if (failures++ === 0) throw new Error('disk I/O error');
      return real(...a);
    };
    await h.plugin.start();
    await until('connected', () => /connected to/.test(h.logs.join('')));
    const asker = await client(m.url);
    t.teardown(() => asker.endAsync());
    await asker.publishAsync(`${h.base}/ask`, JSON.stringify({ id: 'r1', prompt: 'keep me' }), { qos: 1 });
    await until('redelivered and stored', () => h.store.counts().queued === 1);
    t.equal(failures, 2, 'first delivery failed to commit, the redelivery succeeded');
    t.match(h.logs.join(''), /not acknowledging it, reconnecting so the broker redelivers it/);
    await new Promise((r) => setTimeout(r, 500));
    t.equal(h.store.recent(10).length, 1, 'stored once');
  });

  t.test('MQTT 5: the answer goes to the response topic with the correlation data', async (t) => {
    const m = await Mosquitto.start();
    t.teardown(() => m.stop());
    const h = await external(m);
    t.teardown(() => h.close());
    await h.plugin.start();
    await until('connected', () => /connected to/.test(h.logs.join('')));
    const asker = await client(m.url, 5);
    t.teardown(() => asker.endAsync());
    const got: { topic: string; payload: string; correlation?: Buffer }[] = [];
    asker.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), correlation: packet.properties?.correlationData }));
    await asker.subscribeAsync(['me/inbox', `${h.base}/answer`], { qos: 1 });
    const correlation = Buffer.from([0, 1, 2, 250, 255]);
    await asker.publishAsync(`${h.base}/ask`, JSON.stringify({ id: 'v5', prompt: 'hello', reply_to: 'ignored/for/v5' }), { qos: 1, properties: { responseTopic: 'me/inbox', correlationData: correlation } });
    await asker.publishAsync(`${h.base}/cancel`, '{"id": "v5"}', { qos: 1 });
    await until('answer', () => got.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    t.equal(got.length, 1, 'one answer');
    t.equal(got[0].topic, 'me/inbox', 'the MQTT 5 response topic wins over reply_to');
    t.same(got[0].correlation, correlation);
    t.match(JSON.parse(got[0].payload), { id: 'v5', finish_reason: 'cancelled' });
  });

  t.test('last will on a lost connection; reconnect with back-off after a broker restart', async (t) => {
    const m = await Mosquitto.start();
    t.teardown(() => m.stop());
    const h = await external(m);
    t.teardown(() => h.close());
    await h.plugin.start();
    await until('connected', () => /connected to/.test(h.logs.join('')));
    const watcher = await client(m.url);
    t.teardown(() => watcher.endAsync());
    const statuses: string[] = [];
    watcher.on('message', (topic, payload) => { if (topic.endsWith('/status')) statuses.push(payload.toString()); });
    await watcher.subscribeAsync(`${h.base}/status`, { qos: 1 });
    await until('online', () => statuses.at(-1) === 'online');
    // Cut nibble's connection without a DISCONNECT: the broker publishes the will.
    (h.plugin as unknown as { transport: { client: MqttClient } }).transport.client.stream.destroy();
    await until('offline (will)', () => statuses.includes('offline'));
    await until('online again', () => statuses.at(-1) === 'online');

    await m.stop();
    await new Promise((r) => setTimeout(r, 1200));
    await m.start();
    await until('reconnected', () => (h.logs.join('').match(/connected to/g) ?? []).length >= 3);
    const delays = [...h.logs.join('').matchAll(/reconnecting in (\d+) ms/g)].map((x) => Number(x[1]));
    t.ok(delays.some((d) => d > 100), `the delay grew: ${delays.join(', ')}`);
    t.ok(delays.every((d) => d <= 800), 'and stayed under reconnect_max_ms');
    const asker = await client(m.url);
    t.teardown(() => asker.endAsync());
    await asker.publishAsync(`${h.base}/ask`, 'after the restart', { qos: 1 });
    await until('stored', () => h.store.counts().queued === 1);
    t.pass('requests flow again after the broker came back');
  });
}
