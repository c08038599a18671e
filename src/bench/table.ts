// The benchmark's table, as text for the terminal and as Markdown for docs/ and the README.
import type { Row } from './summary.js';

const n = (x: number | null, d = 0) => (x === null ? '-' : x.toFixed(d));
const x2 = (r: number | null) => (r === null ? '-' : `${r.toFixed(2)}x`);
const pct = (r: number | null) => (r === null ? '-' : `${(100 * r).toFixed(0)}%`);
const digits = (v: number | null) => (v !== null && v < 100 ? 1 : 0);

function verdict(r: Row): string {
  if (r.targets.length === 0) return '';
  const missed = r.targets.filter((t) => t.ok === false).map((t) => `${t.figure} ${x2(t.ratio)} (${t.want})`);
  return missed.length ? `MISS ${missed.join(', ')}` : 'meets targets';
}

const HEAD = ['model', 'type', 'thr', 'node', 'kernels', 'load ms nibble/llama', 'x', 'pp64 tok/s nibble/llama', 'x', 'tg32 tok/s nibble/llama', 'x',
  'peak RSS MiB nibble/llama', 'x', 'tg ceiling', 'nibble / ceiling', 'llama / ceiling', 'busy', 'targets (relaxed build)'];

function cells(r: Row): string[] {
  return [
    r.shape, r.type, String(r.threads), r.node, r.kernels,
    `${n(r.nibble.load_ms)} / ${n(r.llama.load_ms)}`, x2(r.ratio.load),
    `${n(r.nibble.pp_tok_s, digits(r.nibble.pp_tok_s))} / ${n(r.llama.pp_tok_s, digits(r.llama.pp_tok_s))}`, x2(r.ratio.pp),
    `${n(r.nibble.tg_tok_s, 1)} / ${n(r.llama.tg_tok_s, 1)}`, x2(r.ratio.tg),
    `${n(r.nibble.rss_mb)} / ${n(r.llama.rss_mb)}`, x2(r.ratio.rss),
    n(r.ceiling_tok_s), pct(r.nibble_of_ceiling), pct(r.llama_of_ceiling),
    r.busy ? `BUSY ${n(r.max_foreign_cores, 2)}` : n(r.max_foreign_cores, 2),
    verdict(r),
  ];
}

export function textTable(rows: Row[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const width = HEAD.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
  return all.map((c) => c.map((s, i) => (i < 5 ? s.padEnd(width[i]!) : s.padStart(width[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function markdownTable(rows: Row[]): string {
  const head = `| ${HEAD.join(' | ')} |\n|${HEAD.map((_, i) => (i < 5 ? '---' : '---:')).join('|')}|\n`;
  return head + rows.map((r) => `| ${cells(r).join(' | ')} |`).join('\n') + '\n';
}

/**
 * The short table for the README: one line per model, type and thread count,
 * nibble under each Node beside llama.cpp, ratios in brackets.
 */
export function compactTable(rows: Row[]): string {
  const nodes = [...new Set(rows.map((r) => r.node))].sort();
  const keys = [...new Map(rows.map((r) => [`${r.shape}|${r.type}|${r.threads}`, r])).keys()];
  const v = (x: number | null, d: number) => n(x, d);
  const both = (nb: number | null, ratio: number | null, d: number) => `${v(nb, d)} (${x2(ratio)})`;
  const head = ['model', 'type', 'threads', 'llama.cpp pp64 / tg32 tok/s',
    ...nodes.flatMap((nd) => [`nibble ${nd} pp64`, `nibble ${nd} tg32`]), 'load ms nibble / llama', 'peak RSS MiB nibble / llama'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const k of keys) {
    const group = rows.filter((r) => `${r.shape}|${r.type}|${r.threads}` === k);
    const first = group[0]!;
    const last = group.find((r) => r.node === nodes[nodes.length - 1]) ?? first;
    lines.push(`| ${[
      first.shape, first.type, String(first.threads),
      `${v(first.llama.pp_tok_s, digits(first.llama.pp_tok_s))} / ${v(first.llama.tg_tok_s, 1)}`,
      ...nodes.flatMap((nd) => {
        const r = group.find((x) => x.node === nd);
        return r ? [both(r.nibble.pp_tok_s, r.ratio.pp, digits(r.nibble.pp_tok_s)), both(r.nibble.tg_tok_s, r.ratio.tg, 1)] : ['-', '-'];
      }),
      `${v(last.nibble.load_ms, 0)} / ${v(last.llama.load_ms, 0)}`,
      `${v(last.nibble.rss_mb, 0)} / ${v(last.llama.rss_mb, 0)}`,
    ].join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}
