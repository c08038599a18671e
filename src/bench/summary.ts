// From raw samples to the figures the table, the chart and the JSON show:
// medians per engine, the nibble / llama.cpp ratios, the decode ceiling and
// the targets.
import type { BusyRecord } from './machine.js';
import type { BenchModel } from './models.js';
import type { BenchResult } from './nibble.js';
import type { PeerResult } from './peer.js';
import { median } from './stats.js';

export interface Sample {
  engine: 'nibble' | 'llama.cpp';
  /** Which Node ran it: "node20", "node24". */
  node: string;
  rep: number;
  wall_ms: number;
  busy: BusyRecord;
  result?: BenchResult | PeerResult;
  error?: string;
}

export interface Cell {
  shape: string;
  type: string;
  threads: number;
  model: BenchModel;
  samples: Sample[];
}

export interface Figures {
  load_ms: number | null;
  pp_tok_s: number | null;
  tg_tok_s: number | null;
  rss_mb: number | null;
  /** Measured runs behind the pp and tg medians. */
  runs: number;
}

export interface Row {
  shape: string;
  type: string;
  threads: number;
  node: string;
  kernels: string;
  nibble: Figures;
  llama: Figures;
  /** nibble / llama.cpp for each figure (null when either is missing). */
  ratio: { load: number | null; pp: number | null; tg: number | null; rss: number | null };
  bytes_per_token: number;
  bandwidth_gb_s: number | null;
  /** bandwidth / bytes per token: the most decode steps a second the memory allows. */
  ceiling_tok_s: number | null;
  nibble_of_ceiling: number | null;
  llama_of_ceiling: number | null;
  /** Most foreign CPU (cores) seen during any of this row's runs. */
  max_foreign_cores: number | null;
  busy: boolean;
  targets: TargetCheck[];
}

export interface TargetCheck {
  figure: 'tg' | 'pp' | 'load' | 'rss';
  want: string;
  ratio: number | null;
  ok: boolean | null;
}

function figures(samples: Sample[]): Figures {
  const ok = samples.filter((s) => s.result !== undefined).map((s) => s.result!);
  const med = (v: number[]) => {
    const finite = v.filter((x) => Number.isFinite(x));
    return finite.length ? median(finite) : null;
  };
  // speeds: every measured run of every process; load and RSS: one figure per process
  return {
    load_ms: med(ok.map((r) => r.load_ms)),
    pp_tok_s: med(ok.flatMap((r) => r.pp_samples)),
    tg_tok_s: med(ok.flatMap((r) => r.tg_samples)),
    rss_mb: med(ok.map((r) => r.rss_mb)),
    runs: ok.reduce((k, r) => k + Math.max(r.pp_samples.length, r.tg_samples.length), 0),
  };
}

const div = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);

/** The targets: apply to the relaxed build on the qwen2.5-0.5b and tinyllama-1.1b shapes. */
export function targetsFor(shape: string, type: string, ratio: Row['ratio']): TargetCheck[] {
  if (!['qwen2.5-0.5b', 'tinyllama-1.1b'].includes(shape)) return [];
  const tgMin = type === 'Q4_K_M' ? 0.6 : 0.7;
  const check = (figure: TargetCheck['figure'], r: number | null, want: string, pass: (x: number) => boolean): TargetCheck =>
    ({ figure, want, ratio: r, ok: r === null ? null : pass(r) });
  return [
    check('tg', ratio.tg, `>= ${tgMin}x`, (x) => x >= tgMin),
    check('pp', ratio.pp, '>= 0.4x', (x) => x >= 0.4),
    check('load', ratio.load, '<= 2x', (x) => x <= 2),
    check('rss', ratio.rss, '<= 1.2x', (x) => x <= 1.2),
  ];
}

export function summarize(cells: Cell[], bandwidth: (node: string, threads: number) => number | null, busyLimit: number): Row[] {
  const rows: Row[] = [];
  for (const c of cells) {
    const peer = c.samples.filter((s) => s.engine === 'llama.cpp');
    const nodes = [...new Set(c.samples.filter((s) => s.engine === 'nibble').map((s) => s.node))].sort();
    for (const node of nodes) {
      const mine = c.samples.filter((s) => s.engine === 'nibble' && s.node === node);
      const nb = figures(mine);
      const lc = figures(peer);
      const ratio = { load: div(nb.load_ms, lc.load_ms), pp: div(nb.pp_tok_s, lc.pp_tok_s), tg: div(nb.tg_tok_s, lc.tg_tok_s), rss: div(nb.rss_mb, lc.rss_mb) };
      const bw = bandwidth(node, c.threads);
      const ceiling = bw === null ? null : (bw * 1e9) / c.model.bytesPerToken;
      const foreign = [...mine, ...peer].map((s) => s.busy.foreign_cores).filter((x): x is number => x !== null);
      const maxForeign = foreign.length ? Math.max(...foreign) : null;
      const kernels = (mine.find((s) => s.result)?.result as BenchResult | undefined)?.kernels ?? '?';
      rows.push({
        shape: c.shape, type: c.type, threads: c.threads, node, kernels,
        nibble: nb, llama: lc, ratio,
        bytes_per_token: c.model.bytesPerToken,
        bandwidth_gb_s: bw,
        ceiling_tok_s: ceiling,
        nibble_of_ceiling: div(nb.tg_tok_s, ceiling),
        llama_of_ceiling: div(lc.tg_tok_s, ceiling),
        max_foreign_cores: maxForeign,
        busy: maxForeign !== null && maxForeign > busyLimit,
        targets: kernels === 'relaxed' ? targetsFor(c.shape, c.type, ratio) : [],
      });
    }
  }
  return rows;
}
