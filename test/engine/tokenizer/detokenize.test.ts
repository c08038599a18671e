// Detokenization as llama_token_to_piece / llama_detokenize do it.
import t from 'tap';
import { referencePath } from '../../helpers/reference.js';
import { ggufTokenizer, npmTokenizer, tokenizerVectors, vocabGguf } from '../../helpers/tokenizer-fixtures.js';
import { cleanUpSpacesText } from '../../../src/engine/tokenizer/clean-spaces.js';

const spm = ggufTokenizer(vocabGguf('llama-spm'));
const gpt2 = ggufTokenizer(referencePath('models', 'tiny-llama-bpe.Q4_0.gguf'));
const coder = ggufTokenizer(referencePath('models', 'tiny-qwen2.Q4_K_M.gguf'));
const qwen = npmTokenizer('qwen3');

t.test('every test string round-trips where llama.cpp round-trips (no BPE clean-up)', async (t) => {
  // SPM drops the prefix space it added; qwen2 and deepseek-coder turn the clean-up off
  for (const [name, tok, vectors] of [['llama-spm', spm, 'llama-spm'], ['qwen2', qwen, 'qwen2'], ['deepseek-coder', coder, 'deepseek-coder']] as const) {
    let n = 0;
    for (const c of tokenizerVectors(vectors)) {
      if (t.equal(tok.decode(tok.encode(c.text, { addSpecial: false })), c.text, `${name}: ${JSON.stringify(c.text).slice(0, 50)}`)) n++;
    }
    t.equal(n, 46, `${name}: 46/46 round trips`);
  }
});

t.test('gpt-2 decodes with clean_up_tokenization_spaces, as llama.cpp does for that vocabulary', async (t) => {
  t.equal(gpt2.vocab.cleanSpaces, true);
  t.equal(qwen.vocab.cleanSpaces, false);
  const ids = gpt2.encode("Hello , world ! I 'm sure it 's fine . We 've seen ' em", { addSpecial: false });
  t.equal(gpt2.decode(ids), "Hello, world! I'm sure it's fine. We've seen'em");
  t.equal(cleanUpSpacesText(" ' "), "'", 'a lone apostrophe between spaces');
  t.equal(cleanUpSpacesText("a 't b 'd c 'll"), "a 't b 'd c 'll", "'t 'd 'll keep their space");
  t.equal(cleanUpSpacesText(' ,'), ',', 'a leading space goes too');
  // worked through llama.cpp's in-place loops by hand: the space a lone
  // apostrophe swallows cannot start another " ' "
  t.equal(cleanUpSpacesText(" ' ' "), "'' ");
  t.equal(cleanUpSpacesText("a ' 's"), "a''s");
  t.equal(cleanUpSpacesText("x 're y 've z 'd"), "x're y've z 'd");
});

t.test('SPM pieces: U+2581 is a space, <0xNN> is one byte, control tokens render only when asked', async (t) => {
  const id = (s: string) => spm.vocab.tokenToId.get(s)!;
  t.equal(spm.piece(id('▁Hello')), ' Hello');
  t.same([...spm.pieceBytes(id('<0x0A>'))], [10]);
  t.same([...spm.pieceBytes(id('<0xE4>'))], [0xe4]);
  t.equal(spm.piece(1), '', 'BOS renders as nothing by default');
  t.equal(spm.piece(1, true), '<s>');
  t.equal(spm.piece(0, true), '<unk>', 'unknown renders as its text with special on');
  t.equal(spm.decode([id('▁Hello'), id('▁world')]), 'Hello world', 'the prefix space comes off the first piece');
  t.equal(spm.decode([1, id('▁Hello')]), ' Hello', 'after a BOS llama.cpp keeps the space');
  t.equal(spm.decode([1, id('▁Hello')], { removeSpecial: true }), ' Hello', 'removing the BOS also keeps it');
  t.equal(spm.decode([1, id('▁Hello'), 2], { removeSpecial: true, unparseSpecial: true }), ' Hello</s>', 'EOS stays: the vocab does not add EOS');
  t.throws(() => spm.piece(32000), RangeError);
});

t.test('byte-level pieces: the GPT-2 alphabet maps back to bytes', async (t) => {
  const ids = qwen.encode('日本 🦙', { addSpecial: false });
  const bytes = ids.flatMap((id) => [...qwen.pieceBytes(id)]);
  t.same(bytes, [...new TextEncoder().encode('日本 🦙')]);
  t.equal(qwen.piece(qwen.vocab.tokenToId.get('<|im_start|>')!), '', 'control tokens are empty by default');
  t.equal(qwen.piece(qwen.vocab.tokenToId.get('<|im_start|>')!, true), '<|im_start|>');
});
