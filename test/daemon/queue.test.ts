import t, { type Test } from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../src/daemon/bus.js';
import { createLogger } from '../../src/daemon/logger.js';
import { RequestQueue } from '../../src/daemon/queue.js';
import { openStore } from '../../src/daemon/store/store.js';
import type { NewRequest, StoredRequest } from '../../src/daemon/request.js';
import { ScriptedEngine } from './helpers/scripted-engine.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-queue-'));
let n = 0;
const req = (prompt: string, extra: Partial<NewRequest['params']> = {}): NewRequest => ({
  id: `r${++n}`, source: 'test', prompt, messages: null, system: null,
  params: { max_tokens: 10, temperature: 0, stream: true, ...extra }, reply: null, dedupKey: null,
});

async function setup(t: Test, opts: { capacity?: number; timeoutMs?: number; stepMs?: number } = {}) {
  const store = await openStore(join(dir, `q${++n}.db`));
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l), false);
  const bus = new EventBus({ logger });
  const queue = new RequestQueue({ store, bus, logger, capacity: opts.capacity ?? 32, timeoutMs: opts.timeoutMs ?? 0 });
  const engine = new ScriptedEngine(opts.stepMs ?? 1);
  const finished: StoredRequest[] = [];
  const pieces: string[] = [];
  bus.on('request.finished', (r) => { finished.push(r); });
  bus.on('request.piece', ({ text }) => { pieces.push(text); });
  t.teardown(() => store.close());
  const until = async (cond: () => boolean) => { while (!cond()) await new Promise((r) => setTimeout(r, 5)); };
  return { store, bus, queue, engine, finished, pieces, logs, until };
}

t.test('requests run one at a time, in order, with pieces streamed and rows completed', async (t) => {
  const s = await setup(t);
  let concurrent = 0;
  let maxConcurrent = 0;
  s.bus.on('request.started', () => { concurrent++; maxConcurrent = Math.max(maxConcurrent, concurrent); });
  s.bus.on('request.finished', () => { concurrent--; });
  const rows = ['a b c', 'd e', 'f'].map((p) => s.queue.submit(req(p)));
  t.same(rows.map((r) => r.status), ['queued', 'queued', 'queued'], 'committed as queued before anything runs');
  s.queue.start(s.engine, 'scripted');
  await s.until(() => s.finished.length === 3);
  t.equal(maxConcurrent, 1);
  t.same(s.finished.map((r) => [r.id, r.status, r.answer, r.finishReason]), [[rows[0].id, 'done', 'a b c', 'stop'], [rows[1].id, 'done', 'd e', 'stop'], [rows[2].id, 'done', 'f', 'stop']]);
  t.same(s.pieces.join(''), 'a b cd ef');
  t.same(s.store.counts(), { queued: 0, running: 0, done: 3, error: 0, cancelled: 0, interrupted: 0 });
});

t.test('full queue: the next request gets a busy error, logged', async (t) => {
  const s = await setup(t, { capacity: 2 });
  s.queue.submit(req('1'));
  s.queue.submit(req('2'));
  const busy = s.queue.submit(req('3'));
  t.match(busy, { status: 'error', error: { code: 'busy', message: /^2 requests are waiting \(requests\.queue_capacity is 2\)/ } });
  t.equal(s.finished[0]?.seq, busy.seq, 'its error answer is due at once');
  t.equal(s.queue.length, 2);
});

t.test('cancel a queued and a running request; timeout; engine errors', async (t) => {
  const s = await setup(t, { stepMs: 20, timeoutMs: 150 });
  const long = 'w '.repeat(40).trim();
  const a = s.queue.submit(req(long));
  const b = s.queue.submit(req('queued one'));
  const c = s.queue.submit(req(long, { max_tokens: 40 }));
  const d = s.queue.submit(req('w '.repeat(70).trim()));
  const e = s.queue.submit(req('explode'));
  t.equal(s.queue.cancel(b.id), 'queued');
  t.equal(s.queue.cancel('nope'), null);
  s.queue.start(s.engine, 'scripted');
  await s.until(() => s.queue.runningRequest?.id === a.id);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(s.queue.cancel(a.id), 'running');
  await s.until(() => s.finished.length === 5);
  const by = (id: string) => s.finished.find((r) => r.id === id)!;
  t.match(by(b.id), { status: 'cancelled', finishReason: 'cancelled', answer: '' });
  t.match(by(a.id), { status: 'cancelled', finishReason: 'cancelled' });
  t.ok(by(a.id).completionTokens! > 0 && by(a.id).completionTokens! < 10, 'stopped midway');
  t.match(by(c.id), { status: 'done', finishReason: 'timeout' });
  t.ok(by(c.id).completionTokens! < 40, 'the timeout stopped it');
  t.match(by(d.id), { status: 'error', error: { code: 'prompt_too_long', message: /70 tokens/ } });
  t.match(by(e.id), { status: 'error', error: { code: 'engine_error', message: /worker died/ } });
  t.match(s.logs.join(''), /engine failed on request/);
  t.equal(s.engine.calls.length, 4, 'the cancelled queued request never reached the engine');
  t.equal(s.engine.calls[0].maxTokens, 10);
});

