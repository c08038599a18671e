import t from 'tap';
import { loadModel, closeModel, type Model } from '../../../src/engine/model/model.js';
import { PromptError, Session, type GenerateOptions } from '../../../src/engine/model/session.js';
import { referencePath } from '../../helpers/reference.js';

const MODEL = referencePath('models', 'tiny-llama-bpe.Q4_0.gguf');

async function collect(s: Session, prompt: number[], o: GenerateOptions) {
  const gen = s.generate(prompt, o);
  const pieces: string[] = [];
  let step = await gen.next();
  while (!step.done) {
    pieces.push(step.value.text);
    step = await gen.next();
  }
  return { pieces, result: step.value };
}

let model: Model;
t.before(async () => {
  model = await loadModel(MODEL, { threads: 2, contextLength: 64, batchSize: 16 });
});
t.teardown(async () => closeModel(model));

t.test('the same seed gives the same text; greedy ignores the seed', async (t) => {
  const s = new Session(model);
  const prompt = model.tokenizer.encode('The weather today');
  const sample = (seed: number) => collect(s, prompt, { maxTokens: 12, sampler: { temperature: 1, topK: 0, topP: 1, minP: 0, seed } });
  const a = await sample(42);
  const b = await sample(42);
  const c = await sample(43);
  t.same(a.result.tokens, b.result.tokens);
  t.not(a.result.tokens.join(), c.result.tokens.join(), 'another seed, another text');
  t.equal(a.pieces.join(''), a.result.text, 'the streamed pieces add up to the text');
  const g1 = await collect(s, prompt, { maxTokens: 8, sampler: { temperature: 0, seed: 1 } });
  const g2 = await collect(s, prompt, { maxTokens: 8, sampler: { temperature: 0, seed: 2 } });
  t.same(g1.result.tokens, g2.result.tokens);
});

t.test('prefix caching gives the same tokens as a fresh session', async (t) => {
  const prompt = model.tokenizer.encode('A long shared beginning, then a question');
  const warm = new Session(model);
  await collect(warm, prompt.slice(0, 5), { maxTokens: 3, sampler: { temperature: 0 } });
  const cached = await collect(warm, prompt, { maxTokens: 6, sampler: { temperature: 0 } });
  t.ok(cached.result.timings.prompt_evaluated < prompt.length, 'only the new part was computed');
  const fresh = await collect(new Session(model), prompt, { maxTokens: 6, sampler: { temperature: 0 } });
  t.same(cached.result.tokens, fresh.result.tokens);
});

t.test('an empty prompt and one longer than the context are clear errors', async (t) => {
  const s = new Session(model);
  await t.rejects(collect(s, [], { maxTokens: 4 }), PromptError);
  const long = Array.from({ length: 64 }, (_, i) => 100 + i);
  await t.rejects(collect(s, long, { maxTokens: 4 }), { code: 'prompt_too_long', message: /64 tokens; the context holds 64/ });
  await t.rejects(collect(s, [model.config.nVocab], { maxTokens: 4 }), { code: 'bad_token' });
});

t.test('generation stops at the end of the context with finish reason length', async (t) => {
  const s = new Session(model);
  const prompt = Array.from({ length: 60 }, (_, i) => 200 + i);
  const r = await collect(s, prompt, { maxTokens: 100, sampler: { temperature: 0 }, ignoreEog: true });
  t.equal(r.result.finishReason, 'length');
  t.equal(prompt.length + r.result.tokens.length, 65, 'fills the cache, then samples one last token from its logits');
});

t.test('cancel during decode stops within one token; during prefill before the next batch', async (t) => {
  const s = new Session(model);
  const ac = new AbortController();
  const gen = s.generate(model.tokenizer.encode('Count with me'), { maxTokens: 40, signal: ac.signal, sampler: { temperature: 0 }, ignoreEog: true });
  let n = 0;
  let step = await gen.next();
  while (!step.done) {
    if (++n === 3) ac.abort();
    step = await gen.next();
  }
  t.equal(step.value.finishReason, 'cancelled');
  t.equal(step.value.tokens.length, 3);

  const pre = new AbortController();
  const long = Array.from({ length: 50 }, (_, i) => 300 + i);
  const gen2 = s.generate(long, { maxTokens: 5, signal: pre.signal });
  const first = gen2.next();
  setImmediate(() => pre.abort()); // lands after the first 16-token batch
  const r = await first;
  t.ok(r.done);
  t.equal(r.done && r.value.finishReason, 'cancelled');
  t.equal(r.done && r.value.tokens.length, 0);
});

t.test('stop strings end generation and are left out of the text', async (t) => {
  const s = new Session(model);
  const prompt = model.tokenizer.encode('Once');
  const free = await collect(s, prompt, { maxTokens: 10, sampler: { temperature: 0 } });
  const words = free.result.text.trim().split(' ');
  const stop = words[Math.min(2, words.length - 1)];
  const stopped = await collect(s, prompt, { maxTokens: 10, sampler: { temperature: 0 }, stop: [stop] });
  t.equal(stopped.result.finishReason, 'stop');
  t.equal(stopped.result.text, free.result.text.slice(0, free.result.text.indexOf(stop)));
});
