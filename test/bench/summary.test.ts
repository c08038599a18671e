// From samples to rows: medians, ratios, the decode ceiling, busy flags,
// the targets; and the table and chart drawn from rows.
import t from 'tap';
import { summarize, type Cell, type Sample } from '../../src/bench/summary.js';
import { compactTable, markdownTable, textTable } from '../../src/bench/table.js';
import { chartSvg } from '../../src/bench/chart.js';
import { median } from '../../src/bench/stats.js';

function sample(engine: Sample['engine'], node: string, rep: number, f: { load: number; pp: number; tg: number; rss: number }, foreign: number): Sample {
  const common = { model: 'm.gguf', threads: 1, node: 'v', n_prompt: 64, n_gen: 32, reps: 1, load_ms: f.load, pp_tok_s: f.pp, tg_tok_s: f.tg, pp_samples: [f.pp], tg_samples: [f.tg], rss_mb: f.rss, cpu_ms: 1 };
  const result = engine === 'nibble'
    ? { ...common, engine, kernels: node === 'node24' ? 'relaxed' : 'simd128' }
    : { ...common, engine, peer: 'p', init_ms: 1, system_info: '' };
  return { engine, node, rep, wall_ms: 1, busy: { load_start: 0, load_end: 0, foreign_cores: foreign }, result } as Sample;
}

function cell(shape: string, type: string): Cell {
  return {
    shape, type, threads: 1,
    model: { shape, type, path: 'm.gguf', fileBytes: 1, bytesPerToken: 500e6, nVocab: 10, mix: '' },
    samples: [
      sample('llama.cpp', 'node20', 0, { load: 100, pp: 100, tg: 20, rss: 1000 }, 0.01),
      sample('nibble', 'node24', 0, { load: 150, pp: 50, tg: 15, rss: 1100 }, 0.02),
      sample('llama.cpp', 'node20', 1, { load: 300, pp: 120, tg: 22, rss: 1000 }, 0.01),
      sample('nibble', 'node24', 1, { load: 170, pp: 30, tg: 12, rss: 1100 }, 0.5),
      sample('llama.cpp', 'node20', 2, { load: 200, pp: 80, tg: 18, rss: 1000 }, 0.01),
      sample('nibble', 'node24', 2, { load: 160, pp: 40, tg: 13, rss: 1300 }, 0.02),
    ],
  };
}

t.test('median', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.throws(() => median([]));
});

t.test('summarize: medians per engine, ratios, ceiling, busy, targets', async (t) => {
  const rows = summarize([cell('tinyllama-1.1b', 'Q4_0'), cell('smollm2-135m', 'Q4_0')], (node, th) => (node === 'node24' && th === 1 ? 10 : null), 0.15);
  t.equal(rows.length, 2);
  const r = rows[0]!;
  t.same(r.llama, { load_ms: 200, pp_tok_s: 100, tg_tok_s: 20, rss_mb: 1000, runs: 3 });
  t.same(r.nibble, { load_ms: 160, pp_tok_s: 40, tg_tok_s: 13, rss_mb: 1100, runs: 3 });
  t.equal(r.ratio.tg, 13 / 20);
  t.equal(r.ratio.pp, 0.4);
  t.equal(r.ratio.load, 0.8);
  t.equal(r.ratio.rss, 1.1);
  t.equal(r.ceiling_tok_s, 20, '10 GB/s over 500 MB a token');
  t.equal(r.nibble_of_ceiling, 13 / 20);
  t.equal(r.busy, true, 'one run saw half a core of other work');
  t.equal(r.max_foreign_cores, 0.5);
  t.same(r.targets.map((x) => [x.figure, x.ok]), [['tg', false], ['pp', true], ['load', true], ['rss', true]]);
  t.same(rows[1]!.targets, [], 'the targets name the qwen2.5 and tinyllama shapes only');
  t.match(textTable(rows), /MISS tg 0\.65x \(>= 0\.7x\)/);
  t.equal(markdownTable(rows).trim().split('\n').length, 2 + rows.length);
  const compact = compactTable(rows).trim().split('\n');
  t.equal(compact.length, 2 + 2, 'one line per model, type and thread count');
  t.match(compact[2]!, /\| tinyllama-1\.1b \| Q4_0 \| 1 \| 100 \/ 20\.0 \| 40\.0 \(0\.40x\) \| 13\.0 \(0\.65x\) \| 160 \/ 200 \| 1100 \/ 1000 \|/);
});

t.test('chart: one bar per engine per model and thread count, log scale', async (t) => {
  const rows = summarize([cell('tinyllama-1.1b', 'Q4_0'), cell('qwen2.5-0.5b', 'Q8_0')], () => 10, 0.15);
  const svg = chartSvg({ rows, title: 'T', subtitle: 'S' });
  t.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const bars = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="13" height="([\d.]+)"/g)];
  t.equal(bars.length, 2 * 2 * 2, '2 models x (llama.cpp, nibble) x (tg, pp)');
  // tg panel, first group: llama 20 tok/s, nibble 13; heights on a log axis differ by log(20/13)
  const h = bars.slice(0, 2).map((b) => Number(b[2]));
  t.ok(h[0]! > h[1]!, 'the faster engine has the taller bar');
});
