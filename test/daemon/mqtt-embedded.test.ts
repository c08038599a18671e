import t from 'tap';
import { connect as netConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import Database from 'better-sqlite3';
import { harness, type Harness } from './helpers/harness.js';

async function asker(h: Harness): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.plugin.brokerPort}`, { protocolVersion: 4, reconnectPeriod: 0 });
  return c;
}

/** Collects messages on `topic`; `next(n)` waits for the n-th. */
async function collect(c: MqttClient, topic: string) {
  const got: { topic: string; json: any; raw: Buffer; retain: boolean }[] = [];
  c.on('message', (tp, raw, packet) => {
    if (tp !== topic) return;
    let json: unknown = null;
    try { json = JSON.parse(raw.toString()); } catch { /* plain text (status) */ }
    got.push({ topic: tp, json, raw, retain: packet.retain });
  });
  await c.subscribeAsync(topic, { qos: 1 });
  return {
    got,
    async next(n: number, ms = 30_000) {
      const end = Date.now() + ms;
      while (got.length < n) {
        if (Date.now() > end) throw new Error(`only ${got.length} of ${n} messages on ${topic}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return got[n - 1];
    },
  };
}

t.test('embedded broker: 127.0.0.1 only, retained online status and state', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await h.plugin.start();
  const c = await asker(h);
  t.teardown(() => c.endAsync());
  const status = await collect(c, `${h.base}/status`);
  t.equal((await status.next(1)).raw.toString(), 'online');
  t.ok(status.got[0].retain, 'retained');
  h.queue.submit({ id: 'x', source: 'test', prompt: 'p', messages: null, system: null, params: { max_tokens: 1, temperature: 0, stream: false }, reply: null, dedupKey: null });
  const state = await collect(c, `${h.base}/state`);
  t.match((await state.next(1)).json, { state: 'loading', queue: 1 });
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    // Loopback only: the broker is not on the machine's other addresses.
    const s = netConnect({ port: h.plugin.brokerPort, host: '127.0.0.2' });
    s.once('connect', () => { s.destroy(); resolve(null); });
    s.once('error', (e) => resolve(e));
  });
  t.equal(err?.code, 'ECONNREFUSED', 'not listening on 127.0.0.2');
});

t.test('the request row is committed before the asker gets its PUBACK', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await h.plugin.start();
  const c = await asker(h);
  t.teardown(() => c.endAsync());
  const reader = new Database(h.dbPath, { readonly: true });
  t.teardown(() => reader.close());
  for (let i = 0; i < 20; i++) {
    // The callback of a QoS 1 publish runs when the PUBACK arrives.
    await c.publishAsync(`${h.base}/ask`, JSON.stringify({ id: `ack-${i}`, prompt: `q${i}` }), { qos: 1 });
    const row = reader.prepare('SELECT status, prompt FROM requests WHERE id = ?').get(`ack-${i}`) as { status: string; prompt: string } | undefined;
    t.same(row, { status: 'queued', prompt: `q${i}` }, `ack-${i} visible to another connection at PUBACK time`);
  }
});

t.test('a failed commit means no PUBACK: aedes closes the connection', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await h.plugin.start();
  const c = await asker(h);
  t.teardown(() => c.endAsync(true));
  const store = h.store as unknown as { insertAccepted: (...a: unknown[]) => unknown };
  const real = store.insertAccepted.bind(h.store);
  store.insertAccepted = () => { throw new Error('disk I/O error'); };
  const closed = new Promise((r) => c.once('close', r));
  let acked = false;
  c.publish(`${h.base}/ask`, 'will this be stored?', { qos: 1 }, () => { acked = true; });
  await closed;
  t.notOk(acked, 'no PUBACK for a request that was not stored');
  t.match(h.logs.join(''), /could not store a request .* not acknowledged: disk I\/O error/);
  store.insertAccepted = real;
  t.equal(h.store.recent(10).length, 0);
});

t.test('bad input gets an error answer naming the problem; the broker keeps serving', async (t) => {
  const h = await harness({ tweak: (c) => { c.requests.max_tokens_cap = 64; } });
  t.teardown(() => h.close());
  await h.plugin.start();
  const c = await asker(h);
  t.teardown(() => c.endAsync());
  const answers = await collect(c, `${h.base}/answer`);
  const send = (p: string | Buffer) => c.publishAsync(`${h.base}/ask`, p, { qos: 1 });
  await send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0xff, 0xfe, 0x00, 0x80]));
  await send('{"id": "j1", "prompt": "unterminated');
  await send(Buffer.alloc(10 * 1024 * 1024, 0x41));
  await send('{"id": "j3"}');
  await send('{"id": "j4", "prompt": "hi", "colour": "red"}');
  await send('{"id": "j5", "prompt": "hi", "max_tokens": "lots"}');
  await answers.next(6);
  const errs = answers.got.map((a) => a.json);
  t.match(errs[0], { id: /^[0-9a-f]{12}$/, error: { code: 'bad_encoding', message: /UTF-8/ } });
  t.match(errs[1], { error: { code: 'bad_json', message: /not valid JSON/ } });
  t.match(errs[2], { error: { code: 'too_large', message: /10485760 bytes; the limit is 65536/ } });
  t.match(errs[3], { id: 'j3', error: { code: 'bad_request', message: 'missing "prompt" or "messages"' } });
  t.match(errs[4], { id: 'j4', error: { code: 'bad_request', message: /unknown field "colour"/ } });
  t.match(errs[5], { id: 'j5', error: { message: /"max_tokens"/ } });
  t.equal(h.store.counts().error, 6, 'each bad request is logged');
  // still serving: a good request is queued, its clamp recorded
  await send('{"id": "ok", "prompt": "hi", "max_tokens": 100000}');
  const row = h.store.recent(1)[0];
  t.match(row, { id: 'ok', status: 'queued', params: { max_tokens: 64, max_tokens_requested: 100000 } });
});

