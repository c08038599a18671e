// nibble against llama.cpp (node-llama-cpp, a newer llama.cpp than the shared
// reference) on synthetic files of every weight type the shared reference
// does not cover, plus qwen2 and a llama3.2-style model with rope_freqs:
// teacher forcing on llama.cpp's own greedy trajectory, llama.cpp's
// next-token probabilities as the truth.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel } from '../../../src/engine/model-maker/make-model.js';
import { NAMED_SHAPES, type ModelShape } from '../../../src/engine/model-maker/shapes.js';
import type { WeightType } from '../../../src/engine/model-maker/type-plan.js';
import { loadVocab } from '../../../src/engine/model-maker/vocab.js';
import { closeModel, loadModel } from '../../../src/engine/model/model.js';
import { Session } from '../../../src/engine/model/session.js';
import { getPeer, peerGenerate, peerSkipReason } from '../../helpers/peer.js';
import { referencePath } from '../../helpers/reference.js';

/** Largest |p difference| over every token llama.cpp reports, at any step. */
const MAX_DP = 0.02;
/** Top-1 must agree where llama.cpp's top-1/top-2 log-probability gap is wider than this. */
const TOP1_GAP = 0.1;
const STEPS = 8;
const PROMPT = 'The little robot looked at the garden and said';

const skip = peerSkipReason();
const dir = mkdtempSync(join(tmpdir(), 'nibble-agree-'));
t.teardown(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!skip) await (await getPeer()).dispose();
});

const small = { nEmbd: 256, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 512, contextLength: 256 };
const llama: ModelShape = { ...NAMED_SHAPES['tinyllama-1.1b'], ...small, name: 'llama-small' };
const qwen2: ModelShape = { ...NAMED_SHAPES['qwen2.5-0.5b'], ...small, name: 'qwen2-small' };
const llama3: ModelShape = { ...NAMED_SHAPES['llama3.2-1b'], ...small, name: 'llama3.2-small' };

const cases: Array<[string, ModelShape, WeightType]> = [
  ...(['BF16', 'Q4_1', 'Q5_1', 'Q2_K', 'Q3_K', 'Q5_K', 'IQ4_NL'] as WeightType[]).map((w): [string, ModelShape, WeightType] => [w, llama, w]),
  ['qwen2 Q4_K_M', qwen2, 'Q4_K_M'],
  ['llama3.2 rope_freqs Q8_0', llama3, 'Q8_0'],
];

const vocab = loadVocab(referencePath('models', 'tiny-llama-spm.Q8_0.gguf'));

for (const [label, shape, type] of cases) {
  t.test(label, { skip }, async (t) => {
    const path = join(dir, `${label.replace(/\W+/g, '_')}.gguf`);
    makeModel(path, { shape, type, vocab, seed: 7 });
    const peer = await peerGenerate(path, PROMPT, STEPS);
    const model = await loadModel(path, { threads: 2, contextLength: 128 });
    t.teardown(() => closeModel(model));
    t.same(model.tokenizer.encode(PROMPT), peer.promptTokens, 'same prompt tokens');
    const got: Float32Array[] = [];
    const fed = [...peer.promptTokens, ...peer.tokens.slice(0, STEPS - 1)];
    await new Session(model).evaluate(fed, peer.promptTokens.length - 1, (_, l) => got.push(Float32Array.from(l)));
    let worst = 0;
    got.forEach((logits, i) => {
      let max = -Infinity;
      for (const l of logits) if (l > max) max = l;
      let sum = 0;
      for (const l of logits) sum += Math.exp(l - max);
      let best = 0;
      for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
      for (const [id, p] of peer.probs[i]) worst = Math.max(worst, Math.abs(Math.exp(logits[id] - max) / sum - p));
      const ranked = [...peer.probs[i].entries()].sort((a, b) => b[1] - a[1]);
      if (Math.log(ranked[0][1] / ranked[1][1]) > TOP1_GAP) t.equal(best, ranked[0][0], `step ${i}: top-1`);
    });
    t.ok(worst <= MAX_DP, `worst |p diff| ${worst.toFixed(4)} <= ${MAX_DP}`);
    t.comment(`${label}: worst |p diff| ${worst.toFixed(4)} over ${STEPS} steps`);
  });
}
