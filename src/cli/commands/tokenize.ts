import { readFileSync } from 'node:fs';
import { loadTokenizerMetadata } from '../../engine/tokenizer/hf-vocab.js';
import { TokenizerError } from '../../engine/tokenizer/errors.js';
import { createTokenizer, type Tokenizer } from '../../engine/tokenizer/tokenizer.js';
import type { Command } from '../main.js';
import { UserError } from '../errors.js';

export const tokenizeCommand: Command = {
  summary: "turn text into the model's token ids (as llama.cpp's llama_tokenize does)",
  usage: `-m MODEL (--text T | --text-file F) [--no-bos] [--special] [--json]

  MODEL is a GGUF (or a Hugging Face tokenizer.json). BOS is added when the
  model's metadata says so, unless --no-bos. --special parses special-token
  text such as <|im_start|> into control tokens; without it that text is
  ordinary text (user-defined tokens are always matched).`,
  options: {
    model: { type: 'string', short: 'm' },
    text: { type: 'string' },
    'text-file': { type: 'string' },
    'no-bos': { type: 'boolean' },
    special: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}"`);
    const model = values.model;
    if (typeof model !== 'string' || model === '') throw new UserError('-m MODEL is required');
    const hasText = typeof values.text === 'string';
    const file = values['text-file'];
    if (hasText === (typeof file === 'string')) throw new UserError('give exactly one of --text T and --text-file F');
    // The file's bytes as UTF-8, nothing stripped (a BOM or a final newline are text too).
    const text = hasText ? (values.text as string) : readFileSync(file as string).toString('utf8');
    let tokenizer: Tokenizer;
    try {
      tokenizer = createTokenizer(loadTokenizerMetadata(model));
    } catch (err) {
      if (err instanceof TokenizerError) throw new UserError(err.message.startsWith(model) ? err.message : `${model}: ${err.message}`);
      throw err;
    }
    const tokens = tokenizer.encode(text, { addSpecial: true, addBos: !values['no-bos'], parseSpecial: Boolean(values.special) });
    if (values.json) {
      process.stdout.write(JSON.stringify({ tokens }) + '\n');
    } else {
      const lines = tokens.map((id) => `${String(id).padStart(7)}  ${JSON.stringify(tokenizer.piece(id, true))}`);
      process.stdout.write(lines.join('\n') + (lines.length ? '\n' : '') + `${tokens.length} tokens\n`);
    }
    return 0;
  },
};
