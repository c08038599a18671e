// The benchmark chart as a self-contained SVG: one panel per figure (decode,
// prompt) and thread count; in each, one group per model and type with a bar
// for llama.cpp and one for nibble under each Node. The y axis is
// logarithmic so a 135M and a 1.1B model fit on one panel and equal ratios
// look equal.
import type { Row } from './summary.js';

export interface ChartInput {
  rows: Row[];
  title: string;
  subtitle: string;
}

const COLORS = ['#555555', '#4c8bd6', '#e07b39', '#5aa469'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Splits text at spaces into lines of at most `max` characters. */
function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > max) { lines.push(line); line = word; } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.slice(0, 2);
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function chartSvg({ rows, title, subtitle }: ChartInput): string {
  const groups = [...new Map(rows.map((r) => [`${r.shape} ${r.type}`, r])).keys()];
  const threads = [...new Set(rows.map((r) => r.threads))].sort((a, b) => a - b);
  const nodes = [...new Set(rows.map((r) => r.node))].sort();
  const series = ['llama.cpp', ...nodes.map((n) => `nibble ${n}`)];
  const kernelsOf = (node: string) => rows.find((r) => r.node === node)?.kernels ?? '';
  const legend = ['llama.cpp (node-llama-cpp, native)', ...nodes.map((n) => `nibble, ${n} (${kernelsOf(n)})`)];
  const value = (g: string, t: number, s: number, metric: 'tg' | 'pp'): number | null => {
    const [shape, type] = g.split(' ');
    const matches = rows.filter((r) => r.shape === shape && r.type === type && r.threads === t);
    if (s === 0) {
      const r = matches[0];
      return r ? (metric === 'tg' ? r.llama.tg_tok_s : r.llama.pp_tok_s) : null;
    }
    const r = matches.find((x) => x.node === nodes[s - 1]);
    return r ? (metric === 'tg' ? r.nibble.tg_tok_s : r.nibble.pp_tok_s) : null;
  };

  const bar = 15, gap = 30, left = 56, right = 16, panelH = 220, top = 84;
  const groupW = series.length * bar + gap;
  const width = Math.max(640, left + right + groups.length * groupW);
  const panels = threads.flatMap((t) => (['tg', 'pp'] as const).map((metric) => ({ t, metric })));
  const height = top + panels.length * (panelH + 70) + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  wrap(subtitle, Math.floor((width - left - right) / 5.9)).forEach((line, i) => {
    out.push(`<text x="${left}" y="${38 + 13 * i}" font-size="10.5" fill="#444">${esc(line)}</text>`);
  });
  let lx = left;
  legend.forEach((l, i) => {
    out.push(`<rect x="${lx}" y="62" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 14}" y="71" font-size="10.5">${esc(l)}</text>`);
    lx += 24 + l.length * 5.6;
  });

  panels.forEach(({ t, metric }, p) => {
    const y0 = top + p * (panelH + 70) + 20;
    const vals = groups.flatMap((g) => series.map((_, s) => value(g, t, s, metric))).filter((v): v is number => v !== null && v > 0);
    const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...vals, 1e9))));
    const hi = 2.2 * Math.max(...vals, 1e-9); // room for the value labels above the tallest bar
    const ok = vals.length > 0 && hi > lo;
    const yOf = (v: number) => y0 + panelH - (panelH * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
    const label = metric === 'tg' ? 'decode (tg32), tokens/s' : 'prompt (pp64), tokens/s';
    out.push(`<text x="${left}" y="${y0 - 6}" font-size="12" font-weight="bold">${esc(`${label}, ${t} thread${t > 1 ? 's' : ''} (log scale)`)}</text>`);
    if (ok) {
      for (let d = lo; d <= hi; d *= 10) {
        for (const m of [1, 2, 5]) {
          const v = d * m;
          if (v > hi) break;
          const y = yOf(v);
          out.push(`<line x1="${left}" x2="${width - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${m === 1 ? '#bbb' : '#e6e6e6'}"/>`);
          out.push(`<text x="${left - 4}" y="${(y + 3).toFixed(1)}" font-size="9" text-anchor="end" fill="#555">${fmt(v)}</text>`);
        }
      }
    }
    groups.forEach((g, gi) => {
      const gx = left + gap / 2 + gi * groupW;
      series.forEach((_, s) => {
        const v = value(g, t, s, metric);
        if (v === null || !ok || v <= 0) return;
        const x = gx + s * bar;
        const y = yOf(v);
        out.push(`<rect x="${x}" y="${y.toFixed(1)}" width="${bar - 2}" height="${(y0 + panelH - y).toFixed(1)}" fill="${COLORS[s % COLORS.length]}"/>`);
        out.push(`<text transform="translate(${x + bar / 2 + 2},${(y - 3).toFixed(1)}) rotate(-90)" font-size="8.5" fill="#222">${fmt(v)}</text>`);
      });
      const [shape, type] = g.split(' ');
      const cx = gx + (series.length * bar) / 2;
      out.push(`<text x="${cx}" y="${y0 + panelH + 13}" font-size="9.5" text-anchor="middle">${esc(shape!)}</text>`);
      out.push(`<text x="${cx}" y="${y0 + panelH + 25}" font-size="9.5" text-anchor="middle" fill="#444">${esc(type!)}</text>`);
    });
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y0 + panelH}" y2="${y0 + panelH}" stroke="#333"/>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
