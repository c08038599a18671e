import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/daemon/store/store.js';
import type { NewRequest } from '../../src/daemon/request.js';
import { spawnTs, waitForLine } from './helpers/child.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-store-'));
const req = (id: string, extra: Partial<NewRequest> = {}): NewRequest => ({
  id, source: 'mqtt', prompt: `p ${id}`, messages: null, system: null,
  params: { max_tokens: 8, temperature: 0, stream: true }, reply: { topic: 'x/y', correlation: 'AQI=' }, dedupKey: null, ...extra,
});

t.test('WAL file; a request goes queued -> running -> done with everything recorded', async (t) => {
  const store = await openStore(join(dir, 'a', 'nibble.db'));
  t.teardown(() => store.close());
  const db = (store as unknown as { db: import('better-sqlite3').Database }).db;
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('synchronous', { simple: true }), 1, 'NORMAL outside the accepting commit');
  const row = store.insertAccepted(req('q1', { messages: [{ role: 'user', content: 'hi' }], prompt: null }));
  t.equal(db.pragma('synchronous', { simple: true }), 1, 'back to NORMAL after it');
  t.equal(row.status, 'queued');
  t.same(row.messages, [{ role: 'user', content: 'hi' }]);
  t.same(row.reply, { topic: 'x/y', correlation: 'AQI=' });
  t.ok(store.markRunning(row.seq));
  t.notOk(store.markRunning(row.seq), 'only a queued row starts');
  const timings = { prompt_ms: 1, prompt_tok_s: 2, decode_ms: 3, decode_tok_s: 4 };
  const done = store.finish(row.seq, { status: 'done', answer: 'hello', finishReason: 'length', promptTokens: 4, completionTokens: 8, timings });
  t.match(done, { status: 'done', answer: 'hello', finishReason: 'length', promptTokens: 4, completionTokens: 8, timings, attempts: 1, delivered: false });
  t.ok(done.startedAt! >= done.createdAt && done.finishedAt! >= done.startedAt!);
  t.same(store.undelivered('mqtt').map((r) => r.seq), [row.seq]);
  store.markDelivered(row.seq);
  t.same(store.undelivered('mqtt'), []);
  const rej = store.insertRejected(req('bad'), { code: 'busy', message: 'queue full' });
  t.match(rej, { status: 'error', error: { code: 'busy', message: 'queue full' } });
  t.same(store.counts(), { queued: 0, running: 0, done: 1, error: 1, cancelled: 0, interrupted: 0 });
});

t.test('recovery: queued stay queued; running rerun once, then interrupted; or interrupted by rule', async (t) => {
  const store = await openStore(join(dir, 'b.db'));
  t.teardown(() => store.close());
  const q = store.insertAccepted(req('q'));
  const r = store.insertAccepted(req('r'));
  store.markRunning(r.seq);
  t.same(store.recover('rerun'), { rerun: 1, interrupted: 0 });
  t.same(store.queued().map((x) => x.id), ['q', 'r']);
  store.markRunning(r.seq); // second attempt, cut off again
  t.same(store.recover('rerun'), { rerun: 0, interrupted: 1 });
  t.match(store.get(r.seq), { status: 'interrupted', error: { code: 'interrupted' }, delivered: false });
  store.markRunning(q.seq);
  t.same(store.recover('interrupt'), { rerun: 0, interrupted: 1 });
  t.equal(store.get(q.seq)!.status, 'interrupted');
});

t.test('dedup key finds a redelivered message; cancel finds the active row by id', async (t) => {
  const store = await openStore(join(dir, 'c.db'));
  t.teardown(() => store.close());
  const a = store.insertAccepted(req('same', { dedupKey: 'client1:7' }), 1000);
  t.equal(store.findDuplicate('client1:7', 500)?.seq, a.seq);
  t.equal(store.findDuplicate('client1:7', 2000), undefined, 'too old to be a redelivery');
  t.equal(store.findDuplicate('client1:8', 0), undefined);
  const b = store.insertAccepted(req('same'));
  t.equal(store.activeById('same')?.seq, b.seq, 'the newest active one');
  store.finish(b.seq, { status: 'cancelled', answer: '', finishReason: 'cancelled', promptTokens: 0, completionTokens: 0, timings: null });
  t.equal(store.activeById('same')?.seq, a.seq);
});

t.test('retention: by age and by row count, only delivered finished rows', async (t) => {
  const store = await openStore(join(dir, 'd.db'));
  t.teardown(() => store.close());
  const day = 86_400_000;
  const now = 100 * day;
  const ids: number[] = [];
  for (let i = 0; i < 10; i++) {
    const row = store.insertAccepted(req(`r${i}`), now - (10 - i) * day);
    store.finish(row.seq, { status: 'done', answer: 'a', finishReason: 'stop', promptTokens: 1, completionTokens: 1, timings: null }, now - (10 - i) * day);
    if (i !== 0) store.markDelivered(row.seq);
    ids.push(row.seq);
  }
  const waiting = store.insertAccepted(req('waiting'), now - 50 * day);
  t.equal(store.prune(5.5, 0, now), 4, 'r1..r4 are older than 5.5 days (r0 is undelivered, kept)');
  t.equal(store.prune(0, 3, now), 2, 'keep the newest 3 delivered finished rows');
  t.same(store.recent(100).map((r) => r.id).sort(), ['r0', 'r7', 'r8', 'r9', 'waiting']);
  t.equal(store.get(waiting.seq)?.status, 'queued', 'a queued request is never pruned');
  t.equal(store.prune(0, 0, now), 0, '0 = no limit');
});

t.test('SIGKILL mid-write: every acknowledged row is there after reopening, the file is intact', async (t) => {
  const path = join(dir, 'kill.db');
  const child = spawnTs(join(import.meta.dirname, 'fixtures', 'store-writer.ts'), [path]);
  let last = 0;
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const l of lines) { const m = l.match(/^acked (\d+)$/); if (m) last = Number(m[1]); }
  });
  await waitForLine(child, /^acked 300$/);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  t.ok(last >= 300, `child acknowledged ${last} rows before it was killed`);
  const store = await openStore(path);
  t.teardown(() => store.close());
  const db = (store as unknown as { db: import('better-sqlite3').Database }).db;
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const seqs = new Set((db.prepare('SELECT seq FROM requests').all() as { seq: number }[]).map((r) => r.seq));
  let missing = 0;
  for (let s = 1; s <= last; s++) if (!seqs.has(s)) missing++;
  t.equal(missing, 0, `all ${last} acknowledged rows survived`);
  const counts = store.counts();
  const rec = store.recover('interrupt');
  t.equal(rec.interrupted, counts.running, 'every running row is marked interrupted by the rule');
  t.equal(store.counts().running, 0);
});
