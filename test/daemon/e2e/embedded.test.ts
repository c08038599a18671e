// End to end on the embedded broker: the real daemon process, the real engine
// on a synthetic model, systemd notifications on a real NOTIFY_SOCKET.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { repoRoot } from '../../helpers/reference.js';
import { cli } from '../../cli/helpers/in-process.js';
import { freePort } from '../helpers/mosquitto.js';
import { openNotifySocket } from '../helpers/notify-socket.js';
import { Asker, Daemon, engineMissing, logJson, makeTestModel, writeConfig } from './helpers.js';

const skip = await engineMissing();
t.test('nibble serve end to end (embedded broker)', { skip }, async (t) => {
  const model = await makeTestModel(256);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'nibble-e2e-data-'));
  const base = 'e2e/pi';
  const config = writeConfig(`engine:\n  threads: 1\n  context_size: 128\nrequests:\n  max_tokens_cap: 12\n  default_max_tokens: 6\n  default_temperature: 0\nshutdown_grace_s: 5\nlog_level: debug\n`);
  const notify = await openNotifySocket();
  t.teardown(() => notify.close());
  const env = {
    NIBBLE_MODEL: model, NIBBLE_BROKER_PORT: String(port), NIBBLE_BASE_TOPIC: base, NIBBLE_DATA_DIR: dataDir,
    NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '400000',
  };
  const daemon = await Daemon.start(env, ['--config', config]);
  t.teardown(() => { if (daemon.proc.exitCode === null) daemon.kill('SIGKILL'); });
  const url = `mqtt://127.0.0.1:${port}`;
  const sd = () => notify.messages.filter((m) => m !== 'BARRIER=1');

  await t.test('READY=1 after the model is loaded, STATUS lines, WATCHDOG=1 while alive', async (t) => {
    await notify.waitFor(() => sd().some((m) => m.includes('READY=1')));
    const readyAt = sd().findIndex((m) => m.includes('READY=1'));
    t.ok(sd().slice(0, readyAt).some((m) => /STATUS=loading/.test(m)), 'STATUS=loading before READY');
    await notify.waitFor(() => sd().filter((m) => m.includes('WATCHDOG=1')).length >= 3);
    t.pass(`${sd().filter((m) => m.includes('WATCHDOG=1')).length} watchdog pings`);
  });

  await t.test('nibble ask prints the engine\'s answer, the same text `nibble run` gives', async (t) => {
    const env2 = { NIBBLE_BROKER_PORT: String(port), NIBBLE_BASE_TOPIC: base };
    const asked = await cli(['ask', '--json', '--max-tokens', '6', '--temp', '0', 'The quick brown fox'], env2);
    t.equal(asked.code, 0, asked.stderr);
    const answer = JSON.parse(asked.stdout);
    t.match(answer, { finish_reason: /^(stop|length)$/, prompt_tokens: Number, completion_tokens: Number, timings: { decode_tok_s: Number } });
    const ran = await cli(['run', '-m', model, '--prompt', 'The quick brown fox', '-n', '6', '--temp', '0', '--threads', '1', '--json'], {});
    t.equal(ran.code, 0, ran.stderr);
    t.equal(answer.text, JSON.parse(ran.stdout).text, 'daemon answer = nibble run output');
    const plain = await cli(['ask', '--max-tokens', '6', '--temp', '0', 'The quick brown fox'], env2);
    t.equal(plain.stdout, `${answer.text}\n`, 'streamed text then newline');
  });

  await t.test('the README\'s daemon commands work as written (serve is this daemon, with NIBBLE_MODEL set to a synthetic model)', async (t) => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.split('\n## The daemon')[1];
    t.ok(section, 'README has the daemon section');
    const lines = section.split('\n').filter((l) => l.startsWith('    ./bin/nibble')).slice(0, 3).map((l) => l.replace(/#.*$/, '').trim());
    t.same(lines.map((l) => l.split(' ')[1]), ['serve', 'ask', 'log']);
    const words = (l: string) => [...l.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(1);
    const env2 = { NIBBLE_BROKER_PORT: String(port), NIBBLE_BASE_TOPIC: base, NIBBLE_DATA_DIR: dataDir };
    const ask = await cli(words(lines[1]), env2);
    t.equal(ask.code, 0, ask.stderr);
    t.ok(ask.stdout.trim().length > 0, 'an answer was printed');
    const log = await cli(words(lines[2]), env2);
    t.equal(log.code, 0, log.stderr);
    t.match(log.stdout, /done\s+mqtt\s+\S+\s+"What is MQTT\?"/);
  });

  await t.test('100 requests from 10 concurrent clients: each answered once, to its asker, logged once', async (t) => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => Asker.connect(url)));
    t.teardown(() => Promise.all(clients.map((c) => c.end())));
    await Promise.all(clients.map((c, i) => c.client.subscribeAsync(`${base}/reply/c${i}`, { qos: 1 })));
    const t0 = Date.now();
    await Promise.all(clients.map(async (c, i) => {
      for (let k = 0; k < 10; k++) {
        const before = c.answers.length;
        await c.client.publishAsync(`${base}/ask`, JSON.stringify({ id: `c${i}-${k}`, prompt: `client ${i} question ${k}`, max_tokens: 2, reply_to: `${base}/reply/c${i}` }), { qos: 1 });
        await c.waitAnswers(before + 1);
      }
    }));
    const ms = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 300)); // anything extra would arrive now
    for (const [i, c] of clients.entries()) {
      t.equal(c.answers.length, 10, `client ${i}: 10 answers`);
      t.same(c.answers.map((a) => a.json.id), Array.from({ length: 10 }, (_, k) => `c${i}-${k}`), `client ${i}: its own ids, in order`);
      t.ok(c.answers.every((a) => a.topic === `${base}/reply/c${i}` && typeof a.json.text === 'string'), `client ${i}: on its reply topic`);
    }
    const rows = (await logJson(dataDir)).filter((r) => /^c\d-\d$/.test(r.id));
    t.equal(rows.length, 100, 'logged once each');
    t.equal(new Set(rows.map((r) => r.id)).size, 100);
    t.ok(rows.every((r) => r.status === 'done'));
    t.comment(`100 requests, 10 clients: ${ms} ms (${(100_000 / ms).toFixed(1)} requests/s)`);
  });

  await t.test('bad input gets an error answer naming the problem; the daemon keeps serving', async (t) => {
    const a = await Asker.connect(url);
    t.teardown(() => a.end());
    await a.client.subscribeAsync(`${base}/answer`, { qos: 1 });
    const send = (p: string | Buffer) => a.client.publishAsync(`${base}/ask`, p, { qos: 1 });
    await send(Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff]));
    await send('{"id": "b1", "prompt": ');
    await send(Buffer.alloc(10 * 1024 * 1024, 0x7a));
    await send('{"id": "b3", "max_tokens": 5}');
    await send('{"id": "b4", "prompt": "hi", "top_k": 5}');
    await send(JSON.stringify({ id: 'b5', prompt: 'word '.repeat(400) }));
    await send(JSON.stringify({ id: 'b6', prompt: 'clamp me', max_tokens: 1000000 }));
    await a.waitAnswers(7);
    const by = a.answers.map((x) => x.json);
    t.match(by[0], { error: { code: 'bad_encoding' } });
    t.match(by[1], { error: { code: 'bad_json' } });
    t.match(by[2], { error: { code: 'too_large' } });
    t.match(by[3], { id: 'b3', error: { message: /missing "prompt"/ } });
    t.match(by[4], { id: 'b4', error: { message: /unknown field "top_k"/ } });
    t.match(by.find((x) => x.id === 'b5'), { error: { code: 'prompt_too_long' } });
    const clamped = by.find((x) => x.id === 'b6');
    t.match(clamped, { max_tokens: 12, finish_reason: /^(stop|length)$/ });
    t.ok(clamped.completion_tokens <= 12, `clamped to the cap: ${clamped.completion_tokens} tokens`);
  });

  await t.test('SIGTERM: the running request finishes within the grace time and is answered; STOPPING=1; exit 0', async (t) => {
    const a = await Asker.connect(url);
    t.teardown(() => a.end());
    await a.client.subscribeAsync([`${base}/answer`, `${base}/stream`], { qos: 1 });
    await a.client.publishAsync(`${base}/ask`, JSON.stringify({ id: 'last', prompt: 'one more before you go', max_tokens: 12, stream: true }), { qos: 1 });
    const end = Date.now() + 30_000;
    while (!a.pieces.has('last')) {
      if (Date.now() > end) throw new Error('no piece of the last request');
      await new Promise((r) => setTimeout(r, 2));
    }
    const t0 = Date.now();
    daemon.kill('SIGTERM');
    const { code } = await daemon.exited;
    t.equal(code, 0);
    t.comment(`exit ${Date.now() - t0} ms after SIGTERM; daemon log tail:\n${daemon.logs.split('\n').slice(-6).join('\n')}`);
    t.ok(sd().some((m) => m.includes('STOPPING=1')), 'STOPPING=1 sent');
    t.match(a.answers.find((x) => x.json.id === 'last')?.json, { id: 'last', finish_reason: /^(stop|length)$/ }, 'the request running at SIGTERM was answered');
    t.match(daemon.logs, /SIGTERM received[\s\S]*stopped/);
    const rows = await logJson(dataDir);
    t.equal(rows.length, 111, '3 asks + 100 + 7 bad inputs + 1 at shutdown');
    t.notOk(rows.some((r) => r.status === 'queued' || r.status === 'running'));
  });
});
