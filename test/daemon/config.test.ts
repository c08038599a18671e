import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, defaultConfig } from '../../src/daemon/config/load.js';
import { resolvePaths } from '../../src/daemon/config/resolve.js';
import { configSchema, type SchemaNode } from '../../src/daemon/config/schema.js';
import { ConfigError } from '../../src/daemon/config/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

t.test('every schema key has a title, a description and a default', async (t) => {
  const walk = (node: SchemaNode, path: string): void => {
    t.ok(node.title.length > 0 && node.description.length > 10, `${path} documented`);
    if (node.type === 'object') for (const [k, v] of Object.entries(node.properties)) walk(v, path ? `${path}.${k}` : k);
    else t.ok('default' in node, `${path} has a default`);
  };
  walk(configSchema, '');
});

t.test('defaults: queue 32, embedded broker on 1883, rerun recovery', async (t) => {
  const c = loadConfig({ env: {} });
  t.equal(c.requests.queue_capacity, 32);
  t.equal(c.mqtt.url, null);
  t.equal(c.mqtt.broker_port, 1883);
  t.equal(c.requests.recovery, 'rerun');
  t.same(c, defaultConfig());
});

t.test('a YAML and a JSON file set nested keys; the rest keep defaults', async (t) => {
  const y = loadConfig({ file: file('a.yaml', 'mqtt:\n  url: mqtt://broker.lan:1883\n  username: ha\nrequests:\n  queue_capacity: 4\n') });
  t.equal(y.mqtt.url, 'mqtt://broker.lan:1883');
  t.equal(y.mqtt.username, 'ha');
  t.equal(y.requests.queue_capacity, 4);
  t.equal(y.requests.max_tokens_cap, 1024);
  const j = loadConfig({ file: file('a.json', '{"engine": {"threads": 3}, "log_level": "debug"}') });
  t.equal(j.engine.threads, 3);
  t.equal(j.log_level, 'debug');
  t.same(loadConfig({ file: file('empty.yaml', '') }), defaultConfig());
});

t.test('errors name the file and the key, in one line', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['u.yaml', 'mqtt:\n  urll: x\n', /^unknown key "mqtt\.urll" in .*u\.yaml$/],
    ['v.yaml', 'colour: blue\n', /^unknown key "colour" in /],
    ['w.yaml', 'mqtt:\n  broker_port: "abc"\n', /^"mqtt\.broker_port" in .*w\.yaml must be an integer from 0 to 65535, got "abc"$/],
    ['x.yaml', 'mqtt:\n  broker_port: 70000\n', /"mqtt\.broker_port" .* got 70000$/],
    ['y.yaml', 'requests:\n  recovery: maybe\n', /"requests\.recovery" .* must be one of rerun, interrupt, got "maybe"/],
    ['z.yaml', 'mqtt: 5\n', /"mqtt" in .* must be a mapping of keys, got 5/],
    ['b.json', '{"engine": {', /is not valid JSON/],
    ['c.yaml', 'a: [1\n', /is not valid YAML/],
    ['d.yaml', 'mqtt:\n  reconnect_min_ms: 5000\n  reconnect_max_ms: 100\n', /"mqtt\.reconnect_min_ms" \(5000\) .* above "mqtt\.reconnect_max_ms" \(100\)/],
    ['e.yaml', 'mqtt:\n  base_topic: "home/#"\n', /"mqtt\.base_topic" must be a topic without wildcards/],
    ['f.yaml', 'engine:\n  threads: 1.5\n', /"engine\.threads" .* must be an integer/],
    ['g.yaml', 'mqtt:\n  enabled: "yes"\n', /"mqtt\.enabled" .* must be true or false/],
  ];
  for (const [name, text, re] of cases) {
    const err = (() => { try { loadConfig({ file: file(name, text) }); } catch (e) { return e as Error; } })();
    t.type(err, ConfigError, name);
    t.match(err?.message ?? '', re, name);
    t.notOk(err?.message.includes('\n'), `${name}: one line`);
  }
  t.throws(() => loadConfig({ file: join(dir, 'missing.yaml') }), /cannot read config file .*missing\.yaml/);
});

t.test('environment overrides, exactly the documented ones, win over the file', async (t) => {
  const env = {
    NIBBLE_MODEL: '/m/x.gguf', NIBBLE_MQTT_URL: 'mqtt://127.0.0.1:1999', NIBBLE_BROKER_PORT: '2883',
    NIBBLE_BASE_TOPIC: 'test/pi', NIBBLE_DATA_DIR: '/tmp/nd', NIBBLE_THREADS: '2', NIBBLE_OTHER: 'ignored',
  };
  const c = loadConfig({ file: file('h.yaml', 'engine:\n  threads: 4\n'), env });
  t.equal(c.engine.model, '/m/x.gguf');
  t.equal(c.mqtt.url, 'mqtt://127.0.0.1:1999');
  t.equal(c.mqtt.broker_port, 2883);
  t.equal(c.mqtt.base_topic, 'test/pi');
  t.equal(c.store.data_dir, '/tmp/nd');
  t.equal(c.engine.threads, 2);
  t.throws(() => loadConfig({ env: { NIBBLE_BROKER_PORT: 'x1' } }), /^environment variable NIBBLE_BROKER_PORT must be an integer from 0 to 65535, got "x1"$/);
  t.throws(() => loadConfig({ env: { NIBBLE_THREADS: '-1' } }), /NIBBLE_THREADS must be an integer from 0/);
  t.throws(() => loadConfig({ env: { NIBBLE_MQTT_URL: 'localhost' } }), /"mqtt\.url" must be an mqtt:\/\//);
  t.equal(loadConfig({ env: { NIBBLE_THREADS: '' } }).engine.threads, 0, 'an empty variable is unset');
});

t.test('resolved paths: ./data, STATE_DIRECTORY under systemd, base topic from the host name', async (t) => {
  const c = loadConfig({ env: {} });
  const local = resolvePaths(c, {}, '/srv/app');
  t.equal(local.dataDir, '/srv/app/data');
  t.equal(local.modelsDir, '/srv/app/data/models');
  t.ok(local.modelIsDefault);
  t.match(local.modelPath, /\/srv\/app\/data\/models\/qwen2\.5-0\.5b-instruct-q4_k_m\.gguf$/);
  t.match(local.baseTopic, /^nibble\/[^/+#]+$/);
  const sd = resolvePaths(c, { STATE_DIRECTORY: '/var/lib/nibble', NIBBLE_MODELS_DIR: '/opt/models' }, '/');
  t.equal(sd.dataDir, '/var/lib/nibble');
  t.equal(sd.modelsDir, '/opt/models');
  const set = resolvePaths(loadConfig({ env: { NIBBLE_MODEL: 'm.gguf', NIBBLE_BASE_TOPIC: 'a/b/' } }), {}, '/w');
  t.equal(set.modelPath, '/w/m.gguf');
  t.notOk(set.modelIsDefault);
  t.equal(set.baseTopic, 'a/b');
});
