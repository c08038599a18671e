// npm run bench: nibble against native llama.cpp (node-llama-cpp) on the same
// synthetic models of real shapes, at 1 thread and at all cores, under each
// Node asked for (default: this one and Node 24, for the SIMD128 and the
// relaxed kernel builds). Each measurement is a fresh child process (load,
// one warm-up, the measured run), so load time and peak RSS are per run; the
// engines alternate within every repetition, in a rotating order, so a
// change in the machine's load hits them alike. See docs/bench/README.md.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chartSvg } from './chart.js';
import { ensurePeer, measure, resolveNodes, type NodeBin } from './children.js';
import { machineInfo } from './machine.js';
import { ensureModel, SHAPES, TYPES, type BenchModel } from './models.js';
import { repoRoot } from './paths.js';
import { PEER_VERSION } from './peer.js';
import { summarize, type Cell, type Row, type Sample } from './summary.js';
import { compactTable, markdownTable, textTable } from './table.js';

interface Bandwidth { node: string; threads: number; gb_s: number; when: 'start' | 'end' }

const USAGE = `usage: npm run bench -- [--models a,b] [--types Q4_0,Q8_0,Q4_K_M] [--threads 1,2]
       [--nodes 20,24] [--procs 3] [-r 1] [-p 64] [-n 32] [--quick] [--out DIR] [--busy 0.15] [--no-peer]

  Defaults: models ${SHAPES.join(',')}; types ${TYPES.join(',')}; threads 1 and
  all cores; nodes: this Node and 24. Each engine runs --procs fresh processes
  per model, type and thread count (3), each one warm-up then -r measured runs
  (1); pp and tg are the median of all runs, load and RSS of the processes.
  --procs 1 -r 3 is llama-bench's own way (one process, warm-up, 3 runs).
  --quick: smollm2-135m Q4_0, 1 thread, one process, one run.
  Results go to docs/bench/ for the full matrix, else to .cache/bench-results/
  (or --out DIR): results-<node>.json, chart.svg (and chart.png), results.md.`;

const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string' }, types: { type: 'string' }, threads: { type: 'string' }, nodes: { type: 'string' },
      repetitions: { type: 'string', short: 'r' }, procs: { type: 'string' }, 'n-prompt': { type: 'string', short: 'p' }, 'n-gen': { type: 'string', short: 'n' },
      quick: { type: 'boolean' }, out: { type: 'string' }, busy: { type: 'string' }, 'no-peer': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { process.stdout.write(USAGE + '\n'); return 0; }
  const quick = Boolean(values.quick);
  const shapes = list(values.models) ?? (quick ? ['smollm2-135m'] : [...SHAPES]);
  const types = list(values.types) ?? (quick ? ['Q4_0'] : [...TYPES]);
  const cores = availableParallelism();
  const threads = (list(values.threads)?.map(Number) ?? (quick ? [1] : [...new Set([1, cores])]));
  const procs = Number(values.procs ?? (quick ? 1 : 3));
  const reps = Number(values.repetitions ?? 1);
  const p = Number(values['n-prompt'] ?? 64);
  const n = Number(values['n-gen'] ?? 32);
  const busyLimit = Number(values.busy ?? 0.15);
  for (const s of shapes) if (!(SHAPES as readonly string[]).includes(s)) throw new Error(`unknown model shape ${s} (one of ${SHAPES.join(', ')})`);
  for (const t of types) if (!(TYPES as readonly string[]).includes(t)) throw new Error(`unknown type ${t} (one of ${TYPES.join(', ')})`);
  if (threads.some((t) => !Number.isInteger(t) || t < 1) || !(reps >= 1) || !(procs >= 1) || !(p >= 0) || !(n >= 0)) throw new Error('bad --threads, -r, -p or -n');
  // The whole matrix (in any order) goes to docs/bench; a subset must not overwrite it.
  const everything = (asked: string[], all: readonly string[]) => asked.length === all.length && all.every((x) => asked.includes(x));
  const full = !quick && everything(shapes, SHAPES) && everything(types, TYPES) && !values.threads && !values.nodes;
  const outDir = values.out ?? join(repoRoot, full ? 'docs/bench' : '.cache/bench-results');
  const nodes = resolveNodes(list(values.nodes) ?? [String(process.versions.node.split('.')[0]), '24']);
  const peer = !values['no-peer'];
  if (peer) ensurePeer();

  const machine = machineInfo();
  process.stderr.write(`bench: ${machine.cpu}, ${machine.cores} cores; nodes ${nodes.map((x) => x.version).join(', ')}; ` +
    `${shapes.length} shapes x ${types.length} types x threads ${threads.join(',')} x ${procs} processes x ${reps} runs; out ${outDir}\n`);

  const models: BenchModel[] = [];
  for (const s of shapes) for (const t of types) models.push(ensureModel(s, t));

  const bandwidth: Bandwidth[] = [];
  measureBandwidth(nodes, threads, 'start', bandwidth);

  const cells: Cell[] = [];
  const started = new Date().toISOString();
  const write = (final: boolean) => writeResults(outDir, { started, final, machine, nodes, threads, procs, reps, p, n, busyLimit, models, bandwidth, cells });
  for (const m of models) {
    for (const t of threads) {
      const cell: Cell = { shape: m.shape, type: m.type, threads: t, model: m, samples: [] };
      cells.push(cell);
      const engines: Array<{ engine: Sample['engine']; node: NodeBin }> = [
        ...(peer ? [{ engine: 'llama.cpp' as const, node: nodes[0]! }] : []),
        ...nodes.map((node) => ({ engine: 'nibble' as const, node })),
      ];
      for (let rep = 0; rep < procs; rep++) {
        for (let k = 0; k < engines.length; k++) {
          const e = engines[(k + rep + cells.length) % engines.length]!;
          const s = measure(e.engine, e.node, m, t, p, n, reps, rep);
          cell.samples.push(s);
          logSample(m, t, s, busyLimit);
        }
      }
      write(false);
    }
  }
  measureBandwidth(nodes, threads, 'end', bandwidth);
  const rows = write(true);
  process.stdout.write('\n' + textTable(rows));
  const busy = rows.filter((r) => r.busy).length;
  if (busy > 0) process.stdout.write(`\nWARNING: ${busy} of ${rows.length} rows ran while other processes used more than ${busyLimit} cores: those figures are not trustworthy; rerun on a quiet machine.\n`);
  process.stdout.write(`\nread bandwidth (WASM read loop, best), GB/s: ${bestBandwidthLine(bandwidth)}\n`);
  process.stdout.write(`wrote ${outDir}/results-<node>.json, chart.svg, results.md\n`);
  return 0;
}

