import t from 'tap';
import { Rng } from '../../../src/engine/model-maker/rng.js';

t.test('the same seed and label give the same stream; others differ', async (t) => {
  const a = new Rng(42, 'blk.0.attn_q.weight');
  const b = new Rng(42, 'blk.0.attn_q.weight');
  const c = new Rng(42, 'blk.0.attn_k.weight');
  const d = new Rng(43, 'blk.0.attn_q.weight');
  const xs = [a, b, c, d].map((r) => Array.from({ length: 8 }, () => r.u32()));
  t.same(xs[0], xs[1]);
  t.notSame(xs[0], xs[2]);
  t.notSame(xs[0], xs[3]);
});

t.test('uniform and normal draws have the right moments', async (t) => {
  const r = new Rng(7);
  const n = 1 << 18;
  let su = 0;
  for (let i = 0; i < n; i++) { const u = r.uniform(); if (u < 0 || u >= 1) t.fail(`uniform ${u}`); su += u; }
  t.ok(Math.abs(su / n - 0.5) < 0.005, `uniform mean ${(su / n).toFixed(4)}`);
  const x = new Float32Array(n + 1); // odd length: the last value comes alone
  r.fillNormal(x, 2, 3);
  let s = 0;
  let s2 = 0;
  let s4 = 0;
  let beyond3 = 0;
  for (const v of x) { s += v; const z = (v - 2) / 3; s2 += z * z; s4 += z ** 4; if (Math.abs(z) > 3) beyond3++; }
  t.ok(Math.abs(s / x.length - 2) < 0.03, `mean ${(s / x.length).toFixed(4)}`);
  t.ok(Math.abs(s2 / x.length - 1) < 0.02, `variance ${(s2 / x.length).toFixed(4)}`);
  t.ok(Math.abs(s4 / x.length - 3) < 0.1, `kurtosis ${(s4 / x.length).toFixed(3)} (Gaussian: 3)`);
  t.ok(Math.abs(beyond3 / x.length - 0.0027) < 0.0008, `tail beyond 3 sigma ${(beyond3 / x.length).toFixed(5)}`);
  let m = 0;
  for (let i = 0; i < 10000; i++) m += r.normal();
  t.ok(Math.abs(m / 10000) < 0.05, 'normal() is centred');
});
