// Chat prompts rendered from real models' own templates, checked against the
// prompt format each family documents.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatTemplate, chatPromptTokens, chatTemplateOf } from '../../../src/engine/tokenizer/chat.js';
import { referencePath } from '../../helpers/reference.js';
import { ggufTokenizer, npmTokenizer, npmTokenizerJson, vocabGguf } from '../../helpers/tokenizer-fixtures.js';

const system = { role: 'system', content: 'You are a terse assistant.' };
const user = { role: 'user', content: 'What is 2+2?' };
const assistant = { role: 'assistant', content: 'Four.' };
const user2 = { role: 'user', content: 'And 3+3?' };

t.test('Qwen: ChatML', async (t) => {
  const tok = npmTokenizer('qwen3');
  const tmpl = chatTemplateOf(tok)!;
  t.ok(tok.hasChatTemplate);
  t.equal(tmpl.render([system, user]),
    '<|im_start|>system\nYou are a terse assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n');
  t.equal(tmpl.render([system, user, assistant, user2]),
    '<|im_start|>system\nYou are a terse assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n' +
    '<|im_start|>assistant\nFour.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n');
  t.equal(tmpl.render([user], { addGenerationPrompt: false }), '<|im_start|>user\nWhat is 2+2?<|im_end|>\n');
  const ids = chatPromptTokens(tok, tmpl, [user]);
  t.same(ids.slice(0, 3), [151644, 872, 198], '<|im_start|> is a control token, then "user\\n"');
  t.same(ids.slice(-5), [151645, 198, 151644, 77091, 198], '<|im_end|>\\n<|im_start|>assistant\\n');
  t.equal(ids.filter((id) => id === 151644).length, 2);
});

t.test('Llama 3: header format, exactly one BOS', async (t) => {
  const tok = npmTokenizer('llama3_1');
  const tmpl = chatTemplateOf(tok)!;
  const text = tmpl.render([system, user]);
  t.equal(text,
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a terse assistant.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  const ids = chatPromptTokens(tok, tmpl, [system, user]);
  t.same(ids.slice(0, 5), [128000, 128006, 9125, 128007, 271], 'BOS, <|start_header_id|>system<|end_header_id|>\\n\\n');
  t.equal(ids.filter((id) => id === 128000).length, 1, 'the template\'s BOS text and add_bos give one BOS, not two');
  t.same(ids.slice(-4), [128006, 78191, 128007, 271], 'ends by opening the assistant header');
});

t.test('Phi-3 (template in the vocab GGUF): <|user|> ... <|end|> <|assistant|>', async (t) => {
  const tok = ggufTokenizer(vocabGguf('phi-3'));
  const tmpl = chatTemplateOf(tok)!;
  t.equal(tmpl.render([user, assistant, user2]),
    '<s><|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\nFour.<|end|>\n<|user|>\nAnd 3+3?<|end|>\n<|assistant|>\n');
  const ids = chatPromptTokens(tok, tmpl, [user]);
  t.same(ids.slice(0, 2), [1, 32010], 'one BOS, then <|user|>');
  t.same(ids.slice(-2), [32007, 32001], '<|end|> <|assistant|> (the newlines after them are stripped, as llama.cpp does for Phi-3)');
});

t.test('Gemma 3 (template from its tokenizer_config.json): <start_of_turn>user / model', async (t) => {
  const config = JSON.parse(readFileSync(join(npmTokenizerJson('gemma3'), '..', 'tokenizer_config.json'), 'utf8')) as { chat_template: string };
  const tmpl = new ChatTemplate(config.chat_template, '<bos>', '<eos>');
  t.equal(tmpl.render([system, user]),
    '<bos><start_of_turn>user\nYou are a terse assistant.\n\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n');
  t.throws(() => tmpl.render([user, user2]), { name: 'TokenizerError', message: /alternate/ }, 'the template\'s raise_exception becomes a TokenizerError');
});

t.test('a model without a template is run raw; a broken template is a clear error', async (t) => {
  const gpt2 = ggufTokenizer(referencePath('models', 'tiny-llama-bpe.Q4_0.gguf'));
  t.equal(gpt2.hasChatTemplate, false);
  t.equal(chatTemplateOf(gpt2), undefined);
  t.throws(() => new ChatTemplate('{% for m in messages %}', '', ''), { name: 'TokenizerError', message: /does not parse/ });
});
