import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { readGguf } from '../../../src/engine/gguf/reader.js';
import { referencePath } from '../../helpers/reference.js';

interface ModelsJson {
  files: Record<string, { file_size_bytes: number; tensors: Record<string, { type: string; ne: number[] }> }>;
}

const models = JSON.parse(readFileSync(referencePath('models', 'models.json'), 'utf8')) as ModelsJson;

t.test('every reference model matches models.json: sizes, tensor types and shapes', async (t) => {
  for (const [file, expected] of Object.entries(models.files)) {
    const g = readGguf(referencePath('models', file));
    t.equal(g.fileSize, expected.file_size_bytes, `${file} size`);
    const got = Object.fromEntries(g.tensors.map((x) => [x.name, { type: x.type.name.toUpperCase(), ne: [...x.dims] }]));
    const want = Object.fromEntries(Object.entries(expected.tensors).map(([n, x]) => [n, { type: x.type.toUpperCase(), ne: x.ne }]));
    t.same(got, want, `${file} tensor table`);
  }
});

t.test('every vocab GGUF parses with a tokenizer and no tensors', async (t) => {
  const dir = referencePath('vocab');
  const files = readdirSync(dir).filter((f) => f.endsWith('.gguf'));
  t.equal(files.length, 7);
  for (const f of files) {
    const g = readGguf(`${dir}/${f}`);
    t.equal(g.tensors.length, 0, f);
    t.ok(g.metadata.get('tokenizer.ggml.tokens'), `${f} has tokens`);
  }
});
