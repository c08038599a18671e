// Models nibble cannot run are clear errors at load time, naming what is wrong.
import t from 'tap';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GGML } from '../../../src/engine/ggml-types.js';
import { readGguf } from '../../../src/engine/gguf/reader.js';
import { GgufType, type GgufKV } from '../../../src/engine/gguf/value-types.js';
import { writeGguf, tensorBytes, type TensorToWrite } from '../../../src/engine/gguf/writer.js';
import { loadModel, closeModel } from '../../../src/engine/model/model.js';
import { ModelError } from '../../../src/engine/model/errors.js';
import { referencePath } from '../../helpers/reference.js';

const source = readGguf(referencePath('models', 'tiny-llama-bpe.F32.gguf'));
const qwen2 = readGguf(referencePath('models', 'tiny-qwen2.Q4_K_M.gguf'));

/** A reference model's metadata and tensors (zeroed), with changes. */
function variant(path: string, edit: { arch?: string; retype?: [string, keyof typeof GGML]; drop?: string }, from = source): void {
  const metadata: Array<[string, GgufKV]> = [...from.metadata].map(([k, v]) => {
    if (k === 'general.architecture' && edit.arch) return [k, { type: GgufType.STRING, value: edit.arch }];
    if (edit.arch && k.startsWith('llama.')) return [`${edit.arch}.${k.slice(6)}`, v];
    return [k, v];
  });
  const tensors: TensorToWrite[] = from.tensors.filter((x) => x.name !== edit.drop).map((x) => {
    const type = edit.retype && x.name === edit.retype[0] ? GGML[edit.retype[1]] : x.type;
    return { name: x.name, type, dims: x.dims, data: () => new Uint8Array(tensorBytes(type, x.dims)) };
  });
  writeGguf(path, { metadata, tensors });
}

t.test('an unknown architecture is named', async (t) => {
  const path = join(t.testdir({}), 'arch.gguf');
  variant(path, { arch: 'mamba' });
  await t.rejects(loadModel(path, { threads: 1 }), { name: 'ModelError', message: /architecture "mamba" is not supported/ });
});

t.test('an unsupported tensor type names the tensor and the type', async (t) => {
  const path = join(t.testdir({}), 'type.gguf');
  variant(path, { retype: ['blk.1.ffn_down.weight', 'IQ2_XXS'] }, qwen2);
  await t.rejects(loadModel(path, { threads: 1 }), { message: /tensor blk\.1\.ffn_down\.weight has type iq2_xxs, which nibble does not support/ });
});

t.test('a missing tensor is named', async (t) => {
  const path = join(t.testdir({}), 'missing.gguf');
  variant(path, { drop: 'blk.2.attn_k.weight' });
  await t.rejects(loadModel(path, { threads: 1 }), { message: /tensor blk\.2\.attn_k\.weight is missing/ });
});

t.test('weights beyond the 4 GiB of wasm32 memory are refused before anything is allocated', async (t) => {
  // Written with one row, then the row count patched in the header and the
  // file extended (sparse) to match: the header claims 4.6 GiB of f32 weights.
  const path = join(t.testdir({}), 'huge.gguf');
  const rows = 18_000_000;
  writeGguf(path, { metadata: [...source.metadata], tensors: [{ name: 'token_embd.weight', type: GGML.F32, dims: [64, 1], data: () => new Uint8Array(256) }] });
  const dataOffset = readGguf(path).dataOffset;
  const bytes = readFileSync(path);
  const at = bytes.indexOf(Buffer.from('token_embd.weight')) + 'token_embd.weight'.length + 4 + 8;
  t.equal(bytes.readBigUInt64LE(at), 1n, 'found the row count');
  bytes.writeBigUInt64LE(BigInt(rows), at);
  writeFileSync(path, bytes);
  truncateSync(path, dataOffset + 64 * 4 * rows);
  const err = await loadModel(path, { threads: 1 }).then(closeModel, (e: unknown) => e);
  t.type(err, ModelError);
  t.match((err as Error).message, /more than WebAssembly's 4 GiB memory holds; use a smaller model or a smaller quantization/);
});
