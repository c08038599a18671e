// Pre-tokenizer details where a JS regex and llama.cpp's matching differ
// unless handled.
import t from 'tap';
import { forEachWord, preTokenizerFor, splitWords } from '../../../src/engine/tokenizer/pre-tokenizers.js';
import { ggufTokenizer, vocabGguf } from '../../helpers/tokenizer-fixtures.js';

t.test('non-ASCII whitespace matches \\s only, never an explicit range that contains it', async (t) => {
  // DeepSeek's punctuation class contains U+3000; llama.cpp matches against a
  // copy where U+3000 is \v, so "(" and the whitespace run split as below.
  // Expected ids from llama.cpp (node-llama-cpp's libllama) on this vocabulary.
  const ds = ggufTokenizer(vocabGguf('deepseek-llm'));
  t.same(ds.encode('(   \u3000', { addSpecial: false }), [7, 300, 88946]);
  const pre = preTokenizerFor('deepseek-llm');
  t.same(splitWords('(   \u3000', pre.regexes), ['(', '   \u3000']);
  t.same(splitWords('a\u3000b', preTokenizerFor('deepseek-coder').regexes), ['a', '\u3000b'], 'U+3000 is not a CJK ideograph');
});

t.test('each regex cuts the pieces of the one before; unmatched text stays', async (t) => {
  const falcon = preTokenizerFor('falcon').regexes;
  // punctuation runs first, then GPT-2's regex, then runs of three digits
  t.same(splitWords('Hello, world 12345!', falcon), ['Hello', ',', ' world', ' ', '123', '45', '!']);
  t.same(splitWords('12345', preTokenizerFor('starcoder').regexes), ['1', '2', '3', '4', '5']);
  t.same(splitWords('1234567', preTokenizerFor('llama-bpe').regexes), ['123', '456', '7']);
  t.same(splitWords('1234567', preTokenizerFor('qwen2').regexes), ['1', '2', '3', '4', '5', '6', '7']);
  const words: string[] = [];
  forEachWord("I'm  here\n\n now", preTokenizerFor('gpt-2').regexes, (w) => { words.push(w); });
  t.same(words, ['I', "'m", ' ', ' here', '\n\n', ' now']);
});

t.test('unknown pre-tokenizer names are refused with the list of known ones', async (t) => {
  t.throws(() => preTokenizerFor('wizard-9'), { message: /unknown pre-tokenizer "wizard-9".*qwen2/ });
  t.equal(preTokenizerFor(undefined).family, 'default', 'absent means llama.cpp\'s default');
  t.equal(preTokenizerFor('smollm').cleanSpaces, false);
  t.equal(preTokenizerFor('starcoder').cleanSpaces, true);
  t.equal(preTokenizerFor('llama-bpe').addBosDefault, true);
  t.equal(preTokenizerFor('llama-bpe').ignoreMerges, true);
});
