// Matrix x vector inside decode, nibble against native llama.cpp: the part of
// `npm run bench:kernels` that compares with the native engine. Two synthetic
// one-layer models differ only in n_ff; both engines decode each at the same
// thread count. The feed-forward bytes the larger model adds, over the time
// per token it adds, is an engine's matrix x vector rate with the rest of a
// decode step (attention, output matrix, per-token overhead) taken out.
import type { NodeBin } from './children.js';
import { measure } from './children.js';
import { ensureShapeModel, VOCABS, type BenchModel } from './models.js';
import type { Sample } from './summary.js';
import { median } from './stats.js';

// TinyLlama's width and vocabulary; the feed-forward matrices of the larger
// model (3 x 2048 x 24576) are 85 MiB at Q4_0, 160 MiB at Q8_0, past a Pi's
// or a desktop's cache (not this VM's 480 MiB L3), and dominate its decode step.
const SHAPE = (nFf: number): string => `2048,1,16,4,${nFf},32000`;
const BIG_FF = 24576;
const SMALL_FF = 512;
// 128 steps and 3 runs a process: llama.cpp's time per token on the small model moves by 2x between runs here.
const DECODE_STEPS = 128;

export interface MatVecFigure {
  /** Median decode tok/s of the larger and the smaller model. */
  tg_big: number | null;
  tg_small: number | null;
  /** Added feed-forward bytes per token over the added time per token. */
  gb_s: number | null;
}

export interface MatVecRow {
  type: string;
  threads: number;
  node: string;
  nibble: MatVecFigure;
  llama: MatVecFigure;
  /** nibble / llama.cpp of gb_s. */
  ratio: number | null;
  /** nibble / llama.cpp of tg_big: the whole decode of the larger model, which its feed-forward matrices dominate (steadier, as neither engine's small-model time enters it). */
  big_ratio: number | null;
  /** Feed-forward bytes per token the larger model adds. */
  added_bytes: number;
  /** Most foreign CPU (cores) seen during any of the row's runs. */
  max_foreign_cores: number | null;
}

export interface MatVecOptions {
  types: string[];
  threads: number[];
  /** nibble runs under each; llama.cpp under the first. */
  nodes: NodeBin[];
  /** Fresh processes per engine, model and thread count. */
  procs: number;
  /** Measured runs per process. */
  reps: number;
  log: (line: string) => void;
}

export function matVecAgainstPeer(o: MatVecOptions): MatVecRow[] {
  const vocab = VOCABS['tinyllama-1.1b']!;
  const rows: MatVecRow[] = [];
  for (const type of o.types) {
    const big = ensureShapeModel(`matvec-ff${BIG_FF}`, SHAPE(BIG_FF), type, vocab, 'llama');
    const small = ensureShapeModel(`matvec-ff${SMALL_FF}`, SHAPE(SMALL_FF), type, vocab, 'llama');
    for (const threads of o.threads) {
      const samples = runPair(o, big, small, threads);
      const llama = figure(samples, 'llama.cpp', o.nodes[0]!.label, big, small);
      for (const node of o.nodes) {
        const nibble = figure(samples, 'nibble', node.label, big, small);
        const foreign = samples.map((s) => s.sample.busy.foreign_cores).filter((f): f is number => f !== null);
        rows.push({
          type, threads, node: node.label, nibble, llama,
          ratio: ratioOf(nibble.gb_s, llama.gb_s),
          big_ratio: ratioOf(nibble.tg_big, llama.tg_big),
          added_bytes: big.bytesPerToken - small.bytesPerToken,
          max_foreign_cores: foreign.length ? Math.max(...foreign) : null,
        });
      }
    }
  }
  return rows;
}

interface Tagged { model: BenchModel; sample: Sample }

/** Every engine on both models, procs times, in a rotating order so drifting load hits all alike. */
function runPair(o: MatVecOptions, big: BenchModel, small: BenchModel, threads: number): Tagged[] {
  const engines: Array<{ engine: Sample['engine']; node: NodeBin }> = [
    { engine: 'llama.cpp', node: o.nodes[0]! },
    ...o.nodes.map((node) => ({ engine: 'nibble' as const, node })),
  ];
  const out: Tagged[] = [];
  for (let rep = 0; rep < o.procs; rep++) {
    for (const model of [big, small]) {
      for (let k = 0; k < engines.length; k++) {
        const e = engines[(k + rep) % engines.length]!;
        const sample = measure(e.engine, e.node, model, threads, 0, DECODE_STEPS, o.reps, rep);
        const tg = sample.result?.tg_tok_s;
        o.log(`bench:kernels: ${model.shape} ${model.type} t${threads} ${e.engine} ${e.node.label}: ` +
          (sample.error ? `FAILED ${sample.error}` : `tg ${tg?.toFixed(1)} tok/s, foreign ${sample.busy.foreign_cores?.toFixed(2) ?? '?'} cores`));
        out.push({ model, sample });
      }
    }
  }
  return out;
}

function figure(samples: Tagged[], engine: Sample['engine'], node: string, big: BenchModel, small: BenchModel): MatVecFigure {
  const tg = (m: BenchModel) => {
    const runs = samples.filter((s) => s.model === m && s.sample.engine === engine && s.sample.node === node)
      .flatMap((s) => s.sample.result?.tg_samples ?? []);
    return runs.length ? median(runs) : null;
  };
  const tgBig = tg(big), tgSmall = tg(small);
  return { tg_big: tgBig, tg_small: tgSmall, gb_s: addedRate(big.bytesPerToken - small.bytesPerToken, tgBig, tgSmall) };
}

/** a / b, or null when either is missing. */
export function ratioOf(a: number | null, b: number | null): number | null {
  return a !== null && b !== null ? a / b : null;
}

/**
 * GB/s of the bytes per token the larger model adds, over the time per token
 * it adds; null when a figure is missing or noise made the larger model no
 * slower.
 */
export function addedRate(addedBytes: number, tgBig: number | null, tgSmall: number | null): number | null {
  if (tgBig === null || tgSmall === null) return null;
  const addedSeconds = 1 / tgBig - 1 / tgSmall;
  return addedSeconds > 0 ? addedBytes / addedSeconds / 1e9 : null;
}
