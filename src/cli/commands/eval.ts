import { readFileSync, writeFileSync } from 'node:fs';
import { closeModel, loadModel } from '../../engine/model/model.js';
import { Session } from '../../engine/model/session.js';
import { topProbs } from '../../engine/sampling/probs.js';
import type { Command } from '../main.js';
import { UserError } from '../errors.js';
import { intOption, requiredString } from '../options.js';

export const evalCommand: Command = {
  summary: 'teacher forcing: feed token ids, report the next-token predictions',
  usage: `-m MODEL (--tokens 1,2,3 | --tokens-file F) [--from N] [--top K] [--logits-out F] [--threads T] [--json]

  Feeds exactly these ids (no BOS, no template) and reports the K most likely
  next tokens after each position from N-1 to the end (default: after the
  last one only). --logits-out writes the raw logits after the last token.`,
  options: {
    model: { type: 'string', short: 'm' },
    tokens: { type: 'string' },
    'tokens-file': { type: 'string' },
    from: { type: 'string' },
    top: { type: 'string' },
    'logits-out': { type: 'string' },
    threads: { type: 'string', short: 't' },
    ctx: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}"`);
    const path = requiredString(values, 'model', '-m MODEL');
    const tokens = parseTokens(values);
    const from = intOption(values, 'from', tokens.length, 1, tokens.length);
    const k = intOption(values, 'top', 10, 1, 1000);
    const threads = values.threads === undefined ? undefined : intOption(values, 'threads', 1, 1, 256);
    const contextLength = values.ctx === undefined ? undefined : intOption(values, 'ctx', 0, 1);
    const model = await loadModel(path, { threads, contextLength });
    const steps: Array<{ after: number; top: Array<{ id: number; logit: number; p: number }> }> = [];
    try {
      for (const t of tokens) if (t >= model.config.nVocab) throw new UserError(`token id ${t} is outside the vocabulary (0..${model.config.nVocab - 1})`);
      await new Session(model).evaluate(tokens, from - 1, (i, logits) => {
        steps.push({ after: i, top: topProbs(logits, k) });
        if (i === tokens.length - 1 && typeof values['logits-out'] === 'string') {
          writeFileSync(values['logits-out'], JSON.stringify(Array.from(logits)));
        }
      });
    } finally {
      await closeModel(model);
    }
    if (values.json) {
      process.stdout.write(JSON.stringify({ steps }) + '\n');
    } else {
      for (const s of steps) {
        process.stdout.write(`after ${s.after}: ${s.top.map((x) => `${x.id} (${x.p.toFixed(4)})`).join(', ')}\n`);
      }
    }
    return 0;
  },
};

function parseTokens(values: Record<string, unknown>): number[] {
  const inline = values.tokens;
  const file = values['tokens-file'];
  if ((typeof inline === 'string') === (typeof file === 'string')) throw new UserError('give exactly one of --tokens and --tokens-file');
  const text = typeof inline === 'string' ? inline : readFileSync(file as string, 'utf8');
  const parts = text.split(/[\s,]+/).filter((s) => s !== '');
  if (parts.length === 0) throw new UserError('no token ids given');
  return parts.map((s) => {
    if (!/^\d+$/.test(s)) throw new UserError(`"${s}" is not a token id (ids are decimal integers)`);
    return Number(s);
  });
}
