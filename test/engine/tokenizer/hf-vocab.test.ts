// tokenizer.json -> GGUF tokenizer metadata, as llama.cpp's converter writes it.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGguf } from '../../../src/engine/gguf/reader.js';
import { writeGguf } from '../../../src/engine/gguf/writer.js';
import type { GgufArrayValue } from '../../../src/engine/gguf/value-types.js';
import { convertHfTokenizer, loadVocabMetadata } from '../../../src/engine/tokenizer/hf-vocab.js';
import { createTokenizer } from '../../../src/engine/tokenizer/tokenizer.js';
import { npmTokenizerJson, tokenizerVectors, vocabGguf } from '../../helpers/tokenizer-fixtures.js';

const items = (kv: unknown) => (kv as { value: GgufArrayValue }).value.items;
// one conversion of the Qwen tokenizer, shared by the tests below
const qwen = convertHfTokenizer(npmTokenizerJson('qwen3'));

t.test('Qwen (Qwen2.5/Qwen3 BPE)', async (t) => {
  const path = npmTokenizerJson('qwen3');
  const { metadata: m, preSource } = qwen;
  t.same([...m.keys()].slice(0, 5), ['tokenizer.ggml.model', 'tokenizer.ggml.pre', 'tokenizer.ggml.tokens', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges'], 'llama.cpp\'s key order');
  t.equal(m.get('tokenizer.ggml.model')!.value, 'gpt2');
  t.equal(m.get('tokenizer.ggml.pre')!.value, 'qwen2');
  t.equal(preSource, 'checksum', 'named by llama.cpp\'s checksum of the tokenized check text');
  const tokens = items(m.get('tokenizer.ggml.tokens')) as string[];
  const types = items(m.get('tokenizer.ggml.token_type')) as Int32Array;
  t.equal(tokens.length, 151669);
  t.equal(tokens[151644], '<|im_start|>');
  t.equal(types[151644], 3, 'added special tokens are control tokens');
  t.equal(types[0], 1);
  t.equal((items(m.get('tokenizer.ggml.merges')) as string[]).length, 151387);
  t.equal(m.get('tokenizer.ggml.eos_token_id')!.value, 151645, 'eos_token <|im_end|> from tokenizer_config.json');
  t.equal(m.get('tokenizer.ggml.padding_token_id')!.value, 151643);
  t.notOk(m.has('tokenizer.ggml.bos_token_id'), 'Qwen names no BOS (a config.json beside it would)');
  t.equal(m.get('tokenizer.ggml.add_bos_token')!.value, false);
  const config = JSON.parse(readFileSync(join(path, '..', 'tokenizer_config.json'), 'utf8')) as { chat_template: string };
  t.equal(m.get('tokenizer.chat_template')!.value, config.chat_template);
});

t.test('Llama 3: the pre-tokenizer name follows what encode() adds, as in llama.cpp', async (t) => {
  const a = convertHfTokenizer(npmTokenizerJson('llama3_1')).metadata;
  t.equal(a.get('tokenizer.ggml.pre')!.value, 'llama-bpe', 'with a BOS-adding post-processor: Meta-Llama-3\'s checksum');
  t.equal(a.get('tokenizer.ggml.bos_token_id')!.value, 128000);
  t.equal(a.get('tokenizer.ggml.eos_token_id')!.value, 128009);
  t.equal(a.get('tokenizer.ggml.add_bos_token')!.value, true);
  const b = convertHfTokenizer(npmTokenizerJson('llama3')).metadata;
  t.equal(b.get('tokenizer.ggml.pre')!.value, 'smaug-bpe', 'without one, the checksum is the one llama.cpp lists for smaug-bpe');
  t.notOk(b.has('tokenizer.ggml.add_bos_token'));
});

t.test('SentencePiece-style (byte-fallback) tokenizer.json is refused clearly', async (t) => {
  t.throws(() => convertHfTokenizer(npmTokenizerJson('llama2')), { name: 'TokenizerError', message: /byte_fallback/ });
  t.throws(() => convertHfTokenizer('/nonexistent/tokenizer.json'), { message: /does not exist/ });
  const dir = mkdtempSync(join(tmpdir(), 'nibble-hf-'));
  writeFileSync(join(dir, 'tokenizer.json'), '{"model": {"type": "WordPiece"}}');
  t.throws(() => convertHfTokenizer(join(dir, 'tokenizer.json')), { message: /WordPiece/ });
  writeFileSync(join(dir, 'broken.json'), '{');
  t.throws(() => convertHfTokenizer(join(dir, 'broken.json')), { message: /not valid JSON/ });
});

t.test('config.json beside tokenizer.json: vocab_size pads with [PADn] and fills missing ids', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nibble-hf-'));
  const src = npmTokenizerJson('qwen3');
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(src));
  writeFileSync(join(dir, 'tokenizer_config.json'), readFileSync(join(src, '..', 'tokenizer_config.json')));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ vocab_size: 151936, bos_token_id: 151643, eos_token_id: 151645 }));
  const m = convertHfTokenizer(join(dir, 'tokenizer.json')).metadata;
  const tokens = items(m.get('tokenizer.ggml.tokens')) as string[];
  t.equal(tokens.length, 151936, 'the model\'s vocab_size, as in a Qwen2.5 GGUF');
  t.equal(tokens[151700], '[PAD151700]');
  t.equal((items(m.get('tokenizer.ggml.token_type')) as Int32Array)[151700], 5);
  t.equal(m.get('tokenizer.ggml.bos_token_id')!.value, 151643);
});

t.test('converted metadata survives a GGUF write and read, and tokenizes the same', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nibble-hf-'));
  const file = join(dir, 'vocab.gguf');
  const m = qwen.metadata;
  writeGguf(file, { metadata: m, tensors: [] });
  const back = loadVocabMetadata(file);
  t.same([...back.keys()], [...m.keys()]);
  const tok = createTokenizer(back);
  for (const c of tokenizerVectors('qwen2')) t.same(tok.encode(c.text, { addSpecial: false }), c.ids);
  t.same([...loadVocabMetadata(vocabGguf('phi-3')).keys()].filter((k) => !k.startsWith('tokenizer.')), [], 'only tokenizer.* keys from a GGUF');
  t.equal(readGguf(file).tensors.length, 0);
});

t.test('make-model takes a tokenizer.json as its vocabulary', async (t) => {
  const { loadVocab } = await import('../../../src/engine/model-maker/vocab.js');
  const v = loadVocab(npmTokenizerJson('qwen3'));
  t.equal(v.nVocab, 151669);
  t.same(v.keys.slice(0, 2).map(([k, kv]) => [k, kv.value]), [['tokenizer.ggml.model', 'gpt2'], ['tokenizer.ggml.pre', 'qwen2']]);
  t.throws(() => loadVocab(npmTokenizerJson('llama2')), { name: 'MakeModelError', message: /byte_fallback/ });
});