function logSample(m: BenchModel, t: number, s: Sample, busyLimit: number): void {
  const head = `${m.shape} ${m.type} t${t} ${s.engine.padEnd(9)} ${s.node} rep ${s.rep + 1}:`;
  if (!s.result) { process.stderr.write(`bench: ${head} FAILED ${s.error}\n`); return; }
  const r = s.result;
  const f = s.busy.foreign_cores;
  const warn = f !== null && f > busyLimit ? `  BUSY (other processes ${f.toFixed(2)} cores)` : '';
  process.stderr.write(`bench: ${head} load ${r.load_ms.toFixed(0)} ms, pp ${r.pp_tok_s?.toFixed(1)}, tg ${r.tg_tok_s?.toFixed(1)} tok/s, ` +
    `RSS ${r.rss_mb.toFixed(0)} MiB, load avg ${s.busy.load_start.toFixed(2)}, foreign ${f === null ? '?' : f.toFixed(2)}${warn}\n`);
}

function measureBandwidth(nodes: NodeBin[], threads: number[], when: Bandwidth['when'], into: Bandwidth[]): void {
  for (const node of nodes) {
    const r = spawnSync(node.bin, [join(repoRoot, 'dist', 'bench', 'bandwidth-main.js'), ...threads.map(String)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) { process.stderr.write(`bench: bandwidth under ${node.label} failed\n`); continue; }
    for (const line of r.stdout.trim().split('\n')) {
      const b = JSON.parse(line) as { threads: number; gb_s: number };
      into.push({ node: node.label, threads: b.threads, gb_s: b.gb_s, when });
      process.stderr.write(`bench: read bandwidth ${node.label} ${b.threads} thread(s): ${b.gb_s.toFixed(1)} GB/s (${when})\n`);
    }
  }
}

function bestBandwidth(bw: Bandwidth[], node: string, threads: number): number | null {
  const v = bw.filter((b) => b.node === node && b.threads === threads).map((b) => b.gb_s);
  return v.length ? Math.max(...v) : null;
}

function bestBandwidthLine(bw: Bandwidth[]): string {
  const keys = [...new Set(bw.map((b) => `${b.node}|${b.threads}`))];
  return keys.map((k) => { const [node, t] = k.split('|'); return `${node} ${t}T ${bestBandwidth(bw, node!, Number(t))!.toFixed(1)}`; }).join(', ');
}

/** The commit the run measured, whether the tree had changes, and the kernel modules' hashes (they are built, not committed). */
function sourceVersion(): { commit: string; modified_files: number; kernels: Record<string, string> } {
  const git = (args: string[]) => spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).stdout?.trim() ?? '';
  const kernels: Record<string, string> = {};
  for (const b of ['simd128', 'relaxed']) {
    const f = join(repoRoot, 'kernels', 'build', `nibble-${b}.wasm`);
    if (existsSync(f)) kernels[b] = createHash('sha256').update(readFileSync(f)).digest('hex').slice(0, 16);
  }
  return { commit: git(['rev-parse', 'HEAD']), modified_files: git(['status', '--porcelain', '--untracked-files=no']).split('\n').filter(Boolean).length, kernels };
}

