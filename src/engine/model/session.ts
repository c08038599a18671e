// A conversation with a loaded model: prefill in batches, then decode token
// by token with a sampler, streaming text out. The KV cache is kept between
// calls, so a prompt that starts like the previous one only pays for what
// is new (prefix caching).
import { Sampler, type SamplerOptions } from '../sampling/sampler.js';
import { topProbs, type TokenProb } from '../sampling/probs.js';
import { StopMatcher } from '../sampling/stop.js';
import { StreamingDetokenizer } from '../tokenizer/streaming.js';
import { ModelError } from './errors.js';
import { forward } from './forward.js';
import type { Model } from './model.js';

export interface GenerateOptions {
  /** Most tokens to generate. */
  maxTokens: number;
  sampler?: Partial<SamplerOptions>;
  /** Generation ends before any of these strings; they are not part of the text. */
  stop?: readonly string[];
  /** Record the K most likely next tokens (softmax of raw logits) at each step. */
  topProbs?: number;
  /** Keep going past end-of-generation tokens (as llama.cpp's --ignore-eos). */
  ignoreEog?: boolean;
  /** Stops generation within one token (decode) or one batch (prefill). */
  signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface Timings {
  prompt_ms: number;
  prompt_tok_s: number;
  decode_ms: number;
  decode_tok_s: number;
  /** Prompt tokens actually computed (the rest came from the cache). */
  prompt_evaluated: number;
}

export interface GenerationStep {
  token: number;
  /** Text that became final with this token (may be empty mid-character). */
  text: string;
  top?: TokenProb[];
}

export interface GenerationResult {
  promptTokens: number[];
  tokens: number[];
  text: string;
  finishReason: FinishReason;
  timings: Timings;
  top?: TokenProb[][];
}

/** Thrown for a prompt the model cannot take: empty, or longer than the context. */
export class PromptError extends ModelError {
  readonly code: 'empty_prompt' | 'prompt_too_long' | 'bad_token';
  constructor(code: PromptError['code'], message: string) {
    super(message);
    this.name = 'PromptError';
    this.code = code;
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Session {
  /** Tokens whose keys and values are in the cache, in order from position 0. */
  private cached: number[] = [];

  constructor(readonly model: Model) {}

  /** Streams a completion of `prompt` (token ids); the generator's return value is the whole result. */
  async *generate(prompt: readonly number[], options: GenerateOptions): AsyncGenerator<GenerationStep, GenerationResult> {
    this.checkPrompt(prompt, 1);
    const { tokenizer } = this.model;
    const ctx = this.model.state.contextLength;
    const sampler = new Sampler(options.sampler);
    for (const t of prompt) sampler.accept(t);
    const detok = new StreamingDetokenizer(tokenizer);
    const stops = new StopMatcher(options.stop ?? []);
    const tokens: number[] = [];
    const tops: TokenProb[][] = [];
    let text = '';
    let finishReason: FinishReason = 'length';
    let hitStopString = false;

    const t0 = performance.now();
    const evaluated = await this.prefill(prompt, options.signal);
    const t1 = performance.now();
    if (evaluated < 0) return this.result(prompt, tokens, text, 'cancelled', t0, t1, 0, tops);

    let pos = prompt.length;
    const logits = () => this.model.kernels.memory.f32(this.model.state.logits, this.model.config.nVocab);
    while (tokens.length < options.maxTokens) {
      if (options.signal?.aborted) { finishReason = 'cancelled'; break; }
      const top = options.topProbs ? topProbs(logits(), options.topProbs) : undefined;
      const token = sampler.sample(logits());
      if (!options.ignoreEog && tokenizer.isEog(token)) { finishReason = 'stop'; break; }
      tokens.push(token);
      if (top) tops.push(top);
      sampler.accept(token);
      const { emit, stopped } = stops.push(detok.push(token));
      text += emit;
      yield { token, text: emit, top };
      if (stopped) { finishReason = 'stop'; hitStopString = true; break; }
      if (tokens.length >= options.maxTokens || pos >= ctx) break;
      forward(this.model, [token], pos, [0]);
      this.cached.push(token);
      pos++;
      await yieldToEventLoop();
    }
    if (!hitStopString) {
      // the last bytes of an unfinished character, and text held back for a stop string that never came
      const tail = stops.push(detok.flush());
      const rest = tail.emit + (tail.stopped ? '' : stops.flush());
      if (tail.stopped) finishReason = 'stop';
      if (rest) { text += rest; yield { token: -1, text: rest }; }
    }
    return this.result(prompt, tokens, text, finishReason, t0, t1, evaluated, tops);
  }

  /**
   * Teacher forcing: feeds exactly `tokens` and calls `onLogits(i, logits)`
   * with the model's raw logits after each position i >= from.
   */
  async evaluate(tokens: readonly number[], from: number, onLogits: (i: number, logits: Float32Array) => void): Promise<void> {
    this.checkPrompt(tokens, 0);
    this.cached = [];
    const batch = this.model.state.batchSize;
    for (let start = 0; start < tokens.length; start += batch) {
      const chunk = tokens.slice(start, start + batch);
      const rows = chunk.map((_, i) => i).filter((i) => start + i >= from);
      forward(this.model, chunk, start, rows);
      this.cached.push(...chunk);
      const all = this.model.kernels.memory.f32(this.model.state.logits, rows.length * this.model.config.nVocab);
      rows.forEach((r, j) => onLogits(start + r, all.subarray(j * this.model.config.nVocab, (j + 1) * this.model.config.nVocab)));
      await yieldToEventLoop();
    }
  }

  /** Forgets the cache (the next prompt is computed in full). */
  reset(): void {
    this.cached = [];
  }

  /** Refuses an empty prompt, one that leaves fewer than `room` free positions, and unknown ids. */
  private checkPrompt(prompt: readonly number[], room: number): void {
    const ctx = this.model.state.contextLength;
    if (prompt.length === 0) throw new PromptError('empty_prompt', 'the prompt is empty (it has no tokens)');
    if (prompt.length + room > ctx) {
      throw new PromptError('prompt_too_long', `the prompt is ${prompt.length} tokens; the context holds ${ctx}${room ? ', and at least one must be left to answer' : ''}`);
    }
    const nVocab = this.model.config.nVocab;
    const bad = prompt.find((t) => !Number.isInteger(t) || t < 0 || t >= nVocab);
    if (bad !== undefined) throw new PromptError('bad_token', `token id ${bad} is outside the vocabulary (0..${nVocab - 1})`);
  }

  /** Computes the prompt past its cached prefix; leaves the last token's logits. Returns tokens computed, or -1 if cancelled. */
  private async prefill(prompt: readonly number[], signal?: AbortSignal): Promise<number> {
    let keep = 0;
    while (keep < this.cached.length && keep < prompt.length - 1 && this.cached[keep] === prompt[keep]) keep++;
    this.cached.length = keep;
    const batch = this.model.state.batchSize;
    for (let start = keep; start < prompt.length; start += batch) {
      if (signal?.aborted) return -1;
      const chunk = prompt.slice(start, start + batch);
      forward(this.model, chunk, start, [chunk.length - 1]);
      this.cached.push(...chunk);
      await yieldToEventLoop();
    }
    return prompt.length - keep;
  }

  private result(prompt: readonly number[], tokens: number[], text: string, finishReason: FinishReason, t0: number, t1: number, evaluated: number, tops: TokenProb[][]): GenerationResult {
    const t2 = performance.now();
    const promptMs = t1 - t0;
    const decodeMs = t2 - t1;
    return {
      promptTokens: [...prompt],
      tokens,
      text,
      finishReason,
      top: tops.length ? tops : undefined,
      timings: {
        prompt_ms: promptMs,
        prompt_tok_s: evaluated > 0 ? (evaluated * 1000) / promptMs : 0,
        decode_ms: decodeMs,
        decode_tok_s: tokens.length > 0 ? (tokens.length * 1000) / decodeMs : 0,
        prompt_evaluated: evaluated,
      },
    };
  }
}
