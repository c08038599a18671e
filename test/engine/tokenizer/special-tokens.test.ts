// Special tokens, BOS/EOS defaults, end-of-generation sets, and the errors a
// vocabulary nibble cannot use gets.
import t from 'tap';
import { readGguf } from '../../../src/engine/gguf/reader.js';
import { GgufType, type GgufKV } from '../../../src/engine/gguf/value-types.js';
import { TokenizerError } from '../../../src/engine/tokenizer/errors.js';
import { createTokenizer } from '../../../src/engine/tokenizer/tokenizer.js';
import { referencePath } from '../../helpers/reference.js';
import { ggufTokenizer, npmTokenizerMetadata, vocabGguf } from '../../helpers/tokenizer-fixtures.js';

const qwenMeta = npmTokenizerMetadata('qwen3');
const qwen = createTokenizer(qwenMeta);
const llama31Meta = npmTokenizerMetadata('llama3_1');
const llama31 = createTokenizer(llama31Meta);
const phi3Meta = readGguf(vocabGguf('phi-3')).metadata;
const phi3 = createTokenizer(phi3Meta);
const id = (tok: typeof qwen, text: string) => tok.vocab.tokenToId.get(text)!;

t.test('special-token text becomes a control token only when parsing is on', async (t) => {
  const text = '<|im_start|>user\nHi<|im_end|>';
  t.same(qwen.encode(text, { parseSpecial: true }), [151644, 872, 198, 13048, 151645]);
  const plain = qwen.encode(text, { parseSpecial: false });
  t.notOk(plain.includes(151644) || plain.includes(151645), 'no control token without parsing');
  t.equal(qwen.decode(plain), text, 'the text survives as ordinary text');
});

t.test('user-defined tokens are matched even without special-token parsing', async (t) => {
  const mpt = ggufTokenizer(vocabGguf('mpt'));
  const run = ' '.repeat(24);
  const runId = id(mpt, run);
  t.equal(mpt.vocab.attrs[runId] & 16, 16, 'a run of 24 spaces is a user-defined token in mpt');
  t.ok(mpt.encode(`a${run}b`, { parseSpecial: false }).includes(runId));
  const coder = ggufTokenizer(referencePath('models', 'tiny-qwen2.Q4_K_M.gguf'));
  t.same(coder.encode('õ', { addSpecial: false, parseSpecial: false }), [32000], 'deepseek-coder\'s user-defined "õ"');
  t.same(phi3.encode('a</s>', { addSpecial: false, parseSpecial: false }).slice(-1), [2], 'phi-3\'s </s> is user-defined');
});

t.test('Phi-3: llama.cpp strips whitespace after its special tokens, chosen by general.name', async (t) => {
  const text = '<|user|>\nHi<|end|>\n<|assistant|>\n';
  t.same(phi3.encode(text, { parseSpecial: true }), [1, 32010, 6324, 32007, 32001]);
  const renamed = new Map(phi3Meta);
  renamed.set('general.name', { type: GgufType.STRING, value: 'something else' });
  t.same(createTokenizer(renamed).encode(text, { parseSpecial: true }), [1, 32010, 29871, 13, 18567, 32007, 29871, 13, 32001, 29871, 13]);
});

t.test('add_bos: from the metadata, else llama.cpp\'s default for the vocabulary type and pre-tokenizer', async (t) => {
  const gpt2 = ggufTokenizer(referencePath('models', 'tiny-llama-bpe.Q4_0.gguf'));
  t.equal(gpt2.vocab.addBos, false, 'gpt-2 has no add_bos key and defaults to false');
  t.same(gpt2.encode('Hello'), [15496], 'so a one-token prompt');
  t.equal(llama31.addBos, true, 'Llama 3.1 asks for BOS');
  t.same(llama31.encode('Hi').slice(0, 1), [128000]);
  const noKey = new Map(llama31Meta);
  noKey.delete('tokenizer.ggml.add_bos_token');
  t.equal(createTokenizer(noKey).addBos, true, 'llama-bpe defaults to true');
  const spmNoKey = new Map(readGguf(vocabGguf('llama-spm')).metadata);
  spmNoKey.delete('tokenizer.ggml.add_bos_token');
  t.equal(createTokenizer(spmNoKey).addBos, true, 'SentencePiece defaults to true');
  t.equal(qwen.addBos, false, 'Qwen says false');
  t.same(llama31.encode('Hi', { addBos: false }), llama31.encode('Hi', { addSpecial: false }), 'addBos: false leaves it out');
});

t.test('end-of-generation tokens', async (t) => {
  const eog = (tok: typeof qwen) => [...tok.vocab.eog].sort((a, b) => a - b);
  t.same(eog(qwen), [151643, 151645, 151662, 151663, 151664], 'Qwen: <|endoftext|>, <|im_end|> and the FIM pad/repo/file-sep tokens');
  t.equal(qwen.vocab.ids.eot, 151645, 'EOT is <|im_end|>');
  t.same(eog(llama31), [128001, 128009], 'Llama 3 (this package has no <|eom_id|>; 128008 is reserved): <|end_of_text|>, <|eot_id|>');
  t.equal(llama31.vocab.tokens[128008], '<|reserved_special_token_4|>');
  t.same(eog(phi3), [32000, 32007], 'Phi-3: <|endoftext|> and <|end|>');
  t.same(eog(ggufTokenizer(referencePath('models', 'tiny-llama-bpe.Q4_0.gguf'))), [50256]);
  t.same(eog(ggufTokenizer(vocabGguf('llama-spm'))), [2]);
  t.ok(qwen.isEog(151645) && !qwen.isEog(151644));
});

t.test('vocabularies nibble cannot use get a clear error naming the key or value', async (t) => {
  const withKey = (base: ReadonlyMap<string, GgufKV>, key: string, kv: GgufKV | undefined) => {
    const m = new Map(base);
    if (kv) m.set(key, kv);
    else m.delete(key);
    return m;
  };
  const str = (value: string): GgufKV => ({ type: GgufType.STRING, value });
  t.throws(() => createTokenizer(withKey(qwenMeta, 'tokenizer.ggml.pre', str('wizard-9'))), { name: 'TokenizerError', message: /unknown pre-tokenizer "wizard-9" \(tokenizer\.ggml\.pre\)/ });
  t.throws(() => createTokenizer(withKey(qwenMeta, 'tokenizer.ggml.model', str('bert'))), { message: /tokenizer model "bert"/ });
  t.throws(() => createTokenizer(withKey(qwenMeta, 'tokenizer.ggml.model', undefined)), { message: /tokenizer\.ggml\.model/ });
  t.throws(() => createTokenizer(withKey(qwenMeta, 'tokenizer.ggml.merges', undefined)), { message: /tokenizer\.ggml\.merges/ });
  const tokens = readGguf(vocabGguf('llama-spm')).metadata;
  const items = [...((tokens.get('tokenizer.ggml.tokens')!.value as { items: string[] }).items)];
  items[5] = items[6];
  t.throws(() => createTokenizer(withKey(tokens, 'tokenizer.ggml.tokens', { type: GgufType.ARRAY, value: { itemType: GgufType.STRING, items } })), { message: /duplicate token/ });
  const err = (() => { try { createTokenizer(withKey(qwenMeta, 'tokenizer.ggml.pre', str('x'))); } catch (e) { return e; } })();
  t.ok(err instanceof TokenizerError);
});
