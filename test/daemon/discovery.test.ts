// Home Assistant discovery: the payload checked against the rules Home
// Assistant documents for device-based MQTT discovery (integrations/mqtt,
// "Device discovery payload", and the text, sensor and button platforms),
// then the live behaviour on a real mosquitto: retained announcement,
// re-announce on homeassistant/status "online", the preset button, removal.
import t from 'tap';
import { Template } from '@huggingface/jinja';
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig } from '../../src/daemon/config/load.js';
import type { NibbleConfig } from '../../src/daemon/config/schema.js';
import { answerPayload } from '../../src/daemon/mqtt/answer.js';
import { discoveryId, discoveryMessage, nibbleVersion, removalMessage } from '../../src/daemon/mqtt/discovery.js';
import { topicsOf } from '../../src/daemon/mqtt/topics.js';
import type { StoredRequest } from '../../src/daemon/request.js';
import { harness } from './helpers/harness.js';
import { Mosquitto, mosquittoPath } from './helpers/mosquitto.js';

// Documented abbreviations (Home Assistant, MQTT discovery) of the keys a
// device, an origin and these three platforms accept; anything else is
// rejected by Home Assistant's config validation as an extra key.
const deviceKeys = new Set(['ids', 'cns', 'name', 'mf', 'mdl', 'mdl_id', 'sw', 'hw', 'sn', 'sa', 'via_device', 'cu']);
const originKeys = new Set(['name', 'sw', 'url']);
const sharedKeys = new Set(['dev', 'o', 'cmps', 'avty_t', 'avty', 'avty_mode', 'avty_tpl', 'pl_avail', 'pl_not_avail', 'stat_t', 'cmd_t', 'qos', 'e']);
const commonEntityKeys = ['p', 'name', 'uniq_id', 'obj_id', 'def_ent_id', 'ic', 'icon', 'ent_cat', 'en', 'json_attr_t', 'json_attr_tpl', 'avty_t', 'pl_avail', 'pl_not_avail', 'qos', 'e'];
const platformKeys: Record<string, { required: string[]; allowed: Set<string> }> = {
  text: { required: ['cmd_t'], allowed: new Set([...commonEntityKeys, 'cmd_t', 'cmd_tpl', 'stat_t', 'val_tpl', 'min', 'max', 'mode', 'ptrn', 'ret']) },
  sensor: { required: ['stat_t'], allowed: new Set([...commonEntityKeys, 'stat_t', 'val_tpl', 'dev_cla', 'stat_cla', 'unit_of_meas', 'exp_aft', 'frc_upd', 'lrst_val_tpl', 'sug_dsp_prc']) },
  button: { required: ['cmd_t'], allowed: new Set([...commonEntityKeys, 'cmd_t', 'cmd_tpl', 'pl_prs', 'dev_cla', 'ret']) },
};
const idCharset = /^[a-zA-Z0-9_-]+$/;
const topicOk = (s: unknown) => typeof s === 'string' && s.length > 0 && !/[+#\0]/.test(s);

/** Every documented rule this payload must meet; returns the problems found. */
function validate(topic: string, payload: Record<string, unknown>, prefix: string): string[] {
  const problems: string[] = [];
  const m = topic.match(/^(.+)\/device\/([^/]+)\/config$/);
  if (!m || m[1] !== prefix) problems.push(`topic ${topic} is not <prefix>/device/<object_id>/config`);
  else if (!idCharset.test(m[2])) problems.push(`object id ${m[2]} is not [a-zA-Z0-9_-]`);
  for (const k of Object.keys(payload)) if (!sharedKeys.has(k)) problems.push(`unknown top-level key ${k}`);
  const dev = payload.dev as Record<string, unknown> | undefined;
  if (!dev) problems.push('dev is required');
  else {
    for (const k of Object.keys(dev)) if (!deviceKeys.has(k)) problems.push(`unknown device key ${k}`);
    if (!Array.isArray(dev.ids) || dev.ids.length === 0 || !dev.ids.every((x) => typeof x === 'string' && x.length > 0)) problems.push('dev.ids must be a non-empty list of strings');
    for (const k of ['name', 'mf', 'mdl', 'sw']) if (typeof dev[k] !== 'string' || dev[k] === '') problems.push(`dev.${k} must be a non-empty string`);
  }
  const o = payload.o as Record<string, unknown> | undefined;
  if (!o) problems.push('o (origin) is required for device discovery');
  else {
    for (const k of Object.keys(o)) if (!originKeys.has(k)) problems.push(`unknown origin key ${k}`);
    if (typeof o.name !== 'string' || o.name === '') problems.push('o.name is required');
    if (o.url !== undefined && !/^https?:\/\//.test(String(o.url))) problems.push('o.url must be a URL');
  }
  if (!topicOk(payload.avty_t)) problems.push('availability topic missing or not a topic');
  const cmps = payload.cmps as Record<string, Record<string, unknown>> | undefined;
  if (!cmps || Object.keys(cmps).length === 0) problems.push('cmps must hold components');
  const uniq = new Set<string>();
  for (const [key, c] of Object.entries(cmps ?? {})) {
    if (!idCharset.test(key)) problems.push(`component id ${key} is not [a-zA-Z0-9_-]`);
    const spec = platformKeys[String(c.p)];
    if (!spec) { problems.push(`${key}: platform ${String(c.p)} unknown`); continue; }
    for (const k of Object.keys(c)) if (!spec.allowed.has(k)) problems.push(`${key}: key ${k} is not a ${c.p} option`);
    for (const k of spec.required) if (!topicOk(c[k])) problems.push(`${key}: ${k} is required`);
    if (typeof c.uniq_id !== 'string' || !idCharset.test(c.uniq_id)) problems.push(`${key}: uniq_id missing or not [a-zA-Z0-9_-]`);
    else if (uniq.has(c.uniq_id)) problems.push(`${key}: uniq_id ${c.uniq_id} repeated`);
    else uniq.add(c.uniq_id);
    if (c.json_attr_t !== undefined && !topicOk(c.json_attr_t)) problems.push(`${key}: json_attr_t not a topic`);
    if (c.p === 'text' && (typeof c.max !== 'number' || c.max > 255)) problems.push(`${key}: a text entity's max is at most 255`);
  }
  return problems;
}

function configWith(tweak: (c: NibbleConfig) => void = () => {}): NibbleConfig {
  const c = loadConfig({});
  tweak(c);
  return c;
}

t.test('the discovery payload meets Home Assistant\'s documented schema', async (t) => {
  const base = 'nibble/kitchen-pi';
  const config = configWith((c) => { c.homeassistant.support_url = 'https://example.org/nibble'; });
  const msg = discoveryMessage({ config, topics: topicsOf(base), version: nibbleVersion() }, base);
  t.equal(msg.topic, 'homeassistant/device/nibble_kitchen-pi/config');
  t.same(validate(msg.topic, msg.payload!, 'homeassistant'), [], 'no problems');
  const p = msg.payload as Record<string, any>;
  t.equal(p.dev.sw, nibbleVersion());
  t.match(nibbleVersion(), /^\d+\.\d+\.\d+/, 'the version comes from package.json');
  t.same(p.o, { name: 'nibble', sw: nibbleVersion(), url: 'https://example.org/nibble' });
  t.equal(p.avty_t, `${base}/status`, 'availability is the status topic (the last will)');
  t.same([p.pl_avail, p.pl_not_avail], ['online', 'offline'], 'the payloads nibble publishes there');
  const byPlatform = Object.values(p.cmps as Record<string, any>).map((c) => [c.p, c.cmd_t ?? c.stat_t]);
  t.same(byPlatform, [['text', `${base}/ask`], ['sensor', `${base}/answer`], ['button', `${base}/preset`], ['sensor', `${base}/state`]]);
  // Without a support URL the origin leaves it out rather than invent one.
  const plain = discoveryMessage({ config: configWith(), topics: topicsOf(base), version: '1.2.3' }, base);
  t.same((plain.payload as any).o, { name: 'nibble', sw: '1.2.3' });
  t.same(validate(plain.topic, plain.payload!, 'homeassistant'), []);
});

t.test('the validator catches what Home Assistant would refuse', async (t) => {
  const base = 'b';
  const good = () => discoveryMessage({ config: configWith(), topics: topicsOf(base), version: '1' }, base);
  const cases: [string, (p: any) => void, RegExp][] = [
    ['no origin', (p) => { delete p.o; }, /origin/],
    ['no device ids', (p) => { p.dev.ids = []; }, /dev.ids/],
    ['bad unique id', (p) => { p.cmps.b_ask.uniq_id = 'b ask'; }, /uniq_id/],
    ['repeated unique id', (p) => { p.cmps.b_state.uniq_id = 'b_answer'; }, /repeated/],
    ['sensor without state topic', (p) => { delete p.cmps.b_answer.stat_t; }, /stat_t is required/],
    ['text max above 255', (p) => { p.cmps.b_ask.max = 1000; }, /at most 255/],
    ['unknown key', (p) => { p.cmps.b_preset.payload_press = 'x'; }, /not a button option/],
    ['no availability', (p) => { delete p.avty_t; }, /availability/],
  ];
  for (const [what, spoil, problem] of cases) {
    const msg = good();
    spoil(msg.payload);
    t.match(validate(msg.topic, msg.payload!, 'homeassistant').join('; '), problem, what);
  }
});

t.test('ids are made from the base topic or node_id with [a-zA-Z0-9_-] only; the prefix is configurable', async (t) => {
  t.equal(discoveryId('nibble/host.local'), 'nibble_host_local');
  t.equal(discoveryId('///'), 'nibble');
  const config = configWith((c) => { c.homeassistant.node_id = 'living room!'; c.homeassistant.discovery_prefix = 'ha'; });
  const msg = discoveryMessage({ config, topics: topicsOf('x/y'), version: '1' }, 'x/y');
  t.equal(msg.topic, 'ha/device/living_room/config');
  t.same(validate(msg.topic, msg.payload!, 'ha'), []);
  t.same(removalMessage(config, 'x/y'), { topic: 'ha/device/living_room/config', payload: null });
});

t.test('the answer sensor state is at most 255 characters; the whole answer is in its attributes', async (t) => {
  const msg = discoveryMessage({ config: configWith(), topics: topicsOf('b'), version: '1' }, 'b');
  const sensor = (msg.payload as any).cmps.b_answer;
  const long = 'word '.repeat(200).trim();
  const row = { id: 'r1', answer: long, finishReason: 'stop', promptTokens: 3, completionTokens: 200, timings: null, error: null, params: { max_tokens: 256, temperature: 0, stream: false } } as unknown as StoredRequest;
  const valueJson = JSON.parse(JSON.stringify(answerPayload(row)));
  // Home Assistant renders val_tpl with Jinja; @huggingface/jinja runs the same expression here.
  const state = new Template(sensor.val_tpl).render({ value_json: valueJson });
  t.equal(state, long.slice(0, 255));
  t.equal(sensor.json_attr_t, sensor.stat_t, 'attributes come from the same JSON answer');
  t.equal(valueJson.text, long, 'the attributes hold the whole text');
  const err = answerPayload({ ...row, error: { code: 'busy', message: 'busy: 32 requests are waiting' } } as StoredRequest);
  t.equal(new Template(sensor.val_tpl).render({ value_json: JSON.parse(JSON.stringify(err)) }), 'error: busy: 32 requests are waiting');
});

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

  t.test('live: announced retained, again when Home Assistant comes online, the button runs the preset, removal clears it', async (t) => {
    const m = await Mosquitto.start();
    t.teardown(() => m.stop());
    const h = await harness({ env: { NIBBLE_MQTT_URL: m.url }, tweak: (c) => { c.gpio.preset_prompt = 'preset on {date}'; } });
    t.teardown(() => h.close());
    const ha: MqttClient = await mqtt.connectAsync(m.url, { protocolVersion: 5 });
    t.teardown(() => ha.endAsync());
    const seen: { topic: string; payload: string; retain: boolean }[] = [];
    ha.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await h.plugin.start();
    const topic = `homeassistant/device/${discoveryId(h.base)}/config`;
    await until('connected', () => /connected to/.test(h.logs.join('')));
    await until('announced', () => /homeassistant: announced/.test(h.logs.join('')));
    await ha.subscribeAsync('homeassistant/device/#', { qos: 1 });
    await until('retained config', () => seen.some((s) => s.topic === topic));
    const first = seen.find((s) => s.topic === topic)!;
    t.ok(first.retain, 'the config is retained');
    const payload = JSON.parse(first.payload);
    t.same(validate(topic, payload, 'homeassistant'), []);

    seen.length = 0;
    await ha.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await until('re-announced', () => seen.some((s) => s.topic === topic));
    t.pass('re-announced after Home Assistant\'s birth message');
    seen.length = 0;
    await ha.publishAsync('homeassistant/status', 'offline', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    t.equal(seen.length, 0, 'nothing on offline');

    await ha.publishAsync(`${h.base}/preset`, 'PRESS', { qos: 1 });
    await until('preset queued', () => h.store.counts().queued === 1);
    const row = h.store.queued()[0];
    t.match(row.prompt, /^preset on \d{4}-\d\d-\d\d$/);
    t.equal(row.reply?.topic ?? null, null, 'answered on <base>/answer, where the answer sensor listens');
    await ha.publishAsync(`${h.base}/ask`, 'typed in the text entity', { qos: 1 });
    await until('text ask queued', () => h.store.counts().queued === 2);

    // Uninstall: an empty retained payload removes the device.
    const removal = removalMessage(h.config, h.base);
    await ha.publishAsync(removal.topic, '', { qos: 1, retain: true });
    const late: MqttClient = await mqtt.connectAsync(m.url, { protocolVersion: 5 });
    t.teardown(() => late.endAsync());
    const lateSeen: string[] = [];
    late.on('message', (tp) => lateSeen.push(tp));
    await late.subscribeAsync('homeassistant/#', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    t.same(lateSeen, [], 'no retained config left');
  });

  t.test('no discovery with the embedded broker, or when switched off', async (t) => {
    const h = await harness();
    t.teardown(() => h.close());
    await h.plugin.start();
    t.notMatch(h.logs.join(''), /homeassistant/);
    const m = await Mosquitto.start();
    t.teardown(() => m.stop());
    const off = await harness({ env: { NIBBLE_MQTT_URL: m.url }, tweak: (c) => { c.homeassistant.enabled = false; } });
    t.teardown(() => off.close());
    await off.plugin.start();
    await until('connected', () => /connected to/.test(off.logs.join('')));
    await new Promise((r) => setTimeout(r, 200));
    t.notMatch(off.logs.join(''), /homeassistant/);
  });
}
