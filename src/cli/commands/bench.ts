import { benchNibble, type BenchResult } from '../../bench/nibble.js';
import type { Command } from '../main.js';
import { UserError } from '../errors.js';
import { intOption, requiredString } from '../options.js';

export const benchCommand: Command = {
  summary: 'measure prompt and decode speed, load time and peak memory (as llama-bench)',
  usage: `-m MODEL [--threads T] [-p 64] [-n 32] [-r 3] [--profile] [--json]

  One warm-up run, then the median of -r runs. pp: a prompt of -p tokens
  from an empty cache; tg: -n single-token decode steps from an empty cache;
  the context is p + n tokens, as llama-bench sizes it. --profile times every
  forward op in the last run and lists the largest.`,
  options: {
    model: { type: 'string', short: 'm' },
    threads: { type: 'string', short: 't' },
    'n-prompt': { type: 'string', short: 'p' },
    'n-gen': { type: 'string', short: 'n' },
    repetitions: { type: 'string', short: 'r' },
    profile: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}"`);
    const path = requiredString(values, 'model', '-m MODEL');
    const threads = values.threads === undefined ? undefined : intOption(values, 'threads', 1, 1, 256);
    const p = intOption(values, 'n-prompt', 64, 0, 8192);
    const n = intOption(values, 'n-gen', 32, 0, 8192);
    if (p + n === 0) throw new UserError('-p and -n are both 0: nothing to measure');
    const reps = intOption(values, 'repetitions', 3, 1, 1000);
    const r = await benchNibble(path, { threads, p, n, reps, profile: Boolean(values.profile) });
    process.stdout.write(values.json ? JSON.stringify(r) + '\n' : describe(r));
    return 0;
  },
};

function describe(r: BenchResult): string {
  const f = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));
  const lines = [
    `${r.model}: ${r.threads} thread(s), ${r.kernels} kernels, Node ${r.node}`,
    `load ${r.load_ms.toFixed(0)} ms | pp${r.n_prompt} ${f(r.pp_tok_s)} tok/s | tg${r.n_gen} ${f(r.tg_tok_s)} tok/s | peak RSS ${r.rss_mb.toFixed(0)} MiB (median of ${r.reps})`,
  ];
  if (r.profile) {
    for (const [name, ops] of [['pp', r.profile.pp], ['tg', r.profile.tg]] as const) {
      const total = ops.reduce((a, o) => a + o.ms, 0);
      if (total === 0) continue;
      lines.push(`${name} profile (last run, ${total.toFixed(1)} ms in ops):`);
      for (const o of ops.slice(0, 12)) {
        lines.push(`  ${(100 * o.ms / total).toFixed(1).padStart(5)}%  ${o.ms.toFixed(2).padStart(9)} ms  ${String(o.calls).padStart(5)} calls  ${o.op}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}
