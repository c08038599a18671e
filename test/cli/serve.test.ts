// Start-up paths of `nibble serve` that end before the engine runs: each
// problem is one line naming the key, variable or file at fault.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHub } from '../hub/hub-server.js';
import { freePort } from '../daemon/helpers/mosquitto.js';
import { defaultModel } from '../../src/daemon/config/resolve.js';
import { cli } from './helpers/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-serve-'));

t.test('an invalid config or environment is one line naming the key', async (t) => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'mqtt:\n  brokerport: 1\n');
  const a = await cli(['serve', '--config', bad], { NIBBLE_DATA_DIR: dir });
  t.equal(a.code, 1);
  t.equal(a.stderr, `nibble serve: unknown key "mqtt.brokerport" in ${bad}\n`);
  const b = await cli(['serve'], { NIBBLE_BROKER_PORT: 'abc', NIBBLE_DATA_DIR: dir });
  t.equal(b.stderr, 'nibble serve: environment variable NIBBLE_BROKER_PORT must be an integer from 0 to 65535, got "abc"\n');
  const c = await cli(['serve', 'extra'], {});
  t.equal(c.stderr, 'nibble serve: unexpected argument "extra"\n');
});

t.test('NIBBLE_MODEL pointing nowhere is one line', async (t) => {
  const r = await cli(['serve'], { NIBBLE_MODEL: join(dir, 'none.gguf'), NIBBLE_DATA_DIR: join(dir, 'd1'), NIBBLE_BROKER_PORT: '0' });
  t.equal(r.code, 1);
  t.equal(r.stderr.trim().split('\n').at(-1), `nibble serve: model file ${join(dir, 'none.gguf')} does not exist (set by NIBBLE_MODEL or engine.model)`);
});

t.test('no model and the hub unreachable: one line on how to set NIBBLE_MODEL', async (t) => {
  const port = await freePort();
  const r = await cli(['serve'], { HF_ENDPOINT: `http://127.0.0.1:${port}`, NIBBLE_DATA_DIR: join(dir, 'd2'), NIBBLE_BROKER_PORT: '0' });
  t.equal(r.code, 1);
  const last = r.stderr.trim().split('\n').at(-1)!;
  t.match(last, /^nibble serve: no model at .*qwen2\.5-0\.5b-instruct-q4_k_m\.gguf and the hub is unreachable \(cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\); set NIBBLE_MODEL=\/path\/to\/model\.gguf to use a local GGUF file$/);
});

t.test('no model: the first start downloads the default model', async (t) => {
  const data = randomBytes(100_000);
  const hub = new FakeHub([{ repo: defaultModel.repo, file: defaultModel.file, data }]);
  await hub.start();
  t.teardown(() => hub.stop());
  const dataDir = join(dir, 'd3');
  const r = await cli(['serve'], { HF_ENDPOINT: hub.endpoint, NIBBLE_DATA_DIR: dataDir, NIBBLE_BROKER_PORT: '0' }).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
  const path = join(dataDir, 'models', defaultModel.file);
  t.ok(existsSync(path), 'downloaded into <data dir>/models');
  t.equal(createHash('sha256').update(readFileSync(path)).digest('hex'), createHash('sha256').update(data).digest('hex'));
  // Random bytes are no model: the start fails after the download, with one line, before any engine starts.
  t.equal(r.code, 1);
  t.equal(r.stderr.trim().split('\n').at(-1), `nibble serve: model file ${path} is not a GGUF file (it does not start with "GGUF")`);
});
