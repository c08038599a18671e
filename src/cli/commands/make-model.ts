import { MakeModelError } from '../../engine/model-maker/errors.js';
import { makeModel } from '../../engine/model-maker/make-model.js';
import { explicitShape, isArch, NAMED_SHAPES, parseDims, type ModelShape } from '../../engine/model-maker/shapes.js';
import { parseWeightType, WEIGHT_TYPES } from '../../engine/model-maker/type-plan.js';
import { loadVocab } from '../../engine/model-maker/vocab.js';
import type { Command } from '../main.js';
import { UserError } from '../errors.js';

export const makeModelCommand: Command = {
  summary: 'write a synthetic model of a real shape (random valid weights, a real tokenizer)',
  usage: `--shape NAME | --arch llama|qwen2 --shape n_embd,n_layer,n_head,n_head_kv,n_ff[,n_vocab]
    --type TYPE --vocab VOCAB.gguf -o OUT.gguf [--seed S] [--tied | --untied] [--ctx N]

  named shapes: ${Object.keys(NAMED_SHAPES).join(', ')} (each implies its architecture)
  types: ${WEIGHT_TYPES.join(', ')}
  The vocabulary size is always VOCAB's: a sixth shape number that differs is
  ignored with a note. --tied/--untied and --ctx apply to explicit shapes
  (defaults: llama untied, qwen2 tied, context 2048).`,
  options: {
    arch: { type: 'string' },
    shape: { type: 'string' },
    type: { type: 'string' },
    vocab: { type: 'string' },
    output: { type: 'string', short: 'o' },
    seed: { type: 'string' },
    tied: { type: 'boolean' },
    untied: { type: 'boolean' },
    ctx: { type: 'string' },
  },
  async run(values, positionals) {
    try {
      return run(values, positionals);
    } catch (err) {
      if (err instanceof MakeModelError) throw new UserError(err.message);
      throw err;
    }
  },
};

function run(values: Record<string, unknown>, positionals: string[]): number {
  if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}"`);
  const need = (k: string, flag = `--${k}`) => {
    const v = values[k];
    if (typeof v !== 'string' || v === '') throw new UserError(`${flag} is required`);
    return v;
  };
  const shapeArg = need('shape');
  const type = parseWeightType(need('type'));
  const vocabPath = need('vocab');
  const out = need('output', '-o');
  const seed = values.seed === undefined ? 0 : integer(String(values.seed), '--seed');
  const vocab = loadVocab(vocabPath);
  const shape = resolveShape(values, shapeArg, vocab.nVocab);
  const made = makeModel(out, { shape, type, vocab, seed });
  const mix = Object.entries(made.typeCounts).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} x${n}`).join(', ');
  process.stdout.write(
    `wrote ${out}: ${shape.arch} ${shape.name}, ${(made.nParams / 1e6).toFixed(1)} M parameters, n_vocab ${vocab.nVocab}, ` +
    `${mix}, ${(made.fileSize / 2 ** 20).toFixed(1)} MiB in ${(made.ms / 1000).toFixed(1)} s\n`,
  );
  return 0;
}

function resolveShape(values: Record<string, unknown>, shapeArg: string, nVocab: number): ModelShape {
  const arch = values.arch === undefined ? undefined : String(values.arch);
  if (arch !== undefined && !isArch(arch)) throw new UserError(`--arch must be llama or qwen2, not "${arch}"`);
  if (values.tied && values.untied) throw new UserError('give --tied or --untied, not both');
  const named = NAMED_SHAPES[shapeArg.toLowerCase()];
  if (named) {
    if (arch !== undefined && arch !== named.arch) throw new UserError(`shape ${named.name} is a ${named.arch} model, not ${arch}`);
    if (values.tied || values.untied || values.ctx !== undefined) throw new UserError(`--tied, --untied and --ctx go with explicit dimensions, not the named shape ${named.name}`);
    return named;
  }
  const dims = parseDims(shapeArg);
  if (arch === undefined) throw new UserError('--arch llama|qwen2 is required with explicit dimensions');
  if (dims.nVocab !== undefined && dims.nVocab !== nVocab) {
    process.stderr.write(`nibble make-model: note: n_vocab ${dims.nVocab} ignored; the vocabulary has ${nVocab} tokens\n`);
  }
  const overrides: Partial<ModelShape> = {};
  if (values.tied) Object.assign(overrides, { tied: true });
  if (values.untied) Object.assign(overrides, { tied: false });
  if (values.ctx !== undefined) Object.assign(overrides, { contextLength: integer(String(values.ctx), '--ctx') });
  return explicitShape(arch, dims, overrides);
}

function integer(s: string, flag: string): number {
  if (!/^-?[0-9]+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new UserError(`${flag} must be an integer, not "${s}"`);
  return Number(s);
}
