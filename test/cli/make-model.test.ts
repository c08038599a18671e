// `nibble make-model` and `nibble inspect` through the CLI entry point:
// the contract's options, its errors (one line, exit 1) and that inspect
// reads every file make-model writes.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { readGguf } from '../../src/engine/gguf/reader.js';
import { GgufType, type GgufArray, type GgufArrayValue, type GgufKV } from '../../src/engine/gguf/value-types.js';
import { writeGguf } from '../../src/engine/gguf/writer.js';
import { WEIGHT_TYPES } from '../../src/engine/model-maker/type-plan.js';
import { referencePath } from '../helpers/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => { out += s; return true }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true }) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

// A small real vocabulary: llama-spm's first 512 tokens (controls, bytes, common pieces).
const vocab = join(dir, 'vocab-512.gguf');
{
  const src = readGguf(referencePath('vocab', 'ggml-vocab-llama-spm.gguf'));
  const cut = new Set(['tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type']);
  const metadata = [...src.metadata].map(([k, kv]): [string, GgufKV] => {
    if (!cut.has(k)) return [k, kv];
    const a = kv.value as GgufArrayValue;
    return [k, { type: GgufType.ARRAY, value: { itemType: a.itemType, items: a.items.slice(0, 512) as GgufArray } }];
  });
  writeGguf(vocab, { metadata, tensors: [] });
}

t.test('make-model writes every weight type and inspect --json reads it back', async (t) => {
  for (const type of WEIGHT_TYPES) {
    const out = join(dir, `m-${type}.gguf`);
    const r = await run('make-model', '--arch', 'llama', '--shape', '256,2,4,2,512', '--type', type, '--vocab', vocab, '-o', out, '--seed', '3');
    t.equal(r.code, 0, `${type}: exit 0 ${r.err}`);
    t.match(r.out, new RegExp(`^wrote ${out.replace(/[.]/g, '\\.')}: llama .* n_vocab 512, .* in [0-9.]+ s\\n$`), `${type}: one summary line`);
    const i = await run('inspect', out, '--json');
    t.equal(i.code, 0);
    const j = JSON.parse(i.out) as { architecture: string; metadata: Record<string, unknown>; tensors: { name: string; type: string; shape: number[]; offset: number }[] };
    t.equal(j.architecture, 'llama');
    t.equal(j.metadata['llama.vocab_size'], 512);
    t.equal(j.tensors.length, 2 + 2 * 9 + 1);
    const want = type === 'Q4_K_M' ? 'q4_K' : type.toLowerCase();
    t.ok(j.tensors.some((x) => x.type.toLowerCase() === want.toLowerCase()), `${type}: a ${want} tensor is listed`);
    t.same(j.tensors.find((x) => x.name === 'blk.1.ffn_down.weight')?.shape, [512, 256]);
    const human = await run('inspect', out);
    t.match(human.out, /architecture\s+llama[\s\S]*parameters\s+1\.\d M[\s\S]*tokenizer\s+llama/, `${type}: the human summary`);
  }
});

t.test('named shapes imply their architecture; qwen2 and llama3 extras are written', async (t) => {
  const q = join(dir, 'qwen.gguf');
  const r = await run('make-model', '--arch', 'qwen2', '--shape', '128,1,4,2,256,512', '--type', 'Q8_0', '--vocab', vocab, '-o', q);
  t.equal(r.code, 0, r.err);
  t.equal(r.err, '', 'a sixth number equal to the vocabulary size needs no note');
  t.ok(readGguf(q).tensors.some((x) => x.name === 'blk.0.attn_k.bias'));
  const mismatch = await run('make-model', '--arch', 'qwen2', '--shape', '128,1,4,2,256,151936', '--type', 'Q8_0', '--vocab', vocab, '-o', q);
  t.equal(mismatch.code, 0);
  t.match(mismatch.err, /n_vocab 151936 ignored; the vocabulary has 512 tokens/);
  t.equal(readGguf(q).metadata.get('qwen2.vocab_size')?.value, 512);
  const tied = await run('make-model', '--arch', 'llama', '--shape', '128,1,4,2,256', '--tied', '--ctx', '4096', '--type', 'F16', '--vocab', vocab, '-o', q);
  t.equal(tied.code, 0, tied.err);
  const g = readGguf(q);
  t.notOk(g.tensors.some((x) => x.name === 'output.weight'), '--tied drops output.weight');
  t.equal(g.metadata.get('llama.context_length')?.value, 4096);
});

