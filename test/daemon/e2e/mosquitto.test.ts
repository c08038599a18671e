// End to end against a real mosquitto: MQTT 5 response topic and correlation
// data with real engine answers, streaming, and the broker stopped and
// restarted while requests are queued.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto, mosquittoPath } from '../helpers/mosquitto.js';
import { Asker, Daemon, engineMissing, logJson, makeTestModel, writeConfig } from './helpers.js';

const skip = (await engineMissing()) || (mosquittoPath ? false : 'mosquitto is not installed (.ci/run installs it)');
t.test('nibble serve with mosquitto', { skip }, async (t) => {
  const model = await makeTestModel(256);
  const m = await Mosquitto.start(undefined, true);
  t.teardown(() => m.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'nibble-e2e-mq-'));
  const base = 'e2e/mq';
  const config = writeConfig(`engine:\n  threads: 1\n  context_size: 256\nrequests:\n  max_tokens_cap: 100\n  default_temperature: 0\nmqtt:\n  reconnect_min_ms: 200\n  reconnect_max_ms: 2000\n`);
  const daemon = await Daemon.start({ NIBBLE_MODEL: model, NIBBLE_MQTT_URL: m.url, NIBBLE_BASE_TOPIC: base, NIBBLE_DATA_DIR: dataDir }, ['--config', config]);
  t.teardown(() => { if (daemon.proc.exitCode === null) daemon.kill('SIGKILL'); });
  await daemon.waitLog(/connected to mqtt:/);

  await t.test('MQTT 5: the answer and the stream carry the correlation data; the answer goes to the response topic', async (t) => {
    const a = await Asker.connect(m.url, { protocolVersion: 5 });
    t.teardown(() => a.end());
    await a.client.subscribeAsync(['v5/inbox', `${base}/stream`], { qos: 1 });
    const correlation = Buffer.from('c0ffee', 'hex');
    await a.client.publishAsync(`${base}/ask`, JSON.stringify({ id: 'v5-1', prompt: 'Once upon a time', max_tokens: 12, stream: true }), { qos: 1, properties: { responseTopic: 'v5/inbox', correlationData: correlation } });
    await a.waitAnswers(1, 60_000);
    const ans = a.answers[0];
    t.equal(ans.topic, 'v5/inbox');
    t.same(ans.correlation, correlation);
    t.match(ans.json, { id: 'v5-1', finish_reason: /^(stop|length)$/, completion_tokens: Number });
    t.ok(ans.json.text.length > 0, 'a real answer');
    t.equal(a.pieces.get('v5-1'), ans.json.text, 'the streamed pieces add up to the answer');
  });

  await t.test('broker stopped and restarted mid-run: nibble reconnects and answers what was queued', async (t) => {
    const a = await Asker.connect(m.url, { protocolVersion: 5, clean: false, clientId: 'e2e-restart-asker', properties: { sessionExpiryInterval: 600 } });
    t.teardown(() => a.end());
    await a.client.subscribeAsync('restart/inbox', { qos: 1 });
    const ids = ['m0', 'm1', 'm2', 'm3', 'm4'];
    for (const id of ids) {
      await a.client.publishAsync(`${base}/ask`, JSON.stringify({ id, prompt: `question ${id}`, max_tokens: 60 }), { qos: 1, properties: { responseTopic: 'restart/inbox' } });
    }
    const answeredBefore = a.answers.length;
    await m.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await m.start();
    await a.waitAnswers(5, 120_000);
    await new Promise((r) => setTimeout(r, 500));
    const got = a.answers.map((x) => x.json.id);
    t.same([...new Set(got)].sort(), ids, 'every queued request answered');
    t.comment(`${answeredBefore} answered before the broker stopped, ${got.length} answers received (${got.length - new Set(got).size} QoS 1 redeliveries)`);
    t.ok(a.answers.every((x) => typeof x.json.text === 'string' && x.json.text.length > 0));
    t.match(daemon.logs, /lost the broker at mqtt:\/\/127\.0\.0\.1:\d+; reconnecting in \d+ ms/);
    t.match(daemon.logs, /session resumed/);
    const rows = (await logJson(dataDir)).filter((r) => ids.includes(r.id));
    t.equal(rows.length, 5);
    t.ok(rows.every((r) => r.status === 'done'));
  });

  daemon.kill('SIGINT');
  t.equal((await daemon.exited).code, 0, 'SIGINT: the same orderly shutdown, exit 0');
});
