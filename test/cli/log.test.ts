import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/daemon/store/store.js';
import { createRequire } from 'node:module';
import { cli } from './helpers/in-process.js';

const nativeLoaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('better-sqlite3') || k.endsWith('.node'));

t.test('the CLI (every command registered) loads no native add-on until a daemon command needs one', async (t) => {
  t.same(nativeLoaded(), [], 'nothing native after importing the CLI and its commands');
});

t.test('nibble log reads NIBBLE_DATA_DIR: --json, --tail, text, errors', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nibble-log-'));
  const store = await openStore(join(dataDir, 'nibble.db'));
  const statuses: string[] = [];
  for (let i = 0; i < 60; i++) {
    const row = store.insertAccepted({ id: `id${i}`, source: 'mqtt', prompt: `question ${i}`, messages: null, system: null, params: { max_tokens: 8, temperature: 0, stream: false }, reply: null, dedupKey: null });
    if (i % 4 === 0) { store.markRunning(row.seq); store.finish(row.seq, { status: 'done', answer: `answer ${i}`, finishReason: 'stop', promptTokens: 3, completionTokens: 2, timings: { prompt_ms: 1, prompt_tok_s: 3, decode_ms: 2, decode_tok_s: 1 } }); }
    else if (i % 4 === 1) store.finish(row.seq, { status: 'cancelled', answer: '', finishReason: 'cancelled', promptTokens: 0, completionTokens: 0, timings: null });
    else if (i % 4 === 2) store.finish(row.seq, { status: 'error', error: { code: 'busy', message: 'queue full' } });
    statuses.push(store.get(row.seq)!.status);
  }
  store.close();
  t.ok(nativeLoaded().some((k) => k.includes('better-sqlite3')), 'opening the store is what loads better-sqlite3');
  const env = { NIBBLE_DATA_DIR: dataDir };

  const all = await cli(['log', '--json'], env);
  t.equal(all.code, 0, all.stderr);
  const rows = JSON.parse(all.stdout) as { id: string; status: string; prompt: string; answer: string | null; source: string }[];
  t.equal(rows.length, 50, 'default: the last 50');
  t.same(rows.map((r) => r.id), Array.from({ length: 50 }, (_, i) => `id${i + 10}`), 'oldest first');
  t.same(rows.map((r) => r.status), statuses.slice(10));
  t.match(rows[2], { id: 'id12', source: 'mqtt', status: 'done', prompt: 'question 12', answer: 'answer 12', finish_reason: 'stop', completion_tokens: 2 });
  t.match(rows.find((r) => r.id === 'id14'), { status: 'error', error: { code: 'busy' } });

  const tail = await cli(['log', '--tail', '4'], env);
  t.equal(tail.code, 0);
  const lines = tail.stdout.trim().split('\n');
  t.equal(lines.length, 4);
  t.match(lines[1], /cancelled\s+mqtt\s+id57/);
  t.match(lines[0], /done\s+mqtt\s+id56\s+"question 56"\s+-> "answer 56" \(stop, 2 tokens, 1\.0 tok\/s\)/);
  t.match(lines[3], /queued\s+mqtt\s+id59/);

  const bad = await cli(['log', '--tail', 'x'], env);
  t.equal(bad.code, 1);
  t.equal(bad.stderr, 'nibble log: --tail must be a positive whole number, got "x"\n');
  const none = await cli(['log'], { NIBBLE_DATA_DIR: join(dataDir, 'nope') });
  t.equal(none.code, 1);
  t.match(none.stderr, /^nibble log: no request log at .*nope\/nibble\.db \(set NIBBLE_DATA_DIR to the daemon's data folder\)\n$/);
});
