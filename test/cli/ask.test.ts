// `nibble ask` against the daemon's real MQTT plugin on the embedded broker.
// No engine runs here: the test drives the plugin's sink side itself (the
// pieces and the finished row the dispatcher would emit).
import t from 'tap';
import { harness } from '../daemon/helpers/harness.js';
import { freePort } from '../daemon/helpers/mosquitto.js';
import { cli } from './helpers/in-process.js';

t.test('ask prints the streamed pieces, then the rest of the answer', async (t) => {
  const h = await harness({ env: { NIBBLE_BASE_TOPIC: 'ask/test' } });
  t.teardown(() => h.close());
  await h.plugin.start();
  h.bus.on('request.accepted', (row) => {
    // What the dispatcher emits while the engine generates, then at the end.
    setTimeout(() => {
      h.bus.emit('request.piece', { request: row, text: 'Paris' });
      h.bus.emit('request.piece', { request: row, text: ' is' });
      setTimeout(() => {
        h.store.markRunning(row.seq);
        h.bus.emit('request.finished', h.store.finish(row.seq, { status: 'done', answer: 'Paris is the capital.', finishReason: 'stop', promptTokens: 9, completionTokens: 5, timings: null }));
      }, 50);
    }, 50);
  });
  const env = { NIBBLE_BROKER_PORT: String(h.plugin.brokerPort), NIBBLE_BASE_TOPIC: 'ask/test' };
  const r = await cli(['ask', '--max-tokens', '64', 'What', 'is', 'the', 'capital', 'of', 'France?'], env);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'Paris is the capital.\n');
  const row = h.store.recent(1)[0];
  t.match(row, { source: 'mqtt', prompt: 'What is the capital of France?', params: { max_tokens: 64, stream: true }, delivered: true });
  t.match(row.reply?.topic, /^ask\/test\/reply\/[0-9a-f]{12}$/);

  const j = await cli(['ask', '--json', 'again'], env);
  t.equal(j.code, 0);
  t.match(JSON.parse(j.stdout), { text: 'Paris is the capital.', finish_reason: 'stop', prompt_tokens: 9, completion_tokens: 5 });
});

t.test('an error answer is one line and exit 1; no daemon is one line too', async (t) => {
  const h = await harness({ env: { NIBBLE_BASE_TOPIC: 'ask/busy' }, tweak: (c) => { c.requests.queue_capacity = 1; } });
  t.teardown(() => h.close());
  await h.plugin.start();
  const env = { NIBBLE_BROKER_PORT: String(h.plugin.brokerPort), NIBBLE_BASE_TOPIC: 'ask/busy' };
  h.queue.submit({ id: 'first', source: 'test', prompt: 'x', messages: null, system: null, params: { max_tokens: 1, temperature: 0, stream: false }, reply: null, dedupKey: null });
  const r = await cli(['ask', 'anyone there?'], env);
  t.equal(r.code, 1);
  t.match(r.stderr, /^nibble ask: busy: 1 requests are waiting \(requests\.queue_capacity is 1\); try again later\n$/);
  const bad = await cli(['ask', '--max-tokens', 'many', 'x'], env);
  t.equal(bad.stderr, 'nibble ask: --max-tokens must be a whole number, got "many"\n');
  const port = await freePort();
  const none = await cli(['ask', 'hello'], { NIBBLE_BROKER_PORT: String(port) });
  t.equal(none.code, 1);
  t.match(none.stderr, new RegExp(`^nibble ask: cannot reach the broker at mqtt://127\\.0\\.0\\.1:${port} \\(.*\\); is \`nibble serve\` running\\?\\n$`));
});

t.test('ask --config finds the broker and base topic the daemon\'s config names', async (t) => {
  const h = await harness({ env: { NIBBLE_BASE_TOPIC: 'ask/conf' }, tweak: (c) => { c.requests.queue_capacity = 2; } });
  t.teardown(() => h.close());
  await h.plugin.start();
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const file = join(mkdtempSync(join(tmpdir(), 'nibble-ask-')), 'config.yaml');
  writeFileSync(file, `mqtt:\n  broker_port: ${h.plugin.brokerPort}\n  base_topic: ask/conf\n`);
  h.queue.submit({ id: 'first', source: 'test', prompt: 'x', messages: null, system: null, params: { max_tokens: 1, temperature: 0, stream: false }, reply: null, dedupKey: null });
  h.queue.submit({ id: 'second', source: 'test', prompt: 'x', messages: null, system: null, params: { max_tokens: 1, temperature: 0, stream: false }, reply: null, dedupKey: null });
  const r = await cli(['ask', '--config', file, '--json', '--timeout', '20', 'hello?'], {});
  t.equal(r.code, 1);
  t.match(JSON.parse(r.stdout), { error: { code: 'busy' } }, 'reached the daemon through the config file alone');
});
