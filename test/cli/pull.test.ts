import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHub } from '../hub/hub-server.js';
import { cli } from './helpers/in-process.js';

t.test('nibble pull REPO/FILE into NIBBLE_MODELS_DIR; errors are one line', async (t) => {
  const data = randomBytes(200_000);
  const hub = new FakeHub([{ repo: 'org/Model-GGUF', file: 'model-q4_0.gguf', data }]);
  await hub.start();
  t.teardown(() => hub.stop());
  const models = mkdtempSync(join(tmpdir(), 'nibble-models-'));
  const env = { HF_ENDPOINT: hub.endpoint, NIBBLE_MODELS_DIR: models };
  const ok = await cli(['pull', 'org/Model-GGUF/model-q4_0.gguf'], env);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout, `${join(models, 'model-q4_0.gguf')}\n`);
  t.equal(createHash('sha256').update(readFileSync(join(models, 'model-q4_0.gguf'))).digest('hex'), createHash('sha256').update(data).digest('hex'));

  const dataDir = mkdtempSync(join(tmpdir(), 'nibble-data-'));
  const viaData = await cli(['pull', 'org/Model-GGUF/model-q4_0.gguf'], { HF_ENDPOINT: hub.endpoint, NIBBLE_DATA_DIR: dataDir });
  t.equal(viaData.stdout, `${join(dataDir, 'models', 'model-q4_0.gguf')}\n`, 'default: <data dir>/models');

  const missing = await cli(['pull', 'org/Model-GGUF/other.gguf'], env);
  t.equal(missing.code, 1);
  t.equal(missing.stderr, 'nibble pull: the hub has no org/Model-GGUF/other.gguf (HTTP 404): check the repository and file name\n');
  const bad = await cli(['pull', 'just-a-file.gguf'], env);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^nibble pull: "just-a-file\.gguf" is not REPO\/FILE/);
});
