import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pull, parseSpec } from '../../src/hub/download.js';
import { HubError, HubUnreachableError } from '../../src/hub/errors.js';
import { FakeHub } from './hub-server.js';

const data = randomBytes(3 * 1024 * 1024 + 17);
const sha = createHash('sha256').update(data).digest('hex');
const repo = 'Qwen/Tiny-GGUF';

async function setup(t: Tap, files = [{ repo, file: 'tiny-q4_k_m.gguf', data }]) {
  const hub = new FakeHub(files);
  await hub.start();
  t.teardown(() => hub.stop());
  const modelsDir = mkdtempSync(join(tmpdir(), 'nibble-pull-'));
  return { hub, modelsDir, env: { HF_ENDPOINT: hub.endpoint } };
}
type Tap = { teardown(fn: () => unknown): void };

t.test('REPO/FILE parsing', async (t) => {
  t.same(parseSpec('a/b/c.gguf'), { repo: 'a/b', file: 'c.gguf' });
  t.same(parseSpec('a/b/sub/c.gguf'), { repo: 'a/b', file: 'sub/c.gguf' });
  t.throws(() => parseSpec('a/c.gguf'), /is not REPO\/FILE/);
  t.throws(() => parseSpec('a/b/../x'), HubError);
});

t.test('downloads through the redirect and checks the sha256', async (t) => {
  const s = await setup(t);
  const r = await pull({ spec: `${repo}/tiny-q4_k_m.gguf`, modelsDir: s.modelsDir, env: s.env });
  t.equal(r.path, join(s.modelsDir, 'tiny-q4_k_m.gguf'));
  t.equal(r.sha256, sha);
  t.equal(r.bytes, data.length);
  t.ok(readFileSync(r.path).equals(data));
  t.notOk(existsSync(`${r.path}.part`));
  t.ok(s.hub.requests.some((q) => q.url.startsWith('/storage/')), 'followed the 302 to storage');
  const again = await pull({ spec: `${repo}/tiny-q4_k_m.gguf`, modelsDir: s.modelsDir, env: s.env });
  t.ok(again.alreadyPresent, 'a second pull verifies and keeps the file');
});

t.test('a download cut off midway resumes with a Range request', async (t) => {
  const s = await setup(t);
  s.hub.cutAfter = [1024 * 1024];
  const spec = `${repo}/tiny-q4_k_m.gguf`;
  await t.rejects(pull({ spec, modelsDir: s.modelsDir, env: s.env }), /was cut off at \d+ of 3145745 bytes .* run the same command again to resume/);
  const part = join(s.modelsDir, 'tiny-q4_k_m.gguf.part');
  const have = statSync(part).size;
  t.ok(have > 0 && have < data.length, `kept the ${have} bytes that arrived`);
  s.hub.requests.length = 0;
  const r = await pull({ spec, modelsDir: s.modelsDir, env: s.env });
  t.equal(r.resumedFrom, have);
  t.ok(readFileSync(r.path).equals(data), 'the resumed file is byte-identical');
  t.ok(s.hub.requests.some((q) => q.range === `bytes=${have}-`), 'asked for the rest only');
});

t.test('a complete .part gets 416 and is verified and kept', async (t) => {
  const s = await setup(t);
  writeFileSync(join(s.modelsDir, 'tiny-q4_k_m.gguf.part'), data);
  const r = await pull({ spec: `${repo}/tiny-q4_k_m.gguf`, modelsDir: s.modelsDir, env: s.env });
  t.equal(r.sha256, sha);
  t.equal(r.resumedFrom, data.length);
});

t.test('a wrong checksum deletes the file and says so', async (t) => {
  const s = await setup(t, [{ repo, file: 'bad.gguf', data, claimedSha: 'ab'.repeat(32) }]);
  await t.rejects(pull({ spec: `${repo}/bad.gguf`, modelsDir: s.modelsDir, env: s.env }), /sha256 of bad\.gguf is [0-9a-f]{64}, but the hub says abab.*deleted/);
  t.notOk(existsSync(join(s.modelsDir, 'bad.gguf')));
  t.notOk(existsSync(join(s.modelsDir, 'bad.gguf.part')));
});

t.test('missing file, unreachable hub, token only to the hub', async (t) => {
  const s = await setup(t);
  await t.rejects(pull({ spec: `${repo}/nope.gguf`, modelsDir: s.modelsDir, env: s.env }), /the hub has no Qwen\/Tiny-GGUF\/nope\.gguf \(HTTP 404\)/);
  const port = s.hub.port;
  await s.hub.stop();
  const err = await pull({ spec: `${repo}/tiny-q4_k_m.gguf`, modelsDir: s.modelsDir, env: { HF_ENDPOINT: `http://127.0.0.1:${port}` } }).catch((e) => e);
  t.type(err, HubUnreachableError);
  t.match(err.message, /cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  const s2 = await setup(t);
  await pull({ spec: `${repo}/tiny-q4_k_m.gguf`, modelsDir: s2.modelsDir, env: { ...s2.env, HF_TOKEN: 'hf_secret' } });
  t.ok(s2.hub.requests.filter((q) => q.url.includes('/resolve/')).every((q) => q.auth === 'Bearer hf_secret'), 'the token goes to the hub');
});
