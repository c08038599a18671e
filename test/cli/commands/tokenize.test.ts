// nibble tokenize, as the CLI contract specifies it.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { referencePath } from '../../helpers/reference.js';
import { npmTokenizerGguf, npmTokenizerJson, vocabGguf } from '../../helpers/tokenizer-fixtures.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try {
    const code = await main(['tokenize', ...args]);
    return { code, out, err };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}

const qwenModel = referencePath('models', 'tiny-qwen2.Q4_K_M.gguf');

t.test('--json prints {"tokens": [...]} with BOS per the metadata', async (t) => {
  const r = await run(['-m', qwenModel, '--text', 'Hello world', '--json']);
  t.equal(r.code, 0);
  t.equal(r.out, '{"tokens":[32013,17535,1835]}\n');
  t.same(JSON.parse((await run(['-m', qwenModel, '--text', 'Hello world', '--json', '--no-bos'])).out), { tokens: [17535, 1835] });
});

t.test('the reference prompts give llama.cpp\'s prompt tokens', async (t) => {
  const ref = JSON.parse(readFileSync(referencePath('outputs', 'tiny-llama-spm.Q8_0.json'), 'utf8')) as { cases: Array<{ prompt: string; prompt_tokens: number[] }> };
  for (const c of ref.cases) {
    const r = await run(['-m', referencePath('models', 'tiny-llama-spm.Q8_0.gguf'), '--text', c.prompt, '--special', '--json']);
    t.same(JSON.parse(r.out).tokens, c.prompt_tokens);
  }
});

t.test('--text-file is read byte for byte (a BOM and the final newline are text)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nibble-tok-'));
  const file = join(dir, 'prompt.txt');
  writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Hi\n', 'utf8')]));
  const r = await run(['-m', vocabGguf('llama-spm'), '--text-file', file, '--json', '--no-bos']);
  const inline = await run(['-m', vocabGguf('llama-spm'), '--text', '\ufeffHi\n', '--json', '--no-bos']);
  t.same(JSON.parse(r.out), JSON.parse(inline.out));
  t.ok(JSON.parse(r.out).tokens.includes(13), 'the newline is a token');
});

t.test('--special turns special-token text into control tokens (MODEL may be a tokenizer.json)', async (t) => {
  const on = JSON.parse((await run(['-m', npmTokenizerJson('qwen3'), '--text', '<|im_start|>user', '--special', '--json'])).out).tokens;
  const off = JSON.parse((await run(['-m', npmTokenizerGguf('qwen3'), '--text', '<|im_start|>user', '--json'])).out).tokens;
  t.same(on, [151644, 872]);
  t.notOk(off.includes(151644));
});

t.test('mistakes are one line on stderr and exit 1', async (t) => {
  const both = await run(['-m', qwenModel, '--text', 'a', '--text-file', 'b']);
  t.equal(both.code, 1);
  t.match(both.err, /exactly one of --text/);
  const none = await run(['--text', 'a']);
  t.equal(none.code, 1);
  t.match(none.err, /-m MODEL is required/);
  const missing = await run(['-m', '/nonexistent/model.gguf', '--text', 'a']);
  t.equal(missing.code, 1);
  t.equal(missing.err.trim().split('\n').length, 1);
  const bad = await run(['-m', npmTokenizerJson('llama2'), '--text', 'a']);
  t.equal(bad.code, 1);
  t.match(bad.err, /byte_fallback/);
});

t.test('without --json: one line per token with its piece', async (t) => {
  const r = await run(['-m', qwenModel, '--text', 'Hi']);
  t.equal(r.code, 0);
  t.match(r.out, /32013\s+"<｜begin▁of▁sentence｜>"/);
  t.match(r.out, /2 tokens\n$/);
});
