// `nibble run` and `nibble eval` exactly as the CLI contract (DESIGN.md) has them.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/in-process.js';
import { cleanEnv, startCli } from '../helpers/run-cli.js';
import { referencePath } from '../../helpers/reference.js';

const model = referencePath('models', 'tiny-llama-bpe.Q4_0.gguf');
const ref = JSON.parse(readFileSync(referencePath('outputs', 'tiny-llama-bpe.Q4_0.json'), 'utf8')) as {
  n_vocab: number;
  cases: Array<{ prompt: string; prompt_tokens: number[]; generated_tokens: number[] }>;
};

t.test('run --json: prompt tokens, tokens, text, top-K probabilities, timings', async (t) => {
  const c = ref.cases[0];
  const r = await cli(['run', '-m', model, '--prompt', c.prompt, '--raw', '--temp', '0', '-n', '4', '--top-probs', '3', '--threads', '1', '--json'], {});
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.same(Object.keys(out).sort(), ['finish_reason', 'prompt_tokens', 'text', 'timings', 'tokens', 'top'].sort());
  t.same(out.prompt_tokens, c.prompt_tokens, 'raw prompt tokenized as llama.cpp does');
  t.equal(out.tokens.length, 4);
  t.equal(out.top.length, 4, 'one top list per generated token');
  for (const step of out.top) {
    t.equal(step.length, 3);
    t.same(Object.keys(step[0]).sort(), ['id', 'p']);
    t.ok(step[0].p >= step[1].p && step[1].p >= step[2].p, 'sorted by probability');
  }
  t.equal(out.top[0][0].id, out.tokens[0], 'greedy takes the most likely token');
  for (const k of ['load_ms', 'prompt_ms', 'prompt_tok_s', 'decode_ms', 'decode_tok_s']) t.type(out.timings[k], 'number', k);
  t.type(out.text, 'string');
});

t.test('run streams text to stdout without --json', async (t) => {
  const r = await cli(['run', '-m', model, '--prompt', 'Hello', '--temp', '0', '-n', '5', '--threads', '1'], {});
  t.equal(r.code, 0, r.stderr);
  const j = await cli(['run', '-m', model, '--prompt', 'Hello', '--temp', '0', '-n', '5', '--threads', '1', '--json'], {});
  t.equal(r.stdout, JSON.parse(j.stdout).text + '\n');
  t.match(r.stderr, /decode 5 tokens/);
});

t.test('eval: steps from --from, --top, --logits-out, ids from a file', async (t) => {
  const dir = t.testdir({});
  const c = ref.cases[1];
  const file = join(dir, 'ids.txt');
  writeFileSync(file, c.prompt_tokens.join(', ').replace(/, (\d+), /, ',\n$1  '));
  const logitsOut = join(dir, 'logits.json');
  const r = await cli(['eval', '-m', model, '--tokens-file', file, '--from', '2', '--top', '5', '--logits-out', logitsOut, '--threads', '1', '--json'], {});
  t.equal(r.code, 0, r.stderr);
  const { steps } = JSON.parse(r.stdout);
  t.same(steps.map((s: { after: number }) => s.after), Array.from({ length: c.prompt_tokens.length - 1 }, (_, i) => i + 1));
  t.same(Object.keys(steps[0].top[0]).sort(), ['id', 'logit', 'p']);
  t.equal(steps[0].top.length, 5);
  const logits = JSON.parse(readFileSync(logitsOut, 'utf8'));
  t.equal(logits.length, ref.n_vocab);
  const last = steps[steps.length - 1].top[0];
  t.equal(logits[last.id], Math.fround(last.logit), 'the file holds the same logits');

  const d = await cli(['eval', '-m', model, '--tokens', c.prompt_tokens.join(','), '--json', '--threads', '1'], {});
  const def = JSON.parse(d.stdout).steps;
  t.equal(def.length, 1, 'default: only after the last token');
  t.equal(def[0].after, c.prompt_tokens.length - 1);
  t.equal(def[0].top.length, 10);
});

t.test('user mistakes are one line on stderr and exit 1', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['eval', '--tokens', '1,2'], /-m MODEL is required/],
    [['eval', '-m', model, '--tokens', '1,x'], /"x" is not a token id/],
    [['eval', '-m', model, '--tokens', `1,${ref.n_vocab}`, '--threads', '1'], /outside the vocabulary/],
    [['eval', '-m', model, '--tokens', '1', '--tokens-file', 'f'], /exactly one of --tokens and --tokens-file/],
    [['run', '-m', model], /exactly one of --prompt and --prompt-file/],
    [['run', '-m', model, '--prompt', 'x', '--temp', 'hot'], /--temp hot/],
    [['run', '-m', '/nonexistent.gguf', '--prompt', 'x'], /nonexistent\.gguf/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args, {});
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

t.test('Ctrl-C during run stops generation cleanly and prints the timings', async (t) => {
  const child = startCli(['run', '-m', model, '--prompt', 'Tell me everything', '-n', '100000', '--ignore-eos', '--threads', '1', '--ctx', '4096'], cleanEnv({}));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.length > 20 && !child.killed) { child.kill('SIGINT'); resolve(); }
    });
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  t.equal(code, 0, stderr);
  t.match(stderr, /\[cancelled\] load \d+ ms \| prompt \d+ tokens, [\d.]+ tok\/s \| decode \d+ tokens/);
  t.notMatch(stderr, /at .*\.ts:\d+/, 'no stack trace');
});