interface RunRecord {
  started: string; final: boolean; machine: ReturnType<typeof machineInfo>; nodes: NodeBin[]; threads: number[]; procs: number; reps: number;
  p: number; n: number; busyLimit: number; models: BenchModel[]; bandwidth: Bandwidth[]; cells: Cell[];
}

function writeResults(outDir: string, run: RunRecord): Row[] {
  mkdirSync(outDir, { recursive: true });
  const rows = summarize(run.cells, (node, t) => bestBandwidth(run.bandwidth, node, t), run.busyLimit);
  const rel = (path: string) => path.startsWith(repoRoot + '/') ? path.slice(repoRoot.length + 1) : path;
  for (const node of run.nodes) {
    const doc = {
      command: 'npm run bench', started: run.started, finished: run.final ? new Date().toISOString() : null,
      machine: run.machine, node: node.version, peer: `node-llama-cpp ${PEER_VERSION}`, source: sourceVersion(),
      settings: { n_prompt: run.p, n_gen: run.n, processes_per_figure: run.procs, runs_per_process: run.reps, threads: run.threads, busy_limit_cores: run.busyLimit, flash_attention: false, kv_cache: 'f16' },
      bandwidth: run.bandwidth.filter((b) => b.node === node.label),
      models: run.models.map((m) => ({ ...m, path: rel(m.path) })),
      rows: rows.filter((r) => r.node === node.label),
      samples: run.cells.flatMap((c) => c.samples.filter((s) => s.engine === 'llama.cpp' || s.node === node.label)
        .map((s) => ({ shape: c.shape, type: c.type, threads: c.threads, ...s, result: s.result ? { ...s.result, model: rel(s.result.model) } : undefined }))),
    };
    writeFileSync(join(outDir, `results-${node.label}.json`), JSON.stringify(doc, null, 1) + '\n');
  }
  // The chart and the Markdown table after every cell too, so a run cut short still leaves them.
  if (rows.length > 0) {
    const subtitle = `${run.machine.cpu}, ${run.machine.cores} vCPUs; ${run.nodes.map((x) => `Node ${x.version}`).join(', ')}; node-llama-cpp ${PEER_VERSION}; ` +
      `synthetic models of real shapes; ${run.procs > 1 ? `median of ${run.procs} fresh processes x ${run.reps} run(s)` : `one process per figure, median of ${run.reps} runs after a warm-up`}; ${run.started.slice(0, 16).replace('T', ' ')} UTC` +
      (run.final ? '' : ' (partial run)');
    const svg = chartSvg({ rows, title: 'nibble (WebAssembly) beside native llama.cpp, tokens/s', subtitle });
    writeFileSync(join(outDir, 'chart.svg'), svg);
    // PNG only where librsvg's rsvg-convert is installed (apt-get install librsvg2-bin); the SVG is the chart.
    const png = spawnSync('rsvg-convert', ['-z', '1', '-o', join(outDir, 'chart.png'), join(outDir, 'chart.svg')], { stdio: 'ignore' });
    if (png.status !== 0) process.stderr.write('bench: no chart.png (needs rsvg-convert: apt-get install librsvg2-bin)\n');
    const bw = bestBandwidthLine(run.bandwidth);
    writeFileSync(join(outDir, 'results.md'),
      `Measured ${run.started.slice(0, 16).replace('T', ' ')} UTC on ${run.machine.cpu}, ${run.machine.cores} vCPUs; ` +
      `${run.nodes.map((x) => `${x.label} = ${x.version}`).join(', ')}; read bandwidth (WASM loop, best) GB/s: ${bw}.` +
      `${run.final ? '' : ' PARTIAL RUN.'}\n\n` + compactTable(rows) +
      `\nIn brackets: nibble / llama.cpp. Load time and RSS: ${run.nodes[run.nodes.length - 1]!.label}.\n\n## All figures\n\n` + markdownTable(rows));
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err: Error) => {
    process.stderr.write(`bench: ${err.message}\n`);
    process.exit(1);
  });
}