t.test('shutdown: refuses new requests, requeues the running one after the grace time, leaves the rest queued', async (t) => {
  const s = await setup(t, { stepMs: 30 });
  const a = s.queue.submit(req('w '.repeat(30).trim(), { max_tokens: 30 }));
  const b = s.queue.submit(req('x'));
  s.queue.start(s.engine, 'scripted');
  await s.until(() => s.queue.runningRequest !== null);
  const t0 = Date.now();
  await s.queue.stop(100);
  const took = Date.now() - t0;
  t.ok(took >= 90 && took < 1000, `stopped after the grace time (${took} ms)`);
  t.equal(s.store.get(a.seq)!.status, 'queued', 'the cut-off request is queued again');
  t.equal(s.store.get(b.seq)!.status, 'queued');
  t.match(s.queue.submit(req('late')), { status: 'error', error: { code: 'shutting_down' } });
});

t.test('shutdown with a hung engine gives up after grace + settle time and leaves the row running for recovery', async (t) => {
  const s = await setup(t, { stepMs: 5 });
  s.engine.hang = true;
  const a = s.queue.submit(req('a b'));
  s.queue.start(s.engine, 'scripted');
  await s.until(() => s.queue.runningRequest !== null);
  await s.queue.stop(10);
  t.equal(s.store.get(a.seq)!.status, 'running');
  t.match(s.logs.join(''), /did not stop request/);
});

t.test('a listener that throws is logged and the others still run', async (t) => {
  const s = await setup(t);
  let after = 0;
  s.bus.on('request.accepted', () => { throw new Error('plugin bug'); });
  s.bus.on('request.accepted', async () => { throw new Error('async plugin bug'); });
  s.bus.on('request.accepted', () => { after++; });
  s.queue.submit(req('x'));
  await new Promise((r) => setImmediate(r));
  t.equal(after, 1);
  t.match(s.logs.join(''), /listener of "request.accepted" failed: Error: plugin bug/);
  t.match(s.logs.join(''), /async plugin bug/);
});

t.test('an engine that died: the request is queued again for after the restart, and the daemon is told', async (t) => {
  const s = await setup(t);
  const failed: string[] = [];
  s.bus.on('engine.failed', ({ message }) => { failed.push(message); });
  const a = s.queue.submit(req('explode'));
  const b = s.queue.submit(req('next one'));
  s.engine.alive = false;
  s.queue.start(s.engine, 'scripted');
  await s.until(() => failed.length === 1);
  await new Promise((r) => setTimeout(r, 50));
  t.same(failed, ['worker died']);
  t.match(s.store.get(a.seq), { status: 'queued', attempts: 1 }, 'not answered with an error: it runs again');
  t.equal(s.store.get(b.seq)!.status, 'queued', 'nothing more was fed to the dead engine');
  t.equal(s.engine.calls.length, 1);
  t.equal(s.finished.length, 0);
});

t.test('a request that took the engine down twice gets an error instead of a third try', async (t) => {
  const s = await setup(t);
  const a = s.store.insertAccepted(req('explode'));
  s.store.markRunning(a.seq);
  s.store.recover('rerun'); // one earlier attempt, cut off by a crash
  s.queue.restore(s.store.queued());
  s.engine.alive = false;
  s.queue.start(s.engine, 'scripted');
  await s.until(() => s.finished.length === 1);
  t.match(s.finished[0], { status: 'error', attempts: 2, error: { code: 'engine_error', message: /failed twice/ } });
});