t.test('user mistakes are one line on stderr and exit 1', async (t) => {
  const o = join(dir, 'x.gguf');
  const cases: [string[], RegExp][] = [
    [['--shape', 'smollm2-135m', '--type', 'Q4_0', '-o', o], /--vocab is required/],
    [['--shape', 'smollm2-135m', '--type', 'Q4_0', '--vocab', vocab], /-o is required/],
    [['--shape', 'smollm2-135m', '--type', 'Q4_0', '--vocab', vocab, '-o', o, '--arch', 'qwen2'], /shape smollm2-135m is a llama model, not qwen2/],
    [['--shape', 'smollm2-135m', '--type', 'Q7_0', '--vocab', vocab, '-o', o], /unknown weight type "Q7_0"/],
    [['--shape', 'gpt5', '--type', 'Q4_0', '--vocab', vocab, '-o', o], /shape "gpt5" is neither a named shape/],
    [['--shape', '64,1,4,2,128', '--type', 'Q4_0', '--vocab', vocab, '-o', o], /--arch llama\|qwen2 is required with explicit dimensions/],
    [['--arch', 'gpt2', '--shape', '64,1,4,2,128', '--type', 'Q4_0', '--vocab', vocab, '-o', o], /--arch must be llama or qwen2/],
    [['--arch', 'llama', '--shape', '64,1,3,1,128', '--type', 'Q4_0', '--vocab', vocab, '-o', o], /n_embd 64 is not a multiple of n_head 3/],
    [['--arch', 'llama', '--shape', '64,1,4,3,128', '--type', 'Q4_0', '--vocab', vocab, '-o', o], /n_head 4 is not a multiple of n_head_kv 3/],
    [['--arch', 'llama', '--shape', '64,0,4,2,128', '--type', 'Q4_0', '--vocab', vocab, '-o', o], /"0" is not a positive integer/],
    [['--arch', 'llama', '--shape', '48,1,2,1,96', '--type', 'Q4_0', '--vocab', vocab, '-o', o], /rows of 48 are not a multiple of the q4_0 block of 32/],
    [['--arch', 'llama', '--shape', '64,1,4,2,128', '--type', 'Q4_0', '--vocab', '/nonexistent/v.gguf', '-o', o], /ENOENT|no such file/],
    [['--arch', 'llama', '--shape', '64,1,4,2,128', '--type', 'Q4_0', '--vocab', join(dir, 'tokenizer.json'), '-o', o], /tokenizer.json does not exist/],
    [['--arch', 'llama', '--shape', '64,1,4,2,128', '--type', 'Q4_0', '--vocab', referencePath('vocab', 'ggml-vocab-llama-spm.gguf.inp'), '-o', o], /not a GGUF file/],
    [['--arch', 'llama', '--shape', '64,1,4,2,128', '--type', 'Q4_0', '--vocab', vocab, '-o', o, '--seed', 'abc'], /--seed must be an integer/],
    [['--shape', 'smollm2-135m', '--type', 'Q4_0', '--vocab', vocab, '-o', o, '--tied'], /go with explicit dimensions/],
    [['--shape', 'smollm2-135m', '--type', 'Q4_0', '--vocab', vocab, '-o', o, '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, msg] of cases) {
    const r = await run('make-model', ...args);
    t.equal(r.code, 1, `${args.join(' ')}: exit 1`);
    t.match(r.err, msg, r.err.trim());
    t.equal(r.err.trim().split('\n').length, 1, 'one line');
    t.notMatch(r.err, /\n\s+at /, 'no stack trace');
  }
  const anyModel = await run('make-model', '--arch', 'llama', '--shape', '64,1,4,2,128', '--type', 'Q4_0', '--vocab', referencePath('models', 'tiny-llama-bpe.Q4_0.gguf'), '-o', o);
  t.equal(anyModel.code, 0, 'any model GGUF works as a vocabulary');
  t.equal(readGguf(o).metadata.get('tokenizer.ggml.model')?.value, 'gpt2');
});
