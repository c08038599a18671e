import t from 'tap';
import { Sampler, argmax, topK } from '../../../src/engine/sampling/sampler.js';
import { topProbs } from '../../../src/engine/sampling/probs.js';
import { StopMatcher } from '../../../src/engine/sampling/stop.js';
import { Rng } from '../../../src/engine/sampling/rng.js';

function randomLogits(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => (r.next() - 0.5) * 10);
}

t.test('temperature 0 is argmax of the raw logits', async (t) => {
  const logits = randomLogits(1000, 1);
  t.equal(new Sampler({ temperature: 0 }).sample(logits.slice()), argmax(logits));
});

t.test('the same seed gives the same draws; another seed differs', async (t) => {
  const logits = randomLogits(500, 2);
  const draw = (seed: number) => {
    const s = new Sampler({ temperature: 1.5, topK: 0, topP: 1, minP: 0, seed });
    return Array.from({ length: 50 }, () => s.sample(logits.slice()));
  };
  t.same(draw(7), draw(7));
  t.not(draw(7).join(), draw(8).join());
});

t.test('top-k keeps only the k most likely tokens', async (t) => {
  const logits = randomLogits(300, 3);
  const allowed = new Set(topK(logits, 3).map((c) => c.id));
  const s = new Sampler({ temperature: 5, topK: 3, topP: 1, minP: 0, seed: 1 });
  for (let i = 0; i < 200; i++) t.ok(allowed.has(s.sample(logits.slice())));
});

t.test('top-p and min-p cut the tail', async (t) => {
  const logits = new Float32Array([5, 4, 0, -1, -2]);
  const s = new Sampler({ temperature: 1, topK: 0, topP: 0.5, minP: 0, seed: 3 });
  for (let i = 0; i < 100; i++) t.equal(s.sample(logits.slice()), 0, 'p(0)=0.72 >= 0.5 alone');
  const m = new Sampler({ temperature: 1, topK: 0, topP: 1, minP: 0.3, seed: 3 });
  const seen = new Set(Array.from({ length: 300 }, () => m.sample(logits.slice())));
  t.same([...seen].sort(), [0, 1], 'min-p 0.3 keeps tokens within 0.3x of the best');
});

t.test('repetition, frequency and presence penalties push recent tokens down', async (t) => {
  const logits = new Float32Array([2.0, 1.9, -1]);
  const s = new Sampler({ temperature: 0, repeatPenalty: 1.5, penaltyLastN: 4 });
  s.accept(0);
  t.equal(s.sample(logits.slice()), 1, '2.0 / 1.5 < 1.9');
  const f = new Sampler({ temperature: 0, frequencyPenalty: 0.1, presencePenalty: 0, penaltyLastN: 8 });
  f.accept(0);
  f.accept(0);
  t.equal(f.sample(logits.slice()), 1, '2.0 - 2 x 0.1 < 1.9');
  const window = new Sampler({ temperature: 0, repeatPenalty: 1.5, penaltyLastN: 2 });
  window.accept(0);
  window.accept(2);
  window.accept(2);
  t.equal(window.sample(logits.slice()), 0, 'token 0 has left the penalty window');
});

t.test('topProbs is the full-vocabulary softmax, sorted', async (t) => {
  const logits = randomLogits(2000, 4);
  const top = topProbs(logits, 5);
  const max = Math.max(...logits);
  const sum = logits.reduce((s, l) => s + Math.exp(l - max), 0);
  const sorted = Array.from(logits, (l, id) => ({ id, l })).sort((a, b) => b.l - a.l).slice(0, 5);
  t.same(top.map((x) => x.id), sorted.map((x) => x.id));
  for (const x of top) t.ok(Math.abs(x.p - Math.exp(x.logit - max) / sum) < 1e-12);
});

t.test('stop strings: never streamed in part, text before them kept', async (t) => {
  const m = new StopMatcher(['</s>', 'STOP']);
  t.same(m.push('Hello <'), { emit: 'Hello ', stopped: false });
  t.same(m.push('/'), { emit: '', stopped: false });
  t.same(m.push('x'), { emit: '</x', stopped: false });
  t.same(m.push(' ST'), { emit: ' ', stopped: false });
  t.same(m.push('OP and more'), { emit: '', stopped: true });
  const n = new StopMatcher(['END']);
  t.same(n.push('abc E'), { emit: 'abc ', stopped: false });
  t.equal(n.flush(), 'E', 'held-back text comes out at the end');
});
