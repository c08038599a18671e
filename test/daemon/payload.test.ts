import t from 'tap';
import { randomBytes } from 'node:crypto';
import { parseAskPayload, parseCancelPayload, type AskLimits } from '../../src/daemon/mqtt/payload.js';

const limits: AskLimits = { maxBytes: 65536, maxTokensCap: 100, defaultMaxTokens: 20, defaultTemperature: 0.7 };
const ask = (s: string | Uint8Array) => parseAskPayload(typeof s === 'string' ? Buffer.from(s) : s, limits);
const err = (s: string | Uint8Array) => {
  const r = ask(s);
  if (r.ok) throw new Error(`accepted ${String(s).slice(0, 40)}`);
  return r;
};

t.test('plain text is a prompt with the defaults', async (t) => {
  const r = ask('  What is the capital of France?\n');
  t.ok(r.ok);
  if (r.ok) t.same(r.ask, { id: null, prompt: 'What is the capital of France?', messages: null, system: null, params: { max_tokens: 20, temperature: 0.7, stream: false }, replyTo: null });
  t.ok(ask('[not json, just text]').ok, 'only a leading { means JSON');
});

t.test('JSON of the contract shape, every field', async (t) => {
  const r = ask(JSON.stringify({ id: 'k1', prompt: 'hi', system: 'be brief', max_tokens: 50, temperature: 0, seed: 7, stop: 'END', stream: true, reply_to: 'home/reply' }));
  t.ok(r.ok);
  if (r.ok) t.same(r.ask, { id: 'k1', prompt: 'hi', messages: null, system: 'be brief', params: { max_tokens: 50, temperature: 0, seed: 7, stop: ['END'], stream: true }, replyTo: 'home/reply' });
  const m = ask(' \n{"id": 42, "messages": [{"role": "user", "content": "hello"}]}');
  t.ok(m.ok);
  if (m.ok) { t.equal(m.ask.id, '42'); t.same(m.ask.messages, [{ role: 'user', content: 'hello' }]); }
});

t.test('a huge max_tokens is clamped to the cap and the request remembered', async (t) => {
  const r = ask('{"prompt": "x", "max_tokens": 1000000}');
  t.ok(r.ok);
  if (r.ok) t.same(r.ask.params, { max_tokens: 100, temperature: 0.7, stream: false, max_tokens_requested: 1000000 });
});

t.test('bad input: each refusal has a code and names the problem', async (t) => {
  t.match(err(randomBytes(64).fill(0xff, 0, 1)), { id: null, error: { code: 'bad_encoding', message: /not valid UTF-8/ } });
  t.match(err(Buffer.from([0x7b, 0xc3, 0x28])), { error: { code: 'bad_encoding' } }, 'invalid even after a {');
  t.match(err('{"prompt": "x",'), { error: { code: 'bad_json', message: /not valid JSON/ } });
  t.match(err('{"id": "k", "prompt": "x", "colour": 1}'), { id: 'k', error: { code: 'bad_request', message: /unknown field "colour"/ } });
  t.match(err('{"id": "k2"}'), { id: 'k2', error: { message: 'missing "prompt" or "messages"' } });
  t.match(err('{"prompt": 5}'), { error: { message: '"prompt" must be a string' } });
  t.match(err('{"prompt": "x", "messages": [{"role":"user","content":"y"}]}'), { error: { message: /not both/ } });
  t.match(err('{"prompt": "x", "max_tokens": -3}'), { error: { message: /"max_tokens" must be a positive integer/ } });
  t.match(err('{"prompt": "x", "max_tokens": "9"}'), { error: { message: /"max_tokens"/ } });
  t.match(err('{"prompt": "x", "temperature": 9}'), { error: { message: /"temperature"/ } });
  t.match(err('{"prompt": "x", "stream": "yes"}'), { error: { message: /"stream"/ } });
  t.match(err('{"prompt": "x", "reply_to": "a/#"}'), { error: { message: /"reply_to"/ } });
  t.match(err('{"messages": [{"role": "robot", "content": "x"}]}'), { error: { message: /"messages\[0\]\.role"/ } });
  t.match(err('{"messages": [{"role": "user", "content": "x", "name": "n"}]}'), { error: { message: /unknown field "messages\[0\]\.name"/ } });
  t.match(err('{"id": {}, "prompt": "x"}'), { error: { message: /"id" must be/ } });
  t.match(err('   \n\t'), { error: { code: 'bad_request', message: 'empty prompt' } });
  t.match(err('["a"]'.replace('[', '{')), { error: { code: 'bad_json' } });
});

t.test('a 10 MB payload is refused by size before it is decoded', async (t) => {
  const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
  t.match(err(big), { error: { code: 'too_large', message: 'request is 10485760 bytes; the limit is 65536 (requests.max_payload_bytes)' } });
});

t.test('cancel payloads', async (t) => {
  t.equal(parseCancelPayload(Buffer.from('{"id": "abc"}')), 'abc');
  t.equal(parseCancelPayload(Buffer.from('{"id": 5}')), '5');
  t.equal(parseCancelPayload(Buffer.from(' abc \n')), 'abc');
  t.equal(parseCancelPayload(Buffer.from('{"x": 1}')), null);
  t.equal(parseCancelPayload(Buffer.from([0xff])), null);
});
