// Button answers over MQTT: published on gpio.answer_topic, and, when they
// finished while MQTT was down, delivered once the plugin is back.
import t from 'tap';
import mqtt from 'mqtt';
import { presetRequest } from '../../src/daemon/plugins/gpio.js';
import { harness } from './helpers/harness.js';

const until = async (cond: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

t.test('a button answer finished while MQTT was down goes out on its topic at the next start', async (t) => {
  const h = await harness({ tweak: (c) => { c.gpio.answer_topic = 'home/button/answer'; c.gpio.preset_prompt = 'tip'; } });
  t.teardown(() => h.close());
  const row = h.queue.submit(presetRequest(h.config, h.base, 'gpio', new Date()));
  h.store.markRunning(row.seq);
  h.store.finish(row.seq, { status: 'done', answer: 'Drink water.', finishReason: 'stop', promptTokens: 1, completionTokens: 3, timings: null });
  // A serial-only row (no topic) is not MQTT's to send.
  const serialRow = h.queue.submit({ ...presetRequest(h.config, h.base, 'gpio', new Date()), reply: null });
  h.store.markRunning(serialRow.seq);
  h.store.finish(serialRow.seq, { status: 'done', answer: 'no', finishReason: 'stop', promptTokens: 1, completionTokens: 1, timings: null });
  await h.plugin.start();
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.plugin.brokerPort}`);
  t.teardown(() => client.endAsync());
  const got: string[] = [];
  client.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  await client.subscribeAsync('home/button/answer', { qos: 1 });
  await until(() => got.length === 1);
  t.match(JSON.parse(got[0].slice('home/button/answer '.length)), { id: row.id, text: 'Drink water.', finish_reason: 'stop' });
  await until(() => h.store.undelivered('gpio').length === 1);
  t.same(h.store.undelivered('gpio').map((r) => r.id), [serialRow.id], 'only the topic-less row stays undelivered');
});