t.test('reply_to routes the answer; cancel of a queued request answers "cancelled"', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await h.plugin.start();
  const c = await asker(h);
  t.teardown(() => c.endAsync());
  const mine = await collect(c, 'asker/7/reply');
  const shared = await collect(c, `${h.base}/answer`);
  await c.publishAsync(`${h.base}/ask`, JSON.stringify({ id: 'c1', prompt: 'long question', reply_to: 'asker/7/reply' }), { qos: 1 });
  await c.publishAsync(`${h.base}/cancel`, JSON.stringify({ id: 'c1' }), { qos: 1 });
  const a = await mine.next(1);
  t.same(a.json, { id: 'c1', text: '', finish_reason: 'cancelled', prompt_tokens: 0, completion_tokens: 0, timings: {} });
  await new Promise((r) => setTimeout(r, 100));
  t.equal(shared.got.length, 0, 'nothing on <base>/answer');
  const row = h.store.recent(1)[0];
  t.match(row, { id: 'c1', status: 'cancelled', delivered: true });
});

t.test('a full queue answers busy', async (t) => {
  const h = await harness({ tweak: (c) => { c.requests.queue_capacity = 2; } });
  t.teardown(() => h.close());
  await h.plugin.start();
  const c = await asker(h);
  t.teardown(() => c.endAsync());
  const answers = await collect(c, `${h.base}/answer`);
  for (let i = 0; i < 3; i++) await c.publishAsync(`${h.base}/ask`, JSON.stringify({ id: `b${i}`, prompt: 'x' }), { qos: 1 });
  t.match((await answers.next(1)).json, { id: 'b2', error: { code: 'busy', message: /^2 requests are waiting/ } });
  t.same(h.store.counts(), { queued: 2, running: 0, done: 0, error: 1, cancelled: 0, interrupted: 0 });
});

t.test('a redelivered QoS 1 PUBLISH (DUP) is stored once and acknowledged twice', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await h.plugin.start();
  const sock = netConnect({ port: h.plugin.brokerPort, host: '127.0.0.1' });
  t.teardown(() => sock.destroy());
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const acks: number[] = [];
  parser.on('packet', (p) => { if (p.cmd === 'puback') acks.push(p.messageId!); });
  sock.on('data', (d) => parser.parse(d));
  await new Promise((r) => sock.once('connect', r));
  const write = (p: object) => sock.write(mqttPacket.generate(p as mqttPacket.Packet));
  write({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'raw-asker', keepalive: 60 });
  const publish = { cmd: 'publish', topic: `${h.base}/ask`, payload: Buffer.from('{"id": "d1", "prompt": "once"}'), qos: 1, messageId: 42, retain: false };
  write({ ...publish, dup: false });
  write({ ...publish, dup: true });
  const end = Date.now() + 30_000;
  while (acks.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  t.same(acks, [42, 42]);
  t.equal(h.store.recent(10).filter((r) => r.id === 'd1').length, 1, 'one row');
  t.match(h.logs.join(''), /redelivered request was already stored/);
});

t.test('topic filters', async (t) => {
  const { topicMatches } = await import('../../src/daemon/mqtt/topic-match.js');
  t.ok(topicMatches('a/b', 'a/b'));
  t.ok(topicMatches('a/+', 'a/b'));
  t.ok(topicMatches('a/#', 'a/b/c'));
  t.ok(topicMatches('#', 'a'));
  t.ok(topicMatches('a/#', 'a'), '# also matches the parent level');
  t.notOk(topicMatches('a/+', 'a/b/c'));
  t.notOk(topicMatches('a/b/c', 'a/b'));
  t.notOk(topicMatches('#', '$SYS/x'));
});

t.test('after a restart, a held-back answer waits until its asker has subscribed again', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  const row = h.store.insertAccepted({ id: 'late', source: 'mqtt', prompt: 'p', messages: null, system: null, params: { max_tokens: 4, temperature: 0, stream: false }, reply: { topic: 'late/inbox', correlation: null }, dedupKey: null });
  h.store.finish(row.seq, { status: 'interrupted', error: { code: 'interrupted', message: 'request interrupted: the daemon stopped while running it' } });
  await h.plugin.start();
  await new Promise((r) => setTimeout(r, 400));
  t.notOk(h.store.get(row.seq)!.delivered, 'not sent to nobody');
  const c = await asker(h);
  t.teardown(() => c.endAsync());
  const inbox = await collect(c, 'late/inbox');
  t.match((await inbox.next(1)).json, { id: 'late', error: { code: 'interrupted' } });
  t.ok(h.store.get(row.seq)!.delivered);
});
