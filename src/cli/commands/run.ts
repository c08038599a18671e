import { closeModel, loadModel } from '../../engine/model/model.js';
import { Session, type GenerationResult } from '../../engine/model/session.js';
import { promptTokens } from '../../engine/prompt.js';
import type { Command } from '../main.js';
import { UserError } from '../errors.js';
import { intOption, numberOption, requiredString, textOrFile } from '../options.js';

export const runCommand: Command = {
  summary: 'generate text from a prompt',
  usage: `-m MODEL (--prompt T | --prompt-file F) [-n N] [--temp X] [--seed S] [--top-k K] [--top-p P]
             [--min-p P] [--repeat-penalty R] [--top-probs K] [--threads T] [--ctx N] [--raw] [--ignore-eos] [--json]

  The prompt goes through the model's chat template as one user message,
  unless --raw (or the model has no template): then it is used as it is, with
  BOS per the metadata and special-token text parsed, as llama.cpp's CLI does.
  --temp 0 is greedy. Ctrl-C stops generation and prints the timings.`,
  options: {
    model: { type: 'string', short: 'm' },
    prompt: { type: 'string', short: 'p' },
    'prompt-file': { type: 'string', short: 'f' },
    'n-predict': { type: 'string', short: 'n' },
    temp: { type: 'string' },
    seed: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    'min-p': { type: 'string' },
    'repeat-penalty': { type: 'string' },
    'top-probs': { type: 'string' },
    threads: { type: 'string', short: 't' },
    ctx: { type: 'string', short: 'c' },
    raw: { type: 'boolean' },
    'ignore-eos': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}"`);
    const path = requiredString(values, 'model', '-m MODEL');
    const prompt = textOrFile(values, 'prompt');
    const maxTokens = intOption(values, 'n-predict', 128, 0);
    const sampler = {
      temperature: numberOption(values, 'temp', 0.8, 0),
      seed: intOption(values, 'seed', (Math.random() * 2 ** 32) >>> 0, 0, 2 ** 32 - 1),
      topK: intOption(values, 'top-k', 40, 0),
      topP: numberOption(values, 'top-p', 0.95, 0, 1),
      minP: numberOption(values, 'min-p', 0.05, 0, 1),
      repeatPenalty: numberOption(values, 'repeat-penalty', 1, 0),
    };
    const topK = intOption(values, 'top-probs', 0, 0, 1000);
    const threads = values.threads === undefined ? undefined : intOption(values, 'threads', 1, 1, 256);
    const contextLength = values.ctx === undefined ? undefined : intOption(values, 'ctx', 0, 1);

    const model = await loadModel(path, { threads, contextLength });
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      const tokens = values.raw
        ? model.tokenizer.encode(prompt, { addSpecial: true, parseSpecial: true })
        : promptTokens(model.tokenizer, { prompt });
      const session = new Session(model);
      const gen = session.generate(tokens, { maxTokens, sampler, topProbs: topK, ignoreEog: Boolean(values['ignore-eos']), signal: abort.signal });
      let step = await gen.next();
      while (!step.done) {
        if (!values.json) process.stdout.write(step.value.text);
        step = await gen.next();
      }
      report(step.value, model.loadMs, Boolean(values.json), topK);
    } finally {
      process.off('SIGINT', onSigint);
      await closeModel(model);
    }
    return 0;
  },
};

function report(r: GenerationResult, loadMs: number, json: boolean, topK: number): void {
  const t = r.timings;
  const timings = { load_ms: loadMs, prompt_ms: t.prompt_ms, prompt_tok_s: t.prompt_tok_s, decode_ms: t.decode_ms, decode_tok_s: t.decode_tok_s };
  if (json) {
    const top = topK > 0 ? (r.top ?? []).map((step) => step.map(({ id, p }) => ({ id, p }))) : [];
    const out = { prompt_tokens: r.promptTokens, tokens: r.tokens, text: r.text, finish_reason: r.finishReason, top, timings };
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  process.stdout.write('\n');
  process.stderr.write(
    `\n[${r.finishReason}] load ${loadMs.toFixed(0)} ms | prompt ${r.promptTokens.length} tokens, ${t.prompt_tok_s.toFixed(1)} tok/s | ` +
      `decode ${r.tokens.length} tokens, ${t.decode_tok_s.toFixed(1)} tok/s\n`,
  );
}
