import t from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { readGguf, readTensorData } from '../../../src/engine/gguf/reader.js';
import { GgufType, toJsonValue, type GgufArrayValue } from '../../../src/engine/gguf/value-types.js';
import { referencePath } from '../../helpers/reference.js';

interface ModelsJson {
  models: Record<string, { arch: string; n_embd: number; n_layer: number; n_head: number; n_head_kv: number; n_ff: number; ctx: number; rope_base: number; eps: number; n_vocab: number; head_dim: number }>;
  files: Record<string, {
    file_size_bytes: number; sha256: string; 'general.file_type': number; type_counts: Record<string, number>;
    tensors: Record<string, { type: string; ne: number[] }>;
  }>;
}

const models = JSON.parse(readFileSync(referencePath('models', 'models.json'), 'utf8')) as ModelsJson;

t.test('every reference model matches models.json: sizes, tensor types and shapes', async (t) => {
  for (const [file, expected] of Object.entries(models.files)) {
    const g = readGguf(referencePath('models', file));
    t.equal(g.fileSize, expected.file_size_bytes, `${file} size`);
    const got = Object.fromEntries(g.tensors.map((x) => [x.name, { type: x.type.name.toUpperCase(), ne: [...x.dims] }]));
    const want = Object.fromEntries(Object.entries(expected.tensors).map(([n, x]) => [n, { type: x.type.toUpperCase(), ne: x.ne }]));
    t.same(got, want, `${file} tensor table`);
    const counts: Record<string, number> = {};
    for (const x of g.tensors) counts[x.type.name.toUpperCase()] = (counts[x.type.name.toUpperCase()] ?? 0) + 1;
    t.same(counts, Object.fromEntries(Object.entries(expected.type_counts).map(([k, v]) => [k.toUpperCase(), v])), `${file} type counts`);
    t.equal(g.metadata.get('general.file_type')?.value, expected['general.file_type'], `${file} general.file_type`);
  }
});

t.test('reference model metadata matches the generation config', async (t) => {
  for (const file of Object.keys(models.files)) {
    const m = models.models[file.split('.')[0]];
    const g = readGguf(referencePath('models', file));
    const v = (k: string) => toJsonValue(g.metadata.get(k)!);
    const a = m.arch;
    t.equal(v('general.architecture'), a, file);
    t.same(
      [v(`${a}.embedding_length`), v(`${a}.block_count`), v(`${a}.attention.head_count`), v(`${a}.attention.head_count_kv`), v(`${a}.feed_forward_length`), v(`${a}.context_length`), v(`${a}.rope.dimension_count`), v(`${a}.rope.freq_base`)],
      [m.n_embd, m.n_layer, m.n_head, m.n_head_kv, m.n_ff, m.ctx, m.head_dim, m.rope_base], `${file} hyper-parameters`);
    t.ok(Math.abs((v(`${a}.attention.layer_norm_rms_epsilon`) as number) - m.eps) < m.eps * 1e-6, `${file} rms eps`);
    t.equal((g.metadata.get('tokenizer.ggml.tokens')!.value as GgufArrayValue).items.length, m.n_vocab, `${file} n_vocab`);
  }
});

t.test('tensor data of the reference models: in bounds, aligned, not overlapping, and the sha256 of each file', async (t) => {
  for (const [file, expected] of Object.entries(models.files)) {
    const path = referencePath('models', file);
    const g = readGguf(path);
    const sorted = [...g.tensors].sort((a, b) => a.offset - b.offset);
    let end = 0;
    for (const x of sorted) {
      if (x.offset < end || x.offset % g.alignment !== 0) t.fail(`${file} ${x.name} at ${x.offset}`);
      end = x.offset + x.nBytes;
    }
    t.ok(g.dataOffset + end <= g.fileSize, `${file}: tensors end inside the file`);
    // reading every tensor through readTensorData covers the whole data section
    const hash = createHash('sha256');
    const head = Buffer.alloc(g.dataOffset);
    head.set(readFileSync(path).subarray(0, g.dataOffset));
    hash.update(head);
    let pos = g.dataOffset;
    for (const x of sorted) {
      if (x.fileOffset > pos) hash.update(Buffer.alloc(x.fileOffset - pos));
      const b = new Uint8Array(x.nBytes);
      readTensorData(g, x, b);
      hash.update(b);
      pos = x.fileOffset + x.nBytes;
    }
    if (g.fileSize > pos) hash.update(Buffer.alloc(g.fileSize - pos));
    t.equal(hash.digest('hex'), expected.sha256, `${file} sha256 (header + tensors via readTensorData + zero padding)`);
  }
});

t.test('every vocab GGUF parses with a consistent tokenizer and no tensors', async (t) => {
  const dir = referencePath('vocab');
  const files = readdirSync(dir).filter((f) => f.endsWith('.gguf'));
  t.equal(files.length, 7);
  for (const f of files) {
    const g = readGguf(`${dir}/${f}`);
    t.equal(g.tensors.length, 0, f);
    const tokens = g.metadata.get('tokenizer.ggml.tokens')!;
    t.equal(tokens.type, GgufType.ARRAY, `${f} has tokens`);
    const n = (tokens.value as GgufArrayValue).items.length;
    t.ok(n > 1000, `${f}: ${n} tokens`);
    t.match(toJsonValue(g.metadata.get('tokenizer.ggml.model')!), /^(llama|gpt2)$/, `${f} tokenizer model`);
    for (const k of ['tokenizer.ggml.scores', 'tokenizer.ggml.token_type']) {
      const kv = g.metadata.get(k);
      if (kv) t.equal((kv.value as GgufArrayValue).items.length, n, `${f} ${k} has one entry per token`);
    }
  }
});
